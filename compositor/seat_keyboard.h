/* SPDX-License-Identifier: MIT */
#ifndef SB_SEAT_KEYBOARD_H
#define SB_SEAT_KEYBOARD_H

struct wl_event_loop;
struct wlr_input_device;
struct wlr_keyboard;

/* A keyboard device that belongs to the compositor, not to a backend; owned by the caller. */
struct wlr_input_device *sb_seat_keyboard_create(void);
/* Emits the device's destroy signal, then frees it. NULL is ignored. */
void sb_seat_keyboard_destroy(struct wlr_input_device *device);

/*
 * A zwp_virtual_keyboard_v1's wlr_keyboard, whose device is being destroyed: freed on the loop's
 * next idle dispatch (wlroots 0.15 leaks it).
 */
void sb_seat_keyboard_free_virtual(struct wl_event_loop *loop, struct wlr_keyboard *keyboard);

#endif
