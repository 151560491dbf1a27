/* SPDX-License-Identifier: MIT */
#ifndef SB_TEST_KDEV_H
#define SB_TEST_KDEV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Kernel devices of the test VM that give real dma-bufs and fences you control: vgem (buffers
 * and fences you attach and signal), sw_sync (fences you signal by hand), udmabuf and dma-heaps
 * (dma-bufs). In the guest a missing device is a test failure: its kernel is the project's.
 */

/* The first /dev/dri/card* whose DRM_IOCTL_VERSION name is driver (never by number). */
int sb_drm_open_by_name(const char *driver);

struct sb_vgem_bo {
	int vgem_fd; /* borrowed */
	uint32_t handle;
	int dmabuf_fd; /* owned */
};

/* A 32 bpp dumb buffer on vgem, exported as a dma-buf. */
int sb_vgem_bo_create(int vgem_fd, uint32_t width, uint32_t height, struct sb_vgem_bo *bo);
void sb_vgem_bo_finish(struct sb_vgem_bo *bo);
/* DRM_IOCTL_VGEM_FENCE_ATTACH: a fence id (> 0), or -1. vgem refuses a conflicting fence (EBUSY). */
int sb_vgem_fence_attach(const struct sb_vgem_bo *bo, bool write);
int sb_vgem_fence_signal(int vgem_fd, uint32_t fence);

/* A sw_sync timeline (debugfs sync/sw_sync; each open is a new timeline at 0). */
int sb_sw_timeline_create(void);
/* A sync_file fd whose fence signals when the timeline reaches value. */
int sb_sw_fence_create(int timeline_fd, uint32_t value);
int sb_sw_timeline_inc(int timeline_fd, uint32_t count);
/* SW_SYNC_GET_DEADLINE: the earliest deadline set on fence_fd's fence, -1 (ENOENT) if none. */
int sb_sw_fence_get_deadline(int timeline_fd, int fence_fd, uint64_t *deadline_ns);

int sb_udmabuf_create(size_t size);
int sb_dma_heap_alloc(const char *heap, size_t size);

/*
 * What most fence tests start from: vgem and a 64x64 buffer on it to attach vgem fences to, and
 * a sw_sync timeline to make fences to import. init returns -1 if any part is missing.
 */
struct sb_fence_fixture {
	int vgem_fd;
	struct sb_vgem_bo bo;
	int timeline;
};

int sb_fence_fixture_init(struct sb_fence_fixture *f);
void sb_fence_fixture_finish(struct sb_fence_fixture *f);

/* poll(2) with a timeout in ms: 1 if events are ready, 0 if not. */
int sb_poll_fd(int fd, short events, int timeout_ms);

#endif
