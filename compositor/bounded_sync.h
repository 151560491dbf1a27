/* SPDX-License-Identifier: MIT */
#ifndef SB_BOUNDED_SYNC_H
#define SB_BOUNDED_SYNC_H

#include <stdbool.h>
#include <stdint.h>

#include <syncbridge/dmabuf.h>

/*
 * DMA_BUF_IOCTL_SYNC(START) that cannot stall the compositor. START waits, with no timeout, for
 * every fence the access must wait for (dma_buf_begin_cpu_access()). The compositor's CPU
 * accesses (pixman reading a client dma-buf, screencopy writing one, pixman into an exported
 * output buffer) only start on a buffer whose fences have signalled, but another process holding
 * the dma-buf can add one at any time (DMA_BUF_IOCTL_IMPORT_SYNC_FILE): so START is taken only if
 * the buffer is idle for the access, and runs under a timer signal (the kernel's wait is
 * interruptible), which bounds a late fence's cost: the ioctl waits at most SYNC_BOUND_NS
 * (2 ms), however long the thread was preempted between arming the timer and the ioctl.
 *
 * One per compositor: the server owns it, linux-dmabuf, screencopy and the dma-heap allocator
 * borrow it. NULL (no timer) is a valid object that never takes START, and none is taken on
 * another thread than the one that created it (the timer signals that thread only).
 */
struct sb_bounded_sync;

struct sb_bounded_sync *sb_bounded_sync_create(void);
void sb_bounded_sync_destroy(struct sb_bounded_sync *sync);

/*
 * DMA_BUF_IOCTL_SYNC(START) for access (READ, WRITE or RW, optionally with SB_ACCESS_CHECKED) on
 * a dma-buf, if no fence it must wait for is pending. False if one is, if one came and the bound
 * expired, or if there is no bound (sync NULL, the timer could not be armed, another thread):
 * no bracket was taken, and the caller decides whether to go ahead without it or to wait and
 * retry. Never an unbounded wait.
 */
bool sb_bounded_sync_start(struct sb_bounded_sync *sync, int dmabuf_fd, enum sb_access access);
/* DMA_BUF_IOCTL_SYNC(END), after a start that returned true. */
void sb_bounded_sync_end(int dmabuf_fd, enum sb_access access);

/*
 * Test hooks, for the test control socket only (test_control.h): START without the idle check
 * first, so that the bound itself is what is tested; a sleep of usec between arming the bound
 * and the ioctl, the window in which a preemption spends the timer's first expiry.
 */
void sb_bounded_sync_test_skip_idle_check(struct sb_bounded_sync *sync, bool skip);
void sb_bounded_sync_test_arm_delay(struct sb_bounded_sync *sync, uint32_t usec);

#endif
