// SPDX-License-Identifier: MIT
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <drm_fourcc.h>
#include <wayland-client.h>

#include <syncbridge/syncobj.h>

#include "linux-dmabuf-unstable-v1-client-protocol.h"
#include "linux-drm-syncobj-v1-client-protocol.h"
#include "syncobj_client.h"
#include "wl_client.h"
#include "xdg-shell-client-protocol.h"

struct so_client {
	struct wl_display *display;
	struct wl_compositor *compositor;
	struct wl_shm *shm;
	struct xdg_wm_base *wm_base;
	struct zwp_linux_dmabuf_v1 *dmabuf;
	struct wp_linux_drm_syncobj_manager_v1 *manager;
	struct wp_linux_drm_syncobj_timeline_v1 *raw_timeline; /* so_client_import_fd */
};

struct so_surface {
	struct so_client *client;
	struct sb_frame frames[SB_MAX_FRAMES];
	struct sb_toplevel xdg;
	struct wp_linux_drm_syncobj_surface_v1 *syncobj[2]; /* a second one for surface_exists */
};

struct so_buffer {
	struct wl_buffer *buffer;
	int fd;
};

static void registry_global(void *data, struct wl_registry *registry, uint32_t name,
			    const char *iface, uint32_t version)
{
	struct so_client *client = data;

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
	} else if (strcmp(iface, wp_linux_drm_syncobj_manager_v1_interface.name) == 0) {
		client->manager = wl_registry_bind(registry, name,
						   &wp_linux_drm_syncobj_manager_v1_interface, 1);
	}
}

struct so_client *so_client_connect(const struct sb_compositor *comp)
{
	struct so_client *client = calloc(1, sizeof(*client));

	if (!client)
		return NULL;
	client->display = sb_display_connect(comp);
	if (!client->display) {
		free(client);
		return NULL;
	}
	sb_display_bind_globals(client->display, registry_global, client);
	if (!client->compositor || !client->shm || !client->wm_base || !client->dmabuf ||
	    !client->manager) {
		fprintf(stderr,
			"so_client_connect: %s/%s: a global is missing (compositor %d, shm %d, "
			"xdg_wm_base %d, linux-dmabuf v3+ %d, wp_linux_drm_syncobj_manager_v1 "
			"%d)\n",
			comp->runtime_dir, comp->socket, !!client->compositor, !!client->shm,
			!!client->wm_base, !!client->dmabuf, !!client->manager);
		so_client_destroy(client);
		return NULL;
	}
	return client;
}

void so_client_destroy(struct so_client *client)
{
	if (!client)
		return;
	if (client->raw_timeline)
		wp_linux_drm_syncobj_timeline_v1_destroy(client->raw_timeline);
	if (client->manager)
		wp_linux_drm_syncobj_manager_v1_destroy(client->manager);
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

bool so_client_wait(struct so_client *client, const bool *flag, int timeout_ms)
{
	return sb_display_wait(client->display, flag, timeout_ms);
}

bool so_client_roundtrip(struct so_client *client)
{
	return wl_display_roundtrip(client->display) >= 0;
}

uint32_t so_client_error(struct so_client *client, const char **iface)
{
	return sb_display_error(client->display, iface);
}

static struct so_timeline *timeline_import(struct so_client *client, struct sb_syncobj *syncobj,
					   bool owned)
{
	struct so_timeline *timeline = calloc(1, sizeof(*timeline));
	int fd = syncobj ? sb_syncobj_export(syncobj) : -1;

	if (!timeline || fd < 0) {
		if (owned)
			sb_syncobj_destroy(syncobj);
		if (fd >= 0)
			close(fd);
		free(timeline);
		return NULL;
	}
	timeline->syncobj = syncobj;
	timeline->owned = owned;
	timeline->proxy = wp_linux_drm_syncobj_manager_v1_import_timeline(client->manager, fd);
	/* libwayland dups the fd into the message. */
	close(fd);
	wl_display_flush(client->display);
	return timeline;
}

struct so_timeline *so_timeline_create(struct so_client *client, int drm_fd)
{
	return timeline_import(client, sb_syncobj_create(drm_fd), true);
}

struct so_timeline *so_timeline_share(struct so_client *client, struct sb_syncobj *syncobj)
{
	return timeline_import(client, syncobj, false);
}

void so_timeline_destroy_proxy(struct so_timeline *timeline)
{
	if (!timeline || !timeline->proxy)
		return;
	wp_linux_drm_syncobj_timeline_v1_destroy(timeline->proxy);
	timeline->proxy = NULL;
}

void so_timeline_destroy(struct so_timeline *timeline)
{
	if (!timeline)
		return;
	so_timeline_destroy_proxy(timeline);
	if (timeline->owned)
		sb_syncobj_destroy(timeline->syncobj);
	free(timeline);
}

void so_client_import_fd(struct so_client *client, int fd)
{
	client->raw_timeline = wp_linux_drm_syncobj_manager_v1_import_timeline(client->manager, fd);
	wl_display_flush(client->display);
}

struct so_surface *so_surface_create(struct so_client *client)
{
	struct so_surface *surface = calloc(1, sizeof(*surface));

	if (!surface)
		return NULL;
	surface->client = client;
	if (!sb_toplevel_init(&surface->xdg, client->display, client->compositor,
			      client->wm_base)) {
		so_surface_destroy(surface);
		return NULL;
	}
	return surface;
}

void so_surface_destroy_wl_surface(struct so_surface *surface)
{
	sb_frames_cancel(surface->frames);
	sb_toplevel_finish(&surface->xdg);
	wl_display_flush(surface->client->display);
}

void so_surface_destroy(struct so_surface *surface)
{
	if (!surface)
		return;
	for (int i = 0; i < 2; i++)
		if (surface->syncobj[i])
			wp_linux_drm_syncobj_surface_v1_destroy(surface->syncobj[i]);
	so_surface_destroy_wl_surface(surface);
	free(surface);
}

void so_surface_get_syncobj(struct so_surface *surface)
{
	int i = surface->syncobj[0] ? 1 : 0;

	surface->syncobj[i] = wp_linux_drm_syncobj_manager_v1_get_surface(surface->client->manager,
									  surface->xdg.surface);
	wl_display_flush(surface->client->display);
}

void so_surface_set_acquire(struct so_surface *surface, struct so_timeline *timeline,
			    uint64_t point)
{
	wp_linux_drm_syncobj_surface_v1_set_acquire_point(surface->syncobj[0], timeline->proxy,
							  (uint32_t)(point >> 32), (uint32_t)point);
}

void so_surface_set_release(struct so_surface *surface, struct so_timeline *timeline,
			    uint64_t point)
{
	wp_linux_drm_syncobj_surface_v1_set_release_point(surface->syncobj[0], timeline->proxy,
							  (uint32_t)(point >> 32), (uint32_t)point);
}

void so_surface_commit(struct so_surface *surface, enum so_attach attach, struct so_buffer *buffer,
		       bool *frame_flag)
{
	if (attach != SO_ATTACH_NONE) {
		wl_surface_attach(surface->xdg.surface,
				  attach == SO_ATTACH_BUFFER ? buffer->buffer : NULL, 0, 0);
		wl_surface_damage_buffer(surface->xdg.surface, 0, 0, INT32_MAX, INT32_MAX);
	}
	if (frame_flag)
		sb_frame_request(surface->frames, surface->xdg.surface, frame_flag);
	wl_surface_commit(surface->xdg.surface);
	wl_display_flush(surface->client->display);
}

struct so_buffer *so_dmabuf_buffer_create(struct so_client *client, int width, int height,
					  uint32_t rgb)
{
	struct so_buffer *buffer = calloc(1, sizeof(*buffer));

	if (!buffer)
		return NULL;
	buffer->fd =
		sb_udmabuf_create_filled((size_t)width * (size_t)height * 4, 0xff000000u | rgb);
	if (buffer->fd < 0) {
		so_buffer_destroy(buffer);
		return NULL;
	}
	buffer->buffer = sb_dmabuf_wl_buffer_create(client->dmabuf, buffer->fd, width, height,
						    (uint32_t)width * 4, DRM_FORMAT_XRGB8888);
	return buffer;
}

struct so_buffer *so_shm_buffer_create(struct so_client *client, int width, int height,
				       uint32_t rgb)
{
	size_t size = (size_t)width * (size_t)height * 4;
	struct so_buffer *buffer = calloc(1, sizeof(*buffer));

	if (!buffer)
		return NULL;
	buffer->fd = sb_memfd_create_filled(size, 0xff000000u | rgb);
	if (buffer->fd < 0) {
		so_buffer_destroy(buffer);
		return NULL;
	}
	buffer->buffer = sb_shm_wl_buffer_create(client->shm, buffer->fd, size, width, height,
						 (uint32_t)width * 4, WL_SHM_FORMAT_XRGB8888);
	return buffer;
}

void so_buffer_destroy(struct so_buffer *buffer)
{
	if (!buffer)
		return;
	if (buffer->buffer)
		wl_buffer_destroy(buffer->buffer);
	if (buffer->fd >= 0)
		close(buffer->fd);
	free(buffer);
}
