/* SPDX-License-Identifier: MIT */
#ifndef SB_BOUNDED_SYNC_H
#define SB_BOUNDED_SYNC_H

#include <stdbool.h>

#include <syncbridge/dmabuf.h>

/*
 * DMA_BUF_IOCTL_SYNC(START) that cannot stall the compositor. START waits, with no timeout, for
 * every fence the access must wait for (dma_buf_begin_cpu_access()). The compositor's own CPU
 * writes (screencopy into a client dma-buf, pixman into an exported output buffer) only start on
 * a buffer whose fences have signalled, but another process holding the dma-buf can add one at
 * any time: so START is taken only if the buffer is idle for the access, and runs under a
 * one-shot timer signal (the kernel's wait is interruptible), which bounds a late fence's cost.
 */
struct sb_bounded_sync;

struct sb_bounded_sync *sb_bounded_sync_create(void);
void sb_bounded_sync_destroy(struct sb_bounded_sync *sync);

/*
 * DMA_BUF_IOCTL_SYNC(START) for access (READ, WRITE or RW) on a dma-buf, if no fence it must wait
 * for is pending. False if one is, or if one came and the bound expired: no bracket was taken,
 * and the caller decides whether to go ahead without it or to wait and retry.
 */
bool sb_bounded_sync_start(struct sb_bounded_sync *sync, int dmabuf_fd, enum sb_access access);
/* DMA_BUF_IOCTL_SYNC(END), after a start that returned true. */
void sb_bounded_sync_end(int dmabuf_fd, enum sb_access access);

#endif
