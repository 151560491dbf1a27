// SPDX-License-Identifier: MIT
/*
 * The seat: keyboards and pointers (real ones from the backend, zwp_virtual_keyboard_v1 and
 * zwlr_virtual_pointer_v1 for tests), one wlr_cursor on the output layout, pointer focus on the
 * surface under it, keyboard focus on the top window.
 */
#include <stdio.h>
#include <stdlib.h>

#include <linux/input-event-codes.h>

#include <wlr/backend.h>
#include <wlr/backend/session.h>
#include <wlr/types/wlr_cursor.h>
#include <wlr/types/wlr_input_device.h>
#include <wlr/types/wlr_keyboard.h>
#include <wlr/types/wlr_output_layout.h>
#include <wlr/types/wlr_pointer.h>
#include <wlr/types/wlr_seat.h>
#include <wlr/types/wlr_virtual_keyboard_v1.h>
#include <wlr/types/wlr_virtual_pointer_v1.h>
#include <wlr/types/wlr_xcursor_manager.h>
#include <wlr/util/edges.h>
#include <wlr/util/log.h>
#include <xkbcommon/xkbcommon.h>

#include "desktop_protocols.h"
#include "seat_keyboard.h"
#include "keybinding.h"
#include "server.h"
#include "view.h"

_Static_assert((int)SB_MOD_SHIFT == (int)WLR_MODIFIER_SHIFT &&
		       (int)SB_MOD_CTRL == (int)WLR_MODIFIER_CTRL &&
		       (int)SB_MOD_ALT == (int)WLR_MODIFIER_ALT &&
		       (int)SB_MOD_LOGO == (int)WLR_MODIFIER_LOGO,
	       "keybinding.h's modifier bits are wlroots' own");

struct sb_keyboard {
	struct sb_server *server;
	struct wlr_input_device *device;
	bool virtual; /* zwp_virtual_keyboard_v1's: its wlr_keyboard is ours to free */
	struct wl_listener key;
	struct wl_listener modifiers;
	struct wl_listener destroy;
	uint32_t bound_key; /* the keycode of the last bound key pressed, until its release */
};

static void keyboard_handle_modifiers(struct wl_listener *listener, void *data)
{
	struct sb_keyboard *keyboard = wl_container_of(listener, keyboard, modifiers);

	wlr_seat_set_keyboard(keyboard->server->seat, keyboard->device);
	wlr_seat_keyboard_notify_modifiers(keyboard->server->seat,
					   &keyboard->device->keyboard->modifiers);
}

static struct sb_view *top_view(struct sb_server *server)
{
	struct sb_view *view;

	if (wl_list_empty(&server->views))
		return NULL;
	return wl_container_of(server->views.next, view, link);
}

/* Does what a bound key asks; false if the key is not bound (it goes to the client). */
static bool keyboard_handle_binding(struct sb_keyboard *keyboard, uint32_t keycode)
{
	struct sb_server *server = keyboard->server;
	struct wlr_keyboard *wlr_keyboard = keyboard->device->keyboard;
	/* libinput keycodes are evdev codes; XKB's are 8 more. */
	xkb_keycode_t xkb_keycode = keycode + 8;
	const xkb_keysym_t *syms, *raw_syms;
	int n_syms, n_raw;
	xkb_layout_index_t layout;
	struct wlr_session *session;
	struct sb_view *view;
	unsigned int vt = 0;
	enum sb_key_action action;

	if (!wlr_keyboard->xkb_state)
		return false;
	n_syms = xkb_state_key_get_syms(wlr_keyboard->xkb_state, xkb_keycode, &syms);
	layout = xkb_state_key_get_layout(wlr_keyboard->xkb_state, xkb_keycode);
	n_raw = xkb_keymap_key_get_syms_by_level(wlr_keyboard->keymap, xkb_keycode, layout, 0,
						 &raw_syms);
	action = sb_keybindings_match(
		&server->config.keybindings, wlr_keyboard_get_modifiers(wlr_keyboard), syms,
		n_syms > 0 ? (size_t)n_syms : 0, raw_syms, n_raw > 0 ? (size_t)n_raw : 0, &vt);
	view = top_view(server);
	switch (action) {
	case SB_KEY_ACTION_NONE:
	case SB_KEY_ACTION_COUNT:
		return false;
	case SB_KEY_ACTION_VT:
		/* Only a session (the DRM backend through libseat) has VTs to switch. */
		session = wlr_backend_get_session(server->backend);
		wlr_log(WLR_INFO, "keybinding: switch to VT %u%s", vt,
			session ? "" : " (no session on this backend: ignored)");
		if (session && !wlr_session_change_vt(session, vt))
			wlr_log(WLR_ERROR, "keybinding: cannot switch to VT %u", vt);
		return true;
	case SB_KEY_ACTION_QUIT:
		wlr_log(WLR_INFO, "keybinding: quit");
		wl_display_terminate(server->display);
		return true;
	case SB_KEY_ACTION_CYCLE_FOCUS:
		view_cycle_focus(server);
		return true;
	case SB_KEY_ACTION_CLOSE:
		if (view)
			view_close(view);
		return true;
	case SB_KEY_ACTION_MAXIMIZE:
		if (view)
			view_set_maximized(view, !view->maximized);
		return true;
	case SB_KEY_ACTION_FULLSCREEN:
		if (view)
			view_set_fullscreen(view, !view->fullscreen, NULL);
		return true;
	}
	return false;
}

static void keyboard_handle_key(struct wl_listener *listener, void *data)
{
	struct sb_keyboard *keyboard = wl_container_of(listener, keyboard, key);
	struct wlr_event_keyboard_key *event = data;

	sb_desktop_protocols_notify_activity(keyboard->server->desktop_protocols);
	/* A bound key's press is the compositor's, and so is its release: the client saw neither. */
	if (event->state == WL_KEYBOARD_KEY_STATE_PRESSED &&
	    keyboard_handle_binding(keyboard, event->keycode)) {
		keyboard->bound_key = event->keycode;
		return;
	}
	if (event->state == WL_KEYBOARD_KEY_STATE_RELEASED && keyboard->bound_key &&
	    event->keycode == keyboard->bound_key) {
		keyboard->bound_key = 0;
		return;
	}
	wlr_seat_set_keyboard(keyboard->server->seat, keyboard->device);
	wlr_seat_keyboard_notify_key(keyboard->server->seat, event->time_msec, event->keycode,
				     event->state);
}

static void keyboard_handle_destroy(struct wl_listener *listener, void *data)
{
	struct sb_keyboard *keyboard = wl_container_of(listener, keyboard, destroy);
	struct sb_server *server = keyboard->server;

	/* A virtual keyboard going away hands the seat back to its own (seat_keyboard.c). */
	if (server->seat_keyboard && keyboard->device != server->seat_keyboard &&
	    wlr_seat_get_keyboard(server->seat) == keyboard->device->keyboard)
		wlr_seat_set_keyboard(server->seat, server->seat_keyboard);
	wl_list_remove(&keyboard->key.link);
	wl_list_remove(&keyboard->modifiers.link);
	wl_list_remove(&keyboard->destroy.link);
	if (keyboard->virtual)
		sb_seat_keyboard_free_virtual(server->loop, keyboard->device->keyboard);
	free(keyboard);
}

static struct sb_keyboard *server_add_keyboard(struct sb_server *server,
					       struct wlr_input_device *device)
{
	const struct sb_config *config = &server->config;
	struct xkb_rule_names rules = {
		.rules = config->keyboard.rules,
		.model = config->keyboard.model,
		.layout = config->keyboard.layout,
		.variant = config->keyboard.variant,
		.options = config->keyboard.options,
	};
	struct sb_keyboard *keyboard = calloc(1, sizeof(*keyboard));
	struct xkb_context *context;
	struct xkb_keymap *keymap;

	if (!keyboard) {
		wlr_log(WLR_ERROR, "keyboard %s: out of memory", device->name);
		return NULL;
	}
	keyboard->server = server;
	keyboard->device = device;
	/* A virtual keyboard brings its own keymap from the client. */
	if (device->keyboard->keymap == NULL) {
		context = xkb_context_new(XKB_CONTEXT_NO_FLAGS);
		keymap = xkb_keymap_new_from_names(context, &rules, XKB_KEYMAP_COMPILE_NO_FLAGS);
		if (keymap)
			wlr_keyboard_set_keymap(device->keyboard, keymap);
		else
			wlr_log(WLR_ERROR, "keyboard %s: no keymap for the [keyboard] settings",
				device->name);
		xkb_keymap_unref(keymap);
		xkb_context_unref(context);
	}
	wlr_keyboard_set_repeat_info(device->keyboard, config->keyboard.repeat_rate,
				     config->keyboard.repeat_delay);
	keyboard->key.notify = keyboard_handle_key;
	wl_signal_add(&device->keyboard->events.key, &keyboard->key);
	keyboard->modifiers.notify = keyboard_handle_modifiers;
	wl_signal_add(&device->keyboard->events.modifiers, &keyboard->modifiers);
	keyboard->destroy.notify = keyboard_handle_destroy;
	wl_signal_add(&device->events.destroy, &keyboard->destroy);
	wlr_seat_set_keyboard(server->seat, device);
	wlr_seat_set_capabilities(server->seat,
				  WL_SEAT_CAPABILITY_KEYBOARD | WL_SEAT_CAPABILITY_POINTER);
	return keyboard;
}

static void cursor_add_device(struct sb_server *server, struct wlr_input_device *device)
{
	/*
	 * The theme is read when the first pointer comes, not at start: a whole theme is a
	 * hundred files, seconds over the VM's 9p root, and a compositor without a pointer
	 * never shows a cursor.
	 */
	if (!wlr_xcursor_manager_load(server->cursor_manager, 1))
		wlr_log(WLR_ERROR, "no cursor theme: the cursor is drawn by clients only");
	wlr_cursor_attach_input_device(server->cursor, device);
}

/* Pointer focus follows the cursor: the surface under it gets enter, then motion. */
static void cursor_update_focus(struct sb_server *server, uint32_t time_msec)
{
	struct wlr_surface *surface;
	double sx, sy;

	view_at(server, server->cursor->x, server->cursor->y, &surface, &sx, &sy);
	if (!surface) {
		/* Over the background no client draws the cursor: the compositor's own image. */
		wlr_xcursor_manager_set_cursor_image(server->cursor_manager, "left_ptr",
						     server->cursor);
		wlr_seat_pointer_clear_focus(server->seat);
		return;
	}
	/* wl_pointer.enter carries the position; a repeated enter to the focus is a no-op. */
	wlr_seat_pointer_notify_enter(server->seat, surface, sx, sy);
	wlr_seat_pointer_notify_motion(server->seat, time_msec, sx, sy);
}

static void grab_end(struct sb_server *server)
{
	if (!server->grab.view)
		return;
	wl_list_remove(&server->grab.view_unmap.link);
	server->grab.view = NULL;
}

static void grab_view_unmap(struct wl_listener *listener, void *data)
{
	struct sb_server *server = wl_container_of(listener, server, grab.view_unmap);

	grab_end(server);
}

void seat_begin_grab(struct sb_server *server, struct sb_view *view, uint32_t edges)
{
	/* A maximized or fullscreen window keeps its place: sway and weston do the same. */
	if (!view->mapped || view->fullscreen || view->maximized)
		return;
	grab_end(server);
	server->grab.view = view;
	server->grab.edges = edges;
	server->grab.cursor_x = server->cursor->x;
	server->grab.cursor_y = server->cursor->y;
	view_get_box(view, &server->grab.box);
	server->grab.view_unmap.notify = grab_view_unmap;
	wl_signal_add(&view->events.unmap, &server->grab.view_unmap);
	/* The client loses the pointer for the grab, as it would to a title bar's. */
	wlr_seat_pointer_clear_focus(server->seat);
	wlr_log(WLR_DEBUG, "seat: interactive %s of '%s'", edges ? "resize" : "move",
		view_title(view));
}

/* The window follows the cursor: moved by its motion, or its grabbed edges with it. */
static void grab_motion(struct sb_server *server)
{
	struct wlr_box box = server->grab.box;
	int dx = (int)(server->cursor->x - server->grab.cursor_x);
	int dy = (int)(server->cursor->y - server->grab.cursor_y);
	uint32_t edges = server->grab.edges;

	if (edges == 0) {
		view_move(server->grab.view, box.x + dx, box.y + dy);
		return;
	}
	if (edges & WLR_EDGE_LEFT) {
		box.x += dx;
		box.width -= dx;
	} else if (edges & WLR_EDGE_RIGHT) {
		box.width += dx;
	}
	if (edges & WLR_EDGE_TOP) {
		box.y += dy;
		box.height -= dy;
	} else if (edges & WLR_EDGE_BOTTOM) {
		box.height += dy;
	}
	if (box.width < 1 || box.height < 1)
		return;
	view_move_resize(server->grab.view, &box);
}

static void cursor_motion(struct wl_listener *listener, void *data)
{
	struct sb_server *server = wl_container_of(listener, server, cursor_motion);
	struct wlr_event_pointer_motion *event = data;

	/* zwp_relative_pointer_v1 gets every motion; a zwp_locked_pointer_v1 keeps the cursor. */
	if (sb_desktop_protocols_pointer_motion(server->desktop_protocols, event))
		return;
	wlr_cursor_move(server->cursor, event->device, event->delta_x, event->delta_y);
	if (server->grab.view)
		grab_motion(server);
	else
		cursor_update_focus(server, event->time_msec);
}

static void cursor_motion_absolute(struct wl_listener *listener, void *data)
{
	struct sb_server *server = wl_container_of(listener, server, cursor_motion_absolute);
	struct wlr_event_pointer_motion_absolute *event = data;

	sb_desktop_protocols_notify_activity(server->desktop_protocols);
	wlr_cursor_warp_absolute(server->cursor, event->device, event->x, event->y);
	if (server->grab.view)
		grab_motion(server);
	else
		cursor_update_focus(server, event->time_msec);
}

/* Whether [shell] move-modifier is held on the seat's keyboard. */
static bool drag_modifier_held(struct sb_server *server)
{
	struct wlr_keyboard *keyboard = wlr_seat_get_keyboard(server->seat);
	uint32_t modifier = server->config.shell.move_modifier;

	return modifier && keyboard &&
	       (wlr_keyboard_get_modifiers(keyboard) & modifier) == modifier;
}

static void cursor_button(struct wl_listener *listener, void *data)
{
	struct sb_server *server = wl_container_of(listener, server, cursor_button);
	struct wlr_event_pointer_button *event = data;
	struct wlr_surface *surface;
	struct sb_view *view;
	double sx, sy;

	sb_desktop_protocols_notify_activity(server->desktop_protocols);
	if (server->grab.view) {
		/* The grab's button went up: the window stays where it is, the pointer goes back. */
		if (event->state == WLR_BUTTON_RELEASED) {
			grab_end(server);
			cursor_update_focus(server, event->time_msec);
		}
		return;
	}
	view = view_at(server, server->cursor->x, server->cursor->y, &surface, &sx, &sy);
	if (view && event->state == WLR_BUTTON_PRESSED && drag_modifier_held(server)) {
		/* [shell] move-modifier + left drag moves, + right drag resizes from the corner. */
		view_focus(view);
		seat_begin_grab(server, view,
				event->button == BTN_RIGHT ? WLR_EDGE_BOTTOM | WLR_EDGE_RIGHT : 0);
		return;
	}
	wlr_seat_pointer_notify_button(server->seat, event->time_msec, event->button, event->state);
	if (event->state != WLR_BUTTON_PRESSED)
		return;
	/* Click to focus: the window under the cursor goes to the top and takes the keyboard. */
	if (view)
		view_focus(view);
}

static void cursor_axis(struct wl_listener *listener, void *data)
{
	struct sb_server *server = wl_container_of(listener, server, cursor_axis);
	struct wlr_event_pointer_axis *event = data;

	sb_desktop_protocols_notify_activity(server->desktop_protocols);
	wlr_seat_pointer_notify_axis(server->seat, event->time_msec, event->orientation,
				     event->delta, event->delta_discrete, event->source);
}

/* wl_pointer.frame: the events since the last one belong together (wl_seat v5). */
static void cursor_frame(struct wl_listener *listener, void *data)
{
	struct sb_server *server = wl_container_of(listener, server, cursor_frame);

	wlr_seat_pointer_notify_frame(server->seat);
}

static void seat_request_set_cursor(struct wl_listener *listener, void *data)
{
	struct sb_server *server = wl_container_of(listener, server, request_set_cursor);
	struct wlr_seat_pointer_request_set_cursor_event *event = data;

	/* wl_pointer.set_cursor: honoured only from the client that has the pointer focus. */
	if (event->seat_client != server->seat->pointer_state.focused_client)
		return;
	wlr_cursor_set_surface(server->cursor, event->surface, event->hotspot_x, event->hotspot_y);
}

static void server_new_input(struct wl_listener *listener, void *data)
{
	struct sb_server *server = wl_container_of(listener, server, new_input);
	struct wlr_input_device *device = data;

	if (device->type == WLR_INPUT_DEVICE_KEYBOARD)
		server_add_keyboard(server, device);
	else if (device->type == WLR_INPUT_DEVICE_POINTER)
		cursor_add_device(server, device);
}

static void server_new_virtual_keyboard(struct wl_listener *listener, void *data)
{
	struct sb_server *server = wl_container_of(listener, server, new_virtual_keyboard);
	struct wlr_virtual_keyboard_v1 *keyboard = data;
	struct sb_keyboard *added = server_add_keyboard(server, &keyboard->input_device);

	if (added)
		added->virtual = true;
}

static void server_new_virtual_pointer(struct wl_listener *listener, void *data)
{
	struct sb_server *server = wl_container_of(listener, server, new_virtual_pointer);
	struct wlr_virtual_pointer_v1_new_pointer_event *event = data;
	struct wlr_input_device *device = &event->new_pointer->input_device;

	cursor_add_device(server, device);
	/* create_virtual_pointer_with_output: absolute motion spans that output only. */
	if (event->suggested_output)
		wlr_cursor_map_input_to_output(server->cursor, device, event->suggested_output);
	wlr_log(WLR_INFO, "virtual pointer created%s%s", event->suggested_output ? " on " : "",
		event->suggested_output ? event->suggested_output->name : "");
}

static void cursor_listen(struct sb_server *server)
{
	struct wlr_cursor *cursor = server->cursor;

	server->cursor_motion.notify = cursor_motion;
	wl_signal_add(&cursor->events.motion, &server->cursor_motion);
	server->cursor_motion_absolute.notify = cursor_motion_absolute;
	wl_signal_add(&cursor->events.motion_absolute, &server->cursor_motion_absolute);
	server->cursor_button.notify = cursor_button;
	wl_signal_add(&cursor->events.button, &server->cursor_button);
	server->cursor_axis.notify = cursor_axis;
	wl_signal_add(&cursor->events.axis, &server->cursor_axis);
	server->cursor_frame.notify = cursor_frame;
	wl_signal_add(&cursor->events.frame, &server->cursor_frame);
	server->request_set_cursor.notify = seat_request_set_cursor;
	wl_signal_add(&server->seat->events.request_set_cursor, &server->request_set_cursor);
}

bool seat_init(struct sb_server *server)
{
	struct wlr_virtual_keyboard_manager_v1 *virtual_keyboard;
	struct wlr_virtual_pointer_manager_v1 *virtual_pointer;
	char size[16];

	server->seat = wlr_seat_create(server->display, "seat0");
	virtual_keyboard = wlr_virtual_keyboard_manager_v1_create(server->display);
	virtual_pointer = wlr_virtual_pointer_manager_v1_create(server->display);
	if (!server->seat || !virtual_keyboard || !virtual_pointer)
		return false;
	server->cursor = wlr_cursor_create();
	/*
	 * [shell] cursor-theme, else $XCURSOR_THEME, else the default theme or wlroots' built-in
	 * cursors. Clients (Xwayland's too) read the same from the environment.
	 */
	if (server->config.shell.cursor_theme)
		setenv("XCURSOR_THEME", server->config.shell.cursor_theme, 1);
	snprintf(size, sizeof(size), "%d", server->config.shell.cursor_size);
	setenv("XCURSOR_SIZE", size, 1);
	server->cursor_manager = wlr_xcursor_manager_create(
		server->config.shell.cursor_theme, (uint32_t)server->config.shell.cursor_size);
	if (!server->cursor || !server->cursor_manager) {
		if (server->cursor)
			wlr_cursor_destroy(server->cursor);
		wlr_xcursor_manager_destroy(server->cursor_manager);
		server->cursor = NULL;
		server->cursor_manager = NULL;
		return false;
	}
	wlr_cursor_attach_output_layout(server->cursor, server->output_layout);
	cursor_listen(server);
	/* The cursor is always there, with or without a pointer device: clients may bind one. */
	wlr_seat_set_capabilities(server->seat, WL_SEAT_CAPABILITY_POINTER);
	server->new_input.notify = server_new_input;
	wl_signal_add(&server->backend->events.new_input, &server->new_input);
	server->new_virtual_keyboard.notify = server_new_virtual_keyboard;
	wl_signal_add(&virtual_keyboard->events.new_virtual_keyboard,
		      &server->new_virtual_keyboard);
	server->new_virtual_pointer.notify = server_new_virtual_pointer;
	wl_signal_add(&virtual_pointer->events.new_virtual_pointer, &server->new_virtual_pointer);
	/* A keyboard whatever the backend has, so that clients get the keymap (seat_keyboard.c). */
	server->seat_keyboard = sb_seat_keyboard_create();
	return server->seat_keyboard && server_add_keyboard(server, server->seat_keyboard);
}

void seat_finish(struct sb_server *server)
{
	sb_seat_keyboard_destroy(server->seat_keyboard);
	server->seat_keyboard = NULL;
	grab_end(server);
	if (!server->cursor)
		return;
	wl_list_remove(&server->cursor_motion.link);
	wl_list_remove(&server->cursor_motion_absolute.link);
	wl_list_remove(&server->cursor_button.link);
	wl_list_remove(&server->cursor_axis.link);
	wl_list_remove(&server->cursor_frame.link);
	wl_list_remove(&server->request_set_cursor.link);
	wlr_cursor_destroy(server->cursor);
	wlr_xcursor_manager_destroy(server->cursor_manager);
	server->cursor = NULL;
	server->cursor_manager = NULL;
}

void seat_focus_surface(struct sb_server *server, struct wlr_surface *surface)
{
	struct wlr_keyboard *keyboard = wlr_seat_get_keyboard(server->seat);
	struct wlr_surface *prev = server->seat->keyboard_state.focused_surface;

	if (prev == surface)
		return;
	if (!surface) {
		wlr_seat_keyboard_clear_focus(server->seat);
		return;
	}
	/*
	 * Entered even without a keyboard: the seat's focused surface is what the next
	 * activation deactivates, and a keyboard that appears later types into it.
	 */
	if (keyboard)
		wlr_seat_keyboard_notify_enter(server->seat, surface, keyboard->keycodes,
					       keyboard->num_keycodes, &keyboard->modifiers);
	else
		wlr_seat_keyboard_notify_enter(server->seat, surface, NULL, 0, NULL);
}
