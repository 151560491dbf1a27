// SPDX-License-Identifier: MIT
/* sb_dmabuf against fds that are not dma-bufs. Real dma-bufs and fences: tests/vm/. */
#include <errno.h>
#include <poll.h>
#include <unistd.h>

#include <syncbridge/dmabuf.h>
#include <syncbridge/sync_file.h>

#include "fds.h"
#include "tap.h"

static const enum sb_access accesses[] = {SB_ACCESS_READ, SB_ACCESS_WRITE, SB_ACCESS_RW};

static void check_tells_other_files_apart(struct sb_test_ctx *t)
{
	for (int kind = 0; kind < SB_FD_KIND_COUNT; kind++) {
		int fd = sb_open_fd_of_kind(kind);

		sb_diag("%s", sb_fd_kind_name(kind));
		expect(t, sb_dmabuf_check(fd) == 0);
		close(fd);
	}
}

static void check_of_minus_one_or_closed_fd_is_ebadf(struct sb_test_ctx *t)
{
	expect_errno(t, sb_dmabuf_check(-1), EBADF);
	expect_errno(t, sb_dmabuf_check(sb_closed_fd()), EBADF);
}

static void export_from_other_files_is_einval(struct sb_test_ctx *t)
{
	for (int kind = 0; kind < SB_FD_KIND_COUNT; kind++) {
		int fd = sb_open_fd_of_kind(kind);

		sb_diag("%s", sb_fd_kind_name(kind));
		for (size_t i = 0; i < sizeof(accesses) / sizeof(accesses[0]); i++)
			expect_null_errno(t, sb_dmabuf_export_sync_file(fd, accesses[i]), EINVAL);
		/* The caller keeps its fd. */
		expect(t, sb_fd_is_open(fd));
		close(fd);
	}
}

static void export_from_minus_one_or_closed_fd_is_ebadf(struct sb_test_ctx *t)
{
	expect_null_errno(t, sb_dmabuf_export_sync_file(-1, SB_ACCESS_READ), EBADF);
	expect_null_errno(t, sb_dmabuf_export_sync_file(sb_closed_fd(), SB_ACCESS_WRITE), EBADF);
}

static void access_out_of_range_is_einval(struct sb_test_ctx *t)
{
	static const unsigned int bad[] = {0, 1 << 2, SB_ACCESS_RW | 1 << 3, ~0u};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		/* Refused before the fd is looked at: -1 would otherwise give EBADF. */
		expect_null_errno(t, sb_dmabuf_export_sync_file(-1, (enum sb_access)bad[i]),
				  EINVAL);
		expect_errno(t, sb_dmabuf_is_idle(-1, (enum sb_access)bad[i]), EINVAL);
	}
}

static void is_idle_of_other_files_is_einval(struct sb_test_ctx *t)
{
	for (int kind = 0; kind < SB_FD_KIND_COUNT; kind++) {
		int fd = sb_open_fd_of_kind(kind);

		sb_diag("%s", sb_fd_kind_name(kind));
		expect_errno(t, sb_dmabuf_is_idle(fd, SB_ACCESS_READ), EINVAL);
		close(fd);
	}
	expect_errno(t, sb_dmabuf_is_idle(-1, SB_ACCESS_READ), EBADF);
}

static void poll_events_follow_dma_buf_poll(struct sb_test_ctx *t)
{
	/* drivers/dma-buf/dma-buf.c, dma_buf_poll(): POLLIN for readers, POLLOUT for writers. */
	expect(t, sb_dmabuf_poll_events(SB_ACCESS_READ) == POLLIN);
	expect(t, sb_dmabuf_poll_events(SB_ACCESS_WRITE) == POLLOUT);
	expect(t, sb_dmabuf_poll_events(SB_ACCESS_RW) == POLLOUT);
}

int main(void)
{
	static const struct sb_test tests[] = {
		SB_TEST(check_tells_other_files_apart),
		SB_TEST(check_of_minus_one_or_closed_fd_is_ebadf),
		SB_TEST(export_from_other_files_is_einval),
		SB_TEST(export_from_minus_one_or_closed_fd_is_ebadf),
		SB_TEST(access_out_of_range_is_einval),
		SB_TEST(is_idle_of_other_files_is_einval),
		SB_TEST(poll_events_follow_dma_buf_poll),
	};

	return sb_test_main(tests, sizeof(tests) / sizeof(tests[0]));
}
