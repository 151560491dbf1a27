// SPDX-License-Identifier: MIT
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <xf86drm.h>

#include <syncbridge/sync_file.h>
#include <syncbridge/syncobj.h>

#include "syncobj_eventfd.h"
#include "util.h"

struct sb_syncobj {
	int drm_fd; /* borrowed */
	uint32_t handle;
};

static struct sb_syncobj *syncobj_wrap(int drm_fd, uint32_t handle)
{
	struct sb_syncobj *syncobj = sb_calloc(1, sizeof(*syncobj));

	if (!syncobj) {
		drmSyncobjDestroy(drm_fd, handle);
		errno = ENOMEM;
		return NULL;
	}
	syncobj->drm_fd = drm_fd;
	syncobj->handle = handle;
	return syncobj;
}

struct sb_syncobj *sb_syncobj_create(int drm_fd)
{
	uint32_t handle;
	int ret;

	if (sb_check_drm_fd(drm_fd) < 0)
		return NULL;
	/* libdrm returns -errno with errno set. */
	ret = SB_KERNEL_ALLOC(drmSyncobjCreate(drm_fd, 0, &handle));
	if (ret < 0) {
		sb_log_errno(SB_DEBUG, "DRM_IOCTL_SYNCOBJ_CREATE failed");
		return NULL;
	}
	return syncobj_wrap(drm_fd, handle);
}

struct sb_syncobj *sb_syncobj_import(int drm_fd, int syncobj_fd)
{
	uint32_t handle;

	if (syncobj_fd < 0) {
		errno = EBADF;
		return NULL;
	}
	if (sb_check_drm_fd(drm_fd) < 0)
		goto err_close;
	if (SB_KERNEL_ALLOC(drmSyncobjFDToHandle(drm_fd, syncobj_fd, &handle)) < 0) {
		sb_log_errno(SB_DEBUG, "DRM_IOCTL_SYNCOBJ_FD_TO_HANDLE of fd %d failed",
			     syncobj_fd);
		goto err_close;
	}
	close(syncobj_fd);
	return syncobj_wrap(drm_fd, handle);

err_close:
	sb_close_keep_errno(syncobj_fd);
	return NULL;
}

void sb_syncobj_destroy(struct sb_syncobj *syncobj)
{
	if (!syncobj)
		return;
	drmSyncobjDestroy(syncobj->drm_fd, syncobj->handle);
	free(syncobj);
}

int sb_syncobj_get_drm_fd(const struct sb_syncobj *syncobj)
{
	return syncobj->drm_fd;
}

uint32_t sb_syncobj_get_handle(const struct sb_syncobj *syncobj)
{
	return syncobj->handle;
}

int sb_syncobj_export(const struct sb_syncobj *syncobj)
{
	int fd = -1;

	/* drm_syncobj_handle_to_fd() installs the fd with O_CLOEXEC. */
	if (SB_KERNEL_ALLOC(drmSyncobjHandleToFD(syncobj->drm_fd, syncobj->handle, &fd)) < 0)
		return -1;
	return fd;
}

static void destroy_binary_keep_errno(int drm_fd, uint32_t handle)
{
	int saved = errno;

	drmSyncobjDestroy(drm_fd, handle);
	errno = saved;
}

/*
 * Timeline points cannot be exported or imported directly: DRM_IOCTL_SYNCOBJ_TRANSFER moves a
 * point's fence to or from a binary syncobj, which does convert to and from a sync_file.
 */
struct sb_sync_file *sb_syncobj_export_point(const struct sb_syncobj *syncobj, uint64_t point)
{
	uint32_t binary;
	int fd = -1;

	if (SB_KERNEL_ALLOC(drmSyncobjCreate(syncobj->drm_fd, 0, &binary)) < 0)
		return NULL;
	/* Without WAIT_FOR_SUBMIT the transfer fails with EINVAL for a pending point: never blocks. */
	if (drmSyncobjTransfer(syncobj->drm_fd, binary, 0, syncobj->handle, point, 0) < 0) {
		sb_log_errno(SB_DEBUG, "transfer of point %" PRIu64 " failed", point);
	} else if (SB_KERNEL_ALLOC(drmSyncobjExportSyncFile(syncobj->drm_fd, binary, &fd)) < 0) {
		fd = -1;
	}
	destroy_binary_keep_errno(syncobj->drm_fd, binary);
	if (fd < 0)
		return NULL;
	return sb_sync_file_import(fd);
}

int sb_syncobj_import_point(struct sb_syncobj *syncobj, uint64_t point,
			    const struct sb_sync_file *sync_file)
{
	uint32_t binary;
	int ret;

	if (SB_KERNEL_ALLOC(drmSyncobjCreate(syncobj->drm_fd, 0, &binary)) < 0)
		return -1;
	ret = drmSyncobjImportSyncFile(syncobj->drm_fd, binary, sb_sync_file_get_fd(sync_file));
	if (ret == 0)
		/* drm_syncobj_transfer_to_timeline() allocates a dma_fence_chain. */
		ret = SB_KERNEL_ALLOC(
			drmSyncobjTransfer(syncobj->drm_fd, syncobj->handle, point, binary, 0, 0));
	if (ret < 0)
		sb_log_errno(SB_DEBUG, "import to point %" PRIu64 " failed", point);
	destroy_binary_keep_errno(syncobj->drm_fd, binary);
	return ret < 0 ? -1 : 0;
}

int sb_syncobj_signal_point(struct sb_syncobj *syncobj, uint64_t point)
{
	/* drm_syncobj_timeline_signal_ioctl() allocates a dma_fence_chain per point. */
	return SB_KERNEL_ALLOC(
		       drmSyncobjTimelineSignal(syncobj->drm_fd, &syncobj->handle, &point, 1)) < 0
		       ? -1
		       : 0;
}

int sb_syncobj_query(const struct sb_syncobj *syncobj, uint64_t *point)
{
	uint32_t handle = syncobj->handle;

	/* drm_syncobj_array_find() allocates the syncobj array, as for waits. */
	return SB_KERNEL_ALLOC(drmSyncobjQuery(syncobj->drm_fd, &handle, point, 1)) < 0 ? -1 : 0;
}

/*
 * DRM_IOCTL_SYNCOBJ_TIMELINE_WAIT with an absolute timeout of 0 checks without sleeping and fails
 * with ETIME when the condition does not hold. WAIT_FOR_SUBMIT keeps a pending point from being
 * an EINVAL error.
 */
static int timeline_check(const struct sb_syncobj *syncobj, uint64_t point, uint32_t flags)
{
	uint32_t handle = syncobj->handle;
	int ret;

	flags |= DRM_SYNCOBJ_WAIT_FLAGS_WAIT_FOR_SUBMIT | DRM_SYNCOBJ_WAIT_FLAGS_WAIT_ALL;
	/* drm_syncobj_array_find() and drm_syncobj_array_wait_timeout() allocate. */
	ret = SB_KERNEL_ALLOC(
		drmSyncobjTimelineWait(syncobj->drm_fd, &handle, &point, 1, 0, flags, NULL));
	if (ret == 0)
		return 1;
	if (errno == ETIME)
		return 0;
	return -1;
}

int sb_syncobj_point_state(const struct sb_syncobj *syncobj, uint64_t point)
{
	int ret = timeline_check(syncobj, point, 0);

	if (ret != 0)
		return ret < 0 ? -1 : SB_POINT_SIGNALED;
	ret = timeline_check(syncobj, point, DRM_SYNCOBJ_WAIT_FLAGS_WAIT_AVAILABLE);
	if (ret < 0)
		return -1;
	return ret ? SB_POINT_AVAILABLE : SB_POINT_PENDING;
}

int sb_syncobj_eventfd(const struct sb_syncobj *syncobj, uint64_t point, bool available)
{
	struct drm_syncobj_eventfd args = {
		.handle = syncobj->handle,
		.flags = available ? DRM_SYNCOBJ_WAIT_FLAGS_WAIT_AVAILABLE : 0,
		.point = point,
	};
	int efd = SB_KERNEL_ALLOC(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));

	if (efd < 0)
		return -1;
	args.fd = efd;
	/* drm_syncobj_eventfd_ioctl() allocates the entry that links the point to the eventfd. */
	if (SB_KERNEL_ALLOC(drmIoctl(syncobj->drm_fd, DRM_IOCTL_SYNCOBJ_EVENTFD, &args)) < 0) {
		sb_log_errno(SB_DEBUG, "DRM_IOCTL_SYNCOBJ_EVENTFD failed");
		sb_close_keep_errno(efd);
		return -1;
	}
	return efd;
}
