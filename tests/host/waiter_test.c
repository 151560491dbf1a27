// SPDX-License-Identifier: MIT
/* sb_waiter: its own fds, the empty wait, and refused adds. Waits on real fences: tests/vm/. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <syncbridge/waiter.h>

#include "fds.h"
#include "tap.h"

struct done_record {
	int calls;
	int status;
	struct sb_waiter *destroy;
};

static void record_done(struct sb_waiter *waiter, int status, void *data)
{
	struct done_record *record = data;

	(void)waiter;
	record->calls++;
	record->status = status;
	if (record->destroy)
		sb_waiter_destroy(record->destroy);
}

static void fd_is_close_on_exec_and_owned(struct sb_test_ctx *t)
{
	int before = sb_count_fds();
	struct sb_waiter *waiter = sb_waiter_create(NULL, NULL);
	int fd;

	if (!expect(t, waiter != NULL))
		return;
	fd = sb_waiter_get_fd(waiter);
	expect(t, fcntl(fd, F_GETFD) & FD_CLOEXEC);
	expect(t, sb_count_fds() == before + 1);
	sb_waiter_destroy(waiter);
	expect(t, !sb_fd_is_open(fd));
}

static void nothing_to_wait_for_is_done_at_once(struct sb_test_ctx *t)
{
	struct done_record record = {.status = 1};
	struct sb_waiter *waiter = sb_waiter_create(record_done, &record);
	struct pollfd pfd;

	if (!expect(t, waiter != NULL))
		return;
	pfd = (struct pollfd){.fd = sb_waiter_get_fd(waiter), .events = POLLIN};
	expect(t, sb_waiter_pending(waiter) == 0);
	expect(t, sb_waiter_is_done(waiter));
	/* The fd of an empty wait never becomes readable: the owner checks is_done first. */
	expect(t, poll(&pfd, 1, 0) == 0);
	expect(t, record.calls == 0);
	expect(t, sb_waiter_dispatch(waiter) == 1);
	expect(t, record.calls == 1 && record.status == 0);
	/* done is called once, however often dispatch is. */
	expect(t, sb_waiter_dispatch(waiter) == 1);
	expect(t, record.calls == 1);
	sb_waiter_destroy(waiter);
}

static void done_may_destroy_the_waiter(struct sb_test_ctx *t)
{
	struct done_record record = {0};
	struct sb_waiter *waiter = sb_waiter_create(record_done, &record);

	if (!expect(t, waiter != NULL))
		return;
	record.destroy = waiter;
	/* Under ASan a use of the waiter after the callback freed it aborts the test. */
	expect(t, sb_waiter_dispatch(waiter) == 1);
	expect(t, record.calls == 1);
}

static void add_of_no_sync_file_is_einval(struct sb_test_ctx *t)
{
	struct sb_waiter *waiter = sb_waiter_create(NULL, NULL);

	expect_errno(t, sb_waiter_add_sync_file(waiter, NULL), EINVAL);
	expect_errno(t, sb_waiter_add_syncobj_point(waiter, NULL, 1, 0), EINVAL);
	expect(t, sb_waiter_pending(waiter) == 0);
	sb_waiter_destroy(waiter);
}

static void add_of_other_files_as_dmabuf_is_einval_in_both_modes(struct sb_test_ctx *t)
{
	struct sb_waiter *waiter = sb_waiter_create(NULL, NULL);

	for (int kind = 0; kind < SB_FD_KIND_COUNT; kind++) {
		int fd = sb_open_fd_of_kind(kind);

		sb_diag("%s", sb_fd_kind_name(kind));
		expect_errno(t, sb_waiter_add_dmabuf(waiter, fd, SB_ACCESS_READ, 0), EINVAL);
		expect_errno(
			t,
			sb_waiter_add_dmabuf(waiter, fd, SB_ACCESS_WRITE, SB_WAIT_FORCE_FALLBACK),
			EINVAL);
		expect(t, sb_fd_is_open(fd));
		close(fd);
	}
	expect(t, sb_waiter_pending(waiter) == 0);
	sb_waiter_destroy(waiter);
}

static void add_of_closed_dmabuf_is_ebadf_in_both_modes(struct sb_test_ctx *t)
{
	struct sb_waiter *waiter = sb_waiter_create(NULL, NULL);

	expect_errno(t, sb_waiter_add_dmabuf(waiter, -1, SB_ACCESS_READ, 0), EBADF);
	expect_errno(t,
		     sb_waiter_add_dmabuf(waiter, sb_closed_fd(), SB_ACCESS_READ,
					  SB_WAIT_FORCE_FALLBACK),
		     EBADF);
	expect_errno(t, sb_waiter_add_dmabuf(waiter, -1, 0, 0), EINVAL);
	sb_waiter_destroy(waiter);
}

static void deadline_with_no_fence_is_refused(struct sb_test_ctx *t)
{
	struct sb_waiter *waiter = sb_waiter_create(NULL, NULL);

	expect_errno(t, sb_waiter_set_deadline(waiter, 1000), ENOENT);
	sb_waiter_destroy(waiter);
}

int main(void)
{
	static const struct sb_test tests[] = {
		SB_TEST(fd_is_close_on_exec_and_owned),
		SB_TEST(nothing_to_wait_for_is_done_at_once),
		SB_TEST(done_may_destroy_the_waiter),
		SB_TEST(add_of_no_sync_file_is_einval),
		SB_TEST(add_of_other_files_as_dmabuf_is_einval_in_both_modes),
		SB_TEST(add_of_closed_dmabuf_is_ebadf_in_both_modes),
		SB_TEST(deadline_with_no_fence_is_refused),
	};

	return sb_test_main(tests, sizeof(tests) / sizeof(tests[0]));
}
