/* SPDX-License-Identifier: MIT */
#ifndef SYNCBRIDGE_WAITER_H
#define SYNCBRIDGE_WAITER_H

#include <stdbool.h>
#include <stdint.h>

#include <syncbridge/dmabuf.h>

struct sb_sync_file;
struct sb_syncobj;

/*
 * "Tell me when these fences are done", without blocking: the waiter gathers fences in any of
 * the three forms (sync_file, a dma-buf's implicit fences, a syncobj point) behind one fd that
 * any event loop can poll for readability. When it is readable, call sb_waiter_dispatch().
 */
struct sb_waiter;

/*
 * Called from sb_waiter_dispatch() once every fence is done. status is 0, or a negative errno:
 * the first error a fence signalled with, or why the wait failed. The callback may destroy the
 * waiter.
 */
typedef void (*sb_waiter_func_t)(struct sb_waiter *waiter, int status, void *data);

enum sb_wait_flags {
	/* Use the fallback even where the kernel has the ioctl (tests, benchmarks). */
	SB_WAIT_FORCE_FALLBACK = 1 << 0,
	/* Syncobj: wait for the point's fence to be submitted, not signalled. */
	SB_WAIT_AVAILABLE = 1 << 1,
	/* dma-buf: the caller has checked that the fd is a dma-buf (no fstatfs). */
	SB_WAIT_CHECKED_DMABUF = 1 << 2,
	/*
	 * Do not ask whether the fence has already signalled (one ioctl less): it is added anyway,
	 * and its fd is readable at once if so. sb_waiter_is_done() is then false until dispatched.
	 */
	SB_WAIT_NO_PRECHECK = 1 << 3,
};

struct sb_waiter *sb_waiter_create(sb_waiter_func_t done, void *data);
/* Cancels a wait in progress: closes every fd, never calls done. */
void sb_waiter_destroy(struct sb_waiter *waiter);

/* Takes ownership of sync_file: destroyed on failure too. */
int sb_waiter_add_sync_file(struct sb_waiter *waiter, struct sb_sync_file *sync_file);

/*
 * Waits for what an access of the given kind must wait for now: a DMA_BUF_IOCTL_EXPORT_SYNC_FILE
 * snapshot (returns 1: exact), or where the kernel lacks it (or SB_WAIT_FORCE_FALLBACK), a poll on
 * a duplicate of the dma-buf fd (returns 0: not exact, fences added later delay it too). The
 * caller keeps dmabuf_fd.
 */
int sb_waiter_add_dmabuf(struct sb_waiter *waiter, int dmabuf_fd, enum sb_access access,
			 uint32_t flags);

/*
 * Waits for a syncobj point to signal (or, with SB_WAIT_AVAILABLE, to be submitted). Uses
 * DRM_IOCTL_SYNCOBJ_EVENTFD; where it is missing (or SB_WAIT_FORCE_FALLBACK), checks the point on
 * a backing-off timer until its fence is submitted, then waits on that fence as a sync_file.
 * The syncobj is borrowed: it must outlive the waiter.
 */
int sb_waiter_add_syncobj_point(struct sb_waiter *waiter, const struct sb_syncobj *syncobj,
				uint64_t point, uint32_t flags);

/*
 * SYNC_IOC_SET_DEADLINE on every sync_file waited on; 0 if at least one took it, -1 (ENOTTY...)
 * if none.
 */
int sb_waiter_set_deadline(struct sb_waiter *waiter, uint64_t deadline_ns);

/*
 * Every fence still pending, as one sync_file the caller owns (merged if there are several): for
 * handing the wait to another consumer, such as importing it into a dma-buf for KMS
 * (DMA_BUF_IOCTL_IMPORT_SYNC_FILE). NULL with errno ENOENT if nothing is pending, EAGAIN if a
 * pending wait is not a fence yet (a syncobj point with no fence submitted, a point waited for
 * availability only, a dma-buf polled by the fallback), or the error of the export or merge. The
 * waiter is unchanged.
 */
struct sb_sync_file *sb_waiter_export_sync_file(const struct sb_waiter *waiter);

/*
 * The fd to poll for readability, owned by the waiter: ask for it after the last add. With one
 * fence pending as a sync_file or a syncobj eventfd it is that fd itself (no epoll set: fewer
 * syscalls per wait); otherwise an epoll fd over every pending fence.
 */
int sb_waiter_get_fd(const struct sb_waiter *waiter);
/* Fences not yet done. 0 right after the adds means: nothing to wait for. */
int sb_waiter_pending(const struct sb_waiter *waiter);
bool sb_waiter_is_done(const struct sb_waiter *waiter);

/*
 * Never blocks. Collects what is done; when nothing remains pending, calls done (once) and
 * returns 1. Returns 0 while fences are pending, -1 if the wait failed (done is then called with
 * the error). The waiter must not be used after a callback that destroyed it. Running short of
 * memory or fds (ENOMEM, EMFILE) while the syncobj fallback turns a submitted point into a
 * sync_file does not fail the wait: the point is checked again on the next timer.
 */
int sb_waiter_dispatch(struct sb_waiter *waiter);
/*
 * The same, for a caller whose event loop has just seen sb_waiter_get_fd() readable: when that fd
 * is a lone sync_file's own or a lone syncobj eventfd, readable means signalled and no syscall is
 * needed to say so (the fence's error status, if any, is then not reported: status is 0); that
 * fd is then closed by sb_waiter_destroy(), not before the callback.
 */
int sb_waiter_dispatch_ready(struct sb_waiter *waiter);

#endif
