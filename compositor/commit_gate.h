/* SPDX-License-Identifier: MIT */
#ifndef SB_COMMIT_GATE_H
#define SB_COMMIT_GATE_H

#include <stdbool.h>
#include <stdint.h>

#include <wayland-server-core.h>

#include "config.h"

/*
 * The commit gate: a commit that attaches a dma-buf is held until the fences it must wait for
 * have signalled. The fences are taken at commit time (DMA_BUF_IOCTL_EXPORT_SYNC_FILE, READ), so
 * GPU work the client queues later cannot delay the frame; the surface state is held with
 * wlr_surface_lock_pending() and released from the event loop, which never blocks.
 */
struct sb_commit_gate;
struct sb_waiter;
struct wlr_buffer;
struct wlr_surface;

/*
 * An explicit-sync protocol server (syncobj_v1.c, explicit_sync_v1.c). At wl_surface.commit, before
 * wlroots moves the pending state, the gate asks each source in turn for the commit's acquire
 * fence. commit() returns:
 *   1  it validated the commit and added its acquire fence to waiter: no implicit snapshot;
 *   0  the surface has no explicit state for this commit: the gate goes on (implicit for dma-bufs);
 *  -1  the commit is a protocol error, already posted: the gate holds nothing;
 *  -2  the acquire fence cannot be waited for (errno: ENOMEM, EMFILE...): the gate refuses the
 *      commit as out of memory, since applying it would show the buffer before its fence.
 * The gate owns the waiter: a source adds to it and keeps nothing of it.
 */
struct sb_gate_source {
	int (*commit)(struct sb_gate_source *source, struct wlr_surface *surface,
		      struct sb_waiter *waiter);
	/*
	 * Whether commit() has anything to do for the surface (it has the protocol's per-surface
	 * object). A commit without a dma-buf that no source is interested in costs the gate
	 * nothing: no wait, no waiter.
	 */
	bool (*interested)(struct sb_gate_source *source, struct wlr_surface *surface);
	struct wl_list link; /* sb_commit_gate.sources */
};

/*
 * When the output expects to present next (CLOCK_MONOTONIC, ns), or 0 if unknown: the gate sets it
 * as the deadline (SYNC_IOC_SET_DEADLINE) of every fence it waits on.
 */
typedef uint64_t (*sb_gate_deadline_func_t)(void *data);

struct sb_commit_gate *commit_gate_create(struct wl_display *display, enum sb_implicit_mode mode);
void commit_gate_destroy(struct sb_commit_gate *gate);

void commit_gate_add_source(struct sb_commit_gate *gate, struct sb_gate_source *source);
void commit_gate_remove_source(struct sb_gate_source *source);
struct sb_trace;
/* Commits, waits and their fences go to trace (NULL: off). */
void commit_gate_set_trace(struct sb_commit_gate *gate, struct sb_trace *trace);
void commit_gate_set_deadline_func(struct sb_commit_gate *gate, sb_gate_deadline_func_t func,
				   void *data);

/*
 * [sync] acquire=kms: whether the buffer a commit attaches can go to direct scanout (the surface
 * is the only thing on an output whose backend scans client buffers out), asked at commit time.
 */
typedef bool (*sb_gate_scanout_func_t)(void *data, struct wlr_surface *surface,
				       struct wlr_buffer *buffer);
/*
 * With SB_ACQUIRE_KMS, a commit with an explicit acquire fence whose buffer scanout_func accepts is
 * not held: the fence goes into the dma-buf as a write fence (DMA_BUF_IOCTL_IMPORT_SYNC_FILE) and
 * the state applies at once, so KMS waits for it in the kernel (the atomic helpers wait for a
 * plane's implicit fences before the flip) instead of the compositor waking up for it. A fence
 * that cannot be handed over (a syncobj point with no fence submitted yet, an old kernel) is
 * waited for on the CPU as with SB_ACQUIRE_CPU.
 */
void commit_gate_set_acquire(struct sb_commit_gate *gate, enum sb_acquire_mode mode,
			     sb_gate_scanout_func_t scanout_func, void *data);

/* Commits held right now, over all surfaces. */
int commit_gate_pending(const struct sb_commit_gate *gate);

#endif
