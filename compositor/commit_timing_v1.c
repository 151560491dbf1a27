// SPDX-License-Identifier: MIT
/*
 * wp_commit_timing_manager_v1 / wp_commit_timer_v1: a content update's target time is a condition
 * the commit gate holds it on (sb_gate_condition). On an output whose present events follow its
 * vblanks (DRM: PRESENT_VSYNC), the update is applied once the next vblank is the first at or
 * after its target: it is then presented at that vblank if the frame is rendered in time, later
 * otherwise, never earlier. Elsewhere (headless, where a frame is presented when it is rendered)
 * it is applied when the presentation clock reaches the target. tests/bench/run-timing-bench.sh
 * measures how far after.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <wlr/backend.h>
#include <wlr/types/wlr_compositor.h>
#include <wlr/types/wlr_output.h>
#include <wlr/types/wlr_surface.h>
#include <wlr/util/addon.h>
#include <wlr/util/log.h>

#include "commit-timing-v1-protocol.h"
#include "commit_gate.h"
#include "commit_timing_v1.h"

#define MANAGER_VERSION 1
#define NSEC_PER_SEC 1000000000ull
/*
 * A predicted vblank must be this far past the target to be taken as at or after it: vkms and
 * real hardware stamp vblanks within microseconds of the grid, never this far off.
 */
#define VBLANK_MARGIN_NS 500000ull
/* The timer wakes this long after the vblank before the one chosen, once that has passed. */
#define WAKE_AFTER_VBLANK_NS 300000ull

struct sb_commit_timing_v1 {
	struct wl_global *global;
	struct wl_event_loop *loop;
	struct sb_commit_gate *gate;
	struct sb_gate_condition condition;
	clockid_t clock;
	struct wl_listener new_output;
	struct wl_list outputs; /* timing_output.link */
};

/* The vblank grid of an output, from its present events. */
struct timing_output {
	struct wlr_output *output;
	uint64_t vblank_ns;  /* the last presented vblank, 0 if none yet */
	uint64_t refresh_ns; /* 0: no grid (no VSYNC present, or no refresh given) */
	struct wl_listener present;
	struct wl_listener destroy;
	struct wl_list link;
};

/* A commit with a target time. */
struct timed_commit {
	uint32_t seq;
	uint64_t target_ns;
};

/*
 * The timing state of one wl_surface: an addon, so that it lives as long as the surface
 * (commit-timing-v1: the timer's destruction leaves the times already given).
 */
struct timer_surface {
	struct sb_commit_timing_v1 *timing;
	struct wlr_surface *surface;
	struct wl_resource *resource; /* the wp_commit_timer_v1, NULL if none now */
	struct wlr_addon addon;
	struct wl_listener surface_commit;
	bool pending_set; /* double-buffered: taken at wl_surface.commit */
	uint64_t pending_ns;
	struct wl_array commits; /* struct timed_commit: committed, not applied yet */
	int timer_fd;		 /* wakes the gate at the held commit's time; -1 until needed */
	struct wl_event_source *timer_source;
};

static const struct wp_commit_timing_manager_v1_interface manager_impl;
static const struct wp_commit_timer_v1_interface timer_impl;

static bool seq_before_eq(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) <= 0;
}

static uint64_t clock_now_ns(clockid_t clock)
{
	struct timespec now;

	clock_gettime(clock, &now);
	return (uint64_t)now.tv_sec * NSEC_PER_SEC + (uint64_t)now.tv_nsec;
}

static struct timed_commit *commits_array(struct timer_surface *ts, size_t *n)
{
	*n = ts->commits.size / sizeof(struct timed_commit);
	return ts->commits.data;
}

static struct timed_commit *commit_find(struct timer_surface *ts, uint32_t seq)
{
	size_t n;
	struct timed_commit *commits = commits_array(ts, &n);

	for (size_t i = 0; i < n; i++)
		if (commits[i].seq == seq)
			return &commits[i];
	return NULL;
}

/* wlr_surface.events.commit: the state of current.seq (and all before it) applied. */
static void handle_surface_commit(struct wl_listener *listener, void *data)
{
	struct timer_surface *ts = wl_container_of(listener, ts, surface_commit);
	size_t n, kept = 0;
	struct timed_commit *commits = commits_array(ts, &n);

	for (size_t i = 0; i < n; i++)
		if (!seq_before_eq(commits[i].seq, ts->surface->current.seq))
			commits[kept++] = commits[i];
	ts->commits.size = kept * sizeof(struct timed_commit);
}

static int timer_fired(int fd, uint32_t mask, void *data)
{
	struct timer_surface *ts = data;
	uint64_t expirations;

	if (read(fd, &expirations, sizeof(expirations)) < 0 && errno != EAGAIN)
		wlr_log_errno(WLR_ERROR, "surface %p: commit timer", (void *)ts->surface);
	commit_gate_conditions_changed(ts->timing->gate, ts->surface);
	return 0;
}

/* Wakes the gate at target_ns, on the presentation clock. */
static bool timer_arm(struct timer_surface *ts, uint64_t target_ns)
{
	struct itimerspec spec = {
		.it_value = {(time_t)(target_ns / NSEC_PER_SEC), (long)(target_ns % NSEC_PER_SEC)},
	};

	if (ts->timer_fd < 0) {
		ts->timer_fd = timerfd_create(ts->timing->clock, TFD_CLOEXEC | TFD_NONBLOCK);
		if (ts->timer_fd < 0)
			return false;
		ts->timer_source = wl_event_loop_add_fd(ts->timing->loop, ts->timer_fd,
							WL_EVENT_READABLE, timer_fired, ts);
		if (!ts->timer_source) {
			close(ts->timer_fd);
			ts->timer_fd = -1;
			return false;
		}
	}
	return timerfd_settime(ts->timer_fd, TFD_TIMER_ABSTIME, &spec, NULL) == 0;
}

static void timer_surface_addon_destroy(struct wlr_addon *addon)
{
	struct timer_surface *ts = wl_container_of(addon, ts, addon);

	if (ts->resource)
		wl_resource_set_user_data(ts->resource, NULL);
	if (ts->timer_source)
		wl_event_source_remove(ts->timer_source);
	if (ts->timer_fd >= 0)
		close(ts->timer_fd);
	wl_list_remove(&ts->surface_commit.link);
	wl_array_release(&ts->commits);
	wlr_addon_finish(&ts->addon);
	free(ts);
}

static const struct wlr_addon_interface timer_surface_addon_impl = {
	.name = "wp_commit_timer_v1",
	.destroy = timer_surface_addon_destroy,
};

static struct timer_surface *timer_surface_find(struct sb_commit_timing_v1 *timing,
						struct wlr_surface *surface)
{
	struct wlr_addon *addon =
		wlr_addon_find(&surface->addons, timing, &timer_surface_addon_impl);
	struct timer_surface *ts;

	return addon ? wl_container_of(addon, ts, addon) : NULL;
}

static struct timer_surface *timer_surface_create(struct sb_commit_timing_v1 *timing,
						  struct wlr_surface *surface)
{
	struct timer_surface *ts = calloc(1, sizeof(*ts));

	if (!ts)
		return NULL;
	ts->timing = timing;
	ts->surface = surface;
	ts->timer_fd = -1;
	wl_array_init(&ts->commits);
	ts->surface_commit.notify = handle_surface_commit;
	wl_signal_add(&surface->events.commit, &ts->surface_commit);
	wlr_addon_init(&ts->addon, &surface->addons, timing, &timer_surface_addon_impl);
	return ts;
}

static void timer_handle_set_timestamp(struct wl_client *client, struct wl_resource *resource,
				       uint32_t tv_sec_hi, uint32_t tv_sec_lo, uint32_t tv_nsec)
{
	struct timer_surface *ts = wl_resource_get_user_data(resource);
	uint64_t sec = (uint64_t)tv_sec_hi << 32 | tv_sec_lo;

	if (!ts) {
		wl_resource_post_error(resource, WP_COMMIT_TIMER_V1_ERROR_SURFACE_DESTROYED,
				       "the wl_surface of wp_commit_timer_v1@%u is destroyed",
				       wl_resource_get_id(resource));
		return;
	}
	if (tv_nsec >= NSEC_PER_SEC) {
		wl_resource_post_error(resource, WP_COMMIT_TIMER_V1_ERROR_INVALID_TIMESTAMP,
				       "tv_nsec %u is not below 1000000000", tv_nsec);
		return;
	}
	if (ts->pending_set) {
		wl_resource_post_error(resource, WP_COMMIT_TIMER_V1_ERROR_TIMESTAMP_EXISTS,
				       "wl_surface@%u: the next commit already has a time",
				       wl_resource_get_id(ts->surface->resource));
		return;
	}
	ts->pending_set = true;
	/* Past what 64-bit nanoseconds hold: never, as far as this compositor will run. */
	ts->pending_ns =
		sec >= UINT64_MAX / NSEC_PER_SEC ? UINT64_MAX : sec * NSEC_PER_SEC + tv_nsec;
}

static void timer_handle_destroy(struct wl_client *client, struct wl_resource *resource)
{
	wl_resource_destroy(resource);
}

static const struct wp_commit_timer_v1_interface timer_impl = {
	.set_timestamp = timer_handle_set_timestamp,
	.destroy = timer_handle_destroy,
};

static void timer_resource_destroy(struct wl_resource *resource)
{
	struct timer_surface *ts = wl_resource_get_user_data(resource);

	if (ts)
		ts->resource = NULL;
}

static void manager_handle_destroy(struct wl_client *client, struct wl_resource *resource)
{
	wl_resource_destroy(resource);
}

static void manager_handle_get_timer(struct wl_client *client, struct wl_resource *resource,
				     uint32_t id, struct wl_resource *surface_resource)
{
	struct sb_commit_timing_v1 *timing = wl_resource_get_user_data(resource);
	struct wlr_surface *surface = wlr_surface_from_resource(surface_resource);
	struct timer_surface *ts = timer_surface_find(timing, surface);
	struct wl_resource *timer_resource;

	if (ts && ts->resource) {
		wl_resource_post_error(resource,
				       WP_COMMIT_TIMING_MANAGER_V1_ERROR_COMMIT_TIMER_EXISTS,
				       "wl_surface@%u already has a wp_commit_timer_v1",
				       wl_resource_get_id(surface_resource));
		return;
	}
	timer_resource = wl_resource_create(client, &wp_commit_timer_v1_interface,
					    wl_resource_get_version(resource), id);
	if (!timer_resource) {
		wl_client_post_no_memory(client);
		return;
	}
	if (!ts)
		ts = timer_surface_create(timing, surface);
	if (!ts) {
		wl_resource_destroy(timer_resource);
		wl_client_post_no_memory(client);
		return;
	}
	ts->resource = timer_resource;
	wl_resource_set_implementation(timer_resource, &timer_impl, ts, timer_resource_destroy);
}

static const struct wp_commit_timing_manager_v1_interface manager_impl = {
	.destroy = manager_handle_destroy,
	.get_timer = manager_handle_get_timer,
};

static void manager_bind(struct wl_client *client, void *data, uint32_t version, uint32_t id)
{
	struct wl_resource *resource = wl_resource_create(
		client, &wp_commit_timing_manager_v1_interface, (int)version, id);

	if (!resource) {
		wl_client_post_no_memory(client);
		return;
	}
	wl_resource_set_implementation(resource, &manager_impl, data, NULL);
}

/* sb_gate_condition.commit: takes the pending time into the commit. */
static int timing_condition_commit(struct sb_gate_condition *condition, struct wlr_surface *surface,
				   uint32_t seq)
{
	struct sb_commit_timing_v1 *timing = wl_container_of(condition, timing, condition);
	struct timer_surface *ts = timer_surface_find(timing, surface);
	struct timed_commit *commit;

	if (!ts || !ts->pending_set)
		return 0;
	ts->pending_set = false;
	commit = wl_array_add(&ts->commits, sizeof(*commit));
	if (!commit) {
		wl_client_post_no_memory(wl_resource_get_client(surface->resource));
		return -1;
	}
	*commit = (struct timed_commit){seq, ts->pending_ns};
	return 1;
}

/* The vblank grid of the first of surface's outputs that has one, NULL if none does. */
static struct timing_output *surface_grid(struct sb_commit_timing_v1 *timing,
					  struct wlr_surface *surface)
{
	struct wlr_surface_output *so;
	struct timing_output *to;

	wl_list_for_each(so, &surface->current_outputs, link)
		wl_list_for_each(to, &timing->outputs, link)
			if (to->output == so->output && to->refresh_ns && to->vblank_ns)
				return to;
	return NULL;
}

/*
 * When a commit meant for target_ns may apply: just after the vblank before the first one at or
 * after the target (content applied then is presented at that one, or later), or at the target
 * where there is no vblank grid.
 */
static uint64_t apply_time(struct sb_commit_timing_v1 *timing, struct wlr_surface *surface,
			   uint64_t target_ns)
{
	struct timing_output *to = surface_grid(timing, surface);
	uint64_t k, first;

	if (target_ns == UINT64_MAX)
		return UINT64_MAX; /* never */
	if (!to)
		return target_ns;
	if (target_ns + VBLANK_MARGIN_NS <= to->vblank_ns)
		return 0; /* already past */
	k = (target_ns + VBLANK_MARGIN_NS - to->vblank_ns + to->refresh_ns - 1) / to->refresh_ns;
	first = to->vblank_ns + k * to->refresh_ns;
	return first - to->refresh_ns + WAKE_AFTER_VBLANK_NS;
}

/* sb_gate_condition.ready: every earlier commit has applied. */
static bool timing_condition_ready(struct sb_gate_condition *condition, struct wlr_surface *surface,
				   uint32_t seq)
{
	struct sb_commit_timing_v1 *timing = wl_container_of(condition, timing, condition);
	struct timer_surface *ts = timer_surface_find(timing, surface);
	struct timed_commit *commit = ts ? commit_find(ts, seq) : NULL;
	uint64_t now, wake;

	if (!commit)
		return true;
	now = clock_now_ns(timing->clock);
	wake = apply_time(timing, surface, commit->target_ns);
	if (now >= wake)
		return true;
	/*
	 * commit-timing-v1: a synchronized subsurface's timed updates lose their times at its
	 * parent's commit, the only thing that applies them.
	 */
	if (commit_gate_surface_is_synchronized(surface))
		return true;
	if (commit->target_ns == UINT64_MAX)
		return false;
	if (!timer_arm(ts, wake)) {
		/* Never hold a commit with nothing to wake it: apply it now, early. */
		wlr_log_errno(WLR_ERROR, "surface %p: no timer for its commit's time, applied now",
			      (void *)surface);
		return true;
	}
	return false;
}

static void timing_output_destroy(struct timing_output *to)
{
	wl_list_remove(&to->present.link);
	wl_list_remove(&to->destroy.link);
	wl_list_remove(&to->link);
	free(to);
}

static void output_handle_destroy(struct wl_listener *listener, void *data)
{
	struct timing_output *to = wl_container_of(listener, to, destroy);

	timing_output_destroy(to);
}

static void output_handle_present(struct wl_listener *listener, void *data)
{
	struct timing_output *to = wl_container_of(listener, to, present);
	struct wlr_output_event_present *event = data;

	if (!event->presented || !event->when)
		return;
	/* Only a present event at a vblank (DRM's page flip) gives a grid to predict from. */
	if (!(event->flags & WLR_OUTPUT_PRESENT_VSYNC) || event->refresh <= 0) {
		to->refresh_ns = 0;
		return;
	}
	to->vblank_ns =
		(uint64_t)event->when->tv_sec * NSEC_PER_SEC + (uint64_t)event->when->tv_nsec;
	to->refresh_ns = (uint64_t)event->refresh;
}

static void handle_new_output(struct wl_listener *listener, void *data)
{
	struct sb_commit_timing_v1 *timing = wl_container_of(listener, timing, new_output);
	struct wlr_output *output = data;
	struct timing_output *to = calloc(1, sizeof(*to));

	if (!to) {
		wlr_log(WLR_ERROR,
			"output %s: out of memory: timed commits on it apply at their time",
			output->name);
		return;
	}
	to->output = output;
	to->present.notify = output_handle_present;
	wl_signal_add(&output->events.present, &to->present);
	to->destroy.notify = output_handle_destroy;
	wl_signal_add(&output->events.destroy, &to->destroy);
	wl_list_insert(&timing->outputs, &to->link);
}

struct sb_commit_timing_v1 *sb_commit_timing_v1_create(struct wl_display *display,
						       struct wlr_backend *backend,
						       struct sb_commit_gate *gate)
{
	struct sb_commit_timing_v1 *timing = calloc(1, sizeof(*timing));

	if (!timing)
		return NULL;
	timing->global = wl_global_create(display, &wp_commit_timing_manager_v1_interface,
					  MANAGER_VERSION, timing, manager_bind);
	if (!timing->global) {
		free(timing);
		return NULL;
	}
	timing->loop = wl_display_get_event_loop(display);
	timing->gate = gate;
	timing->clock = wlr_backend_get_presentation_clock(backend);
	wl_list_init(&timing->outputs);
	timing->new_output.notify = handle_new_output;
	wl_signal_add(&backend->events.new_output, &timing->new_output);
	timing->condition.commit = timing_condition_commit;
	timing->condition.ready = timing_condition_ready;
	commit_gate_add_condition(gate, &timing->condition);
	return timing;
}

void sb_commit_timing_v1_destroy(struct sb_commit_timing_v1 *timing)
{
	struct timing_output *to, *tmp;

	if (!timing)
		return;
	wl_list_for_each_safe(to, tmp, &timing->outputs, link)
		timing_output_destroy(to);
	wl_list_remove(&timing->new_output.link);
	commit_gate_remove_condition(&timing->condition);
	wl_global_destroy(timing->global);
	free(timing);
}
