/* SPDX-License-Identifier: MIT */
#ifndef SB_CLIENT_FRAME_H
#define SB_CLIENT_FRAME_H

#include <stdbool.h>
#include <stdint.h>

#include <wayland-client.h>

struct fence;
struct window;

enum feedback_state {
	FEEDBACK_NONE, /* no wp_presentation */
	FEEDBACK_PENDING,
	FEEDBACK_PRESENTED,
	FEEDBACK_DISCARDED,
};

/*
 * One commit and what came back for it. Times are CLOCK_MONOTONIC ns, 0 until it happened.
 * The frame owns the protocol objects and fence timers still in flight for it.
 */
struct frame {
	struct window *window;
	uint64_t number;
	int buffer_index;

	uint64_t commit_ns;
	uint64_t acquire_signal_ns;
	uint64_t later_import_ns;
	uint64_t later_signal_ns;
	uint64_t frame_done_ns;
	uint64_t presented_ns;
	uint64_t release_ns;	      /* wl_buffer.release */
	uint64_t explicit_release_ns; /* zwp_linux_buffer_release_v1 */
	bool explicit_release_fenced;
	uint64_t syncobj_release_ns; /* --syncobj: the release point signalled */

	enum feedback_state feedback_state;
	uint32_t presented_flags;
	uint32_t refresh_ns;
	uint64_t msc;

	struct fence *acquire;
	struct fence *later;
	bool acquire_never, later_never;
	uint64_t later_deadline_ns;

	struct wl_callback *frame_callback;
	struct wp_presentation_feedback *feedback;
	struct zwp_linux_buffer_release_v1 *release;
	struct wl_callback *later_sync; /* the commit has been processed: import the later fence */
	struct loop_timer *acquire_timer;
	struct loop_timer *later_timer;

	/* --syncobj: 0 when not used */
	uint64_t acquire_point, release_point;
	int release_eventfd;
	struct loop_fd *release_watch;
};

struct frame *frame_create(struct window *window, uint64_t number, int buffer_index);
void frame_destroy(struct frame *frame);

/*
 * Before wl_surface.commit: wl_surface.frame, wp_presentation.feedback, get_release, and with
 * --syncobj a watch on the release point. Returns -1 (after a message) if that cannot be set up.
 */
int frame_request_events(struct frame *frame);
/*
 * After wl_surface.commit: arms the acquire fence's signal, and for a later fence sends a
 * wl_display.sync whose done imports it (the commit has then been processed).
 */
void frame_committed(struct frame *frame);
bool frame_settled(const struct frame *frame);

#endif
