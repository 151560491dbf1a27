// SPDX-License-Identifier: MIT
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <xf86drm.h>

#include <syncbridge/syncobj.h>

#include "drm_timeline.h"
#include "linux-drm-syncobj-v1-client-protocol.h"
#include "util.h"

int drm_timeline_open_device(void)
{
	static const struct {
		const char *prefix;
		int first;
	} nodes[] = {{"/dev/dri/renderD", 128}, {"/dev/dri/card", 0}};

	for (size_t n = 0; n < sizeof(nodes) / sizeof(nodes[0]); n++) {
		for (int i = nodes[n].first; i < nodes[n].first + 64; i++) {
			uint64_t cap = 0;
			char path[32];
			int fd;

			snprintf(path, sizeof(path), "%s%d", nodes[n].prefix, i);
			fd = open(path, O_RDWR | O_CLOEXEC);
			if (fd < 0)
				continue;
			if (drmGetCap(fd, DRM_CAP_SYNCOBJ_TIMELINE, &cap) == 0 && cap) {
				log_msg(SB_DEBUG, "syncobj timelines on %s", path);
				return fd;
			}
			close(fd);
		}
	}
	log_msg(SB_ERROR, "--syncobj: no DRM device with DRM_CAP_SYNCOBJ_TIMELINE");
	errno = ENODEV;
	return -1;
}

struct drm_timeline *drm_timeline_create(int drm_fd,
					 struct wp_linux_drm_syncobj_manager_v1 *manager)
{
	struct drm_timeline *timeline = calloc(1, sizeof(*timeline));
	int fd;

	if (!timeline) {
		log_errno(SB_ERROR, "calloc");
		return NULL;
	}
	timeline->syncobj = sb_syncobj_create(drm_fd);
	if (!timeline->syncobj) {
		log_errno(SB_ERROR, "DRM_IOCTL_SYNCOBJ_CREATE");
		goto err;
	}
	fd = sb_syncobj_export(timeline->syncobj);
	if (fd < 0) {
		log_errno(SB_ERROR, "DRM_IOCTL_SYNCOBJ_HANDLE_TO_FD");
		goto err;
	}
	timeline->proxy = wp_linux_drm_syncobj_manager_v1_import_timeline(manager, fd);
	/* libwayland sends a duplicate. */
	close(fd);
	return timeline;

err:
	drm_timeline_destroy(timeline);
	return NULL;
}

void drm_timeline_destroy(struct drm_timeline *timeline)
{
	if (!timeline)
		return;
	if (timeline->proxy)
		wp_linux_drm_syncobj_timeline_v1_destroy(timeline->proxy);
	sb_syncobj_destroy(timeline->syncobj);
	free(timeline);
}
