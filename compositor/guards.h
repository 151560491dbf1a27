/* SPDX-License-Identifier: MIT */
#ifndef SB_GUARDS_H
#define SB_GUARDS_H

#include <wayland-server-core.h>

/*
 * Protocol loggers that keep a client from crashing wlroots 0.15.1 through its own request
 * handlers (found by tests/fuzz/protocol_fuzz.c, whose server installs them too).
 */

/* xdg_guard.c: a wl_surface destroyed before its xdg role object gets
 * wl_surface.error.defunct_role_object. Destroy with wl_protocol_logger_destroy(). */
struct wl_protocol_logger *sb_xdg_guard_create(struct wl_display *display);

/* subsurface_guard.c: wl_subsurface.place_above/below after the parent is gone is ignored. */
struct wl_protocol_logger *sb_subsurface_guard_create(struct wl_display *display);
void sb_subsurface_guard_destroy(struct wl_protocol_logger *guard);

#endif
