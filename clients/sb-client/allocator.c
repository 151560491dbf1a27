// SPDX-License-Identifier: MIT
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/dma-buf.h>
#include <linux/dma-heap.h>
#include <linux/udmabuf.h>

#include <drm_fourcc.h>

#include "allocator.h"
#include "util.h"
#include "vgem.h"
#if SB_CLIENT_HAVE_GBM
#include "gbm_node.h"
#endif

#define UDMABUF_PATH "/dev/udmabuf"
#define HEAP_DIR "/dev/dma_heap/"

struct allocator {
	enum buffer_kind kind;
	uint32_t format;
	int dev_fd; /* /dev/udmabuf or the heap, else -1 */
	struct vgem *vgem;
	struct gbm_node *gbm;
};

static int open_device(const char *path, int flags, const char *what)
{
	int fd = open(path, flags | O_CLOEXEC);

	if (fd < 0)
		log_errno(SB_ERROR, "%s: cannot open %s", what, path);
	return fd;
}

static struct gbm_node *open_gbm(const struct options *opts)
{
#if SB_CLIENT_HAVE_GBM
	return gbm_node_open(opts->gbm_device, opts->format, opts->width, opts->height);
#else
	log_msg(SB_ERROR, "--buffer gbm: sb-client was built without GBM (libgbm-dev)");
	errno = EOPNOTSUPP;
	return NULL;
#endif
}

struct allocator *allocator_create(const struct options *opts)
{
	struct allocator *allocator = calloc(1, sizeof(*allocator));
	char path[256];
	int err;

	if (!allocator)
		return NULL;
	allocator->kind = opts->buffer;
	allocator->format = opts->format;
	allocator->dev_fd = -1;
	switch (opts->buffer) {
	case BUFFER_SHM:
		break;
	case BUFFER_UDMABUF:
		allocator->dev_fd =
			open_device(UDMABUF_PATH, O_RDWR, "--buffer udmabuf (CONFIG_UDMABUF)");
		if (allocator->dev_fd < 0)
			goto err;
		break;
	case BUFFER_HEAP:
		snprintf(path, sizeof(path), HEAP_DIR "%s", opts->heap);
		allocator->dev_fd =
			open_device(path, O_RDONLY, "--buffer heap (CONFIG_DMABUF_HEAPS)");
		if (allocator->dev_fd < 0)
			goto err;
		break;
	case BUFFER_VGEM:
		allocator->vgem = vgem_open();
		if (!allocator->vgem)
			goto err;
		break;
	case BUFFER_GBM:
		allocator->gbm = open_gbm(opts);
		if (!allocator->gbm)
			goto err;
		break;
	}
	return allocator;

err:
	err = errno;
	free(allocator);
	errno = err;
	return NULL;
}

void allocator_destroy(struct allocator *allocator)
{
	if (!allocator)
		return;
	if (allocator->dev_fd >= 0)
		close(allocator->dev_fd);
	vgem_destroy(allocator->vgem);
#if SB_CLIENT_HAVE_GBM
	gbm_node_destroy(allocator->gbm);
#endif
	free(allocator);
}

struct vgem *allocator_get_vgem(struct allocator *allocator)
{
	return allocator->vgem;
}

static size_t page_align(size_t size)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);

	return (size + page - 1) / page * page;
}

/* A memfd that cannot shrink: udmabuf requires F_SEAL_SHRINK, and wl_shm is safer with it. */
static int sealed_memfd(size_t size)
{
	int fd = memfd_create("sb-client", MFD_CLOEXEC | MFD_ALLOW_SEALING);

	if (fd < 0) {
		log_errno(SB_ERROR, "memfd_create");
		return -1;
	}
	if (ftruncate(fd, (off_t)size) < 0) {
		log_errno(SB_ERROR, "ftruncate(memfd, %zu)", size);
		goto err;
	}
	if (fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK) < 0) {
		log_errno(SB_ERROR, "fcntl(F_ADD_SEALS, F_SEAL_SHRINK)");
		goto err;
	}
	return fd;

err:
	close(fd);
	return -1;
}

static int alloc_udmabuf(struct allocator *allocator, size_t size)
{
	struct udmabuf_create create = {.flags = UDMABUF_FLAGS_CLOEXEC, .size = size};
	int memfd = sealed_memfd(size);
	int fd;

	if (memfd < 0)
		return -1;
	create.memfd = (__u32)memfd;
	fd = ioctl(allocator->dev_fd, UDMABUF_CREATE, &create);
	if (fd < 0)
		log_errno(SB_ERROR, "UDMABUF_CREATE (%zu bytes)", size);
	/* The dma-buf holds the memfd's pages; the memfd itself is no longer needed. */
	close(memfd);
	return fd;
}

static int alloc_heap(struct allocator *allocator, size_t size)
{
	struct dma_heap_allocation_data data = {
		.len = size,
		.fd_flags = O_RDWR | O_CLOEXEC,
	};

	if (ioctl(allocator->dev_fd, DMA_HEAP_IOCTL_ALLOC, &data) < 0) {
		log_errno(SB_ERROR, "DMA_HEAP_IOCTL_ALLOC (%zu bytes)", size);
		return -1;
	}
	return (int)data.fd;
}

static int alloc_vgem(struct allocator *allocator, uint32_t width, uint32_t height,
		      struct storage *storage)
{
	uint64_t size;
	int fd;

	if (vgem_create_dumb(allocator->vgem, width, height, &storage->vgem_handle,
			     &storage->stride, &size) < 0)
		return -1;
	storage->size = (size_t)size;
	fd = vgem_export(allocator->vgem, storage->vgem_handle);
	if (fd < 0) {
		vgem_close_handle(allocator->vgem, storage->vgem_handle);
		storage->vgem_handle = 0;
	}
	return fd;
}

static int alloc_gbm(struct allocator *allocator, uint32_t width, uint32_t height,
		     struct storage *storage)
{
#if SB_CLIENT_HAVE_GBM
	struct gbm_node_buffer buffer;
	off_t size;

	if (gbm_node_alloc(allocator->gbm, allocator->format, width, height, &buffer) < 0)
		return -1;
	/* The bo may be larger than stride x height: map the whole dma-buf (its size by lseek). */
	size = lseek(buffer.fd, 0, SEEK_END);
	if (size < 0) {
		log_errno(SB_ERROR, "lseek(SEEK_END) of a gbm dma-buf");
		gbm_node_free(&buffer);
		return -1;
	}
	storage->size = (size_t)size;
	storage->stride = buffer.stride;
	storage->offset = buffer.offset;
	storage->modifier = buffer.modifier;
	storage->gbm_bo = buffer.bo;
	return buffer.fd;
#else
	errno = EOPNOTSUPP;
	return -1;
#endif
}

int allocator_alloc(struct allocator *allocator, uint32_t width, uint32_t height,
		    struct storage *storage)
{
	*storage =
		(struct storage){.fd = -1, .stride = width * 4, .modifier = DRM_FORMAT_MOD_LINEAR};
	storage->size = page_align((size_t)storage->stride * height);
	switch (allocator->kind) {
	case BUFFER_SHM:
		storage->fd = sealed_memfd(storage->size);
		break;
	case BUFFER_UDMABUF:
		storage->fd = alloc_udmabuf(allocator, storage->size);
		break;
	case BUFFER_HEAP:
		storage->fd = alloc_heap(allocator, storage->size);
		break;
	case BUFFER_VGEM:
		storage->fd = alloc_vgem(allocator, width, height, storage);
		break;
	case BUFFER_GBM:
		storage->fd = alloc_gbm(allocator, width, height, storage);
		break;
	}
	if (storage->fd < 0)
		return -1;
	storage->dmabuf = allocator->kind != BUFFER_SHM;
	storage->map =
		mmap(NULL, storage->size, PROT_READ | PROT_WRITE, MAP_SHARED, storage->fd, 0);
	if (storage->map == MAP_FAILED) {
		log_errno(SB_ERROR, "mmap of a %s buffer (%zu bytes)",
			  options_buffer_name(allocator->kind), storage->size);
		storage->map = NULL;
		allocator_free(allocator, storage);
		return -1;
	}
	return 0;
}

void allocator_free(struct allocator *allocator, struct storage *storage)
{
	if (storage->map)
		munmap(storage->map, storage->size);
	if (storage->fd >= 0)
		close(storage->fd);
	if (storage->vgem_handle)
		vgem_close_handle(allocator->vgem, storage->vgem_handle);
#if SB_CLIENT_HAVE_GBM
	if (storage->gbm_bo)
		gbm_node_free(&(struct gbm_node_buffer){.bo = storage->gbm_bo, .fd = -1});
#endif
	*storage = (struct storage){.fd = -1};
}

static int dmabuf_sync(struct storage *storage, __u64 flags)
{
	struct dma_buf_sync sync = {.flags = flags | DMA_BUF_SYNC_WRITE};
	int ret;

	if (!storage->dmabuf)
		return 0;
	do {
		ret = ioctl(storage->fd, DMA_BUF_IOCTL_SYNC, &sync);
	} while (ret < 0 && (errno == EINTR || errno == EAGAIN));
	if (ret < 0)
		log_errno(SB_ERROR, "DMA_BUF_IOCTL_SYNC(%s)",
			  flags == DMA_BUF_SYNC_START ? "START" : "END");
	return ret;
}

int storage_begin_write(struct storage *storage)
{
	return dmabuf_sync(storage, DMA_BUF_SYNC_START);
}

int storage_end_write(struct storage *storage)
{
	return dmabuf_sync(storage, DMA_BUF_SYNC_END);
}
