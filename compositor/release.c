// SPDX-License-Identifier: MIT
#include <stdlib.h>

#include <wlr/render/dmabuf.h>
#include <wlr/types/wlr_buffer.h>
#include <wlr/types/wlr_surface.h>
#include <wlr/util/log.h>

#include <syncbridge/dmabuf.h>
#include <syncbridge/sync_file.h>

#include "commit_gate.h"
#include "release.h"

struct sb_release {
	struct wlr_buffer *buffer;
	struct wl_event_loop *loop;
	struct wl_event_source *idle; /* released, answered at the end of this loop iteration */
	sb_release_func_t func;
	void *data;
	struct wl_listener release;
	struct wl_listener destroy;
};

/* What a writer must wait for now: every fence on the buffer's dma-buf, NULL if none pending. */
static struct sb_sync_file *pending_reads(struct wlr_buffer *buffer)
{
	struct wlr_dmabuf_attributes attribs;
	struct sb_sync_file *merged = NULL;

	if (!wlr_buffer_get_dmabuf(buffer, &attribs))
		return NULL;
	for (int i = 0; i < attribs.n_planes; i++) {
		struct sb_sync_file *fence, *next;

		if (i > 0 && attribs.fd[i] == attribs.fd[i - 1])
			continue;
		/*
		 * One poll first: with no fence pending at all (every read so far synchronous,
		 * the pixman case) there is nothing to hand on, and the export, its check and its
		 * close would sit in every state apply, which is where wlroots drops buffers. The
		 * fds came through linux-dmabuf, which checked them (as the commit gate trusts).
		 */
		if (sb_dmabuf_is_idle(attribs.fd[i], SB_ACCESS_WRITE | SB_ACCESS_CHECKED) == 1)
			continue;
		fence = sb_dmabuf_export_sync_file(attribs.fd[i], SB_ACCESS_WRITE);
		if (!fence)
			continue; /* a kernel without the ioctl: the reads we know of were synchronous */
		if (sb_sync_file_is_signaled(fence) == 1) {
			sb_sync_file_destroy(fence);
			continue;
		}
		if (!merged) {
			merged = fence;
			continue;
		}
		next = sb_sync_file_merge("syncbridge-release", merged, fence);
		sb_sync_file_destroy(fence);
		if (next) {
			sb_sync_file_destroy(merged);
			merged = next;
		}
	}
	return merged;
}

struct sb_sync_file *sb_release_read_fence(struct wlr_buffer *buffer)
{
	return pending_reads(buffer);
}

static void release_fire(struct sb_release *release, bool alive)
{
	struct sb_sync_file *fence = alive ? pending_reads(release->buffer) : NULL;
	sb_release_func_t func = release->func;
	void *data = release->data;

	sb_release_cancel(release);
	func(fence, data);
}

static void release_idle(void *data)
{
	struct sb_release *release = data;

	release->idle = NULL; /* an idle source goes once dispatched */
	release_fire(release, true);
}

/*
 * wlroots drops a buffer while it applies the state that replaced it, i.e. inside the commit
 * gate's apply. The answer (a fence export, a syncobj signal that may wake the client) is not
 * part of presenting the new state: it runs at the end of the same loop iteration, before the
 * events are flushed, so every state that became ready together is applied first and the client
 * hears of the release no later than before.
 */
static void handle_release(struct wl_listener *listener, void *data)
{
	struct sb_release *release = wl_container_of(listener, release, release);

	if (release->idle)
		return;
	if (release->loop)
		release->idle = wl_event_loop_add_idle(release->loop, release_idle, release);
	if (!release->idle)
		release_fire(release, true);
}

static void handle_destroy(struct wl_listener *listener, void *data)
{
	struct sb_release *release = wl_container_of(listener, release, destroy);

	release_fire(release, false);
}

struct sb_release *sb_release_watch(struct wlr_buffer *buffer, struct wl_event_loop *loop,
				    sb_release_func_t func, void *data)
{
	struct sb_release *release = calloc(1, sizeof(*release));

	if (!release)
		return NULL;
	release->buffer = buffer;
	release->loop = loop;
	release->func = func;
	release->data = data;
	release->release.notify = handle_release;
	wl_signal_add(&buffer->events.release, &release->release);
	release->destroy.notify = handle_destroy;
	wl_signal_add(&buffer->events.destroy, &release->destroy);
	return release;
}

void sb_release_cancel(struct sb_release *release)
{
	if (!release)
		return;
	if (release->idle)
		wl_event_source_remove(release->idle);
	wl_list_remove(&release->release.link);
	wl_list_remove(&release->destroy.link);
	free(release);
}

/* The buffers that states the gate is applying replace, until the end of the loop iteration. */
struct replaced_hold {
	struct wl_event_loop *loop;
	struct wl_array buffers; /* struct wlr_buffer *: shown buffers of applied states */
	struct wl_event_source *drop_idle; /* drops them at the end of this loop iteration */
	struct wl_listener wait_end;
	struct wl_listener destroy;
};

static void replaced_hold_drop(void *data)
{
	struct replaced_hold *hold = data;
	struct wl_array buffers = hold->buffers;
	struct wlr_buffer **buffer;

	hold->drop_idle = NULL; /* an idle source goes once dispatched */
	wl_array_init(&hold->buffers);
	wl_array_for_each(buffer, &buffers)
		wlr_buffer_unlock(*buffer);
	wl_array_release(&buffers);
}

/*
 * wlroots 0.15 drops the buffer a state replaces inside the apply (surface_apply_damage()): the
 * old texture is destroyed, the client's buffer released and wl_buffer.release queued, around
 * 40 % of the apply under TCG (tests/bench/README.md). None of it is part of showing the new
 * state. A lock held across the apply moves it to the end of the same loop iteration, before
 * the clients are flushed, so the client hears of the release no later (handle_release() above
 * answers releases the same way). A dma-buf state never reuses the old texture
 * (wlr_client_buffer_apply_damage() is for wl_shm), so the lock costs no upload.
 */
static void replaced_hold_wait_end(struct wl_listener *listener, void *data)
{
	struct replaced_hold *hold = wl_container_of(listener, hold, wait_end);
	const struct sb_gate_wait_event *event = data;
	struct wlr_surface *surface = event->surface;
	struct wlr_buffer **slot;

	if (!surface->buffer)
		return;
	if (!hold->drop_idle)
		hold->drop_idle = wl_event_loop_add_idle(hold->loop, replaced_hold_drop, hold);
	if (!hold->drop_idle)
		return; /* no memory: wlroots drops it in the apply, as it would anyway */
	slot = wl_array_add(&hold->buffers, sizeof(*slot));
	if (slot)
		*slot = wlr_buffer_lock(&surface->buffer->base);
}

static void replaced_hold_destroy(struct wl_listener *listener, void *data)
{
	struct replaced_hold *hold = wl_container_of(listener, hold, destroy);

	if (hold->drop_idle) {
		wl_event_source_remove(hold->drop_idle);
		replaced_hold_drop(hold);
	}
	wl_array_release(&hold->buffers);
	wl_list_remove(&hold->wait_end.link);
	wl_list_remove(&hold->destroy.link);
	free(hold);
}

bool sb_release_hold_replaced(struct sb_commit_gate *gate, struct wl_event_loop *loop)
{
	struct replaced_hold *hold = calloc(1, sizeof(*hold));

	if (!hold) {
		wlr_log(WLR_ERROR, "out of memory");
		return false;
	}
	hold->loop = loop;
	wl_array_init(&hold->buffers);
	hold->wait_end.notify = replaced_hold_wait_end;
	wl_signal_add(&gate->events.wait_end, &hold->wait_end);
	hold->destroy.notify = replaced_hold_destroy;
	wl_signal_add(&gate->events.destroy, &hold->destroy);
	return true;
}
