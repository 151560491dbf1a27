/* SPDX-License-Identifier: MIT */
#ifndef SYNCBRIDGE_SYNCOBJ_H
#define SYNCBRIDGE_SYNCOBJ_H

#include <stdbool.h>
#include <stdint.h>

struct sb_sync_file;

/*
 * A DRM syncobj timeline (drivers/gpu/drm/drm_syncobj.c) held as a handle on a DRM fd. The DRM
 * fd is borrowed: it must stay open for the life of the object. Errors: -1 or NULL with errno set;
 * a drm_fd that is not a DRM device fails with EINVAL, a closed fd with EBADF.
 */
struct sb_syncobj;

enum sb_point_state {
	SB_POINT_PENDING = 0,	/* no fence submitted for the point yet */
	SB_POINT_AVAILABLE = 1, /* a fence is there ("materialized"), not signalled */
	SB_POINT_SIGNALED = 2,
};

/* A new timeline, with no points. */
struct sb_syncobj *sb_syncobj_create(int drm_fd);
/* DRM_IOCTL_SYNCOBJ_FD_TO_HANDLE. Takes ownership of syncobj_fd: closed on every path. */
struct sb_syncobj *sb_syncobj_import(int drm_fd, int syncobj_fd);
void sb_syncobj_destroy(struct sb_syncobj *syncobj);

int sb_syncobj_get_drm_fd(const struct sb_syncobj *syncobj);
uint32_t sb_syncobj_get_handle(const struct sb_syncobj *syncobj);
/* DRM_IOCTL_SYNCOBJ_HANDLE_TO_FD: an fd the caller owns, to send to another process. */
int sb_syncobj_export(const struct sb_syncobj *syncobj);

/* The fence of a point as a sync_file. Fails with EINVAL while the point is pending. */
struct sb_sync_file *sb_syncobj_export_point(const struct sb_syncobj *syncobj, uint64_t point);
/* Makes the sync_file's fences the fence of point. */
int sb_syncobj_import_point(struct sb_syncobj *syncobj, uint64_t point,
			    const struct sb_sync_file *sync_file);
/* DRM_IOCTL_SYNCOBJ_TIMELINE_SIGNAL: signals point now, from the CPU. */
int sb_syncobj_signal_point(struct sb_syncobj *syncobj, uint64_t point);
/* DRM_IOCTL_SYNCOBJ_QUERY: the last signalled point. */
int sb_syncobj_query(const struct sb_syncobj *syncobj, uint64_t *point);
/* Never blocks. Returns an enum sb_point_state, or -1. */
int sb_syncobj_point_state(const struct sb_syncobj *syncobj, uint64_t point);

/*
 * DRM_IOCTL_SYNCOBJ_EVENTFD (Linux 6.6): an eventfd the caller owns that becomes readable when
 * point signals, or, with available, when its fence is submitted. Fails with ENOTTY or EINVAL
 * where the kernel lacks the ioctl (see sb_probe_syncobj_eventfd).
 */
int sb_syncobj_eventfd(const struct sb_syncobj *syncobj, uint64_t point, bool available);

#endif
