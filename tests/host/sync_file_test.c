// SPDX-License-Identifier: MIT
/* sb_sync_file against fds that are not sync_files. Real fences: tests/vm/. */
#include <errno.h>
#include <unistd.h>

#include <syncbridge/sync_file.h>

#include "fds.h"
#include "tap.h"

static void import_of_minus_one_is_ebadf(struct sb_test_ctx *t)
{
	expect_null_errno(t, sb_sync_file_import(-1), EBADF);
	expect_null_errno(t, sb_sync_file_import_dup(-1), EBADF);
}

static void import_of_closed_fd_is_ebadf(struct sb_test_ctx *t)
{
	int fd = sb_closed_fd();

	expect_null_errno(t, sb_sync_file_import(fd), EBADF);
	expect_null_errno(t, sb_sync_file_import_dup(fd), EBADF);
}

static void import_of_other_files_is_einval_and_takes_the_fd(struct sb_test_ctx *t)
{
	for (int kind = 0; kind < SB_FD_KIND_COUNT; kind++) {
		int fd = sb_open_fd_of_kind(kind);

		sb_diag("%s", sb_fd_kind_name(kind));
		if (!expect(t, fd >= 0))
			continue;
		expect_null_errno(t, sb_sync_file_import(fd), EINVAL);
		/* sb_sync_file_import() owns fd from the call on, failure included. */
		expect(t, !sb_fd_is_open(fd));
	}
}

static void import_dup_of_other_files_is_einval_and_keeps_the_fd(struct sb_test_ctx *t)
{
	for (int kind = 0; kind < SB_FD_KIND_COUNT; kind++) {
		int fd = sb_open_fd_of_kind(kind);

		sb_diag("%s", sb_fd_kind_name(kind));
		if (!expect(t, fd >= 0))
			continue;
		expect_null_errno(t, sb_sync_file_import_dup(fd), EINVAL);
		expect(t, sb_fd_is_open(fd));
		close(fd);
	}
}

int main(void)
{
	static const struct sb_test tests[] = {
		SB_TEST(import_of_minus_one_is_ebadf),
		SB_TEST(import_of_closed_fd_is_ebadf),
		SB_TEST(import_of_other_files_is_einval_and_takes_the_fd),
		SB_TEST(import_dup_of_other_files_is_einval_and_keeps_the_fd),
	};

	return sb_test_main(tests, sizeof(tests) / sizeof(tests[0]));
}
