// SPDX-License-Identifier: MIT
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <wlr/types/wlr_surface.h>
#include <wlr/util/log.h>

#include "commit_gate.h"
#include "gate_log.h"

/*
 * tests/bench/ (gate_report.py, kms_report.py) and tests/vm/compositor/kms_test.py parse these
 * lines: keep their wording.
 */
struct gate_log {
	struct wl_listener ready;
	struct wl_listener kms_handoff;
	struct wl_listener wait_begin;
	struct wl_listener wait_end;
	struct wl_listener applied;
	struct wl_listener destroy;
	/*
	 * On wlr_surface.events.commit of the state being applied, between wait_end and applied:
	 * when wlroots announced it current. The gate applies one state at a time.
	 */
	struct wl_listener current;
	struct timespec current_at;
	bool current_fired;
};

static double interval_ms(const struct timespec *start, const struct timespec *end)
{
	return (double)(end->tv_sec - start->tv_sec) * 1e3 +
	       (double)(end->tv_nsec - start->tv_nsec) / 1e6;
}

static void handle_ready(struct wl_listener *listener, void *data)
{
	const struct sb_gate_wait_event *event = data;

	wlr_log(WLR_DEBUG, "surface %p: commit applied at once (%s fences signalled)",
		(void *)event->surface, commit_gate_form_name(event->form));
}

static void handle_kms_handoff(struct wl_listener *listener, void *data)
{
	const struct sb_gate_wait_event *event = data;

	wlr_log(WLR_DEBUG,
		"surface %p: commit %u acquire handed to KMS (%d fence%s imported "
		"into the dma-buf as a write fence), applied at once",
		(void *)event->surface, event->seq, event->fences, event->fences == 1 ? "" : "s");
}

static void handle_wait_begin(struct wl_listener *listener, void *data)
{
	const struct sb_gate_wait_event *event = data;

	wlr_log(WLR_DEBUG, "surface %p: commit %u held (%d fence%s, %d plane%s, %s)",
		(void *)event->surface, event->seq, event->fences, event->fences == 1 ? "" : "s",
		event->planes, event->planes == 1 ? "" : "s", commit_gate_form_name(event->form));
}

static void handle_current(struct wl_listener *listener, void *data)
{
	struct gate_log *log = wl_container_of(listener, log, current);

	clock_gettime(CLOCK_MONOTONIC, &log->current_at);
	log->current_fired = true;
}

/*
 * First in line for the commit event, which wlroots emits once the state is current
 * (surface_commit_state(): state moved, texture made, role committed); the other listeners (the
 * scene's damage, frame scheduling) react to it after.
 */
static void handle_wait_end(struct wl_listener *listener, void *data)
{
	struct gate_log *log = wl_container_of(listener, log, wait_end);
	const struct sb_gate_wait_event *event = data;

	log->current_fired = false;
	wl_list_insert(&event->surface->events.commit.listener_list, &log->current.link);
}

/*
 * The apply, split: the wakeup (until "woke"), the gate's own work (until "unlocking") and
 * wlroots' state apply (until "applied"; the state is current at the commit event).
 */
static void handle_applied(struct wl_listener *listener, void *data)
{
	struct gate_log *log = wl_container_of(listener, log, applied);
	const struct sb_gate_wait_event *event = data;
	char current[48] = "";

	wl_list_remove(&log->current.link);
	wl_list_init(&log->current.link);
	if (log->current_fired)
		snprintf(current, sizeof(current), ", current at %lld.%09ld",
			 (long long)log->current_at.tv_sec, log->current_at.tv_nsec);
	wlr_log(WLR_DEBUG,
		"surface %p: commit %u released after %.3f ms (%d fence%s, %s%s), applied at "
		"%lld.%09ld (woke at %lld.%09ld, unlocking at %lld.%09ld%s)",
		(void *)event->surface, event->seq, interval_ms(&event->committed, &event->woke),
		event->fences, event->fences == 1 ? "" : "s", commit_gate_form_name(event->form),
		event->status < 0 ? ", a fence signalled an error" : "",
		(long long)event->applied.tv_sec, event->applied.tv_nsec,
		(long long)event->woke.tv_sec, event->woke.tv_nsec,
		(long long)event->unlocking.tv_sec, event->unlocking.tv_nsec, current);
}

static void handle_destroy(struct wl_listener *listener, void *data)
{
	struct gate_log *log = wl_container_of(listener, log, destroy);

	wl_list_remove(&log->ready.link);
	wl_list_remove(&log->kms_handoff.link);
	wl_list_remove(&log->wait_begin.link);
	wl_list_remove(&log->wait_end.link);
	wl_list_remove(&log->applied.link);
	wl_list_remove(&log->destroy.link);
	wl_list_remove(&log->current.link);
	free(log);
}

bool gate_log_subscribe(struct sb_commit_gate *gate)
{
	struct gate_log *log = calloc(1, sizeof(*log));

	if (!log) {
		wlr_log(WLR_ERROR, "-d: out of memory");
		return false;
	}
	log->ready.notify = handle_ready;
	wl_signal_add(&gate->events.ready, &log->ready);
	log->kms_handoff.notify = handle_kms_handoff;
	wl_signal_add(&gate->events.kms_handoff, &log->kms_handoff);
	log->wait_begin.notify = handle_wait_begin;
	wl_signal_add(&gate->events.wait_begin, &log->wait_begin);
	log->wait_end.notify = handle_wait_end;
	wl_signal_add(&gate->events.wait_end, &log->wait_end);
	log->applied.notify = handle_applied;
	wl_signal_add(&gate->events.applied, &log->applied);
	log->destroy.notify = handle_destroy;
	wl_signal_add(&gate->events.destroy, &log->destroy);
	log->current.notify = handle_current;
	wl_list_init(&log->current.link);
	return true;
}
