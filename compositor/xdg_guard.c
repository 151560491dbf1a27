// SPDX-License-Identifier: MIT
/* The xdg-shell guard (guards.h): one protocol logger, installed by main.c and the fuzz server. */
#include <wayland-server-core.h>
#include <wayland-server-protocol.h>
#include <wlr/types/wlr_surface.h>
#include <wlr/types/wlr_xdg_shell.h>

#include "guards.h"

/*
 * wlroots 0.15 leaves an xdg_surface/xdg_toplevel/xdg_popup whose wl_surface was destroyed with no
 * wlr object behind it, and its request handlers dereference that NULL: one bad client would take
 * the compositor down (found by tests/fuzz/protocol_fuzz.c). The core protocol forbids the order
 * since wayland 1.22 (wl_surface.error.defunct_role_object, 4): the client gets that error before
 * the destroy runs, and libwayland dispatches nothing more of it.
 */
#define WL_SURFACE_ERROR_DEFUNCT_ROLE_OBJECT 4

static void xdg_guard_logger(void *data, enum wl_protocol_logger_type type,
			     const struct wl_protocol_logger_message *message)
{
	struct wlr_surface *surface;
	struct wlr_xdg_surface *xdg_surface;

	/* wl_surface.destroy is its first request (wayland.xml); libwayland passes that message. */
	if (type != WL_PROTOCOL_LOGGER_REQUEST ||
	    message->message != &wl_surface_interface.methods[0])
		return;
	surface = wlr_surface_from_resource(message->resource);
	if (!surface || !wlr_surface_is_xdg_surface(surface))
		return;
	xdg_surface = wlr_xdg_surface_from_wlr_surface(surface);
	if (!xdg_surface || !xdg_surface->resource)
		return;
	wl_resource_post_error(message->resource, WL_SURFACE_ERROR_DEFUNCT_ROLE_OBJECT,
			       "wl_surface@%u destroyed before its xdg_surface",
			       wl_resource_get_id(message->resource));
}

struct wl_protocol_logger *sb_xdg_guard_create(struct wl_display *display)
{
	return wl_display_add_protocol_logger(display, xdg_guard_logger, NULL);
}
