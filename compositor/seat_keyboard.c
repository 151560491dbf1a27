// SPDX-License-Identifier: MIT
/*
 * The seat's own keyboard: an input device of the compositor's, there whatever the backend
 * offers. A headless backend, or a parent display without a keyboard, gives the seat none, and
 * clients then see a seat without WL_SEAT_CAPABILITY_KEYBOARD: foot refuses to start ("This seat
 * has no keyboard"), and text typed through zwp_virtual_keyboard_v1 would have no focus to go
 * to until the virtual keyboard appears. This one never sends a key; it carries the [keyboard]
 * keymap, which wl_keyboard.keymap hands to every client.
 */
#include <stdlib.h>

#include <wlr/interfaces/wlr_input_device.h>
#include <wlr/interfaces/wlr_keyboard.h>
#include <wlr/util/log.h>

#include "seat_keyboard.h"

struct wlr_input_device *sb_seat_keyboard_create(void)
{
	struct wlr_input_device *device = calloc(1, sizeof(*device));
	struct wlr_keyboard *keyboard = calloc(1, sizeof(*keyboard));

	if (!device || !keyboard) {
		wlr_log(WLR_ERROR, "seat keyboard: out of memory");
		free(device);
		free(keyboard);
		return NULL;
	}
	/*
	 * No impl: wlr_input_device_destroy() then frees the device, and wlr_keyboard_destroy()
	 * the keyboard, each with free().
	 */
	wlr_input_device_init(device, WLR_INPUT_DEVICE_KEYBOARD, NULL, "syncbridge-keyboard", 0, 0);
	wlr_keyboard_init(keyboard, NULL);
	device->keyboard = keyboard;
	return device;
}

void sb_seat_keyboard_destroy(struct wlr_input_device *device)
{
	wlr_input_device_destroy(device);
}
