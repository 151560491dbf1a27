// SPDX-License-Identifier: MIT
/*
 * Capture windows: the views (xdg toplevels, X11 windows) as the capture triggers see them. Each counts the frames
 * that presented a new commit of it since it mapped and, while a trigger waits for it to settle,
 * hashes its picture after every frame of its output to count how long it has stayed the same.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include <wlr/types/wlr_output_layout.h>
#include <wlr/types/wlr_scene.h>
#include <wlr/util/log.h>

#include "capture_trigger.h"
#include "capture_window.h"
#include "frame_clock.h"
#include "screenshot.h"
#include "server.h"
#include "view.h"

/* The parent of pid from /proc/PID/stat, or 0. */
static pid_t parent_of(pid_t pid)
{
	char path[64], buf[512], *end;
	int parent = 0;
	FILE *file;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	file = fopen(path, "re");
	if (!file)
		return 0;
	if (fgets(buf, sizeof(buf), file) && (end = strrchr(buf, ')')) &&
	    sscanf(end + 1, " %*c %d", &parent) != 1)
		parent = 0;
	fclose(file);
	return (pid_t)parent;
}

/* Whether client runs as the --exec command or a descendant of it (sh -c foot ...). */
static bool is_exec_client(struct sb_server *server, struct wl_client *client)
{
	pid_t pid;

	if (server->exec_pid <= 0 || !client)
		return false;
	wl_client_get_credentials(client, &pid, NULL, NULL);
	for (int depth = 0; pid > 1 && depth < 32; depth++) {
		if (pid == server->exec_pid)
			return true;
		pid = parent_of(pid);
	}
	return false;
}

static void window_map(struct wl_listener *listener, void *data)
{
	struct sb_capture_window *window = wl_container_of(listener, window, map);

	window->mapped = true;
	window->exec_client = is_exec_client(window->server, view_client(window->view));
	window->mapped_ns = frame_clock_now_ns(window->server->frame_clock);
	window->presented = 0;
	window->committed = true;
	window->stable = 0;
	wlr_log(WLR_DEBUG, "capture: window %s mapped%s", capture_window_name(window),
		window->exec_client ? " (the --exec client's)" : "");
	capture_trigger_window_mapped(window->server, window);
}

static void window_unmap(struct wl_listener *listener, void *data)
{
	struct sb_capture_window *window = wl_container_of(listener, window, unmap);

	capture_trigger_window_unmapping(window->server, window);
	window->mapped = false;
}

static void window_commit(struct wl_listener *listener, void *data)
{
	struct sb_capture_window *window = wl_container_of(listener, window, commit);

	window->committed = true;
}

static void window_destroy(struct wl_listener *listener, void *data)
{
	struct sb_capture_window *window = wl_container_of(listener, window, destroy);

	wl_list_remove(&window->map.link);
	wl_list_remove(&window->unmap.link);
	wl_list_remove(&window->commit.link);
	wl_list_remove(&window->destroy.link);
	wl_list_remove(&window->link);
	free(window);
}

static void handle_new_view(struct wl_listener *listener, void *data)
{
	struct sb_server *server = wl_container_of(listener, server, capture_new_view);
	struct sb_view *view = data;
	struct sb_capture_window *window;

	window = calloc(1, sizeof(*window));
	if (!window) {
		wlr_log(WLR_ERROR, "capture: out of memory: a window will not be seen");
		return;
	}
	window->server = server;
	window->view = view;
	window->map.notify = window_map;
	wl_signal_add(&view->events.map, &window->map);
	window->unmap.notify = window_unmap;
	wl_signal_add(&view->events.unmap, &window->unmap);
	window->destroy.notify = window_destroy;
	wl_signal_add(&view->events.destroy, &window->destroy);
	window->commit.notify = window_commit;
	wl_signal_add(&view->events.commit, &window->commit);
	/* Newest last: capture_window_find(NULL) takes the oldest. */
	wl_list_insert(server->capture_windows.prev, &window->link);
}

bool capture_windows_init(struct sb_server *server)
{
	wl_list_init(&server->capture_windows);
	/* view_init emits it once the view's scene tree exists. */
	server->capture_new_view.notify = handle_new_view;
	wl_signal_add(&server->events.new_view, &server->capture_new_view);
	return true;
}

void capture_windows_finish(struct sb_server *server)
{
	struct sb_capture_window *window, *tmp;

	wl_list_remove(&server->capture_new_view.link);
	wl_list_init(&server->capture_new_view.link);
	wl_list_for_each_safe(window, tmp, &server->capture_windows, link)
		window_destroy(&window->destroy, NULL);
}

const char *capture_window_name(const struct sb_capture_window *window)
{
	const char *title = view_title(window->view), *app_id = view_app_id(window->view);

	/* The title first: clients of one program share an app_id, not (often) a title. */
	if (*title)
		return title;
	if (*app_id)
		return app_id;
	return "?";
}

bool capture_window_matches(const struct sb_capture_window *window, const char *match)
{
	const char *app_id = view_app_id(window->view);
	const char *title = view_title(window->view);

	if (!match)
		return true;
	if (strncmp(match, "app_id=", 7) == 0)
		return strcmp(app_id, match + 7) == 0;
	if (strncmp(match, "title=", 6) == 0)
		return strcmp(title, match + 6) == 0;
	return strcmp(app_id, match) == 0 || strcmp(title, match) == 0;
}

struct sb_capture_window *capture_window_find(struct sb_server *server, const char *match)
{
	struct sb_capture_window *window;

	wl_list_for_each(window, &server->capture_windows, link) {
		if (window->mapped && capture_window_matches(window, match))
			return window;
	}
	return NULL;
}

struct box_union {
	int x0, y0, x1, y1;
	bool any;
};

static void add_surface_box(struct wlr_surface *surface, int sx, int sy, void *data)
{
	struct box_union *u = data;
	int x1 = sx + surface->current.width, y1 = sy + surface->current.height;

	if (surface->current.width <= 0 || surface->current.height <= 0)
		return;
	if (!u->any) {
		*u = (struct box_union){sx, sy, x1, y1, true};
		return;
	}
	u->x0 = sx < u->x0 ? sx : u->x0;
	u->y0 = sy < u->y0 ? sy : u->y0;
	u->x1 = x1 > u->x1 ? x1 : u->x1;
	u->y1 = y1 > u->y1 ? y1 : u->y1;
}

bool capture_window_box(struct sb_capture_window *window, struct wlr_box *box)
{
	struct box_union u = {0};

	/* The view's tree holds its surfaces, subsurfaces and popups. */
	wlr_scene_node_for_each_surface(&window->view->tree->node, add_surface_box, &u);
	if (!u.any)
		return false;
	/*
	 * wlr_scene_node_for_each_surface gives coordinates in the node's parent, here the scene's
	 * root: layout coordinates.
	 */
	*box = (struct wlr_box){u.x0, u.y0, u.x1 - u.x0, u.y1 - u.y0};
	return true;
}

/*
 * The window's box in layout coordinates (view.c: its place and geometry). Unlike
 * capture_window_box() it does not visit every surface of the window, which a frame must not do
 * for every window (a window of 200 sub-surfaces, all committing).
 */
static bool window_geometry(struct sb_capture_window *window, struct wlr_box *box)
{
	if (!window->view->mapped)
		return false;
	view_get_box(window->view, box);
	return true;
}

/* The output a window is shown on: the one under its geometry's centre, else the primary one. */
static struct wlr_output *window_output(struct sb_capture_window *window, struct wlr_box *box)
{
	struct sb_server *server = window->server;
	struct wlr_output *output = wlr_output_layout_output_at(
		server->output_layout, box->x + box->width / 2.0, box->y + box->height / 2.0);

	return output ? output : server_primary_output(server);
}

void capture_windows_frame(struct sb_server *server, struct wlr_output *output)
{
	struct sb_capture_window *window;

	wl_list_for_each(window, &server->capture_windows, link) {
		struct wlr_box box;
		struct sb_shot shot;
		uint64_t hash;

		/* A window with nothing new and no picture wanted has nothing to count. */
		if (!window->mapped || (!window->committed && !window->hash_wanted) ||
		    !window_geometry(window, &box) || window_output(window, &box) != output)
			continue;
		if (window->committed)
			window->presented++;
		window->committed = false;
		if (!window->hash_wanted)
			continue;
		if (!capture_window_box(window, &box) ||
		    !screenshot_grab(server, NULL, &box, &shot)) {
			window->stable = 0;
			continue;
		}
		hash = screenshot_hash(&shot);
		screenshot_release(&shot);
		window->stable = window->stable && hash == window->hash ? window->stable + 1 : 1;
		window->hash = hash;
	}
}
