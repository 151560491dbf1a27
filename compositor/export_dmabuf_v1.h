/* SPDX-License-Identifier: MIT */
#ifndef SB_EXPORT_DMABUF_V1_H
#define SB_EXPORT_DMABUF_V1_H

#include <stdbool.h>

struct sb_server;

/*
 * zwlr_export_dmabuf_manager_v1 (version 1): hands a consumer the dma-buf of the output buffer a
 * commit showed, and keeps that buffer out of the output's swapchain until the consumer is done
 * with it: while its frame object lives, and then until every fence the consumer added to the
 * dma-buf (its readers: DMA_BUF_IOCTL_IMPORT_SYNC_FILE with READ) has signalled. On headless with
 * pixman it makes the output buffers dma-bufs (dmabuf_allocator.c), which must happen before the
 * first output: call it from create_globals(). Freed with the display.
 */
bool sb_export_dmabuf_v1_create(struct sb_server *server);

#endif
