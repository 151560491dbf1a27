// SPDX-License-Identifier: MIT
/*
 * wlroots 0.15.1 crashes on a legal request: wl_subsurface.place_above/place_below once the
 * parent wl_surface is gone. Its handler looks the sibling up in subsurface->parent's lists, and
 * parent is NULL after the parent's destruction (the sub-surface is then unmapped, and stays a
 * valid object: wayland.xml). Later wlroots ignores the request. Found by tests/fuzz/.
 *
 * The guard: a protocol logger runs before each request is dispatched. For place_above/below on
 * an orphaned sub-surface it hides the wlr_subsurface (the resource's user data) from the
 * handler, which then returns at once, and hands it back before anything else can use the
 * resource's user data: at the next message of any client (requests are dispatched one at a
 * time, each after its logger call) or when the resource is destroyed (destroy listeners run
 * before wlroots' destructor, which needs it). wlroots itself reaches the sub-surface through
 * the wlr_surface, never through the resource, so nothing else sees the gap. If the
 * wlr_subsurface goes first (its wl_surface destroyed, as wl_client_destroy does in object id
 * order), wlroots has freed it and left the resource's user data NULL: nothing is handed back.
 */

#include <wayland-server-core.h>
#include <wlr/types/wlr_compositor.h>
#include <wlr/types/wlr_surface.h>
#include <wlr/util/log.h>

#include "guards.h"

static struct {
	struct wl_resource *resource; /* the wl_subsurface whose user data is hidden, or NULL */
	struct wlr_subsurface *data;
	struct wl_listener destroy;
	struct wl_listener subsurface_destroy;
} hidden;

static void forget(void)
{
	wl_list_remove(&hidden.destroy.link);
	wl_list_remove(&hidden.subsurface_destroy.link);
	hidden.resource = NULL;
	hidden.data = NULL;
}

static void restore(void)
{
	if (!hidden.resource)
		return;
	wl_resource_set_user_data(hidden.resource, hidden.data);
	forget();
}

static void handle_destroy(struct wl_listener *listener, void *data)
{
	restore();
}

/* The wlr_subsurface is being freed: handing it back would give wlroots a dangling pointer. */
static void handle_subsurface_destroy(struct wl_listener *listener, void *data)
{
	forget();
}

static void subsurface_guard_logger(void *data, enum wl_protocol_logger_type type,
				    const struct wl_protocol_logger_message *message)
{
	const char *name = message->message->name;
	struct wlr_subsurface *subsurface;

	restore();
	/* place_above and place_below are wl_subsurface's third and fourth requests (wayland.xml). */
	if (type != WL_PROTOCOL_LOGGER_REQUEST ||
	    (message->message != &wl_subsurface_interface.methods[2] &&
	     message->message != &wl_subsurface_interface.methods[3]))
		return;
	subsurface = wl_resource_get_user_data(message->resource);
	if (!subsurface || subsurface->parent)
		return;
	wlr_log(WLR_DEBUG, "wl_subsurface@%u.%s after its parent is gone: ignored",
		wl_resource_get_id(message->resource), name);
	hidden.resource = message->resource;
	hidden.data = subsurface;
	hidden.destroy.notify = handle_destroy;
	wl_resource_add_destroy_listener(message->resource, &hidden.destroy);
	hidden.subsurface_destroy.notify = handle_subsurface_destroy;
	wl_signal_add(&subsurface->events.destroy, &hidden.subsurface_destroy);
	wl_resource_set_user_data(message->resource, NULL);
}

struct wl_protocol_logger *sb_subsurface_guard_create(struct wl_display *display)
{
	return wl_display_add_protocol_logger(display, subsurface_guard_logger, NULL);
}

void sb_subsurface_guard_destroy(struct wl_protocol_logger *guard)
{
	restore();
	if (guard)
		wl_protocol_logger_destroy(guard);
}
