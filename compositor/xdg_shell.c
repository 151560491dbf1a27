// SPDX-License-Identifier: MIT
/*
 * xdg-shell windows: a simple stacking policy. New toplevels cascade; the newest is on top; a
 * click raises and focuses the window under the pointer. A fullscreen toplevel covers its output
 * exactly, which is what lets the scene scan its buffer out directly.
 */
#include <string.h>
#include <stdlib.h>

#include <wlr/types/wlr_output_layout.h>
#include <wlr/types/wlr_scene.h>
#include <wlr/types/wlr_surface.h>
#include <wlr/types/wlr_xdg_shell.h>
#include <wlr/util/log.h>

#include "layer_shell.h"
#include "server.h"

#define CASCADE_STEP 32

struct sb_view {
	struct wl_list link; /* sb_server.views */
	struct sb_server *server;
	struct wlr_xdg_surface *xdg_surface;
	struct wlr_scene_node *scene_node;
	struct wl_listener map;
	struct wl_listener unmap;
	struct wl_listener destroy;
	struct wl_listener commit;
	struct wl_listener request_fullscreen;
	bool fullscreen;
	int saved_x, saved_y; /* where it was before it went fullscreen */
};

/* The output a fullscreen request names, else the one under the view, else the first. */
static struct wlr_output *fullscreen_output(struct sb_view *view, struct wlr_output *asked)
{
	struct sb_server *server = view->server;
	struct wlr_output *output = asked;

	if (!output)
		output = wlr_output_layout_output_at(server->output_layout,
						     view->scene_node->state.x,
						     view->scene_node->state.y);
	return output ? output : server_primary_output(server);
}

static void view_set_fullscreen(struct sb_view *view, bool fullscreen, struct wlr_output *asked)
{
	struct wlr_xdg_surface *xdg_surface = view->xdg_surface;
	struct wlr_output *output = fullscreen ? fullscreen_output(view, asked) : NULL;
	struct wlr_box *box =
		output ? wlr_output_layout_get_box(view->server->output_layout, output) : NULL;

	if (fullscreen && !box) {
		/* No output to fill: the request is answered with the state unchanged. */
		wlr_xdg_surface_schedule_configure(xdg_surface);
		return;
	}
	if (fullscreen) {
		if (!view->fullscreen) {
			view->saved_x = view->scene_node->state.x;
			view->saved_y = view->scene_node->state.y;
		}
		wlr_scene_node_set_position(view->scene_node, box->x, box->y);
		wlr_scene_node_raise_to_top(view->scene_node);
		wlr_xdg_toplevel_set_size(xdg_surface, (uint32_t)box->width, (uint32_t)box->height);
	} else if (view->fullscreen) {
		wlr_scene_node_set_position(view->scene_node, view->saved_x, view->saved_y);
		wlr_xdg_toplevel_set_size(xdg_surface, 0, 0);
	}
	view->fullscreen = fullscreen;
	wlr_xdg_toplevel_set_fullscreen(xdg_surface, fullscreen);
}

static void view_request_fullscreen(struct wl_listener *listener, void *data)
{
	struct sb_view *view = wl_container_of(listener, view, request_fullscreen);
	struct wlr_xdg_toplevel_set_fullscreen_event *event = data;

	/* Before the initial commit no configure may go out: view_commit applies it then. */
	if (view->xdg_surface->added)
		view_set_fullscreen(view, event->fullscreen, event->output);
}

/*
 * The initial commit: wlroots has scheduled the first configure (an idle source), and a
 * fullscreen state requested before it goes out in that same configure.
 */
static void view_commit(struct wl_listener *listener, void *data)
{
	struct sb_view *view = wl_container_of(listener, view, commit);
	struct wlr_xdg_toplevel *toplevel = view->xdg_surface->toplevel;

	if (!view->xdg_surface->added || view->xdg_surface->configured)
		return;
	if (toplevel->requested.fullscreen && !view->fullscreen)
		view_set_fullscreen(view, true, toplevel->requested.fullscreen_output);
}

void view_focus(struct sb_view *view)
{
	/* An unmapped view is in no list (its link points at itself) and cannot be focused. */
	if (wl_list_empty(&view->link))
		return;
	wl_list_remove(&view->link);
	wl_list_insert(&view->server->views, &view->link);
	wlr_scene_node_raise_to_top(view->scene_node);
	seat_focus_surface(view->server, view->xdg_surface->surface);
}

void server_focus_top_view(struct sb_server *server)
{
	struct sb_view *view;

	if (wl_list_empty(&server->views))
		return;
	view = wl_container_of(server->views.next, view, link);
	seat_focus_surface(server, view->xdg_surface->surface);
}

struct sb_view *server_view_at(struct sb_server *server, double lx, double ly,
			       struct wlr_surface **surface, double *sx, double *sy)
{
	struct wlr_scene_node *node = wlr_scene_node_at(&server->scene->node, lx, ly, sx, sy);

	*surface = NULL;
	if (!node || node->type != WLR_SCENE_NODE_SURFACE)
		return NULL;
	*surface = wlr_scene_surface_from_node(node)->surface;
	/* Only a view's own tree node carries data: walk up from a subsurface or popup to it. */
	while (node && !node->data)
		node = node->parent;
	return node ? node->data : NULL;
}

static void view_map(struct wl_listener *listener, void *data)
{
	struct sb_view *view = wl_container_of(listener, view, map);

	wl_list_insert(&view->server->views, &view->link);
	wlr_scene_node_raise_to_top(view->scene_node);
	seat_focus_surface(view->server, view->xdg_surface->surface);
}

static void view_unmap(struct wl_listener *listener, void *data)
{
	struct sb_view *view = wl_container_of(listener, view, unmap);
	struct sb_view *next;

	wl_list_remove(&view->link);
	wl_list_init(&view->link);
	/* Focus goes to the window that is now on top. */
	if (!wl_list_empty(&view->server->views)) {
		next = wl_container_of(view->server->views.next, next, link);
		seat_focus_surface(view->server, next->xdg_surface->surface);
	}
}

static void view_destroy(struct wl_listener *listener, void *data)
{
	struct sb_view *view = wl_container_of(listener, view, destroy);

	wl_list_remove(&view->map.link);
	wl_list_remove(&view->unmap.link);
	wl_list_remove(&view->destroy.link);
	wl_list_remove(&view->commit.link);
	wl_list_remove(&view->request_fullscreen.link);
	wl_list_remove(&view->link);
	free(view);
}

void server_new_xdg_surface(struct wl_listener *listener, void *data)
{
	struct sb_server *server = wl_container_of(listener, server, new_xdg_surface);
	struct wlr_xdg_surface *xdg_surface = data;
	struct sb_view *view;
	struct wlr_box area;

	if (xdg_surface->role == WLR_XDG_SURFACE_ROLE_POPUP) {
		struct wlr_xdg_surface *parent;
		struct wlr_scene_node *parent_node;

		/* A layer surface's popup: layer_shell.c placed it (its new_popup). */
		if (!wlr_surface_is_xdg_surface(xdg_surface->popup->parent))
			return;
		parent = wlr_xdg_surface_from_wlr_surface(xdg_surface->popup->parent);
		parent_node = parent->data;

		/* The popup's node is the parent of its own popups, found through data. */
		xdg_surface->data = wlr_scene_xdg_surface_create(parent_node, xdg_surface);
		return;
	}
	if (xdg_surface->role != WLR_XDG_SURFACE_ROLE_TOPLEVEL)
		return;
	view = calloc(1, sizeof(*view));
	if (!view) {
		wl_resource_post_no_memory(xdg_surface->resource);
		return;
	}
	view->server = server;
	view->xdg_surface = xdg_surface;
	view->scene_node = wlr_scene_xdg_surface_create(&server->view_tree->node, xdg_surface);
	if (!view->scene_node) {
		free(view);
		wl_resource_post_no_memory(xdg_surface->resource);
		return;
	}
	view->scene_node->data = view;
	xdg_surface->data = view->scene_node;
	/* Cascaded inside what panels leave of the output (their exclusive zones). */
	sb_layer_shell_output_usable_area(server->layer_shell, server_primary_output(server),
					  &area);
	wlr_scene_node_set_position(view->scene_node, area.x + server->next_view_x,
				    area.y + server->next_view_y);
	server->next_view_x = (server->next_view_x + CASCADE_STEP) % (8 * CASCADE_STEP);
	server->next_view_y = (server->next_view_y + CASCADE_STEP) % (8 * CASCADE_STEP);
	wl_list_init(&view->link);
	view->map.notify = view_map;
	wl_signal_add(&xdg_surface->events.map, &view->map);
	view->unmap.notify = view_unmap;
	wl_signal_add(&xdg_surface->events.unmap, &view->unmap);
	view->destroy.notify = view_destroy;
	wl_signal_add(&xdg_surface->events.destroy, &view->destroy);
	view->commit.notify = view_commit;
	wl_signal_add(&xdg_surface->surface->events.commit, &view->commit);
	view->request_fullscreen.notify = view_request_fullscreen;
	wl_signal_add(&xdg_surface->toplevel->events.request_fullscreen, &view->request_fullscreen);
}
