// SPDX-License-Identifier: MIT
#include <stdio.h>
#include <stdlib.h>

#include <wlr/render/dmabuf.h>
#include <wlr/types/wlr_surface.h>
#include <wlr/util/log.h>

#include <syncbridge/dmabuf.h>
#include <syncbridge/sync_file.h>

#include "commit_gate.h"
#include "gate_trace.h"

#if SB_TRACE

struct gate_trace {
	struct sb_trace *trace;
	struct wl_listener commit;
	struct wl_listener kms_handoff;
	struct wl_listener wait_begin;
	struct wl_listener wait_end;
	struct wl_listener destroy;
};

/* A wait's id: unique over the run (a freed wait's address is not). */
static uint64_t wait_id(uint64_t track, uint32_t seq)
{
	return track << 32 | seq;
}

static const char *const buffer_names[] = {
	[SB_GATE_BUFFER_NONE] = "none",
	[SB_GATE_BUFFER_NULL] = "null",
	[SB_GATE_BUFFER_DMABUF] = "dmabuf",
	[SB_GATE_BUFFER_OTHER] = "other",
};

/*
 * Every commit and what its buffer was. The surface's track is made at its first commit, before
 * the gate asks the explicit-sync servers, which find it with sb_trace_surface_find().
 */
static void handle_commit(struct wl_listener *listener, void *data)
{
	struct gate_trace *gt = wl_container_of(listener, gt, commit);
	const struct sb_gate_commit_event *event = data;

	sb_trace_instant(gt->trace, sb_trace_surface_track(gt->trace, event->surface), "commit",
			 "\"seq\":%u,\"buffer\":\"%s\"", event->seq, buffer_names[event->buffer]);
}

static void handle_kms_handoff(struct wl_listener *listener, void *data)
{
	struct gate_trace *gt = wl_container_of(listener, gt, kms_handoff);
	const struct sb_gate_wait_event *event = data;

	sb_trace_instant(gt->trace, sb_trace_surface_track(gt->trace, event->surface),
			 "acquire handed to KMS", "\"seq\":%u", event->seq);
}

/*
 * The fences an implicit wait is for, by driver and timeline (SYNC_IOC_FILE_INFO), into names.
 * The gate's waiter does not keep its snapshot's sync_file: this takes one more export, paid only
 * when tracing.
 */
static void implicit_fence_names(const struct wlr_dmabuf_attributes *dmabuf, char *names,
				 size_t size)
{
	struct sb_sync_file *fence = sb_dmabuf_export_sync_file(dmabuf->fd[0], SB_ACCESS_READ);
	struct sb_sync_file_info info;
	size_t len = 0;

	if (fence && sb_sync_file_get_info(fence, &info) == 0) {
		for (uint32_t i = 0; i < info.num_fences && len < size; i++) {
			if (info.fences[i].status != 0)
				continue; /* already signalled: not what the commit waits for */
			len += (size_t)snprintf(names + len, size - len, "%s%s/%s", len ? " " : "",
						info.fences[i].driver_name,
						info.fences[i].timeline_name);
		}
		sb_sync_file_info_finish(&info);
	}
	sb_sync_file_destroy(fence);
}

static void handle_wait_begin(struct wl_listener *listener, void *data)
{
	struct gate_trace *gt = wl_container_of(listener, gt, wait_begin);
	const struct sb_gate_wait_event *event = data;
	char names[256] = "", escaped[512];
	uint64_t track;

	if (event->form != SB_GATE_FORM_EXPLICIT && event->dmabuf)
		implicit_fence_names(event->dmabuf, names, sizeof(names));
	track = sb_trace_surface_track(gt->trace, event->surface);
	sb_trace_begin(gt->trace, track, "wait", wait_id(track, event->seq),
		       "\"commit\":%u,\"form\":\"%s\",\"fences\":%d,\"planes\":%d,\"names\":\"%s\"",
		       event->seq, commit_gate_form_name(event->form), event->fences, event->planes,
		       sb_trace_str(escaped, sizeof(escaped), names));
}

static void handle_wait_end(struct wl_listener *listener, void *data)
{
	struct gate_trace *gt = wl_container_of(listener, gt, wait_end);
	const struct sb_gate_wait_event *event = data;
	uint64_t track = sb_trace_surface_track(gt->trace, event->surface);

	sb_trace_end(gt->trace, track, "wait", wait_id(track, event->seq),
		     "\"commit\":%u,\"status\":%d", event->seq, event->status);
}

static void handle_destroy(struct wl_listener *listener, void *data)
{
	struct gate_trace *gt = wl_container_of(listener, gt, destroy);

	wl_list_remove(&gt->commit.link);
	wl_list_remove(&gt->kms_handoff.link);
	wl_list_remove(&gt->wait_begin.link);
	wl_list_remove(&gt->wait_end.link);
	wl_list_remove(&gt->destroy.link);
	free(gt);
}

bool gate_trace_subscribe(struct sb_commit_gate *gate, struct sb_trace *trace)
{
	struct gate_trace *gt = calloc(1, sizeof(*gt));

	if (!gt) {
		wlr_log(WLR_ERROR, "--trace: out of memory");
		return false;
	}
	gt->trace = trace;
	gt->commit.notify = handle_commit;
	wl_signal_add(&gate->events.commit, &gt->commit);
	gt->kms_handoff.notify = handle_kms_handoff;
	wl_signal_add(&gate->events.kms_handoff, &gt->kms_handoff);
	gt->wait_begin.notify = handle_wait_begin;
	wl_signal_add(&gate->events.wait_begin, &gt->wait_begin);
	gt->wait_end.notify = handle_wait_end;
	wl_signal_add(&gate->events.wait_end, &gt->wait_end);
	gt->destroy.notify = handle_destroy;
	wl_signal_add(&gate->events.destroy, &gt->destroy);
	return true;
}

#endif /* SB_TRACE */
