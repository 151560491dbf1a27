/* SPDX-License-Identifier: MIT */
#ifndef SB_CLIENT_TIMELINE_H
#define SB_CLIENT_TIMELINE_H

#include <stdint.h>

struct sb_sync_file;

/*
 * A sw_sync timeline (drivers/dma-buf/sw_sync.c, CONFIG_SW_SYNC, in debugfs): fences that the
 * client signals from the CPU. Closing the timeline signals the fences still pending, with the
 * error -ENOENT, so a "never" fence cannot outlive the client.
 */
struct timeline;

/* NULL with errno (ENOENT: no sw_sync in debugfs) after a message. */
struct timeline *timeline_create(void);
void timeline_destroy(struct timeline *timeline);

/* A new fence at the next point; the caller owns the sync_file. NULL with errno. */
struct sb_sync_file *timeline_create_fence(struct timeline *timeline, uint32_t *point);
/* Advances the timeline to point, signalling every fence up to it. */
int timeline_signal(struct timeline *timeline, uint32_t point);

#endif
