// SPDX-License-Identifier: MIT
#include <stddef.h>

#include <wayland-client.h>

#include "tc_frame.h"

static void frame_done(void *data, struct wl_callback *callback, uint32_t time)
{
	struct tc_frame *frame = data;

	frame->done = true;
	if (frame->flag)
		*frame->flag = true;
	wl_callback_destroy(callback);
	frame->callback = NULL;
}

static const struct wl_callback_listener frame_listener = {.done = frame_done};

void tc_frame_request(struct tc_frame *frame, struct wl_surface *surface, bool *flag)
{
	tc_frame_finish(frame);
	frame->done = false;
	frame->flag = flag;
	if (flag)
		*flag = false;
	frame->callback = wl_surface_frame(surface);
	wl_callback_add_listener(frame->callback, &frame_listener, frame);
}

void tc_frame_finish(struct tc_frame *frame)
{
	if (frame->callback)
		wl_callback_destroy(frame->callback);
	frame->callback = NULL;
}
