/* SPDX-License-Identifier: MIT */
#ifndef SYNCBRIDGE_PROBE_H
#define SYNCBRIDGE_PROBE_H

#include <stdio.h>

struct sb_sync_file;

/*
 * What the running kernel offers, found by trying each ioctl, never from the kernel version.
 * Each probe returns 1 (there), 0 (missing) or -1 with errno (could not tell).
 */

/* DMA_BUF_IOCTL_EXPORT_SYNC_FILE on a dma-buf the caller has. */
int sb_probe_export_sync_file(int dmabuf_fd);
/* DMA_BUF_IOCTL_IMPORT_SYNC_FILE: re-imports the buffer's own read fences, which changes nothing. */
int sb_probe_import_sync_file(int dmabuf_fd);
/* SYNC_IOC_SET_DEADLINE on a sync_file the caller has (a deadline of 0 is in the past: no effect). */
int sb_probe_set_deadline(const struct sb_sync_file *sync_file);
/* DRM_IOCTL_SYNCOBJ_EVENTFD with handle 0: ENOENT means the ioctl is there (as wlroots probes). */
int sb_probe_syncobj_eventfd(int drm_fd);

/*
 * Looks at the whole system: DRM devices (driver, DRM_CAP_SYNCOBJ, DRM_CAP_SYNCOBJ_TIMELINE,
 * SYNCOBJ_EVENTFD), the heaps in /dev/dma_heap, /dev/udmabuf, sw_sync, and the dma-buf and sync_file ioctls
 * on a dma-buf it allocates itself where it can. One line each to out. Returns the number of
 * capabilities found.
 */
int sb_probe_report(FILE *out);

#endif
