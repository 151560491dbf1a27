/* SPDX-License-Identifier: MIT */
#ifndef SB_COMMIT_TIMING_V1_H
#define SB_COMMIT_TIMING_V1_H

#include <wayland-server-core.h>

struct sb_commit_gate;
struct wlr_backend;

/*
 * wp_commit_timing_manager_v1: a commit's target time is a condition of the commit gate, held on
 * the backend's presentation clock until the output's next vblank is the first at or after the
 * target (or, without a vblank grid, until the target).
 */
struct sb_commit_timing_v1;

struct sb_commit_timing_v1 *sb_commit_timing_v1_create(struct wl_display *display,
						       struct wlr_backend *backend,
						       struct sb_commit_gate *gate);
void sb_commit_timing_v1_destroy(struct sb_commit_timing_v1 *timing);

#endif
