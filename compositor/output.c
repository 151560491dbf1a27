// SPDX-License-Identifier: MIT
/* Outputs: configured from [output] sections, rendered through the scene, one frame at a time. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <pixman.h>

#include <wlr/backend.h>
#include <wlr/backend/headless.h>
#include <wlr/interfaces/wlr_output.h>
#include <wlr/render/allocator.h>
#include <wlr/types/wlr_buffer.h>
#include <wlr/types/wlr_output.h>
#include <wlr/types/wlr_output_damage.h>
#include <wlr/types/wlr_output_layout.h>
#include <wlr/types/wlr_scene.h>
#include <wlr/util/log.h>

#include "linux_dmabuf_v1.h"
#include "server.h"
#include "trace.h"

struct sb_output {
	struct wl_list link; /* sb_server.outputs */
	struct sb_server *server;
	struct wlr_output *wlr_output;
	struct wl_listener frame;
	struct wl_listener present;
	struct wl_listener destroy;
	uint64_t last_frame_ns; /* CLOCK_MONOTONIC of the last frame event */
	uint64_t track;		/* its track in --trace */
};

/* --trace: what happened to each surface shown on an output, at a time. */
struct trace_mark {
	struct sb_trace *trace;
	const char *name;
	uint64_t when_ns;
	uint32_t commit_seq;
};

static void surface_trace_mark(struct wlr_surface *surface, int sx, int sy, void *data)
{
	struct trace_mark *mark = data;

	sb_trace_instant_at(mark->trace, sb_trace_surface_track(mark->trace, surface),
			    mark->when_ns, mark->name, "\"output_commit\":%u", mark->commit_seq);
}

static uint64_t timespec_ns(const struct timespec *ts)
{
	return (uint64_t)ts->tv_sec * 1000000000ull + (uint64_t)ts->tv_nsec;
}

uint64_t server_next_present_ns(void *data)
{
	struct sb_server *server = data;
	struct wlr_output *primary = server_primary_output(server);
	struct sb_output *output;
	struct timespec now;
	uint64_t period, next, now_ns;

	if (!primary || primary->refresh <= 0)
		return 0;
	wl_list_for_each(output, &server->outputs, link) {
		if (output->wlr_output != primary || output->last_frame_ns == 0)
			continue;
		clock_gettime(CLOCK_MONOTONIC, &now);
		now_ns = timespec_ns(&now);
		period = 1000000000000ull / (uint64_t)primary->refresh;
		next = output->last_frame_ns + period;
		if (next <= now_ns)
			next += ((now_ns - next) / period + 1) * period;
		return next;
	}
	return 0;
}

static void surface_cpu_read(struct wlr_surface *surface, int sx, int sy, void *data)
{
	bool begin = *(bool *)data;
	struct wlr_buffer *source = surface->buffer ? surface->buffer->source : NULL;

	if (!sb_dmabuf_buffer_is(source))
		return;
	if (begin)
		sb_dmabuf_buffer_begin_cpu_read(source);
	else
		sb_dmabuf_buffer_end_cpu_read(source);
}

void output_bracket_cpu_reads(struct sb_server *server, struct wlr_output *wlr_output, bool begin)
{
	struct wlr_scene_output *scene_output =
		wlr_scene_get_scene_output(server->scene, wlr_output);

	if (scene_output)
		wlr_scene_output_for_each_surface(scene_output, surface_cpu_read, &begin);
}

static void output_frame(struct wl_listener *listener, void *data)
{
	struct sb_output *output = wl_container_of(listener, output, frame);
	struct wlr_scene_output *scene_output =
		wlr_scene_get_scene_output(output->server->scene, output->wlr_output);
	struct timespec now;
	bool begin, bracketed;

	clock_gettime(CLOCK_MONOTONIC, &now);
	output->last_frame_ns = timespec_ns(&now);
	if (!scene_output)
		return;
	/*
	 * The pixman renderer reads client dma-bufs while it composes: bracket the frame. Only a
	 * frame that will be rendered: wlr_scene_output_commit() renders when the output needs a
	 * frame or has damage (wlr_output_damage_attach_render()), and a frame callback alone
	 * asks for neither. And no walk over every surface while no client has a dma-buf.
	 */
	begin = sb_dmabuf_buffers_alive() &&
		(output->wlr_output->needs_frame ||
		 pixman_region32_not_empty(&scene_output->damage->current));
	if (begin)
		wlr_scene_output_for_each_surface(scene_output, surface_cpu_read, &begin);
	bracketed = begin;
	if (!wlr_scene_output_commit(scene_output))
		goto done;
	if (output->server->trace) {
		struct trace_mark mark = {output->server->trace, "rendered", sb_trace_now_ns(),
					  output->wlr_output->commit_seq};

		sb_trace_instant_at(mark.trace, output->track, mark.when_ns, "frame",
				    "\"output_commit\":%u", mark.commit_seq);
		wlr_scene_output_for_each_surface(scene_output, surface_trace_mark, &mark);
	}
	if (wlr_output_is_headless(output->wlr_output)) {
		/*
		 * wlroots 0.15's headless outputs never emit `present`, so wp_presentation
		 * feedback would stay pending forever. There is no scanout: the frame is
		 * "presented" when it is committed.
		 */
		struct wlr_output_event_present present = {
			.output = output->wlr_output,
			.commit_seq = output->wlr_output->commit_seq,
			.presented = true,
		};

		clock_gettime(CLOCK_MONOTONIC, &now);
		present.when = &now;
		present.refresh = output->wlr_output->refresh > 0
					  ? (int)(1000000000000LL / output->wlr_output->refresh)
					  : 0;
		wlr_output_send_present(output->wlr_output, &present);
	}
done:
	begin = false;
	if (bracketed)
		wlr_scene_output_for_each_surface(scene_output, surface_cpu_read, &begin);
	clock_gettime(CLOCK_MONOTONIC, &now);
	wlr_scene_output_send_frame_done(scene_output, &now);
}

static void output_present(struct wl_listener *listener, void *data)
{
	struct sb_output *output = wl_container_of(listener, output, present);
	struct wlr_output_event_present *event = data;
	struct wlr_scene_output *scene_output;
	struct trace_mark mark = {output->server->trace, "presented", 0, event->commit_seq};

	/* Tracing off: nothing but this test on every presentation. */
	if (!SB_TRACE || !mark.trace)
		return;
	scene_output = wlr_scene_get_scene_output(output->server->scene, output->wlr_output);
	mark.when_ns = sb_trace_now_ns();
	if (event->when)
		mark.when_ns = (uint64_t)event->when->tv_sec * 1000000000ull +
			       (uint64_t)event->when->tv_nsec;
	sb_trace_instant_at(mark.trace, output->track, mark.when_ns,
			    event->presented ? "presented" : "discarded", "\"output_commit\":%u",
			    event->commit_seq);
	if (event->presented && scene_output)
		wlr_scene_output_for_each_surface(scene_output, surface_trace_mark, &mark);
}

static void output_destroy(struct wl_listener *listener, void *data)
{
	struct sb_output *output = wl_container_of(listener, output, destroy);

	wl_list_remove(&output->present.link);
	wl_list_remove(&output->frame.link);
	wl_list_remove(&output->destroy.link);
	wl_list_remove(&output->link);
	free(output);
}

static void output_apply_config(struct wlr_output *wlr_output, const struct sb_output_config *oc)
{
	struct wlr_output_mode *mode = wlr_output_preferred_mode(wlr_output);

	wlr_output_enable(wlr_output, !oc || oc->enabled);
	if (oc && oc->width > 0 && oc->height > 0) {
		struct wlr_output_mode *m, *best = NULL;

		/* A listed mode of that size (and refresh, if given), else a custom mode. */
		wl_list_for_each(m, &wlr_output->modes, link) {
			if (m->width == oc->width && m->height == oc->height &&
			    (oc->refresh_mhz == 0 || m->refresh == oc->refresh_mhz))
				best = m;
		}
		if (best)
			wlr_output_set_mode(wlr_output, best);
		else
			wlr_output_set_custom_mode(wlr_output, oc->width, oc->height,
						   oc->refresh_mhz);
	} else if (mode) {
		wlr_output_set_mode(wlr_output, mode);
	}
	if (oc) {
		wlr_output_set_scale(wlr_output, (float)oc->scale);
		wlr_output_set_transform(wlr_output, oc->transform);
	}
}

void server_new_output(struct wl_listener *listener, void *data)
{
	struct sb_server *server = wl_container_of(listener, server, new_output);
	struct wlr_output *wlr_output = data;
	const struct sb_output_config *oc =
		sb_config_find_output(&server->config, wlr_output->name);
	struct sb_output *output;

	if (!wlr_output_init_render(wlr_output, server->allocator, server->renderer)) {
		wlr_log(WLR_ERROR, "output %s: cannot render to it", wlr_output->name);
		return;
	}
	output_apply_config(wlr_output, oc);
	if (!wlr_output_commit(wlr_output)) {
		wlr_log(WLR_ERROR, "output %s: the configured mode was refused", wlr_output->name);
		return;
	}
	output = calloc(1, sizeof(*output));
	if (!output) {
		wlr_log(WLR_ERROR, "output %s: out of memory", wlr_output->name);
		return;
	}
	output->server = server;
	output->wlr_output = wlr_output;
	output->frame.notify = output_frame;
	wl_signal_add(&wlr_output->events.frame, &output->frame);
	output->present.notify = output_present;
	wl_signal_add(&wlr_output->events.present, &output->present);
	output->destroy.notify = output_destroy;
	wl_signal_add(&wlr_output->events.destroy, &output->destroy);
	output->track = (uint64_t)wl_list_length(&server->outputs) + 1;
	sb_trace_track_name(server->trace, output->track, "output %s", wlr_output->name);
	wl_list_insert(server->outputs.prev, &output->link);
	wlr_output_layout_add_auto(server->output_layout, wlr_output);
	wlr_output_create_global(wlr_output);
	wlr_log(WLR_INFO, "output %s: %dx%d@%.3fHz scale %.2f", wlr_output->name, wlr_output->width,
		wlr_output->height, wlr_output->refresh / 1000.0, wlr_output->scale);
}

struct wlr_output *server_primary_output(struct sb_server *server)
{
	struct sb_output *output;

	wl_list_for_each(output, &server->outputs, link) {
		if (output->wlr_output->enabled)
			return output->wlr_output;
	}
	return NULL;
}
