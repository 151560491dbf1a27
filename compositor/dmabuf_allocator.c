// SPDX-License-Identifier: MIT
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <drm_fourcc.h>
#include <linux/dma-heap.h>
#include <wlr/render/allocator.h>
#include <wlr/render/dmabuf.h>
#include <wlr/render/drm_format_set.h>
#include <wlr/types/wlr_buffer.h>
#include <wlr/util/log.h>

#include "bounded_sync.h"
#include "dmabuf_allocator.h"

struct sb_dmabuf_allocator {
	struct wlr_allocator base;
	int heap_fd;
	struct sb_bounded_sync *sync; /* the server's */
	/* wlr_allocator_destroy() may come before the last buffer goes (screenshots, outputs). */
	unsigned long live_buffers;
	bool destroyed;
};

struct heap_buffer {
	struct wlr_buffer base;
	struct sb_dmabuf_allocator *alloc;
	struct wlr_dmabuf_attributes attribs; /* owns the fd */
	void *map;
	size_t size;
	/* Someone outside asked for the fd (zwlr_export_dmabuf_v1): it may carry their fences. */
	bool shared;
	enum sb_access synced; /* the bracket of the current CPU access, 0 if none */
};

static const struct wlr_buffer_impl buffer_impl;

static struct heap_buffer *heap_buffer_from_wlr(struct wlr_buffer *buffer)
{
	struct heap_buffer *b = wl_container_of(buffer, b, base);

	return b;
}

static void allocator_free(struct sb_dmabuf_allocator *alloc)
{
	close(alloc->heap_fd);
	free(alloc);
}

static void buffer_destroy(struct wlr_buffer *wlr_buffer)
{
	struct heap_buffer *buffer = heap_buffer_from_wlr(wlr_buffer);
	struct sb_dmabuf_allocator *alloc = buffer->alloc;

	munmap(buffer->map, buffer->size);
	wlr_dmabuf_attributes_finish(&buffer->attribs);
	free(buffer);
	if (--alloc->live_buffers == 0 && alloc->destroyed)
		allocator_free(alloc);
}

static bool buffer_get_dmabuf(struct wlr_buffer *wlr_buffer, struct wlr_dmabuf_attributes *attribs)
{
	struct heap_buffer *buffer = heap_buffer_from_wlr(wlr_buffer);

	buffer->shared = true;
	*attribs = buffer->attribs;
	return true;
}

/*
 * The CPU access is bracketed with DMA_BUF_IOCTL_SYNC once the fd has left the compositor: then a
 * device may have it mapped, and consumers may have added fences. The compositor never renders
 * into a buffer whose consumers still read it (export_dmabuf_v1.c keeps it out of the swapchain
 * until their fences signal), so a buffer that is not idle here has a fence added after that by
 * a consumer the buffer no longer belongs to: the access goes ahead without the bracket rather
 * than wait for it. pixman asks for READ|WRITE even to read pixels back.
 */
static bool buffer_begin_data_ptr_access(struct wlr_buffer *wlr_buffer, uint32_t flags, void **data,
					 uint32_t *format, size_t *stride)
{
	struct heap_buffer *buffer = heap_buffer_from_wlr(wlr_buffer);
	enum sb_access access =
		(flags & WLR_BUFFER_DATA_PTR_ACCESS_WRITE) ? SB_ACCESS_RW : SB_ACCESS_READ;

	buffer->synced = 0;
	if (buffer->shared && buffer->alloc->sync) {
		if (sb_bounded_sync_start(buffer->alloc->sync, buffer->attribs.fd[0], access))
			buffer->synced = access;
		else
			wlr_log(WLR_DEBUG,
				"output buffer %p: a consumer's fence is pending, "
				"CPU access without SYNC_START",
				(void *)buffer);
	}
	*data = buffer->map;
	*format = buffer->attribs.format;
	*stride = buffer->attribs.stride[0];
	return true;
}

static void buffer_end_data_ptr_access(struct wlr_buffer *wlr_buffer)
{
	struct heap_buffer *buffer = heap_buffer_from_wlr(wlr_buffer);

	if (buffer->synced)
		sb_bounded_sync_end(buffer->attribs.fd[0], buffer->synced);
	buffer->synced = 0;
}

static const struct wlr_buffer_impl buffer_impl = {
	.destroy = buffer_destroy,
	.get_dmabuf = buffer_get_dmabuf,
	.begin_data_ptr_access = buffer_begin_data_ptr_access,
	.end_data_ptr_access = buffer_end_data_ptr_access,
};

static struct sb_dmabuf_allocator *allocator_from_wlr(struct wlr_allocator *alloc)
{
	struct sb_dmabuf_allocator *a = wl_container_of(alloc, a, base);

	return a;
}

/* Linear only: an empty list (no explicit modifiers), or one that allows LINEAR or INVALID. */
static bool format_allows_linear(const struct wlr_drm_format *format)
{
	if (format->len == 0)
		return true;
	for (size_t i = 0; i < format->len; i++)
		if (format->modifiers[i] == DRM_FORMAT_MOD_LINEAR ||
		    format->modifiers[i] == DRM_FORMAT_MOD_INVALID)
			return true;
	return false;
}

static struct wlr_buffer *allocator_create_buffer(struct wlr_allocator *wlr_alloc, int width,
						  int height, const struct wlr_drm_format *format)
{
	struct sb_dmabuf_allocator *alloc = allocator_from_wlr(wlr_alloc);
	struct dma_heap_allocation_data data = {.fd_flags = O_RDWR | O_CLOEXEC};
	struct heap_buffer *buffer;
	uint32_t stride = (uint32_t)width * 4;
	void *map;

	if ((format->format != DRM_FORMAT_XRGB8888 && format->format != DRM_FORMAT_ARGB8888) ||
	    !format_allows_linear(format) || width <= 0 || height <= 0) {
		wlr_log(WLR_ERROR,
			"dma-heap allocator: cannot make format 0x%08x (linear 32 bpp only)",
			format->format);
		return NULL;
	}
	data.len = ((uint64_t)stride * (uint64_t)height + 4095) & ~(uint64_t)4095;
	if (ioctl(alloc->heap_fd, DMA_HEAP_IOCTL_ALLOC, &data) < 0) {
		wlr_log_errno(WLR_ERROR, "dma-heap allocator: DMA_HEAP_IOCTL_ALLOC of %llu bytes",
			      (unsigned long long)data.len);
		return NULL;
	}
	map = mmap(NULL, data.len, PROT_READ | PROT_WRITE, MAP_SHARED, (int)data.fd, 0);
	buffer = map != MAP_FAILED ? calloc(1, sizeof(*buffer)) : NULL;
	if (!buffer) {
		wlr_log_errno(WLR_ERROR, "dma-heap allocator: cannot map a %dx%d buffer", width,
			      height);
		if (map != MAP_FAILED)
			munmap(map, data.len);
		close((int)data.fd);
		return NULL;
	}
	wlr_buffer_init(&buffer->base, &buffer_impl, width, height);
	buffer->alloc = alloc;
	buffer->map = map;
	buffer->size = data.len;
	buffer->attribs = (struct wlr_dmabuf_attributes){
		.width = width,
		.height = height,
		.format = format->format,
		.modifier = DRM_FORMAT_MOD_LINEAR,
		.n_planes = 1,
		.stride = {stride},
		.fd = {(int)data.fd},
	};
	alloc->live_buffers++;
	return &buffer->base;
}

static void allocator_destroy(struct wlr_allocator *wlr_alloc)
{
	struct sb_dmabuf_allocator *alloc = allocator_from_wlr(wlr_alloc);

	alloc->destroyed = true;
	if (alloc->live_buffers == 0)
		allocator_free(alloc);
}

static const struct wlr_allocator_interface allocator_impl = {
	.create_buffer = allocator_create_buffer,
	.destroy = allocator_destroy,
};

struct wlr_allocator *sb_dmabuf_allocator_create(struct sb_bounded_sync *sync)
{
	struct sb_dmabuf_allocator *alloc = calloc(1, sizeof(*alloc));

	if (!alloc)
		return NULL;
	alloc->heap_fd = open("/dev/dma_heap/system", O_RDONLY | O_CLOEXEC);
	if (alloc->heap_fd < 0) {
		wlr_log_errno(WLR_DEBUG, "dma-heap allocator: no /dev/dma_heap/system");
		free(alloc);
		return NULL;
	}
	/* Without the timer, buffers are never bracketed: never waiting matters more. */
	alloc->sync = sync;
	wlr_allocator_init(&alloc->base, &allocator_impl,
			   WLR_BUFFER_CAP_DATA_PTR | WLR_BUFFER_CAP_DMABUF);
	return &alloc->base;
}
