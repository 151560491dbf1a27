/* SPDX-License-Identifier: MIT */
#ifndef SB_SYNCOBJ_V1_H
#define SB_SYNCOBJ_V1_H

#include <wayland-server-core.h>

struct sb_commit_gate;

/*
 * wp_linux_drm_syncobj_manager_v1: explicit sync with DRM syncobj timelines. The global is
 * advertised only when a DRM device with DRM_CAP_SYNCOBJ_TIMELINE can be opened: drm_fd (the
 * renderer's, borrowed) if it has the cap, else one the server opens itself. Returns NULL, logged
 * at INFO, when there is none: that is not an error, the compositor runs without the global.
 */
struct sb_syncobj_v1;

struct sb_syncobj_v1 *sb_syncobj_v1_create(struct wl_display *display, struct sb_commit_gate *gate,
					   int drm_fd);
void sb_syncobj_v1_destroy(struct sb_syncobj_v1 *syncobj_v1);

#endif
