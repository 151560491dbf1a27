/* SPDX-License-Identifier: MIT */
#ifndef SB_DMABUF_ALLOCATOR_H
#define SB_DMABUF_ALLOCATOR_H

struct sb_bounded_sync;
struct wlr_allocator;

/*
 * Output buffers that are dma-bufs for a CPU renderer: linear XRGB8888/ARGB8888 from the kernel's
 * system dma-heap (/dev/dma_heap/system), mapped for pixman. wlroots 0.15 gives the headless
 * backend with pixman memfd (shm) buffers, which zwlr_export_dmabuf_v1 cannot hand out.
 * NULL if the heap is missing (a host without CONFIG_DMABUF_HEAPS_SYSTEM). sync: the server's
 * bounded DMA_BUF_IOCTL_SYNC, borrowed (NULL: CPU access is never bracketed).
 */
struct wlr_allocator *sb_dmabuf_allocator_create(struct sb_bounded_sync *sync);

#endif
