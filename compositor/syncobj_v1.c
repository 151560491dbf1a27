// SPDX-License-Identifier: MIT
#include <stddef.h>

#include <wlr/util/log.h>

#include "syncobj_v1.h"

/* Placeholder until the server lands: no global. */
struct sb_syncobj_v1 *sb_syncobj_v1_create(struct wl_display *display, struct sb_commit_gate *gate,
					   int drm_fd)
{
	wlr_log(WLR_INFO, "wp_linux_drm_syncobj_manager_v1: not served yet");
	return NULL;
}

void sb_syncobj_v1_destroy(struct sb_syncobj_v1 *syncobj_v1)
{
}
