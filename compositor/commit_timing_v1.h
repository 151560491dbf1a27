/* SPDX-License-Identifier: MIT */
#ifndef SB_COMMIT_TIMING_V1_H
#define SB_COMMIT_TIMING_V1_H

#include <time.h>

#include <wayland-server-core.h>

struct sb_commit_gate;

/*
 * wp_commit_timing_manager_v1: a commit's target time is a condition of the commit gate, held
 * until the presentation clock (clock, wp_presentation's) reaches it.
 */
struct sb_commit_timing_v1;

struct sb_commit_timing_v1 *sb_commit_timing_v1_create(struct wl_display *display,
						       struct sb_commit_gate *gate,
						       clockid_t clock);
void sb_commit_timing_v1_destroy(struct sb_commit_timing_v1 *timing);

#endif
