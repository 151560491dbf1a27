// SPDX-License-Identifier: MIT
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <drm_fourcc.h>

#include "client.h"
#include "kdev.h"
#include "linux-dmabuf-unstable-v1-client-protocol.h"
#include "xdg-shell-client-protocol.h"

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void wm_base_ping(void *data, struct xdg_wm_base *wm_base, uint32_t serial)
{
	xdg_wm_base_pong(wm_base, serial);
}

static const struct xdg_wm_base_listener wm_base_listener = {.ping = wm_base_ping};

static void registry_global(void *data, struct wl_registry *registry, uint32_t name,
			    const char *iface, uint32_t version)
{
	struct sc_client *client = data;
	struct sc_global *global;

	if (client->n_globals == SC_MAX_GLOBALS)
		return;
	global = &client->globals[client->n_globals++];
	snprintf(global->iface, sizeof(global->iface), "%s", iface);
	global->name = name;
	global->version = version;
}

static void registry_global_remove(void *data, struct wl_registry *registry, uint32_t name)
{
}

static const struct wl_registry_listener registry_listener = {
	.global = registry_global,
	.global_remove = registry_global_remove,
};

struct sc_client *sc_client_connect(void)
{
	struct sc_client *client = calloc(1, sizeof(*client));

	if (!client)
		return NULL;
	client->display = wl_display_connect(NULL);
	if (!client->display) {
		fprintf(stderr, "sb-conform: cannot connect to WAYLAND_DISPLAY=%s: %s\n",
			getenv("WAYLAND_DISPLAY") ? getenv("WAYLAND_DISPLAY") : "(unset)",
			strerror(errno));
		free(client);
		return NULL;
	}
	client->registry = wl_display_get_registry(client->display);
	wl_registry_add_listener(client->registry, &registry_listener, client);
	if (wl_display_roundtrip(client->display) < 0) {
		sc_client_destroy(client);
		return NULL;
	}
	/* wl_surface.damage_buffer is version 4. */
	client->compositor = sc_client_bind(client, &wl_compositor_interface, 4);
	client->shm = sc_client_bind(client, &wl_shm_interface, 1);
	client->wm_base = sc_client_bind(client, &xdg_wm_base_interface, 1);
	if (client->wm_base)
		xdg_wm_base_add_listener(client->wm_base, &wm_base_listener, client);
	if (!client->compositor || !client->wm_base) {
		fprintf(stderr, "sb-conform: no wl_compositor v4 or xdg_wm_base\n");
		sc_client_destroy(client);
		return NULL;
	}
	return client;
}

void sc_client_destroy(struct sc_client *client)
{
	if (!client)
		return;
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

uint32_t sc_client_global_version(const struct sc_client *client, const char *iface)
{
	for (int i = 0; i < client->n_globals; i++)
		if (strcmp(client->globals[i].iface, iface) == 0)
			return client->globals[i].version;
	return 0;
}

void *sc_client_bind(struct sc_client *client, const struct wl_interface *iface,
		     uint32_t max_version)
{
	for (int i = 0; i < client->n_globals; i++) {
		const struct sc_global *g = &client->globals[i];
		uint32_t version = g->version < max_version ? g->version : max_version;

		if (strcmp(g->iface, iface->name) == 0)
			return wl_registry_bind(client->registry, g->name, iface, version);
	}
	return NULL;
}

bool sc_client_wait(struct sc_client *client, const bool *flag, int timeout_ms)
{
	int64_t deadline = now_ms() + timeout_ms;
	struct pollfd pfd = {.fd = wl_display_get_fd(client->display), .events = POLLIN};

	for (;;) {
		int64_t left;

		if (wl_display_dispatch_pending(client->display) < 0)
			return false;
		if (flag && *flag)
			return true;
		left = deadline - now_ms();
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
}

bool sc_client_roundtrip(struct sc_client *client)
{
	return wl_display_roundtrip(client->display) >= 0;
}

uint32_t sc_client_error(struct sc_client *client, const char **iface)
{
	const struct wl_interface *interface = NULL;
	uint32_t id, code;

	*iface = "";
	if (wl_display_get_error(client->display) != EPROTO)
		return 0;
	code = wl_display_get_protocol_error(client->display, &interface, &id);
	*iface = interface ? interface->name : "?";
	return code;
}

bool sc_client_died_of(struct sc_client *client, const char *iface, uint32_t code)
{
	const char *got_iface;
	uint32_t got;
	int err;

	if (sc_client_roundtrip(client)) {
		printf("# no protocol error: expected %s error %u\n", iface, code);
		return false;
	}
	err = wl_display_get_error(client->display);
	got = sc_client_error(client, &got_iface);
	if (err == EPROTO && got == code && strcmp(got_iface, iface) == 0)
		return true;
	if (err == EPROTO)
		printf("# died of %s error %u: expected %s error %u\n", got_iface, got, iface,
		       code);
	else
		printf("# connection lost (%s): expected %s error %u\n", strerror(err), iface,
		       code);
	return false;
}

static void xdg_surface_configure(void *data, struct xdg_surface *xdg_surface, uint32_t serial)
{
	struct sc_window *window = data;

	xdg_surface_ack_configure(xdg_surface, serial);
	window->configured = true;
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

struct sc_window *sc_window_create(struct sc_client *client)
{
	struct sc_window *window = calloc(1, sizeof(*window));

	if (!window)
		return NULL;
	window->client = client;
	window->surface = wl_compositor_create_surface(client->compositor);
	window->xdg_surface = xdg_wm_base_get_xdg_surface(client->wm_base, window->surface);
	xdg_surface_add_listener(window->xdg_surface, &xdg_surface_listener, window);
	window->toplevel = xdg_surface_get_toplevel(window->xdg_surface);
	xdg_toplevel_add_listener(window->toplevel, &toplevel_listener, window);
	xdg_toplevel_set_title(window->toplevel, "sb-conform");
	/* xdg-shell: the first commit, without a buffer, asks for the initial configure. */
	wl_surface_commit(window->surface);
	if (!sc_client_wait(client, &window->configured, SC_CONFIGURE_MS)) {
		printf("# no xdg_surface.configure within %d ms\n", SC_CONFIGURE_MS);
		sc_window_destroy(window);
		return NULL;
	}
	return window;
}

void sc_window_destroy(struct sc_window *window)
{
	if (!window)
		return;
	xdg_toplevel_destroy(window->toplevel);
	xdg_surface_destroy(window->xdg_surface);
	wl_surface_destroy(window->surface);
	free(window);
}

void sc_window_commit(struct sc_window *window, struct wl_buffer *buffer)
{
	if (buffer) {
		wl_surface_attach(window->surface, buffer, 0, 0);
		wl_surface_damage_buffer(window->surface, 0, 0, INT32_MAX, INT32_MAX);
	}
	wl_surface_commit(window->surface);
	wl_display_flush(window->client->display);
}

static void frame_done(void *data, struct wl_callback *callback, uint32_t time)
{
	struct sc_frame *frame = data;

	frame->done = true;
	wl_callback_destroy(callback);
	frame->callback = NULL;
}

static const struct wl_callback_listener frame_listener = {.done = frame_done};

void sc_frame_request(struct sc_frame *frame, struct wl_surface *surface)
{
	sc_frame_finish(frame);
	frame->done = false;
	frame->callback = wl_surface_frame(surface);
	wl_callback_add_listener(frame->callback, &frame_listener, frame);
}

void sc_frame_finish(struct sc_frame *frame)
{
	if (frame->callback)
		wl_callback_destroy(frame->callback);
	frame->callback = NULL;
}

static void buffer_release(void *data, struct wl_buffer *wl_buffer)
{
	struct sc_buffer *buffer = data;

	buffer->released = true;
}

static const struct wl_buffer_listener buffer_listener = {.release = buffer_release};

static void fill(uint32_t *pixels, size_t count, uint32_t rgb)
{
	for (size_t i = 0; i < count; i++)
		pixels[i] = 0xff000000u | rgb;
}

struct sc_buffer *sc_buffer_create_shm(struct sc_client *client, int width, int height,
				       uint32_t rgb)
{
	size_t size = (size_t)width * (size_t)height * 4;
	struct sc_buffer *buffer;
	struct wl_shm_pool *pool;
	void *map;

	if (!client->shm)
		return NULL;
	buffer = calloc(1, sizeof(*buffer));
	if (!buffer)
		return NULL;
	buffer->fd = memfd_create("sb-conform-shm", MFD_CLOEXEC);
	if (buffer->fd < 0 || ftruncate(buffer->fd, (off_t)size) < 0)
		goto err;
	map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, buffer->fd, 0);
	if (map == MAP_FAILED)
		goto err;
	fill(map, size / 4, rgb);
	munmap(map, size);
	pool = wl_shm_create_pool(client->shm, buffer->fd, (int32_t)size);
	buffer->buffer = wl_shm_pool_create_buffer(pool, 0, width, height, width * 4,
						   WL_SHM_FORMAT_XRGB8888);
	wl_shm_pool_destroy(pool);
	wl_buffer_add_listener(buffer->buffer, &buffer_listener, buffer);
	return buffer;
err:
	if (buffer->fd >= 0)
		close(buffer->fd);
	free(buffer);
	return NULL;
}

int sc_udmabuf_create_filled(int width, int height, uint32_t rgb)
{
	size_t size = (size_t)width * (size_t)height * 4;
	/* udmabuf: the memfd behind it is whole pages. */
	int fd = sb_udmabuf_create((size + 4095) & ~(size_t)4095);
	void *map;

	if (fd < 0)
		return -1;
	map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED) {
		close(fd);
		return -1;
	}
	fill(map, size / 4, rgb);
	munmap(map, size);
	return fd;
}

struct sc_buffer *sc_buffer_create_dmabuf(struct sc_client *client, void *dmabuf, int width,
					  int height, uint32_t rgb)
{
	struct zwp_linux_buffer_params_v1 *params;
	struct sc_buffer *buffer = calloc(1, sizeof(*buffer));

	if (!buffer)
		return NULL;
	buffer->fd = sc_udmabuf_create_filled(width, height, rgb);
	if (buffer->fd < 0) {
		free(buffer);
		return NULL;
	}
	params = zwp_linux_dmabuf_v1_create_params(dmabuf);
	zwp_linux_buffer_params_v1_add(params, buffer->fd, 0, 0, (uint32_t)width * 4,
				       DRM_FORMAT_MOD_LINEAR >> 32,
				       DRM_FORMAT_MOD_LINEAR & 0xffffffff);
	buffer->buffer = zwp_linux_buffer_params_v1_create_immed(params, width, height,
								 DRM_FORMAT_XRGB8888, 0);
	zwp_linux_buffer_params_v1_destroy(params);
	wl_buffer_add_listener(buffer->buffer, &buffer_listener, buffer);
	return buffer;
}

void sc_buffer_destroy(struct sc_buffer *buffer)
{
	if (!buffer)
		return;
	wl_buffer_destroy(buffer->buffer);
	close(buffer->fd);
	free(buffer);
}
