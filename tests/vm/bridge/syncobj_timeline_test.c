// SPDX-License-Identifier: MIT
/*
 * Guest: sb_syncobj on the guest driver with DRM_CAP_SYNCOBJ_TIMELINE (virtio_gpu), after what
 * IGT's syncobj_timeline and syncobj_eventfd check.
 */
#include <errno.h>
#include <poll.h>
#include <unistd.h>

#include <xf86drm.h>

#include <syncbridge/probe.h>
#include <syncbridge/sync_file.h>
#include <syncbridge/syncobj.h>

#include "fds.h"
#include "kdev.h"
#include "tap.h"

struct fixture {
	int drm_fd;
	int timeline;
	struct sb_syncobj *syncobj;
};

static bool fixture_init(struct sb_test_ctx *t, struct fixture *f)
{
	f->drm_fd = sb_drm_open_by_name("virtio_gpu");
	f->timeline = sb_sw_timeline_create();
	f->syncobj = NULL;
	if (!expect(t, f->drm_fd >= 0 && f->timeline >= 0))
		return false;
	f->syncobj = sb_syncobj_create(f->drm_fd);
	return expect(t, f->syncobj != NULL);
}

static void fixture_finish(struct fixture *f)
{
	sb_syncobj_destroy(f->syncobj);
	if (f->timeline >= 0)
		close(f->timeline);
	if (f->drm_fd >= 0)
		close(f->drm_fd);
}

static void virtio_gpu_offers_timelines_and_eventfd(struct sb_test_ctx *t)
{
	int fd = sb_drm_open_by_name("virtio_gpu");
	uint64_t cap = 0;

	if (!expect(t, fd >= 0))
		return;
	expect(t, drmGetCap(fd, DRM_CAP_SYNCOBJ, &cap) == 0 && cap == 1);
	expect(t, drmGetCap(fd, DRM_CAP_SYNCOBJ_TIMELINE, &cap) == 0 && cap == 1);
	expect(t, sb_probe_syncobj_eventfd(fd) == 1);
	close(fd);
}

static void point_sync_file_round_trip(struct sb_test_ctx *t)
{
	struct fixture f;
	struct sb_sync_file *in = NULL, *out = NULL;
	uint64_t last = 99;

	if (!fixture_init(t, &f))
		goto done;
	in = sb_sync_file_import(sb_sw_fence_create(f.timeline, 1));
	expect(t, sb_syncobj_point_state(f.syncobj, 1) == SB_POINT_PENDING);
	expect(t, in && sb_syncobj_import_point(f.syncobj, 1, in) == 0);
	expect(t, sb_syncobj_point_state(f.syncobj, 1) == SB_POINT_AVAILABLE);
	out = sb_syncobj_export_point(f.syncobj, 1);
	if (!expect(t, out != NULL))
		goto done;
	expect(t, sb_sync_file_is_signaled(out) == 0);
	expect(t, sb_syncobj_query(f.syncobj, &last) == 0 && last == 0);
	expect(t, sb_sw_timeline_inc(f.timeline, 1) == 0);
	/* The exported sync_file is the same fence: it signals with the point. */
	expect(t, sb_sync_file_is_signaled(out) == 1);
	expect(t, sb_syncobj_point_state(f.syncobj, 1) == SB_POINT_SIGNALED);
	expect(t, sb_syncobj_query(f.syncobj, &last) == 0 && last == 1);
done:
	sb_sync_file_destroy(in);
	sb_sync_file_destroy(out);
	fixture_finish(&f);
}

static void export_of_a_pending_point_is_einval(struct sb_test_ctx *t)
{
	struct fixture f;

	if (fixture_init(t, &f))
		expect_null_errno(t, sb_syncobj_export_point(f.syncobj, 7), EINVAL);
	fixture_finish(&f);
}

static void signal_point_from_the_cpu(struct sb_test_ctx *t)
{
	struct fixture f;
	uint64_t last = 0;

	if (!fixture_init(t, &f))
		goto done;
	expect(t, sb_syncobj_signal_point(f.syncobj, 5) == 0);
	expect(t, sb_syncobj_point_state(f.syncobj, 5) == SB_POINT_SIGNALED);
	/* Earlier points of a timeline count as signalled once a later one has. */
	expect(t, sb_syncobj_point_state(f.syncobj, 3) == SB_POINT_SIGNALED);
	expect(t, sb_syncobj_point_state(f.syncobj, 6) == SB_POINT_PENDING);
	expect(t, sb_syncobj_query(f.syncobj, &last) == 0 && last == 5);
done:
	fixture_finish(&f);
}

static void eventfd_fires_on_materialize_and_on_signal(struct sb_test_ctx *t)
{
	struct fixture f;
	struct sb_sync_file *in = NULL;
	int available = -1, signaled = -1;

	if (!fixture_init(t, &f))
		goto done;
	available = sb_syncobj_eventfd(f.syncobj, 2, true);
	signaled = sb_syncobj_eventfd(f.syncobj, 2, false);
	if (!expect(t, available >= 0 && signaled >= 0))
		goto done;
	expect(t, sb_poll_fd(available, POLLIN, 50) == 0 && sb_poll_fd(signaled, POLLIN, 0) == 0);
	in = sb_sync_file_import(sb_sw_fence_create(f.timeline, 1));
	expect(t, in && sb_syncobj_import_point(f.syncobj, 2, in) == 0);
	expect(t, sb_poll_fd(available, POLLIN, 5000) == 1);
	expect(t, sb_poll_fd(signaled, POLLIN, 50) == 0);
	expect(t, sb_sw_timeline_inc(f.timeline, 1) == 0);
	expect(t, sb_poll_fd(signaled, POLLIN, 5000) == 1);
done:
	sb_sync_file_destroy(in);
	if (available >= 0)
		close(available);
	if (signaled >= 0)
		close(signaled);
	fixture_finish(&f);
}

static void unsubmitted_point_never_fires_and_is_cleaned_up(struct sb_test_ctx *t)
{
	struct fixture f;
	int before = sb_count_fds(), efd = -1;

	if (!fixture_init(t, &f))
		goto done;
	efd = sb_syncobj_eventfd(f.syncobj, 9, false);
	if (!expect(t, efd >= 0))
		goto done;
	expect(t, sb_poll_fd(efd, POLLIN, 200) == 0);
	/* Destroying the syncobj with an eventfd still registered frees the registration. */
	sb_syncobj_destroy(f.syncobj);
	f.syncobj = NULL;
	expect(t, sb_poll_fd(efd, POLLIN, 50) == 0);
done:
	if (efd >= 0)
		close(efd);
	fixture_finish(&f);
	expect(t, sb_count_fds() == before);
}

static void export_and_import_keep_the_timeline(struct sb_test_ctx *t)
{
	struct fixture f;
	struct sb_syncobj *imported = NULL;
	uint64_t last = 0;
	int fd;

	if (!fixture_init(t, &f))
		goto done;
	fd = sb_syncobj_export(f.syncobj);
	expect(t, fd >= 0);
	/* The import owns fd from here on. */
	imported = sb_syncobj_import(f.drm_fd, fd);
	if (!expect(t, imported != NULL))
		goto done;
	expect(t, !sb_fd_is_open(fd));
	expect(t, sb_syncobj_signal_point(f.syncobj, 4) == 0);
	expect(t, sb_syncobj_query(imported, &last) == 0 && last == 4);
done:
	sb_syncobj_destroy(imported);
	fixture_finish(&f);
}

static void import_of_a_sync_file_fd_as_syncobj_is_refused(struct sb_test_ctx *t)
{
	struct fixture f;

	if (fixture_init(t, &f)) {
		int fence = sb_sw_fence_create(f.timeline, 1);

		expect_null_errno(t, sb_syncobj_import(f.drm_fd, fence), EINVAL);
		expect(t, sb_sw_timeline_inc(f.timeline, 1) == 0);
	}
	fixture_finish(&f);
}

int main(void)
{
	static const struct sb_test tests[] = {
		SB_TEST(virtio_gpu_offers_timelines_and_eventfd),
		SB_TEST(point_sync_file_round_trip),
		SB_TEST(export_of_a_pending_point_is_einval),
		SB_TEST(signal_point_from_the_cpu),
		SB_TEST(eventfd_fires_on_materialize_and_on_signal),
		SB_TEST(unsubmitted_point_never_fires_and_is_cleaned_up),
		SB_TEST(export_and_import_keep_the_timeline),
		SB_TEST(import_of_a_sync_file_fd_as_syncobj_is_refused),
	};

	return sb_test_main(tests, sizeof(tests) / sizeof(tests[0]));
}
