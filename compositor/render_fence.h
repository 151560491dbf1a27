/* SPDX-License-Identifier: MIT */
#ifndef SB_RENDER_FENCE_H
#define SB_RENDER_FENCE_H

#include <stdbool.h>

struct wlr_renderer;
struct wlr_scene_output;

/* The read fences of the GLES2 renderer (render_fence.c); NULL for any other renderer. */
struct sb_render_fence;

struct sb_render_fence *render_fence_create(struct wlr_renderer *renderer);
void render_fence_destroy(struct sb_render_fence *rf);
bool render_fence_is_native(const struct sb_render_fence *rf);
/*
 * After a frame was rendered (not scanned out) on scene_output: the frame's read fence goes into
 * every client dma-buf shown there, or, without native fences, the reads are finished now. A
 * NULL rf does nothing.
 */
void render_fence_frame_done(struct sb_render_fence *rf, struct wlr_scene_output *scene_output);

#endif
