// SPDX-License-Identifier: MIT
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/timerfd.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <linux/dma-buf.h>
#include <linux/magic.h>
#include <linux/sync_file.h>

#include <syncbridge/dmabuf.h>
#include <syncbridge/sync_file.h>
#include <syncbridge/syncobj.h>
#include <syncbridge/waiter.h>

#include "util.h"

/* include/uapi/linux/sync_file.h since 6.4; older installed headers lack it (as in sync_file.c). */
#ifndef SYNC_IOC_SET_DEADLINE
struct sync_set_deadline {
	__u64 deadline_ns;
	__u64 pad;
};
#define SYNC_IOC_SET_DEADLINE _IOW(SYNC_IOC_MAGIC, 5, struct sync_set_deadline)
#endif

/* Syncobj fallback: how often a pending point is checked, backing off while nothing happens. */
#define POINT_CHECK_FIRST_NS 500000ull /* 0.5 ms */
#define POINT_CHECK_MAX_NS 16000000ull /* 16 ms: about one frame at 60 Hz */

enum entry_kind {
	ENTRY_SYNC_FILE, /* readable when every fence signalled (sync_file_poll); owned or raw fd */
	ENTRY_DMABUF,	 /* fallback: a dma-buf fd, ready when the access could start */
	ENTRY_EVENTFD,	 /* DRM_IOCTL_SYNCOBJ_EVENTFD: readable when the point is reached */
	ENTRY_TIMER,	 /* fallback: a timerfd to check a pending syncobj point again */
};

struct entry {
	enum entry_kind kind;
	bool pending;
	int fd; /* owned, in the epoll set (if any) while pending; the sync_file's fd for SYNC_FILE */
	struct sb_sync_file *sync_file;	  /* NULL for a snapshot the waiter exported itself */
	const struct sb_syncobj *syncobj; /* ENTRY_TIMER */
	uint64_t point;
	bool available;
	uint64_t check_ns;
	uint32_t events;
};

/*
 * Every syscall here is paid per held commit by the compositor (tests/bench/: syscalls per gated
 * commit). So the epoll set is only made when the caller asks for one fd and more than one fence
 * (or a fence whose fd changes) is pending; the common case, one dma-buf snapshot, hands out the
 * sync_file's own fd.
 */
struct sb_waiter {
	int epoll_fd; /* -1 until sb_waiter_get_fd() needs it */
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
	struct sb_waiter *waiter = sb_calloc(1, sizeof(*waiter));

	if (!waiter)
		return NULL;
	waiter->epoll_fd = -1;
	waiter->func = func;
	waiter->data = data;
	return waiter;
}

/* Closes what an entry owns, if it still owns anything. */
static void entry_close(struct entry *entry)
{
	if (entry->sync_file)
		sb_sync_file_destroy(entry->sync_file);
	else if (entry->fd >= 0)
		close(entry->fd);
	entry->sync_file = NULL;
	entry->fd = -1;
}

static void entry_finish(struct sb_waiter *waiter, struct entry *entry)
{
	if (!entry->pending)
		return;
	if (waiter->epoll_fd >= 0)
		epoll_ctl(waiter->epoll_fd, EPOLL_CTL_DEL, entry->fd, NULL);
	entry_close(entry);
	entry->pending = false;
	waiter->pending--;
}

/*
 * Done, but its fd stays open until sb_waiter_destroy(): sb_waiter_dispatch_ready() runs in the
 * caller's dispatch just before the callback that acts on the signal (the commit gate applies a
 * state there), and a close() in between would only delay that.
 */
static void entry_retire(struct sb_waiter *waiter, struct entry *entry)
{
	entry->pending = false;
	waiter->pending--;
}

void sb_waiter_destroy(struct sb_waiter *waiter)
{
	if (!waiter)
		return;
	for (size_t i = 0; i < waiter->n_entries; i++) {
		entry_finish(waiter, &waiter->entries[i]);
		entry_close(&waiter->entries[i]); /* a retired entry's fd */
	}
	if (waiter->epoll_fd >= 0)
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

/* The epoll data is the entry's index: the array moves as it grows. */
static int epoll_add_entry(struct sb_waiter *waiter, size_t index)
{
	struct entry *entry = &waiter->entries[index];
	struct epoll_event ev = {.events = entry->events, .data.u64 = index};

	/* ep_insert() allocates an epitem (and checks the user's epoll watch limit). */
	if (SB_KERNEL_ALLOC(epoll_ctl(waiter->epoll_fd, EPOLL_CTL_ADD, entry->fd, &ev)) < 0) {
		sb_log_errno(SB_DEBUG, "epoll_ctl(ADD) of fd %d failed", entry->fd);
		return -1;
	}
	return 0;
}

/*
 * Adds a pending entry waiting on fd. It takes ownership of fd, or of sync_file whose fd it is,
 * and releases it on failure.
 */
static struct entry *add_entry(struct sb_waiter *waiter, enum entry_kind kind, int fd,
			       struct sb_sync_file *sync_file, uint32_t events)
{
	struct entry *entry;

	if (waiter->n_entries == waiter->cap_entries) {
		size_t cap = waiter->cap_entries ? 2 * waiter->cap_entries : 2;
		struct entry *entries = sb_realloc(waiter->entries, cap * sizeof(*entries));

		if (!entries) {
			entry_release(fd, sync_file);
			errno = ENOMEM;
			return NULL;
		}
		waiter->entries = entries;
		waiter->cap_entries = cap;
	}
	entry = &waiter->entries[waiter->n_entries];
	*entry = (struct entry){
		.kind = kind, .pending = true, .fd = fd, .sync_file = sync_file, .events = events};
	if (waiter->epoll_fd >= 0 && epoll_add_entry(waiter, waiter->n_entries) < 0) {
		entry_release(fd, sync_file);
		return NULL;
	}
	waiter->n_entries++;
	waiter->pending++;
	return entry;
}

/* A fence that signalled with an error still ends the wait; the first error is reported. */
static void note_status(struct sb_waiter *waiter, int fence_status)
{
	if (fence_status < 0 && waiter->status == 0)
		waiter->status = fence_status;
}

/*
 * SYNC_IOC_FILE_INFO: status is 1 once every fence signalled, a negative errno if one signalled
 * an error, 0 while any is pending (dma_fence_get_status()). One ioctl answers both "done?" and
 * "how?", where poll() and then the ioctl took two. Returns -1 if the ioctl failed.
 */
static int fence_fd_status(int fd, int *status)
{
	struct sync_file_info info = {0};

	if (ioctl(fd, SYNC_IOC_FILE_INFO, &info) < 0)
		return -1;
	*status = info.status;
	return 0;
}

/* Adds a sync_file given as sync_file (owned) or, if that is NULL, as a raw owned fd. */
static int add_fence_fd(struct sb_waiter *waiter, int fd, struct sb_sync_file *sync_file,
			bool precheck)
{
	int status = 0;

	if (precheck && fence_fd_status(fd, &status) < 0) {
		entry_release(fd, sync_file);
		return -1;
	}
	if (status != 0) {
		note_status(waiter, status);
		entry_release(fd, sync_file);
		return 0;
	}
	if (waiter->has_deadline) {
		struct sync_set_deadline args = {.deadline_ns = waiter->deadline_ns};

		ioctl(fd, SYNC_IOC_SET_DEADLINE, &args);
	}
	if (!add_entry(waiter, ENTRY_SYNC_FILE, fd, sync_file, EPOLLIN))
		return -1;
	return 0;
}

int sb_waiter_add_sync_file(struct sb_waiter *waiter, struct sb_sync_file *sync_file)
{
	if (!sync_file) {
		errno = EINVAL;
		return -1;
	}
	return add_fence_fd(waiter, sb_sync_file_get_fd(sync_file), sync_file, true);
}

/*
 * Is fd a dma-buf? One fstatfs(): dma-buf files live on the dmabuf pseudo filesystem
 * (DMA_BUF_MAGIC, since Linux 5.3); before that on anon_inodefs, where sb_dmabuf_check() tells
 * them apart by name. Returns 1, 0, or -1 (EBADF...).
 */
static int is_dmabuf(int fd)
{
	struct statfs st;

	if (fd < 0) {
		errno = EBADF;
		return -1;
	}
	if (fstatfs(fd, &st) < 0)
		return -1;
	if (st.f_type == DMA_BUF_MAGIC)
		return 1;
	if (st.f_type == ANON_INODE_FS_MAGIC)
		return sb_dmabuf_check(fd);
	return 0;
}

/*
 * DMA_BUF_IOCTL_EXPORT_SYNC_FILE into a raw fd: sb_dmabuf_export_sync_file() would check the
 * dma-buf (2 syscalls) and the new sync_file (2 more), and the kernel made both. Returns the
 * sync_file fd, or -1 with errno (ENOTTY: a kernel before 6.0).
 */
static int export_snapshot(int dmabuf_fd, enum sb_access access, bool checked)
{
	struct dma_buf_export_sync_file args = {.fd = -1};
	int ret = checked ? 1 : is_dmabuf(dmabuf_fd);

	if (ret < 0)
		return -1;
	if (ret == 0) {
		sb_log(SB_DEBUG, "fd %d is not a dma-buf", dmabuf_fd);
		errno = EINVAL;
		return -1;
	}
	if (access & SB_ACCESS_READ)
		args.flags |= DMA_BUF_SYNC_READ;
	if (access & SB_ACCESS_WRITE)
		args.flags |= DMA_BUF_SYNC_WRITE;
	/* dma_buf_export_sync_file() makes the fd O_CLOEXEC. */
	if (SB_KERNEL_ALLOC(ioctl(dmabuf_fd, DMA_BUF_IOCTL_EXPORT_SYNC_FILE, &args)) < 0)
		return -1;
	return args.fd;
}

int sb_waiter_add_dmabuf(struct sb_waiter *waiter, int dmabuf_fd, enum sb_access access,
			 uint32_t flags)
{
	int fd, idle;

	if (access == 0 || (access & ~SB_ACCESS_RW)) {
		errno = EINVAL;
		return -1;
	}
	if (!(flags & SB_WAIT_FORCE_FALLBACK)) {
		fd = export_snapshot(dmabuf_fd, access, flags & SB_WAIT_CHECKED_DMABUF);
		if (fd >= 0)
			return add_fence_fd(waiter, fd, NULL, !(flags & SB_WAIT_NO_PRECHECK)) < 0
				       ? -1
				       : 1;
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
	timer_fd = SB_KERNEL_ALLOC(timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK));
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
		if (efd >= 0) {
			struct entry *entry = add_entry(waiter, ENTRY_EVENTFD, efd, NULL, EPOLLIN);

			if (!entry)
				return -1;
			/* Kept for sb_waiter_export_sync_file(). */
			entry->syncobj = syncobj;
			entry->point = point;
			entry->available = available;
			return 0;
		}
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

		struct sync_set_deadline args = {.deadline_ns = deadline_ns};

		if (!entry->pending || entry->kind != ENTRY_SYNC_FILE)
			continue;
		if (ioctl(entry->fd, SYNC_IOC_SET_DEADLINE, &args) == 0)
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

/* One pending entry as a sync_file of its own, or NULL (errno EAGAIN: not a fence yet). */
static struct sb_sync_file *entry_export(const struct entry *entry)
{
	switch (entry->kind) {
	case ENTRY_SYNC_FILE:
		return sb_sync_file_import_dup(entry->fd);
	case ENTRY_EVENTFD:
	case ENTRY_TIMER:
		/* A point waited for to be submitted only is not what a consumer must wait for. */
		if (entry->available || !entry->syncobj) {
			errno = EAGAIN;
			return NULL;
		}
		/* Fails (EINVAL from the transfer) while no fence is submitted for the point. */
		if (sb_syncobj_point_state(entry->syncobj, entry->point) != SB_POINT_AVAILABLE) {
			errno = EAGAIN;
			return NULL;
		}
		return sb_syncobj_export_point(entry->syncobj, entry->point);
	case ENTRY_DMABUF:
		break;
	}
	/* poll() on a dma-buf fd is no fence: it may stand for fences added later. */
	errno = EAGAIN;
	return NULL;
}

struct sb_sync_file *sb_waiter_export_sync_file(const struct sb_waiter *waiter)
{
	struct sb_sync_file *merged = NULL;

	for (size_t i = 0; i < waiter->n_entries; i++) {
		const struct entry *entry = &waiter->entries[i];
		struct sb_sync_file *fence, *next;

		if (!entry->pending)
			continue;
		fence = entry_export(entry);
		if (!fence)
			goto err;
		if (!merged) {
			merged = fence;
			continue;
		}
		next = sb_sync_file_merge("syncbridge-acquire", merged, fence);
		sb_sync_file_destroy(fence);
		if (!next)
			goto err;
		sb_sync_file_destroy(merged);
		merged = next;
	}
	if (!merged)
		errno = ENOENT;
	return merged;

err:
	if (merged) {
		int err = errno;

		sb_sync_file_destroy(merged);
		errno = err;
	}
	return NULL;
}

/* The one pending entry, if there is exactly one and its fd stays the same until it is done. */
static const struct entry *single_stable_entry(const struct sb_waiter *waiter)
{
	if (waiter->pending != 1)
		return NULL;
	for (size_t i = 0; i < waiter->n_entries; i++) {
		const struct entry *entry = &waiter->entries[i];

		/* A fallback timer is replaced by a sync_file: its fd is not stable. */
		if (entry->pending)
			return entry->kind == ENTRY_SYNC_FILE || entry->kind == ENTRY_EVENTFD
				       ? entry
				       : NULL;
	}
	return NULL;
}

static int make_epoll(struct sb_waiter *waiter)
{
	waiter->epoll_fd = SB_KERNEL_ALLOC(epoll_create1(EPOLL_CLOEXEC));
	if (waiter->epoll_fd < 0) {
		sb_log_errno(SB_DEBUG, "epoll_create1 failed");
		return -1;
	}
	for (size_t i = 0; i < waiter->n_entries; i++) {
		if (waiter->entries[i].pending && epoll_add_entry(waiter, i) < 0) {
			sb_close_keep_errno(waiter->epoll_fd);
			waiter->epoll_fd = -1;
			return -1;
		}
	}
	return 0;
}

int sb_waiter_get_fd(const struct sb_waiter *waiter)
{
	/* The waiter is always allocated by sb_waiter_create(): never a const object. */
	struct sb_waiter *w = (struct sb_waiter *)waiter;
	const struct entry *single;

	if (w->epoll_fd >= 0)
		return w->epoll_fd;
	single = single_stable_entry(w);
	if (single)
		return single->fd;
	return make_epoll(w) < 0 ? -1 : w->epoll_fd;
}

int sb_waiter_pending(const struct sb_waiter *waiter)
{
	return waiter->pending;
}

bool sb_waiter_is_done(const struct sb_waiter *waiter)
{
	return waiter->pending == 0;
}

static bool out_of_resources(int err)
{
	return err == ENOMEM || err == EMFILE || err == ENFILE;
}

/*
 * A fallback timer fired: check the point again. Returns -1 on failure. The array may grow:
 * the entry is found again by its index.
 */
static int handle_timer(struct sb_waiter *waiter, size_t index)
{
	struct entry *entry = &waiter->entries[index];
	const struct sb_syncobj *syncobj = entry->syncobj;
	uint64_t expirations, point = entry->point;
	int state, ret = 0;

	if (read(entry->fd, &expirations, sizeof(expirations)) < 0 && errno != EAGAIN)
		return -1;
	state = sb_syncobj_point_state(syncobj, point);
	if (state == SB_POINT_PENDING) {
		if (entry->check_ns < POINT_CHECK_MAX_NS)
			entry->check_ns *= 2;
		return arm_timer(entry->fd, entry->check_ns);
	}
	/* Submitted but not signalled: the point's fence is waited on as a sync_file. */
	if (state >= 0 && !point_reached(state, entry->available))
		ret = add_point_fallback(waiter, syncobj, point, entry->available, state);
	entry = &waiter->entries[index];
	if (state < 0 || ret < 0) {
		/*
		 * The timer is replaced only once its replacement is in: short of memory or fds,
		 * the wait goes on and the timer checks again, rather than failing a wait that
		 * will be satisfiable in a moment.
		 */
		if (!out_of_resources(errno))
			return -1;
		sb_log_errno(SB_DEBUG, "point %" PRIu64 ": checking again later", point);
		return arm_timer(entry->fd, entry->check_ns);
	}
	entry_finish(waiter, entry);
	return 0;
}

static int handle_entry(struct sb_waiter *waiter, struct entry *entry)
{
	uint64_t count;
	int status;

	switch (entry->kind) {
	case ENTRY_SYNC_FILE:
		if (fence_fd_status(entry->fd, &status) == 0)
			note_status(waiter, status);
		break;
	case ENTRY_EVENTFD:
		if (read(entry->fd, &count, sizeof(count)) < 0 && errno != EAGAIN)
			return -1;
		break;
	case ENTRY_DMABUF:
		break;
	case ENTRY_TIMER:
		return handle_timer(waiter, (size_t)(entry - waiter->entries));
	}
	entry_finish(waiter, entry);
	return 0;
}

/*
 * Without an epoll set: look at each pending entry. A sync_file's FILE_INFO says whether it is
 * done and how in one ioctl; other fds are polled. Returns 0, or -1 if the wait failed.
 */
static int collect_without_epoll(struct sb_waiter *waiter)
{
	for (size_t i = 0; i < waiter->n_entries; i++) {
		struct entry *entry = &waiter->entries[i];
		struct pollfd pfd = {.fd = entry->fd, .events = (short)entry->events};
		int status, ret;

		if (!entry->pending)
			continue;
		if (entry->kind == ENTRY_SYNC_FILE) {
			if (fence_fd_status(entry->fd, &status) < 0)
				return -1;
			if (status == 0)
				continue;
			note_status(waiter, status);
			entry_finish(waiter, entry);
			continue;
		}
		do {
			ret = poll(&pfd, 1, 0);
		} while (ret < 0 && errno == EINTR);
		if (ret < 0)
			return -1;
		/* handle_entry() may grow the array: entry is not used after it. */
		if (ret > 0 && handle_entry(waiter, entry) < 0)
			return -1;
	}
	return 0;
}

int sb_waiter_dispatch_ready(struct sb_waiter *waiter)
{
	const struct entry *single;

	if (waiter->called || waiter->epoll_fd >= 0)
		return sb_waiter_dispatch(waiter);
	single = single_stable_entry(waiter);
	/*
	 * The lone fd handed out was readable. A sync_file: sync_file_poll() says EPOLLIN once
	 * every fence of the file has signalled. A syncobj eventfd: the kernel signals it when the
	 * point is reached (drm_syncobj_eventfd), and the eventfd is ours alone and never waited
	 * on again, so its count need not be read (nor the fd polled first).
	 */
	if (single)
		entry_retire(waiter, (struct entry *)single);
	return sb_waiter_dispatch(waiter);
}

int sb_waiter_dispatch(struct sb_waiter *waiter)
{
	struct epoll_event events[16];
	int n;

	if (waiter->called)
		return 1;
	if (waiter->epoll_fd < 0) {
		if (collect_without_epoll(waiter) < 0)
			goto err;
		goto collected;
	}
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
collected:
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
