// SPDX-License-Identifier: MIT
/* A wp_presentation_feedback and what it reported: feedback.h. */
#include <wayland-client.h>

#include "feedback.h"
#include "presentation-time-client-protocol.h"

static void feedback_sync_output(void *data, struct wp_presentation_feedback *obj,
				 struct wl_output *output)
{
}

static void feedback_presented(void *data, struct wp_presentation_feedback *obj, uint32_t sec_hi,
			       uint32_t sec_lo, uint32_t nsec, uint32_t refresh, uint32_t seq_hi,
			       uint32_t seq_lo, uint32_t flags)
{
	struct feedback *f = data;

	f->presented = f->done = true;
	f->when_ns = (((uint64_t)sec_hi << 32 | sec_lo) * 1000000000ull) + nsec;
	wp_presentation_feedback_destroy(obj);
	f->obj = NULL;
}

static void feedback_discarded(void *data, struct wp_presentation_feedback *obj)
{
	struct feedback *f = data;

	f->discarded = f->done = true;
	wp_presentation_feedback_destroy(obj);
	f->obj = NULL;
}

static const struct wp_presentation_feedback_listener feedback_listener = {
	.sync_output = feedback_sync_output,
	.presented = feedback_presented,
	.discarded = feedback_discarded,
};

void feedback_request(struct feedback *f, struct wp_presentation *presentation,
		      struct wl_surface *surface)
{
	*f = (struct feedback){.obj = wp_presentation_feedback(presentation, surface)};
	wp_presentation_feedback_add_listener(f->obj, &feedback_listener, f);
}

void feedback_finish(struct feedback *f)
{
	if (f->obj)
		wp_presentation_feedback_destroy(f->obj);
	f->obj = NULL;
}
