/* SPDX-License-Identifier: MIT */
#ifndef SB_TC_FRAME_H
#define SB_TC_FRAME_H

#include <stdbool.h>

struct wl_callback;
struct wl_surface;

/* A wl_surface.frame callback in flight; destroyed with its surface if it never fires (a held
 * commit). */
struct tc_frame {
	struct wl_callback *callback;
	bool done;
	bool *flag; /* set with done */
};

/* Asks for a frame callback on surface that sets frame->done and *flag (flag may be NULL). */
void tc_frame_request(struct tc_frame *frame, struct wl_surface *surface, bool *flag);
/* Destroys the callback if it never fired. */
void tc_frame_finish(struct tc_frame *frame);

#endif
