// SPDX-License-Identifier: MIT
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <drm_fourcc.h>
#include <wayland-client.h>

#include <syncbridge/syncobj.h>

#include "kdev.h"
#include "linux-dmabuf-unstable-v1-client-protocol.h"
#include "linux-drm-syncobj-v1-client-protocol.h"
#include "syncobj_client.h"
#include "wl_client.h"
#include "xdg-shell-client-protocol.h"

struct so_client {
	struct wl_display *display;
	struct wl_registry *registry;
	struct wl_compositor *compositor;
	struct wl_shm *shm;
	struct xdg_wm_base *wm_base;
	struct zwp_linux_dmabuf_v1 *dmabuf;
	struct wp_linux_drm_syncobj_manager_v1 *manager;
	struct wp_linux_drm_syncobj_timeline_v1 *raw_timeline; /* so_client_import_fd */
};

#define MAX_FRAMES 8

struct frame {
	struct wl_callback *callback;
	bool *flag;
};

struct so_surface {
	struct so_client *client;
	struct frame frames[MAX_FRAMES];
	struct wl_surface *surface;
	struct xdg_surface *xdg_surface;
	struct xdg_toplevel *toplevel;
	struct wp_linux_drm_syncobj_surface_v1 *syncobj[2]; /* a second one for surface_exists */
	bool configured;
};

struct so_buffer {
	struct wl_buffer *buffer;
	int fd;
};

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void wm_base_ping(void *data, struct xdg_wm_base *wm_base, uint32_t serial)
{
	xdg_wm_base_pong(wm_base, serial);
}

static const struct xdg_wm_base_listener wm_base_listener = {.ping = wm_base_ping};

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
		xdg_wm_base_add_listener(client->wm_base, &wm_base_listener, client);
	} else if (strcmp(iface, zwp_linux_dmabuf_v1_interface.name) == 0 && version >= 3) {
		client->dmabuf =
			wl_registry_bind(registry, name, &zwp_linux_dmabuf_v1_interface, 3);
	} else if (strcmp(iface, wp_linux_drm_syncobj_manager_v1_interface.name) == 0) {
		client->manager = wl_registry_bind(registry, name,
						   &wp_linux_drm_syncobj_manager_v1_interface, 1);
	}
}

static void registry_global_remove(void *data, struct wl_registry *registry, uint32_t name)
{
}

static const struct wl_registry_listener registry_listener = {
	.global = registry_global,
	.global_remove = registry_global_remove,
};

struct so_client *so_client_connect(const struct sb_compositor *comp)
{
	struct so_client *client = calloc(1, sizeof(*client));
	char path[400];

	if (!client)
		return NULL;
	snprintf(path, sizeof(path), "%s/%s", comp->runtime_dir, comp->socket);
	client->display = wl_display_connect(path);
	if (!client->display) {
		free(client);
		return NULL;
	}
	client->registry = wl_display_get_registry(client->display);
	wl_registry_add_listener(client->registry, &registry_listener, client);
	wl_display_roundtrip(client->display);
	if (!client->compositor || !client->shm || !client->wm_base || !client->dmabuf ||
	    !client->manager) {
		fprintf(stderr,
			"so_client_connect: %s: a global is missing (compositor %d, shm %d, "
			"xdg_wm_base %d, linux-dmabuf v3+ %d, wp_linux_drm_syncobj_manager_v1 "
			"%d)\n",
			path, !!client->compositor, !!client->shm, !!client->wm_base,
			!!client->dmabuf, !!client->manager);
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
	wl_registry_destroy(client->registry);
	wl_display_disconnect(client->display);
	free(client);
}

bool so_client_wait(struct so_client *client, const bool *flag, int timeout_ms)
{
	uint64_t deadline = now_ms() + (uint64_t)timeout_ms;
	struct pollfd pfd = {.fd = wl_display_get_fd(client->display), .events = POLLIN};

	while (!(flag && *flag)) {
		int64_t left = (int64_t)deadline - (int64_t)now_ms();

		if (wl_display_dispatch_pending(client->display) < 0)
			return false;
		if (flag && *flag)
			break;
		if (left <= 0)
			return false;
		if (wl_display_flush(client->display) < 0 && errno != EAGAIN)
			return false;
		if (wl_display_prepare_read(client->display) != 0)
			continue;
		if (poll(&pfd, 1, (int)left) > 0) {
			if (wl_display_read_events(client->display) < 0)
				return false;
		} else {
			wl_display_cancel_read(client->display);
		}
	}
	return true;
}

bool so_client_roundtrip(struct so_client *client)
{
	return wl_display_roundtrip(client->display) >= 0;
}

uint32_t so_client_error(struct so_client *client, const char **iface)
{
	const struct wl_interface *interface = NULL;
	uint32_t id, code;

	if (wl_display_get_error(client->display) != EPROTO)
		return 0;
	code = wl_display_get_protocol_error(client->display, &interface, &id);
	if (iface)
		*iface = interface ? interface->name : "?";
	return code;
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

static void xdg_surface_configure(void *data, struct xdg_surface *xdg_surface, uint32_t serial)
{
	struct so_surface *surface = data;

	xdg_surface_ack_configure(xdg_surface, serial);
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

static const struct xdg_toplevel_listener toplevel_listener = {
	.configure = toplevel_configure,
	.close = toplevel_close,
};

struct so_surface *so_surface_create(struct so_client *client)
{
	struct so_surface *surface = calloc(1, sizeof(*surface));

	if (!surface)
		return NULL;
	surface->client = client;
	surface->surface = wl_compositor_create_surface(client->compositor);
	surface->xdg_surface = xdg_wm_base_get_xdg_surface(client->wm_base, surface->surface);
	xdg_surface_add_listener(surface->xdg_surface, &xdg_surface_listener, surface);
	surface->toplevel = xdg_surface_get_toplevel(surface->xdg_surface);
	xdg_toplevel_add_listener(surface->toplevel, &toplevel_listener, surface);
	wl_surface_commit(surface->surface);
	if (!so_client_wait(client, &surface->configured, 5000)) {
		so_surface_destroy(surface);
		return NULL;
	}
	return surface;
}

void so_surface_destroy_wl_surface(struct so_surface *surface)
{
	for (int i = 0; i < MAX_FRAMES; i++) {
		if (surface->frames[i].callback)
			wl_callback_destroy(surface->frames[i].callback);
		surface->frames[i].callback = NULL;
	}
	if (surface->toplevel)
		xdg_toplevel_destroy(surface->toplevel);
	if (surface->xdg_surface)
		xdg_surface_destroy(surface->xdg_surface);
	if (surface->surface)
		wl_surface_destroy(surface->surface);
	surface->toplevel = NULL;
	surface->xdg_surface = NULL;
	surface->surface = NULL;
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
									  surface->surface);
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

static void frame_done(void *data, struct wl_callback *callback, uint32_t time)
{
	struct frame *frame = data;

	*frame->flag = true;
	wl_callback_destroy(callback);
	frame->callback = NULL;
}

static const struct wl_callback_listener frame_listener = {.done = frame_done};

void so_surface_commit(struct so_surface *surface, enum so_attach attach, struct so_buffer *buffer,
		       bool *frame_flag)
{
	if (attach != SO_ATTACH_NONE) {
		wl_surface_attach(surface->surface,
				  attach == SO_ATTACH_BUFFER ? buffer->buffer : NULL, 0, 0);
		wl_surface_damage_buffer(surface->surface, 0, 0, INT32_MAX, INT32_MAX);
	}
	for (int i = 0; frame_flag && i < MAX_FRAMES; i++) {
		struct frame *frame = &surface->frames[i];

		if (frame->callback)
			continue;
		*frame_flag = false;
		frame->flag = frame_flag;
		frame->callback = wl_surface_frame(surface->surface);
		wl_callback_add_listener(frame->callback, &frame_listener, frame);
		break;
	}
	wl_surface_commit(surface->surface);
	wl_display_flush(surface->client->display);
}

static int fill(int fd, size_t size, uint32_t rgb)
{
	uint32_t *map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);

	if (map == MAP_FAILED)
		return -1;
	for (size_t i = 0; i < size / 4; i++)
		map[i] = 0xff000000u | rgb;
	munmap(map, size);
	return 0;
}

struct so_buffer *so_dmabuf_buffer_create(struct so_client *client, int width, int height,
					  uint32_t rgb)
{
	size_t size = (size_t)width * (size_t)height * 4;
	struct zwp_linux_buffer_params_v1 *params;
	struct so_buffer *buffer = calloc(1, sizeof(*buffer));

	if (!buffer)
		return NULL;
	/* udmabuf sizes are whole pages. */
	buffer->fd = sb_udmabuf_create((size + 4095) & ~(size_t)4095);
	if (buffer->fd < 0 || fill(buffer->fd, size, rgb) < 0) {
		so_buffer_destroy(buffer);
		return NULL;
	}
	params = zwp_linux_dmabuf_v1_create_params(client->dmabuf);
	zwp_linux_buffer_params_v1_add(params, buffer->fd, 0, 0, (uint32_t)width * 4,
				       DRM_FORMAT_MOD_LINEAR >> 32,
				       DRM_FORMAT_MOD_LINEAR & 0xffffffff);
	buffer->buffer = zwp_linux_buffer_params_v1_create_immed(params, width, height,
								 DRM_FORMAT_XRGB8888, 0);
	zwp_linux_buffer_params_v1_destroy(params);
	return buffer;
}

struct so_buffer *so_shm_buffer_create(struct so_client *client, int width, int height,
				       uint32_t rgb)
{
	size_t size = (size_t)width * (size_t)height * 4;
	struct so_buffer *buffer = calloc(1, sizeof(*buffer));
	struct wl_shm_pool *pool;

	if (!buffer)
		return NULL;
	buffer->fd = memfd_create("so-shm", MFD_CLOEXEC);
	if (buffer->fd < 0 || ftruncate(buffer->fd, (off_t)size) < 0 ||
	    fill(buffer->fd, size, rgb) < 0) {
		so_buffer_destroy(buffer);
		return NULL;
	}
	pool = wl_shm_create_pool(client->shm, buffer->fd, (int32_t)size);
	buffer->buffer = wl_shm_pool_create_buffer(pool, 0, width, height, width * 4,
						   WL_SHM_FORMAT_XRGB8888);
	wl_shm_pool_destroy(pool);
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
