// SPDX-License-Identifier: MIT
/*
 * The frame clock: what time frame callbacks and presentation feedback say. Stepped, it is a
 * frame counter: the clock of frame n reads EPOCH + n refresh periods, whatever the wall clock
 * did, where only frames that answer a frame callback count; and the next frame is made only once every surface sent a frame callback has committed
 * again (or SB_FRAME_CLOCK_WAIT_MS passed: a client may ask for a callback and then have nothing
 * to draw). A client that animates from callback time then draws frame n the same on any machine.
 */
#include <stdlib.h>
#include <time.h>

#include <wlr/types/wlr_compositor.h>
#include <wlr/types/wlr_output.h>
#include <wlr/types/wlr_scene.h>
#include <wlr/types/wlr_surface.h>
#include <wlr/util/log.h>

#include "frame_clock.h"

struct sb_frame_clock {
	bool stepped;
	struct wlr_output *output; /* the output whose frames advance it */
	uint64_t frames;
	uint64_t period_ns;
	uint64_t done_at_ns;	 /* CLOCK_MONOTONIC of the last frame done */
	int owing;		 /* surfaces sent a frame callback that have not committed since */
	bool wanted;		 /* a commit asked for a frame callback since the last frame done */
	struct wl_list surfaces; /* clock_surface.link */
	struct wl_listener new_surface;
};

struct clock_surface {
	struct wl_list link;
	struct sb_frame_clock *clock;
	bool owing;
	struct wl_listener commit;
	struct wl_listener destroy;
};

static uint64_t monotonic_ns(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (uint64_t)now.tv_sec * 1000000000ull + (uint64_t)now.tv_nsec;
}

static void set_owing(struct clock_surface *cs, bool owing)
{
	if (cs->owing == owing)
		return;
	cs->owing = owing;
	cs->clock->owing += owing ? 1 : -1;
}

static void surface_commit(struct wl_listener *listener, void *data)
{
	struct clock_surface *cs = wl_container_of(listener, cs, commit);
	struct wlr_surface *surface = data;

	set_owing(cs, false);
	if (!wl_list_empty(&surface->current.frame_callback_list))
		cs->clock->wanted = true;
}

static void clock_surface_destroy(struct clock_surface *cs)
{
	set_owing(cs, false);
	wl_list_remove(&cs->commit.link);
	wl_list_remove(&cs->destroy.link);
	wl_list_remove(&cs->link);
	free(cs);
}

static void surface_destroy(struct wl_listener *listener, void *data)
{
	struct clock_surface *cs = wl_container_of(listener, cs, destroy);

	clock_surface_destroy(cs);
}

static void handle_new_surface(struct wl_listener *listener, void *data)
{
	struct sb_frame_clock *clock = wl_container_of(listener, clock, new_surface);
	struct wlr_surface *surface = data;
	struct clock_surface *cs = calloc(1, sizeof(*cs));

	/* Without it this surface never holds a frame: the pictures may then vary, nothing worse. */
	if (!cs) {
		wlr_log(WLR_ERROR, "frame clock: out of memory");
		return;
	}
	cs->clock = clock;
	cs->commit.notify = surface_commit;
	wl_signal_add(&surface->events.commit, &cs->commit);
	cs->destroy.notify = surface_destroy;
	wl_signal_add(&surface->events.destroy, &cs->destroy);
	wl_list_insert(&clock->surfaces, &cs->link);
}

struct sb_frame_clock *frame_clock_create(struct wl_display *display,
					  struct wlr_compositor *compositor, bool stepped)
{
	struct sb_frame_clock *clock = calloc(1, sizeof(*clock));

	if (!clock) {
		wlr_log(WLR_ERROR, "frame clock: out of memory");
		return NULL;
	}
	clock->stepped = stepped;
	wl_list_init(&clock->surfaces);
	wl_list_init(&clock->new_surface.link);
	if (stepped) {
		clock->new_surface.notify = handle_new_surface;
		wl_signal_add(&compositor->events.new_surface, &clock->new_surface);
		wlr_log(WLR_INFO, "frame clock: stepped, one refresh period per frame");
	}
	return clock;
}

void frame_clock_destroy(struct sb_frame_clock *clock)
{
	struct clock_surface *cs, *tmp;

	if (!clock)
		return;
	wl_list_for_each_safe(cs, tmp, &clock->surfaces, link)
		clock_surface_destroy(cs);
	wl_list_remove(&clock->new_surface.link);
	free(clock);
}

bool frame_clock_frame_begins(struct sb_frame_clock *clock, struct wlr_output *output)
{
	if (!clock || !clock->stepped)
		return true;
	/* The first output to make a frame drives the clock; the others read it. */
	if (!clock->output)
		clock->output = output;
	if (output != clock->output)
		return true;
	if (clock->owing > 0 &&
	    monotonic_ns() - clock->done_at_ns < SB_FRAME_CLOCK_WAIT_MS * 1000000ull)
		return false;
	/* Then a client's frame n may differ from run to run: say so where a user looks. */
	if (clock->frames > 0 && clock->owing > 0)
		wlr_log(WLR_INFO,
			"frame clock: %d surfaces sent a frame callback did not commit within %d "
			"ms; "
			"frame %llu goes on without them",
			clock->owing, SB_FRAME_CLOCK_WAIT_MS,
			(unsigned long long)clock->frames + 1);
	/* wlr_output.refresh is in mHz; 60 Hz where the backend says nothing. */
	clock->period_ns = output->refresh > 0 ? 1000000000000ull / (uint64_t)output->refresh
					       : 1000000000ull / 60;
	/*
	 * Time passes only in frames that answer a frame callback: how many frames went by before
	 * a client connected, or while it drew nothing, depends on the machine and must not show
	 * in the times it is given.
	 */
	if (clock->wanted)
		clock->frames++;
	return true;
}

uint64_t frame_clock_now_ns(struct sb_frame_clock *clock)
{
	if (!clock || !clock->stepped)
		return monotonic_ns();
	return SB_FRAME_CLOCK_EPOCH_NS + clock->frames * clock->period_ns;
}

void frame_clock_now(struct sb_frame_clock *clock, struct timespec *now)
{
	uint64_t ns = frame_clock_now_ns(clock);

	now->tv_sec = (time_t)(ns / 1000000000ull);
	now->tv_nsec = (long)(ns % 1000000000ull);
}

static void mark_owing(struct wlr_surface *surface, int sx, int sy, void *data)
{
	struct wl_listener *listener;
	struct clock_surface *cs;

	/* wl_surface.frame: a client that asked for a callback draws its next frame after it. */
	if (wl_list_empty(&surface->current.frame_callback_list))
		return;
	listener = wl_signal_get(&surface->events.destroy, surface_destroy);
	if (!listener)
		return;
	cs = wl_container_of(listener, cs, destroy);
	set_owing(cs, true);
}

void frame_clock_frame_done(struct sb_frame_clock *clock, struct wlr_scene_output *scene_output)
{
	if (!clock || !clock->stepped || scene_output->output != clock->output)
		return;
	wlr_scene_output_for_each_surface(scene_output, mark_owing, NULL);
	clock->wanted = false;
	clock->done_at_ns = monotonic_ns();
}
