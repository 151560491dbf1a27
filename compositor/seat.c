// SPDX-License-Identifier: MIT
/*
 * The seat: keyboards (real ones from the backend, and zwp_virtual_keyboard_v1 for tests) and
 * keyboard focus on the top window. Pointer input comes with the conformance issue.
 */
#include <stdlib.h>

#include <wlr/backend.h>
#include <wlr/types/wlr_input_device.h>
#include <wlr/types/wlr_keyboard.h>
#include <wlr/types/wlr_seat.h>
#include <wlr/types/wlr_virtual_keyboard_v1.h>
#include <wlr/types/wlr_xdg_shell.h>
#include <wlr/util/log.h>
#include <xkbcommon/xkbcommon.h>

#include "server.h"

struct sb_keyboard {
	struct sb_server *server;
	struct wlr_input_device *device;
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

	wlr_seat_set_keyboard(keyboard->server->seat, keyboard->device);
	wlr_seat_keyboard_notify_key(keyboard->server->seat, event->time_msec, event->keycode,
				     event->state);
}

static void keyboard_handle_destroy(struct wl_listener *listener, void *data)
{
	struct sb_keyboard *keyboard = wl_container_of(listener, keyboard, destroy);

	wl_list_remove(&keyboard->key.link);
	wl_list_remove(&keyboard->modifiers.link);
	wl_list_remove(&keyboard->destroy.link);
	free(keyboard);
}

static void server_add_keyboard(struct sb_server *server, struct wlr_input_device *device)
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
		return;
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
	wlr_seat_set_capabilities(server->seat, WL_SEAT_CAPABILITY_KEYBOARD);
}

static void server_new_input(struct wl_listener *listener, void *data)
{
	struct sb_server *server = wl_container_of(listener, server, new_input);
	struct wlr_input_device *device = data;

	if (device->type == WLR_INPUT_DEVICE_KEYBOARD)
		server_add_keyboard(server, device);
}

static void server_new_virtual_keyboard(struct wl_listener *listener, void *data)
{
	struct sb_server *server = wl_container_of(listener, server, new_virtual_keyboard);
	struct wlr_virtual_keyboard_v1 *keyboard = data;

	server_add_keyboard(server, &keyboard->input_device);
}

bool seat_init(struct sb_server *server)
{
	struct wlr_virtual_keyboard_manager_v1 *virtual_keyboard;

	server->seat = wlr_seat_create(server->display, "seat0");
	virtual_keyboard = wlr_virtual_keyboard_manager_v1_create(server->display);
	if (!server->seat || !virtual_keyboard)
		return false;
	server->new_input.notify = server_new_input;
	wl_signal_add(&server->backend->events.new_input, &server->new_input);
	server->new_virtual_keyboard.notify = server_new_virtual_keyboard;
	wl_signal_add(&virtual_keyboard->events.new_virtual_keyboard,
		      &server->new_virtual_keyboard);
	return true;
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
	if (keyboard)
		wlr_seat_keyboard_notify_enter(server->seat, surface, keyboard->keycodes,
					       keyboard->num_keycodes, &keyboard->modifiers);
}
