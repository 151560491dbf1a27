/* SPDX-License-Identifier: MIT */
#ifndef SB_CLIENT_FENCE_H
#define SB_CLIENT_FENCE_H

#include <stdbool.h>
#include <stdint.h>

struct sb_sync_file;
struct timeline;
struct vgem;

/* A fence the client signals itself: a sw_sync point, or a vgem fence on a vgem buffer. */
struct fence;

/* *sync_file: the fence as a sync_file the caller owns (to import into a dma-buf or send). */
struct fence *fence_create_sw_sync(struct timeline *timeline, struct sb_sync_file **sync_file);
/* Attaches a write fence to the vgem buffer: it is implicit from the start. */
struct fence *fence_create_vgem(struct vgem *vgem, uint32_t handle);
/* Leaves a pending fence pending: its timeline or vgem file signals it when it closes. */
void fence_destroy(struct fence *fence);

int fence_signal(struct fence *fence);
bool fence_is_signaled(const struct fence *fence);

#endif
