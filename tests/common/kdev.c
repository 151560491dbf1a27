// SPDX-License-Identifier: MIT
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/dma-heap.h>
#include <linux/udmabuf.h>
#include <xf86drm.h>

#include "kdev.h"

/* include/uapi/drm/vgem_drm.h: libdrm does not install it. */
struct drm_vgem_fence_attach {
	__u32 handle;
	__u32 flags;
	__u32 out_fence;
	__u32 pad;
};

struct drm_vgem_fence_signal {
	__u32 fence;
	__u32 flags;
};

#define VGEM_FENCE_WRITE 0x1
#define DRM_IOCTL_VGEM_FENCE_ATTACH DRM_IOWR(DRM_COMMAND_BASE + 0x1, struct drm_vgem_fence_attach)
#define DRM_IOCTL_VGEM_FENCE_SIGNAL DRM_IOW(DRM_COMMAND_BASE + 0x2, struct drm_vgem_fence_signal)

/* drivers/dma-buf/sw_sync.c: not uapi, so not in any installed header. */
struct sw_sync_create_fence_data {
	__u32 value;
	char name[32];
	__s32 fence;
};

struct sw_sync_get_deadline {
	__u64 deadline_ns;
	__u32 pad;
	__s32 fence_fd;
};

#define SW_SYNC_IOC_CREATE_FENCE _IOWR('W', 0, struct sw_sync_create_fence_data)
#define SW_SYNC_IOC_INC _IOW('W', 1, __u32)
#define SW_SYNC_GET_DEADLINE _IOWR('W', 2, struct sw_sync_get_deadline)

int sb_drm_open_by_name(const char *driver)
{
	for (int i = 0; i < 16; i++) {
		char path[32];
		drmVersionPtr version;
		int fd;

		snprintf(path, sizeof(path), "/dev/dri/card%d", i);
		fd = open(path, O_RDWR | O_CLOEXEC);
		if (fd < 0)
			continue;
		version = drmGetVersion(fd);
		if (version && strcmp(version->name, driver) == 0) {
			drmFreeVersion(version);
			return fd;
		}
		drmFreeVersion(version);
		close(fd);
	}
	errno = ENODEV;
	return -1;
}

int sb_vgem_bo_create(int vgem_fd, uint32_t width, uint32_t height, struct sb_vgem_bo *bo)
{
	struct drm_mode_create_dumb create = {.width = width, .height = height, .bpp = 32};

	*bo = (struct sb_vgem_bo){.vgem_fd = vgem_fd, .dmabuf_fd = -1};
	if (drmIoctl(vgem_fd, DRM_IOCTL_MODE_CREATE_DUMB, &create) < 0)
		return -1;
	bo->handle = create.handle;
	if (drmPrimeHandleToFD(vgem_fd, bo->handle, DRM_CLOEXEC | DRM_RDWR, &bo->dmabuf_fd) < 0) {
		sb_vgem_bo_finish(bo);
		return -1;
	}
	return 0;
}

void sb_vgem_bo_finish(struct sb_vgem_bo *bo)
{
	struct drm_mode_destroy_dumb destroy = {.handle = bo->handle};

	if (bo->dmabuf_fd >= 0)
		close(bo->dmabuf_fd);
	if (bo->handle)
		drmIoctl(bo->vgem_fd, DRM_IOCTL_MODE_DESTROY_DUMB, &destroy);
	*bo = (struct sb_vgem_bo){.dmabuf_fd = -1};
}

int sb_vgem_fence_attach(const struct sb_vgem_bo *bo, bool write)
{
	struct drm_vgem_fence_attach attach = {
		.handle = bo->handle,
		.flags = write ? VGEM_FENCE_WRITE : 0,
	};

	if (drmIoctl(bo->vgem_fd, DRM_IOCTL_VGEM_FENCE_ATTACH, &attach) < 0)
		return -1;
	return (int)attach.out_fence;
}

int sb_vgem_fence_signal(int vgem_fd, uint32_t fence)
{
	struct drm_vgem_fence_signal signal = {.fence = fence};

	return drmIoctl(vgem_fd, DRM_IOCTL_VGEM_FENCE_SIGNAL, &signal);
}

int sb_sw_timeline_create(void)
{
	return open("/sys/kernel/debug/sync/sw_sync", O_RDWR | O_CLOEXEC);
}

int sb_sw_fence_create(int timeline_fd, uint32_t value)
{
	struct sw_sync_create_fence_data data = {.value = value};

	snprintf(data.name, sizeof(data.name), "sb-test-%u", value);
	if (ioctl(timeline_fd, SW_SYNC_IOC_CREATE_FENCE, &data) < 0)
		return -1;
	return data.fence;
}

int sb_sw_timeline_inc(int timeline_fd, uint32_t count)
{
	return ioctl(timeline_fd, SW_SYNC_IOC_INC, &count);
}

int sb_sw_fence_get_deadline(int timeline_fd, int fence_fd, uint64_t *deadline_ns)
{
	struct sw_sync_get_deadline data = {.fence_fd = fence_fd};

	if (ioctl(timeline_fd, SW_SYNC_GET_DEADLINE, &data) < 0)
		return -1;
	*deadline_ns = data.deadline_ns;
	return 0;
}

int sb_udmabuf_create(size_t size)
{
	struct udmabuf_create create = {.flags = UDMABUF_FLAGS_CLOEXEC, .size = size};
	int dev, memfd, fd = -1;

	dev = open("/dev/udmabuf", O_RDWR | O_CLOEXEC);
	if (dev < 0)
		return -1;
	/* udmabuf_create() takes only memfds sealed against shrinking. */
	memfd = memfd_create("sb-udmabuf", MFD_ALLOW_SEALING | MFD_CLOEXEC);
	if (memfd >= 0 && ftruncate(memfd, (off_t)size) == 0 &&
	    fcntl(memfd, F_ADD_SEALS, F_SEAL_SHRINK) == 0) {
		create.memfd = (__u32)memfd;
		fd = ioctl(dev, UDMABUF_CREATE, &create);
	}
	if (memfd >= 0)
		close(memfd);
	close(dev);
	return fd;
}

int sb_dma_heap_alloc(const char *heap, size_t size)
{
	struct dma_heap_allocation_data alloc = {.len = size, .fd_flags = O_RDWR | O_CLOEXEC};
	char path[64];
	int dev, ret;

	snprintf(path, sizeof(path), "/dev/dma_heap/%s", heap);
	dev = open(path, O_RDONLY | O_CLOEXEC);
	if (dev < 0)
		return -1;
	ret = ioctl(dev, DMA_HEAP_IOCTL_ALLOC, &alloc);
	close(dev);
	return ret < 0 ? -1 : (int)alloc.fd;
}

int sb_fence_fixture_init(struct sb_fence_fixture *f)
{
	*f = (struct sb_fence_fixture){.vgem_fd = -1, .bo.dmabuf_fd = -1, .timeline = -1};
	f->vgem_fd = sb_drm_open_by_name("vgem");
	f->timeline = sb_sw_timeline_create();
	if (f->vgem_fd < 0 || f->timeline < 0)
		return -1;
	return sb_vgem_bo_create(f->vgem_fd, 64, 64, &f->bo);
}

void sb_fence_fixture_finish(struct sb_fence_fixture *f)
{
	sb_vgem_bo_finish(&f->bo);
	if (f->vgem_fd >= 0)
		close(f->vgem_fd);
	if (f->timeline >= 0)
		close(f->timeline);
	f->vgem_fd = f->timeline = -1;
}

int sb_poll_fd(int fd, short events, int timeout_ms)
{
	struct pollfd pfd = {.fd = fd, .events = events};
	int ret;

	do {
		ret = poll(&pfd, 1, timeout_ms);
	} while (ret < 0 && errno == EINTR);
	if (ret < 0)
		return -1;
	return (pfd.revents & events) != 0;
}
