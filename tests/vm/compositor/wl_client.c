// SPDX-License-Identifier: MIT
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <drm_fourcc.h>
#include <png.h>
#include <wayland-client.h>

#include "kdev.h"
#include "tap.h"
#include "linux-dmabuf-unstable-v1-client-protocol.h"
#include "wl_client.h"
#include "xdg-shell-client-protocol.h"

struct sb_client {
	struct wl_display *display;
	struct wl_registry *registry;
	struct wl_compositor *compositor;
	struct wl_subcompositor *subcompositor;
	struct xdg_wm_base *wm_base;
	struct zwp_linux_dmabuf_v1 *dmabuf;
	/* From sb_client_create_immed, destroyed with the client. */
	struct zwp_linux_buffer_params_v1 *raw_params;
	struct wl_buffer *raw_buffer;
};

#define MAX_FRAMES 8

/* A frame callback in flight; destroyed with its window if it never fires (a held commit). */
struct frame {
	struct wl_callback *callback;
	bool *flag;
};

struct sb_window {
	struct sb_client *client;
	struct frame frames[MAX_FRAMES];
	struct wl_surface *surface;
	struct xdg_surface *xdg_surface;
	struct xdg_toplevel *toplevel;
	struct wl_subsurface *subsurface;
	bool configured;
};

struct sb_buffer {
	struct wl_buffer *buffer;
	int fd;
};

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

bool sb_compositor_start(struct sb_compositor *comp, const char *syncbridge,
			 const char *const *extra)
{
	static int serial;
	const char *tmp = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	const char *argv[32] = {syncbridge, "--backend", "headless", "--renderer", "pixman"};
	char path[400];
	int argc = 5;
	uint64_t deadline;

	snprintf(comp->runtime_dir, sizeof(comp->runtime_dir), "%s/sb-gate-%d-%d", tmp, getpid(),
		 serial++);
	if (mkdir(comp->runtime_dir, 0700) < 0 && errno != EEXIST)
		return false;
	snprintf(comp->socket, sizeof(comp->socket), "sb-test");
	snprintf(comp->shot, sizeof(comp->shot), "%s/shot.png", comp->runtime_dir);
	argv[argc++] = "--socket";
	argv[argc++] = comp->socket;
	argv[argc++] = "--screenshot";
	argv[argc++] = comp->shot;
	for (int i = 0; extra && extra[i] && argc < 31; i++)
		argv[argc++] = extra[i];
	argv[argc] = NULL;
	comp->pid = fork();
	if (comp->pid < 0)
		return false;
	if (comp->pid == 0) {
		setenv("XDG_RUNTIME_DIR", comp->runtime_dir, 1);
		setenv("XDG_CONFIG_HOME", comp->runtime_dir, 1);
		unsetenv("WAYLAND_DISPLAY");
		unsetenv("DISPLAY");
		execv(syncbridge, (char *const *)argv);
		_exit(127);
	}
	/* Ready when its socket exists. Generous: an ASan build in an emulated CPU on a loaded host. */
	snprintf(path, sizeof(path), "%s/%s", comp->runtime_dir, comp->socket);
	deadline = now_ms() + 60000;
	while (access(path, F_OK) != 0) {
		if (now_ms() > deadline || !sb_compositor_alive(comp))
			return false;
		usleep(10000);
	}
	return true;
}

bool sb_compositor_alive(const struct sb_compositor *comp)
{
	return comp->pid > 0 && waitpid(comp->pid, NULL, WNOHANG) == 0;
}

int sb_compositor_stop(struct sb_compositor *comp)
{
	/* An ASan exit scans for leaks: seconds under TCG. */
	uint64_t deadline = now_ms() + 60000;
	int status;

	if (comp->pid <= 0)
		return -1;
	kill(comp->pid, SIGTERM);
	while (waitpid(comp->pid, &status, WNOHANG) == 0) {
		if (now_ms() > deadline) {
			kill(comp->pid, SIGKILL);
			waitpid(comp->pid, &status, 0);
			comp->pid = 0;
			return -1;
		}
		usleep(10000);
	}
	comp->pid = 0;
	unlink(comp->shot);
	{
		char path[400];

		snprintf(path, sizeof(path), "%s/%s.lock", comp->runtime_dir, comp->socket);
		unlink(path);
	}
	rmdir(comp->runtime_dir);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

int sb_compositor_fd_count(const struct sb_compositor *comp)
{
	return sb_count_fds_of(comp->pid);
}

long sb_compositor_pixel(struct sb_compositor *comp, int x, int y)
{
	png_image image = {.version = PNG_IMAGE_VERSION};
	uint64_t deadline = now_ms() + 30000;
	uint8_t *pixels;
	long rgb = -1;

	unlink(comp->shot);
	kill(comp->pid, SIGUSR1);
	/* The compositor renames the finished file into place. */
	while (access(comp->shot, F_OK) != 0) {
		if (now_ms() > deadline)
			return -1;
		usleep(5000);
	}
	if (!png_image_begin_read_from_file(&image, comp->shot))
		return -1;
	image.format = PNG_FORMAT_RGB;
	pixels = malloc(PNG_IMAGE_SIZE(image));
	if (pixels && png_image_finish_read(&image, NULL, pixels, 0, NULL) &&
	    x < (int)image.width && y < (int)image.height) {
		const uint8_t *p = pixels + 3 * ((size_t)y * image.width + (size_t)x);

		rgb = (long)p[0] << 16 | (long)p[1] << 8 | p[2];
	}
	png_image_free(&image);
	free(pixels);
	return rgb;
}

static void wm_base_ping(void *data, struct xdg_wm_base *wm_base, uint32_t serial)
{
	xdg_wm_base_pong(wm_base, serial);
}

static const struct xdg_wm_base_listener wm_base_listener = {.ping = wm_base_ping};

static void registry_global(void *data, struct wl_registry *registry, uint32_t name,
			    const char *iface, uint32_t version)
{
	struct sb_client *client = data;

	if (strcmp(iface, wl_compositor_interface.name) == 0) {
		client->compositor = wl_registry_bind(registry, name, &wl_compositor_interface, 4);
	} else if (strcmp(iface, wl_subcompositor_interface.name) == 0) {
		client->subcompositor =
			wl_registry_bind(registry, name, &wl_subcompositor_interface, 1);
	} else if (strcmp(iface, xdg_wm_base_interface.name) == 0) {
		client->wm_base = wl_registry_bind(registry, name, &xdg_wm_base_interface, 1);
		xdg_wm_base_add_listener(client->wm_base, &wm_base_listener, client);
	} else if (strcmp(iface, zwp_linux_dmabuf_v1_interface.name) == 0 && version >= 3) {
		/* Version 3: create_immed, formats by events; the tests know what they send. */
		client->dmabuf =
			wl_registry_bind(registry, name, &zwp_linux_dmabuf_v1_interface, 3);
	}
}

static void registry_global_remove(void *data, struct wl_registry *registry, uint32_t name)
{
}

static const struct wl_registry_listener registry_listener = {
	.global = registry_global,
	.global_remove = registry_global_remove,
};

struct sb_client *sb_client_connect(const struct sb_compositor *comp)
{
	struct sb_client *client = calloc(1, sizeof(*client));
	char path[400];

	if (!client)
		return NULL;
	snprintf(path, sizeof(path), "%s/%s", comp->runtime_dir, comp->socket);
	/*
	 * libwayland binds the socket before it listens: in between, connect() is refused. The
	 * socket's existence (sb_compositor_start) is only nearly "ready".
	 */
	for (int tries = 0; tries < 500; tries++) {
		client->display = wl_display_connect(path);
		if (client->display || errno != ECONNREFUSED)
			break;
		usleep(10000);
	}
	if (!client->display) {
		free(client);
		return NULL;
	}
	client->registry = wl_display_get_registry(client->display);
	wl_registry_add_listener(client->registry, &registry_listener, client);
	wl_display_roundtrip(client->display);
	if (!client->compositor || !client->subcompositor || !client->wm_base || !client->dmabuf) {
		fprintf(stderr,
			"sb_client_connect: %s: a global is missing (compositor %d, "
			"subcompositor %d, xdg_wm_base %d, linux-dmabuf v3+ %d)\n",
			path, !!client->compositor, !!client->subcompositor, !!client->wm_base,
			!!client->dmabuf);
		sb_client_destroy(client);
		return NULL;
	}
	return client;
}

void sb_client_destroy(struct sb_client *client)
{
	if (!client)
		return;
	if (client->raw_buffer)
		wl_buffer_destroy(client->raw_buffer);
	if (client->raw_params)
		zwp_linux_buffer_params_v1_destroy(client->raw_params);
	if (client->dmabuf)
		zwp_linux_dmabuf_v1_destroy(client->dmabuf);
	if (client->wm_base)
		xdg_wm_base_destroy(client->wm_base);
	if (client->subcompositor)
		wl_subcompositor_destroy(client->subcompositor);
	if (client->compositor)
		wl_compositor_destroy(client->compositor);
	wl_registry_destroy(client->registry);
	wl_display_disconnect(client->display);
	free(client);
}

bool sb_client_wait(struct sb_client *client, const bool *flag, int timeout_ms)
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

uint32_t sb_client_error(struct sb_client *client, const char **iface)
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
	struct sb_window *window = data;

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

struct sb_window *sb_window_create(struct sb_client *client)
{
	struct sb_window *window = calloc(1, sizeof(*window));

	if (!window)
		return NULL;
	window->client = client;
	window->surface = wl_compositor_create_surface(client->compositor);
	window->xdg_surface = xdg_wm_base_get_xdg_surface(client->wm_base, window->surface);
	xdg_surface_add_listener(window->xdg_surface, &xdg_surface_listener, window);
	window->toplevel = xdg_surface_get_toplevel(window->xdg_surface);
	xdg_toplevel_add_listener(window->toplevel, &toplevel_listener, window);
	wl_surface_commit(window->surface);
	if (!sb_client_wait(client, &window->configured, 5000)) {
		sb_window_destroy(window);
		return NULL;
	}
	return window;
}

struct sb_window *sb_subsurface_create(struct sb_client *client, struct sb_window *parent, int x,
				       int y)
{
	struct sb_window *window = calloc(1, sizeof(*window));

	if (!window)
		return NULL;
	window->client = client;
	window->surface = wl_compositor_create_surface(client->compositor);
	window->subsurface = wl_subcompositor_get_subsurface(client->subcompositor, window->surface,
							     parent->surface);
	wl_subsurface_set_position(window->subsurface, x, y);
	wl_subsurface_set_sync(window->subsurface);
	return window;
}

void sb_window_destroy(struct sb_window *window)
{
	if (!window)
		return;
	for (int i = 0; i < MAX_FRAMES; i++)
		if (window->frames[i].callback)
			wl_callback_destroy(window->frames[i].callback);
	if (window->subsurface)
		wl_subsurface_destroy(window->subsurface);
	if (window->toplevel)
		xdg_toplevel_destroy(window->toplevel);
	if (window->xdg_surface)
		xdg_surface_destroy(window->xdg_surface);
	wl_surface_destroy(window->surface);
	free(window);
}

struct sb_buffer *sb_buffer_create(struct sb_client *client, int width, int height, uint32_t rgb)
{
	size_t size = (size_t)width * (size_t)height * 4;
	struct zwp_linux_buffer_params_v1 *params;
	struct sb_buffer *buffer = calloc(1, sizeof(*buffer));
	uint32_t *map;

	if (!buffer)
		return NULL;
	/* udmabuf sizes are whole pages. */
	buffer->fd = sb_udmabuf_create((size + 4095) & ~(size_t)4095);
	if (buffer->fd < 0) {
		free(buffer);
		return NULL;
	}
	map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, buffer->fd, 0);
	if (map == MAP_FAILED) {
		close(buffer->fd);
		free(buffer);
		return NULL;
	}
	for (size_t i = 0; i < size / 4; i++)
		map[i] = 0xff000000u | rgb;
	munmap(map, size);
	params = zwp_linux_dmabuf_v1_create_params(client->dmabuf);
	zwp_linux_buffer_params_v1_add(params, buffer->fd, 0, 0, (uint32_t)width * 4,
				       DRM_FORMAT_MOD_LINEAR >> 32,
				       DRM_FORMAT_MOD_LINEAR & 0xffffffff);
	buffer->buffer = zwp_linux_buffer_params_v1_create_immed(params, width, height,
								 DRM_FORMAT_XRGB8888, 0);
	zwp_linux_buffer_params_v1_destroy(params);
	return buffer;
}

void sb_buffer_destroy(struct sb_buffer *buffer)
{
	if (!buffer)
		return;
	wl_buffer_destroy(buffer->buffer);
	close(buffer->fd);
	free(buffer);
}

int sb_buffer_dmabuf_fd(const struct sb_buffer *buffer)
{
	return buffer->fd;
}

static void frame_done(void *data, struct wl_callback *callback, uint32_t time)
{
	struct frame *frame = data;

	*frame->flag = true;
	wl_callback_destroy(callback);
	frame->callback = NULL;
}

static const struct wl_callback_listener frame_listener = {.done = frame_done};

void sb_window_commit(struct sb_window *window, struct sb_buffer *buffer, bool *frame_flag)
{
	if (buffer) {
		wl_surface_attach(window->surface, buffer->buffer, 0, 0);
		wl_surface_damage_buffer(window->surface, 0, 0, INT32_MAX, INT32_MAX);
	}
	for (int i = 0; frame_flag && i < MAX_FRAMES; i++) {
		struct frame *frame = &window->frames[i];

		if (frame->callback)
			continue;
		*frame_flag = false;
		frame->flag = frame_flag;
		frame->callback = wl_surface_frame(window->surface);
		wl_callback_add_listener(frame->callback, &frame_listener, frame);
		break;
	}
	wl_surface_commit(window->surface);
	wl_display_flush(window->client->display);
}

void sb_client_create_immed(struct sb_client *client, int fd, int width, int height,
			    uint32_t format, uint32_t stride)
{
	struct zwp_linux_buffer_params_v1 *params =
		zwp_linux_dmabuf_v1_create_params(client->dmabuf);

	zwp_linux_buffer_params_v1_add(params, fd, 0, 0, stride, DRM_FORMAT_MOD_LINEAR >> 32,
				       DRM_FORMAT_MOD_LINEAR & 0xffffffff);
	client->raw_params = params;
	client->raw_buffer =
		zwp_linux_buffer_params_v1_create_immed(params, width, height, format, 0);
	wl_display_flush(client->display);
}

bool sb_client_roundtrip(struct sb_client *client)
{
	return wl_display_roundtrip(client->display) >= 0;
}
