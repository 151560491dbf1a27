// SPDX-License-Identifier: MIT
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <wayland-client.h>

#include "linux-drm-syncobj-v1-client-protocol.h"
#include "linux-explicit-synchronization-unstable-v1-client-protocol.h"
#include "tc_buffer.h"
#include "tc_client.h"
#include "tc_surface.h"
#include "xdg-shell-client-protocol.h"

static void xdg_surface_configure(void *data, struct xdg_surface *xdg_surface, uint32_t serial)
{
	struct tc_surface *surface = data;

	xdg_surface_ack_configure(xdg_surface, serial);
	if (surface->configured && surface->commit_on_configure)
		wl_surface_commit(surface->surface);
	surface->configured = true;
}

static const struct xdg_surface_listener xdg_surface_listener = {
	.configure = xdg_surface_configure,
};

static void toplevel_configure(void *data, struct xdg_toplevel *toplevel, int32_t w, int32_t h,
			       struct wl_array *states)
{
}

static void toplevel_close(void *data, struct xdg_toplevel *toplevel)
{
}

const struct xdg_toplevel_listener tc_toplevel_listener = {
	.configure = toplevel_configure,
	.close = toplevel_close,
};

struct tc_surface *tc_surface_create(struct tc_client *client)
{
	struct tc_surface *surface = calloc(1, sizeof(*surface));

	if (!surface)
		return NULL;
	surface->client = client;
	surface->surface = wl_compositor_create_surface(client->compositor);
	surface->xdg_surface = xdg_wm_base_get_xdg_surface(client->wm_base, surface->surface);
	xdg_surface_add_listener(surface->xdg_surface, &xdg_surface_listener, surface);
	surface->toplevel = xdg_surface_get_toplevel(surface->xdg_surface);
	xdg_toplevel_add_listener(surface->toplevel, &tc_toplevel_listener, surface);
	/* xdg-shell: the first commit, without a buffer, asks for the initial configure. */
	wl_surface_commit(surface->surface);
	if (!tc_client_wait(client, &surface->configured, TC_CONFIGURE_MS)) {
		printf("# no xdg_surface.configure within %d ms\n", TC_CONFIGURE_MS);
		tc_surface_destroy(surface);
		return NULL;
	}
	return surface;
}

struct tc_surface *tc_subsurface_create(struct tc_client *client, struct tc_surface *parent, int x,
					int y)
{
	struct tc_surface *surface = calloc(1, sizeof(*surface));

	if (!surface)
		return NULL;
	surface->client = client;
	surface->surface = wl_compositor_create_surface(client->compositor);
	surface->subsurface = wl_subcompositor_get_subsurface(client->subcompositor,
							      surface->surface, parent->surface);
	wl_subsurface_set_position(surface->subsurface, x, y);
	wl_subsurface_set_sync(surface->subsurface);
	return surface;
}

void tc_surface_destroy_wl_surface(struct tc_surface *surface)
{
	for (int i = 0; i < TC_MAX_FRAMES; i++)
		tc_frame_finish(&surface->frames[i]);
	if (surface->subsurface)
		wl_subsurface_destroy(surface->subsurface);
	if (surface->toplevel)
		xdg_toplevel_destroy(surface->toplevel);
	if (surface->xdg_surface)
		xdg_surface_destroy(surface->xdg_surface);
	if (surface->surface)
		wl_surface_destroy(surface->surface);
	surface->subsurface = NULL;
	surface->toplevel = NULL;
	surface->xdg_surface = NULL;
	surface->surface = NULL;
	wl_display_flush(surface->client->display);
}

void tc_surface_destroy(struct tc_surface *surface)
{
	if (!surface)
		return;
	for (int i = 0; i < 2; i++) {
		if (surface->explicit_sync[i])
			zwp_linux_surface_synchronization_v1_destroy(surface->explicit_sync[i]);
		if (surface->syncobj[i])
			wp_linux_drm_syncobj_surface_v1_destroy(surface->syncobj[i]);
	}
	tc_surface_destroy_wl_surface(surface);
	free(surface);
}

void tc_surface_attach(struct tc_surface *surface, struct tc_buffer *buffer)
{
	if (buffer)
		buffer->released = false;
	wl_surface_attach(surface->surface, buffer ? buffer->buffer : NULL, 0, 0);
	wl_surface_damage_buffer(surface->surface, 0, 0, INT32_MAX, INT32_MAX);
}

void tc_surface_commit(struct tc_surface *surface, bool *frame_done)
{
	for (int i = 0; frame_done && i < TC_MAX_FRAMES; i++) {
		if (surface->frames[i].callback)
			continue;
		tc_frame_request(&surface->frames[i], surface->surface, frame_done);
		break;
	}
	wl_surface_commit(surface->surface);
	wl_display_flush(surface->client->display);
}

void tc_surface_show(struct tc_surface *surface, struct tc_buffer *buffer, bool *frame_done)
{
	if (buffer)
		tc_surface_attach(surface, buffer);
	tc_surface_commit(surface, frame_done);
}

int tc_surface_frames_in(struct tc_surface *surface, struct tc_buffer *buffer, int ms)
{
	uint64_t end = tc_now_ms() + (uint64_t)ms;
	int frames = 0;

	while (tc_now_ms() < end) {
		bool done = false;

		tc_surface_show(surface, buffer, &done);
		if (!tc_client_wait(surface->client, &done, 1000))
			break;
		frames++;
	}
	return frames;
}
