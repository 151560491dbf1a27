// SPDX-License-Identifier: MIT
/*
 * The seat: keyboards and pointers (real ones from the backend, zwp_virtual_keyboard_v1 and
 * zwlr_virtual_pointer_v1 for tests), one wlr_cursor on the output layout, pointer focus on the
 * surface under it, keyboard focus on the top window.
 */
#include <stdlib.h>

#include <wlr/backend.h>
#include <wlr/types/wlr_cursor.h>
#include <wlr/types/wlr_input_device.h>
#include <wlr/types/wlr_keyboard.h>
#include <wlr/types/wlr_output_layout.h>
#include <wlr/types/wlr_pointer.h>
#include <wlr/types/wlr_seat.h>
#include <wlr/types/wlr_virtual_keyboard_v1.h>
#include <wlr/types/wlr_virtual_pointer_v1.h>
#include <wlr/types/wlr_xcursor_manager.h>
#include <wlr/types/wlr_xdg_shell.h>
#include <wlr/util/log.h>
#include <xkbcommon/xkbcommon.h>

#include "desktop_protocols.h"
#include "seat_keyboard.h"
#include "server.h"

struct sb_keyboard {
	struct sb_server *server;
	struct wlr_input_device *device;
	bool virtual; /* zwp_virtual_keyboard_v1's: its wlr_keyboard is ours to free */
	struct wl_listener key;
	struct wl_listener modifiers;
	struct wl_listener destroy;
};

static void keyboard_handle_modifiers(struct wl_listener *listener, void *data)
{
	struct sb_keyboard *keyboard = wl_container_of(listener, keyboard, modifiers);

	wlr_seat_set_keyboard(keyboard->server->seat, keyboard->device);
	wlr_seat_keyboard_notify_modifiers(keyboard->server->seat,
					   &keyboard->device->keyboard->modifiers);
}

static void keyboard_handle_key(struct wl_listener *listener, void *data)
{
	struct sb_keyboard *keyboard = wl_container_of(listener, keyboard, key);
	struct wlr_event_keyboard_key *event = data;

	sb_desktop_protocols_notify_activity(keyboard->server->desktop_protocols);
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

	server_view_at(server, server->cursor->x, server->cursor->y, &surface, &sx, &sy);
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

static void cursor_motion(struct wl_listener *listener, void *data)
{
	struct sb_server *server = wl_container_of(listener, server, cursor_motion);
	struct wlr_event_pointer_motion *event = data;

	/* zwp_relative_pointer_v1 gets every motion; a zwp_locked_pointer_v1 keeps the cursor. */
	if (sb_desktop_protocols_pointer_motion(server->desktop_protocols, event))
		return;
	wlr_cursor_move(server->cursor, event->device, event->delta_x, event->delta_y);
	cursor_update_focus(server, event->time_msec);
}

static void cursor_motion_absolute(struct wl_listener *listener, void *data)
{
	struct sb_server *server = wl_container_of(listener, server, cursor_motion_absolute);
	struct wlr_event_pointer_motion_absolute *event = data;

	sb_desktop_protocols_notify_activity(server->desktop_protocols);
	wlr_cursor_warp_absolute(server->cursor, event->device, event->x, event->y);
	cursor_update_focus(server, event->time_msec);
}

static void cursor_button(struct wl_listener *listener, void *data)
{
	struct sb_server *server = wl_container_of(listener, server, cursor_button);
	struct wlr_event_pointer_button *event = data;
	struct wlr_surface *surface;
	struct sb_view *view;
	double sx, sy;

	sb_desktop_protocols_notify_activity(server->desktop_protocols);
	wlr_seat_pointer_notify_button(server->seat, event->time_msec, event->button, event->state);
	if (event->state != WLR_BUTTON_PRESSED)
		return;
	/* Click to focus: the window under the cursor goes to the top and takes the keyboard. */
	view = server_view_at(server, server->cursor->x, server->cursor->y, &surface, &sx, &sy);
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

	server->seat = wlr_seat_create(server->display, "seat0");
	virtual_keyboard = wlr_virtual_keyboard_manager_v1_create(server->display);
	virtual_pointer = wlr_virtual_pointer_manager_v1_create(server->display);
	if (!server->seat || !virtual_keyboard || !virtual_pointer)
		return false;
	server->cursor = wlr_cursor_create();
	/* NULL theme: $XCURSOR_THEME, else the default theme or wlroots' built-in cursors. */
	server->cursor_manager = wlr_xcursor_manager_create(NULL, 24);
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
	if (prev && wlr_surface_is_xdg_surface(prev)) {
		struct wlr_xdg_surface *prev_xdg = wlr_xdg_surface_from_wlr_surface(prev);

		if (prev_xdg->role == WLR_XDG_SURFACE_ROLE_TOPLEVEL)
			wlr_xdg_toplevel_set_activated(prev_xdg, false);
	}
	if (wlr_surface_is_xdg_surface(surface))
		wlr_xdg_toplevel_set_activated(wlr_xdg_surface_from_wlr_surface(surface), true);
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
