// SPDX-License-Identifier: MIT
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdlib.h>
#include <unistd.h>

#include <syncbridge/dmabuf.h>
#include <syncbridge/sync_file.h>
#include <syncbridge/syncobj.h>

#include "buffer.h"
#include "client.h"
#include "drm_timeline.h"
#include "fence.h"
#include "frame.h"
#include "linux-explicit-synchronization-unstable-v1-client-protocol.h"
#include "loop.h"
#include "presentation-time-client-protocol.h"
#include "util.h"
#include "window.h"

struct frame *frame_create(struct window *window, uint64_t number, int buffer_index)
{
	struct frame *frame = calloc(1, sizeof(*frame));

	if (!frame) {
		log_errno(SB_ERROR, "calloc");
		return NULL;
	}
	frame->window = window;
	frame->number = number;
	frame->buffer_index = buffer_index;
	frame->release_eventfd = -1;
	return frame;
}

void frame_destroy(struct frame *frame)
{
	if (!frame)
		return;
	if (frame->frame_callback)
		wl_callback_destroy(frame->frame_callback);
	if (frame->later_sync)
		wl_callback_destroy(frame->later_sync);
	if (frame->feedback)
		wp_presentation_feedback_destroy(frame->feedback);
	if (frame->release)
		zwp_linux_buffer_release_v1_destroy(frame->release);
	loop_timer_cancel(frame->acquire_timer);
	loop_timer_cancel(frame->later_timer);
	loop_fd_remove(frame->release_watch);
	if (frame->release_eventfd >= 0)
		close(frame->release_eventfd);
	fence_destroy(frame->acquire);
	fence_destroy(frame->later);
	free(frame);
}

static struct client *frame_client(const struct frame *frame)
{
	return frame->window->client;
}

static struct buffer *frame_buffer(const struct frame *frame)
{
	return frame->window->buffers[frame->buffer_index];
}

static void frame_handle_done(void *data, struct wl_callback *callback, uint32_t time_ms)
{
	struct frame *frame = data;

	frame->frame_done_ns = now_ns();
	wl_callback_destroy(callback);
	frame->frame_callback = NULL;
	log_msg(SB_DEBUG, "surface %d frame %" PRIu64 ": frame done %.3f ms after commit",
		frame->window->index, frame->number,
		(double)(frame->frame_done_ns - frame->commit_ns) / 1e6);
	window_frame_done(frame->window);
	client_check_done(frame_client(frame));
}

static const struct wl_callback_listener frame_callback_listener = {
	.done = frame_handle_done,
};

static void feedback_handle_sync_output(void *data, struct wp_presentation_feedback *feedback,
					struct wl_output *output)
{
}

static void feedback_handle_presented(void *data, struct wp_presentation_feedback *feedback,
				      uint32_t tv_sec_hi, uint32_t tv_sec_lo, uint32_t tv_nsec,
				      uint32_t refresh, uint32_t seq_hi, uint32_t seq_lo,
				      uint32_t flags)
{
	struct frame *frame = data;
	uint64_t ns = ((uint64_t)tv_sec_hi << 32 | tv_sec_lo) * 1000000000u + tv_nsec;

	frame->presented_ns = client_presentation_to_monotonic(frame_client(frame), ns);
	frame->presented_flags = flags;
	frame->refresh_ns = refresh;
	frame->msc = (uint64_t)seq_hi << 32 | seq_lo;
	frame->feedback_state = FEEDBACK_PRESENTED;
	wp_presentation_feedback_destroy(feedback);
	frame->feedback = NULL;
	log_msg(SB_DEBUG,
		"surface %d frame %" PRIu64 ": presented %.3f ms after commit, flags 0x%x",
		frame->window->index, frame->number,
		((double)frame->presented_ns - (double)frame->commit_ns) / 1e6, flags);
	client_check_done(frame_client(frame));
}

static void feedback_handle_discarded(void *data, struct wp_presentation_feedback *feedback)
{
	struct frame *frame = data;

	frame->feedback_state = FEEDBACK_DISCARDED;
	wp_presentation_feedback_destroy(feedback);
	frame->feedback = NULL;
	log_msg(SB_DEBUG, "surface %d frame %" PRIu64 ": discarded", frame->window->index,
		frame->number);
	client_check_done(frame_client(frame));
}

static const struct wp_presentation_feedback_listener feedback_listener = {
	.sync_output = feedback_handle_sync_output,
	.presented = feedback_handle_presented,
	.discarded = feedback_handle_discarded,
};

static void release_handle_fenced(void *data, struct zwp_linux_buffer_release_v1 *release,
				  int32_t fd)
{
	struct frame *frame = data;
	struct sb_sync_file *fence;

	frame->explicit_release_ns = now_ns();
	frame->explicit_release_fenced = true;
	zwp_linux_buffer_release_v1_destroy(release);
	frame->release = NULL;
	/* The buffer may be written again only once this fence has signalled. */
	fence = sb_sync_file_import(fd);
	if (!fence) {
		log_errno(SB_ERROR, "fenced_release of frame %" PRIu64 " carried no sync_file",
			  frame->number);
		client_fail(frame_client(frame), EXIT_FAIL);
		return;
	}
	buffer_set_release_fence(frame_buffer(frame), fence);
	window_kick(frame->window);
}

static void release_handle_immediate(void *data, struct zwp_linux_buffer_release_v1 *release)
{
	struct frame *frame = data;

	frame->explicit_release_ns = now_ns();
	zwp_linux_buffer_release_v1_destroy(release);
	frame->release = NULL;
	buffer_set_release_fence(frame_buffer(frame), NULL);
	window_kick(frame->window);
}

static const struct zwp_linux_buffer_release_v1_listener release_listener = {
	.fenced_release = release_handle_fenced,
	.immediate_release = release_handle_immediate,
};

static void frame_handle_release_point(int fd, short revents, void *data)
{
	struct frame *frame = data;

	frame->syncobj_release_ns = now_ns();
	loop_fd_remove(frame->release_watch);
	frame->release_watch = NULL;
	close(frame->release_eventfd);
	frame->release_eventfd = -1;
	log_msg(SB_DEBUG, "surface %d frame %" PRIu64 ": release point %" PRIu64 " signalled",
		frame->window->index, frame->number, frame->release_point);
	/* linux-drm-syncobj-v1: once the release point signalled, the buffer may be reused. */
	buffer_set_release_fence(frame_buffer(frame), NULL);
	window_kick(frame->window);
}

/* DRM_IOCTL_SYNCOBJ_EVENTFD: the eventfd becomes readable when the release point signals. */
static int frame_watch_release_point(struct frame *frame)
{
	struct window *window = frame->window;

	frame->release_eventfd =
		sb_syncobj_eventfd(window->release_points->syncobj, frame->release_point, false);
	if (frame->release_eventfd < 0) {
		log_errno(SB_ERROR,
			  "DRM_IOCTL_SYNCOBJ_EVENTFD on release point %" PRIu64
			  " (needs Linux 6.6)",
			  frame->release_point);
		return -1;
	}
	frame->release_watch = loop_add_fd(window->client->loop, frame->release_eventfd, POLLIN,
					   frame_handle_release_point, frame);
	return frame->release_watch ? 0 : -1;
}

int frame_request_events(struct frame *frame)
{
	struct window *window = frame->window;
	struct client *client = window->client;

	frame->frame_callback = wl_surface_frame(window->surface);
	wl_callback_add_listener(frame->frame_callback, &frame_callback_listener, frame);
	if (client->presentation) {
		frame->feedback = wp_presentation_feedback(client->presentation, window->surface);
		wp_presentation_feedback_add_listener(frame->feedback, &feedback_listener, frame);
		frame->feedback_state = FEEDBACK_PENDING;
	}
	if (window->sync) {
		frame->release = zwp_linux_surface_synchronization_v1_get_release(window->sync);
		zwp_linux_buffer_release_v1_add_listener(frame->release, &release_listener, frame);
		if (client->opts->misbehave == MISBEHAVE_DUPLICATE_RELEASE) {
			/* linux-explicit-synchronization-unstable-v1: duplicate_release. */
			struct zwp_linux_buffer_release_v1 *second =
				zwp_linux_surface_synchronization_v1_get_release(window->sync);
			zwp_linux_buffer_release_v1_destroy(second);
		}
	}
	if (frame->release_point)
		return frame_watch_release_point(frame);
	return 0;
}

static void frame_signal_acquire(void *data)
{
	struct frame *frame = data;

	frame->acquire_timer = NULL;
	/* Taken before the ioctl: waiters may run before it returns. */
	frame->acquire_signal_ns = now_ns();
	if (frame->acquire ? fence_signal(frame->acquire) < 0
			   : sb_syncobj_signal_point(frame->window->points->syncobj,
						     frame->acquire_point) < 0) {
		log_errno(SB_ERROR, "signalling the acquire point of frame %" PRIu64,
			  frame->number);
		client_fail(frame_client(frame), EXIT_FAIL);
		return;
	}
	log_msg(SB_DEBUG,
		"surface %d frame %" PRIu64 ": acquire fence signalled %.3f ms after commit",
		frame->window->index, frame->number,
		(double)(frame->acquire_signal_ns - frame->commit_ns) / 1e6);
	client_check_done(frame_client(frame));
}

static void frame_signal_later(void *data)
{
	struct frame *frame = data;

	frame->later_timer = NULL;
	frame->later_signal_ns = now_ns();
	if (fence_signal(frame->later) < 0) {
		client_fail(frame_client(frame), EXIT_FAIL);
		return;
	}
	log_msg(SB_DEBUG, "surface %d frame %" PRIu64 ": later fence signalled",
		frame->window->index, frame->number);
	client_check_done(frame_client(frame));
}

/* A write fence added to the dma-buf after the compositor has taken the commit. */
static int frame_import_later(struct frame *frame)
{
	struct client *client = frame_client(frame);
	struct buffer *buffer = frame_buffer(frame);
	struct sb_sync_file *sync_file = NULL;

	if (client->opts->fence == FENCE_VGEM) {
		frame->later = fence_create_vgem(allocator_get_vgem(client->allocator),
						 buffer->storage.vgem_handle);
		return frame->later ? 0 : -1;
	}
	frame->later = fence_create_sw_sync(frame->window->later_timeline, &sync_file);
	if (!frame->later)
		return -1;
	if (sb_dmabuf_import_sync_file(buffer->storage.fd, sync_file, SB_ACCESS_WRITE) < 0) {
		log_errno(SB_ERROR, "DMA_BUF_IOCTL_IMPORT_SYNC_FILE(WRITE) of the later fence%s",
			  errno == ENOTTY ? " (needs Linux 6.0)" : "");
		sb_sync_file_destroy(sync_file);
		return -1;
	}
	sb_sync_file_destroy(sync_file);
	return 0;
}

static void frame_handle_later_sync(void *data, struct wl_callback *callback, uint32_t serial)
{
	struct frame *frame = data;
	struct client *client = frame_client(frame);

	wl_callback_destroy(callback);
	frame->later_sync = NULL;
	if (frame_import_later(frame) < 0) {
		client_fail(client, exit_code_for_errno(errno));
		return;
	}
	frame->later_import_ns = now_ns();
	log_msg(SB_DEBUG, "surface %d frame %" PRIu64 ": later fence imported %.3f ms after commit",
		frame->window->index, frame->number,
		(double)(frame->later_import_ns - frame->commit_ns) / 1e6);
	if (frame->later_never)
		return;
	frame->later_timer =
		loop_add_timer(client->loop, frame->later_deadline_ns, frame_signal_later, frame);
	if (!frame->later_timer)
		client_fail(client, EXIT_FAIL);
}

static const struct wl_callback_listener later_sync_listener = {
	.done = frame_handle_later_sync,
};

void frame_committed(struct frame *frame)
{
	struct client *client = frame_client(frame);
	const struct options *opts = client->opts;

	/* --syncobj-late: the point itself is signalled, it had no fence until then. */
	bool late = frame->acquire_point && opts->syncobj_late && opts->fence_delay.set;

	if ((frame->acquire || late) && !opts->fence_delay.never) {
		frame->acquire_timer =
			loop_add_timer(client->loop, frame->commit_ns + opts->fence_delay.ns,
				       frame_signal_acquire, frame);
		if (!frame->acquire_timer) {
			client_fail(client, EXIT_FAIL);
			return;
		}
	}
	frame->acquire_never = (frame->acquire || late) && opts->fence_delay.never;
	if (opts->later_fence_delay.set) {
		/*
		 * Requests are processed in order: when this sync is done, the compositor has
		 * handled the commit, so the fence is later than any snapshot taken at commit.
		 */
		frame->later_never = opts->later_fence_delay.never;
		frame->later_deadline_ns = frame->commit_ns + opts->later_fence_delay.ns;
		frame->later_sync = wl_display_sync(client->display);
		wl_callback_add_listener(frame->later_sync, &later_sync_listener, frame);
	}
}

bool frame_settled(const struct frame *frame)
{
	return !frame->frame_callback && !frame->feedback && !frame->later_sync &&
	       !frame->acquire_timer && !frame->later_timer;
}
