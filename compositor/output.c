// SPDX-License-Identifier: MIT
/* Outputs: configured from [output] sections, rendered through the scene, one frame at a time. */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <pixman.h>

#include <wlr/backend.h>
#include <wlr/backend/drm.h>
#include <wlr/backend/headless.h>
#include <wlr/interfaces/wlr_output.h>
#include <wlr/render/allocator.h>
#include <wlr/types/wlr_buffer.h>
#include <wlr/types/wlr_output.h>
#include <wlr/types/wlr_output_damage.h>
#include <wlr/types/wlr_output_layout.h>
#include <wlr/types/wlr_scene.h>
#include <wlr/util/box.h>
#include <wlr/util/log.h>

#include <syncbridge/dmabuf.h>
#include <syncbridge/sync_file.h>
#include <syncbridge/waiter.h>

#include "capture_trigger.h"
#include "frame_clock.h"
#include "kms_out_fence.h"
#include "linux_dmabuf_v1.h"
#include "render_fence.h"
#include "server.h"
#include "trace.h"

struct sb_output {
	struct wl_list link; /* sb_server.outputs */
	struct sb_server *server;
	struct wlr_output *wlr_output;
	struct wl_listener frame;
	struct wl_listener present;
	struct wl_listener destroy;
	struct wl_listener precommit;
	struct wl_listener commit;
	uint64_t last_frame_ns; /* CLOCK_MONOTONIC of the last frame event */
	uint64_t track;		/* its track in --trace */
	/*
	 * acquire=kms: a frame that would compose a buffer whose handed-off acquire fence is still
	 * pending waits for it here (the pixman renderer must not read it before), then asks for a
	 * frame again.
	 */
	struct sb_waiter *fence_waiter;
	struct wl_event_source *fence_source;
	/*
	 * The client buffer of the last committed frame (direct scanout), on screen until the next
	 * commit's flip; NULL when the frame was composed into the output's own buffer.
	 */
	struct wlr_buffer *shown;
	struct wl_listener shown_destroy;
	struct wlr_buffer *committing; /* between precommit and commit: what goes on screen */
	/* DRM outputs: the device and connector whose CRTC's out-fences are this output's. */
	dev_t drm_device;
	uint32_t drm_connector;
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

/* Which surfaces share an output's box with one surface, and where that surface is. */
struct scanout_check {
	struct wlr_surface *surface;
	struct wlr_box box; /* the output, in layout coordinates */
	bool found, at_origin, others;
};

static void scanout_check_surface(struct wlr_surface *surface, int lx, int ly, void *data)
{
	struct scanout_check *check = data;
	struct wlr_box box = {lx, ly, surface->current.width, surface->current.height}, common;

	if (surface == check->surface) {
		check->found = true;
		check->at_origin = lx == check->box.x && ly == check->box.y;
		return;
	}
	if (wlr_box_intersection(&common, &box, &check->box))
		check->others = true;
}

/* Whether surface is at output's origin with nothing else on the output (its size aside). */
static bool surface_alone_on(struct sb_server *server, struct wlr_output *output,
			     struct wlr_surface *surface)
{
	struct wlr_box *box = wlr_output_layout_get_box(server->output_layout, output);
	struct scanout_check check = {.surface = surface};

	if (!box)
		return false;
	check.box = *box;
	wlr_scene_node_for_each_surface(&server->scene->node, scanout_check_surface, &check);
	return check.found && check.at_origin && !check.others;
}

bool server_surface_can_scanout(void *data, struct wlr_surface *surface, struct wlr_buffer *buffer)
{
	struct sb_server *server = data;
	const struct wlr_surface_state *next = &surface->pending;
	struct sb_output *output;

	/* Like wlroots' scene (scene_output_scanout): no crop, the output's transform and scale. */
	if (!buffer || next->viewport.has_src || sb_dmabuf_buffer_y_inverted(buffer))
		return false;
	wl_list_for_each(output, &server->outputs, link) {
		struct wlr_output *o = output->wlr_output;

		if (!o->enabled || !wlr_output_is_drm(o) || next->transform != o->transform ||
		    (float)next->scale != o->scale || buffer->width != o->width ||
		    buffer->height != o->height)
			continue;
		if (surface_alone_on(server, o, surface))
			return true;
	}
	return false;
}

/* A visible dma-buf whose fences a reader must still wait for, with its surface. */
struct unready_buffer {
	struct wlr_surface *surface;
	int fd;
};

static void find_unready(struct wlr_surface *surface, int sx, int sy, void *data)
{
	struct unready_buffer *unready = data;
	struct wlr_buffer *source = surface->buffer ? surface->buffer->source : NULL;
	struct wlr_dmabuf_attributes attribs;

	if (unready->surface || !sb_dmabuf_buffer_is(source) ||
	    !wlr_buffer_get_dmabuf(source, &attribs))
		return;
	/* linux-dmabuf checked the fd: one poll(), no fstatfs(). */
	if (sb_dmabuf_is_idle(attribs.fd[0], SB_ACCESS_READ | SB_ACCESS_CHECKED) == 0) {
		unready->surface = surface;
		unready->fd = attribs.fd[0];
	}
}

static bool surface_y_inverted(struct wlr_surface *surface)
{
	return surface->buffer && sb_dmabuf_buffer_y_inverted(surface->buffer->source);
}

static void find_y_inverted(struct wlr_surface *surface, int sx, int sy, void *data)
{
	if (surface_y_inverted(surface))
		*(bool *)data = true;
}

/*
 * KMS (through wlroots 0.15's DRM backend) has no way to be told a buffer is y-inverted: a frame
 * showing one is composed, where the renderer flips it. wlroots' scene tries direct scanout on its
 * own; the attach-render lock makes that test fail for this frame.
 */
static bool lock_scanout_if_y_inverted(struct wlr_scene_output *scene_output)
{
	bool found = false;

	wlr_scene_output_for_each_surface(scene_output, find_y_inverted, &found);
	if (found)
		wlr_output_lock_attach_render(scene_output->output, true);
	return found;
}

/* Whether the frame will be surface's buffer scanned out: wlroots' own test, then rolled back. */
static bool frame_scans_out(struct sb_output *output, struct wlr_surface *surface)
{
	struct wlr_output *o = output->wlr_output;
	bool ok;

	if (!surface->buffer || surface_y_inverted(surface) ||
	    !surface_alone_on(output->server, o, surface) ||
	    surface->buffer->base.width != o->width || surface->buffer->base.height != o->height)
		return false;
	wlr_output_attach_buffer(o, &surface->buffer->base);
	ok = wlr_output_test(o);
	wlr_output_rollback(o);
	return ok;
}

static void fence_waiter_stop(struct sb_output *output)
{
	if (output->fence_source)
		wl_event_source_remove(output->fence_source);
	sb_waiter_destroy(output->fence_waiter);
	output->fence_source = NULL;
	output->fence_waiter = NULL;
}

static void fence_waiter_done(struct sb_waiter *waiter, int status, void *data)
{
	struct sb_output *output = data;

	wlr_log(WLR_DEBUG, "output %s: the composed buffer's fence signalled (status %d)",
		output->wlr_output->name, status);
	wlr_output_schedule_frame(output->wlr_output);
}

static int fence_waiter_ready(int fd, uint32_t mask, void *data)
{
	struct sb_output *output = data;

	if (sb_waiter_dispatch_ready(output->fence_waiter) != 0)
		fence_waiter_stop(output);
	return 0;
}

/* Waits in the event loop for the fences of fd a reader must wait for, then asks for a frame. */
static void wait_then_frame(struct sb_output *output, int fd)
{
	struct wl_event_loop *loop = output->server->loop;

	if (output->fence_waiter)
		return;
	output->fence_waiter = sb_waiter_create(fence_waiter_done, output);
	if (!output->fence_waiter ||
	    sb_waiter_add_dmabuf(output->fence_waiter, fd, SB_ACCESS_READ, SB_WAIT_CHECKED_DMABUF) <
		    0 ||
	    sb_waiter_pending(output->fence_waiter) == 0 ||
	    !(output->fence_source =
		      wl_event_loop_add_fd(loop, sb_waiter_get_fd(output->fence_waiter),
					   WL_EVENT_READABLE, fence_waiter_ready, output))) {
		/* Nothing to wait for, or no way to: the next frame comes from the timer. */
		fence_waiter_stop(output);
		wlr_output_schedule_frame(output->wlr_output);
	}
}

static void output_frame(struct wl_listener *listener, void *data)
{
	struct sb_output *output = wl_container_of(listener, output, frame);
	struct wlr_scene_output *scene_output =
		wlr_scene_get_scene_output(output->server->scene, output->wlr_output);
	struct timespec now;
	bool begin, bracketed = false, scanout_locked, committed;

	/* --frame-clock stepped: this frame waits until the clients drew their last one. */
	if (!frame_clock_frame_begins(output->server->frame_clock, output->wlr_output))
		return;
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
	if (begin && output->server->config.sync.acquire == SB_ACQUIRE_KMS) {
		struct unready_buffer unready = {0};

		/*
		 * A handed-off acquire fence may still be pending: KMS waits for it on a buffer it
		 * scans out, the CPU must not read the buffer before it signals.
		 */
		wlr_scene_output_for_each_surface(scene_output, find_unready, &unready);
		if (unready.surface && !frame_scans_out(output, unready.surface)) {
			wlr_log(WLR_DEBUG, "output %s: frame waits for a composed buffer's fence",
				output->wlr_output->name);
			wait_then_frame(output, unready.fd);
			goto done;
		}
		/* Scanned out: no CPU read to bracket. */
		if (unready.surface)
			begin = false;
	}
	if (begin)
		wlr_scene_output_for_each_surface(scene_output, surface_cpu_read, &begin);
	bracketed = begin;
	scanout_locked = sb_dmabuf_buffers_alive() && lock_scanout_if_y_inverted(scene_output);
	committed = wlr_scene_output_commit(scene_output);
	if (scanout_locked)
		wlr_output_lock_attach_render(output->wlr_output, false);
	if (!committed)
		goto done;
	/* Composed, not scanned out: GLES2 read the client buffers on the GPU. */
	if (!scene_output->prev_scanout)
		render_fence_frame_done(output->server->render_fence, scene_output);
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

		frame_clock_now(output->server->frame_clock, &now);
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
	/* After the frame is shown: capture triggers see what it presented. */
	capture_trigger_frame(output->server, output->wlr_output);
	frame_clock_now(output->server->frame_clock, &now);
	frame_clock_frame_done(output->server->frame_clock, scene_output);
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

static void output_set_shown(struct sb_output *output, struct wlr_buffer *buffer)
{
	wl_list_remove(&output->shown_destroy.link);
	wl_list_init(&output->shown_destroy.link);
	output->shown = buffer;
	if (buffer)
		wl_signal_add(&buffer->events.destroy, &output->shown_destroy);
}

static void output_shown_destroy(struct wl_listener *listener, void *data)
{
	struct sb_output *output = wl_container_of(listener, output, shown_destroy);

	output_set_shown(output, NULL);
}

/*
 * A client buffer this commit flips away from is still scanned out until the flip: the commit's
 * out-fence goes into it as a READ fence, so an implicit-sync writer waits for the flip.
 */
static void output_precommit(struct wl_listener *listener, void *data)
{
	struct sb_output *output = wl_container_of(listener, output, precommit);
	struct wlr_output_state *pending = &output->wlr_output->pending;
	int stale = kms_out_fence_take(output->drm_device, output->drm_connector);

	/*
	 * The commit event may take only the out-fence of this commit's flip. One still there is
	 * of an atomic commit wlroots made without a commit event (the output's first modeset).
	 */
	if (stale >= 0) {
		wlr_log(WLR_DEBUG, "output %s: an out-fence no commit event took, closed",
			output->wlr_output->name);
		close(stale);
	}
	/*
	 * wlroots 0.15 clears the pending state before the commit event, whose buffer is only ever
	 * the output's own back buffer: a client buffer attached for direct scanout is seen here.
	 */
	output->committing = NULL;
	if ((pending->committed & WLR_OUTPUT_STATE_BUFFER) && pending->buffer &&
	    wlr_client_buffer_get(pending->buffer))
		output->committing = pending->buffer;
}

static void output_commit(struct wl_listener *listener, void *data)
{
	struct sb_output *output = wl_container_of(listener, output, commit);
	struct wlr_output_event_commit *event = data;
	int fence_fd = kms_out_fence_take(output->drm_device, output->drm_connector);
	struct wlr_buffer *old = output->shown, *next = output->committing;
	struct wlr_dmabuf_attributes attribs;

	output->committing = NULL;
	if (!(event->committed & WLR_OUTPUT_STATE_BUFFER)) {
		if (fence_fd >= 0)
			close(fence_fd);
		return;
	}
	if (output->drm_connector)
		wlr_log(WLR_DEBUG, "output %s: commit %u: %s", output->wlr_output->name,
			output->wlr_output->commit_seq,
			fence_fd >= 0 ? "its CRTC's out-fence" : "no out-fence");
	if (fence_fd >= 0 && old && old != next && wlr_buffer_get_dmabuf(old, &attribs)) {
		struct sb_sync_file *fence = sb_sync_file_import(fence_fd);
		int ok = 0;

		fence_fd = -1; /* the sync_file owns it, on failure too */
		for (int i = 0; fence && i < attribs.n_planes; i++) {
			if (i > 0 && attribs.fd[i] == attribs.fd[i - 1])
				continue;
			if (sb_dmabuf_import_sync_file(attribs.fd[i], fence, SB_ACCESS_READ) == 0)
				ok++;
		}
		wlr_log(WLR_DEBUG, "output %s: commit %u flips away from client buffer %p: %s",
			output->wlr_output->name, output->wlr_output->commit_seq, (void *)old,
			ok ? "the flip's out-fence read fence imported" : "no read fence imported");
		sb_sync_file_destroy(fence);
	}
	if (fence_fd >= 0)
		close(fence_fd);
	output_set_shown(output, next);
}

static void output_destroy(struct wl_listener *listener, void *data)
{
	struct sb_output *output = wl_container_of(listener, output, destroy);
	int fence_fd;

	wlr_log(WLR_INFO, "output %s: gone", output->wlr_output->name);
	fence_waiter_stop(output);
	/* Its CRTC's last out-fence, if no commit event took it: no one will now. */
	fence_fd = kms_out_fence_take(output->drm_device, output->drm_connector);
	if (fence_fd >= 0)
		close(fence_fd);
	output_set_shown(output, NULL);
	wl_list_remove(&output->shown_destroy.link);
	wl_list_remove(&output->commit.link);
	wl_list_remove(&output->precommit.link);

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

		/*
		 * A listed mode of that size: with a refresh rate, the nearest within 1 Hz (a
		 * monitor's 60 Hz is 59.940 or 60.004 Hz, never 60.000 as written); without one, the
		 * fastest. Else a custom mode.
		 */
		wl_list_for_each(m, &wlr_output->modes, link) {
			if (m->width != oc->width || m->height != oc->height)
				continue;
			if (oc->refresh_mhz == 0) {
				if (!best || m->refresh > best->refresh)
					best = m;
			} else if (abs(m->refresh - oc->refresh_mhz) <= 1000 &&
				   (!best || abs(m->refresh - oc->refresh_mhz) <
						     abs(best->refresh - oc->refresh_mhz))) {
				best = m;
			}
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
	wlr_output->data = output;
	/*
	 * The modeset just committed lit its connector's CRTC on its own device: none if out-fences
	 * are off (the legacy KMS interface, a driver that refused OUT_FENCE_PTR).
	 */
	if (wlr_output_is_drm(wlr_output) &&
	    kms_out_fence_device_of(wlr_drm_connector_get_id(wlr_output), &output->drm_device))
		output->drm_connector = wlr_drm_connector_get_id(wlr_output);
	output->frame.notify = output_frame;
	wl_signal_add(&wlr_output->events.frame, &output->frame);
	output->present.notify = output_present;
	wl_signal_add(&wlr_output->events.present, &output->present);
	output->destroy.notify = output_destroy;
	wl_signal_add(&wlr_output->events.destroy, &output->destroy);
	output->precommit.notify = output_precommit;
	wl_signal_add(&wlr_output->events.precommit, &output->precommit);
	output->commit.notify = output_commit;
	wl_signal_add(&wlr_output->events.commit, &output->commit);
	output->shown_destroy.notify = output_shown_destroy;
	wl_list_init(&output->shown_destroy.link);
	output->track = (uint64_t)wl_list_length(&server->outputs) + 1;
	sb_trace_track_name(server->trace, output->track, "output %s", wlr_output->name);
	wl_list_insert(server->outputs.prev, &output->link);
	wlr_output_layout_add_auto(server->output_layout, wlr_output);
	wlr_output_create_global(wlr_output);
	wlr_log(WLR_INFO, "output %s: %dx%d@%.3fHz scale %.2f", wlr_output->name, wlr_output->width,
		wlr_output->height, wlr_output->refresh / 1000.0, wlr_output->scale);
}

struct wlr_output *output_wlr_output(struct sb_output *output)
{
	return output->wlr_output;
}

struct sb_server *output_server(struct sb_output *output)
{
	return output->server;
}

struct sb_output *output_from_wlr(struct wlr_output *wlr_output)
{
	return wlr_output->data;
}

bool output_configure(struct wlr_output *wlr_output, const struct sb_output_config *oc,
		      bool test_only)
{
	output_apply_config(wlr_output, oc);
	if (test_only) {
		bool ok = wlr_output_test(wlr_output);

		wlr_output_rollback(wlr_output);
		return ok;
	}
	return wlr_output_commit(wlr_output);
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
