/* SPDX-License-Identifier: MIT */
#ifndef SB_SYNCOBJ_EVENTFD_H
#define SB_SYNCOBJ_EVENTFD_H

#include <xf86drm.h>

/* include/uapi/drm/drm.h, Linux 6.6; libdrm 2.4.114 has neither the struct nor a wrapper. */
#ifndef DRM_IOCTL_SYNCOBJ_EVENTFD
struct drm_syncobj_eventfd {
	__u32 handle;
	__u32 flags;
	__u64 point;
	__s32 fd;
	__u32 pad;
};
#define DRM_IOCTL_SYNCOBJ_EVENTFD DRM_IOWR(0xCF, struct drm_syncobj_eventfd)
#endif

#endif
