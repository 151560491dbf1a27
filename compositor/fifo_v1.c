// SPDX-License-Identifier: MIT
/*
 * wp_fifo_manager_v1 / wp_fifo_v1: a content update that asked wait_barrier is a condition the
 * commit gate holds it on (sb_gate_condition) until the surface's barrier, set when an earlier
 * update with set_barrier applied, is cleared by the refresh of an output the surface is on.
 */
#include <stdlib.h>

#include <wlr/backend.h>
#include <wlr/types/wlr_compositor.h>
#include <wlr/types/wlr_output.h>
#include <wlr/types/wlr_surface.h>
#include <wlr/util/addon.h>
#include <wlr/util/log.h>

#include "commit_gate.h"
#include "fifo-v1-protocol.h"
#include "fifo_v1.h"

#define MANAGER_VERSION 1

/*
 * A barrier on a surface that is on no output is cleared at this rate (60 Hz): fifo-v1 lets the
 * compositor clear it early for the client's progress, and a fixed rate keeps a hidden client
 * throttled as a shown one would be, rather than spinning.
 */
#define HIDDEN_CLEAR_NS 16666667ull
/*
 * A surface on outputs that produce no frame (disabled, powered off, a stalled flip) gets its
 * barrier cleared after this long (10 Hz) for the same reason.
 */
#define STALLED_CLEAR_NS 100000000ull

struct sb_fifo_v1 {
	struct wl_global *global;
	struct wl_event_loop *loop;
	struct sb_commit_gate *gate;
	struct sb_gate_condition condition;
	struct wl_listener new_output;
	struct wl_list outputs;	 /* fifo_output.link */
	struct wl_list barriers; /* fifo_surface.barrier_link: surfaces whose barrier is set */
};

/* An output whose refreshes clear the barriers of the surfaces on it. */
struct fifo_output {
	struct sb_fifo_v1 *fifo;
	struct wlr_output *output;
	struct wl_listener frame;
	struct wl_listener destroy;
	struct wl_list link;
};

/* What one commit asked. */
struct fifo_commit {
	uint32_t seq;
	bool set_barrier, wait_barrier;
};

/*
 * The fifo state of one wl_surface: an addon, so it lives as long as the surface (fifo-v1: the
 * object's destruction leaves the state its requests made).
 */
struct fifo_surface {
	struct sb_fifo_v1 *fifo;
	struct wlr_surface *surface;
	struct wl_resource *resource; /* the wp_fifo_v1, NULL if none now */
	struct wlr_addon addon;
	struct wl_listener surface_commit;
	bool pending_set, pending_wait; /* double-buffered: taken at wl_surface.commit */
	struct wl_array commits;	/* struct fifo_commit: committed, not applied yet */
	bool barrier;
	struct wl_list barrier_link; /* sb_fifo_v1.barriers while barrier */
	struct wl_event_source *fallback;
};

static const struct wp_fifo_manager_v1_interface manager_impl;
static const struct wp_fifo_v1_interface fifo_impl;

/* Sequence numbers wrap: a is at or before b. */
static bool seq_before_eq(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) <= 0;
}

static void barrier_clear(struct fifo_surface *fs)
{
	if (!fs->barrier)
		return;
	fs->barrier = false;
	wl_list_remove(&fs->barrier_link);
	wl_list_init(&fs->barrier_link);
	wl_event_source_timer_update(fs->fallback, 0);
}

static int fallback_fired(void *data)
{
	struct fifo_surface *fs = data;

	wlr_log(WLR_DEBUG, "surface %p: fifo barrier cleared without a refresh (%s)",
		(void *)fs->surface,
		wl_list_empty(&fs->surface->current_outputs) ? "on no output" : "no frame");
	barrier_clear(fs);
	commit_gate_conditions_changed(fs->fifo->gate, fs->surface);
	return 0;
}

/* The surface's outputs' next frames clear the barrier; the fallback timer if they do not come. */
static void barrier_set(struct fifo_surface *fs)
{
	struct wlr_surface_output *so;
	uint64_t after = HIDDEN_CLEAR_NS;

	if (!fs->barrier) {
		fs->barrier = true;
		wl_list_insert(fs->fifo->barriers.prev, &fs->barrier_link);
	}
	wl_list_for_each(so, &fs->surface->current_outputs, link) {
		after = STALLED_CLEAR_NS;
		/* An idle output makes no frame until asked: the barrier needs one. */
		wlr_output_schedule_frame(so->output);
	}
	if (fs->fallback)
		wl_event_source_timer_update(fs->fallback, (int)((after + 999999) / 1000000));
}

static struct fifo_commit *commits_array(struct fifo_surface *fs, size_t *n)
{
	*n = fs->commits.size / sizeof(struct fifo_commit);
	return fs->commits.data;
}

static struct fifo_commit *commit_find(struct fifo_surface *fs, uint32_t seq)
{
	size_t n;
	struct fifo_commit *commits = commits_array(fs, &n);

	for (size_t i = 0; i < n; i++)
		if (commits[i].seq == seq)
			return &commits[i];
	return NULL;
}

/* wlr_surface.events.commit: the state of current.seq (and all before it) applied. */
static void handle_surface_commit(struct wl_listener *listener, void *data)
{
	struct fifo_surface *fs = wl_container_of(listener, fs, surface_commit);
	size_t n, kept = 0;
	struct fifo_commit *commits = commits_array(fs, &n);
	bool set = false;

	for (size_t i = 0; i < n; i++) {
		if (seq_before_eq(commits[i].seq, fs->surface->current.seq))
			set |= commits[i].set_barrier;
		else
			commits[kept++] = commits[i];
	}
	fs->commits.size = kept * sizeof(struct fifo_commit);
	/* fifo-v1, set_barrier: the barrier is set when the update carrying it is applied. */
	if (set)
		barrier_set(fs);
}

static void fifo_surface_addon_destroy(struct wlr_addon *addon)
{
	struct fifo_surface *fs = wl_container_of(addon, fs, addon);

	if (fs->resource)
		wl_resource_set_user_data(fs->resource, NULL);
	barrier_clear(fs);
	if (fs->fallback)
		wl_event_source_remove(fs->fallback);
	wl_list_remove(&fs->surface_commit.link);
	wl_array_release(&fs->commits);
	wlr_addon_finish(&fs->addon);
	free(fs);
}

static const struct wlr_addon_interface fifo_surface_addon_impl = {
	.name = "wp_fifo_v1",
	.destroy = fifo_surface_addon_destroy,
};

static struct fifo_surface *fifo_surface_find(struct sb_fifo_v1 *fifo, struct wlr_surface *surface)
{
	struct wlr_addon *addon = wlr_addon_find(&surface->addons, fifo, &fifo_surface_addon_impl);
	struct fifo_surface *fs;

	return addon ? wl_container_of(addon, fs, addon) : NULL;
}

static struct fifo_surface *fifo_surface_create(struct sb_fifo_v1 *fifo,
						struct wlr_surface *surface)
{
	struct fifo_surface *fs = calloc(1, sizeof(*fs));

	if (!fs)
		return NULL;
	fs->fallback = wl_event_loop_add_timer(fifo->loop, fallback_fired, fs);
	if (!fs->fallback) {
		free(fs);
		return NULL;
	}
	fs->fifo = fifo;
	fs->surface = surface;
	wl_array_init(&fs->commits);
	wl_list_init(&fs->barrier_link);
	fs->surface_commit.notify = handle_surface_commit;
	wl_signal_add(&surface->events.commit, &fs->surface_commit);
	wlr_addon_init(&fs->addon, &surface->addons, fifo, &fifo_surface_addon_impl);
	return fs;
}

/* The resource's surface state; NULL once the surface is gone. */
static struct fifo_surface *fifo_from_resource(struct wl_resource *resource)
{
	return wl_resource_get_user_data(resource);
}

static struct fifo_surface *fifo_request_surface(struct wl_resource *resource, const char *request)
{
	struct fifo_surface *fs = fifo_from_resource(resource);

	if (!fs)
		wl_resource_post_error(resource, WP_FIFO_V1_ERROR_SURFACE_DESTROYED,
				       "%s: the wl_surface of wp_fifo_v1@%u is destroyed", request,
				       wl_resource_get_id(resource));
	return fs;
}

static void fifo_handle_set_barrier(struct wl_client *client, struct wl_resource *resource)
{
	struct fifo_surface *fs = fifo_request_surface(resource, "set_barrier");

	if (fs)
		fs->pending_set = true;
}

static void fifo_handle_wait_barrier(struct wl_client *client, struct wl_resource *resource)
{
	struct fifo_surface *fs = fifo_request_surface(resource, "wait_barrier");

	if (fs)
		fs->pending_wait = true;
}

static void fifo_handle_destroy(struct wl_client *client, struct wl_resource *resource)
{
	wl_resource_destroy(resource);
}

static const struct wp_fifo_v1_interface fifo_impl = {
	.set_barrier = fifo_handle_set_barrier,
	.wait_barrier = fifo_handle_wait_barrier,
	.destroy = fifo_handle_destroy,
};

static void fifo_resource_destroy(struct wl_resource *resource)
{
	struct fifo_surface *fs = fifo_from_resource(resource);

	/* fifo-v1, destroy: the surface state stays, with what is pending for the next commit. */
	if (fs)
		fs->resource = NULL;
}

static struct sb_fifo_v1 *manager_from_resource(struct wl_resource *resource)
{
	return wl_resource_get_user_data(resource);
}

static void manager_handle_destroy(struct wl_client *client, struct wl_resource *resource)
{
	wl_resource_destroy(resource);
}

static void manager_handle_get_fifo(struct wl_client *client, struct wl_resource *resource,
				    uint32_t id, struct wl_resource *surface_resource)
{
	struct sb_fifo_v1 *fifo = manager_from_resource(resource);
	struct wlr_surface *surface = wlr_surface_from_resource(surface_resource);
	struct fifo_surface *fs = fifo_surface_find(fifo, surface);
	struct wl_resource *fifo_resource;

	if (fs && fs->resource) {
		wl_resource_post_error(resource, WP_FIFO_MANAGER_V1_ERROR_ALREADY_EXISTS,
				       "wl_surface@%u already has a wp_fifo_v1",
				       wl_resource_get_id(surface_resource));
		return;
	}
	fifo_resource = wl_resource_create(client, &wp_fifo_v1_interface,
					   wl_resource_get_version(resource), id);
	if (!fifo_resource) {
		wl_client_post_no_memory(client);
		return;
	}
	if (!fs)
		fs = fifo_surface_create(fifo, surface);
	if (!fs) {
		wl_resource_destroy(fifo_resource);
		wl_client_post_no_memory(client);
		return;
	}
	fs->resource = fifo_resource;
	wl_resource_set_implementation(fifo_resource, &fifo_impl, fs, fifo_resource_destroy);
}

static const struct wp_fifo_manager_v1_interface manager_impl = {
	.destroy = manager_handle_destroy,
	.get_fifo = manager_handle_get_fifo,
};

static void manager_bind(struct wl_client *client, void *data, uint32_t version, uint32_t id)
{
	struct wl_resource *resource =
		wl_resource_create(client, &wp_fifo_manager_v1_interface, (int)version, id);

	if (!resource) {
		wl_client_post_no_memory(client);
		return;
	}
	wl_resource_set_implementation(resource, &manager_impl, data, NULL);
}

/* sb_gate_condition.commit: takes the pending requests into the commit. */
static int fifo_condition_commit(struct sb_gate_condition *condition, struct wlr_surface *surface,
				 uint32_t seq)
{
	struct sb_fifo_v1 *fifo = wl_container_of(condition, fifo, condition);
	struct fifo_surface *fs = fifo_surface_find(fifo, surface);
	struct fifo_commit *commit;

	if (!fs || (!fs->pending_set && !fs->pending_wait))
		return 0;
	commit = wl_array_add(&fs->commits, sizeof(*commit));
	if (!commit) {
		wl_client_post_no_memory(wl_resource_get_client(surface->resource));
		return -1;
	}
	*commit = (struct fifo_commit){seq, fs->pending_set, fs->pending_wait};
	fs->pending_set = fs->pending_wait = false;
	return commit->wait_barrier ? 1 : 0;
}

/* sb_gate_condition.ready: every earlier commit has applied. */
static bool fifo_condition_ready(struct sb_gate_condition *condition, struct wlr_surface *surface,
				 uint32_t seq)
{
	struct sb_fifo_v1 *fifo = wl_container_of(condition, fifo, condition);
	struct fifo_surface *fs = fifo_surface_find(fifo, surface);
	struct fifo_commit *commit = fs ? commit_find(fs, seq) : NULL;

	if (!commit || !commit->wait_barrier || !fs->barrier)
		return true;
	/*
	 * fifo-v1: a synchronized subsurface's barrier is cleared by its parent's commit, which is
	 * also the only thing that applies its updates: there is nothing to wait for.
	 */
	return commit_gate_surface_is_synchronized(surface);
}

/* A refresh of output: the latching deadline after which the barriers of its surfaces clear. */
static void output_handle_frame(struct wl_listener *listener, void *data)
{
	struct fifo_output *fo = wl_container_of(listener, fo, frame);
	struct sb_fifo_v1 *fifo = fo->fifo;
	struct fifo_surface *fs, *tmp;
	struct wl_list cleared;

	/*
	 * Cleared ones go to a list of their own first: applying the commits they held can set
	 * new barriers, which must wait for the next refresh.
	 */
	wl_list_init(&cleared);
	wl_list_for_each_safe(fs, tmp, &fifo->barriers, barrier_link) {
		struct wlr_surface_output *so;

		wl_list_for_each(so, &fs->surface->current_outputs, link) {
			if (so->output != fo->output)
				continue;
			fs->barrier = false;
			wl_event_source_timer_update(fs->fallback, 0);
			wl_list_remove(&fs->barrier_link);
			wl_list_insert(&cleared, &fs->barrier_link);
			break;
		}
	}
	while (!wl_list_empty(&cleared)) {
		fs = wl_container_of(cleared.next, fs, barrier_link);
		wl_list_remove(&fs->barrier_link);
		wl_list_init(&fs->barrier_link);
		commit_gate_conditions_changed(fifo->gate, fs->surface);
	}
}

static void fifo_output_destroy(struct fifo_output *fo)
{
	wl_list_remove(&fo->frame.link);
	wl_list_remove(&fo->destroy.link);
	wl_list_remove(&fo->link);
	free(fo);
}

static void output_handle_destroy(struct wl_listener *listener, void *data)
{
	struct fifo_output *fo = wl_container_of(listener, fo, destroy);

	fifo_output_destroy(fo);
}

static void handle_new_output(struct wl_listener *listener, void *data)
{
	struct sb_fifo_v1 *fifo = wl_container_of(listener, fifo, new_output);
	struct wlr_output *output = data;
	struct fifo_output *fo = calloc(1, sizeof(*fo));

	if (!fo) {
		wlr_log(WLR_ERROR, "output %s: out of memory: fifo barriers on it clear at %d Hz",
			output->name, (int)(1000000000ull / STALLED_CLEAR_NS));
		return;
	}
	fo->fifo = fifo;
	fo->output = output;
	/* Added after the compositor's own frame listener: it runs after the frame is latched. */
	fo->frame.notify = output_handle_frame;
	wl_signal_add(&output->events.frame, &fo->frame);
	fo->destroy.notify = output_handle_destroy;
	wl_signal_add(&output->events.destroy, &fo->destroy);
	wl_list_insert(&fifo->outputs, &fo->link);
}

struct sb_fifo_v1 *sb_fifo_v1_create(struct wl_display *display, struct wlr_backend *backend,
				     struct sb_commit_gate *gate)
{
	struct sb_fifo_v1 *fifo = calloc(1, sizeof(*fifo));

	if (!fifo)
		return NULL;
	fifo->global = wl_global_create(display, &wp_fifo_manager_v1_interface, MANAGER_VERSION,
					fifo, manager_bind);
	if (!fifo->global) {
		free(fifo);
		return NULL;
	}
	fifo->loop = wl_display_get_event_loop(display);
	fifo->gate = gate;
	wl_list_init(&fifo->outputs);
	wl_list_init(&fifo->barriers);
	fifo->condition.commit = fifo_condition_commit;
	fifo->condition.ready = fifo_condition_ready;
	commit_gate_add_condition(gate, &fifo->condition);
	fifo->new_output.notify = handle_new_output;
	wl_signal_add(&backend->events.new_output, &fifo->new_output);
	wlr_log(WLR_INFO, "wp_fifo_manager_v1: barriers cleared by output frames, %d Hz off-screen",
		(int)((1000000000ull + HIDDEN_CLEAR_NS / 2) / HIDDEN_CLEAR_NS));
	return fifo;
}

void sb_fifo_v1_destroy(struct sb_fifo_v1 *fifo)
{
	struct fifo_output *fo, *tmp;

	if (!fifo)
		return;
	wl_list_for_each_safe(fo, tmp, &fifo->outputs, link)
		fifo_output_destroy(fo);
	wl_list_remove(&fifo->new_output.link);
	commit_gate_remove_condition(&fifo->condition);
	wl_global_destroy(fifo->global);
	free(fifo);
}
