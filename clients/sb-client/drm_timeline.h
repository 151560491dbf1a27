/* SPDX-License-Identifier: MIT */
#ifndef SB_CLIENT_DRM_TIMELINE_H
#define SB_CLIENT_DRM_TIMELINE_H

#include <stdint.h>

struct sb_syncobj;
struct wp_linux_drm_syncobj_manager_v1;

/*
 * --syncobj: a DRM syncobj timeline the client created on a DRM device with
 * DRM_CAP_SYNCOBJ_TIMELINE and imported into the compositor (wp_linux_drm_syncobj_v1). The
 * client signals its acquire points on it and waits for the compositor's release points.
 */
struct drm_timeline {
	struct sb_syncobj *syncobj;
	struct wp_linux_drm_syncobj_timeline_v1 *proxy;
};

/* The first render node, then primary node, with timeline syncobjs: an fd, or -1 (ENODEV). */
int drm_timeline_open_device(void);
/* drm_fd is borrowed. NULL with errno after a message. */
struct drm_timeline *drm_timeline_create(int drm_fd,
					 struct wp_linux_drm_syncobj_manager_v1 *manager);
void drm_timeline_destroy(struct drm_timeline *timeline);

#endif
