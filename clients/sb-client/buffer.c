// SPDX-License-Identifier: MIT
#include <errno.h>
#include <poll.h>
#include <stdlib.h>

#include <drm_fourcc.h>
#include <syncbridge/dmabuf.h>
#include <syncbridge/sync_file.h>

#include "buffer.h"
#include "client.h"
#include "frame.h"
#include "linux-dmabuf-unstable-v1-client-protocol.h"
#include "loop.h"
#include "label.h"
#include "pattern.h"
#include "pixel_format.h"
#include "util.h"
#include "window.h"

static void buffer_handle_release(void *data, struct wl_buffer *wl_buffer)
{
	struct buffer *buffer = data;

	if (buffer->frame) {
		buffer->frame->release_ns = now_ns();
		log_msg(SB_DEBUG, "surface %d buffer %d (frame %llu) released",
			buffer->window->index, buffer->index,
			(unsigned long long)buffer->frame->number);
	}
	buffer->frame = NULL;
	buffer->busy = false;
	window_kick(buffer->window);
}

static const struct wl_buffer_listener buffer_listener = {
	.release = buffer_handle_release,
};

static void params_handle_created(void *data, struct zwp_linux_buffer_params_v1 *params,
				  struct wl_buffer *wl_buffer)
{
	struct buffer *buffer = data;

	buffer->wl_buffer = wl_buffer;
	wl_buffer_add_listener(wl_buffer, &buffer_listener, buffer);
}

static void params_handle_failed(void *data, struct zwp_linux_buffer_params_v1 *params)
{
	struct buffer *buffer = data;

	buffer->failed = true;
}

static const struct zwp_linux_buffer_params_v1_listener params_listener = {
	.created = params_handle_created,
	.failed = params_handle_failed,
};

static uint32_t shm_format(uint32_t drm_format)
{
	/* wl_shm keeps two codes of its own; the others are DRM fourccs. */
	if (drm_format == DRM_FORMAT_XRGB8888)
		return WL_SHM_FORMAT_XRGB8888;
	if (drm_format == DRM_FORMAT_ARGB8888)
		return WL_SHM_FORMAT_ARGB8888;
	return drm_format;
}

static void create_shm(struct buffer *buffer)
{
	struct client *client = buffer->window->client;
	const struct options *opts = client->opts;
	struct wl_shm_pool *pool;

	pool = wl_shm_create_pool(client->shm, buffer->storage.fd, (int32_t)buffer->storage.size);
	buffer->wl_buffer = wl_shm_pool_create_buffer(
		pool, 0, (int32_t)opts->width, (int32_t)opts->height,
		(int32_t)buffer->storage.stride, shm_format(opts->format));
	wl_shm_pool_destroy(pool);
	wl_buffer_add_listener(buffer->wl_buffer, &buffer_listener, buffer);
}

static void create_dmabuf(struct buffer *buffer)
{
	struct client *client = buffer->window->client;
	const struct options *opts = client->opts;
	uint64_t modifier = buffer->storage.modifier;
	uint32_t flags = opts->dmabuf_flags;

	buffer->params = zwp_linux_dmabuf_v1_create_params(client->dmabuf);
	zwp_linux_buffer_params_v1_add_listener(buffer->params, &params_listener, buffer);
	zwp_linux_buffer_params_v1_add(buffer->params, buffer->storage.fd, 0,
				       buffer->storage.offset, buffer->storage.stride,
				       (uint32_t)(modifier >> 32), (uint32_t)modifier);
	if (opts->dmabuf_create == DMABUF_CREATE_ASYNC) {
		zwp_linux_buffer_params_v1_create(buffer->params, (int32_t)opts->width,
						  (int32_t)opts->height, opts->format, flags);
		return;
	}
	/* Kept until the roundtrip: create_immed may still be answered by failed. */
	buffer->wl_buffer = zwp_linux_buffer_params_v1_create_immed(
		buffer->params, (int32_t)opts->width, (int32_t)opts->height, opts->format, flags);
	wl_buffer_add_listener(buffer->wl_buffer, &buffer_listener, buffer);
}

struct buffer *buffer_create(struct window *window, int index, int *exit_code)
{
	struct client *client = window->client;
	const struct options *opts = client->opts;
	struct buffer *buffer = calloc(1, sizeof(*buffer));

	if (!buffer) {
		*exit_code = EXIT_FAIL;
		return NULL;
	}
	buffer->window = window;
	buffer->index = index;
	if (allocator_alloc(client->allocator, opts->width, opts->height, &buffer->storage) < 0) {
		*exit_code = exit_code_for_errno(errno);
		free(buffer);
		return NULL;
	}
	if (buffer->storage.dmabuf)
		create_dmabuf(buffer);
	else
		create_shm(buffer);
	return buffer;
}

void buffer_destroy(struct buffer *buffer)
{
	if (!buffer)
		return;
	loop_fd_remove(buffer->idle_watch);
	sb_sync_file_destroy(buffer->release_fence);
	if (buffer->params)
		zwp_linux_buffer_params_v1_destroy(buffer->params);
	if (buffer->wl_buffer)
		wl_buffer_destroy(buffer->wl_buffer);
	allocator_free(buffer->window->client->allocator, &buffer->storage);
	free(buffer);
}

int buffer_check_created(struct buffer *buffer)
{
	if (buffer->failed || !buffer->wl_buffer) {
		log_msg(SB_ERROR,
			"the compositor refused dma-buf %d of surface %d "
			"(zwp_linux_buffer_params_v1.failed%s): %ux%u, offset %u, stride %u, "
			"modifier 0x%llx",
			buffer->index, buffer->window->index,
			buffer->failed ? "" : ": no created event",
			buffer->window->client->opts->width, buffer->window->client->opts->height,
			buffer->storage.offset, buffer->storage.stride,
			(unsigned long long)buffer->storage.modifier);
		return EXIT_FAIL;
	}
	if (buffer->params) {
		zwp_linux_buffer_params_v1_destroy(buffer->params);
		buffer->params = NULL;
	}
	return EXIT_OK;
}

static void buffer_handle_idle(int fd, short revents, void *data)
{
	struct buffer *buffer = data;

	loop_fd_remove(buffer->idle_watch);
	buffer->idle_watch = NULL;
	window_kick(buffer->window);
}

static bool buffer_watch(struct buffer *buffer, int fd, short events)
{
	buffer->idle_watch =
		loop_add_fd(buffer->window->client->loop, fd, events, buffer_handle_idle, buffer);
	if (!buffer->idle_watch)
		client_fail(buffer->window->client, EXIT_FAIL);
	return false;
}

bool buffer_ready(struct buffer *buffer)
{
	int ret;

	if (buffer->busy || buffer->explicit_pending || !buffer->wl_buffer || buffer->idle_watch)
		return false;
	if (buffer->release_fence) {
		ret = sb_sync_file_is_signaled(buffer->release_fence);
		if (ret == 0)
			return buffer_watch(buffer, sb_sync_file_get_fd(buffer->release_fence),
					    POLLIN);
		sb_sync_file_destroy(buffer->release_fence);
		buffer->release_fence = NULL;
	}
	if (!buffer->storage.dmabuf)
		return true;
	/*
	 * DMA_BUF_IOCTL_SYNC(START) would block until every fence on the buffer has signalled,
	 * our own included, and the client signals those from this very loop: wait in poll
	 * instead (dma_buf_poll: POLLOUT when a writer could start).
	 */
	ret = sb_dmabuf_is_idle(buffer->storage.fd, SB_ACCESS_WRITE);
	if (ret == 0)
		return buffer_watch(buffer, buffer->storage.fd,
				    sb_dmabuf_poll_events(SB_ACCESS_WRITE));
	if (ret < 0) {
		log_errno(SB_ERROR, "poll of dma-buf %d", buffer->index);
		client_fail(buffer->window->client, EXIT_FAIL);
		return false;
	}
	return true;
}

int buffer_paint(struct buffer *buffer, uint64_t frame_number)
{
	const struct options *opts = buffer->window->client->opts;
	const struct pixel_format *format = pixel_format_by_fourcc(opts->format);
	uint8_t *pixels = (uint8_t *)buffer->storage.map + buffer->storage.offset;
	uint32_t stride = buffer->storage.stride;
	uint8_t *argb = pixels;
	uint32_t argb_stride = stride;

	if (storage_begin_write(&buffer->storage) < 0)
		return -1;
	/*
	 * Painted as ARGB8888, then packed in the format: in place where a row holds width x 4
	 * bytes (sb-client's own allocations), else (a 16-bit GBM buffer) through a scratch image.
	 */
	if (stride < opts->width * 4) {
		argb_stride = opts->width * 4;
		argb = malloc((size_t)argb_stride * opts->height);
		if (!argb) {
			log_errno(SB_ERROR, "scratch image for painting");
			storage_end_write(&buffer->storage);
			return -1;
		}
	}
	pattern_paint(argb, argb_stride, opts->width, opts->height, opts->pattern, opts->color,
		      frame_number);
	if (opts->label)
		label_paint(argb, argb_stride, opts->width, opts->height, opts->label);
	pixel_format_convert(format, argb, argb_stride, pixels, stride, opts->width, opts->height);
	if (argb != pixels)
		free(argb);
	/* Y_INVERT: the same picture, its bottom row first in memory. */
	if (opts->dmabuf_flags & ZWP_LINUX_BUFFER_PARAMS_V1_FLAGS_Y_INVERT)
		pattern_flip_rows(pixels, stride, opts->height);
	return storage_end_write(&buffer->storage);
}

void buffer_attached(struct buffer *buffer, struct frame *frame)
{
	buffer->busy = true;
	buffer->explicit_pending = frame->release != NULL || frame->release_watch != NULL;
	buffer->frame = frame;
}

void buffer_set_release_fence(struct buffer *buffer, struct sb_sync_file *release_fence)
{
	buffer->explicit_pending = false;
	/* A later release supersedes an earlier one: it signals after it. */
	loop_fd_remove(buffer->idle_watch);
	buffer->idle_watch = NULL;
	sb_sync_file_destroy(buffer->release_fence);
	buffer->release_fence = release_fence;
}
