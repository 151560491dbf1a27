/* SPDX-License-Identifier: MIT */
#ifndef SB_SEAT_KEYBOARD_H
#define SB_SEAT_KEYBOARD_H

struct wlr_input_device;

/* A keyboard device that belongs to the compositor, not to a backend; owned by the caller. */
struct wlr_input_device *sb_seat_keyboard_create(void);
/* Emits the device's destroy signal, then frees it. NULL is ignored. */
void sb_seat_keyboard_destroy(struct wlr_input_device *device);

#endif
