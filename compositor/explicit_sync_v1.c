// SPDX-License-Identifier: MIT
/*
 * zwp_linux_explicit_synchronization_v1, version 2: a client hands the compositor an acquire
 * sync_file per commit and asks, per commit, when the compositor is done with the buffer
 * (zwp_linux_buffer_release_v1). The commit gate waits for the acquire fence; this file keeps
 * the double-buffered state, enforces the XML's errors and answers every release object.
 */
#include <stdlib.h>
#include <unistd.h>

#include <wlr/render/dmabuf.h>
#include <wlr/types/wlr_buffer.h>
#include <wlr/types/wlr_surface.h>
#include <wlr/util/addon.h>
#include <wlr/util/log.h>

#include <syncbridge/sync_file.h>
#include <syncbridge/waiter.h>

#include "commit_gate.h"
#include "explicit_sync_v1.h"
#include "linux-explicit-synchronization-unstable-v1-protocol.h"
#include "release.h"
#include "trace.h"

#define EXPLICIT_SYNC_VERSION 2

struct sb_explicit_sync_v1 {
	struct wl_global *global;
	struct sb_commit_gate *gate;
	struct sb_gate_source source;
	struct wl_list surfaces; /* sync_surface.link */
	struct wl_list deferred; /* sync_release.link: answered when scanout lets go */
	/*
	 * sync_release.link, oldest first: replaced commits, answered at the end of the loop
	 * iteration that replaced them (see release_finish_reads).
	 */
	struct wl_list queue;
	struct wl_event_loop *loop;
	struct wl_event_source *idle;
};

/*
 * The explicit-sync state of one wl_surface, attached to the wlr_surface so that it lives as
 * long as the surface does, not as long as the synchronization object: releases of committed
 * buffers outlive zwp_linux_surface_synchronization_v1.destroy (XML: "not affected").
 */
struct sync_surface {
	struct sb_explicit_sync_v1 *server;
	struct wlr_surface *surface;
	struct wl_resource
		*resource; /* zwp_linux_surface_synchronization_v1, NULL once destroyed */
	struct sb_sync_file *pending_fence;
	struct sync_release *pending_release;
	/* Commits that attached a buffer and have not been applied yet, oldest first. */
	struct wl_list commits; /* sync_commit.link */
	/* The release of the buffer on screen now: answered when a later buffer replaces it. */
	struct sync_release *current;
	struct wlr_addon addon;
	struct wl_listener commit;
	struct wl_list link;
};

/* A zwp_linux_buffer_release_v1: exactly one event, then the object is gone (XML). */
struct sync_release {
	struct wl_resource *resource; /* NULL if the client destroyed it (disconnect) */
	struct wlr_buffer *buffer;    /* locked from commit until answered; NULL before commit */
	struct sb_trace *trace;	      /* --trace: the surface's track from commit on, else NULL */
	uint64_t track;
	uint32_t seq; /* the commit it belongs to */
	/*
	 * What wlroots showed for this commit (the surface's wlr_client_buffer), while it exists.
	 * When the commit is replaced, anyone still holding it (the DRM backend until the flip
	 * away, an export-dmabuf consumer) still reads the buffer: the answer waits for them.
	 */
	struct wlr_buffer *shown;
	struct wl_listener shown_release;
	struct wl_listener shown_destroy;
	struct wl_list link; /* sb_explicit_sync_v1.queue or .deferred while waiting, else empty */
};

/* A commit that attached a buffer (or NULL), with its release object if it asked for one. */
struct sync_commit {
	uint32_t seq;
	struct sync_release *release;
	struct wl_list link;
};

static void release_handle_resource_destroy(struct wl_resource *resource)
{
	struct sync_release *release = wl_resource_get_user_data(resource);

	if (release)
		release->resource = NULL;
}

static void release_forget_shown(struct sync_release *release)
{
	if (!release->shown)
		return;
	wl_list_remove(&release->shown_release.link);
	wl_list_remove(&release->shown_destroy.link);
	release->shown = NULL;
}

/* Sends the one event the object gets (fenced if fence is not NULL), then frees everything. */
static void release_answer(struct sync_release *release, struct sb_sync_file *fence)
{
	if (release->resource) {
		/* The event marshals a duplicate of the fd: ours is closed below. */
		if (fence)
			zwp_linux_buffer_release_v1_send_fenced_release(release->resource,
									sb_sync_file_get_fd(fence));
		else
			zwp_linux_buffer_release_v1_send_immediate_release(release->resource);
		sb_trace_instant(release->trace, release->track,
				 fence ? "fenced_release" : "immediate_release", "\"commit\":%u",
				 release->seq);
		wl_resource_set_user_data(release->resource, NULL);
		/* XML: the event destroys the zwp_linux_buffer_release_v1 object. */
		wl_resource_destroy(release->resource);
	}
	sb_sync_file_destroy(fence);
	if (release->buffer)
		wlr_buffer_unlock(release->buffer);
	release_forget_shown(release);
	wl_list_remove(&release->link);
	free(release);
}

/*
 * The compositor is done with this commit's buffer: the fence is what its readers (a GPU
 * renderer, scanout, a consumer the buffer was handed to implicitly) still hold on the dma-buf.
 */
static void release_answer_reads(struct sync_release *release)
{
	struct sb_sync_file *fence =
		release->buffer ? sb_release_read_fence(release->buffer) : NULL;

	wlr_log(WLR_DEBUG, "buffer %p: %s release", (void *)release->buffer,
		fence ? "fenced" : "immediate");
	release_answer(release, fence);
}

static void release_handle_shown_release(struct wl_listener *listener, void *data)
{
	struct sync_release *release = wl_container_of(listener, release, shown_release);

	wlr_log(WLR_DEBUG, "buffer %p: no longer scanned out", (void *)release->buffer);
	release_answer_reads(release);
}

static void release_handle_shown_destroy(struct wl_listener *listener, void *data)
{
	struct sync_release *release = wl_container_of(listener, release, shown_destroy);

	release_forget_shown(release);
	/* Queued or deferred: nothing holds the buffer any more. */
	if (!wl_list_empty(&release->link))
		release_answer_reads(release);
}

/* The commit became the surface's current state, shown through wlroots' buffer shown. */
static void release_watch_shown(struct sync_release *release, struct wlr_buffer *shown)
{
	if (!shown)
		return;
	release->shown = shown;
	release->shown_release.notify = release_handle_shown_release;
	wl_list_init(&release->shown_release.link);
	release->shown_destroy.notify = release_handle_shown_destroy;
	wl_signal_add(&shown->events.destroy, &release->shown_destroy);
}

/*
 * A replaced commit, at the end of the loop iteration. The surface has let its buffer go; a lock
 * still held on it is a reader that the replacement does not stop: scanout keeps the buffer on
 * screen until the flip to the next one completes (wlroots' DRM backend unlocks it then). An
 * immediate_release now would tell the client to write a buffer being scanned out: the answer
 * waits for that unlock.
 */
static void release_settle(struct sb_explicit_sync_v1 *server, struct sync_release *release)
{
	wl_list_remove(&release->link);
	wl_list_init(&release->link);
	if (release->shown && release->shown->n_locks > 0) {
		wlr_log(WLR_DEBUG, "buffer %p: still held (scanout), release deferred",
			(void *)release->buffer);
		wl_signal_add(&release->shown->events.release, &release->shown_release);
		wl_list_insert(&server->deferred, &release->link);
		return;
	}
	release_answer_reads(release);
}

/* Every queued release, in the order the commits were replaced. */
static void release_flush_queue(struct sb_explicit_sync_v1 *server)
{
	while (!wl_list_empty(&server->queue)) {
		struct sync_release *release = wl_container_of(server->queue.next, release, link);

		release_settle(server, release);
	}
}

static void release_idle(void *data)
{
	struct sb_explicit_sync_v1 *server = data;

	server->idle = NULL; /* an idle source goes once dispatched */
	release_flush_queue(server);
}

/*
 * The commit was replaced, inside the state apply that replaced it (the commit gate's, timed by
 * the benchmarks). The answer (the export of the readers' fences, the event) is not part of
 * showing the new state: it runs at the end of the same loop iteration, before the events are
 * flushed, as release.c does for wl_buffer.release: the client hears of it no later.
 */
static void release_finish_reads(struct sb_explicit_sync_v1 *server, struct sync_release *release)
{
	wl_list_remove(&release->link);
	wl_list_insert(server->queue.prev, &release->link);
	if (!server->idle)
		server->idle = wl_event_loop_add_idle(server->loop, release_idle, server);
	if (!server->idle)
		release_flush_queue(server);
}

static void sync_commit_destroy(struct sync_commit *commit)
{
	wl_list_remove(&commit->link);
	free(commit);
}

static void sync_surface_destroy(struct sync_surface *ss)
{
	struct sync_commit *commit, *tmp;

	/* XML: exactly one event per release object, also when the surface goes away. */
	if (ss->current)
		release_finish_reads(ss->server, ss->current);
	/* In order: what this surface replaced before is answered before its unapplied commits. */
	release_flush_queue(ss->server);
	wl_list_for_each_safe(commit, tmp, &ss->commits, link) {
		/* Never applied: the compositor did not touch the buffer for this commit. */
		if (commit->release)
			release_answer(commit->release, NULL);
		sync_commit_destroy(commit);
	}
	if (ss->pending_release)
		release_answer(ss->pending_release, NULL);
	sb_sync_file_destroy(ss->pending_fence);
	if (ss->resource)
		wl_resource_set_user_data(ss->resource, NULL);
	wl_list_remove(&ss->commit.link);
	wlr_addon_finish(&ss->addon);
	wl_list_remove(&ss->link);
	free(ss);
}

static void sync_surface_addon_destroy(struct wlr_addon *addon)
{
	struct sync_surface *ss = wl_container_of(addon, ss, addon);

	sync_surface_destroy(ss);
}

static const struct wlr_addon_interface sync_surface_addon_impl = {
	.name = "syncbridge_explicit_sync_v1",
	.destroy = sync_surface_addon_destroy,
};

static struct sync_surface *sync_surface_find(struct sb_explicit_sync_v1 *server,
					      struct wlr_surface *surface)
{
	struct wlr_addon *addon =
		wlr_addon_find(&surface->addons, server, &sync_surface_addon_impl);
	struct sync_surface *ss;

	return addon ? wl_container_of(addon, ss, addon) : NULL;
}

/*
 * wlr_surface.events.commit: a state was applied (at once or after the gate released it). Its
 * buffer replaces the previous one, whose commit is then finished with.
 */
static void sync_surface_handle_commit(struct wl_listener *listener, void *data)
{
	struct sync_surface *ss = wl_container_of(listener, ss, commit);
	uint32_t seq = ss->surface->current.seq;
	struct sync_commit *commit, *tmp;

	wl_list_for_each_safe(commit, tmp, &ss->commits, link) {
		/* Cached states apply in order: every commit up to this one has been applied. */
		if ((int32_t)(commit->seq - seq) > 0)
			break;
		if (ss->current)
			release_finish_reads(ss->server, ss->current);
		ss->current = commit->release;
		/* Only the last commit applied is shown; an earlier one's buffer never was. */
		if (ss->current && commit->seq == seq)
			release_watch_shown(ss->current, ss->surface->buffer
								 ? &ss->surface->buffer->base
								 : NULL);
		sync_commit_destroy(commit);
	}
}

static struct sync_surface *sync_surface_create(struct sb_explicit_sync_v1 *server,
						struct wlr_surface *surface)
{
	struct sync_surface *ss = calloc(1, sizeof(*ss));

	if (!ss)
		return NULL;
	ss->server = server;
	ss->surface = surface;
	wl_list_init(&ss->commits);
	wlr_addon_init(&ss->addon, &surface->addons, server, &sync_surface_addon_impl);
	ss->commit.notify = sync_surface_handle_commit;
	wl_signal_add(&surface->events.commit, &ss->commit);
	wl_list_insert(&server->surfaces, &ss->link);
	return ss;
}

static void surface_sync_handle_destroy(struct wl_client *client, struct wl_resource *resource)
{
	wl_resource_destroy(resource);
}

static void surface_sync_handle_resource_destroy(struct wl_resource *resource)
{
	struct sync_surface *ss = wl_resource_get_user_data(resource);

	if (!ss)
		return;
	/* XML: a fence set since the last commit is discarded; the release object is not. */
	sb_sync_file_destroy(ss->pending_fence);
	ss->pending_fence = NULL;
	ss->resource = NULL;
}

static void surface_sync_handle_set_acquire_fence(struct wl_client *client,
						  struct wl_resource *resource, int32_t fd)
{
	struct sync_surface *ss = wl_resource_get_user_data(resource);
	struct sb_sync_file *fence;

	if (!ss) {
		close(fd);
		wl_resource_post_error(resource,
				       ZWP_LINUX_SURFACE_SYNCHRONIZATION_V1_ERROR_NO_SURFACE,
				       "the wl_surface was destroyed");
		return;
	}
	if (ss->pending_fence) {
		close(fd);
		wl_resource_post_error(resource,
				       ZWP_LINUX_SURFACE_SYNCHRONIZATION_V1_ERROR_DUPLICATE_FENCE,
				       "an acquire fence was already set for this commit");
		return;
	}
	/* Takes fd; EINVAL: an open file that is not a sync_file. */
	fence = sb_sync_file_import(fd);
	if (!fence) {
		wl_resource_post_error(resource,
				       ZWP_LINUX_SURFACE_SYNCHRONIZATION_V1_ERROR_INVALID_FENCE,
				       "the acquire fence is not a sync_file");
		return;
	}
	ss->pending_fence = fence;
}

static void surface_sync_handle_get_release(struct wl_client *client, struct wl_resource *resource,
					    uint32_t id)
{
	struct sync_surface *ss = wl_resource_get_user_data(resource);
	struct sync_release *release;

	if (!ss) {
		wl_resource_post_error(resource,
				       ZWP_LINUX_SURFACE_SYNCHRONIZATION_V1_ERROR_NO_SURFACE,
				       "the wl_surface was destroyed");
		return;
	}
	if (ss->pending_release) {
		wl_resource_post_error(resource,
				       ZWP_LINUX_SURFACE_SYNCHRONIZATION_V1_ERROR_DUPLICATE_RELEASE,
				       "a release object was already requested for this commit");
		return;
	}
	release = calloc(1, sizeof(*release));
	if (!release) {
		wl_client_post_no_memory(client);
		return;
	}
	wl_list_init(&release->link);
	release->resource =
		wl_resource_create(client, &zwp_linux_buffer_release_v1_interface, 1, id);
	if (!release->resource) {
		free(release);
		wl_client_post_no_memory(client);
		return;
	}
	/* No requests: the object ends with its one event. */
	wl_resource_set_implementation(release->resource, NULL, release,
				       release_handle_resource_destroy);
	ss->pending_release = release;
}

static const struct zwp_linux_surface_synchronization_v1_interface surface_sync_impl = {
	.destroy = surface_sync_handle_destroy,
	.set_acquire_fence = surface_sync_handle_set_acquire_fence,
	.get_release = surface_sync_handle_get_release,
};

/* sb_gate_source: validates the commit's explicit state and hands its fence to the gate. */
static bool explicit_sync_interested(struct sb_gate_source *source, struct wlr_surface *surface)
{
	struct sb_explicit_sync_v1 *server = wl_container_of(source, server, source);

	return sync_surface_find(server, surface) != NULL;
}

static int explicit_sync_commit(struct sb_gate_source *source, struct wlr_surface *surface,
				struct sb_waiter *waiter)
{
	struct sb_explicit_sync_v1 *server = wl_container_of(source, server, source);
	struct sync_surface *ss = sync_surface_find(server, surface);
	bool attached = surface->pending.committed & WLR_SURFACE_STATE_BUFFER;
	struct wlr_buffer *buffer = attached ? surface->pending.buffer : NULL;
	struct wlr_dmabuf_attributes attribs;
	struct sync_commit *commit;
	struct sb_sync_file *fence;

	if (!ss)
		return 0;
	if ((ss->pending_fence || ss->pending_release) && !buffer) {
		/* Without the synchronization object there is no one to post the error on. */
		if (!ss->resource) {
			release_answer(ss->pending_release, NULL);
			ss->pending_release = NULL;
			return 0;
		}
		wl_resource_post_error(ss->resource,
				       ZWP_LINUX_SURFACE_SYNCHRONIZATION_V1_ERROR_NO_BUFFER,
				       "no buffer attached for this commit's %s",
				       ss->pending_fence ? "acquire fence" : "release");
		return -1;
	}
	/* Only dma-bufs carry fences here (a wl_shm buffer is copied at once). */
	if (ss->pending_fence && !wlr_buffer_get_dmabuf(buffer, &attribs)) {
		wl_resource_post_error(
			ss->resource, ZWP_LINUX_SURFACE_SYNCHRONIZATION_V1_ERROR_UNSUPPORTED_BUFFER,
			"an acquire fence needs a linux-dmabuf buffer");
		return -1;
	}
	if (attached) {
		commit = calloc(1, sizeof(*commit));
		if (!commit) {
			wl_client_post_no_memory(wl_resource_get_client(surface->resource));
			return -1;
		}
		/* The seq wlr_surface_lock_pending() gives this state: see handle_commit. */
		commit->seq = surface->pending.seq;
		commit->release = ss->pending_release;
		if (commit->release) {
			commit->release->buffer = wlr_buffer_lock(buffer);
			commit->release->seq = commit->seq;
			commit->release->trace =
				sb_trace_surface_find(surface, &commit->release->track);
		}
		ss->pending_release = NULL;
		wl_list_insert(ss->commits.prev, &commit->link);
	}
	fence = ss->pending_fence;
	ss->pending_fence = NULL;
	if (!fence)
		return 0;
	wlr_log(WLR_DEBUG, "surface %p: commit %u waits for an explicit acquire fence",
		(void *)surface, surface->pending.seq);
	/*
	 * Takes the fence, on failure too. Applying without it would show the buffer before the
	 * fence: the gate refuses the commit instead.
	 */
	if (sb_waiter_add_sync_file(waiter, fence) < 0) {
		wlr_log_errno(WLR_ERROR, "surface %p: cannot wait for the acquire fence",
			      (void *)surface);
		return -2;
	}
	return 1;
}

static void explicit_sync_handle_destroy(struct wl_client *client, struct wl_resource *resource)
{
	/* XML: the synchronization objects it made are not affected. */
	wl_resource_destroy(resource);
}

static void explicit_sync_handle_get_synchronization(struct wl_client *client,
						     struct wl_resource *resource, uint32_t id,
						     struct wl_resource *surface_resource)
{
	struct sb_explicit_sync_v1 *server = wl_resource_get_user_data(resource);
	struct wlr_surface *surface = wlr_surface_from_resource(surface_resource);
	struct sync_surface *ss = sync_surface_find(server, surface);
	struct wl_resource *sync_resource;

	if (ss && ss->resource) {
		wl_resource_post_error(
			resource,
			ZWP_LINUX_EXPLICIT_SYNCHRONIZATION_V1_ERROR_SYNCHRONIZATION_EXISTS,
			"the wl_surface already has a synchronization object");
		return;
	}
	sync_resource = wl_resource_create(client, &zwp_linux_surface_synchronization_v1_interface,
					   wl_resource_get_version(resource), id);
	if (!sync_resource) {
		wl_client_post_no_memory(client);
		return;
	}
	if (!ss)
		ss = sync_surface_create(server, surface);
	if (!ss) {
		wl_resource_destroy(sync_resource);
		wl_client_post_no_memory(client);
		return;
	}
	ss->resource = sync_resource;
	wl_resource_set_implementation(sync_resource, &surface_sync_impl, ss,
				       surface_sync_handle_resource_destroy);
}

static const struct zwp_linux_explicit_synchronization_v1_interface explicit_sync_impl = {
	.destroy = explicit_sync_handle_destroy,
	.get_synchronization = explicit_sync_handle_get_synchronization,
};

static void explicit_sync_bind(struct wl_client *client, void *data, uint32_t version, uint32_t id)
{
	struct sb_explicit_sync_v1 *server = data;
	struct wl_resource *resource = wl_resource_create(
		client, &zwp_linux_explicit_synchronization_v1_interface, (int)version, id);
	pid_t pid;

	if (!resource) {
		wl_client_post_no_memory(client);
		return;
	}
	wl_resource_set_implementation(resource, &explicit_sync_impl, server, NULL);
	wl_client_get_credentials(client, &pid, NULL, NULL);
	wlr_log(WLR_INFO, "client pid %d bound zwp_linux_explicit_synchronization_v1 version %u",
		(int)pid, version);
}

struct sb_explicit_sync_v1 *sb_explicit_sync_v1_create(struct wl_display *display,
						       struct sb_commit_gate *gate)
{
	struct sb_explicit_sync_v1 *server = calloc(1, sizeof(*server));

	if (!server)
		return NULL;
	server->global = wl_global_create(display, &zwp_linux_explicit_synchronization_v1_interface,
					  EXPLICIT_SYNC_VERSION, server, explicit_sync_bind);
	if (!server->global) {
		wlr_log(WLR_ERROR,
			"cannot create the zwp_linux_explicit_synchronization_v1 global");
		free(server);
		return NULL;
	}
	server->gate = gate;
	wl_list_init(&server->surfaces);
	wl_list_init(&server->deferred);
	wl_list_init(&server->queue);
	server->loop = wl_display_get_event_loop(display);
	server->source.commit = explicit_sync_commit;
	server->source.interested = explicit_sync_interested;
	commit_gate_add_source(gate, &server->source);
	return server;
}

void sb_explicit_sync_v1_destroy(struct sb_explicit_sync_v1 *server)
{
	struct sync_surface *ss, *tmp;
	struct sync_release *release, *next;

	if (!server)
		return;
	commit_gate_remove_source(&server->source);
	wl_list_for_each_safe(ss, tmp, &server->surfaces, link)
		sync_surface_destroy(ss);
	if (server->idle)
		wl_event_source_remove(server->idle);
	release_flush_queue(server);
	/* The compositor is going: nothing will scan these out any more. */
	wl_list_for_each_safe(release, next, &server->deferred, link)
		release_answer_reads(release);
	wl_global_destroy(server->global);
	free(server);
}
