/* SPDX-License-Identifier: MIT */
#ifndef SB_FIFO_V1_H
#define SB_FIFO_V1_H

#include <wayland-server-core.h>

struct sb_commit_gate;
struct wlr_backend;

/*
 * wp_fifo_manager_v1: wait_barrier is a condition of the commit gate; barriers are cleared by the
 * frames of the backend's outputs (created before the backend starts, after the compositor's own
 * new_output listener, so that its frame listeners run after the frame is latched).
 */
struct sb_fifo_v1;

struct sb_fifo_v1 *sb_fifo_v1_create(struct wl_display *display, struct wlr_backend *backend,
				     struct sb_commit_gate *gate);
void sb_fifo_v1_destroy(struct sb_fifo_v1 *fifo);

#endif
