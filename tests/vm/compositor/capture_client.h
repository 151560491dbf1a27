/* SPDX-License-Identifier: MIT */
#ifndef SB_TEST_CAPTURE_CLIENT_H
#define SB_TEST_CAPTURE_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * A screen-capture consumer for the guest tests: zwlr_screencopy_manager_v1 frames copied into
 * wl_shm or udmabuf (linux-dmabuf) tc_buffers, and zwlr_export_dmabuf_manager_v1 frames, on the
 * compositor's first wl_output. Requests go out as the test asks, the wrong ones included.
 */
struct sb_compositor;
struct tc_buffer;

/* A tc_client (wait, roundtrip and errors through wl) with the capture globals. */
struct cap_client {
	struct tc_client *wl;
	struct wl_output *output;
	struct zwlr_screencopy_manager_v1 *screencopy;
	struct zwlr_export_dmabuf_manager_v1 *export;
};

struct cap_frame {
	struct cap_client *client;
	struct zwlr_screencopy_frame_v1 *proxy;
	/* From the buffer, linux_dmabuf and buffer_done events */
	uint32_t shm_format, width, height, stride;
	uint32_t dmabuf_format, dmabuf_width, dmabuf_height;
	bool buffer_done;
	/* From flags, damage, ready, failed */
	uint32_t flags;
	int damage_events;
	uint32_t damage_x, damage_y, damage_width, damage_height;
	bool ready, failed;
};

struct cap_export {
	struct cap_client *client;
	struct zwlr_export_dmabuf_frame_v1 *proxy;
	uint32_t width, height, format, n_objects;
	int fd[4];
	uint32_t size[4], offset[4], stride[4];
	bool ready, cancelled;
	uint32_t cancel_reason;
};

struct cap_client *cap_client_connect(const struct sb_compositor *comp);
void cap_client_destroy(struct cap_client *client);

/* capture_output of the whole output, with its buffer events (waits for buffer_done). */
struct cap_frame *cap_frame_capture(struct cap_client *client);
void cap_frame_copy(struct cap_frame *frame, struct tc_buffer *target, bool with_damage);
void cap_frame_destroy(struct cap_frame *frame);

/* The pixel as 0xRRGGBB, read straight from memory: no fence waited for, no SYNC. */
long cap_target_pixel_raw(const struct tc_buffer *target, int x, int y);

/* export_dmabuf capture_output of the whole output (returns at once: wait for ready). */
struct cap_export *cap_export_capture(struct cap_client *client);
/* Closes the fds it received, and destroys the frame. */
void cap_export_destroy(struct cap_export *frame);

/*
 * How an implicit-sync consumer reads a pixel of a dma-buf (0xRRGGBB, or -1): waits for its
 * writers (DMA_BUF_IOCTL_EXPORT_SYNC_FILE(READ), polled up to timeout_ms), then reads through
 * mmap inside DMA_BUF_IOCTL_SYNC(READ).
 */
long cap_dmabuf_read_pixel(int fd, size_t size, uint32_t offset, uint32_t stride, int x, int y,
			   int timeout_ms);
/* The pixel straight from memory (0xRRGGBB, or -1): no fence waited for, no SYNC. */
long cap_dmabuf_raw_pixel(int fd, size_t size, uint32_t offset, uint32_t stride, int x, int y);

#endif
