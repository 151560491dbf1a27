// SPDX-License-Identifier: MIT
/*
 * The two staging protocols that decide when a commit applies: wp_fifo_v1 (a commit waits until
 * the one that set the barrier has been on screen for a refresh) and wp_commit_timing_v1 (a commit
 * waits until its target time). Their protocol errors, and what wp_presentation feedback shows of
 * the order and time the commits were presented in.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <wayland-client.h>

#include "commit-timing-v1-client-protocol.h"
#include "fifo-v1-client-protocol.h"
#include "feedback.h"
#include "fixture.h"
#include "presentation-time-client-protocol.h"

#define FIFO "fifo"
#define TIMING "commit-timing"
/* Updates queued behind barriers at once, each to be presented in a refresh of its own. */
#define QUEUED 4
/* How far ahead a target time is set: several frames, even in an emulated CPU. */
#define AHEAD_MS 300

/* wp_presentation and its clock. */
struct presentation {
	struct wp_presentation *obj;
	clockid_t clock;
	bool has_clock;
};

static void presentation_clock_id(void *data, struct wp_presentation *obj, uint32_t clk_id)
{
	struct presentation *p = data;

	p->clock = (clockid_t)clk_id;
	p->has_clock = true;
}

static const struct wp_presentation_listener presentation_listener = {
	.clock_id = presentation_clock_id,
};

static bool presentation_bind(struct sb_test_ctx *t, struct tc_client *client,
			      struct presentation *p)
{
	*p = (struct presentation){0};
	if (!sc_require_global(t, client, wp_presentation_interface.name))
		return false;
	p->obj = tc_client_bind(client, &wp_presentation_interface, 1);
	if (!expect(t, p->obj != NULL))
		return false;
	wp_presentation_add_listener(p->obj, &presentation_listener, p);
	return expect(t, tc_client_roundtrip(client)) && expect(t, p->has_clock);
}

static void presentation_finish(struct presentation *p)
{
	if (p->obj)
		wp_presentation_destroy(p->obj);
	p->obj = NULL;
}

static uint64_t clock_ns(clockid_t clock)
{
	struct timespec now;

	clock_gettime(clock, &now);
	return (uint64_t)now.tv_sec * 1000000000ull + (uint64_t)now.tv_nsec;
}

/* A case's connection, the managers it needs and, if asked, a window with a buffer shown. */
struct timing_fixture {
	struct sc_fixture f;
	struct wp_fifo_manager_v1 *fifo_manager;
	struct wp_commit_timing_manager_v1 *timing_manager;
	struct tc_buffer *buffers[QUEUED];
};

enum {
	NEED_FIFO = 1 << 0,
	NEED_TIMING = 1 << 1,
};

static bool timing_init(struct sb_test_ctx *t, struct timing_fixture *tf, unsigned need,
			bool window)
{
	*tf = (struct timing_fixture){0};
	if (!sc_fixture_init(t, &tf->f, 0))
		return false;
	if (need & NEED_FIFO) {
		if (!sc_require_global(t, tf->f.client, wp_fifo_manager_v1_interface.name))
			return false;
		tf->fifo_manager = tc_client_bind(tf->f.client, &wp_fifo_manager_v1_interface, 1);
	}
	if (need & NEED_TIMING) {
		if (!sc_require_global(t, tf->f.client, wp_commit_timing_manager_v1_interface.name))
			return false;
		tf->timing_manager =
			tc_client_bind(tf->f.client, &wp_commit_timing_manager_v1_interface, 1);
	}
	if (!window)
		return true;
	if (!sc_require_global(t, tf->f.client, "wl_shm") ||
	    !sc_fixture_need(t, &tf->f, SC_NEED_WINDOW))
		return false;
	for (int i = 0; i < QUEUED; i++) {
		tf->buffers[i] = tc_buffer_create_shm(tf->f.client, SC_SIZE, SC_SIZE,
						      i % 2 ? SC_GREEN : SC_BLUE);
		if (!expect(t, tf->buffers[i] != NULL))
			return false;
	}
	/* Mapped and on an output before the case starts. */
	return sc_fixture_show(t, &tf->f, tf->buffers[0]);
}

static void timing_finish(struct timing_fixture *tf)
{
	for (int i = 0; i < QUEUED; i++)
		tc_buffer_destroy(tf->buffers[i]);
	if (tf->fifo_manager)
		wp_fifo_manager_v1_destroy(tf->fifo_manager);
	if (tf->timing_manager)
		wp_commit_timing_manager_v1_destroy(tf->timing_manager);
	sc_fixture_finish(&tf->f);
}

/* A wl_surface of the client with no role: on no output. */
static struct wl_surface *bare_surface(struct timing_fixture *tf)
{
	return wl_compositor_create_surface(tf->f.client->compositor);
}

static void fifo_second_object_on_a_surface_is_already_exists(struct sb_test_ctx *t)
{
	struct timing_fixture tf;

	if (timing_init(t, &tf, NEED_FIFO, false)) {
		struct wl_surface *surface = bare_surface(&tf);
		struct wp_fifo_v1 *first = wp_fifo_manager_v1_get_fifo(tf.fifo_manager, surface);
		struct wp_fifo_v1 *second = wp_fifo_manager_v1_get_fifo(tf.fifo_manager, surface);

		expect(t, tc_client_died_of(tf.f.client, wp_fifo_manager_v1_interface.name,
					    WP_FIFO_MANAGER_V1_ERROR_ALREADY_EXISTS));
		/* The proxies, on a dead connection: freed, nothing sent. */
		wp_fifo_v1_destroy(first);
		wp_fifo_v1_destroy(second);
		wl_surface_destroy(surface);
	}
	timing_finish(&tf);
}

static void fifo_object_may_be_made_again_after_destroy(struct sb_test_ctx *t)
{
	struct timing_fixture tf;

	if (timing_init(t, &tf, NEED_FIFO, false)) {
		struct wl_surface *surface = bare_surface(&tf);

		wp_fifo_v1_destroy(wp_fifo_manager_v1_get_fifo(tf.fifo_manager, surface));
		wp_fifo_v1_destroy(wp_fifo_manager_v1_get_fifo(tf.fifo_manager, surface));
		expect(t, tc_client_roundtrip(tf.f.client));
		wl_surface_destroy(surface);
	}
	timing_finish(&tf);
}

/* set_barrier (or wait_barrier) once the fifo object's surface is gone. */
static void fifo_request_after_surface_destroyed(struct sb_test_ctx *t, bool set)
{
	struct timing_fixture tf;

	if (timing_init(t, &tf, NEED_FIFO, false)) {
		struct wl_surface *surface = bare_surface(&tf);
		struct wp_fifo_v1 *fifo = wp_fifo_manager_v1_get_fifo(tf.fifo_manager, surface);

		wl_surface_destroy(surface);
		if (set)
			wp_fifo_v1_set_barrier(fifo);
		else
			wp_fifo_v1_wait_barrier(fifo);
		expect(t, tc_client_died_of(tf.f.client, wp_fifo_v1_interface.name,
					    WP_FIFO_V1_ERROR_SURFACE_DESTROYED));
		wp_fifo_v1_destroy(fifo);
	}
	timing_finish(&tf);
}

static void fifo_set_barrier_after_surface_destroyed_is_surface_destroyed(struct sb_test_ctx *t)
{
	fifo_request_after_surface_destroyed(t, true);
}

static void fifo_wait_barrier_after_surface_destroyed_is_surface_destroyed(struct sb_test_ctx *t)
{
	fifo_request_after_surface_destroyed(t, false);
}

static void fifo_wait_without_a_barrier_applies_at_once(struct sb_test_ctx *t)
{
	struct timing_fixture tf;

	if (timing_init(t, &tf, NEED_FIFO, true)) {
		struct wp_fifo_v1 *fifo =
			wp_fifo_manager_v1_get_fifo(tf.fifo_manager, tf.f.window->surface);

		/* No update ever set the barrier: nothing to wait for. */
		wp_fifo_v1_wait_barrier(fifo);
		sc_fixture_show(t, &tf.f, tf.buffers[1]);
		wp_fifo_v1_destroy(fifo);
	}
	timing_finish(&tf);
}

static void fifo_queued_updates_are_each_presented_in_a_refresh_of_their_own(struct sb_test_ctx *t)
{
	struct feedback fb[QUEUED];
	struct presentation p = {0};
	struct timing_fixture tf;
	int presented = 0;

	for (int i = 0; i < QUEUED; i++)
		fb[i] = (struct feedback){0};
	if (timing_init(t, &tf, NEED_FIFO, true) && presentation_bind(t, tf.f.client, &p)) {
		struct wp_fifo_v1 *fifo =
			wp_fifo_manager_v1_get_fifo(tf.fifo_manager, tf.f.window->surface);

		/*
		 * All committed at once, as a FIFO swapchain would: without the barriers each
		 * would replace the one before it in the same refresh, and all but the last be
		 * discarded.
		 */
		for (int i = 0; i < QUEUED; i++) {
			feedback_request(&fb[i], p.obj, tf.f.window->surface);
			if (i > 0)
				wp_fifo_v1_wait_barrier(fifo);
			wp_fifo_v1_set_barrier(fifo);
			tc_surface_show(tf.f.window, tf.buffers[(i + 1) % QUEUED], NULL);
		}
		expect(t, tc_client_wait(tf.f.client, &fb[QUEUED - 1].done, SC_SOON_MS));
		for (int i = 0; i < QUEUED; i++) {
			if (!fb[i].presented) {
				printf("# update %d: %s\n", i,
				       fb[i].discarded ? "discarded" : "no feedback");
				continue;
			}
			presented++;
			if (i > 0 && fb[i - 1].presented && fb[i].when_ns <= fb[i - 1].when_ns) {
				printf("# update %d presented at %llu ns, not after update %d\n", i,
				       (unsigned long long)fb[i].when_ns, i - 1);
				t->failed = true;
			}
		}
		expect(t, presented == QUEUED);
		wp_fifo_v1_destroy(fifo);
	}
	for (int i = 0; i < QUEUED; i++)
		feedback_finish(&fb[i]);
	presentation_finish(&p);
	timing_finish(&tf);
}

/* A surface with no role is on no output: no refresh of any output clears its barrier. */
static void fifo_barrier_on_a_surface_on_no_output_still_clears(struct sb_test_ctx *t)
{
	struct timing_fixture tf;

	if (timing_init(t, &tf, NEED_FIFO, false) && sc_require_global(t, tf.f.client, "wl_shm")) {
		struct wl_surface *surface = bare_surface(&tf);
		struct wp_fifo_v1 *fifo = wp_fifo_manager_v1_get_fifo(tf.fifo_manager, surface);
		struct tc_buffer *a = tc_buffer_create_shm(tf.f.client, SC_SIZE, SC_SIZE, SC_RED);
		struct tc_buffer *b = tc_buffer_create_shm(tf.f.client, SC_SIZE, SC_SIZE, SC_GREEN);
		struct tc_buffer *c = tc_buffer_create_shm(tf.f.client, SC_SIZE, SC_SIZE, SC_BLUE);

		if (expect(t, a && b && c)) {
			wp_fifo_v1_set_barrier(fifo);
			wl_surface_attach(surface, a->buffer, 0, 0);
			wl_surface_commit(surface);
			/* Held by the barrier until the compositor clears it, shown or not. */
			wp_fifo_v1_wait_barrier(fifo);
			wl_surface_attach(surface, b->buffer, 0, 0);
			wl_surface_commit(surface);
			wl_surface_attach(surface, c->buffer, 0, 0);
			wl_surface_commit(surface);
			/*
			 * c, queued behind b, is applied (and its wl_shm buffer released) only after
			 * b: a barrier that never cleared would hold both.
			 */
			c->released = false;
			expect(t, tc_client_wait(tf.f.client, &c->released, SC_SOON_MS));
		}
		wp_fifo_v1_destroy(fifo);
		wl_surface_destroy(surface);
		tc_buffer_destroy(a);
		tc_buffer_destroy(b);
		tc_buffer_destroy(c);
	}
	timing_finish(&tf);
}

static void commit_timer_second_on_a_surface_is_commit_timer_exists(struct sb_test_ctx *t)
{
	struct timing_fixture tf;

	if (timing_init(t, &tf, NEED_TIMING, false)) {
		struct wl_surface *surface = bare_surface(&tf);
		struct wp_commit_timer_v1 *first =
			wp_commit_timing_manager_v1_get_timer(tf.timing_manager, surface);
		struct wp_commit_timer_v1 *second =
			wp_commit_timing_manager_v1_get_timer(tf.timing_manager, surface);

		expect(t, tc_client_died_of(tf.f.client, wp_commit_timing_manager_v1_interface.name,
					    WP_COMMIT_TIMING_MANAGER_V1_ERROR_COMMIT_TIMER_EXISTS));
		wp_commit_timer_v1_destroy(first);
		wp_commit_timer_v1_destroy(second);
		wl_surface_destroy(surface);
	}
	timing_finish(&tf);
}

/* One set_timestamp call (or two) on a fresh timer, that must raise error. */
static void timer_error_case(struct sb_test_ctx *t, uint32_t nsec, bool twice, bool destroyed,
			     uint32_t error)
{
	struct timing_fixture tf;

	if (timing_init(t, &tf, NEED_TIMING, false)) {
		struct wl_surface *surface = bare_surface(&tf);
		struct wp_commit_timer_v1 *timer =
			wp_commit_timing_manager_v1_get_timer(tf.timing_manager, surface);

		if (destroyed)
			wl_surface_destroy(surface);
		wp_commit_timer_v1_set_timestamp(timer, 0, 1, nsec);
		if (twice)
			wp_commit_timer_v1_set_timestamp(timer, 0, 2, 0);
		expect(t, tc_client_died_of(tf.f.client, wp_commit_timer_v1_interface.name, error));
		wp_commit_timer_v1_destroy(timer);
		if (!destroyed)
			wl_surface_destroy(surface);
	}
	timing_finish(&tf);
}

static void commit_timer_nsec_of_a_whole_second_is_invalid_timestamp(struct sb_test_ctx *t)
{
	timer_error_case(t, 1000000000u, false, false, WP_COMMIT_TIMER_V1_ERROR_INVALID_TIMESTAMP);
}

static void commit_timer_second_time_before_a_commit_is_timestamp_exists(struct sb_test_ctx *t)
{
	timer_error_case(t, 0, true, false, WP_COMMIT_TIMER_V1_ERROR_TIMESTAMP_EXISTS);
}

static void commit_timer_after_surface_destroyed_is_surface_destroyed(struct sb_test_ctx *t)
{
	timer_error_case(t, 0, false, true, WP_COMMIT_TIMER_V1_ERROR_SURFACE_DESTROYED);
}

static void set_time(struct wp_commit_timer_v1 *timer, uint64_t ns)
{
	uint64_t sec = ns / 1000000000ull;

	wp_commit_timer_v1_set_timestamp(timer, (uint32_t)(sec >> 32), (uint32_t)sec,
					 (uint32_t)(ns % 1000000000ull));
}

/*
 * A commit with a target time AHEAD_MS ahead, then (if then) one without a time right after it:
 * the feedback of the last must say presented, not before the target.
 */
static void timed_then(struct sb_test_ctx *t, bool then)
{
	struct presentation p = {0};
	struct feedback fb = {0};
	struct timing_fixture tf;

	if (timing_init(t, &tf, NEED_TIMING, true) && presentation_bind(t, tf.f.client, &p)) {
		struct wp_commit_timer_v1 *timer = wp_commit_timing_manager_v1_get_timer(
			tf.timing_manager, tf.f.window->surface);
		uint64_t target = clock_ns(p.clock) + AHEAD_MS * 1000000ull;

		set_time(timer, target);
		if (then) {
			tc_surface_show(tf.f.window, tf.buffers[1], NULL);
			feedback_request(&fb, p.obj, tf.f.window->surface);
			tc_surface_show(tf.f.window, tf.buffers[2], NULL);
		} else {
			feedback_request(&fb, p.obj, tf.f.window->surface);
			tc_surface_show(tf.f.window, tf.buffers[1], NULL);
		}
		if (expect(t, tc_client_wait(tf.f.client, &fb.done, AHEAD_MS + SC_SOON_MS)) &&
		    expect(t, fb.presented)) {
			if (fb.when_ns < target)
				printf("# presented %lld us before its target\n",
				       (long long)(target - fb.when_ns) / 1000);
			expect(t, fb.when_ns >= target);
		}
		wp_commit_timer_v1_destroy(timer);
	}
	feedback_finish(&fb);
	presentation_finish(&p);
	timing_finish(&tf);
}

static void commit_timer_update_is_not_presented_before_its_time(struct sb_test_ctx *t)
{
	timed_then(t, false);
}

static void commit_timer_later_update_waits_for_the_timed_one_before_it(struct sb_test_ctx *t)
{
	timed_then(t, true);
}

static void commit_timer_time_in_the_past_applies_at_once(struct sb_test_ctx *t)
{
	struct presentation p = {0};
	struct timing_fixture tf;

	if (timing_init(t, &tf, NEED_TIMING, true) && presentation_bind(t, tf.f.client, &p)) {
		struct wp_commit_timer_v1 *timer = wp_commit_timing_manager_v1_get_timer(
			tf.timing_manager, tf.f.window->surface);
		uint64_t now = clock_ns(p.clock);

		set_time(timer, now > 1000000000ull ? now - 1000000000ull : 0);
		sc_fixture_show(t, &tf.f, tf.buffers[1]);
		wp_commit_timer_v1_destroy(timer);
	}
	presentation_finish(&p);
	timing_finish(&tf);
}

static void commit_timer_time_applies_to_one_commit_only(struct sb_test_ctx *t)
{
	struct presentation p = {0};
	struct timing_fixture tf;

	if (timing_init(t, &tf, NEED_TIMING, true) && presentation_bind(t, tf.f.client, &p)) {
		struct wp_commit_timer_v1 *timer = wp_commit_timing_manager_v1_get_timer(
			tf.timing_manager, tf.f.window->surface);
		uint64_t now = clock_ns(p.clock);

		/* Double-buffered: the next commit's, taken by it; the one after has none. */
		set_time(timer, now > 1000000000ull ? now - 1000000000ull : 0);
		sc_fixture_show(t, &tf.f, tf.buffers[1]);
		/* And a second time may be set after that commit: no timestamp_exists. */
		set_time(timer, now > 1000000000ull ? now - 1000000000ull : 0);
		sc_fixture_show(t, &tf.f, tf.buffers[2]);
		sc_fixture_show(t, &tf.f, tf.buffers[3]);
		wp_commit_timer_v1_destroy(timer);
	}
	presentation_finish(&p);
	timing_finish(&tf);
}

/* A subsurface of the fixture's window at (8, 8), synchronized or not. */
static struct tc_surface *child_create(struct sb_test_ctx *t, struct timing_fixture *tf, bool sync)
{
	struct tc_client *client = tf->f.client;
	struct tc_surface *child;

	if (!client->subcompositor)
		client->subcompositor = tc_client_bind(client, &wl_subcompositor_interface, 1);
	if (!expect(t, client->subcompositor != NULL))
		return NULL;
	child = tc_subsurface_create(client, tf->f.window, 8, 8);
	if (!expect(t, child != NULL))
		return NULL;
	if (!sync)
		wl_subsurface_set_desync(child->subsurface);
	/* wl_subsurface: the subsurface takes its place with the parent's next commit. */
	tc_surface_commit(tf->f.window, NULL);
	return child;
}

/* Whether the frame callback asked on child fired within ms. */
static bool child_frame_within(struct timing_fixture *tf, struct tc_surface *child,
			       struct tc_frame *frame, int ms)
{
	return tc_client_wait(tf->f.client, &frame->done, ms);
}

static void fifo_synchronized_subsurface_updates_apply_with_its_parent(struct sb_test_ctx *t)
{
	struct tc_frame frame = {0};
	struct tc_surface *child = NULL;
	struct timing_fixture tf;

	if (timing_init(t, &tf, NEED_FIFO, true) && (child = child_create(t, &tf, true))) {
		struct wp_fifo_v1 *fifo =
			wp_fifo_manager_v1_get_fifo(tf.fifo_manager, child->surface);

		/*
		 * fifo-v1: a synchronized subsurface's barrier is cleared by its parent's commit,
		 * which applies both of these updates.
		 */
		wp_fifo_v1_set_barrier(fifo);
		tc_surface_show(child, tf.buffers[1], NULL);
		wp_fifo_v1_wait_barrier(fifo);
		wp_fifo_v1_set_barrier(fifo);
		tc_frame_request(&frame, child->surface, NULL);
		tc_surface_show(child, tf.buffers[2], NULL);
		tc_surface_commit(tf.f.window, NULL);
		expect(t, child_frame_within(&tf, child, &frame, SC_SOON_MS));
		wp_fifo_v1_destroy(fifo);
	}
	tc_frame_finish(&frame);
	tc_surface_destroy(child);
	timing_finish(&tf);
}

static void commit_timer_held_update_of_a_subsurface_made_synchronized_applies_with_its_parent(
	struct sb_test_ctx *t)
{
	struct presentation p = {0};
	struct tc_frame shown = {0}, frame = {0};
	struct tc_surface *child = NULL;
	struct timing_fixture tf;

	if (timing_init(t, &tf, NEED_TIMING, true) && presentation_bind(t, tf.f.client, &p) &&
	    (child = child_create(t, &tf, false))) {
		struct wp_commit_timer_v1 *timer =
			wp_commit_timing_manager_v1_get_timer(tf.timing_manager, child->surface);

		tc_frame_request(&shown, child->surface, NULL);
		tc_surface_show(child, tf.buffers[1], NULL);
		if (expect(t, child_frame_within(&tf, child, &shown, SC_SOON_MS))) {
			/* A minute ahead: held while the subsurface is desynchronized. */
			set_time(timer, clock_ns(p.clock) + 60 * 1000000000ull);
			tc_frame_request(&frame, child->surface, NULL);
			tc_surface_show(child, tf.buffers[2], NULL);
			expect(t, !child_frame_within(&tf, child, &frame, SC_HELD_MS));
			/*
			 * commit-timing-v1: made synchronized, its held update loses its time at
			 * the parent's next commit.
			 */
			wl_subsurface_set_sync(child->subsurface);
			tc_surface_commit(tf.f.window, NULL);
			expect(t, child_frame_within(&tf, child, &frame, SC_SOON_MS));
		}
		wp_commit_timer_v1_destroy(timer);
	}
	tc_frame_finish(&shown);
	tc_frame_finish(&frame);
	tc_surface_destroy(child);
	presentation_finish(&p);
	timing_finish(&tf);
}

const struct sc_case sc_timing_cases[] = {
	SC_CASE(FIFO, fifo_second_object_on_a_surface_is_already_exists),
	SC_CASE(FIFO, fifo_object_may_be_made_again_after_destroy),
	SC_CASE(FIFO, fifo_set_barrier_after_surface_destroyed_is_surface_destroyed),
	SC_CASE(FIFO, fifo_wait_barrier_after_surface_destroyed_is_surface_destroyed),
	SC_CASE(FIFO, fifo_wait_without_a_barrier_applies_at_once),
	SC_CASE(FIFO, fifo_queued_updates_are_each_presented_in_a_refresh_of_their_own),
	SC_CASE(FIFO, fifo_barrier_on_a_surface_on_no_output_still_clears),
	SC_CASE(FIFO, fifo_synchronized_subsurface_updates_apply_with_its_parent),
	SC_CASE(TIMING, commit_timer_second_on_a_surface_is_commit_timer_exists),
	SC_CASE(TIMING, commit_timer_nsec_of_a_whole_second_is_invalid_timestamp),
	SC_CASE(TIMING, commit_timer_second_time_before_a_commit_is_timestamp_exists),
	SC_CASE(TIMING, commit_timer_after_surface_destroyed_is_surface_destroyed),
	SC_CASE(TIMING, commit_timer_update_is_not_presented_before_its_time),
	SC_CASE(TIMING, commit_timer_later_update_waits_for_the_timed_one_before_it),
	SC_CASE(TIMING, commit_timer_time_in_the_past_applies_at_once),
	SC_CASE(TIMING, commit_timer_time_applies_to_one_commit_only),
	SC_CASE(TIMING,
		commit_timer_held_update_of_a_subsurface_made_synchronized_applies_with_its_parent),
};
const size_t sc_n_timing_cases = sizeof(sc_timing_cases) / sizeof(sc_timing_cases[0]);
