// SPDX-License-Identifier: MIT
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include <syncbridge/dmabuf.h>
#include <syncbridge/sync_file.h>
#include <syncbridge/syncobj.h>

#include "allocator.h"
#include "buffer.h"
#include "client.h"
#include "drm_timeline.h"
#include "fence.h"
#include "frame.h"
#include "linux-drm-syncobj-v1-client-protocol.h"
#include "linux-explicit-synchronization-unstable-v1-client-protocol.h"
#include "loop.h"
#include "timeline.h"
#include "util.h"
#include "window.h"
#include "xdg-shell-client-protocol.h"

static void window_tick(void *data);

static void window_start_ticks(struct window *window)
{
	window->next_tick_ns = now_ns();
	window->rate_timer =
		loop_add_timer(window->client->loop, window->next_tick_ns, window_tick, window);
	if (!window->rate_timer)
		client_fail(window->client, EXIT_FAIL);
}

void window_start(struct window *window)
{
	if (window->started)
		return;
	window->started = true;
	if (window->client->opts->rate_hz > 0) {
		window_start_ticks(window);
	} else {
		window->want_frame = true;
		window_kick(window);
	}
}

static void xdg_surface_handle_configure(void *data, struct xdg_surface *xdg_surface,
					 uint32_t serial)
{
	struct window *window = data;
	struct client *client = window->client;

	xdg_surface_ack_configure(xdg_surface, serial);
	if (!window->configured) {
		window->configured = true;
		log_msg(SB_DEBUG, "surface %d configured", window->index);
		/* --fullscreen: the buffers are made at the configure's size, then it starts. */
		if (window->n_buffers)
			window_start(window);
		return;
	}
	/* The ack is applied by the next commit: make one if no frame will follow. */
	if (window->done_committing || client->stopping)
		wl_surface_commit(window->surface);
}

static const struct xdg_surface_listener xdg_surface_listener = {
	.configure = xdg_surface_handle_configure,
};

static void toplevel_handle_configure(void *data, struct xdg_toplevel *toplevel, int32_t width,
				      int32_t height, struct wl_array *states)
{
	struct window *window = data;

	/* The buffer size is --size whatever the compositor suggests, but for --fullscreen. */
	log_msg(SB_DEBUG, "surface %d: toplevel configure %dx%d", window->index, width, height);
	window->configure_width = width;
	window->configure_height = height;
}

static void toplevel_handle_close(void *data, struct xdg_toplevel *toplevel)
{
	struct window *window = data;

	client_stop(window->client, "the compositor closed a window");
}

static const struct xdg_toplevel_listener toplevel_listener = {
	.configure = toplevel_handle_configure,
	.close = toplevel_handle_close,
};

struct window *window_create(struct client *client, int index, int *exit_code)
{
	const struct options *opts = client->opts;
	struct window *window = calloc(1, sizeof(*window));
	char title[256];

	if (!window) {
		*exit_code = EXIT_FAIL;
		return NULL;
	}
	window->client = client;
	window->index = index;
	wl_list_init(&window->link);
	*exit_code = EXIT_OK;

	if (opts->fence_delay.set && opts->fence == FENCE_SW_SYNC) {
		window->acquire_timeline = timeline_create();
		if (!window->acquire_timeline)
			goto err;
	}
	/* A timeline of its own: later fences signal out of order with the acquire fences. */
	if (opts->later_fence_delay.set && opts->fence == FENCE_SW_SYNC) {
		window->later_timeline = timeline_create();
		if (!window->later_timeline)
			goto err;
	}

	window->surface = wl_compositor_create_surface(client->compositor);
	window->xdg_surface = xdg_wm_base_get_xdg_surface(client->wm_base, window->surface);
	xdg_surface_add_listener(window->xdg_surface, &xdg_surface_listener, window);
	window->toplevel = xdg_surface_get_toplevel(window->xdg_surface);
	xdg_toplevel_add_listener(window->toplevel, &toplevel_listener, window);
	if (opts->surfaces > 1)
		snprintf(title, sizeof(title), "%s %d", opts->title ? opts->title : "sb-client",
			 index);
	else
		snprintf(title, sizeof(title), "%s", opts->title ? opts->title : "sb-client");
	xdg_toplevel_set_title(window->toplevel, title);
	xdg_toplevel_set_app_id(window->toplevel, "sb-client");
	/* xdg-shell: asked before the initial commit, it is answered by the first configure. */
	if (opts->fullscreen)
		xdg_toplevel_set_fullscreen(window->toplevel, NULL);
	if (opts->explicit_sync)
		window->sync = zwp_linux_explicit_synchronization_v1_get_synchronization(
			client->explicit_sync, window->surface);
	if (opts->syncobj) {
		window->points =
			drm_timeline_create(client->syncobj_drm_fd, client->syncobj_manager);
		window->release_points =
			drm_timeline_create(client->syncobj_drm_fd, client->syncobj_manager);
		if (!window->points || !window->release_points)
			goto err;
		window->syncobj = wp_linux_drm_syncobj_manager_v1_get_surface(
			client->syncobj_manager, window->surface);
	}

	if (!opts->fullscreen && (*exit_code = window_create_buffers(window)) != EXIT_OK)
		goto err_code;
	return window;

err:
	*exit_code = exit_code_for_errno(errno);
err_code:
	window_destroy(window);
	return NULL;
}

int window_create_buffers(struct window *window)
{
	const struct options *opts = window->client->opts;
	struct buffer *buffer;
	int code = EXIT_OK;

	for (int i = window->n_buffers; i < opts->buffers; i++) {
		buffer = buffer_create(window, i, &code);
		if (!buffer)
			return code;
		window->buffers[i] = buffer;
		window->n_buffers++;
		/* Tests find a buffer's dma-buf in this process by it (pidfd_getfd). */
		if (buffer->storage.dmabuf)
			log_msg(SB_DEBUG, "surface %d buffer %d: %ux%u dma-buf fd %d",
				window->index, i, opts->width, opts->height, buffer->storage.fd);
	}
	return EXIT_OK;
}

void window_destroy(struct window *window)
{
	if (!window)
		return;
	loop_timer_cancel(window->rate_timer);
	for (size_t i = 0; i < window->n_frames; i++)
		frame_destroy(window->frames[i]);
	free(window->frames);
	for (int i = 0; i < window->n_buffers; i++)
		buffer_destroy(window->buffers[i]);
	if (window->sync)
		zwp_linux_surface_synchronization_v1_destroy(window->sync);
	if (window->syncobj)
		wp_linux_drm_syncobj_surface_v1_destroy(window->syncobj);
	drm_timeline_destroy(window->release_points);
	drm_timeline_destroy(window->points);
	if (window->toplevel)
		xdg_toplevel_destroy(window->toplevel);
	if (window->xdg_surface)
		xdg_surface_destroy(window->xdg_surface);
	if (window->surface)
		wl_surface_destroy(window->surface);
	/* After the frames: closing a timeline signals its pending fences (-ENOENT). */
	timeline_destroy(window->acquire_timeline);
	timeline_destroy(window->later_timeline);
	wl_list_remove(&window->link);
	free(window);
}

int window_check_buffers(struct window *window)
{
	for (int i = 0; i < window->n_buffers; i++) {
		int code = buffer_check_created(window->buffers[i]);
		if (code != EXIT_OK)
			return code;
	}
	return EXIT_OK;
}

static void window_damage_all(struct window *window)
{
	if (window->client->compositor_version >= WL_SURFACE_DAMAGE_BUFFER_SINCE_VERSION)
		wl_surface_damage_buffer(window->surface, 0, 0, INT32_MAX, INT32_MAX);
	else
		wl_surface_damage(window->surface, 0, 0, INT32_MAX, INT32_MAX);
}

void window_map(struct window *window)
{
	/* xdg-shell: the first commit carries no buffer; the configure it brings allows one. */
	if (window->client->opts->misbehave == MISBEHAVE_UNCONFIGURED_BUFFER) {
		/* xdg_surface.error.unconfigured_buffer */
		wl_surface_attach(window->surface, window->buffers[0]->wl_buffer, 0, 0);
		window_damage_all(window);
	}
	wl_surface_commit(window->surface);
}

/* set_acquire_fence with something that is not a sync_file. */
static void window_send_invalid_fence(struct window *window)
{
	int fd = memfd_create("sb-client-not-a-fence", MFD_CLOEXEC);

	if (fd < 0) {
		log_errno(SB_ERROR, "memfd_create");
		return;
	}
	zwp_linux_surface_synchronization_v1_set_acquire_fence(window->sync, fd);
	close(fd);
}

/*
 * --syncobj: the frame's acquire and release points. Without --fence-delay the acquire point is
 * signalled before the commit; with it, a sw_sync fence becomes the point's fence now (the
 * compositor must wait for it to signal, not just to exist), or with --syncobj-late the point
 * stays without a fence until the timer signals it. Returns an enum exit_code.
 */
static int window_set_points(struct window *window, struct frame *frame)
{
	const struct options *opts = window->client->opts;
	struct sb_syncobj *syncobj = window->points->syncobj;
	struct sb_sync_file *sync_file;
	int ret = 0;

	frame->acquire_point = frame->number + 1;
	frame->release_point = frame->number + 1;
	if (!opts->fence_delay.set || frame->number < opts->fence_from) {
		frame->acquire_signal_ns = now_ns();
		ret = sb_syncobj_signal_point(syncobj, frame->acquire_point);
	} else if (!opts->syncobj_late) {
		frame->acquire = fence_create_sw_sync(window->acquire_timeline, &sync_file);
		if (!frame->acquire)
			return exit_code_for_errno(errno);
		ret = sb_syncobj_import_point(syncobj, frame->acquire_point, sync_file);
		sb_sync_file_destroy(sync_file);
	}
	if (ret < 0) {
		log_errno(SB_ERROR, "acquire point %llu", (unsigned long long)frame->acquire_point);
		return exit_code_for_errno(errno);
	}
	wp_linux_drm_syncobj_surface_v1_set_acquire_point(window->syncobj, window->points->proxy,
							  (uint32_t)(frame->acquire_point >> 32),
							  (uint32_t)frame->acquire_point);
	wp_linux_drm_syncobj_surface_v1_set_release_point(
		window->syncobj, window->release_points->proxy,
		(uint32_t)(frame->release_point >> 32), (uint32_t)frame->release_point);
	return EXIT_OK;
}

/* The frame's acquire fence, given before the commit. Returns an enum exit_code. */
static int window_set_acquire(struct window *window, struct frame *frame, struct buffer *buffer)
{
	const struct options *opts = window->client->opts;
	struct sb_sync_file *sync_file;
	int code = EXIT_OK;

	if (window->syncobj)
		return window_set_points(window, frame);
	if (opts->misbehave == MISBEHAVE_INVALID_FENCE)
		window_send_invalid_fence(window);
	if (!opts->fence_delay.set || frame->number < opts->fence_from)
		return EXIT_OK;
	if (opts->fence == FENCE_VGEM) {
		frame->acquire = fence_create_vgem(allocator_get_vgem(window->client->allocator),
						   buffer->storage.vgem_handle);
		return frame->acquire ? EXIT_OK : exit_code_for_errno(errno);
	}
	frame->acquire = fence_create_sw_sync(window->acquire_timeline, &sync_file);
	if (!frame->acquire)
		return exit_code_for_errno(errno);
	if (window->sync) {
		/* libwayland sends a duplicate: the sync_file stays ours to close. */
		zwp_linux_surface_synchronization_v1_set_acquire_fence(
			window->sync, sb_sync_file_get_fd(sync_file));
		if (opts->misbehave == MISBEHAVE_DUPLICATE_FENCE)
			zwp_linux_surface_synchronization_v1_set_acquire_fence(
				window->sync, sb_sync_file_get_fd(sync_file));
	} else if (sb_dmabuf_import_sync_file(buffer->storage.fd, sync_file, SB_ACCESS_WRITE) < 0) {
		/* Implicit sync: the compositor finds the fence in the dma-buf's dma_resv. */
		log_errno(SB_ERROR, "DMA_BUF_IOCTL_IMPORT_SYNC_FILE(WRITE) of the acquire fence%s",
			  errno == ENOTTY ? " (needs Linux 6.0)" : "");
		code = exit_code_for_errno(errno);
	}
	sb_sync_file_destroy(sync_file);
	return code;
}

static int window_add_frame(struct window *window, struct frame *frame)
{
	struct frame **frames;

	if (window->n_frames == window->frames_capacity) {
		size_t capacity = window->frames_capacity ? window->frames_capacity * 2 : 256;
		frames = realloc(window->frames, capacity * sizeof(*frames));
		if (!frames) {
			log_errno(SB_ERROR, "realloc");
			return -1;
		}
		window->frames = frames;
		window->frames_capacity = capacity;
	}
	window->frames[window->n_frames++] = frame;
	return 0;
}

static void window_draw(struct window *window, struct buffer *buffer)
{
	struct client *client = window->client;
	const struct options *opts = client->opts;
	struct frame *frame;
	int code;

	frame = frame_create(window, window->n_frames, buffer->index);
	if (!frame || window_add_frame(window, frame) < 0) {
		frame_destroy(frame);
		client_fail(client, EXIT_FAIL);
		return;
	}
	if (opts->color_from_set)
		client->options.color =
			frame->number >= opts->color_from_frame ? opts->color_from : client->color;
	if (buffer_paint(buffer, frame->number) < 0) {
		client_fail(client, EXIT_FAIL);
		return;
	}
	code = window_set_acquire(window, frame, buffer);
	if (code != EXIT_OK) {
		client_fail(client, code);
		return;
	}
	wl_surface_attach(window->surface, buffer->wl_buffer, 0, 0);
	window_damage_all(window);
	if (frame_request_events(frame) < 0) {
		client_fail(client, EXIT_FAIL);
		return;
	}
	wl_surface_commit(window->surface);
	/* Taken before the flush: a compositor may answer before wl_display_flush returns. */
	frame->commit_ns = now_ns();
	wl_display_flush(client->display);
	buffer_attached(buffer, frame);
	window->next_buffer = (buffer->index + 1) % window->n_buffers;
	log_msg(SB_DEBUG, "surface %d frame %" PRIu64 ": committed buffer %d", window->index,
		frame->number, buffer->index);
	frame_committed(frame);
	if (opts->frames && window->n_frames >= opts->frames) {
		window_stop(window);
		window->done_committing = true;
		client_check_done(client);
	}
}

static struct buffer *window_find_ready_buffer(struct window *window)
{
	/* Round robin, so that every buffer gets used when the compositor releases quickly. */
	for (int i = 0; i < window->n_buffers; i++) {
		struct buffer *buffer =
			window->buffers[(window->next_buffer + i) % window->n_buffers];
		if (buffer_ready(buffer))
			return buffer;
	}
	return NULL;
}

void window_kick(struct window *window)
{
	struct client *client = window->client;
	struct buffer *buffer;

	if (!window->configured || !window->want_frame || window->done_committing ||
	    client->stopping || client->done)
		return;
	buffer = window_find_ready_buffer(window);
	if (!buffer)
		return;
	window->want_frame = false;
	window_draw(window, buffer);
}

void window_frame_done(struct window *window)
{
	if (window->client->opts->rate_hz > 0)
		return;
	window->want_frame = true;
	window_kick(window);
}

static void window_tick(void *data)
{
	struct window *window = data;
	struct client *client = window->client;
	uint64_t period = (uint64_t)(1e9 / client->opts->rate_hz);
	uint64_t now = now_ns();

	window->rate_timer = NULL;
	window->want_frame = true;
	window_kick(window);
	if (window->want_frame) {
		/* --rate commits on ticks only: a tick with no buffer ready is skipped. */
		window->want_frame = false;
		window->skipped_ticks++;
		log_msg(SB_DEBUG, "surface %d: no buffer ready at a tick", window->index);
	}
	if (window->done_committing || client->stopping || client->done)
		return;
	window->next_tick_ns += period;
	if (window->next_tick_ns <= now) {
		uint64_t missed = (now - window->next_tick_ns) / period + 1;
		window->skipped_ticks += missed;
		window->next_tick_ns += missed * period;
	}
	window->rate_timer =
		loop_add_timer(client->loop, window->next_tick_ns, window_tick, window);
	if (!window->rate_timer)
		client_fail(client, EXIT_FAIL);
}

void window_stop(struct window *window)
{
	loop_timer_cancel(window->rate_timer);
	window->rate_timer = NULL;
	window->want_frame = false;
}

bool window_settled(const struct window *window)
{
	for (size_t i = 0; i < window->n_frames; i++) {
		if (!frame_settled(window->frames[i]))
			return false;
	}
	return true;
}
