// SPDX-License-Identifier: MIT
/* sb_syncobj against fds that are not DRM devices or syncobjs. Real timelines: tests/vm/. */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include <syncbridge/syncobj.h>

#include "fds.h"
#include "tap.h"

static void create_on_other_files_is_einval(struct sb_test_ctx *t)
{
	for (int kind = 0; kind < SB_FD_KIND_COUNT; kind++) {
		int fd = sb_open_fd_of_kind(kind);

		sb_diag("%s", sb_fd_kind_name(kind));
		expect_null_errno(t, sb_syncobj_create(fd), EINVAL);
		expect(t, sb_fd_is_open(fd));
		close(fd);
	}
}

static void create_on_minus_one_or_closed_fd_is_ebadf(struct sb_test_ctx *t)
{
	expect_null_errno(t, sb_syncobj_create(-1), EBADF);
	expect_null_errno(t, sb_syncobj_create(sb_closed_fd()), EBADF);
}

static void import_takes_the_syncobj_fd_on_every_path(struct sb_test_ctx *t)
{
	for (int kind = 0; kind < SB_FD_KIND_COUNT; kind++) {
		int not_drm = sb_open_fd_of_kind(kind);
		int syncobj_fd = sb_open_fd_of_kind(SB_FD_MEMFD);

		sb_diag("DRM fd is a %s", sb_fd_kind_name(kind));
		expect_null_errno(t, sb_syncobj_import(not_drm, syncobj_fd), EINVAL);
		expect(t, !sb_fd_is_open(syncobj_fd));
		expect(t, sb_fd_is_open(not_drm));
		close(not_drm);
	}
	{
		int syncobj_fd = sb_open_fd_of_kind(SB_FD_EVENTFD);

		expect_null_errno(t, sb_syncobj_import(-1, syncobj_fd), EBADF);
		expect(t, !sb_fd_is_open(syncobj_fd));
	}
}

static void import_of_minus_one_is_ebadf(struct sb_test_ctx *t)
{
	int fd = sb_open_fd_of_kind(SB_FD_DEV_NULL);

	expect_null_errno(t, sb_syncobj_import(fd, -1), EBADF);
	close(fd);
}

static void timeline_on_a_drm_device(struct sb_test_ctx *t)
{
	int fd = open("/dev/dri/card0", O_RDWR | O_CLOEXEC);
	struct sb_syncobj *syncobj;
	uint64_t point = 1;

	if (fd < 0) {
		sb_skip(t, "no /dev/dri/card0 on this host: real timelines are tested in the VM");
		return;
	}
	syncobj = sb_syncobj_create(fd);
	if (expect(t, syncobj != NULL)) {
		expect(t, sb_syncobj_query(syncobj, &point) == 0 && point == 0);
		expect(t, sb_syncobj_point_state(syncobj, 1) == SB_POINT_PENDING);
		sb_syncobj_destroy(syncobj);
	}
	close(fd);
}

int main(void)
{
	static const struct sb_test tests[] = {
		SB_TEST(create_on_other_files_is_einval),
		SB_TEST(create_on_minus_one_or_closed_fd_is_ebadf),
		SB_TEST(import_takes_the_syncobj_fd_on_every_path),
		SB_TEST(import_of_minus_one_is_ebadf),
		SB_TEST(timeline_on_a_drm_device),
	};

	return sb_test_main(tests, sizeof(tests) / sizeof(tests[0]));
}
