/* SPDX-License-Identifier: MIT */
#ifndef SB_CLIENT_VGEM_H
#define SB_CLIENT_VGEM_H

#include <stdbool.h>
#include <stdint.h>

/*
 * The vgem DRM device (drivers/gpu/drm/vgem, CONFIG_DRM_VGEM): dumb buffers shared as dma-bufs
 * with PRIME, and fences attached to them that the client signals (vgem_fence.c).
 */
struct vgem;

/* Finds the primary node whose DRM_IOCTL_VERSION name is "vgem". NULL with errno (ENOENT). */
struct vgem *vgem_open(void);
void vgem_destroy(struct vgem *vgem);

/* DRM_IOCTL_MODE_CREATE_DUMB, 32 bpp. */
int vgem_create_dumb(struct vgem *vgem, uint32_t width, uint32_t height, uint32_t *handle,
		     uint32_t *pitch, uint64_t *size);
/* A dma-buf fd (O_RDWR | O_CLOEXEC) the caller owns, or -1. */
int vgem_export(struct vgem *vgem, uint32_t handle);
void vgem_close_handle(struct vgem *vgem, uint32_t handle);

/*
 * DRM_IOCTL_VGEM_FENCE_ATTACH: a write fence on the buffer, in its dma_resv. vgem refuses it
 * with EBUSY while any fence on the buffer is pending, and signals it by itself after 10 s.
 */
int vgem_fence_attach(struct vgem *vgem, uint32_t handle, uint32_t *fence);
/* DRM_IOCTL_VGEM_FENCE_SIGNAL; ETIMEDOUT if vgem's 10 s timer signalled it first. */
int vgem_fence_signal(struct vgem *vgem, uint32_t fence);

#endif
