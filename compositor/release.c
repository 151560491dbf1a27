// SPDX-License-Identifier: MIT
#include <stdlib.h>

#include <wlr/render/dmabuf.h>
#include <wlr/types/wlr_buffer.h>
#include <wlr/util/log.h>

#include <syncbridge/dmabuf.h>
#include <syncbridge/sync_file.h>

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
