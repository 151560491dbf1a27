// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include <wlr/render/dmabuf.h>
#include <wlr/types/wlr_buffer.h>
#include <wlr/types/wlr_compositor.h>
#include <wlr/types/wlr_surface.h>
#include <wlr/util/addon.h>
#include <wlr/util/log.h>

#include <syncbridge/dmabuf.h>
#include <syncbridge/sync_file.h>
#include <syncbridge/waiter.h>

#include "commit_gate.h"

/* wl_surface.commit: the seventh request of wl_surface in wayland.xml. */
#define WL_SURFACE_COMMIT_OPCODE 6

/* The gate: the public part (its events) first, the rest commit_gate.c's own. */
struct commit_gate {
	struct sb_commit_gate base;
	struct wl_event_loop *loop;
	struct wl_protocol_logger *logger;
	enum sb_implicit_mode mode;
	struct wl_list surfaces;   /* gate_surface.link */
	struct wl_list sources;	   /* sb_gate_source.link */
	struct wl_list conditions; /* sb_gate_condition.link */
	sb_gate_deadline_func_t deadline_func;
	void *deadline_data;
	enum sb_acquire_mode acquire;
	sb_gate_scanout_func_t scanout_func;
	void *scanout_data;
	int pending;
	bool fallback_logged;
	/*
	 * Every held commit's fd sits in this one epoll set (EPOLLONESHOT), itself in the event
	 * loop: per commit one epoll_ctl, instead of wl_event_loop_add_fd()'s dup + epoll_ctl and
	 * its removal's epoll_ctl + close (tests/bench: syscalls per gated commit).
	 */
	int epoll_fd;
	struct wl_event_source *epoll_source;
	struct epoll_event *batch; /* the events being dispatched: destroyed waits are cleared */
	int batch_n;
	struct timespec woke; /* timed: when the event loop called us for this batch */
};

/* A surface with held commits, attached to the wlr_surface so that it dies with it. */
struct gate_surface {
	struct commit_gate *gate;
	struct wlr_surface *surface;
	struct wlr_addon addon;
	struct wl_list waits; /* gate_wait.link, oldest first */
	struct wl_list link;
};

/* One held commit. */
struct gate_wait {
	struct gate_surface *gs;
	struct sb_waiter *waiter; /* NULL: no fence to wait for, only conditions */
	int fd;			  /* the waiter's fd, in the gate's epoll set */
	bool armed;		  /* its EPOLLONESHOT registration has not fired yet */
	uint32_t seq;
	int planes;
	int fences; /* fences the waiter had pending when the commit was held */
	bool exact;
	bool explicit;
	bool conditional; /* it carries a condition (sb_gate_condition) */
	bool fences_done; /* its fences signalled (or it had none): conditions are what is left */
	int status;	  /* the fences' status, once done */
	struct timespec committed; /* timed: when the gate took the commit */
	struct wl_list link;
};

/* Takes a wait out of the gate's books; no syscall unless its registration is still armed. */
static void gate_wait_detach(struct gate_wait *wait)
{
	struct commit_gate *gate = wait->gs->gate;

	gate->pending--;
	/*
	 * A registration that fired is disabled (EPOLLONESHOT) and goes with the fd's close; one
	 * still armed is removed first, as a dup of the fd elsewhere would keep it alive.
	 */
	if (wait->waiter && wait->armed)
		epoll_ctl(gate->epoll_fd, EPOLL_CTL_DEL, wait->fd, NULL);
	for (int i = 0; i < gate->batch_n; i++)
		if (gate->batch[i].data.ptr == wait)
			gate->batch[i].data.ptr = NULL;
	wl_list_remove(&wait->link);
}

static void gate_wait_free(struct gate_wait *wait)
{
	sb_waiter_destroy(wait->waiter);
	free(wait);
}

static void gate_wait_destroy(struct gate_wait *wait)
{
	gate_wait_detach(wait);
	gate_wait_free(wait);
}

static void gate_surface_destroy(struct gate_surface *gs)
{
	struct gate_wait *wait, *tmp;

	/* The surface is going away: its held states go with it, nothing is unlocked. */
	wl_list_for_each_safe(wait, tmp, &gs->waits, link)
		gate_wait_destroy(wait);
	wlr_addon_finish(&gs->addon);
	wl_list_remove(&gs->link);
	free(gs);
}

static void gate_surface_addon_destroy(struct wlr_addon *addon)
{
	struct gate_surface *gs = wl_container_of(addon, gs, addon);

	gate_surface_destroy(gs);
}

static const struct wlr_addon_interface gate_surface_addon_impl = {
	.name = "syncbridge_commit_gate",
	.destroy = gate_surface_addon_destroy,
};

static struct gate_surface *gate_surface_find(struct commit_gate *gate, struct wlr_surface *surface)
{
	struct wlr_addon *addon = wlr_addon_find(&surface->addons, gate, &gate_surface_addon_impl);
	struct gate_surface *gs;

	return addon ? wl_container_of(addon, gs, addon) : NULL;
}

static struct gate_surface *gate_surface_get(struct commit_gate *gate, struct wlr_surface *surface)
{
	struct gate_surface *gs = gate_surface_find(gate, surface);

	if (gs)
		return gs;
	gs = calloc(1, sizeof(*gs));
	if (!gs)
		return NULL;
	gs->gate = gate;
	gs->surface = surface;
	wl_list_init(&gs->waits);
	wlr_addon_init(&gs->addon, &surface->addons, gate, &gate_surface_addon_impl);
	wl_list_insert(&gate->surfaces, &gs->link);
	return gs;
}

static enum sb_gate_form wait_form(const struct gate_wait *wait)
{
	if (!wait->waiter)
		return SB_GATE_FORM_CONDITION;
	if (wait->explicit)
		return SB_GATE_FORM_EXPLICIT;
	return wait->exact ? SB_GATE_FORM_SNAPSHOT : SB_GATE_FORM_POLL;
}

const char *commit_gate_form_name(enum sb_gate_form form)
{
	switch (form) {
	case SB_GATE_FORM_EXPLICIT:
		return "explicit";
	case SB_GATE_FORM_SNAPSHOT:
		return "snapshot";
	case SB_GATE_FORM_POLL:
		return "poll";
	case SB_GATE_FORM_CONDITION:
		return "condition";
	}
	return "?";
}

/* What subscribers are told of a wait; fields that belong to one event are the caller's. */
static void wait_event_init(struct sb_gate_wait_event *event, const struct gate_wait *wait,
			    struct wlr_surface *surface, uint32_t seq)
{
	*event = (struct sb_gate_wait_event){
		.surface = surface,
		.seq = seq,
		.form = wait_form(wait),
		.fences = wait->fences,
		.planes = wait->planes,
	};
}

/* Whether the events carry times (sb_gate_wait_event): only for a subscriber of applied. */
static bool gate_timed(const struct commit_gate *gate)
{
	return !wl_list_empty(&gate->base.events.applied.listener_list);
}

/* Applies a held commit whose fences signalled and whose conditions hold; frees wait. */
static void gate_wait_apply(struct gate_wait *wait)
{
	struct commit_gate *gate = wait->gs->gate;
	struct wlr_surface *surface = wait->gs->surface;
	bool timed = gate_timed(gate);
	struct sb_gate_wait_event event;

	wait_event_init(&event, wait, surface, wait->seq);
	event.status = wait->status;
	event.committed = wait->committed;
	event.woke = gate->woke;
	gate_wait_detach(wait);
	wl_signal_emit(&gate->base.events.wait_end, &event);
	if (timed)
		clock_gettime(CLOCK_MONOTONIC, &event.unlocking);
	/* Cached states apply in commit order: a later one waits for the earlier ones. */
	wlr_surface_unlock_cached(surface, event.seq);
	/* Timed when wlroots returns: tests/bench/ times the apply itself. */
	if (timed)
		clock_gettime(CLOCK_MONOTONIC, &event.applied);
	wl_signal_emit(&gate->base.events.applied, &event);
	/*
	 * The waiter's fds are closed once the state is applied, not before: the last close of
	 * a sync_file (its epoll item, its fences) is not part of showing the state.
	 */
	gate_wait_free(wait);
}

bool commit_gate_surface_is_synchronized(struct wlr_surface *surface)
{
	while (surface && wlr_surface_is_subsurface(surface)) {
		struct wlr_subsurface *subsurface = wlr_subsurface_from_wlr_surface(surface);

		if (!subsurface)
			return false;
		if (subsurface->synchronized)
			return true;
		surface = subsurface->parent;
	}
	return false;
}

static bool conditions_ready(struct commit_gate *gate, struct wlr_surface *surface, uint32_t seq)
{
	struct sb_gate_condition *condition;

	wl_list_for_each(condition, &gate->conditions, link)
		if (!condition->ready(condition, surface, seq))
			return false;
	return true;
}

/*
 * Applies, oldest first, the held commits whose fences have signalled and whose conditions hold.
 * A commit with a condition is asked only once every earlier one has applied: its condition may
 * depend on them (the barrier an earlier wp_fifo_v1.set_barrier sets).
 */
static void gate_surface_advance(struct gate_surface *gs)
{
	while (!wl_list_empty(&gs->waits)) {
		struct gate_wait *wait = wl_container_of(gs->waits.next, wait, link);

		if (!wait->conditional || !wait->fences_done ||
		    !conditions_ready(gs->gate, gs->surface, wait->seq))
			return;
		gate_wait_apply(wait);
	}
}

static void gate_wait_done(struct sb_waiter *waiter, int status, void *data)
{
	struct gate_wait *wait = data;
	struct gate_surface *gs = wait->gs;

	wait->status = status;
	wait->fences_done = true;
	/* Without conditions wlroots keeps the commit order itself: apply (unlock) at once. */
	if (!wait->conditional)
		gate_wait_apply(wait);
	/* The waiter is freed with the wait: sb_waiter_dispatch_ready() returns done. */
	gate_surface_advance(gs);
}

static int gate_epoll_readable(int fd, uint32_t mask, void *data)
{
	struct commit_gate *gate = data;
	struct epoll_event events[32];
	int n;

	if (gate_timed(gate))
		clock_gettime(CLOCK_MONOTONIC, &gate->woke);
	n = epoll_wait(gate->epoll_fd, events, 32, 0);
	if (n <= 0)
		return 0;
	gate->batch = events;
	gate->batch_n = n;
	for (int i = 0; i < n; i++) {
		struct gate_wait *wait = events[i].data.ptr;
		struct epoll_event rearm = {.events = EPOLLIN | EPOLLONESHOT};

		if (!wait)
			continue; /* destroyed by an earlier event of this batch */
		wait->armed = false;
		/* May call gate_wait_done(), which frees wait. */
		if (sb_waiter_dispatch_ready(wait->waiter) != 0)
			continue;
		/* Fences remain (a waiter with several): wait for the next one. */
		rearm.data.ptr = wait;
		if (epoll_ctl(gate->epoll_fd, EPOLL_CTL_MOD, wait->fd, &rearm) == 0)
			wait->armed = true;
		else
			wlr_log_errno(WLR_ERROR, "commit %u: cannot wait any longer", wait->seq);
	}
	gate->batch = NULL;
	gate->batch_n = 0;
	/* More than a batch ready: the loop calls again, the set is still readable. */
	return 0;
}

/* Adds the fences of every plane; returns planes added, or -1. */
static int add_planes(struct commit_gate *gate, struct gate_wait *wait,
		      const struct wlr_dmabuf_attributes *attribs)
{
	/*
	 * The buffer came through linux-dmabuf, which checked its fds: no check here. And no
	 * signalled-yet ioctl either: a snapshot that has already signalled makes the fd readable
	 * at once, and the commit applies on the next turn of the loop.
	 */
	uint32_t flags = gate->mode == SB_IMPLICIT_POLL
				 ? SB_WAIT_FORCE_FALLBACK
				 : SB_WAIT_CHECKED_DMABUF | SB_WAIT_NO_PRECHECK;

	wait->exact = true;
	for (int i = 0; i < attribs->n_planes; i++) {
		int ret;

		/* Planes of one buffer usually share one dma-buf: wait on it once. */
		if (i > 0 && attribs->fd[i] == attribs->fd[i - 1])
			continue;
		ret = sb_waiter_add_dmabuf(wait->waiter, attribs->fd[i], SB_ACCESS_READ, flags);
		if (ret < 0)
			return -1;
		if (ret == 0)
			wait->exact = false;
		wait->planes++;
	}
	if (!wait->exact && gate->mode == SB_IMPLICIT_SNAPSHOT && !gate->fallback_logged) {
		wlr_log(WLR_INFO, "the kernel has no DMA_BUF_IOCTL_EXPORT_SYNC_FILE: "
				  "commits wait on poll(dma-buf), later fences can delay them");
		gate->fallback_logged = true;
	}
	return wait->planes;
}

/* What the commit attaches; *attribs is set for a dma-buf. */
static enum sb_gate_buffer commit_buffer(struct wlr_surface *surface,
					 struct wlr_dmabuf_attributes *attribs)
{
	if (!(surface->pending.committed & WLR_SURFACE_STATE_BUFFER))
		return SB_GATE_BUFFER_NONE;
	if (!surface->pending.buffer)
		return SB_GATE_BUFFER_NULL;
	if (wlr_buffer_get_dmabuf(surface->pending.buffer, attribs))
		return SB_GATE_BUFFER_DMABUF;
	return SB_GATE_BUFFER_OTHER;
}

/*
 * Commits queued behind an unsignalled fence, per surface: wlroots keeps each one (a cached state)
 * until the held one applies. A client past this is refused rather than allowed to grow the
 * compositor without bound.
 */
#define GATE_MAX_QUEUED 64

static bool queue_full(struct wlr_surface *surface)
{
	struct wlr_surface_state *state;
	int n = 0;

	wl_list_for_each(state, &surface->cached, cached_state_link) {
		if (++n >= GATE_MAX_QUEUED)
			return true;
	}
	return false;
}

/*
 * The compositor has no fd or memory left to wait for this commit. Applying it unsynchronized
 * would show a buffer still being written: the commit is held for good and the client is
 * disconnected (wl_display.no_memory), its surfaces with it.
 */
static void refuse_commit(struct wlr_surface *surface)
{
	wlr_log_errno(WLR_ERROR,
		      "surface %p: no resources to wait for the commit's fences: "
		      "disconnecting the client",
		      (void *)surface);
	wlr_surface_lock_pending(surface);
	wl_client_post_no_memory(wl_resource_get_client(surface->resource));
}

static bool out_of_resources(int err)
{
	return err == EMFILE || err == ENFILE || err == ENOMEM;
}

/* Asks the explicit-sync servers; returns 1 if one took the commit, 0 if none, -1 on an error. */
static bool sources_interested(struct commit_gate *gate, struct wlr_surface *surface)
{
	struct sb_gate_source *source;

	wl_list_for_each(source, &gate->sources, link)
		if (source->interested(source, surface))
			return true;
	return false;
}

static int ask_sources(struct commit_gate *gate, struct wlr_surface *surface,
		       struct gate_wait *wait)
{
	struct sb_gate_source *source;

	wl_list_for_each(source, &gate->sources, link) {
		int ret = source->commit(source, surface, wait->waiter);

		if (ret != 0)
			return ret;
	}
	return 0;
}

/*
 * acquire=kms: the commit's explicit fence goes into its dma-buf as a write fence, for KMS to wait
 * on, and the commit is not held. True if every plane took it.
 */
static bool hand_to_kms(struct commit_gate *gate, struct gate_wait *wait,
			struct wlr_surface *surface, const struct wlr_dmabuf_attributes *attribs)
{
	struct sb_sync_file *fence;
	bool ok = true;

	if (gate->acquire != SB_ACQUIRE_KMS || !gate->scanout_func ||
	    !gate->scanout_func(gate->scanout_data, surface, surface->pending.buffer))
		return false;
	fence = sb_waiter_export_sync_file(wait->waiter);
	if (!fence) {
		wlr_log_errno(WLR_DEBUG, "surface %p: acquire not handed to KMS", (void *)surface);
		return false;
	}
	for (int i = 0; i < attribs->n_planes && ok; i++) {
		if (i > 0 && attribs->fd[i] == attribs->fd[i - 1])
			continue;
		ok = sb_dmabuf_import_sync_file(attribs->fd[i], fence, SB_ACCESS_WRITE) == 0;
	}
	if (!ok)
		wlr_log_errno(WLR_INFO,
			      "surface %p: the dma-buf refused the acquire fence, "
			      "waiting for it on the CPU",
			      (void *)surface);
	sb_sync_file_destroy(fence);
	return ok;
}

/* Asks every condition about the commit: 1 if one holds it, 0 if none, -1 on a protocol error. */
static int ask_conditions(struct commit_gate *gate, struct wlr_surface *surface, uint32_t seq)
{
	struct sb_gate_condition *condition;
	int carried = 0;

	wl_list_for_each(condition, &gate->conditions, link) {
		int ret = condition->commit(condition, surface, seq);

		if (ret < 0)
			return -1;
		carried |= ret;
	}
	return carried;
}

/*
 * A subsurface's held commits may have lost their conditions when its parent commits (it became
 * synchronized: wp_fifo_v1 and wp_commit_timing_v1 drop them then).
 */
static void advance_children(struct commit_gate *gate, struct wlr_surface *parent)
{
	struct gate_surface *gs, *tmp;

	wl_list_for_each_safe(gs, tmp, &gate->surfaces, link) {
		struct wlr_subsurface *subsurface;

		if (wl_list_empty(&gs->waits) || !wlr_surface_is_subsurface(gs->surface))
			continue;
		subsurface = wlr_subsurface_from_wlr_surface(gs->surface);
		if (subsurface && subsurface->parent == parent)
			commit_gate_conditions_changed(&gate->base, gs->surface);
	}
}

/*
 * Takes the commit's fences into wait->waiter. Returns 1 if some are pending, 0 if there is
 * nothing to wait for (none, or all signalled, or handed to KMS: waiter destroyed), -1 on a
 * protocol error (posted), -2 if the commit must be refused (errno set).
 */
static int take_fences(struct commit_gate *gate, struct gate_wait *wait,
		       struct wlr_surface *surface, bool dmabuf,
		       const struct wlr_dmabuf_attributes *attribs)
{
	struct sb_gate_wait_event event;
	int ret;

	wait->waiter = sb_waiter_create(gate_wait_done, wait);
	if (!wait->waiter) {
		errno = ENOMEM;
		return -2;
	}
	ret = ask_sources(gate, surface, wait);
	if (ret < 0)
		return ret; /* -1: a protocol error, posted: the client is on its way out */
	wait->explicit = ret > 0;
	if (!wait->explicit) {
		if (!dmabuf || gate->mode == SB_IMPLICIT_NONE)
			goto none;
		if (add_planes(gate, wait, attribs) < 0) {
			if (out_of_resources(errno))
				return -2;
			/* Not a reason to hold the surface forever: apply it as a plain compositor would. */
			wlr_log_errno(WLR_ERROR, "surface %p: cannot take the buffer's fences",
				      (void *)surface);
			goto none;
		}
	}
	if (sb_waiter_is_done(wait->waiter)) {
		wait_event_init(&event, wait, surface, surface->pending.seq);
		wl_signal_emit(&gate->base.events.ready, &event);
		goto none;
	}
	if (wait->explicit && dmabuf && hand_to_kms(gate, wait, surface, attribs)) {
		wait_event_init(&event, wait, surface, surface->pending.seq);
		event.fences = sb_waiter_pending(wait->waiter);
		wl_signal_emit(&gate->base.events.kms_handoff, &event);
		goto none;
	}
	return 1;

none:
	sb_waiter_destroy(wait->waiter);
	wait->waiter = NULL;
	wait->exact = wait->explicit = false;
	wait->planes = 0;
	return 0;
}

/* Puts the commit's fence fd in the gate's epoll set; false if it cannot wait (errno set). */
static bool arm_fences(struct commit_gate *gate, struct gate_wait *wait)
{
	struct epoll_event ev = {.events = EPOLLIN | EPOLLONESHOT, .data.ptr = wait};

	wait->fences = sb_waiter_pending(wait->waiter);
	/* A client's explicit fence gets the presentation it is awaited for as its deadline. */
	if (wait->explicit && gate->deadline_func) {
		uint64_t deadline = gate->deadline_func(gate->deadline_data);

		if (deadline)
			sb_waiter_set_deadline(wait->waiter, deadline);
	}
	wait->fd = sb_waiter_get_fd(wait->waiter);
	if (wait->fd < 0 || epoll_ctl(gate->epoll_fd, EPOLL_CTL_ADD, wait->fd, &ev) < 0)
		return false;
	wait->armed = true;
	return true;
}

static void gate_commit(struct commit_gate *gate, struct wlr_surface *surface)
{
	struct wlr_dmabuf_attributes attribs;
	struct sb_gate_commit_event commit = {
		.surface = surface,
		.seq = surface->pending.seq,
		.buffer = commit_buffer(surface, &attribs),
	};
	bool dmabuf = commit.buffer == SB_GATE_BUFFER_DMABUF;
	struct sb_gate_wait_event event;
	struct gate_surface *gs;
	struct gate_wait *wait;
	int conditional, ret;
	bool fenced;

	wl_signal_emit(&gate->base.events.commit, &commit);
	if (!wl_list_empty(&surface->cached) && queue_full(surface)) {
		wl_client_post_implementation_error(
			wl_resource_get_client(surface->resource),
			"wl_surface@%u: over %d commits queued behind unsignalled fences",
			wl_resource_get_id(surface->resource), GATE_MAX_QUEUED);
		return;
	}
	/* Only dma-bufs carry implicit fences; else only an explicit server's state can wait. */
	fenced = (dmabuf && gate->mode != SB_IMPLICIT_NONE) || sources_interested(gate, surface);
	if (!wl_list_empty(&gate->surfaces))
		advance_children(gate, surface);
	conditional = wl_list_empty(&gate->conditions)
			      ? 0
			      : ask_conditions(gate, surface, surface->pending.seq);
	if (conditional < 0)
		return; /* a protocol error, posted */
	if (!fenced && !conditional)
		return;
	wait = calloc(1, sizeof(*wait));
	if (!wait)
		goto err_alloc;
	wait->conditional = conditional > 0;
	if (gate_timed(gate))
		clock_gettime(CLOCK_MONOTONIC, &wait->committed);
	ret = fenced ? take_fences(gate, wait, surface, dmabuf, &attribs) : 0;
	if (ret == -2)
		goto err_refuse;
	if (ret < 0)
		goto err_waiter;
	wait->fences_done = ret == 0;
	gs = gate_surface_find(gate, surface);
	if (ret == 0) {
		/*
		 * No fence to wait for: only its conditions can hold it, and only if they do not
		 * hold now or an earlier commit is still held (commits apply in order).
		 */
		if (!wait->conditional || ((!gs || wl_list_empty(&gs->waits)) &&
					   conditions_ready(gate, surface, surface->pending.seq)))
			goto err_waiter;
	}
	if (!gs)
		gs = gate_surface_get(gate, surface);
	if (!gs)
		goto err_alloc;
	wait->gs = gs;
	if (wait->waiter && !arm_fences(gate, wait))
		goto err_refuse;
	wait->seq = wlr_surface_lock_pending(surface);
	wl_list_insert(gs->waits.prev, &wait->link);
	gate->pending++;
	wait_event_init(&event, wait, surface, wait->seq);
	event.dmabuf = dmabuf && wait->waiter ? &attribs : NULL;
	wl_signal_emit(&gate->base.events.wait_begin, &event);
	return;

err_waiter:
	sb_waiter_destroy(wait->waiter);
	free(wait);
	return;
err_refuse:
	refuse_commit(surface);
	sb_waiter_destroy(wait->waiter);
	free(wait);
	return;
err_alloc:
	errno = ENOMEM;
	refuse_commit(surface);
	if (wait)
		sb_waiter_destroy(wait->waiter);
	free(wait);
}

/*
 * libwayland calls protocol loggers after a request is decoded and before its handler runs
 * (wl_client_connection_data). wlroots 0.15 has no signal at that point, and the lock must be
 * taken before wlr_surface's commit handler moves the pending state: this is that point.
 */
static void gate_logger(void *data, enum wl_protocol_logger_type type,
			const struct wl_protocol_logger_message *message)
{
	struct commit_gate *gate = data;

	/*
	 * Called for every message of every client: libwayland passes the interface's own
	 * wl_message, so one pointer comparison finds wl_surface.commit (opcode 6, wayland.xml).
	 */
	if (type != WL_PROTOCOL_LOGGER_REQUEST ||
	    message->message != &wl_surface_interface.methods[WL_SURFACE_COMMIT_OPCODE])
		return;
	gate_commit(gate, wlr_surface_from_resource(message->resource));
}

/* The public functions' gate: every gate is a commit_gate. */
static struct commit_gate *commit_gate_from_base(const struct sb_commit_gate *base)
{
	struct commit_gate *gate = wl_container_of(base, gate, base);

	return gate;
}

struct sb_commit_gate *commit_gate_create(struct wl_display *display, enum sb_implicit_mode mode)
{
	struct commit_gate *gate = calloc(1, sizeof(*gate));

	if (!gate)
		return NULL;
	wl_signal_init(&gate->base.events.commit);
	wl_signal_init(&gate->base.events.ready);
	wl_signal_init(&gate->base.events.kms_handoff);
	wl_signal_init(&gate->base.events.wait_begin);
	wl_signal_init(&gate->base.events.wait_end);
	wl_signal_init(&gate->base.events.applied);
	wl_signal_init(&gate->base.events.destroy);
	gate->loop = wl_display_get_event_loop(display);
	gate->mode = mode;
	wl_list_init(&gate->surfaces);
	wl_list_init(&gate->sources);
	wl_list_init(&gate->conditions);
	gate->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	if (gate->epoll_fd < 0)
		goto err_free;
	gate->epoll_source = wl_event_loop_add_fd(gate->loop, gate->epoll_fd, WL_EVENT_READABLE,
						  gate_epoll_readable, gate);
	if (!gate->epoll_source)
		goto err_epoll;
	/* Even with implicit=none: explicit fences are always waited for. */
	gate->logger = wl_display_add_protocol_logger(display, gate_logger, gate);
	if (!gate->logger)
		goto err_source;
	return &gate->base;

err_source:
	wl_event_source_remove(gate->epoll_source);
err_epoll:
	close(gate->epoll_fd);
err_free:
	free(gate);
	return NULL;
}

void commit_gate_destroy(struct sb_commit_gate *base)
{
	struct commit_gate *gate;
	struct gate_surface *gs, *tmp;

	if (!base)
		return;
	gate = commit_gate_from_base(base);
	wl_signal_emit(&base->events.destroy, base);
	wl_list_for_each_safe(gs, tmp, &gate->surfaces, link)
		gate_surface_destroy(gs);
	wl_list_remove(&gate->sources);
	wl_list_remove(&gate->conditions);
	wl_protocol_logger_destroy(gate->logger);
	wl_event_source_remove(gate->epoll_source);
	close(gate->epoll_fd);
	free(gate);
}

void commit_gate_add_source(struct sb_commit_gate *base, struct sb_gate_source *source)
{
	struct commit_gate *gate = commit_gate_from_base(base);

	wl_list_insert(gate->sources.prev, &source->link);
}

void commit_gate_remove_source(struct sb_gate_source *source)
{
	wl_list_remove(&source->link);
	wl_list_init(&source->link);
}

void commit_gate_set_deadline_func(struct sb_commit_gate *base, sb_gate_deadline_func_t func,
				   void *data)
{
	struct commit_gate *gate = commit_gate_from_base(base);

	gate->deadline_func = func;
	gate->deadline_data = data;
}

void commit_gate_set_acquire(struct sb_commit_gate *base, enum sb_acquire_mode mode,
			     sb_gate_scanout_func_t scanout_func, void *data)
{
	struct commit_gate *gate = commit_gate_from_base(base);

	gate->acquire = mode;
	gate->scanout_func = scanout_func;
	gate->scanout_data = data;
}

int commit_gate_pending(const struct sb_commit_gate *base)
{
	return commit_gate_from_base(base)->pending;
}

void commit_gate_add_condition(struct sb_commit_gate *base, struct sb_gate_condition *condition)
{
	struct commit_gate *gate = commit_gate_from_base(base);

	wl_list_insert(gate->conditions.prev, &condition->link);
}

void commit_gate_remove_condition(struct sb_gate_condition *condition)
{
	wl_list_remove(&condition->link);
	wl_list_init(&condition->link);
}

void commit_gate_conditions_changed(struct sb_commit_gate *base, struct wlr_surface *surface)
{
	struct commit_gate *gate = commit_gate_from_base(base);
	struct gate_surface *gs = gate_surface_find(gate, surface);

	if (!gs)
		return;
	/* timed: what woke the gate for these commits is the condition's event. */
	if (gate_timed(gate))
		clock_gettime(CLOCK_MONOTONIC, &gate->woke);
	gate_surface_advance(gs);
}
