// SPDX-License-Identifier: MIT
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/dma-buf.h>
#include <wayland-client.h>

#include <syncbridge/dmabuf.h>
#include <syncbridge/sync_file.h>

#include "capture_client.h"
#include "kdev.h"
#include "tc_buffer.h"
#include "tc_client.h"
#include "wl_client.h"
#include "wlr-export-dmabuf-unstable-v1-client-protocol.h"
#include "wlr-screencopy-unstable-v1-client-protocol.h"

struct cap_client *cap_client_connect(const struct sb_compositor *comp)
{
	struct cap_client *client = calloc(1, sizeof(*client));

	if (!client)
		return NULL;
	client->wl = sb_compositor_connect(comp, TC_SHM | TC_DMABUF, TC_SHM | TC_DMABUF);
	if (!client->wl) {
		free(client);
		return NULL;
	}
	client->output = tc_client_bind(client->wl, &wl_output_interface, 1);
	if (tc_client_global_version(client->wl, zwlr_screencopy_manager_v1_interface.name) >= 3)
		client->screencopy =
			tc_client_bind(client->wl, &zwlr_screencopy_manager_v1_interface, 3);
	client->export = tc_client_bind(client->wl, &zwlr_export_dmabuf_manager_v1_interface, 1);
	if (!client->output || !client->screencopy || !client->export) {
		fprintf(stderr,
			"cap_client_connect: a global is missing (wl_output %d, screencopy v3 %d, "
			"export-dmabuf %d)\n",
			!!client->output, !!client->screencopy, !!client->export);
		cap_client_destroy(client);
		return NULL;
	}
	return client;
}

void cap_client_destroy(struct cap_client *client)
{
	if (!client)
		return;
	if (client->export)
		zwlr_export_dmabuf_manager_v1_destroy(client->export);
	if (client->screencopy)
		zwlr_screencopy_manager_v1_destroy(client->screencopy);
	if (client->output)
		wl_output_destroy(client->output);
	tc_client_destroy(client->wl);
	free(client);
}

static void frame_buffer(void *data, struct zwlr_screencopy_frame_v1 *proxy, uint32_t format,
			 uint32_t width, uint32_t height, uint32_t stride)
{
	struct cap_frame *frame = data;

	frame->shm_format = format;
	frame->width = width;
	frame->height = height;
	frame->stride = stride;
}

static void frame_flags(void *data, struct zwlr_screencopy_frame_v1 *proxy, uint32_t flags)
{
	((struct cap_frame *)data)->flags = flags;
}

static void frame_ready(void *data, struct zwlr_screencopy_frame_v1 *proxy, uint32_t sec_hi,
			uint32_t sec_lo, uint32_t nsec)
{
	((struct cap_frame *)data)->ready = true;
}

static void frame_failed(void *data, struct zwlr_screencopy_frame_v1 *proxy)
{
	((struct cap_frame *)data)->failed = true;
}

static void frame_damage(void *data, struct zwlr_screencopy_frame_v1 *proxy, uint32_t x, uint32_t y,
			 uint32_t width, uint32_t height)
{
	struct cap_frame *frame = data;

	frame->damage_events++;
	frame->damage_x = x;
	frame->damage_y = y;
	frame->damage_width = width;
	frame->damage_height = height;
}

static void frame_linux_dmabuf(void *data, struct zwlr_screencopy_frame_v1 *proxy, uint32_t format,
			       uint32_t width, uint32_t height)
{
	struct cap_frame *frame = data;

	frame->dmabuf_format = format;
	frame->dmabuf_width = width;
	frame->dmabuf_height = height;
}

static void frame_buffer_done(void *data, struct zwlr_screencopy_frame_v1 *proxy)
{
	((struct cap_frame *)data)->buffer_done = true;
}

static const struct zwlr_screencopy_frame_v1_listener frame_listener = {
	.buffer = frame_buffer,
	.flags = frame_flags,
	.ready = frame_ready,
	.failed = frame_failed,
	.damage = frame_damage,
	.linux_dmabuf = frame_linux_dmabuf,
	.buffer_done = frame_buffer_done,
};

struct cap_frame *cap_frame_capture(struct cap_client *client)
{
	struct cap_frame *frame = calloc(1, sizeof(*frame));

	if (!frame)
		return NULL;
	frame->client = client;
	frame->proxy =
		zwlr_screencopy_manager_v1_capture_output(client->screencopy, 0, client->output);
	zwlr_screencopy_frame_v1_add_listener(frame->proxy, &frame_listener, frame);
	if (!tc_client_wait(client->wl, &frame->buffer_done, 5000) && !frame->failed) {
		cap_frame_destroy(frame);
		return NULL;
	}
	return frame;
}

void cap_frame_copy(struct cap_frame *frame, struct tc_buffer *target, bool with_damage)
{
	if (with_damage)
		zwlr_screencopy_frame_v1_copy_with_damage(frame->proxy, target->buffer);
	else
		zwlr_screencopy_frame_v1_copy(frame->proxy, target->buffer);
	wl_display_flush(frame->client->wl->display);
}

void cap_frame_destroy(struct cap_frame *frame)
{
	if (!frame)
		return;
	zwlr_screencopy_frame_v1_destroy(frame->proxy);
	wl_display_flush(frame->client->wl->display);
	free(frame);
}

long cap_dmabuf_raw_pixel(int fd, size_t size, uint32_t offset, uint32_t stride, int x, int y)
{
	const uint8_t *map = mmap(NULL, size, PROT_READ, MAP_SHARED, fd, 0);
	long rgb;

	if (map == MAP_FAILED)
		return -1;
	rgb = *(const uint32_t *)(map + offset + (size_t)y * stride + (size_t)x * 4) & 0xffffff;
	munmap((void *)map, size);
	return rgb;
}

long cap_target_pixel_raw(const struct tc_buffer *target, int x, int y)
{
	return cap_dmabuf_raw_pixel(target->fd, target->size, 0, target->stride, x, y);
}

long cap_dmabuf_read_pixel(int fd, size_t size, uint32_t offset, uint32_t stride, int x, int y,
			   int timeout_ms)
{
	struct sb_sync_file *writers = sb_dmabuf_export_sync_file(fd, SB_ACCESS_READ);
	struct dma_buf_sync sync = {.flags = DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ};
	const uint8_t *map;
	long rgb;
	bool done;

	if (!writers)
		return -1;
	done = sb_poll_fd(sb_sync_file_get_fd(writers), POLLIN, timeout_ms) == 1;
	sb_sync_file_destroy(writers);
	if (!done)
		return -1;
	map = mmap(NULL, size, PROT_READ, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED)
		return -1;
	if (ioctl(fd, DMA_BUF_IOCTL_SYNC, &sync) < 0) {
		munmap((void *)map, size);
		return -1;
	}
	rgb = *(const uint32_t *)(map + offset + (size_t)y * stride + (size_t)x * 4) & 0xffffff;
	sync.flags = DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ;
	ioctl(fd, DMA_BUF_IOCTL_SYNC, &sync);
	munmap((void *)map, size);
	return rgb;
}

static void export_frame(void *data, struct zwlr_export_dmabuf_frame_v1 *proxy, uint32_t width,
			 uint32_t height, uint32_t offset_x, uint32_t offset_y,
			 uint32_t buffer_flags, uint32_t flags, uint32_t format, uint32_t mod_high,
			 uint32_t mod_low, uint32_t num_objects)
{
	struct cap_export *frame = data;

	frame->width = width;
	frame->height = height;
	frame->format = format;
	frame->n_objects = num_objects;
}

static void export_object(void *data, struct zwlr_export_dmabuf_frame_v1 *proxy, uint32_t index,
			  int32_t fd, uint32_t size, uint32_t offset, uint32_t stride,
			  uint32_t plane_index)
{
	struct cap_export *frame = data;

	if (index >= 4 || frame->fd[index] >= 0) {
		close(fd);
		return;
	}
	frame->fd[index] = fd;
	frame->size[index] = size;
	frame->offset[index] = offset;
	frame->stride[index] = stride;
}

static void export_ready(void *data, struct zwlr_export_dmabuf_frame_v1 *proxy, uint32_t sec_hi,
			 uint32_t sec_lo, uint32_t nsec)
{
	((struct cap_export *)data)->ready = true;
}

static void export_cancel(void *data, struct zwlr_export_dmabuf_frame_v1 *proxy, uint32_t reason)
{
	struct cap_export *frame = data;

	frame->cancelled = true;
	frame->cancel_reason = reason;
}

static const struct zwlr_export_dmabuf_frame_v1_listener export_listener = {
	.frame = export_frame,
	.object = export_object,
	.ready = export_ready,
	.cancel = export_cancel,
};

struct cap_export *cap_export_capture(struct cap_client *client)
{
	struct cap_export *frame = calloc(1, sizeof(*frame));

	if (!frame)
		return NULL;
	for (int i = 0; i < 4; i++)
		frame->fd[i] = -1;
	frame->client = client;
	frame->proxy =
		zwlr_export_dmabuf_manager_v1_capture_output(client->export, 0, client->output);
	zwlr_export_dmabuf_frame_v1_add_listener(frame->proxy, &export_listener, frame);
	wl_display_flush(client->wl->display);
	return frame;
}

void cap_export_destroy(struct cap_export *frame)
{
	if (!frame)
		return;
	for (int i = 0; i < 4; i++)
		if (frame->fd[i] >= 0)
			close(frame->fd[i]);
	zwlr_export_dmabuf_frame_v1_destroy(frame->proxy);
	wl_display_flush(frame->client->wl->display);
	free(frame);
}
