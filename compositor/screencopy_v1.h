/* SPDX-License-Identifier: MIT */
#ifndef SB_SCREENCOPY_V1_H
#define SB_SCREENCOPY_V1_H

#include <stdbool.h>
#include <wayland-server-core.h>

/*
 * zwlr_screencopy_manager_v1 (version 3) into wl_shm buffers and into client dma-bufs made
 * through syncbridge's linux-dmabuf (or any linear one-plane dma-buf wl_buffer). A dma-buf target
 * is written only after every fence on it has signalled (its consumer's readers: waited for in
 * the event loop), inside DMA_BUF_IOCTL_SYNC, and `ready` follows the write. One consumer's
 * frames are served in the order it asked for them. Freed with the display.
 */
struct sb_bounded_sync;

/* sync: the server's bounded DMA_BUF_IOCTL_SYNC (borrowed; NULL: dma-buf targets fail). */
bool sb_screencopy_v1_create(struct wl_display *display, struct sb_bounded_sync *sync);

#endif
