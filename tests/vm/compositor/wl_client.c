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
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <drm_fourcc.h>
#include <png.h>
#include <wayland-client.h>

#include "kdev.h"
#include "tap.h"
#include "test_control.h"
#include "linux-dmabuf-unstable-v1-client-protocol.h"
#include "wl_client.h"
#include "xdg-shell-client-protocol.h"

struct sb_client {
	struct wl_display *display;
	struct wl_compositor *compositor;
	struct wl_subcompositor *subcompositor;
	struct xdg_wm_base *wm_base;
	struct zwp_linux_dmabuf_v1 *dmabuf;
	/* From sb_client_create_immed, destroyed with the client. */
	struct zwp_linux_buffer_params_v1 *raw_params;
	struct wl_buffer *raw_buffer;
};

struct sb_window {
	struct sb_client *client;
	struct sb_frame frames[SB_MAX_FRAMES];
	/* A toplevel, or (subsurface set) only its wl_surface. */
	struct sb_toplevel xdg;
	struct wl_subsurface *subsurface;
};

struct sb_buffer {
	struct wl_buffer *buffer;
	int fd;
	bool released; /* a wl_buffer.release came since the last commit of it */
};

uint64_t sb_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* The next datagram on the control socket: its status, -ETIMEDOUT if none in timeout_ms. */
static int control_reply(struct sb_compositor *comp, int timeout_ms)
{
	struct pollfd pfd = {.fd = comp->control, .events = POLLIN};
	struct sb_test_control_reply reply;

	if (poll(&pfd, 1, timeout_ms) != 1 ||
	    recv(comp->control, &reply, sizeof(reply), MSG_DONTWAIT) != sizeof(reply))
		return -ETIMEDOUT;
	return reply.status;
}

static void control_close(struct sb_compositor *comp)
{
	if (comp->control >= 0)
		close(comp->control);
	comp->control = -1;
}

int sb_compositor_control(struct sb_compositor *comp, uint32_t op, int32_t x)
{
	struct sb_test_control_request req = {.op = op, .x = x};

	if (comp->control < 0)
		return -EBADF;
	if (send(comp->control, &req, sizeof(req), MSG_NOSIGNAL) != sizeof(req))
		return -errno;
	return control_reply(comp, 10000);
}

static bool compositor_start(struct sb_compositor *comp, const char *syncbridge,
			     const char *const *extra, bool controlled)
{
	static int serial;
	const char *tmp = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	const char *argv[32] = {syncbridge, "--backend", "headless", "--renderer", "pixman"};
	char path[400];
	int argc = 5;
	uint64_t deadline;
	int sv[2] = {-1, -1};

	comp->control = -1;
	if (controlled && socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return false;
	comp->control = sv[0];
	snprintf(comp->runtime_dir, sizeof(comp->runtime_dir), "%s/sb-gate-%d-%d", tmp, getpid(),
		 serial++);
	if (mkdir(comp->runtime_dir, 0700) < 0 && errno != EEXIST)
		goto err_socket;
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
		goto err_socket;
	if (comp->pid == 0) {
		char fd[16];

		if (controlled) {
			/* The compositor's end, inherited: test_control.c sets O_CLOEXEC again. */
			snprintf(fd, sizeof(fd), "%d", sv[1]);
			fcntl(sv[1], F_SETFD, 0);
			setenv(SB_TEST_CONTROL_ENV, fd, 1);
		}
		setenv("XDG_RUNTIME_DIR", comp->runtime_dir, 1);
		setenv("XDG_CONFIG_HOME", comp->runtime_dir, 1);
		unsetenv("WAYLAND_DISPLAY");
		unsetenv("DISPLAY");
		execv(syncbridge, (char *const *)argv);
		_exit(127);
	}
	if (controlled) {
		close(sv[1]);
		/* READY: the Wayland socket and the outputs exist. */
		return control_reply(comp, 60000) == SB_TEST_CONTROL_READY;
	}
	/* Ready when its socket exists. Generous: an ASan build in an emulated CPU on a loaded host. */
	snprintf(path, sizeof(path), "%s/%s", comp->runtime_dir, comp->socket);
	deadline = sb_now_ms() + 60000;
	while (access(path, F_OK) != 0) {
		if (sb_now_ms() > deadline || !sb_compositor_alive(comp))
			return false;
		usleep(10000);
	}
	return true;

err_socket:
	if (controlled) {
		close(sv[0]);
		close(sv[1]);
		comp->control = -1;
	}
	return false;
}

bool sb_compositor_start(struct sb_compositor *comp, const char *syncbridge,
			 const char *const *extra)
{
	return compositor_start(comp, syncbridge, extra, false);
}

bool sb_compositor_start_controlled(struct sb_compositor *comp, const char *syncbridge,
				    const char *const *extra)
{
	return compositor_start(comp, syncbridge, extra, true);
}

bool sb_compositor_alive(const struct sb_compositor *comp)
{
	return comp->pid > 0 && waitpid(comp->pid, NULL, WNOHANG) == 0;
}

int sb_compositor_stop(struct sb_compositor *comp)
{
	/* An ASan exit scans for leaks: seconds under TCG. */
	uint64_t deadline = sb_now_ms() + 60000;
	int status;

	if (comp->pid <= 0)
		return -1;
	kill(comp->pid, SIGTERM);
	while (waitpid(comp->pid, &status, WNOHANG) == 0) {
		if (sb_now_ms() > deadline) {
			kill(comp->pid, SIGKILL);
			waitpid(comp->pid, &status, 0);
			comp->pid = 0;
			control_close(comp);
			return -1;
		}
		usleep(10000);
	}
	comp->pid = 0;
	/* Only now: closing it first would stop the compositor too, and hide how SIGTERM did. */
	control_close(comp);
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
	uint64_t deadline = sb_now_ms() + 30000;
	uint8_t *pixels;
	long rgb = -1;

	unlink(comp->shot);
	kill(comp->pid, SIGUSR1);
	/* The compositor renames the finished file into place. */
	while (access(comp->shot, F_OK) != 0) {
		if (sb_now_ms() > deadline)
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

void sb_wm_base_add_listener(struct xdg_wm_base *wm_base)
{
	xdg_wm_base_add_listener(wm_base, &wm_base_listener, NULL);
}

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
		sb_wm_base_add_listener(client->wm_base);
	} else if (strcmp(iface, zwp_linux_dmabuf_v1_interface.name) == 0 && version >= 3) {
		/* Version 3: create_immed, formats by events; the tests know what they send. */
		client->dmabuf =
			wl_registry_bind(registry, name, &zwp_linux_dmabuf_v1_interface, 3);
	}
}

/* What sb_display_bind_globals hands each announced global to. */
struct global_hook {
	sb_global_func_t global;
	void *data;
};

static void hook_global(void *data, struct wl_registry *registry, uint32_t name, const char *iface,
			uint32_t version)
{
	struct global_hook *hook = data;

	hook->global(hook->data, registry, name, iface, version);
}

static void hook_global_remove(void *data, struct wl_registry *registry, uint32_t name)
{
}

static const struct wl_registry_listener hook_listener = {
	.global = hook_global,
	.global_remove = hook_global_remove,
};

void sb_display_bind_globals(struct wl_display *display, sb_global_func_t global, void *data)
{
	struct global_hook hook = {.global = global, .data = data};
	struct wl_registry *registry = wl_display_get_registry(display);

	wl_registry_add_listener(registry, &hook_listener, &hook);
	wl_display_roundtrip(display);
	/* The bound globals outlive it; the hook on this stack must not see later events. */
	wl_registry_destroy(registry);
}

struct wl_display *sb_display_connect(const struct sb_compositor *comp)
{
	struct wl_display *display = NULL;
	char path[400];

	snprintf(path, sizeof(path), "%s/%s", comp->runtime_dir, comp->socket);
	/*
	 * libwayland binds the socket before it listens: in between, connect() is refused. The
	 * socket's existence (sb_compositor_start) is only nearly "ready".
	 */
	for (int tries = 0; tries < 500; tries++) {
		display = wl_display_connect(path);
		if (display || errno != ECONNREFUSED)
			break;
		usleep(10000);
	}
	return display;
}

struct sb_client *sb_client_connect(const struct sb_compositor *comp)
{
	struct sb_client *client = calloc(1, sizeof(*client));

	if (!client)
		return NULL;
	client->display = sb_display_connect(comp);
	if (!client->display) {
		free(client);
		return NULL;
	}
	sb_display_bind_globals(client->display, registry_global, client);
	if (!client->compositor || !client->subcompositor || !client->wm_base || !client->dmabuf) {
		fprintf(stderr,
			"sb_client_connect: %s/%s: a global is missing (compositor %d, "
			"subcompositor %d, xdg_wm_base %d, linux-dmabuf v3+ %d)\n",
			comp->runtime_dir, comp->socket, !!client->compositor,
			!!client->subcompositor, !!client->wm_base, !!client->dmabuf);
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
	wl_display_disconnect(client->display);
	free(client);
}

bool sb_display_wait(struct wl_display *display, const bool *flag, int timeout_ms)
{
	uint64_t deadline = sb_now_ms() + (uint64_t)timeout_ms;
	struct pollfd pfd = {.fd = wl_display_get_fd(display), .events = POLLIN};

	while (!(flag && *flag)) {
		int64_t left = (int64_t)deadline - (int64_t)sb_now_ms();

		if (wl_display_dispatch_pending(display) < 0)
			return false;
		if (flag && *flag)
			break;
		if (left <= 0)
			return false;
		if (wl_display_flush(display) < 0 && errno != EAGAIN)
			return false;
		if (wl_display_prepare_read(display) != 0)
			continue;
		if (poll(&pfd, 1, (int)left) > 0) {
			if (wl_display_read_events(display) < 0)
				return false;
		} else {
			wl_display_cancel_read(display);
		}
	}
	return true;
}

bool sb_client_wait(struct sb_client *client, const bool *flag, int timeout_ms)
{
	return sb_display_wait(client->display, flag, timeout_ms);
}

uint32_t sb_display_error(struct wl_display *display, const char **iface)
{
	const struct wl_interface *interface = NULL;
	uint32_t id, code;

	if (wl_display_get_error(display) != EPROTO)
		return 0;
	code = wl_display_get_protocol_error(display, &interface, &id);
	if (iface)
		*iface = interface ? interface->name : "?";
	return code;
}

uint32_t sb_client_error(struct sb_client *client, const char **iface)
{
	return sb_display_error(client->display, iface);
}

static void xdg_surface_configure(void *data, struct xdg_surface *xdg_surface, uint32_t serial)
{
	struct sb_toplevel *toplevel = data;

	xdg_surface_ack_configure(xdg_surface, serial);
	toplevel->configured = true;
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

bool sb_toplevel_init(struct sb_toplevel *toplevel, struct wl_display *display,
		      struct wl_compositor *compositor, struct xdg_wm_base *wm_base)
{
	toplevel->configured = false;
	toplevel->surface = wl_compositor_create_surface(compositor);
	toplevel->xdg_surface = xdg_wm_base_get_xdg_surface(wm_base, toplevel->surface);
	xdg_surface_add_listener(toplevel->xdg_surface, &xdg_surface_listener, toplevel);
	toplevel->toplevel = xdg_surface_get_toplevel(toplevel->xdg_surface);
	xdg_toplevel_add_listener(toplevel->toplevel, &toplevel_listener, toplevel);
	wl_surface_commit(toplevel->surface);
	return sb_display_wait(display, &toplevel->configured, 5000);
}

void sb_toplevel_finish(struct sb_toplevel *toplevel)
{
	if (toplevel->toplevel)
		xdg_toplevel_destroy(toplevel->toplevel);
	if (toplevel->xdg_surface)
		xdg_surface_destroy(toplevel->xdg_surface);
	if (toplevel->surface)
		wl_surface_destroy(toplevel->surface);
	toplevel->toplevel = NULL;
	toplevel->xdg_surface = NULL;
	toplevel->surface = NULL;
}

struct sb_window *sb_window_create(struct sb_client *client)
{
	struct sb_window *window = calloc(1, sizeof(*window));

	if (!window)
		return NULL;
	window->client = client;
	if (!sb_toplevel_init(&window->xdg, client->display, client->compositor, client->wm_base)) {
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
	window->xdg.surface = wl_compositor_create_surface(client->compositor);
	window->subsurface = wl_subcompositor_get_subsurface(
		client->subcompositor, window->xdg.surface, parent->xdg.surface);
	wl_subsurface_set_position(window->subsurface, x, y);
	wl_subsurface_set_sync(window->subsurface);
	return window;
}

void sb_window_destroy(struct sb_window *window)
{
	if (!window)
		return;
	sb_frames_cancel(window->frames);
	if (window->subsurface)
		wl_subsurface_destroy(window->subsurface);
	sb_toplevel_finish(&window->xdg);
	free(window);
}

static bool fill(int fd, size_t size, uint32_t value)
{
	uint32_t *map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);

	if (map == MAP_FAILED)
		return false;
	for (size_t i = 0; i < size / 4; i++)
		map[i] = value;
	munmap(map, size);
	return true;
}

int sb_memfd_create_filled(size_t size, uint32_t value)
{
	int fd = memfd_create("sb-test-shm", MFD_CLOEXEC);

	if (fd < 0)
		return -1;
	if (ftruncate(fd, (off_t)size) < 0 || !fill(fd, size, value)) {
		close(fd);
		return -1;
	}
	return fd;
}

int sb_udmabuf_create_filled(size_t size, uint32_t value)
{
	/* udmabuf sizes are whole pages. */
	int fd = sb_udmabuf_create((size + 4095) & ~(size_t)4095);

	if (fd < 0)
		return -1;
	if (!fill(fd, size, value)) {
		close(fd);
		return -1;
	}
	return fd;
}

struct wl_buffer *sb_dmabuf_wl_buffer_create(struct zwp_linux_dmabuf_v1 *dmabuf, int fd, int width,
					     int height, uint32_t stride, uint32_t fourcc)
{
	struct zwp_linux_buffer_params_v1 *params = zwp_linux_dmabuf_v1_create_params(dmabuf);
	struct wl_buffer *buffer;

	/* libwayland sends a duplicate of fd. */
	zwp_linux_buffer_params_v1_add(params, fd, 0, 0, stride, DRM_FORMAT_MOD_LINEAR >> 32,
				       DRM_FORMAT_MOD_LINEAR & 0xffffffff);
	buffer = zwp_linux_buffer_params_v1_create_immed(params, width, height, fourcc, 0);
	zwp_linux_buffer_params_v1_destroy(params);
	return buffer;
}

struct wl_buffer *sb_shm_wl_buffer_create(struct wl_shm *shm, int fd, size_t size, int width,
					  int height, uint32_t stride, uint32_t format)
{
	struct wl_shm_pool *pool = wl_shm_create_pool(shm, fd, (int32_t)size);
	struct wl_buffer *buffer =
		wl_shm_pool_create_buffer(pool, 0, width, height, (int32_t)stride, format);

	wl_shm_pool_destroy(pool);
	return buffer;
}

static void buffer_release(void *data, struct wl_buffer *wl_buffer)
{
	struct sb_buffer *buffer = data;

	buffer->released = true;
}

static const struct wl_buffer_listener buffer_listener = {.release = buffer_release};

struct sb_buffer *sb_buffer_create(struct sb_client *client, int width, int height, uint32_t rgb)
{
	struct sb_buffer *buffer = calloc(1, sizeof(*buffer));

	if (!buffer)
		return NULL;
	buffer->fd =
		sb_udmabuf_create_filled((size_t)width * (size_t)height * 4, 0xff000000u | rgb);
	if (buffer->fd < 0) {
		free(buffer);
		return NULL;
	}
	buffer->buffer = sb_dmabuf_wl_buffer_create(client->dmabuf, buffer->fd, width, height,
						    (uint32_t)width * 4, DRM_FORMAT_XRGB8888);
	if (buffer->buffer)
		wl_buffer_add_listener(buffer->buffer, &buffer_listener, buffer);
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

const bool *sb_buffer_released(const struct sb_buffer *buffer)
{
	return &buffer->released;
}

static void frame_done(void *data, struct wl_callback *callback, uint32_t time)
{
	struct sb_frame *frame = data;

	*frame->flag = true;
	wl_callback_destroy(callback);
	frame->callback = NULL;
}

static const struct wl_callback_listener frame_listener = {.done = frame_done};

void sb_frame_request(struct sb_frame frames[SB_MAX_FRAMES], struct wl_surface *surface, bool *flag)
{
	for (int i = 0; i < SB_MAX_FRAMES; i++) {
		struct sb_frame *frame = &frames[i];

		if (frame->callback)
			continue;
		*flag = false;
		frame->flag = flag;
		frame->callback = wl_surface_frame(surface);
		wl_callback_add_listener(frame->callback, &frame_listener, frame);
		return;
	}
}

void sb_frames_cancel(struct sb_frame frames[SB_MAX_FRAMES])
{
	for (int i = 0; i < SB_MAX_FRAMES; i++) {
		if (frames[i].callback)
			wl_callback_destroy(frames[i].callback);
		frames[i].callback = NULL;
	}
}

void sb_window_commit(struct sb_window *window, struct sb_buffer *buffer, bool *frame_flag)
{
	if (buffer) {
		buffer->released = false;
		wl_surface_attach(window->xdg.surface, buffer->buffer, 0, 0);
		wl_surface_damage_buffer(window->xdg.surface, 0, 0, INT32_MAX, INT32_MAX);
	}
	if (frame_flag)
		sb_frame_request(window->frames, window->xdg.surface, frame_flag);
	wl_surface_commit(window->xdg.surface);
	wl_display_flush(window->client->display);
}

int sb_window_frames_in(struct sb_client *client, struct sb_window *window,
			struct sb_buffer *buffer, int ms)
{
	uint64_t end = sb_now_ms() + (uint64_t)ms;
	int frames = 0;

	while (sb_now_ms() < end) {
		bool done = false;

		sb_window_commit(window, buffer, &done);
		if (!sb_client_wait(client, &done, 1000))
			break;
		frames++;
	}
	return frames;
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
