// SPDX-License-Identifier: MIT
/*
 * Capture triggers: when a picture is taken. Each trigger is a condition on a window (mapped,
 * settled for n frames, its nth presented frame, a time after its map), checked after every
 * output frame, so that a picture shows exactly what a frame presented. The --screenshot picture
 * is one such trigger; the control socket makes more. "exit" is the --exec client's last frame:
 * taken as its window unmaps, before the window is gone from the scene.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <wlr/types/wlr_scene.h>
#include <wlr/types/wlr_xdg_shell.h>
#include <wlr/util/box.h>
#include <wlr/util/log.h>

#include "capture_trigger.h"
#include "capture_window.h"
#include "frame_clock.h"
#include "screenshot.h"
#include "server.h"
#include "view.h"

#define SETTLED_DEFAULT_FRAMES 10

struct sb_capture_trigger {
	struct wl_list link; /* sb_server.capture_triggers */
	struct sb_server *server;
	struct sb_capture_spec spec;
	sb_capture_fired_func_t fired;
	void *data;
	bool done;
	struct wl_event_source *timeout;
};

static bool parse_u32(const char *text, uint32_t *value)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(text, &end, 10);
	if (*text < '0' || *text > '9' || *end != '\0' || errno || v > UINT32_MAX)
		return false;
	*value = (uint32_t)v;
	return true;
}

bool capture_spec_parse_when(struct sb_capture_spec *spec, const char *text, char *err,
			     size_t err_size)
{
	static const struct {
		const char *name;
		enum sb_capture_when when;
		bool needs_n;
	} kinds[] = {
		{"exit", SB_CAPTURE_EXIT, false},	{"mapped", SB_CAPTURE_MAPPED, false},
		{"settled", SB_CAPTURE_SETTLED, false}, {"frame", SB_CAPTURE_FRAME, true},
		{"after", SB_CAPTURE_AFTER, true},
	};
	const char *colon = strchr(text, ':');
	size_t len = colon ? (size_t)(colon - text) : strlen(text);

	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		if (strlen(kinds[i].name) != len || strncmp(kinds[i].name, text, len) != 0)
			continue;
		spec->when = kinds[i].when;
		spec->n = spec->when == SB_CAPTURE_SETTLED ? SETTLED_DEFAULT_FRAMES : 0;
		if (colon &&
		    (kinds[i].when == SB_CAPTURE_EXIT || kinds[i].when == SB_CAPTURE_MAPPED))
			break;
		if (kinds[i].needs_n && !colon)
			break;
		if (colon && (!parse_u32(colon + 1, &spec->n) ||
			      (spec->n == 0 && spec->when != SB_CAPTURE_AFTER)))
			break;
		return true;
	}
	snprintf(
		err, err_size,
		"'%s': when is exit, mapped, settled[:FRAMES], frame:N or after:MS (N, FRAMES > 0)",
		text);
	return false;
}

static int handle_timeout(void *data)
{
	struct sb_capture_trigger *trigger = data;

	if (!trigger->done) {
		trigger->done = true;
		trigger->fired(trigger, NULL, trigger->data);
	}
	return 0;
}

struct sb_capture_trigger *capture_trigger_create(struct sb_server *server,
						  const struct sb_capture_spec *spec,
						  sb_capture_fired_func_t fired, void *data)
{
	struct sb_capture_trigger *trigger = calloc(1, sizeof(*trigger));

	if (!trigger)
		return NULL;
	trigger->server = server;
	trigger->spec = *spec;
	trigger->fired = fired;
	trigger->data = data;
	if (spec->timeout_ms) {
		trigger->timeout = wl_event_loop_add_timer(server->loop, handle_timeout, trigger);
		if (!trigger->timeout) {
			free(trigger);
			return NULL;
		}
		wl_event_source_timer_update(trigger->timeout, (int)spec->timeout_ms);
	}
	wl_list_insert(server->capture_triggers.prev, &trigger->link);
	return trigger;
}

void capture_trigger_destroy(struct sb_capture_trigger *trigger)
{
	if (!trigger)
		return;
	if (trigger->timeout)
		wl_event_source_remove(trigger->timeout);
	wl_list_remove(&trigger->link);
	free(trigger);
}

const struct sb_capture_spec *capture_trigger_spec(struct sb_capture_trigger *trigger)
{
	return &trigger->spec;
}

void capture_trigger_describe(struct sb_capture_trigger *trigger, struct sb_capture_window *window,
			      char *buf, size_t size)
{
	const struct sb_capture_spec *spec = &trigger->spec;
	const char *name =
		window ? capture_window_name(window) : (spec->window ? spec->window : "(any)");
	uint32_t presented = window ? window->presented : 0;

	if (!window) {
		snprintf(buf, size, "window %s: no %s within %u ms", name,
			 spec->when == SB_CAPTURE_SETTLED ? "settled picture"
			 : spec->when == SB_CAPTURE_FRAME ? "such frame"
							  : "map",
			 spec->timeout_ms);
		return;
	}
	switch (spec->when) {
	case SB_CAPTURE_EXIT:
		snprintf(buf, size, "window %s: its last frame, as it unmapped (frame %u)", name,
			 presented);
		break;
	case SB_CAPTURE_MAPPED:
		snprintf(buf, size, "window %s: mapped (frame %u)", name, presented);
		break;
	case SB_CAPTURE_SETTLED:
		snprintf(buf, size, "window %s: settled, the same picture for %u frames (frame %u)",
			 name, spec->n, presented);
		break;
	case SB_CAPTURE_FRAME:
		snprintf(buf, size, "window %s: frame %u", name, presented);
		break;
	case SB_CAPTURE_AFTER:
		snprintf(buf, size, "window %s: %u ms after its map (frame %u)", name, spec->n,
			 presented);
		break;
	}
}

#define HIDDEN_MAX 8

/*
 * A window that is unmapping was just hidden by the scene (its tree, or the shell's node in it):
 * shown for this one picture. The nodes it enabled go into hidden, to be disabled again.
 */
static size_t show_hidden(struct wlr_scene_node *tree, struct wlr_scene_node **hidden)
{
	struct wlr_scene_node *child;
	size_t n = 0;

	if (!tree->state.enabled) {
		hidden[n++] = tree;
		wlr_scene_node_set_enabled(tree, true);
	}
	wl_list_for_each(child, &tree->state.children, state.link) {
		if (n < HIDDEN_MAX && !child->state.enabled) {
			hidden[n++] = child;
			wlr_scene_node_set_enabled(child, true);
		}
	}
	return n;
}

bool capture_shoot(struct sb_server *server, const struct sb_capture_spec *spec,
		   struct sb_capture_window *window, const char *path, int *width, int *height)
{
	struct wlr_scene_node *hidden[HIDDEN_MAX];
	size_t n_hidden = window ? show_hidden(&window->view->tree->node, hidden) : 0;
	struct wlr_box box;
	struct sb_shot shot;
	bool ok;

	if (spec->crop_window && !window) {
		wlr_log(WLR_ERROR, "capture: no window %s to crop to",
			spec->window ? spec->window : "at all");
		return false;
	}
	ok = spec->crop_window ? capture_window_box(window, &box) &&
					 screenshot_grab(server, NULL, &box, &shot)
			       : screenshot_grab(server, spec->output, NULL, &shot);
	for (size_t i = 0; i < n_hidden; i++)
		wlr_scene_node_set_enabled(hidden[i], false);
	if (!ok)
		return false;
	ok = screenshot_save(&shot, path);
	if (width)
		*width = shot.width;
	if (height)
		*height = shot.height;
	screenshot_release(&shot);
	return ok;
}

static bool condition_met(const struct sb_capture_trigger *trigger,
			  const struct sb_capture_window *window, uint64_t now_ns)
{
	const struct sb_capture_spec *spec = &trigger->spec;

	switch (spec->when) {
	case SB_CAPTURE_EXIT:
		return false;
	case SB_CAPTURE_MAPPED:
		return window->presented >= 1;
	case SB_CAPTURE_SETTLED:
		return window->presented >= 1 && window->stable >= spec->n;
	case SB_CAPTURE_FRAME:
		return window->presented >= spec->n;
	case SB_CAPTURE_AFTER:
		return window->presented >= 1 && now_ns - window->mapped_ns >= spec->n * 1000000ull;
	}
	return false;
}

static void fire(struct sb_capture_trigger *trigger, struct sb_capture_window *window)
{
	trigger->done = true;
	if (trigger->timeout) {
		wl_event_source_remove(trigger->timeout);
		trigger->timeout = NULL;
	}
	trigger->fired(trigger, window, trigger->data);
}

void capture_trigger_frame(struct sb_server *server, struct wlr_output *output)
{
	struct sb_capture_trigger *trigger, *tmp;
	struct sb_capture_window *window;
	uint64_t now_ns;

	/* Pictures are hashed only for windows a trigger waits to see settle. */
	wl_list_for_each(window, &server->capture_windows, link)
		window->hash_wanted = false;
	wl_list_for_each(trigger, &server->capture_triggers, link) {
		if (!trigger->done && trigger->spec.when == SB_CAPTURE_SETTLED &&
		    (window = capture_window_find(server, trigger->spec.window)))
			window->hash_wanted = true;
	}
	/* Always: frame:N counts from the window's map, whenever the trigger was made. */
	capture_windows_frame(server, output);
	if (wl_list_empty(&server->capture_triggers))
		return;
	now_ns = frame_clock_now_ns(server->frame_clock);
	wl_list_for_each_safe(trigger, tmp, &server->capture_triggers, link) {
		if (trigger->done || !(window = capture_window_find(server, trigger->spec.window)))
			continue;
		if (condition_met(trigger, window, now_ns))
			fire(trigger, window);
	}
}

void capture_trigger_window_mapped(struct sb_server *server, struct sb_capture_window *window)
{
	struct sb_capture_trigger *trigger = server->capture;

	/*
	 * exit: a picture taken as an earlier window of the client unmapped is no longer its last
	 * frame once it maps another; taken again then, as that one unmaps or at exit.
	 */
	if (trigger && trigger->spec.when == SB_CAPTURE_EXIT && window->exec_client &&
	    capture_window_matches(window, trigger->spec.window))
		server->screenshot_taken = false;
}

void capture_trigger_window_unmapping(struct sb_server *server, struct sb_capture_window *window)
{
	struct sb_capture_trigger *trigger, *tmp;

	wl_list_for_each_safe(trigger, tmp, &server->capture_triggers, link) {
		const char *match = trigger->spec.window;

		if (trigger->done || trigger->spec.when != SB_CAPTURE_EXIT || !window->exec_client)
			continue;
		if (!capture_window_matches(window, match))
			continue;
		/* Not done: a later window of the client (or the exit itself) takes it again. */
		trigger->fired(trigger, window, trigger->data);
	}
}

/* The --screenshot picture. */
static void command_line_fired(struct sb_capture_trigger *trigger, struct sb_capture_window *window,
			       void *data)
{
	struct sb_server *server = data;
	char what[256];

	capture_trigger_describe(trigger, window, what, sizeof(what));
	if (!window) {
		wlr_log(WLR_ERROR, "capture: %s; no picture", what);
		server->exit_status = 1;
		/* Said once: the run ends here, and capture_command_line_finish has nothing to do. */
		capture_trigger_destroy(trigger);
		server->capture = NULL;
		wl_display_terminate(server->display);
		return;
	}
	wlr_log(WLR_INFO, "capture: %s", what);
	if (!capture_shoot(server, &trigger->spec, window, server->screenshot_path, NULL, NULL)) {
		server->exit_status = 1;
		wl_display_terminate(server->display);
		return;
	}
	server->screenshot_taken = true;
	if (trigger->spec.when == SB_CAPTURE_EXIT)
		return;
	/* The picture was the point of the run: the --exec client is ended, and that is no error. */
	server->capture_fired = true;
	wl_display_terminate(server->display);
}

bool capture_command_line_start(struct sb_server *server, const struct sb_capture_spec *spec)
{
	server->capture = capture_trigger_create(server, spec, command_line_fired, server);
	return server->capture != NULL;
}

bool capture_command_line_finish(struct sb_server *server)
{
	struct sb_capture_trigger *trigger = server->capture;
	struct sb_capture_window *window;
	bool ok = true;

	if (!trigger)
		return true;
	server->capture = NULL;
	if (!server->screenshot_taken && trigger->spec.when != SB_CAPTURE_EXIT) {
		wlr_log(WLR_ERROR,
			"capture: the run ended before its trigger fired (window %s); no "
			"picture",
			trigger->spec.window ? trigger->spec.window : "(any)");
		ok = false;
	} else if (!server->screenshot_taken) {
		window = capture_window_find(server, trigger->spec.window);
		ok = capture_shoot(server, &trigger->spec, window, server->screenshot_path, NULL,
				   NULL);
	}
	capture_trigger_destroy(trigger);
	return ok;
}
