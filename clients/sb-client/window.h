/* SPDX-License-Identifier: MIT */
#ifndef SB_CLIENT_WINDOW_H
#define SB_CLIENT_WINDOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <wayland-client.h>

#define WINDOW_MAX_BUFFERS 16

struct client;

/* One xdg_toplevel, its buffers, its fence timelines and the frames it committed. */
struct window {
	struct client *client;
	int index;
	struct wl_surface *surface;
	struct xdg_surface *xdg_surface;
	struct xdg_toplevel *toplevel;
	struct zwp_linux_surface_synchronization_v1 *sync; /* --explicit */
	struct wp_linux_drm_syncobj_surface_v1 *syncobj;   /* --syncobj */
	/*
	 * --syncobj: frame n acquires at point n + 1 of points and releases at point n + 1 of
	 * release_points. Two timelines: a wait for a point that has no fence yet resolves with the
	 * next later point, so a release point followed by the next acquire point on one timeline
	 * would be "released" by the client's own next acquire signal.
	 */
	struct drm_timeline *points;
	struct drm_timeline *release_points;

	struct buffer *buffers[WINDOW_MAX_BUFFERS];
	int n_buffers;
	int next_buffer; /* round robin start */
	struct timeline *acquire_timeline;
	struct timeline *later_timeline;

	struct frame **frames; /* in commit order; frames[i]->number == i */
	size_t n_frames, frames_capacity;

	bool configured;
	bool started; /* committing frames: buffers exist and configured */
	int32_t configure_width, configure_height; /* the last xdg_toplevel.configure */
	bool want_frame; /* a frame is due: waiting for a buffer to be ready */
	bool done_committing;
	struct loop_timer *rate_timer;
	uint64_t next_tick_ns;
	uint64_t skipped_ticks; /* --rate ticks with no buffer ready */

	struct wl_list link; /* client.windows */
};

/* NULL (after a message) with *exit_code set. */
struct window *window_create(struct client *client, int index, int *exit_code);
void window_destroy(struct window *window);

/* Allocates the buffers (at opts->width x opts->height); an enum exit_code. */
int window_create_buffers(struct window *window);
/* Checks the results of asynchronous dma-buf creation after a roundtrip; an enum exit_code. */
int window_check_buffers(struct window *window);
/* The first, buffer-less commit (or, with --misbehave unconfigured-buffer, one with a buffer). */
void window_map(struct window *window);
/* Configured and with buffers: starts committing frames (ticks or frame callbacks). */
void window_start(struct window *window);
/* Commits a frame if one is due and a buffer is ready. */
void window_kick(struct window *window);
/* The compositor is done with the frame's content (wl_surface.frame). */
void window_frame_done(struct window *window);
/* No more commits. */
void window_stop(struct window *window);
/* No frame callback, feedback, fence timer or sync still pending. */
bool window_settled(const struct window *window);

#endif
