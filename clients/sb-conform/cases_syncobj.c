// SPDX-License-Identifier: MIT
/*
 * wp_linux_drm_syncobj_v1 (protocols/linux-drm-syncobj-v1.xml): every error, the acquire point
 * holding the commit until it signals, and the release point signalled once the buffer is
 * replaced. Timelines are DRM syncobjs of a device of the client's own (DRM_CAP_SYNCOBJ_TIMELINE).
 */
#include <fcntl.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#include <xf86drm.h>

#include <syncbridge/syncobj.h>

#include "fixture.h"
#include "kdev.h"
#include "linux-drm-syncobj-v1-client-protocol.h"

#define AREA "linux-drm-syncobj"
#define MANAGER "wp_linux_drm_syncobj_manager_v1"
#define SURFACE "wp_linux_drm_syncobj_surface_v1"

/* The first render node, then primary node, whose driver has timeline syncobjs; -1 if none. */
static int open_timeline_device(void)
{
	static const char *const prefixes[] = {"/dev/dri/renderD", "/dev/dri/card"};
	static const int bases[] = {128, 0};

	for (int p = 0; p < 2; p++) {
		for (int i = 0; i < 16; i++) {
			char path[64];
			uint64_t cap = 0;
			int fd;

			snprintf(path, sizeof(path), "%s%d", prefixes[p], bases[p] + i);
			fd = open(path, O_RDWR | O_CLOEXEC);
			if (fd < 0)
				continue;
			if (drmGetCap(fd, DRM_CAP_SYNCOBJ_TIMELINE, &cap) == 0 && cap)
				return fd;
			close(fd);
		}
	}
	return -1;
}

struct syncobj_fixture {
	struct sc_fixture f;
	struct wp_linux_drm_syncobj_manager_v1 *manager;
	struct wp_linux_drm_syncobj_surface_v1 *sync;
	/* Acquire points on one timeline, release points on another: a signalled timeline point
	 * signals every point below it (drm_syncobj timelines are monotonic). */
	struct wp_linux_drm_syncobj_timeline_v1 *timeline, *rel_timeline;
	int drm_fd;
	struct sb_syncobj *syncobj, *rel_syncobj;
};

/* Imports syncobj as a timeline object. */
static struct wp_linux_drm_syncobj_timeline_v1 *
import(struct sb_test_ctx *t, struct syncobj_fixture *s, const struct sb_syncobj *syncobj)
{
	struct wp_linux_drm_syncobj_timeline_v1 *timeline;
	int fd = sb_syncobj_export(syncobj);

	if (!expect(t, fd >= 0))
		return NULL;
	timeline = wp_linux_drm_syncobj_manager_v1_import_timeline(s->manager, fd);
	/* The request carries a copy of the fd: ours stays ours to close. */
	wl_display_flush(s->f.client->display);
	close(fd);
	return timeline;
}

static bool syncobj_init(struct sb_test_ctx *t, struct syncobj_fixture *s, unsigned need)
{
	*s = (struct syncobj_fixture){.drm_fd = -1};
	if (!sc_fixture_init(t, &s->f, 0) || !sc_require_global(t, s->f.client, MANAGER) ||
	    !sc_fixture_need(t, &s->f, need | SC_NEED_WINDOW))
		return false;
	s->drm_fd = open_timeline_device();
	if (!sc_require_device(t, s->drm_fd >= 0, "DRM device with timeline syncobjs"))
		return false;
	s->syncobj = sb_syncobj_create(s->drm_fd);
	s->rel_syncobj = sb_syncobj_create(s->drm_fd);
	if (!expect(t, s->syncobj && s->rel_syncobj))
		return false;
	s->manager = tc_client_bind(s->f.client, &wp_linux_drm_syncobj_manager_v1_interface, 1);
	s->sync = wp_linux_drm_syncobj_manager_v1_get_surface(s->manager, s->f.window->surface);
	s->timeline = import(t, s, s->syncobj);
	s->rel_timeline = import(t, s, s->rel_syncobj);
	return expect(t, s->timeline && s->rel_timeline);
}

static void syncobj_finish(struct syncobj_fixture *s)
{
	if (s->timeline)
		wp_linux_drm_syncobj_timeline_v1_destroy(s->timeline);
	if (s->rel_timeline)
		wp_linux_drm_syncobj_timeline_v1_destroy(s->rel_timeline);
	if (s->sync)
		wp_linux_drm_syncobj_surface_v1_destroy(s->sync);
	if (s->manager)
		wp_linux_drm_syncobj_manager_v1_destroy(s->manager);
	sc_fixture_finish(&s->f);
	sb_syncobj_destroy(s->syncobj);
	sb_syncobj_destroy(s->rel_syncobj);
	if (s->drm_fd >= 0)
		close(s->drm_fd);
}

static void set_points(struct syncobj_fixture *s, uint64_t acquire, uint64_t release)
{
	if (acquire)
		wp_linux_drm_syncobj_surface_v1_set_acquire_point(
			s->sync, s->timeline, acquire >> 32, acquire & 0xffffffff);
	if (release)
		wp_linux_drm_syncobj_surface_v1_set_release_point(
			s->sync, s->rel_timeline, release >> 32, release & 0xffffffff);
}

static void syncobj_second_surface_object_is_error(struct sb_test_ctx *t)
{
	struct wp_linux_drm_syncobj_surface_v1 *second;
	struct syncobj_fixture s;

	if (syncobj_init(t, &s, 0)) {
		second =
			wp_linux_drm_syncobj_manager_v1_get_surface(s.manager, s.f.window->surface);
		expect(t, tc_client_died_of(s.f.client, MANAGER,
					    WP_LINUX_DRM_SYNCOBJ_MANAGER_V1_ERROR_SURFACE_EXISTS));
		wp_linux_drm_syncobj_surface_v1_destroy(second);
	}
	syncobj_finish(&s);
}

static void syncobj_import_of_non_syncobj_fd_is_error(struct sb_test_ctx *t)
{
	struct wp_linux_drm_syncobj_timeline_v1 *timeline;
	struct syncobj_fixture s;
	int fd = -1;

	if (syncobj_init(t, &s, 0)) {
		fd = memfd_create("sb-conform-not-a-syncobj", MFD_CLOEXEC);
		expect(t, fd >= 0);
		timeline = wp_linux_drm_syncobj_manager_v1_import_timeline(s.manager, fd);
		expect(t,
		       tc_client_died_of(s.f.client, MANAGER,
					 WP_LINUX_DRM_SYNCOBJ_MANAGER_V1_ERROR_INVALID_TIMELINE));
		wp_linux_drm_syncobj_timeline_v1_destroy(timeline);
	}
	if (fd >= 0)
		close(fd);
	syncobj_finish(&s);
}

/* Sets the points, attaches buffer (none: NULL) and commits; true if it dies of error. */
static bool commit_dies_of(struct sb_test_ctx *t, struct syncobj_fixture *s,
			   struct tc_buffer *buffer, uint64_t acquire, uint64_t release,
			   uint32_t error)
{
	set_points(s, acquire, release);
	tc_surface_show(s->f.window, buffer, NULL);
	return tc_client_died_of(s->f.client, SURFACE, error);
}

static void syncobj_points_without_buffer_is_error(struct sb_test_ctx *t)
{
	struct syncobj_fixture s;

	if (syncobj_init(t, &s, 0))
		expect(t, commit_dies_of(t, &s, NULL, 1, 2,
					 WP_LINUX_DRM_SYNCOBJ_SURFACE_V1_ERROR_NO_BUFFER));
	syncobj_finish(&s);
}

/* A dma-buf buffer, committed with acquire and release (0: not set): dies of error. */
static void dmabuf_commit_case(struct sb_test_ctx *t, uint64_t acquire, uint64_t release,
			       uint32_t error)
{
	struct tc_buffer *buffer = NULL;
	struct syncobj_fixture s;

	if (syncobj_init(t, &s, SC_NEED_DMABUF)) {
		buffer = tc_buffer_create_dmabuf(s.f.client, SC_SIZE, SC_SIZE, SC_RED);
		if (expect(t, buffer != NULL))
			expect(t, commit_dies_of(t, &s, buffer, acquire, release, error));
	}
	tc_buffer_destroy(buffer);
	syncobj_finish(&s);
}

static void syncobj_buffer_without_acquire_point_is_error(struct sb_test_ctx *t)
{
	dmabuf_commit_case(t, 0, 2, WP_LINUX_DRM_SYNCOBJ_SURFACE_V1_ERROR_NO_ACQUIRE_POINT);
}

static void syncobj_buffer_without_release_point_is_error(struct sb_test_ctx *t)
{
	dmabuf_commit_case(t, 1, 0, WP_LINUX_DRM_SYNCOBJ_SURFACE_V1_ERROR_NO_RELEASE_POINT);
}

static void syncobj_acquire_not_below_release_is_error(struct sb_test_ctx *t)
{
	struct tc_buffer *buffer = NULL;
	struct syncobj_fixture s;

	if (syncobj_init(t, &s, SC_NEED_DMABUF)) {
		buffer = tc_buffer_create_dmabuf(s.f.client, SC_SIZE, SC_SIZE, SC_RED);
		/* The XML: on one timeline the acquire point must be strictly lower. */
		wp_linux_drm_syncobj_surface_v1_set_acquire_point(s.sync, s.timeline, 0, 2);
		wp_linux_drm_syncobj_surface_v1_set_release_point(s.sync, s.timeline, 0, 2);
		if (expect(t, buffer != NULL))
			expect(t,
			       commit_dies_of(
				       t, &s, buffer, 0, 0,
				       WP_LINUX_DRM_SYNCOBJ_SURFACE_V1_ERROR_CONFLICTING_POINTS));
	}
	tc_buffer_destroy(buffer);
	syncobj_finish(&s);
}

static void syncobj_shm_buffer_is_error(struct sb_test_ctx *t)
{
	struct tc_buffer *shm = NULL;
	struct syncobj_fixture s;

	if (!syncobj_init(t, &s, 0) || !sc_require_global(t, s.f.client, "wl_shm"))
		goto out;
	shm = tc_buffer_create_shm(s.f.client, SC_SIZE, SC_SIZE, SC_RED);
	if (!expect(t, shm != NULL))
		goto out;
	set_points(&s, 1, 2);
	tc_surface_show(s.f.window, shm, NULL);
	if (tc_client_died_of(s.f.client, SURFACE,
			      WP_LINUX_DRM_SYNCOBJ_SURFACE_V1_ERROR_UNSUPPORTED_BUFFER))
		goto out;
	/* The XML: "a compositor may support it for more buffer types". */
	if (wl_display_get_error(s.f.client->display) == 0)
		sb_skip(t, "the compositor supports syncobj sync of wl_shm buffers");
	else
		t->failed = true;
out:
	tc_buffer_destroy(shm);
	syncobj_finish(&s);
}

static void syncobj_request_after_surface_destroyed_is_error(struct sb_test_ctx *t)
{
	struct syncobj_fixture s;

	if (syncobj_init(t, &s, 0)) {
		tc_surface_destroy(s.f.window);
		s.f.window = NULL;
		set_points(&s, 1, 0);
		expect(t, tc_client_died_of(s.f.client, SURFACE,
					    WP_LINUX_DRM_SYNCOBJ_SURFACE_V1_ERROR_NO_SURFACE));
	}
	syncobj_finish(&s);
}

/*
 * A fixture with dma-buf red and blue, red on screen with acquire point 1 (signalled beforehand)
 * and release point 1: false if any of it failed.
 */
static bool syncobj_show_red(struct sb_test_ctx *t, struct syncobj_fixture *s,
			     struct tc_buffer **red, struct tc_buffer **blue)
{
	*red = *blue = NULL;
	if (!syncobj_init(t, s, SC_NEED_DMABUF))
		return false;
	*red = tc_buffer_create_dmabuf(s->f.client, SC_SIZE, SC_SIZE, SC_RED);
	*blue = tc_buffer_create_dmabuf(s->f.client, SC_SIZE, SC_SIZE, SC_BLUE);
	if (!expect(t, *red && *blue))
		return false;
	expect(t, sb_syncobj_signal_point(s->syncobj, 1) == 0);
	set_points(s, 1, 1);
	return sc_fixture_show(t, &s->f, *red);
}

static void syncobj_commit_held_until_acquire_point_signals(struct sb_test_ctx *t)
{
	struct tc_buffer *red = NULL, *blue = NULL;
	struct tc_frame frame = {0};
	struct syncobj_fixture s;

	if (!syncobj_show_red(t, &s, &red, &blue))
		goto out;
	/* Blue waits for point 2, which has no fence yet: held until it is submitted and signals. */
	set_points(&s, 2, 2);
	tc_frame_request(&frame, s.f.window->surface, NULL);
	tc_surface_show(s.f.window, blue, NULL);
	expect(t, !tc_client_wait(s.f.client, &frame.done, SC_HELD_MS));
	expect(t, sb_syncobj_signal_point(s.syncobj, 2) == 0);
	expect(t, tc_client_wait(s.f.client, &frame.done, SC_SOON_MS));
out:
	tc_frame_finish(&frame);
	tc_buffer_destroy(red);
	tc_buffer_destroy(blue);
	syncobj_finish(&s);
}

/* The release point of a buffer: not while it is on screen, soon once another replaced it. */
static void syncobj_release_point_signalled_after_buffer_replaced(struct sb_test_ctx *t)
{
	struct tc_buffer *red = NULL, *blue = NULL;
	struct syncobj_fixture s;
	int state = -1;

	if (!syncobj_show_red(t, &s, &red, &blue))
		goto out;
	tc_client_wait(s.f.client, NULL, SC_HELD_MS);
	expect(t, sb_syncobj_point_state(s.rel_syncobj, 1) != SB_POINT_SIGNALED);
	expect(t, sb_syncobj_signal_point(s.syncobj, 2) == 0);
	set_points(&s, 2, 2);
	if (!sc_fixture_show(t, &s.f, blue))
		goto out;
	for (int i = 0; i < SC_SOON_MS / 20; i++) {
		state = sb_syncobj_point_state(s.rel_syncobj, 1);
		if (state == SB_POINT_SIGNALED)
			break;
		tc_client_wait(s.f.client, NULL, 20);
	}
	expect(t, state == SB_POINT_SIGNALED);
	/* Blue is still on screen. */
	expect(t, sb_syncobj_point_state(s.rel_syncobj, 2) != SB_POINT_SIGNALED);
out:
	tc_buffer_destroy(red);
	tc_buffer_destroy(blue);
	syncobj_finish(&s);
}

const struct sc_case sc_syncobj_cases[] = {
	SC_CASE(AREA, syncobj_second_surface_object_is_error),
	SC_CASE(AREA, syncobj_import_of_non_syncobj_fd_is_error),
	SC_CASE(AREA, syncobj_points_without_buffer_is_error),
	SC_CASE(AREA, syncobj_buffer_without_acquire_point_is_error),
	SC_CASE(AREA, syncobj_buffer_without_release_point_is_error),
	SC_CASE(AREA, syncobj_acquire_not_below_release_is_error),
	SC_CASE(AREA, syncobj_shm_buffer_is_error),
	SC_CASE(AREA, syncobj_request_after_surface_destroyed_is_error),
	SC_CASE(AREA, syncobj_commit_held_until_acquire_point_signals),
	SC_CASE(AREA, syncobj_release_point_signalled_after_buffer_replaced),
};
const size_t sc_n_syncobj_cases = sizeof(sc_syncobj_cases) / sizeof(sc_syncobj_cases[0]);
