/* SPDX-License-Identifier: MIT */
#ifndef SB_FRAME_CLOCK_H
#define SB_FRAME_CLOCK_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

struct sb_frame_clock;
struct wl_display;
struct wlr_compositor;
struct wlr_output;
struct wlr_scene_output;

/*
 * The time that frame callbacks and presentation feedback carry. Real: CLOCK_MONOTONIC. Stepped
 * (--frame-clock stepped): a clock that starts at SB_FRAME_CLOCK_EPOCH_NS and advances by exactly
 * one refresh period per frame that answers a frame callback (it stands still while no client
 * asks for frames), and a frame waits (up to SB_FRAME_CLOCK_WAIT_MS) until every
 * surface that was sent a frame callback has committed again; so a client that animates from
 * frame-callback time draws the same frames on a slow machine as on a fast one.
 */
#define SB_FRAME_CLOCK_EPOCH_NS 1000000000ull
#define SB_FRAME_CLOCK_WAIT_MS 1000

/* NULL (and logs why) on allocation failure; a real clock does nothing but read the time. */
struct sb_frame_clock *frame_clock_create(struct wl_display *display,
					  struct wlr_compositor *compositor, bool stepped);
void frame_clock_destroy(struct sb_frame_clock *clock);
/* output.c, at an output's frame event: false if this frame must wait for a client. */
bool frame_clock_frame_begins(struct sb_frame_clock *clock, struct wlr_output *output);
/* output.c: the time of the frame being made, for frame callbacks and presentation. */
void frame_clock_now(struct sb_frame_clock *clock, struct timespec *now);
uint64_t frame_clock_now_ns(struct sb_frame_clock *clock);
/* output.c, before wlr_scene_output_send_frame_done: notes who is owed a new commit. */
void frame_clock_frame_done(struct sb_frame_clock *clock, struct wlr_scene_output *scene_output);

#endif
