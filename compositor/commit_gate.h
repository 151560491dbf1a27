/* SPDX-License-Identifier: MIT */
#ifndef SB_COMMIT_GATE_H
#define SB_COMMIT_GATE_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include <wayland-server-core.h>

#include "config.h"

/*
 * The commit gate: a commit that attaches a dma-buf is held until the fences it must wait for
 * have signalled. The fences are taken at commit time (DMA_BUF_IOCTL_EXPORT_SYNC_FILE, READ), so
 * GPU work the client queues later cannot delay the frame; the surface state is held with
 * wlr_surface_lock_pending() and released from the event loop, which never blocks.
 */
struct sb_waiter;
struct wlr_buffer;
struct wlr_dmabuf_attributes;
struct wlr_surface;

/*
 * What the gate does with each commit, for its subscribers (the trace, the -d log, the release
 * path): the gate itself neither records nor logs it. Each signal's data is given below.
 */
struct sb_commit_gate {
	struct {
		/*
		 * sb_gate_commit_event: every wl_surface.commit, before the gate decides anything
		 * and before it asks the explicit-sync servers (struct sb_gate_source) about it,
		 * so a subscriber can set up per-surface state those servers look up (the
		 * trace's surface tracks: sb_trace_surface_find).
		 */
		struct wl_signal commit;
		/* sb_gate_wait_event: fences taken, all signalled already: applied at once. */
		struct wl_signal ready;
		/* sb_gate_wait_event: the explicit acquire fence went to KMS: applied at once. */
		struct wl_signal kms_handoff;
		/* sb_gate_wait_event: the commit is held until its fences signal. */
		struct wl_signal wait_begin;
		/*
		 * sb_gate_wait_event: a held commit's fences signalled; its state is applied right
		 * after the subscribers return (wlr_surface_unlock_cached).
		 */
		struct wl_signal wait_end;
		/*
		 * sb_gate_wait_event: wlr_surface_unlock_cached() returned: the held state (and
		 * any cached after it) is current and every commit listener has run. A
		 * subscriber here makes the gate take the event's times.
		 */
		struct wl_signal applied;
		struct wl_signal destroy;
	} events;
};

/* sb_commit_gate.events.commit */
enum sb_gate_buffer {
	SB_GATE_BUFFER_NONE,   /* the commit attaches no buffer */
	SB_GATE_BUFFER_NULL,   /* it attaches NULL: the surface is unmapped */
	SB_GATE_BUFFER_DMABUF, /* a dma-buf: it carries implicit fences */
	SB_GATE_BUFFER_OTHER,  /* wl_shm or another kind: nothing to wait for */
};

struct sb_gate_commit_event {
	struct wlr_surface *surface;
	uint32_t seq; /* the commit's wlr_surface_state.seq */
	enum sb_gate_buffer buffer;
};

/* What a commit's wait is on. */
enum sb_gate_form {
	SB_GATE_FORM_EXPLICIT, /* an explicit-sync server's acquire fence or point */
	SB_GATE_FORM_SNAPSHOT, /* the dma-buf's fences at commit (DMA_BUF_IOCTL_EXPORT_SYNC_FILE) */
	SB_GATE_FORM_POLL,     /* poll(dma-buf): fences added after the commit delay it too */
	SB_GATE_FORM_CONDITION, /* no fence: only conditions (struct sb_gate_condition) */
};

/* The form's name in the trace and the -d log. */
const char *commit_gate_form_name(enum sb_gate_form form);

/* The other events: one commit the gate took fences for. */
struct sb_gate_wait_event {
	struct wlr_surface *surface;
	uint32_t seq;
	enum sb_gate_form form;
	/* Fences pending when the commit was held; kms_handoff: the fences handed to KMS. */
	int fences;
	int planes; /* dma-buf planes waited on (the implicit forms) */
	/* wait_begin only: the buffer's planes if it is a dma-buf, else NULL. */
	const struct wlr_dmabuf_attributes *dmabuf;
	int status; /* wait_end, applied: < 0 when a fence signalled an error */
	/*
	 * applied, CLOCK_MONOTONIC: when the gate took the commit, when the event loop called the
	 * gate for its fences, when the gate and its wait_end subscribers were done (what follows
	 * is wlroots' apply), and when wlroots returned. Taken only while events.applied has a
	 * subscriber, else zero: a clock read is a syscall where the clocksource has no vDSO (the
	 * TCG guest), and only the -d log reads them.
	 */
	struct timespec committed, woke, unlocking, applied;
};

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
 * A condition on a commit other than its fences: wp_fifo_v1's barrier (fifo_v1.c),
 * wp_commit_timing_v1's target time (commit_timing_v1.c). A commit applies when its fences have
 * signalled AND every condition it carries holds. Commits apply in order: a commit that carries a
 * condition is held while an earlier commit of its surface is, and its conditions are asked only
 * once every earlier commit has applied.
 */
struct sb_gate_condition {
	/*
	 * At wl_surface.commit, before wlroots moves the pending state: takes the condition's
	 * double-buffered state into the commit seq. Returns 1 if the commit carries the condition,
	 * 0 if not, -1 if the commit is a protocol error (posted).
	 */
	int (*commit)(struct sb_gate_condition *condition, struct wlr_surface *surface,
		      uint32_t seq);
	/* Whether commit seq, which carries the condition, may apply now. */
	bool (*ready)(struct sb_gate_condition *condition, struct wlr_surface *surface,
		      uint32_t seq);
	struct wl_list link; /* sb_commit_gate.conditions */
};

void commit_gate_add_condition(struct sb_commit_gate *gate, struct sb_gate_condition *condition);
void commit_gate_remove_condition(struct sb_gate_condition *condition);
/* A condition may hold now for surface's held commits: the gate asks again, in commit order. */
void commit_gate_conditions_changed(struct sb_commit_gate *gate, struct wlr_surface *surface);
/*
 * Whether surface's commits apply only with its parent's (a synchronized subsurface, or one with a
 * synchronized ancestor): wp_fifo_v1 and wp_commit_timing_v1 drop their conditions there.
 */
bool commit_gate_surface_is_synchronized(struct wlr_surface *surface);

/*
 * When the output expects to present next (CLOCK_MONOTONIC, ns), or 0 if unknown: the gate sets it
 * as the deadline (SYNC_IOC_SET_DEADLINE) of every fence it waits on.
 */
typedef uint64_t (*sb_gate_deadline_func_t)(void *data);

struct sb_commit_gate *commit_gate_create(struct wl_display *display, enum sb_implicit_mode mode);
void commit_gate_destroy(struct sb_commit_gate *gate);

void commit_gate_add_source(struct sb_commit_gate *gate, struct sb_gate_source *source);
void commit_gate_remove_source(struct sb_gate_source *source);
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
