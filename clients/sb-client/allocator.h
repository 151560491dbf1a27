/* SPDX-License-Identifier: MIT */
#ifndef SB_CLIENT_ALLOCATOR_H
#define SB_CLIENT_ALLOCATOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "options.h"

struct gbm_bo;

/* Pixel memory, mapped for writing: a memfd (wl_shm) or a dma-buf. */
struct storage {
	int fd; /* the memfd or dma-buf; owned */
	bool dmabuf;
	void *map;
	size_t size;
	uint32_t stride;
	uint32_t offset;       /* of the pixels in the dma-buf */
	uint64_t modifier;     /* DRM_FORMAT_MOD_LINEAR */
	uint32_t vgem_handle;  /* vgem only, else 0 */
	struct gbm_bo *gbm_bo; /* gbm only, else NULL */
};

/*
 * Where buffers come from: wl_shm memfds, /dev/udmabuf over sealed memfds, a dma-buf heap,
 * vgem dumb buffers exported with PRIME, or Mesa's GBM. The allocator holds the device open.
 */
struct allocator;

/*
 * For opts->buffer (and heap, gbm_device, format and size). NULL with errno after a message;
 * ENOENT or ENODEV when the device is not there.
 */
struct allocator *allocator_create(const struct options *opts);
void allocator_destroy(struct allocator *allocator);

int allocator_alloc(struct allocator *allocator, uint32_t width, uint32_t height,
		    struct storage *storage);
void allocator_free(struct allocator *allocator, struct storage *storage);

/* The vgem device for --buffer vgem (fences attach there), else NULL. */
struct vgem *allocator_get_vgem(struct allocator *allocator);

/*
 * DMA_BUF_IOCTL_SYNC around CPU writes through the mapping (nothing for a memfd). START waits
 * for the buffer's fences: call it only on a buffer that is idle (buffer.c checks).
 */
int storage_begin_write(struct storage *storage);
int storage_end_write(struct storage *storage);

#endif
