// SPDX-License-Identifier: MIT
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <drm_fourcc.h>
#include <wayland-client.h>

#include "explicit_client.h"
#include "linux-dmabuf-unstable-v1-client-protocol.h"
#include "linux-explicit-synchronization-unstable-v1-client-protocol.h"
#include "wl_client.h"
#include "xdg-shell-client-protocol.h"

struct ex_client {
	struct wl_display *display;
	struct wl_compositor *compositor;
	struct wl_shm *shm;
	struct xdg_wm_base *wm_base;
	struct zwp_linux_dmabuf_v1 *dmabuf;
	struct zwp_linux_explicit_synchronization_v1 *explicit_sync;
	uint32_t explicit_version;
	int releases_seen;
};

#define MAX_SYNCS 2

struct ex_surface {
	struct ex_client *client;
	struct sb_toplevel xdg;
	/* Two, so that a test can ask for a second one (synchronization_exists). */
	struct zwp_linux_surface_synchronization_v1 *syncs[MAX_SYNCS];
	struct sb_frame frames[SB_MAX_FRAMES];
};

struct ex_buffer {
	struct wl_buffer *buffer;
	int dmabuf_fd;
};

static void registry_global(void *data, struct wl_registry *registry, uint32_t name,
			    const char *iface, uint32_t version)
{
	struct ex_client *client = data;

	if (strcmp(iface, wl_compositor_interface.name) == 0) {
		client->compositor = wl_registry_bind(registry, name, &wl_compositor_interface, 4);
	} else if (strcmp(iface, wl_shm_interface.name) == 0) {
		client->shm = wl_registry_bind(registry, name, &wl_shm_interface, 1);
	} else if (strcmp(iface, xdg_wm_base_interface.name) == 0) {
		client->wm_base = wl_registry_bind(registry, name, &xdg_wm_base_interface, 1);
		sb_wm_base_add_listener(client->wm_base);
	} else if (strcmp(iface, zwp_linux_dmabuf_v1_interface.name) == 0 && version >= 3) {
		client->dmabuf =
			wl_registry_bind(registry, name, &zwp_linux_dmabuf_v1_interface, 3);
	} else if (strcmp(iface, zwp_linux_explicit_synchronization_v1_interface.name) == 0) {
		client->explicit_version = version;
		client->explicit_sync = wl_registry_bind(
			registry, name, &zwp_linux_explicit_synchronization_v1_interface,
			version < 2 ? version : 2);
	}
}

struct ex_client *ex_client_connect(const struct sb_compositor *comp)
{
	struct ex_client *client = calloc(1, sizeof(*client));

	if (!client)
		return NULL;
	client->display = sb_display_connect(comp);
	if (!client->display) {
		free(client);
		return NULL;
	}
	sb_display_bind_globals(client->display, registry_global, client);
	if (!client->compositor || !client->shm || !client->wm_base || !client->dmabuf) {
		fprintf(stderr, "ex_client_connect: %s/%s: a core global is missing\n",
			comp->runtime_dir, comp->socket);
		ex_client_destroy(client);
		return NULL;
	}
	return client;
}

void ex_client_destroy(struct ex_client *client)
{
	if (!client)
		return;
	if (client->explicit_sync)
		zwp_linux_explicit_synchronization_v1_destroy(client->explicit_sync);
	if (client->dmabuf)
		zwp_linux_dmabuf_v1_destroy(client->dmabuf);
	if (client->wm_base)
		xdg_wm_base_destroy(client->wm_base);
	if (client->shm)
		wl_shm_destroy(client->shm);
	if (client->compositor)
		wl_compositor_destroy(client->compositor);
	wl_display_disconnect(client->display);
	free(client);
}

uint32_t ex_client_explicit_version(const struct ex_client *client)
{
	return client->explicit_version;
}

bool ex_client_wait(struct ex_client *client, const bool *flag, int timeout_ms)
{
	return sb_display_wait(client->display, flag, timeout_ms);
}

bool ex_client_wait_release(struct ex_client *client, const struct ex_release *release,
			    int timeout_ms)
{
	return ex_client_wait(client, &release->answered, timeout_ms);
}

bool ex_client_roundtrip(struct ex_client *client)
{
	return wl_display_roundtrip(client->display) >= 0;
}

uint32_t ex_client_error(struct ex_client *client, const char **iface)
{
	return sb_display_error(client->display, iface);
}

struct ex_surface *ex_surface_create(struct ex_client *client)
{
	struct ex_surface *surface = calloc(1, sizeof(*surface));

	if (!surface)
		return NULL;
	surface->client = client;
	if (!sb_toplevel_init(&surface->xdg, client->display, client->compositor,
			      client->wm_base)) {
		ex_surface_destroy(surface);
		return NULL;
	}
	return surface;
}

void ex_surface_destroy_wl_surface(struct ex_surface *surface)
{
	sb_frames_cancel(surface->frames);
	sb_toplevel_finish(&surface->xdg);
	wl_display_flush(surface->client->display);
}

void ex_surface_destroy(struct ex_surface *surface)
{
	if (!surface)
		return;
	ex_surface_destroy_synchronization(surface);
	ex_surface_destroy_wl_surface(surface);
	free(surface);
}

void ex_surface_get_synchronization(struct ex_surface *surface)
{
	for (int i = 0; i < MAX_SYNCS; i++) {
		if (surface->syncs[i])
			continue;
		surface->syncs[i] = zwp_linux_explicit_synchronization_v1_get_synchronization(
			surface->client->explicit_sync, surface->xdg.surface);
		return;
	}
}

void ex_surface_destroy_synchronization(struct ex_surface *surface)
{
	for (int i = 0; i < MAX_SYNCS; i++) {
		if (surface->syncs[i])
			zwp_linux_surface_synchronization_v1_destroy(surface->syncs[i]);
		surface->syncs[i] = NULL;
	}
}

void ex_surface_set_acquire_fence(struct ex_surface *surface, int fd)
{
	/* libwayland sends a duplicate of fd. */
	zwp_linux_surface_synchronization_v1_set_acquire_fence(surface->syncs[0], fd);
}

static void release_fenced(void *data, struct zwp_linux_buffer_release_v1 *proxy, int32_t fence)
{
	struct ex_release *release = data;

	release->state = EX_RELEASE_FENCED;
	release->answered = true;
	release->fence_fd = fence;
	release->order = ++release->client->releases_seen;
	zwp_linux_buffer_release_v1_destroy(proxy);
	release->proxy = NULL;
}

static void release_immediate(void *data, struct zwp_linux_buffer_release_v1 *proxy)
{
	struct ex_release *release = data;

	release->state = EX_RELEASE_IMMEDIATE;
	release->answered = true;
	release->order = ++release->client->releases_seen;
	zwp_linux_buffer_release_v1_destroy(proxy);
	release->proxy = NULL;
}

static const struct zwp_linux_buffer_release_v1_listener release_listener = {
	.fenced_release = release_fenced,
	.immediate_release = release_immediate,
};

struct ex_release *ex_surface_get_release(struct ex_surface *surface)
{
	struct ex_release *release = calloc(1, sizeof(*release));

	if (!release)
		return NULL;
	release->client = surface->client;
	release->fence_fd = -1;
	release->proxy = zwp_linux_surface_synchronization_v1_get_release(surface->syncs[0]);
	zwp_linux_buffer_release_v1_add_listener(release->proxy, &release_listener, release);
	return release;
}

void ex_release_destroy(struct ex_release *release)
{
	if (!release)
		return;
	if (release->proxy)
		zwp_linux_buffer_release_v1_destroy(release->proxy);
	if (release->fence_fd >= 0)
		close(release->fence_fd);
	free(release);
}

void ex_surface_attach(struct ex_surface *surface, struct ex_buffer *buffer)
{
	wl_surface_attach(surface->xdg.surface, buffer ? buffer->buffer : NULL, 0, 0);
	wl_surface_damage_buffer(surface->xdg.surface, 0, 0, INT32_MAX, INT32_MAX);
}

void ex_surface_commit(struct ex_surface *surface, bool *frame_flag)
{
	if (frame_flag)
		sb_frame_request(surface->frames, surface->xdg.surface, frame_flag);
	wl_surface_commit(surface->xdg.surface);
	wl_display_flush(surface->client->display);
}

struct ex_buffer *ex_buffer_create_dmabuf(struct ex_client *client, int width, int height,
					  uint32_t rgb)
{
	struct ex_buffer *buffer = calloc(1, sizeof(*buffer));

	if (!buffer)
		return NULL;
	buffer->dmabuf_fd =
		sb_udmabuf_create_filled((size_t)width * (size_t)height * 4, 0xff000000u | rgb);
	if (buffer->dmabuf_fd < 0) {
		free(buffer);
		return NULL;
	}
	buffer->buffer =
		sb_dmabuf_wl_buffer_create(client->dmabuf, buffer->dmabuf_fd, width, height,
					   (uint32_t)width * 4, DRM_FORMAT_XRGB8888);
	return buffer;
}

struct ex_buffer *ex_buffer_create_shm(struct ex_client *client, int width, int height,
				       uint32_t rgb)
{
	size_t size = (size_t)width * (size_t)height * 4;
	struct ex_buffer *buffer = calloc(1, sizeof(*buffer));
	int fd;

	if (!buffer)
		return NULL;
	buffer->dmabuf_fd = -1;
	fd = sb_memfd_create_filled(size, 0xff000000u | rgb);
	if (fd < 0) {
		free(buffer);
		return NULL;
	}
	buffer->buffer = sb_shm_wl_buffer_create(client->shm, fd, size, width, height,
						 (uint32_t)width * 4, WL_SHM_FORMAT_XRGB8888);
	close(fd);
	return buffer;
}

void ex_buffer_destroy(struct ex_buffer *buffer)
{
	if (!buffer)
		return;
	wl_buffer_destroy(buffer->buffer);
	if (buffer->dmabuf_fd >= 0)
		close(buffer->dmabuf_fd);
	free(buffer);
}

int ex_buffer_dmabuf_fd(const struct ex_buffer *buffer)
{
	return buffer->dmabuf_fd;
}
