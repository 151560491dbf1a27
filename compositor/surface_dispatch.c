// SPDX-License-Identifier: MIT
/*
 * wl_surface requests dispatched by a switch instead of libffi.
 *
 * libwayland calls a request's handler through libffi unless the resource has a dispatcher of its
 * own: for every request it builds an ffi call interface (ffi_prep_cif), converts the arguments
 * and makes the call, some 1,400 instructions (callgrind, tests/bench/README.md) for a call that
 * takes a handful. A client that draws sends four wl_surface requests a frame (attach,
 * damage_buffer, frame, commit), and on a busy desktop those calls were a sixth of all the
 * compositor's instructions per surface frame. libwayland's public dispatcher interface
 * (wl_resource_set_dispatcher) exists for exactly this: the handler is called with the decoded
 * arguments, after libwayland has checked the message against the interface, logged it
 * (WAYLAND_DEBUG, protocol loggers: the commit gate's hook still sees every commit) and looked its
 * objects up. The handlers are wlroots' own, called with the same arguments as libffi would.
 *
 * One thing the public interface cannot give: the resource's destructor, which
 * wl_resource_set_dispatcher() takes again. It is read from libwayland 1.21's struct wl_resource
 * (src/wayland-server.c, private), and only after every field around it has been checked against
 * the public accessors; a resource that does not match keeps libffi, and SB_WL_DISPATCH=0 keeps
 * it for all.
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#include <wayland-server-core.h>
#include <wayland-server-protocol.h>
#include <wlr/types/wlr_compositor.h>
#include <wlr/types/wlr_surface.h>
#include <wlr/util/log.h>

#include "surface_dispatch.h"

struct sb_surface_dispatch {
	struct wl_listener new_surface;
	struct wl_listener compositor_destroy;
	uint64_t dispatched, kept;
};

/* libwayland 1.21's struct wl_object and struct wl_resource, up to the fields read here. */
struct libwayland_object {
	const struct wl_interface *interface;
	const void *implementation;
	uint32_t id;
};

struct libwayland_resource {
	struct libwayland_object object;
	wl_resource_destroy_func_t destroy;
	struct wl_list link;
	struct wl_signal deprecated_destroy_signal;
	struct wl_client *client;
	void *data;
	int version;
	wl_dispatcher_func_t dispatcher;
};

/*
 * The resource's destructor, or NULL when the copy above does not describe this resource: each
 * field that has a public accessor must match it, and the handlers must be the resource's own.
 */
static bool resource_destructor(struct wl_resource *resource, wl_resource_destroy_func_t *destroy)
{
	const struct libwayland_resource *mirror = (const void *)resource;

	if (mirror->object.interface != &wl_surface_interface || !mirror->object.implementation ||
	    mirror->object.id != wl_resource_get_id(resource) ||
	    !wl_resource_instance_of(resource, &wl_surface_interface,
				     mirror->object.implementation) ||
	    (const struct wl_list *)&mirror->link != wl_resource_get_link(resource) ||
	    mirror->client != wl_resource_get_client(resource) ||
	    mirror->data != wl_resource_get_user_data(resource) ||
	    mirror->version != wl_resource_get_version(resource) || mirror->dispatcher)
		return false;
	*destroy = mirror->destroy;
	return true;
}

/* wl_surface's requests in wayland.xml's order (only the client header names their opcodes). */
enum surface_request {
	WL_SURFACE_DESTROY,
	WL_SURFACE_ATTACH,
	WL_SURFACE_DAMAGE,
	WL_SURFACE_FRAME,
	WL_SURFACE_SET_OPAQUE_REGION,
	WL_SURFACE_SET_INPUT_REGION,
	WL_SURFACE_COMMIT,
	WL_SURFACE_SET_BUFFER_TRANSFORM,
	WL_SURFACE_SET_BUFFER_SCALE,
	WL_SURFACE_DAMAGE_BUFFER,
	WL_SURFACE_OFFSET,
};

/*
 * libwayland has checked the opcode against the interface and the resource's version, the
 * argument types and the objects (wl_closure_lookup_objects): each case calls the handler as
 * libffi would. A handler the implementation leaves NULL is refused as libwayland's own
 * "invalid method" would be, instead of calling NULL.
 */
static int surface_dispatch(const void *implementation, void *target, uint32_t opcode,
			    const struct wl_message *message, union wl_argument *args)
{
	const struct wl_surface_interface *impl = implementation;
	struct wl_resource *resource = target;
	struct wl_client *client = wl_resource_get_client(resource);

	switch (opcode) {
	case WL_SURFACE_DESTROY:
		if (!impl->destroy)
			goto invalid;
		impl->destroy(client, resource);
		break;
	case WL_SURFACE_ATTACH:
		if (!impl->attach)
			goto invalid;
		impl->attach(client, resource, (struct wl_resource *)args[0].o, args[1].i,
			     args[2].i);
		break;
	case WL_SURFACE_DAMAGE:
		if (!impl->damage)
			goto invalid;
		impl->damage(client, resource, args[0].i, args[1].i, args[2].i, args[3].i);
		break;
	case WL_SURFACE_FRAME:
		if (!impl->frame)
			goto invalid;
		impl->frame(client, resource, args[0].n);
		break;
	case WL_SURFACE_SET_OPAQUE_REGION:
		if (!impl->set_opaque_region)
			goto invalid;
		impl->set_opaque_region(client, resource, (struct wl_resource *)args[0].o);
		break;
	case WL_SURFACE_SET_INPUT_REGION:
		if (!impl->set_input_region)
			goto invalid;
		impl->set_input_region(client, resource, (struct wl_resource *)args[0].o);
		break;
	case WL_SURFACE_COMMIT:
		if (!impl->commit)
			goto invalid;
		impl->commit(client, resource);
		break;
	case WL_SURFACE_SET_BUFFER_TRANSFORM:
		if (!impl->set_buffer_transform)
			goto invalid;
		impl->set_buffer_transform(client, resource, args[0].i);
		break;
	case WL_SURFACE_SET_BUFFER_SCALE:
		if (!impl->set_buffer_scale)
			goto invalid;
		impl->set_buffer_scale(client, resource, args[0].i);
		break;
	case WL_SURFACE_DAMAGE_BUFFER:
		if (!impl->damage_buffer)
			goto invalid;
		impl->damage_buffer(client, resource, args[0].i, args[1].i, args[2].i, args[3].i);
		break;
	case WL_SURFACE_OFFSET:
		if (!impl->offset)
			goto invalid;
		impl->offset(client, resource, args[0].i, args[1].i);
		break;
	default:
		goto invalid;
	}
	return 0;
invalid:
	wl_resource_post_error(resource, WL_DISPLAY_ERROR_INVALID_METHOD,
			       "invalid method %" PRIu32 " (%s), object wl_surface@%" PRIu32,
			       opcode, message->name, wl_resource_get_id(resource));
	return -1;
}

static void handle_new_surface(struct wl_listener *listener, void *data)
{
	struct sb_surface_dispatch *dispatch = wl_container_of(listener, dispatch, new_surface);
	struct wlr_surface *surface = data;
	struct wl_resource *resource = surface->resource;
	wl_resource_destroy_func_t destroy;

	if (!resource_destructor(resource, &destroy)) {
		if (dispatch->kept++ == 0)
			wlr_log(WLR_INFO,
				"wl_surface@%" PRIu32 " does not look like libwayland "
				"1.21's resource: its requests go through libffi",
				wl_resource_get_id(resource));
		return;
	}
	wl_resource_set_dispatcher(
		resource, surface_dispatch,
		((const struct libwayland_resource *)(void *)resource)->object.implementation,
		wl_resource_get_user_data(resource), destroy);
	dispatch->dispatched++;
}

static void handle_compositor_destroy(struct wl_listener *listener, void *data)
{
	struct sb_surface_dispatch *dispatch =
		wl_container_of(listener, dispatch, compositor_destroy);

	(void)data;
	wlr_log(WLR_DEBUG,
		"wl_surface dispatch: %" PRIu64 " surfaces by switch, %" PRIu64 " through libffi",
		dispatch->dispatched, dispatch->kept);
	wl_list_remove(&dispatch->new_surface.link);
	wl_list_remove(&dispatch->compositor_destroy.link);
	free(dispatch);
}

bool sb_surface_dispatch_create(struct wlr_compositor *compositor)
{
	const char *env = getenv("SB_WL_DISPATCH");
	struct sb_surface_dispatch *dispatch;

	if (env && env[0] == '0') {
		wlr_log(WLR_INFO, "SB_WL_DISPATCH=0: wl_surface requests go through libffi");
		return true;
	}
	dispatch = calloc(1, sizeof(*dispatch));
	if (!dispatch)
		return false;
	dispatch->new_surface.notify = handle_new_surface;
	wl_signal_add(&compositor->events.new_surface, &dispatch->new_surface);
	dispatch->compositor_destroy.notify = handle_compositor_destroy;
	wl_signal_add(&compositor->events.destroy, &dispatch->compositor_destroy);
	return true;
}
