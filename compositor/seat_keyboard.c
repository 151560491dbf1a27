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

#include <wayland-server-core.h>

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

static void free_keyboard(void *data)
{
	free(data);
}

/*
 * wlroots 0.15's zwp_virtual_keyboard_v1 gives its wlr_keyboard an impl whose destroy does
 * nothing, so wlr_keyboard_destroy() never frees it (LeakSanitizer: 352 bytes per virtual
 * keyboard, wtype's every run). Its destroy runs after the device's destroy signal, inside
 * wlr_input_device_destroy(): the memory is freed on the next idle dispatch, when nothing of
 * wlroots touches it any more.
 */
void sb_seat_keyboard_free_virtual(struct wl_event_loop *loop, struct wlr_keyboard *keyboard)
{
	if (!wl_event_loop_add_idle(loop, free_keyboard, keyboard))
		wlr_log(WLR_ERROR, "virtual keyboard: cannot schedule its free (a leak)");
}

void sb_seat_keyboard_destroy(struct wlr_input_device *device)
{
	wlr_input_device_destroy(device);
}
