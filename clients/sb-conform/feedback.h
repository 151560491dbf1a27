/* SPDX-License-Identifier: MIT */
#ifndef SB_CONFORM_FEEDBACK_H
#define SB_CONFORM_FEEDBACK_H

#include <stdbool.h>
#include <stdint.h>

struct wl_surface;
struct wp_presentation;
struct wp_presentation_feedback;

/* One wp_presentation_feedback and what it reported (cases_frame.c, cases_timing.c). */
struct feedback {
	struct wp_presentation_feedback *obj; /* until its presented or discarded event */
	bool presented, discarded, done;
	uint64_t when_ns; /* presented: the time it reported, in ns of the presentation clock */
};

/* Asks for the surface's next commit's feedback into f. */
void feedback_request(struct feedback *f, struct wp_presentation *presentation,
		      struct wl_surface *surface);

/* Destroys the feedback object if no event has yet. */
void feedback_finish(struct feedback *f);

#endif
