// SPDX-License-Identifier: MIT
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <syncbridge/dmabuf.h>
#include <syncbridge/sync_file.h>
#include <syncbridge/syncobj.h>
#include <syncbridge/waiter.h>

#include "util.h"

/* Syncobj fallback: how often a pending point is checked, backing off while nothing happens. */
#define POINT_CHECK_FIRST_NS 500000ull /* 0.5 ms */
#define POINT_CHECK_MAX_NS 16000000ull /* 16 ms: about one frame at 60 Hz */

enum entry_kind {
	ENTRY_SYNC_FILE, /* readable when every fence signalled (sync_file_poll) */
	ENTRY_DMABUF,	 /* fallback: a dma-buf fd, ready when the access could start */
	ENTRY_EVENTFD,	 /* DRM_IOCTL_SYNCOBJ_EVENTFD: readable when the point is reached */
	ENTRY_TIMER,	 /* fallback: a timerfd to check a pending syncobj point again */
};

struct entry {
	enum entry_kind kind;
	bool pending;
	int fd; /* owned, in the epoll set while pending; the sync_file's own fd for SYNC_FILE */
	struct sb_sync_file *sync_file;
	const struct sb_syncobj *syncobj; /* ENTRY_TIMER */
	uint64_t point;
	bool available;
	uint64_t check_ns;
};

struct sb_waiter {
	int epoll_fd;
	struct entry *entries;
	size_t n_entries, cap_entries;
	int pending;
	int status;
	bool called;
	bool has_deadline;
	uint64_t deadline_ns;
	sb_waiter_func_t func;
	void *data;
};

struct sb_waiter *sb_waiter_create(sb_waiter_func_t func, void *data)
{
	struct sb_waiter *waiter = calloc(1, sizeof(*waiter));

	if (!waiter)
		return NULL;
	waiter->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	if (waiter->epoll_fd < 0) {
		sb_log_errno(SB_DEBUG, "epoll_create1 failed");
		free(waiter);
		return NULL;
	}
	waiter->func = func;
	waiter->data = data;
	return waiter;
}

static void entry_finish(struct sb_waiter *waiter, struct entry *entry)
{
	if (!entry->pending)
		return;
	epoll_ctl(waiter->epoll_fd, EPOLL_CTL_DEL, entry->fd, NULL);
	if (entry->sync_file)
		sb_sync_file_destroy(entry->sync_file);
	else
		close(entry->fd);
	entry->sync_file = NULL;
	entry->fd = -1;
	entry->pending = false;
	waiter->pending--;
}

void sb_waiter_destroy(struct sb_waiter *waiter)
{
	if (!waiter)
		return;
	for (size_t i = 0; i < waiter->n_entries; i++)
		entry_finish(waiter, &waiter->entries[i]);
	close(waiter->epoll_fd);
	free(waiter->entries);
	free(waiter);
}

/* Releases what an entry owns: the sync_file (and so its fd), or the fd. */
static void entry_release(int fd, struct sb_sync_file *sync_file)
{
	if (sync_file)
		sb_sync_file_destroy(sync_file);
	else
		sb_close_keep_errno(fd);
}

/*
 * Adds a pending entry waiting on fd. It takes ownership of fd, or of sync_file whose fd it is,
 * and releases it on failure. The epoll data is the entry's index: the array moves as it grows.
 */
static struct entry *add_entry(struct sb_waiter *waiter, enum entry_kind kind, int fd,
			       struct sb_sync_file *sync_file, uint32_t events)
{
	struct epoll_event ev = {.events = events};
	struct entry *entry;

	if (waiter->n_entries == waiter->cap_entries) {
		size_t cap = waiter->cap_entries ? 2 * waiter->cap_entries : 2;
		struct entry *entries = realloc(waiter->entries, cap * sizeof(*entries));

		if (!entries) {
			entry_release(fd, sync_file);
			errno = ENOMEM;
			return NULL;
		}
		waiter->entries = entries;
		waiter->cap_entries = cap;
	}
	ev.data.u64 = waiter->n_entries;
	if (epoll_ctl(waiter->epoll_fd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		sb_log_errno(SB_DEBUG, "epoll_ctl(ADD) of fd %d failed", fd);
		entry_release(fd, sync_file);
		return NULL;
	}
	entry = &waiter->entries[waiter->n_entries++];
	*entry = (struct entry){.kind = kind, .pending = true, .fd = fd, .sync_file = sync_file};
	waiter->pending++;
	return entry;
}

/* A fence that signalled with an error still ends the wait; the first error is reported. */
static void note_status(struct sb_waiter *waiter, int fence_status)
{
	if (fence_status < 0 && waiter->status == 0)
		waiter->status = fence_status;
}

int sb_waiter_add_sync_file(struct sb_waiter *waiter, struct sb_sync_file *sync_file)
{
	int status;

	if (!sync_file) {
		errno = EINVAL;
		return -1;
	}
	if (sb_sync_file_is_signaled(sync_file) == 1) {
		if (sb_sync_file_get_status(sync_file, &status) == 0)
			note_status(waiter, status);
		sb_sync_file_destroy(sync_file);
		return 0;
	}
	if (waiter->has_deadline)
		sb_sync_file_set_deadline(sync_file, waiter->deadline_ns);
	if (!add_entry(waiter, ENTRY_SYNC_FILE, sb_sync_file_get_fd(sync_file), sync_file, EPOLLIN))
		return -1;
	return 0;
}

int sb_waiter_add_dmabuf(struct sb_waiter *waiter, int dmabuf_fd, enum sb_access access,
			 uint32_t flags)
{
	struct sb_sync_file *snapshot;
	int fd, idle;

	if (!(flags & SB_WAIT_FORCE_FALLBACK)) {
		snapshot = sb_dmabuf_export_sync_file(dmabuf_fd, access);
		if (snapshot)
			return sb_waiter_add_sync_file(waiter, snapshot) < 0 ? -1 : 1;
		/* On a checked dma-buf, ENOTTY means a kernel older than 6.0. */
		if (errno != ENOTTY)
			return -1;
		sb_log(SB_DEBUG, "no DMA_BUF_IOCTL_EXPORT_SYNC_FILE: polling the dma-buf instead");
	}
	idle = sb_dmabuf_is_idle(dmabuf_fd, access);
	if (idle < 0)
		return -1;
	if (idle)
		return 0;
	fd = sb_dup_cloexec(dmabuf_fd);
	if (fd < 0)
		return -1;
	if (!add_entry(waiter, ENTRY_DMABUF, fd, NULL, (uint32_t)sb_dmabuf_poll_events(access)))
		return -1;
	return 0;
}

static bool point_reached(int state, bool available)
{
	return state == SB_POINT_SIGNALED || (available && state == SB_POINT_AVAILABLE);
}

static int arm_timer(int timer_fd, uint64_t ns)
{
	struct itimerspec its = {
		.it_value = {.tv_sec = ns / 1000000000ull, .tv_nsec = ns % 1000000000ull},
	};

	return timerfd_settime(timer_fd, 0, &its, NULL);
}

/*
 * The fallback where DRM_IOCTL_SYNCOBJ_EVENTFD is missing: a submitted point's fence is exported
 * and waited on as a sync_file; a point not yet submitted is checked again on a timer.
 */
static int add_point_fallback(struct sb_waiter *waiter, const struct sb_syncobj *syncobj,
			      uint64_t point, bool available, int state)
{
	struct entry *entry;
	int timer_fd;

	if (state == SB_POINT_AVAILABLE) {
		struct sb_sync_file *sync_file = sb_syncobj_export_point(syncobj, point);

		if (!sync_file)
			return -1;
		return sb_waiter_add_sync_file(waiter, sync_file);
	}
	timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (timer_fd < 0)
		return -1;
	if (arm_timer(timer_fd, POINT_CHECK_FIRST_NS) < 0) {
		sb_close_keep_errno(timer_fd);
		return -1;
	}
	entry = add_entry(waiter, ENTRY_TIMER, timer_fd, NULL, EPOLLIN);
	if (!entry)
		return -1;
	entry->syncobj = syncobj;
	entry->point = point;
	entry->available = available;
	entry->check_ns = POINT_CHECK_FIRST_NS;
	return 0;
}

int sb_waiter_add_syncobj_point(struct sb_waiter *waiter, const struct sb_syncobj *syncobj,
				uint64_t point, uint32_t flags)
{
	bool available = flags & SB_WAIT_AVAILABLE;
	int state, efd;

	if (!syncobj) {
		errno = EINVAL;
		return -1;
	}
	state = sb_syncobj_point_state(syncobj, point);
	if (state < 0)
		return -1;
	if (point_reached(state, available))
		return 0;
	if (!(flags & SB_WAIT_FORCE_FALLBACK)) {
		/* The kernel fires the eventfd at once if the point was reached since the check. */
		efd = sb_syncobj_eventfd(syncobj, point, available);
		if (efd >= 0)
			return add_entry(waiter, ENTRY_EVENTFD, efd, NULL, EPOLLIN) ? 0 : -1;
		/* Before 6.6 drm_ioctl() refuses the unknown number with EINVAL; a driver
		 * without timelines says EOPNOTSUPP. */
		if (errno != EINVAL && errno != ENOTTY && errno != EOPNOTSUPP)
			return -1;
	}
	return add_point_fallback(waiter, syncobj, point, available, state);
}

int sb_waiter_set_deadline(struct sb_waiter *waiter, uint64_t deadline_ns)
{
	int taken = 0, err = ENOENT;

	waiter->has_deadline = true;
	waiter->deadline_ns = deadline_ns;
	for (size_t i = 0; i < waiter->n_entries; i++) {
		struct entry *entry = &waiter->entries[i];

		if (!entry->pending || !entry->sync_file)
			continue;
		if (sb_sync_file_set_deadline(entry->sync_file, deadline_ns) == 0)
			taken++;
		else
			err = errno;
	}
	if (taken == 0) {
		errno = err;
		return -1;
	}
	return 0;
}

int sb_waiter_get_fd(const struct sb_waiter *waiter)
{
	return waiter->epoll_fd;
}

int sb_waiter_pending(const struct sb_waiter *waiter)
{
	return waiter->pending;
}

bool sb_waiter_is_done(const struct sb_waiter *waiter)
{
	return waiter->pending == 0;
}

/* A fallback timer fired: check the point again. Returns -1 on failure. */
static int handle_timer(struct sb_waiter *waiter, struct entry *entry)
{
	const struct sb_syncobj *syncobj = entry->syncobj;
	uint64_t expirations, point = entry->point;
	bool available = entry->available;
	int state;

	if (read(entry->fd, &expirations, sizeof(expirations)) < 0 && errno != EAGAIN)
		return -1;
	state = sb_syncobj_point_state(syncobj, point);
	if (state < 0)
		return -1;
	if (state == SB_POINT_PENDING) {
		if (entry->check_ns < POINT_CHECK_MAX_NS)
			entry->check_ns *= 2;
		return arm_timer(entry->fd, entry->check_ns);
	}
	/* Replace the timer by what the point has become; this may grow the entry array. */
	entry_finish(waiter, entry);
	if (point_reached(state, available))
		return 0;
	return add_point_fallback(waiter, syncobj, point, available, state);
}

static int handle_entry(struct sb_waiter *waiter, struct entry *entry)
{
	uint64_t count;
	int status;

	switch (entry->kind) {
	case ENTRY_SYNC_FILE:
		if (sb_sync_file_get_status(entry->sync_file, &status) == 0)
			note_status(waiter, status);
		break;
	case ENTRY_EVENTFD:
		if (read(entry->fd, &count, sizeof(count)) < 0 && errno != EAGAIN)
			return -1;
		break;
	case ENTRY_DMABUF:
		break;
	case ENTRY_TIMER:
		return handle_timer(waiter, entry);
	}
	entry_finish(waiter, entry);
	return 0;
}

int sb_waiter_dispatch(struct sb_waiter *waiter)
{
	struct epoll_event events[16];
	int n;

	if (waiter->called)
		return 1;
	do {
		n = epoll_wait(waiter->epoll_fd, events, 16, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			goto err;
		for (int i = 0; i < n; i++) {
			struct entry *entry = &waiter->entries[events[i].data.u64];

			/* An entry finished earlier in this batch (replaced timer) is skipped. */
			if (entry->pending && handle_entry(waiter, entry) < 0)
				goto err;
		}
	} while (n == 16);
	if (waiter->pending > 0)
		return 0;
	waiter->called = true;
	if (waiter->func)
		waiter->func(waiter, waiter->status, waiter->data);
	return 1;

err:
	sb_log_errno(SB_DEBUG, "wait failed");
	waiter->status = -errno;
	for (size_t i = 0; i < waiter->n_entries; i++)
		entry_finish(waiter, &waiter->entries[i]);
	waiter->called = true;
	if (waiter->func)
		waiter->func(waiter, waiter->status, waiter->data);
	return -1;
}
