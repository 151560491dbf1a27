// SPDX-License-Identifier: MIT
#include <stdlib.h>
#include <unistd.h>

#include <wlr/backend/headless.h>
#include <wlr/render/allocator.h>
#include <wlr/render/dmabuf.h>
#include <wlr/render/pixman.h>
#include <wlr/types/wlr_buffer.h>
#include <wlr/types/wlr_output.h>
#include <wlr/util/log.h>

#include <syncbridge/waiter.h>

#include "dmabuf_allocator.h"
#include "export_dmabuf_v1.h"
#include "renderer.h"
#include "server.h"
#include "wlr-export-dmabuf-unstable-v1-protocol.h"

#define EXPORT_DMABUF_VERSION 1
/*
 * Output buffers consumers may hold at once. wlroots 0.15's swapchain has 4 slots; the output
 * needs its front buffer and a free one to render the next frame into, and the held buffer that
 * is the front now becomes one more held buffer when the output moves on: with 2 held, 2 remain.
 * A capture that would hold a third waits for a release: that consumer waits, the output does not.
 */
#define HELD_MAX 2

struct sb_export_dmabuf_v1 {
	struct wl_global *global;
	struct wl_event_loop *loop;
	struct wl_list frames; /* export_frame.link: captures waiting for a commit */
	struct wl_list held;   /* held_buffer.link */
	struct wl_listener display_destroy;
};

/* An output buffer consumers have, kept from the swapchain (locked) until they are done. */
struct held_buffer {
	struct sb_export_dmabuf_v1 *export;
	struct wlr_buffer *buffer;
	int fd;			  /* the buffer's, borrowed */
	int frames;		  /* live frame objects that handed it out */
	struct sb_waiter *waiter; /* then: the consumers' fences */
	struct wl_event_source *source;
	struct wl_list link;
};

struct export_frame {
	struct wl_resource *resource;
	struct sb_export_dmabuf_v1 *export;
	struct wlr_output *output; /* NULL once ready or cancelled */
	struct held_buffer *held;  /* from ready on */
	bool cursor_locked;
	struct wl_list link; /* sb_export_dmabuf_v1.frames while waiting */
	struct wl_listener output_commit;
	struct wl_listener output_destroy;
};

static const struct zwlr_export_dmabuf_frame_v1_interface frame_impl;

static void held_release(struct held_buffer *held)
{
	struct export_frame *frame;

	wlr_log(WLR_DEBUG, "export-dmabuf: output buffer %p back to the output",
		(void *)held->buffer);
	wl_list_remove(&held->link);
	if (held->source)
		wl_event_source_remove(held->source);
	sb_waiter_destroy(held->waiter);
	wlr_buffer_unlock(held->buffer);
	/* A capture held back by HELD_MAX can go now: it needs a new frame. */
	wl_list_for_each(frame, &held->export->frames, link)
		wlr_output_schedule_frame(frame->output);
	free(held);
}

static int held_fences_ready(int fd, uint32_t mask, void *data)
{
	struct held_buffer *held = data;
	int ret = sb_waiter_dispatch(held->waiter);

	wlr_log(WLR_DEBUG, "export-dmabuf: output buffer %p: fences readable, dispatch %d",
		(void *)held->buffer, ret);
	if (ret == 0)
		return 0;
	if (ret < 0)
		wlr_log(WLR_ERROR, "export-dmabuf: waiting for a consumer's fences failed: the "
				   "output buffer is released anyway");
	held_release(held);
	return 0;
}

static void held_waiter_done(struct sb_waiter *waiter, int status, void *data)
{
}

/*
 * The last frame that handed the buffer out is gone: the swapchain gets it back once every fence
 * on it has signalled, its consumers' READ fences first of all (WRITE access waits for all).
 */
static void held_unref(struct held_buffer *held)
{
	if (--held->frames > 0)
		return;
	held->waiter = sb_waiter_create(held_waiter_done, held);
	if (!held->waiter || sb_waiter_add_dmabuf(held->waiter, held->fd, SB_ACCESS_WRITE,
						  SB_WAIT_CHECKED_DMABUF) < 0)
		goto err;
	if (sb_waiter_pending(held->waiter) == 0) {
		held_release(held);
		return;
	}
	held->source = wl_event_loop_add_fd(held->export->loop, sb_waiter_get_fd(held->waiter),
					    WL_EVENT_READABLE, held_fences_ready, held);
	if (!held->source)
		goto err;
	wlr_log(WLR_DEBUG,
		"export-dmabuf: output buffer %p held until its consumers' fences "
		"signal",
		(void *)held->buffer);
	return;

err:
	/* Cannot watch the fences: keep the buffer out of the swapchain rather than overwrite it. */
	wlr_log_errno(WLR_ERROR,
		      "export-dmabuf: cannot wait for a consumer's fences; output "
		      "buffer %p stays held",
		      (void *)held->buffer);
	sb_waiter_destroy(held->waiter);
	held->waiter = NULL;
}

static struct held_buffer *held_get(struct sb_export_dmabuf_v1 *export, struct wlr_buffer *buffer,
				    int fd)
{
	struct held_buffer *held;

	wl_list_for_each(held, &export->held, link) {
		if (held->buffer == buffer)
			return held;
	}
	held = calloc(1, sizeof(*held));
	if (!held)
		return NULL;
	held->export = export;
	held->buffer = wlr_buffer_lock(buffer);
	held->fd = fd;
	wl_list_insert(&export->held, &held->link);
	return held;
}

/* Whether handing out buffer would still leave the output a buffer to render into. */
static bool may_hold(struct sb_export_dmabuf_v1 *export, struct wlr_buffer *buffer)
{
	struct held_buffer *held;
	int others = 0;

	wl_list_for_each(held, &export->held, link) {
		if (held->buffer == buffer)
			return true;
		others++;
	}
	return others < HELD_MAX;
}

/* The frame stops waiting for a commit: ready, cancelled or destroyed. */
static void frame_disarm(struct export_frame *frame)
{
	if (!frame->output)
		return;
	wlr_output_lock_attach_render(frame->output, false);
	if (frame->cursor_locked)
		wlr_output_lock_software_cursors(frame->output, false);
	wl_list_remove(&frame->output_commit.link);
	wl_list_remove(&frame->output_destroy.link);
	wl_list_remove(&frame->link);
	frame->output = NULL;
}

static void frame_cancel(struct export_frame *frame,
			 enum zwlr_export_dmabuf_frame_v1_cancel_reason why)
{
	frame_disarm(frame);
	zwlr_export_dmabuf_frame_v1_send_cancel(frame->resource, why);
}

static void frame_handle_output_commit(struct wl_listener *listener, void *data)
{
	struct export_frame *frame = wl_container_of(listener, frame, output_commit);
	struct wlr_output_event_commit *event = data;
	struct wlr_dmabuf_attributes attribs;
	struct timespec when = {0};

	if (!(event->committed & WLR_OUTPUT_STATE_BUFFER) || !event->buffer)
		return;
	if (!wlr_buffer_get_dmabuf(event->buffer, &attribs)) {
		/* The output renders into buffers that are not dma-bufs (shm): it always will. */
		frame_cancel(frame, ZWLR_EXPORT_DMABUF_FRAME_V1_CANCEL_REASON_PERMANENT);
		return;
	}
	if (!may_hold(frame->export, event->buffer)) {
		wlr_log(WLR_DEBUG, "export-dmabuf: %d output buffers held, capture waits",
			HELD_MAX);
		return;
	}
	frame->held = held_get(frame->export, event->buffer, attribs.fd[0]);
	if (!frame->held) {
		frame_cancel(frame, ZWLR_EXPORT_DMABUF_FRAME_V1_CANCEL_REASON_TEMPORARY);
		return;
	}
	frame->held->frames++;
	if (event->when)
		when = *event->when;
	frame_disarm(frame);
	/*
	 * Not transient: the buffer is not written again while the frame lives, nor until the
	 * consumer's fences signal. The frame's own writes are done: pixman's are synchronous, and a
	 * GPU renderer's (GLES2 on GBM buffers) are in the dma-buf's implicit write fence, which the
	 * consumer's reads wait for.
	 */
	zwlr_export_dmabuf_frame_v1_send_frame(
		frame->resource, (uint32_t)attribs.width, (uint32_t)attribs.height, 0, 0, 0, 0,
		attribs.format, (uint32_t)(attribs.modifier >> 32),
		(uint32_t)(attribs.modifier & 0xffffffff), (uint32_t)attribs.n_planes);
	for (int i = 0; i < attribs.n_planes; i++) {
		off_t size = lseek(attribs.fd[i], 0, SEEK_END);

		/* libwayland sends a duplicate: the buffer keeps its fd. */
		zwlr_export_dmabuf_frame_v1_send_object(
			frame->resource, (uint32_t)i, attribs.fd[i], size > 0 ? (uint32_t)size : 0,
			attribs.offset[i], attribs.stride[i], (uint32_t)i);
	}
	zwlr_export_dmabuf_frame_v1_send_ready(frame->resource,
					       (uint32_t)((uint64_t)when.tv_sec >> 32),
					       (uint32_t)when.tv_sec, (uint32_t)when.tv_nsec);
}

static void frame_handle_output_destroy(struct wl_listener *listener, void *data)
{
	struct export_frame *frame = wl_container_of(listener, frame, output_destroy);

	frame_cancel(frame, ZWLR_EXPORT_DMABUF_FRAME_V1_CANCEL_REASON_PERMANENT);
}

static void frame_handle_destroy(struct wl_client *client, struct wl_resource *resource)
{
	wl_resource_destroy(resource);
}

static const struct zwlr_export_dmabuf_frame_v1_interface frame_impl = {
	.destroy = frame_handle_destroy,
};

static void frame_resource_destroy(struct wl_resource *resource)
{
	struct export_frame *frame = wl_resource_get_user_data(resource);

	frame_disarm(frame);
	if (frame->held)
		held_unref(frame->held);
	free(frame);
}

static void manager_handle_capture_output(struct wl_client *client, struct wl_resource *resource,
					  uint32_t id, int32_t overlay_cursor,
					  struct wl_resource *output_resource)
{
	struct sb_export_dmabuf_v1 *export = wl_resource_get_user_data(resource);
	struct wlr_output *output = wlr_output_from_resource(output_resource);
	struct export_frame *frame = calloc(1, sizeof(*frame));

	if (!frame) {
		wl_resource_post_no_memory(resource);
		return;
	}
	frame->export = export;
	frame->resource = wl_resource_create(client, &zwlr_export_dmabuf_frame_v1_interface,
					     wl_resource_get_version(resource), id);
	if (!frame->resource) {
		free(frame);
		wl_resource_post_no_memory(resource);
		return;
	}
	wl_resource_set_implementation(frame->resource, &frame_impl, frame, frame_resource_destroy);
	if (!output || !output->enabled) {
		zwlr_export_dmabuf_frame_v1_send_cancel(
			frame->resource, ZWLR_EXPORT_DMABUF_FRAME_V1_CANCEL_REASON_PERMANENT);
		return;
	}
	frame->output = output;
	wl_list_insert(export->frames.prev, &frame->link);
	frame->output_commit.notify = frame_handle_output_commit;
	wl_signal_add(&output->events.commit, &frame->output_commit);
	frame->output_destroy.notify = frame_handle_output_destroy;
	wl_signal_add(&output->events.destroy, &frame->output_destroy);
	/* The frame must be a composited one (no direct scanout of a client buffer). */
	wlr_output_lock_attach_render(output, true);
	if (overlay_cursor) {
		wlr_output_lock_software_cursors(output, true);
		frame->cursor_locked = true;
	}
	wlr_output_schedule_frame(output);
}

static void manager_handle_destroy(struct wl_client *client, struct wl_resource *resource)
{
	wl_resource_destroy(resource);
}

static const struct zwlr_export_dmabuf_manager_v1_interface manager_impl = {
	.capture_output = manager_handle_capture_output,
	.destroy = manager_handle_destroy,
};

static void manager_bind(struct wl_client *client, void *data, uint32_t version, uint32_t id)
{
	struct wl_resource *resource = wl_resource_create(
		client, &zwlr_export_dmabuf_manager_v1_interface, (int)version, id);

	if (!resource) {
		wl_client_post_no_memory(client);
		return;
	}
	wl_resource_set_implementation(resource, &manager_impl, data, NULL);
}

static void handle_display_destroy(struct wl_listener *listener, void *data)
{
	struct sb_export_dmabuf_v1 *export = wl_container_of(listener, export, display_destroy);
	struct held_buffer *held, *tmp;

	/* The clients, and so the frames, are gone: only buffers waiting for fences remain. */
	wl_list_for_each_safe(held, tmp, &export->held, link)
		held_release(held);
	wl_list_remove(&export->display_destroy.link);
	wl_global_destroy(export->global);
	free(export);
}

/* Headless with pixman gets memfd buffers from wlroots 0.15: there, dma-bufs of our own. */
static void use_dmabuf_output_buffers(struct sb_server *server)
{
	struct wlr_allocator *allocator;

	if (!wlr_backend_is_headless(server->backend) ||
	    !wlr_renderer_is_pixman(sb_renderer_inner(server->renderer)))
		return;
	allocator = sb_dmabuf_allocator_create(server->bounded_sync);
	if (!allocator) {
		wlr_log(WLR_INFO,
			"export-dmabuf: no dma-heap, headless outputs stay shm (no export)");
		return;
	}
	wlr_allocator_destroy(server->allocator);
	server->allocator = allocator;
	wlr_log(WLR_INFO, "export-dmabuf: headless output buffers from /dev/dma_heap/system");
}

bool sb_export_dmabuf_v1_create(struct sb_server *server)
{
	struct sb_export_dmabuf_v1 *export = calloc(1, sizeof(*export));

	if (!export)
		return false;
	export->loop = wl_display_get_event_loop(server->display);
	wl_list_init(&export->frames);
	wl_list_init(&export->held);
	export->global = wl_global_create(server->display, &zwlr_export_dmabuf_manager_v1_interface,
					  EXPORT_DMABUF_VERSION, export, manager_bind);
	if (!export->global) {
		free(export);
		return false;
	}
	export->display_destroy.notify = handle_display_destroy;
	wl_display_add_destroy_listener(server->display, &export->display_destroy);
	use_dmabuf_output_buffers(server);
	return true;
}
