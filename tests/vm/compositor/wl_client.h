/* SPDX-License-Identifier: MIT */
#ifndef SB_TEST_WL_CLIENT_H
#define SB_TEST_WL_CLIENT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/*
 * What the compositor guest tests need of a Wayland client and of a compositor under test:
 * start syncbridge on its own socket, connect, make xdg toplevels and subsurfaces, attach
 * udmabuf-backed linux-dmabuf buffers of one colour, count frame callbacks, read screenshots.
 */
struct sb_compositor {
	pid_t pid;
	char runtime_dir[256];
	char socket[64];
	char shot[320];
};

/* Starts syncbridge headless with pixman and the extra arguments (NULL-terminated). */
bool sb_compositor_start(struct sb_compositor *comp, const char *syncbridge,
			 const char *const *extra);
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

/*
 * Attaches buffer (NULL: none) and commits, asking for a frame callback whose arrival sets
 * *frame_done (NULL: no callback).
 */
void sb_window_commit(struct sb_window *window, struct sb_buffer *buffer, bool *frame_done);

/* Raw access for error tests: zwp_linux_dmabuf_v1 create_immed of fd as a w x h XRGB8888. */
void sb_client_create_immed(struct sb_client *client, int fd, int width, int height,
			    uint32_t format, uint32_t stride);

#endif
