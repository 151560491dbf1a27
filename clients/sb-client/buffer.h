/* SPDX-License-Identifier: MIT */
#ifndef SB_CLIENT_BUFFER_H
#define SB_CLIENT_BUFFER_H

#include <stdbool.h>
#include <stdint.h>

#include "allocator.h"

struct frame;
struct sb_sync_file;
struct window;

/*
 * A wl_buffer over a storage: wl_shm, or zwp_linux_dmabuf_v1 (one plane, DRM_FORMAT_MOD_LINEAR).
 * It may be painted when the compositor has released it, its explicit release fence (if any) has
 * signalled and its dma-buf has no pending fence; otherwise buffer_ready() watches for that and
 * kicks the window.
 */
struct buffer {
	struct window *window;
	int index;
	struct storage storage;
	struct wl_buffer *wl_buffer;
	struct zwp_linux_buffer_params_v1 *params;
	bool failed; /* zwp_linux_buffer_params_v1.failed */
	bool busy;   /* attached, wl_buffer.release not yet received */
	/* attached with a zwp_linux_buffer_release_v1 that has not sent its event yet */
	bool explicit_pending;
	struct frame *frame;		    /* the frame that attached it, until released */
	struct sb_sync_file *release_fence; /* zwp_linux_buffer_release_v1.fenced_release */
	struct loop_fd *idle_watch;
};

/* NULL with *exit_code set, after a message. */
struct buffer *buffer_create(struct window *window, int index, int *exit_code);
void buffer_destroy(struct buffer *buffer);

/* After the roundtrip that followed creation: an enum exit_code. */
int buffer_check_created(struct buffer *buffer);
bool buffer_ready(struct buffer *buffer);
int buffer_paint(struct buffer *buffer, uint64_t frame_number);
/* After frame_request_events: the frame's release object, if any, is known. */
void buffer_attached(struct buffer *buffer, struct frame *frame);
/* zwp_linux_buffer_release_v1's event; takes ownership of release_fence (NULL: immediate). */
void buffer_set_release_fence(struct buffer *buffer, struct sb_sync_file *release_fence);

#endif
