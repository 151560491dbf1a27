// SPDX-License-Identifier: MIT
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <xf86drm.h>

#include "util.h"
#include "vgem.h"

/* Not in libdrm: include/uapi/drm/vgem_drm.h (Linux 6.12). */
#define DRM_VGEM_FENCE_ATTACH 0x1
#define DRM_VGEM_FENCE_SIGNAL 0x2
struct drm_vgem_fence_attach {
	__u32 handle;
	__u32 flags;
#define VGEM_FENCE_WRITE 0x1
	__u32 out_fence;
	__u32 pad;
};
struct drm_vgem_fence_signal {
	__u32 fence;
	__u32 flags;
};
#define DRM_IOCTL_VGEM_FENCE_ATTACH \
	DRM_IOWR(DRM_COMMAND_BASE + DRM_VGEM_FENCE_ATTACH, struct drm_vgem_fence_attach)
#define DRM_IOCTL_VGEM_FENCE_SIGNAL \
	DRM_IOW(DRM_COMMAND_BASE + DRM_VGEM_FENCE_SIGNAL, struct drm_vgem_fence_signal)

#define DRI_DIR "/dev/dri"

struct vgem {
	int fd;
};

static bool is_vgem(int fd)
{
	drmVersionPtr version = drmGetVersion(fd);
	bool ret;

	if (!version)
		return false;
	ret = version->name && strcmp(version->name, "vgem") == 0;
	drmFreeVersion(version);
	return ret;
}

/* Device numbers follow probe order, which differs between machines: match the driver name. */
static int find_vgem(void)
{
	char path[sizeof(DRI_DIR) + 256 + 1];
	struct dirent *entry;
	DIR *dir;
	int fd = -1;

	dir = opendir(DRI_DIR);
	if (!dir)
		return -1;
	while ((entry = readdir(dir))) {
		/* Dumb buffers are a primary-node (card*) ioctl, not a render-node one. */
		if (strncmp(entry->d_name, "card", 4) != 0)
			continue;
		snprintf(path, sizeof(path), DRI_DIR "/%s", entry->d_name);
		fd = open(path, O_RDWR | O_CLOEXEC);
		if (fd < 0) {
			log_errno(SB_DEBUG, "open %s", path);
			continue;
		}
		if (is_vgem(fd)) {
			log_msg(SB_DEBUG, "vgem is %s", path);
			break;
		}
		close(fd);
		fd = -1;
	}
	closedir(dir);
	if (fd < 0)
		errno = ENOENT;
	return fd;
}

struct vgem *vgem_open(void)
{
	struct vgem *vgem;
	int fd = find_vgem();

	if (fd < 0) {
		log_errno(SB_ERROR, "--buffer vgem: no DRM device named \"vgem\" in " DRI_DIR
				    " (CONFIG_DRM_VGEM)");
		return NULL;
	}
	vgem = calloc(1, sizeof(*vgem));
	if (!vgem) {
		close(fd);
		errno = ENOMEM;
		return NULL;
	}
	vgem->fd = fd;
	return vgem;
}

void vgem_destroy(struct vgem *vgem)
{
	if (!vgem)
		return;
	/* vgem_postclose() signals the fences of this file still pending. */
	close(vgem->fd);
	free(vgem);
}

int vgem_create_dumb(struct vgem *vgem, uint32_t width, uint32_t height, uint32_t *handle,
		     uint32_t *pitch, uint64_t *size)
{
	struct drm_mode_create_dumb create = {.width = width, .height = height, .bpp = 32};

	if (drmIoctl(vgem->fd, DRM_IOCTL_MODE_CREATE_DUMB, &create) < 0) {
		log_errno(SB_ERROR, "vgem: DRM_IOCTL_MODE_CREATE_DUMB %ux%u", width, height);
		return -1;
	}
	*handle = create.handle;
	*pitch = create.pitch;
	*size = create.size;
	return 0;
}

int vgem_export(struct vgem *vgem, uint32_t handle)
{
	int fd;

	if (drmPrimeHandleToFD(vgem->fd, handle, DRM_CLOEXEC | DRM_RDWR, &fd) < 0) {
		log_errno(SB_ERROR, "vgem: DRM_IOCTL_PRIME_HANDLE_TO_FD");
		return -1;
	}
	return fd;
}

void vgem_close_handle(struct vgem *vgem, uint32_t handle)
{
	struct drm_gem_close close_args = {.handle = handle};

	if (drmIoctl(vgem->fd, DRM_IOCTL_GEM_CLOSE, &close_args) < 0)
		log_errno(SB_ERROR, "vgem: DRM_IOCTL_GEM_CLOSE");
}

int vgem_fence_attach(struct vgem *vgem, uint32_t handle, uint32_t *fence)
{
	struct drm_vgem_fence_attach attach = {.handle = handle, .flags = VGEM_FENCE_WRITE};

	if (drmIoctl(vgem->fd, DRM_IOCTL_VGEM_FENCE_ATTACH, &attach) < 0) {
		log_errno(SB_ERROR, "vgem: DRM_IOCTL_VGEM_FENCE_ATTACH (WRITE)%s",
			  errno == EBUSY ? " refused: a fence on the buffer is still pending" : "");
		return -1;
	}
	*fence = attach.out_fence;
	return 0;
}

int vgem_fence_signal(struct vgem *vgem, uint32_t fence)
{
	struct drm_vgem_fence_signal signal_args = {.fence = fence};

	if (drmIoctl(vgem->fd, DRM_IOCTL_VGEM_FENCE_SIGNAL, &signal_args) < 0) {
		if (errno == ETIMEDOUT) {
			log_msg(SB_INFO,
				"vgem fence %u had already expired (vgem signals its "
				"fences after 10 s)",
				fence);
			return 0;
		}
		log_errno(SB_ERROR, "vgem: DRM_IOCTL_VGEM_FENCE_SIGNAL");
		return -1;
	}
	return 0;
}
