// SPDX-License-Identifier: MIT
/*
 * Fault injection: the bridge with no fd numbers left (RLIMIT_NOFILE lowered at run time to what
 * is open plus k, k swept from 0). Every operation either works or fails with -1 and EMFILE, and
 * whatever it did leaves no fd behind. The sweep must reach both ends — all failing at k = 0, all
 * working at the largest k — or it tested nothing.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <syncbridge/dmabuf.h>
#include <syncbridge/sync_file.h>
#include <syncbridge/syncobj.h>
#include <syncbridge/waiter.h>

#include "kdev.h"
#include "tap.h"

#define MAX_SPARE 8

/* The lowest free fd number: with RLIMIT_NOFILE at that plus k, exactly k more fds can open. */
static int lowest_free_fd(void)
{
	int fd = dup(0);

	if (fd >= 0)
		close(fd);
	return fd;
}

static struct rlimit saved_limit;

static bool limit_fds(int spare)
{
	struct rlimit limit;

	getrlimit(RLIMIT_NOFILE, &saved_limit);
	limit = saved_limit;
	limit.rlim_cur = (rlim_t)(lowest_free_fd() + spare);
	return setrlimit(RLIMIT_NOFILE, &limit) == 0;
}

static void restore_fds(void)
{
	setrlimit(RLIMIT_NOFILE, &saved_limit);
}

/* An operation under test: 0 if it worked, -1 with errno if not; frees what it made either way. */
typedef int (*fd_op_t)(struct sb_fence_fixture *f, int dmabuf);

static int op_export_import(struct sb_fence_fixture *f, int dmabuf)
{
	struct sb_sync_file *fence = sb_dmabuf_export_sync_file(dmabuf, SB_ACCESS_RW);
	int ret;

	if (!fence)
		return -1;
	ret = sb_dmabuf_import_sync_file(dmabuf, fence, SB_ACCESS_READ);
	sb_sync_file_destroy(fence);
	return ret;
}

static int op_merge(struct sb_fence_fixture *f, int dmabuf)
{
	struct sb_sync_file *a = sb_dmabuf_export_sync_file(dmabuf, SB_ACCESS_RW), *b = NULL,
			    *m = NULL;
	int err;

	if (a)
		b = sb_dmabuf_export_sync_file(dmabuf, SB_ACCESS_RW);
	if (b)
		m = sb_sync_file_merge("fd-exhaustion", a, b);
	err = errno;
	sb_sync_file_destroy(m);
	sb_sync_file_destroy(b);
	sb_sync_file_destroy(a);
	errno = err;
	return m ? 0 : -1;
}

static void waiter_done(struct sb_waiter *waiter, int status, void *data)
{
	*(int *)data = 1;
}

/* A waiter on the dma-buf's snapshot and on a sw_sync fence; signalled and dispatched when made. */
static int op_waiter(struct sb_fence_fixture *f, int dmabuf)
{
	int done = 0, fence_fd, ret = -1, err;
	struct sb_waiter *waiter = sb_waiter_create(waiter_done, &done);
	struct sb_sync_file *sw;

	if (!waiter)
		return -1;
	fence_fd = sb_sw_fence_create(f->timeline, 1);
	if (fence_fd < 0)
		goto out;
	/* Takes fence_fd, on failure too (it closes it). */
	sw = sb_sync_file_import(fence_fd);
	if (!sw)
		goto out;
	if (sb_waiter_add_sync_file(waiter, sw) < 0 ||
	    sb_waiter_add_dmabuf(waiter, dmabuf, SB_ACCESS_READ, 0) < 0)
		goto out;
	sb_sw_timeline_inc(f->timeline, 1);
	if (sb_poll_fd(sb_waiter_get_fd(waiter), POLLIN, 1000) == 1 &&
	    sb_waiter_dispatch(waiter) == 1 && done)
		ret = 0;
	else
		errno = ETIME;
out:
	err = errno;
	sb_waiter_destroy(waiter);
	errno = err;
	return ret;
}

/* Sweeps the spare fd count; fails on any error but EMFILE, any leak, or a sweep with no ends. */
static void sweep(struct sb_test_ctx *t, const char *what, fd_op_t op, bool fresh_timeline)
{
	struct sb_fence_fixture f;
	int dmabuf, worked_at = -1, baseline;

	if (!expect(t, sb_fence_fixture_init(&f) == 0))
		return;
	dmabuf = sb_udmabuf_create(4096);
	if (!expect(t, dmabuf >= 0)) {
		sb_fence_fixture_finish(&f);
		return;
	}
	baseline = sb_count_fds();
	for (int spare = 0; spare <= MAX_SPARE; spare++) {
		int ret, err;

		if (fresh_timeline) {
			/* Each round its own timeline, made before the limit: fences start unsignalled. */
			close(f.timeline);
			f.timeline = sb_sw_timeline_create();
		}
		if (!expect(t, limit_fds(spare)))
			break;
		ret = op(&f, dmabuf);
		err = errno;
		restore_fds();
		if (ret < 0 && !expect(t, err == EMFILE))
			sb_diag("%s with %d spare fd(s): %s", what, spare, strerror(err));
		expect(t, sb_count_fds() == baseline);
		if (ret == 0 && worked_at < 0)
			worked_at = spare;
		if (ret < 0 && worked_at >= 0) {
			sb_diag("%s: worked with %d spare fds, not with %d", what, worked_at,
				spare);
			expect(t, false);
		}
	}
	sb_diag("%s: fails with EMFILE below %d spare fd(s), works from there", what, worked_at);
	expect(t, worked_at > 0);
	close(dmabuf);
	sb_fence_fixture_finish(&f);
}

static void export_and_import_fail_with_emfile_and_leak_nothing(struct sb_test_ctx *t)
{
	sweep(t, "export + import", op_export_import, false);
}

static void merge_fails_with_emfile_and_leaks_nothing(struct sb_test_ctx *t)
{
	sweep(t, "export x2 + merge", op_merge, false);
}

static void waiter_fails_with_emfile_and_leaks_nothing(struct sb_test_ctx *t)
{
	sweep(t, "waiter (sync_file + snapshot)", op_waiter, true);
}

int main(void)
{
	static const struct sb_test tests[] = {
		SB_TEST(export_and_import_fail_with_emfile_and_leak_nothing),
		SB_TEST(merge_fails_with_emfile_and_leaks_nothing),
		SB_TEST(waiter_fails_with_emfile_and_leaks_nothing),
	};

	return sb_test_main(tests, sizeof(tests) / sizeof(tests[0]));
}
