/* SPDX-License-Identifier: MIT */
#ifndef SB_TEST_WL_CLIENT_H
#define SB_TEST_WL_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/*
 * What the compositor guest tests need of a Wayland client and of a compositor under test:
 * start syncbridge on its own socket, connect, make xdg toplevels and subsurfaces, attach
 * udmabuf-backed linux-dmabuf buffers of one colour, count frame callbacks, read screenshots.
 */
struct sb_compositor {
	pid_t pid;
	int control; /* the test control socket (compositor/test_control.h), or -1 */
	char runtime_dir[256];
	char socket[64];
	char shot[320];
};

/* Starts syncbridge headless with pixman and the extra arguments (NULL-terminated). */
bool sb_compositor_start(struct sb_compositor *comp, const char *syncbridge,
			 const char *const *extra);
/* The same, and serving the test control socket: true once it said READY there. */
bool sb_compositor_start_controlled(struct sb_compositor *comp, const char *syncbridge,
				    const char *const *extra);
/*
 * One request on the control socket (x a plain integer where the op says so): the reply's status,
 * 0 or a negative errno; -ETIMEDOUT if no reply came in 10 s.
 */
int sb_compositor_control(struct sb_compositor *comp, uint32_t op, int32_t x);
/* SIGTERM, then waits; returns the exit status, or -1 if it had to be killed. */
int sb_compositor_stop(struct sb_compositor *comp);
int sb_compositor_fd_count(const struct sb_compositor *comp);
bool sb_compositor_alive(const struct sb_compositor *comp);
/* SIGUSR1 screenshot; the pixel at (x, y) as 0xRRGGBB, or -1. */
long sb_compositor_pixel(struct sb_compositor *comp, int x, int y);

struct sb_client;
struct sb_window;
struct sb_buffer;

struct sb_client *sb_client_connect(const struct sb_compositor *comp);
void sb_client_destroy(struct sb_client *client);
/* Dispatches events for up to timeout_ms, or until *flag becomes true (flag may be NULL). */
bool sb_client_wait(struct sb_client *client, const bool *flag, int timeout_ms);
/* Every request sent so far has been handled by the compositor. */
bool sb_client_roundtrip(struct sb_client *client);
/* The protocol error the connection died of: 0 if none, else the code (interface in *iface). */
uint32_t sb_client_error(struct sb_client *client, const char **iface);

struct sb_window *sb_window_create(struct sb_client *client);
/* A sub-surface of parent, in synchronized mode, at (x, y) in the parent. */
struct sb_window *sb_subsurface_create(struct sb_client *client, struct sb_window *parent, int x,
				       int y);
void sb_window_destroy(struct sb_window *window);

/* A width x height XRGB8888 udmabuf, filled with rgb, as a linux-dmabuf wl_buffer. */
struct sb_buffer *sb_buffer_create(struct sb_client *client, int width, int height, uint32_t rgb);
void sb_buffer_destroy(struct sb_buffer *buffer);
int sb_buffer_dmabuf_fd(const struct sb_buffer *buffer);
/* Set by the buffer's wl_buffer.release, cleared when sb_window_commit() attaches it: a flag for
 * sb_client_wait(). */
const bool *sb_buffer_released(const struct sb_buffer *buffer);

/*
 * Attaches buffer (NULL: none) and commits, asking for a frame callback whose arrival sets
 * *frame_done (NULL: no callback).
 */
void sb_window_commit(struct sb_window *window, struct sb_buffer *buffer, bool *frame_done);
/* Frames the window gets in ms milliseconds, committing buffer on every frame callback. */
int sb_window_frames_in(struct sb_client *client, struct sb_window *window,
			struct sb_buffer *buffer, int ms);

/* Raw access for error tests: zwp_linux_dmabuf_v1 create_immed of fd as a w x h XRGB8888. */
void sb_client_create_immed(struct sb_client *client, int fd, int width, int height,
			    uint32_t format, uint32_t stride);

/*
 * The parts the guest tests' other clients (capture_client, syncobj_client, explicit_client),
 * which bind their own globals, are made of.
 */
struct wl_buffer;
struct wl_callback;
struct wl_compositor;
struct wl_display;
struct wl_registry;
struct wl_shm;
struct wl_surface;
struct xdg_surface;
struct xdg_toplevel;
struct xdg_wm_base;
struct zwp_linux_dmabuf_v1;

/* CLOCK_MONOTONIC in milliseconds. */
uint64_t sb_now_ms(void);
/* Connects to comp's socket, retrying while it is refused; NULL on failure. */
struct wl_display *sb_display_connect(const struct sb_compositor *comp);
/*
 * Calls global(data, ...) for every global the display announces, to bind those it wants, then
 * drops the registry: one roundtrip, so the globals are bound when it returns.
 */
typedef void (*sb_global_func_t)(void *data, struct wl_registry *registry, uint32_t name,
				 const char *iface, uint32_t version);
void sb_display_bind_globals(struct wl_display *display, sb_global_func_t global, void *data);
/* Dispatches events for up to timeout_ms, or until *flag becomes true (flag may be NULL). */
bool sb_display_wait(struct wl_display *display, const bool *flag, int timeout_ms);
/* The protocol error the connection died of: 0 if none, else the code (interface in *iface). */
uint32_t sb_display_error(struct wl_display *display, const char **iface);
/* Answers the compositor's xdg_wm_base.ping. */
void sb_wm_base_add_listener(struct xdg_wm_base *wm_base);

/* A memfd of size bytes, every 32-bit word of it value; -1 on failure. */
int sb_memfd_create_filled(size_t size, uint32_t value);
/*
 * A udmabuf of size bytes rounded up to whole pages, every 32-bit word of the first size bytes
 * value; -1 on failure.
 */
int sb_udmabuf_create_filled(size_t size, uint32_t value);
/* zwp_linux_dmabuf_v1 create_immed of fd (borrowed) as one LINEAR plane at offset 0. */
struct wl_buffer *sb_dmabuf_wl_buffer_create(struct zwp_linux_dmabuf_v1 *dmabuf, int fd, int width,
					     int height, uint32_t stride, uint32_t fourcc);
/* A wl_shm buffer at offset 0 of a pool of size bytes of fd (borrowed). */
struct wl_buffer *sb_shm_wl_buffer_create(struct wl_shm *shm, int fd, size_t size, int width,
					  int height, uint32_t stride, uint32_t format);

/* A wl_surface with the xdg toplevel role. */
struct sb_toplevel {
	struct wl_surface *surface;
	struct xdg_surface *xdg_surface;
	struct xdg_toplevel *toplevel;
	bool configured;
};

/*
 * Makes toplevel and waits (5 s) for its first configure, which it acks. On false (none came)
 * the objects are made all the same: sb_toplevel_finish destroys them.
 */
bool sb_toplevel_init(struct sb_toplevel *toplevel, struct wl_display *display,
		      struct wl_compositor *compositor, struct xdg_wm_base *wm_base);
/* Destroys the role objects and the wl_surface (those not destroyed yet), leaving NULLs. */
void sb_toplevel_finish(struct sb_toplevel *toplevel);

/* A frame callback in flight; destroyed with its surface if it never fires (a held commit). */
struct sb_frame {
	struct wl_callback *callback;
	bool *flag;
};

#define SB_MAX_FRAMES 8

/* Asks for a frame callback on surface (in a free slot of frames) that sets *flag. */
void sb_frame_request(struct sb_frame frames[SB_MAX_FRAMES], struct wl_surface *surface,
		      bool *flag);
/* Destroys the callbacks still in flight. */
void sb_frames_cancel(struct sb_frame frames[SB_MAX_FRAMES]);

#endif
