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

#include "explicit_client.h"
#include "kdev.h"
#include "linux-dmabuf-unstable-v1-client-protocol.h"
#include "linux-explicit-synchronization-unstable-v1-client-protocol.h"
#include "wl_client.h"
#include "xdg-shell-client-protocol.h"

struct ex_client {
	struct wl_display *display;
	struct wl_registry *registry;
	struct wl_compositor *compositor;
	struct wl_shm *shm;
	struct xdg_wm_base *wm_base;
	struct zwp_linux_dmabuf_v1 *dmabuf;
	struct zwp_linux_explicit_synchronization_v1 *explicit_sync;
	uint32_t explicit_version;
	int releases_seen;
};

#define MAX_FRAMES 8
#define MAX_SYNCS 2

struct frame {
	struct wl_callback *callback;
	bool *flag;
};

struct ex_surface {
	struct ex_client *client;
	struct wl_surface *surface;
	struct xdg_surface *xdg_surface;
	struct xdg_toplevel *toplevel;
	/* Two, so that a test can ask for a second one (synchronization_exists). */
	struct zwp_linux_surface_synchronization_v1 *syncs[MAX_SYNCS];
	struct frame frames[MAX_FRAMES];
	bool configured;
};

struct ex_buffer {
	struct wl_buffer *buffer;
	int dmabuf_fd;
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
	struct ex_client *client = data;

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
	} else if (strcmp(iface, zwp_linux_explicit_synchronization_v1_interface.name) == 0) {
		client->explicit_version = version;
		client->explicit_sync = wl_registry_bind(
			registry, name, &zwp_linux_explicit_synchronization_v1_interface,
			version < 2 ? version : 2);
	}
}

static void registry_global_remove(void *data, struct wl_registry *registry, uint32_t name)
{
}

static const struct wl_registry_listener registry_listener = {
	.global = registry_global,
	.global_remove = registry_global_remove,
};

struct ex_client *ex_client_connect(const struct sb_compositor *comp)
{
	struct ex_client *client = calloc(1, sizeof(*client));
	char path[400];

	if (!client)
		return NULL;
	snprintf(path, sizeof(path), "%s/%s", comp->runtime_dir, comp->socket);
	/* The socket file exists from bind(2) on, before listen(2): retry a refused connect. */
	for (int i = 0; i < 100; i++) {
		client->display = wl_display_connect(path);
		if (client->display || errno != ECONNREFUSED)
			break;
		usleep(20000);
	}
	if (!client->display) {
		free(client);
		return NULL;
	}
	client->registry = wl_display_get_registry(client->display);
	wl_registry_add_listener(client->registry, &registry_listener, client);
	wl_display_roundtrip(client->display);
	if (!client->compositor || !client->shm || !client->wm_base || !client->dmabuf) {
		fprintf(stderr, "ex_client_connect: %s: a core global is missing\n", path);
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
	wl_registry_destroy(client->registry);
	wl_display_disconnect(client->display);
	free(client);
}

uint32_t ex_client_explicit_version(const struct ex_client *client)
{
	return client->explicit_version;
}

bool ex_client_wait(struct ex_client *client, const bool *flag, int timeout_ms)
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
	const struct wl_interface *interface = NULL;
	uint32_t id, code;

	if (wl_display_get_error(client->display) != EPROTO)
		return 0;
	code = wl_display_get_protocol_error(client->display, &interface, &id);
	if (iface)
		*iface = interface ? interface->name : "?";
	return code;
}

static void xdg_surface_configure(void *data, struct xdg_surface *xdg_surface, uint32_t serial)
{
	struct ex_surface *surface = data;

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

struct ex_surface *ex_surface_create(struct ex_client *client)
{
	struct ex_surface *surface = calloc(1, sizeof(*surface));

	if (!surface)
		return NULL;
	surface->client = client;
	surface->surface = wl_compositor_create_surface(client->compositor);
	surface->xdg_surface = xdg_wm_base_get_xdg_surface(client->wm_base, surface->surface);
	xdg_surface_add_listener(surface->xdg_surface, &xdg_surface_listener, surface);
	surface->toplevel = xdg_surface_get_toplevel(surface->xdg_surface);
	xdg_toplevel_add_listener(surface->toplevel, &toplevel_listener, surface);
	wl_surface_commit(surface->surface);
	if (!ex_client_wait(client, &surface->configured, 5000)) {
		ex_surface_destroy(surface);
		return NULL;
	}
	return surface;
}

void ex_surface_destroy_wl_surface(struct ex_surface *surface)
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
			surface->client->explicit_sync, surface->surface);
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
	wl_surface_attach(surface->surface, buffer ? buffer->buffer : NULL, 0, 0);
	wl_surface_damage_buffer(surface->surface, 0, 0, INT32_MAX, INT32_MAX);
}

static void frame_done(void *data, struct wl_callback *callback, uint32_t time)
{
	struct frame *frame = data;

	*frame->flag = true;
	wl_callback_destroy(callback);
	frame->callback = NULL;
}

static const struct wl_callback_listener frame_listener = {.done = frame_done};

void ex_surface_commit(struct ex_surface *surface, bool *frame_flag)
{
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

static bool fill(int fd, size_t size, uint32_t rgb)
{
	uint32_t *map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);

	if (map == MAP_FAILED)
		return false;
	for (size_t i = 0; i < size / 4; i++)
		map[i] = 0xff000000u | rgb;
	munmap(map, size);
	return true;
}

struct ex_buffer *ex_buffer_create_dmabuf(struct ex_client *client, int width, int height,
					  uint32_t rgb)
{
	size_t size = (size_t)width * (size_t)height * 4;
	struct zwp_linux_buffer_params_v1 *params;
	struct ex_buffer *buffer = calloc(1, sizeof(*buffer));

	if (!buffer)
		return NULL;
	/* udmabuf sizes are whole pages. */
	buffer->dmabuf_fd = sb_udmabuf_create((size + 4095) & ~(size_t)4095);
	if (buffer->dmabuf_fd < 0 || !fill(buffer->dmabuf_fd, size, rgb)) {
		if (buffer->dmabuf_fd >= 0)
			close(buffer->dmabuf_fd);
		free(buffer);
		return NULL;
	}
	params = zwp_linux_dmabuf_v1_create_params(client->dmabuf);
	zwp_linux_buffer_params_v1_add(params, buffer->dmabuf_fd, 0, 0, (uint32_t)width * 4,
				       DRM_FORMAT_MOD_LINEAR >> 32,
				       DRM_FORMAT_MOD_LINEAR & 0xffffffff);
	buffer->buffer = zwp_linux_buffer_params_v1_create_immed(params, width, height,
								 DRM_FORMAT_XRGB8888, 0);
	zwp_linux_buffer_params_v1_destroy(params);
	return buffer;
}

struct ex_buffer *ex_buffer_create_shm(struct ex_client *client, int width, int height,
				       uint32_t rgb)
{
	size_t size = (size_t)width * (size_t)height * 4;
	struct ex_buffer *buffer = calloc(1, sizeof(*buffer));
	struct wl_shm_pool *pool;
	int fd;

	if (!buffer)
		return NULL;
	buffer->dmabuf_fd = -1;
	fd = memfd_create("ex-shm", MFD_CLOEXEC);
	if (fd < 0 || ftruncate(fd, (off_t)size) < 0 || !fill(fd, size, rgb)) {
		if (fd >= 0)
			close(fd);
		free(buffer);
		return NULL;
	}
	pool = wl_shm_create_pool(client->shm, fd, (int32_t)size);
	buffer->buffer = wl_shm_pool_create_buffer(pool, 0, width, height, width * 4,
						   WL_SHM_FORMAT_XRGB8888);
	wl_shm_pool_destroy(pool);
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
