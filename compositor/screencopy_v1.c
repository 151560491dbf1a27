// SPDX-License-Identifier: MIT
#include <stdlib.h>
#include <sys/mman.h>

#include <drm_fourcc.h>
#include <pixman.h>
#include <wlr/render/dmabuf.h>
#include <wlr/render/wlr_renderer.h>
#include <wlr/types/wlr_buffer.h>
#include <wlr/types/wlr_output.h>
#include <wlr/util/box.h>
#include <wlr/util/log.h>

#include <syncbridge/waiter.h>

#include "bounded_sync.h"
#include "screencopy_v1.h"
#include "wlr-screencopy-unstable-v1-protocol.h"

#define SCREENCOPY_VERSION 3

struct sb_screencopy_v1 {
	struct wl_global *global;
	struct wl_event_loop *loop;
	struct sb_bounded_sync *sync;
	struct wl_listener display_destroy;
};

/* One zwlr_screencopy_manager_v1: a consumer, whose frames are served in the order copied. */
struct consumer {
	struct sb_screencopy_v1 *screencopy;
	struct wl_list queue;	/* frame.link: copied, not yet ready or failed */
	struct wl_list damages; /* consumer_damage.link */
	int refs;		/* the manager resource and each frame */
};

/* What changed on an output since the consumer's last copy_with_damage (buffer coordinates). */
struct consumer_damage {
	struct wl_list link;
	struct wlr_output *output;
	pixman_region32_t region;
	struct wl_listener output_precommit;
	struct wl_listener output_destroy;
};

enum frame_state {
	FRAME_CREATED, /* buffer events sent, no copy yet */
	FRAME_QUEUED,  /* copied, behind an earlier frame of the same consumer */
	FRAME_FENCES,  /* waiting for the fences of the target dma-buf */
	FRAME_COMMIT,  /* waiting for an output commit to copy */
	FRAME_DONE,    /* ready or failed sent: inert */
};

struct frame {
	struct wl_resource *resource;
	struct consumer *consumer;
	struct wlr_output *output;
	enum frame_state state;
	struct wlr_box box; /* in the output's buffer */
	uint32_t shm_format, fourcc, stride;
	bool overlay_cursor, with_damage;
	bool copied; /* copy or copy_with_damage came: a second one is already_used */
	/* The target: a wl_shm buffer, or a dma-buf (locked) */
	struct wl_shm_buffer *shm;
	struct wlr_buffer *dmabuf;
	struct wlr_dmabuf_attributes attribs; /* dmabuf's, borrowed */
	struct sb_waiter *waiter;
	struct wl_event_source *waiter_source;
	struct wl_list link; /* consumer.queue */
	struct wl_listener output_commit;
	struct wl_listener output_enable;
	struct wl_listener output_destroy;
	struct wl_listener buffer_destroy;
};

static const struct zwlr_screencopy_frame_v1_interface frame_impl;
static void frame_start(struct frame *frame);

static void consumer_damage_destroy(struct consumer_damage *damage)
{
	wl_list_remove(&damage->link);
	wl_list_remove(&damage->output_precommit.link);
	wl_list_remove(&damage->output_destroy.link);
	pixman_region32_fini(&damage->region);
	free(damage);
}

static void consumer_unref(struct consumer *consumer)
{
	struct consumer_damage *damage, *tmp;

	if (--consumer->refs > 0)
		return;
	wl_list_for_each_safe(damage, tmp, &consumer->damages, link)
		consumer_damage_destroy(damage);
	free(consumer);
}

static void damage_handle_output_precommit(struct wl_listener *listener, void *data)
{
	struct consumer_damage *damage = wl_container_of(listener, damage, output_precommit);
	struct wlr_output *output = damage->output;

	if (output->pending.committed & WLR_OUTPUT_STATE_DAMAGE)
		pixman_region32_union(&damage->region, &damage->region, &output->pending.damage);
	else if (output->pending.committed & WLR_OUTPUT_STATE_BUFFER)
		pixman_region32_union_rect(&damage->region, &damage->region, 0, 0,
					   (unsigned int)output->width,
					   (unsigned int)output->height);
}

static void damage_handle_output_destroy(struct wl_listener *listener, void *data)
{
	struct consumer_damage *damage = wl_container_of(listener, damage, output_destroy);

	consumer_damage_destroy(damage);
}

/* Created on the first copy_with_damage: everything counts as changed until the first copy. */
static struct consumer_damage *consumer_damage_get(struct consumer *consumer,
						   struct wlr_output *output)
{
	struct consumer_damage *damage;

	wl_list_for_each(damage, &consumer->damages, link) {
		if (damage->output == output)
			return damage;
	}
	damage = calloc(1, sizeof(*damage));
	if (!damage)
		return NULL;
	damage->output = output;
	pixman_region32_init_rect(&damage->region, 0, 0, (unsigned int)output->width,
				  (unsigned int)output->height);
	damage->output_precommit.notify = damage_handle_output_precommit;
	wl_signal_add(&output->events.precommit, &damage->output_precommit);
	damage->output_destroy.notify = damage_handle_output_destroy;
	wl_signal_add(&output->events.destroy, &damage->output_destroy);
	wl_list_insert(&consumer->damages, &damage->link);
	return damage;
}

static void frame_disarm_commit(struct frame *frame)
{
	wl_list_remove(&frame->output_commit.link);
	wlr_output_lock_attach_render(frame->output, false);
	if (frame->overlay_cursor)
		wlr_output_lock_software_cursors(frame->output, false);
}

/* Stops every wait and lets go of the target and the output; the resource stays, inert. */
static void frame_finish(struct frame *frame)
{
	struct consumer *consumer = frame->consumer;
	bool was_head = false;

	if (frame->state == FRAME_DONE)
		return;
	if (frame->waiter_source)
		wl_event_source_remove(frame->waiter_source);
	frame->waiter_source = NULL;
	sb_waiter_destroy(frame->waiter);
	frame->waiter = NULL;
	if (frame->state == FRAME_COMMIT)
		frame_disarm_commit(frame);
	if (frame->state != FRAME_CREATED) {
		was_head = consumer->queue.next == &frame->link;
		wl_list_remove(&frame->link);
		wl_list_remove(&frame->buffer_destroy.link);
	}
	if (frame->output) {
		wl_list_remove(&frame->output_enable.link);
		wl_list_remove(&frame->output_destroy.link);
	}
	if (frame->dmabuf)
		wlr_buffer_unlock(frame->dmabuf);
	frame->dmabuf = NULL;
	frame->shm = NULL;
	frame->state = FRAME_DONE;
	/* The consumer's next frame may start now. */
	if (was_head && !wl_list_empty(&consumer->queue))
		frame_start(wl_container_of(consumer->queue.next, frame, link));
}

static void frame_fail(struct frame *frame)
{
	if (frame->state == FRAME_DONE)
		return;
	frame_finish(frame);
	zwlr_screencopy_frame_v1_send_failed(frame->resource);
}

/* Copies the committed output buffer's box into data (the target's pixels). */
static bool copy_pixels(struct frame *frame, struct wlr_buffer *source, uint32_t format,
			uint32_t stride, void *data, uint32_t *flags)
{
	struct wlr_renderer *renderer = frame->output->renderer;
	uint32_t read_flags = 0;
	bool ok;

	if (!renderer || !wlr_renderer_begin_with_buffer(renderer, source))
		return false;
	ok = wlr_renderer_read_pixels(renderer, format, &read_flags, stride,
				      (uint32_t)frame->box.width, (uint32_t)frame->box.height,
				      (uint32_t)frame->box.x, (uint32_t)frame->box.y, 0, 0, data);
	wlr_renderer_end(renderer);
	*flags = (read_flags & WLR_RENDERER_READ_PIXELS_Y_INVERT)
			 ? ZWLR_SCREENCOPY_FRAME_V1_FLAGS_Y_INVERT
			 : 0;
	return ok;
}

static uint32_t drm_format_from_shm(uint32_t shm_format)
{
	if (shm_format == WL_SHM_FORMAT_ARGB8888)
		return DRM_FORMAT_ARGB8888;
	if (shm_format == WL_SHM_FORMAT_XRGB8888)
		return DRM_FORMAT_XRGB8888;
	return shm_format;
}

static bool copy_to_shm(struct frame *frame, struct wlr_buffer *source, uint32_t *flags)
{
	bool ok;

	wl_shm_buffer_begin_access(frame->shm);
	ok = copy_pixels(frame, source, drm_format_from_shm(frame->shm_format), frame->stride,
			 wl_shm_buffer_get_data(frame->shm), flags);
	wl_shm_buffer_end_access(frame->shm);
	return ok;
}

/*
 * The write is the CPU's (pixman reads the output buffer into the mapping): it is complete when
 * read_pixels returns, so there is no write fence to give the consumer. A GPU copy (a GLES2 blit
 * into the target) would be asynchronous: its fence would go into the target with
 * DMA_BUF_IOCTL_IMPORT_SYNC_FILE(WRITE) before `ready`, so that the consumer's reads wait for it.
 */
static bool copy_to_dmabuf(struct frame *frame, struct wlr_buffer *source, uint32_t *flags)
{
	const struct wlr_dmabuf_attributes *attribs = &frame->attribs;
	size_t size =
		(size_t)attribs->offset[0] + (size_t)attribs->stride[0] * (size_t)attribs->height;
	uint8_t *map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, attribs->fd[0], 0);
	bool ok;

	if (map == MAP_FAILED) {
		wlr_log_errno(WLR_DEBUG, "screencopy: cannot map the target dma-buf for writing");
		return false;
	}
	ok = copy_pixels(frame, source, attribs->format, attribs->stride[0],
			 map + attribs->offset[0], flags);
	munmap(map, size);
	return ok;
}

static void frame_send_damage(struct frame *frame)
{
	struct consumer_damage *damage = consumer_damage_get(frame->consumer, frame->output);
	pixman_region32_t in_box;
	pixman_box32_t *extents;

	if (!damage)
		return;
	pixman_region32_init(&in_box);
	pixman_region32_intersect_rect(&in_box, &damage->region, frame->box.x, frame->box.y,
				       (unsigned int)frame->box.width,
				       (unsigned int)frame->box.height);
	extents = pixman_region32_extents(&in_box);
	zwlr_screencopy_frame_v1_send_damage(
		frame->resource, (uint32_t)(extents->x1 - frame->box.x),
		(uint32_t)(extents->y1 - frame->box.y), (uint32_t)(extents->x2 - extents->x1),
		(uint32_t)(extents->y2 - extents->y1));
	pixman_region32_fini(&in_box);
	pixman_region32_clear(&damage->region);
}

static bool frame_has_damage(struct frame *frame)
{
	struct consumer_damage *damage = consumer_damage_get(frame->consumer, frame->output);
	pixman_region32_t in_box;
	bool changed;

	if (!damage)
		return true;
	pixman_region32_init(&in_box);
	pixman_region32_intersect_rect(&in_box, &damage->region, frame->box.x, frame->box.y,
				       (unsigned int)frame->box.width,
				       (unsigned int)frame->box.height);
	changed = pixman_region32_not_empty(&in_box);
	pixman_region32_fini(&in_box);
	return changed;
}

static void frame_wait_fences(struct frame *frame);

static void frame_handle_output_commit(struct wl_listener *listener, void *data)
{
	struct frame *frame = wl_container_of(listener, frame, output_commit);
	struct wlr_output_event_commit *event = data;
	struct sb_bounded_sync *sync = frame->consumer->screencopy->sync;
	struct timespec when = {0};
	uint32_t flags = 0;
	bool ok;

	if (!(event->committed & WLR_OUTPUT_STATE_BUFFER) || !event->buffer)
		return;
	if (frame->with_damage && !frame_has_damage(frame))
		return;
	if (frame->dmabuf) {
		/*
		 * A reader the consumer added after the wait (or a late writer) must be waited
		 * for too: back to the event loop rather than write under it, or block in SYNC.
		 */
		if (!sync) {
			wlr_log(WLR_ERROR, "screencopy: no timer to bound DMA_BUF_IOCTL_SYNC: a "
					   "dma-buf target is not written");
			frame_fail(frame);
			return;
		}
		if (!sb_bounded_sync_start(sync, frame->attribs.fd[0], SB_ACCESS_WRITE)) {
			wlr_log(WLR_DEBUG, "screencopy: a fence came on the target, waiting again");
			frame_disarm_commit(frame);
			frame_wait_fences(frame);
			return;
		}
		ok = copy_to_dmabuf(frame, event->buffer, &flags);
		sb_bounded_sync_end(frame->attribs.fd[0], SB_ACCESS_WRITE);
	} else {
		ok = copy_to_shm(frame, event->buffer, &flags);
	}
	if (!ok) {
		wlr_log(WLR_DEBUG, "screencopy: the copy failed");
		frame_fail(frame);
		return;
	}
	if (event->when)
		when = *event->when;
	zwlr_screencopy_frame_v1_send_flags(frame->resource, flags);
	if (frame->with_damage)
		frame_send_damage(frame);
	zwlr_screencopy_frame_v1_send_ready(frame->resource,
					    (uint32_t)((uint64_t)when.tv_sec >> 32),
					    (uint32_t)when.tv_sec, (uint32_t)when.tv_nsec);
	frame_finish(frame);
}

static void frame_arm_commit(struct frame *frame)
{
	frame->state = FRAME_COMMIT;
	frame->output_commit.notify = frame_handle_output_commit;
	wl_signal_add(&frame->output->events.commit, &frame->output_commit);
	/* A composited frame (no direct scanout), now: wlroots renders on needs_frame. */
	wlr_output_lock_attach_render(frame->output, true);
	if (frame->overlay_cursor)
		wlr_output_lock_software_cursors(frame->output, true);
	wlr_output_schedule_frame(frame->output);
}

static void frame_waiter_done(struct sb_waiter *waiter, int status, void *data)
{
}

static int frame_fences_ready(int fd, uint32_t mask, void *data)
{
	struct frame *frame = data;
	int ret = sb_waiter_dispatch(frame->waiter);

	if (ret == 0)
		return 0;
	wl_event_source_remove(frame->waiter_source);
	frame->waiter_source = NULL;
	sb_waiter_destroy(frame->waiter);
	frame->waiter = NULL;
	if (ret < 0) {
		wlr_log(WLR_DEBUG, "screencopy: waiting for the target's fences failed");
		frame_fail(frame);
		return 0;
	}
	frame_arm_commit(frame);
	return 0;
}

/*
 * DMA_BUF_IOCTL_EXPORT_SYNC_FILE with WRITE access: every fence a writer must wait for, the
 * consumer's readers (an encoder still reading the last frame) as well as writers.
 */
static void frame_wait_fences(struct frame *frame)
{
	frame->state = FRAME_FENCES;
	frame->waiter = sb_waiter_create(frame_waiter_done, frame);
	if (!frame->waiter ||
	    sb_waiter_add_dmabuf(frame->waiter, frame->attribs.fd[0], SB_ACCESS_WRITE, 0) < 0) {
		wlr_log_errno(WLR_ERROR, "screencopy: cannot wait for the target's fences");
		frame_fail(frame);
		return;
	}
	if (sb_waiter_pending(frame->waiter) == 0) {
		sb_waiter_destroy(frame->waiter);
		frame->waiter = NULL;
		frame_arm_commit(frame);
		return;
	}
	frame->waiter_source = wl_event_loop_add_fd(frame->consumer->screencopy->loop,
						    sb_waiter_get_fd(frame->waiter),
						    WL_EVENT_READABLE, frame_fences_ready, frame);
	if (!frame->waiter_source) {
		wlr_log_errno(WLR_ERROR, "screencopy: cannot wait for the target's fences");
		frame_fail(frame);
		return;
	}
	wlr_log(WLR_DEBUG, "screencopy: frame %p waits for %d fence(s) on its target",
		(void *)frame, sb_waiter_pending(frame->waiter));
}

static void frame_start(struct frame *frame)
{
	if (frame->dmabuf)
		frame_wait_fences(frame);
	else
		frame_arm_commit(frame);
}

static void frame_handle_output_enable(struct wl_listener *listener, void *data)
{
	struct frame *frame = wl_container_of(listener, frame, output_enable);

	if (!frame->output->enabled)
		frame_fail(frame);
}

static void frame_handle_output_destroy(struct wl_listener *listener, void *data)
{
	struct frame *frame = wl_container_of(listener, frame, output_destroy);

	frame_fail(frame);
}

static void frame_handle_buffer_destroy(struct wl_listener *listener, void *data)
{
	struct frame *frame = wl_container_of(listener, frame, buffer_destroy);

	frame_fail(frame);
}

static bool wl_shm_target_valid(struct frame *frame, struct wl_shm_buffer *shm)
{
	const char *why = NULL;

	if (wl_shm_buffer_get_format(shm) != frame->shm_format)
		why = "format";
	else if (wl_shm_buffer_get_stride(shm) != (int32_t)frame->stride)
		why = "stride";
	else if (wl_shm_buffer_get_width(shm) != frame->box.width ||
		 wl_shm_buffer_get_height(shm) != frame->box.height)
		why = "size";
	if (why)
		wl_resource_post_error(
			frame->resource, ZWLR_SCREENCOPY_FRAME_V1_ERROR_INVALID_BUFFER,
			"wl_shm buffer: wrong %s (the buffer event said format %u, "
			"%dx%d, stride %u)",
			why, frame->shm_format, frame->box.width, frame->box.height, frame->stride);
	return !why;
}

/* What the linux_dmabuf event promised, and what a CPU write can do: one linear plane. */
static bool dmabuf_target_valid(struct frame *frame, const struct wlr_dmabuf_attributes *attribs)
{
	const char *why = NULL;

	if (frame->fourcc == DRM_FORMAT_INVALID)
		why = "buffer type (no linux_dmabuf event was sent)";
	else if (attribs->format != frame->fourcc)
		why = "format";
	else if (attribs->width != frame->box.width || attribs->height != frame->box.height)
		why = "size";
	else if (attribs->n_planes != 1 || attribs->modifier != DRM_FORMAT_MOD_LINEAR ||
		 attribs->stride[0] < (uint32_t)attribs->width * 4)
		why = "layout (one linear plane, stride at least 4 x width)";
	if (why)
		wl_resource_post_error(
			frame->resource, ZWLR_SCREENCOPY_FRAME_V1_ERROR_INVALID_BUFFER,
			"dma-buf: wrong %s (the linux_dmabuf event said 0x%08x %dx%d)", why,
			frame->fourcc, frame->box.width, frame->box.height);
	return !why;
}

static void frame_copy(struct wl_resource *resource, struct wl_resource *buffer_resource,
		       bool with_damage)
{
	struct frame *frame = wl_resource_get_user_data(resource);
	struct wl_shm_buffer *shm;
	struct wlr_buffer *buffer = NULL;
	struct wlr_dmabuf_attributes attribs;
	struct consumer *consumer;

	if (frame->copied) {
		wl_resource_post_error(resource, ZWLR_SCREENCOPY_FRAME_V1_ERROR_ALREADY_USED,
				       "the frame was already copied");
		return;
	}
	/* A frame that failed before its copy (its output went) is inert. */
	if (frame->state != FRAME_CREATED)
		return;
	shm = wl_shm_buffer_get(buffer_resource);
	if (shm) {
		if (!wl_shm_target_valid(frame, shm))
			return;
	} else {
		buffer = wlr_buffer_from_resource(buffer_resource);
		if (!buffer || !wlr_buffer_get_dmabuf(buffer, &attribs)) {
			wl_resource_post_error(resource,
					       ZWLR_SCREENCOPY_FRAME_V1_ERROR_INVALID_BUFFER,
					       "neither a wl_shm nor a linux-dmabuf buffer");
			goto err_unlock;
		}
		if (!dmabuf_target_valid(frame, &attribs))
			goto err_unlock;
		frame->attribs = attribs;
	}
	frame->copied = true;
	consumer = frame->consumer;
	if (!frame->output->enabled ||
	    (with_damage && !consumer_damage_get(consumer, frame->output))) {
		frame_fail(frame);
		goto err_unlock;
	}
	frame->shm = shm;
	frame->dmabuf = buffer;
	frame->with_damage = with_damage;
	frame->state = FRAME_QUEUED;
	frame->buffer_destroy.notify = frame_handle_buffer_destroy;
	wl_resource_add_destroy_listener(buffer_resource, &frame->buffer_destroy);
	wl_list_insert(consumer->queue.prev, &frame->link);
	if (consumer->queue.next == &frame->link)
		frame_start(frame);
	return;

err_unlock:
	if (buffer)
		wlr_buffer_unlock(buffer);
}

static void frame_handle_copy(struct wl_client *client, struct wl_resource *resource,
			      struct wl_resource *buffer)
{
	frame_copy(resource, buffer, false);
}

static void frame_handle_copy_with_damage(struct wl_client *client, struct wl_resource *resource,
					  struct wl_resource *buffer)
{
	frame_copy(resource, buffer, true);
}

static void frame_handle_destroy(struct wl_client *client, struct wl_resource *resource)
{
	wl_resource_destroy(resource);
}

static const struct zwlr_screencopy_frame_v1_interface frame_impl = {
	.copy = frame_handle_copy,
	.destroy = frame_handle_destroy,
	.copy_with_damage = frame_handle_copy_with_damage,
};

static void frame_resource_destroy(struct wl_resource *resource)
{
	struct frame *frame = wl_resource_get_user_data(resource);

	frame_finish(frame);
	consumer_unref(frame->consumer);
	free(frame);
}

/* The shm format to offer for a DRM format (wl_shm codes are fourccs, but for these two). */
static uint32_t shm_format_from_drm(uint32_t format)
{
	if (format == DRM_FORMAT_ARGB8888)
		return WL_SHM_FORMAT_ARGB8888;
	if (format == DRM_FORMAT_XRGB8888)
		return WL_SHM_FORMAT_XRGB8888;
	return format;
}

/* The region in the output's buffer: logical coordinates, transformed, scaled, then clipped. */
static bool capture_box(struct wlr_output *output, const struct wlr_box *region,
			struct wlr_box *box)
{
	struct wlr_box whole = {0, 0, output->width, output->height};
	struct wlr_box scaled;
	int width, height;

	if (!region) {
		*box = whole;
		return true;
	}
	wlr_output_effective_resolution(output, &width, &height);
	wlr_box_transform(&scaled, region, output->transform, width, height);
	scaled.x = (int)(scaled.x * output->scale);
	scaled.y = (int)(scaled.y * output->scale);
	scaled.width = (int)(scaled.width * output->scale);
	scaled.height = (int)(scaled.height * output->scale);
	return wlr_box_intersection(box, &scaled, &whole);
}

static void capture(struct wl_client *client, struct wl_resource *manager_resource, uint32_t id,
		    int32_t overlay_cursor, struct wl_resource *output_resource,
		    const struct wlr_box *region)
{
	struct consumer *consumer = wl_resource_get_user_data(manager_resource);
	struct wlr_output *output = wlr_output_from_resource(output_resource);
	uint32_t version = (uint32_t)wl_resource_get_version(manager_resource);
	struct frame *frame = calloc(1, sizeof(*frame));
	uint32_t read_format;

	if (!frame) {
		wl_resource_post_no_memory(manager_resource);
		return;
	}
	frame->resource =
		wl_resource_create(client, &zwlr_screencopy_frame_v1_interface, (int)version, id);
	if (!frame->resource) {
		free(frame);
		wl_resource_post_no_memory(manager_resource);
		return;
	}
	frame->consumer = consumer;
	consumer->refs++;
	frame->overlay_cursor = overlay_cursor != 0;
	frame->fourcc = DRM_FORMAT_INVALID;
	wl_resource_set_implementation(frame->resource, &frame_impl, frame, frame_resource_destroy);
	if (!output || !output->enabled || !capture_box(output, region, &frame->box))
		goto err_failed;
	read_format = wlr_output_preferred_read_format(output);
	if (read_format == DRM_FORMAT_INVALID) {
		wlr_log(WLR_ERROR, "screencopy: output %s has no format to read pixels in",
			output->name);
		goto err_failed;
	}
	frame->output = output;
	frame->output_enable.notify = frame_handle_output_enable;
	wl_signal_add(&output->events.enable, &frame->output_enable);
	frame->output_destroy.notify = frame_handle_output_destroy;
	wl_signal_add(&output->events.destroy, &frame->output_destroy);
	frame->shm_format = shm_format_from_drm(read_format);
	frame->stride = 4 * (uint32_t)frame->box.width;
	zwlr_screencopy_frame_v1_send_buffer(frame->resource, frame->shm_format,
					     (uint32_t)frame->box.width,
					     (uint32_t)frame->box.height, frame->stride);
	if (version >= 3) {
		/* The CPU copy writes 32 bpp linear dma-bufs, in the output's own format. */
		if (output->render_format == DRM_FORMAT_XRGB8888 ||
		    output->render_format == DRM_FORMAT_ARGB8888) {
			frame->fourcc = output->render_format;
			zwlr_screencopy_frame_v1_send_linux_dmabuf(frame->resource, frame->fourcc,
								   (uint32_t)frame->box.width,
								   (uint32_t)frame->box.height);
		}
		zwlr_screencopy_frame_v1_send_buffer_done(frame->resource);
	}
	return;

err_failed:
	frame->state = FRAME_DONE;
	zwlr_screencopy_frame_v1_send_failed(frame->resource);
}

static void manager_handle_capture_output(struct wl_client *client, struct wl_resource *resource,
					  uint32_t id, int32_t overlay_cursor,
					  struct wl_resource *output)
{
	capture(client, resource, id, overlay_cursor, output, NULL);
}

static void manager_handle_capture_output_region(struct wl_client *client,
						 struct wl_resource *resource, uint32_t id,
						 int32_t overlay_cursor, struct wl_resource *output,
						 int32_t x, int32_t y, int32_t width,
						 int32_t height)
{
	struct wlr_box region = {x, y, width, height};

	capture(client, resource, id, overlay_cursor, output, &region);
}

static void manager_handle_destroy(struct wl_client *client, struct wl_resource *resource)
{
	wl_resource_destroy(resource);
}

static const struct zwlr_screencopy_manager_v1_interface manager_impl = {
	.capture_output = manager_handle_capture_output,
	.capture_output_region = manager_handle_capture_output_region,
	.destroy = manager_handle_destroy,
};

static void manager_resource_destroy(struct wl_resource *resource)
{
	consumer_unref(wl_resource_get_user_data(resource));
}

static void manager_bind(struct wl_client *client, void *data, uint32_t version, uint32_t id)
{
	struct consumer *consumer = calloc(1, sizeof(*consumer));
	struct wl_resource *resource;

	if (!consumer) {
		wl_client_post_no_memory(client);
		return;
	}
	resource =
		wl_resource_create(client, &zwlr_screencopy_manager_v1_interface, (int)version, id);
	if (!resource) {
		free(consumer);
		wl_client_post_no_memory(client);
		return;
	}
	consumer->screencopy = data;
	consumer->refs = 1;
	wl_list_init(&consumer->queue);
	wl_list_init(&consumer->damages);
	wl_resource_set_implementation(resource, &manager_impl, consumer, manager_resource_destroy);
}

static void handle_display_destroy(struct wl_listener *listener, void *data)
{
	struct sb_screencopy_v1 *screencopy =
		wl_container_of(listener, screencopy, display_destroy);

	wl_list_remove(&screencopy->display_destroy.link);
	wl_global_destroy(screencopy->global);
	free(screencopy);
}

bool sb_screencopy_v1_create(struct wl_display *display, struct sb_bounded_sync *sync)
{
	struct sb_screencopy_v1 *screencopy = calloc(1, sizeof(*screencopy));

	if (!screencopy)
		return false;
	screencopy->loop = wl_display_get_event_loop(display);
	/* Without it, dma-buf targets are never written (the copy waits instead of risking it). */
	screencopy->sync = sync;
	screencopy->global = wl_global_create(display, &zwlr_screencopy_manager_v1_interface,
					      SCREENCOPY_VERSION, screencopy, manager_bind);
	if (!screencopy->global) {
		free(screencopy);
		return false;
	}
	screencopy->display_destroy.notify = handle_display_destroy;
	wl_display_add_destroy_listener(display, &screencopy->display_destroy);
	return true;
}
