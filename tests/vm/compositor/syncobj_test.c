// SPDX-License-Identifier: MIT
/*
 * Guest: syncbridge's wp_linux_drm_syncobj_v1 server, seen from real Wayland clients with
 * udmabuf buffers and timelines on the guest's virtio_gpu (DRM_CAP_SYNCOBJ_TIMELINE). Each test
 * starts its own compositor (headless, pixman). After wlcs' linux-drm-syncobj tests, plus the
 * compositor's own promises: points wait for signalled (not submitted) fences, and release points
 * are signalled whatever goes away first.
 *   syncobj_test /path/to/syncbridge [/path/to/sb-client]
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <syncbridge/sync_file.h>
#include <syncbridge/syncobj.h>

#include "fds.h"
#include "kdev.h"
#include "linux-drm-syncobj-v1-client-protocol.h"
#include "tap.h"
#include "tc_buffer.h"
#include "tc_surface.h"
#include "tc_syncobj.h"
#include "wl_client.h"

/* How long "not yet" is watched for: many frames at 60 Hz, even under emulation. */
#define HELD_MS 300
#define SOON_MS 5000
#define SO_GLOBALS (TC_COMPOSITOR | TC_SHM | TC_WM_BASE | TC_DMABUF | TC_SYNCOBJ)

static const char *syncbridge;
static const char *sb_client; /* optional second argument */

struct fixture {
	struct sb_compositor comp;
	struct tc_client *client;
	struct tc_surface *surface;
	struct tc_timeline *timeline;
	int drm_fd;
	int fds_before; /* the compositor's, once the client is set up */
};

/* A compositor, a client with one toplevel that has its syncobj surface, and one timeline. */
static bool setup(struct sb_test_ctx *t, struct fixture *f)
{
	*f = (struct fixture){.drm_fd = sb_drm_open_by_name("virtio_gpu")};
	if (!expect(t, f->drm_fd >= 0) ||
	    !expect(t, sb_compositor_start(&f->comp, syncbridge, NULL)))
		return false;
	f->client = sb_compositor_connect(&f->comp, SO_GLOBALS, SO_GLOBALS);
	if (!expect(t, f->client != NULL))
		return false;
	f->surface = tc_surface_create(f->client);
	f->timeline = tc_timeline_create(f->client, f->drm_fd);
	if (!expect(t, f->surface && f->timeline))
		return false;
	tc_surface_get_syncobj(f->surface);
	if (!expect(t, tc_client_roundtrip(f->client)))
		return false;
	f->fds_before = sb_compositor_fd_count(&f->comp);
	return true;
}

static void teardown(struct sb_test_ctx *t, struct fixture *f)
{
	tc_timeline_destroy(f->timeline);
	tc_surface_destroy(f->surface);
	tc_client_destroy(f->client);
	if (f->comp.pid > 0) {
		int status;

		status = sb_compositor_stop(&f->comp);

		/* -1: killed after 60 s, or died of a signal (ASan aborts). */
		if (status != 0)
			sb_diag("syncbridge exit status %d", status);
		expect(t, status == 0);
	}
	if (f->drm_fd >= 0)
		close(f->drm_fd);
}

/* The compositor's open fds are back to what they were after setup (polls for a while). */
static void expect_no_compositor_fd_leak(struct sb_test_ctx *t, struct fixture *f)
{
	int now = sb_compositor_fd_count_settle(&f->comp, f->fds_before, SOON_MS);

	if (now != f->fds_before)
		sb_diag("compositor fds: %d after setup, %d now", f->fds_before, now);
	expect(t, now == f->fds_before);
}

/* Waits for the client to die of a protocol error; returns its code (0: none). */
static uint32_t error_of(struct tc_client *client, const char **iface)
{
	tc_client_wait(client, NULL, 2000);
	return tc_client_error(client, iface);
}

/* Polls point on timeline until it signals or ms pass. */
static bool point_signals_within(struct tc_timeline *timeline, uint64_t point, int ms)
{
	uint64_t end = tc_now_ms() + (uint64_t)ms;

	do {
		if (sb_syncobj_point_state(timeline->syncobj, point) == SB_POINT_SIGNALED)
			return true;
		usleep(5000);
	} while (tc_now_ms() < end);
	return false;
}

static bool point_signaled(struct tc_timeline *timeline, uint64_t point)
{
	return sb_syncobj_point_state(timeline->syncobj, point) == SB_POINT_SIGNALED;
}

/* Commits buffer with both points, the acquire point already signalled; waits for the frame. */
static bool show(struct sb_test_ctx *t, struct fixture *f, struct tc_buffer *buffer,
		 uint64_t acquire, uint64_t release)
{
	bool done = false;

	expect(t, sb_syncobj_signal_point(f->timeline->syncobj, acquire) == 0);
	tc_surface_set_acquire_point(f->surface, f->timeline, acquire);
	tc_surface_set_release_point(f->surface, f->timeline, release);
	tc_surface_show(f->surface, buffer, &done);
	return expect(t, tc_client_wait(f->client, &done, SOON_MS));
}

/* The protocol error one commit of f's surface dies of, with its interface. */
static void expect_surface_error(struct sb_test_ctx *t, struct fixture *f, uint32_t code)
{
	const char *iface = "";

	expect(t, error_of(f->client, &iface) == code);
	expect(t, strcmp(iface, "wp_linux_drm_syncobj_surface_v1") == 0);
}

static void timeline_import_succeeds(struct sb_test_ctx *t)
{
	struct fixture f;

	if (!setup(t, &f))
		goto out;
	expect(t, tc_client_roundtrip(f.client));
	expect(t, tc_client_error(f.client, NULL) == 0);
out:
	teardown(t, &f);
}

/* A sync_file and a pipe are fds, but not DRM syncobjs. */
static void non_timeline_import_fails_with_invalid_timeline(struct sb_test_ctx *t)
{
	struct fixture f;
	int sw = sb_sw_timeline_create();
	int fence = sw >= 0 ? sb_sw_fence_create(sw, 1) : -1;
	int pipe_fd = sb_open_fd_of_kind(SB_FD_PIPE);
	int fds[] = {fence, pipe_fd};

	if (!expect(t, fence >= 0 && pipe_fd >= 0) || !setup(t, &f))
		goto out;
	for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++) {
		struct tc_client *client = sb_compositor_connect(&f.comp, SO_GLOBALS, SO_GLOBALS);
		const char *iface = "";

		if (!expect(t, client != NULL))
			break;
		tc_client_import_fd(client, fds[i]);
		expect(t, error_of(client, &iface) ==
				  WP_LINUX_DRM_SYNCOBJ_MANAGER_V1_ERROR_INVALID_TIMELINE);
		expect(t, strcmp(iface, "wp_linux_drm_syncobj_manager_v1") == 0);
		tc_client_destroy(client);
	}
	/* The refused fds were closed: the compositor holds none of them. */
	expect_no_compositor_fd_leak(t, &f);
out:
	teardown(t, &f);
	for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++)
		if (fds[i] >= 0)
			close(fds[i]);
	if (sw >= 0)
		close(sw);
}

static void get_surface_twice_fails_with_surface_exists(struct sb_test_ctx *t)
{
	struct fixture f;
	const char *iface = "";

	if (!setup(t, &f))
		goto out;
	tc_surface_get_syncobj(f.surface);
	expect(t,
	       error_of(f.client, &iface) == WP_LINUX_DRM_SYNCOBJ_MANAGER_V1_ERROR_SURFACE_EXISTS);
	expect(t, strcmp(iface, "wp_linux_drm_syncobj_manager_v1") == 0);
out:
	teardown(t, &f);
}

/* What the commit of a surface error test attaches. */
enum attach {
	ATTACH_NOTHING,	  /* no wl_surface.attach */
	ATTACH_NULL,	  /* a null buffer */
	ATTACH_DMABUF,	  /* a udmabuf through linux-dmabuf */
	ATTACH_SHM,	  /* a wl_shm buffer */
	SURFACE_DESTROYED /* no commit: the wl_surface is destroyed before the points are set */
};

/*
 * A wp_linux_drm_syncobj_surface_v1 request or commit the protocol forbids, and the error the
 * connection dies of. Each release point is tried in turn, on a compositor of its own.
 */
struct surface_error {
	uint64_t acquire;    /* 0: none set */
	uint64_t release[2]; /* 0: none set; a second non-zero one is another run */
	enum attach attach;
	uint32_t code;
};

static const struct surface_error buffer_without_acquire_point_fails_with_no_acquire_point = {
	.release = {1},
	.attach = ATTACH_DMABUF,
	.code = WP_LINUX_DRM_SYNCOBJ_SURFACE_V1_ERROR_NO_ACQUIRE_POINT,
};

static const struct surface_error buffer_without_release_point_fails_with_no_release_point = {
	.acquire = 1,
	.attach = ATTACH_DMABUF,
	.code = WP_LINUX_DRM_SYNCOBJ_SURFACE_V1_ERROR_NO_RELEASE_POINT,
};

static const struct surface_error points_without_buffer_fail_with_no_buffer = {
	.acquire = 1,
	.release = {2},
	.attach = ATTACH_NOTHING,
	.code = WP_LINUX_DRM_SYNCOBJ_SURFACE_V1_ERROR_NO_BUFFER,
};

static const struct surface_error points_with_null_buffer_fail_with_no_buffer = {
	.acquire = 1,
	.release = {2},
	.attach = ATTACH_NULL,
	.code = WP_LINUX_DRM_SYNCOBJ_SURFACE_V1_ERROR_NO_BUFFER,
};

static const struct surface_error point_after_surface_destroyed_fails_with_no_surface = {
	.acquire = 1,
	.attach = SURFACE_DESTROYED,
	.code = WP_LINUX_DRM_SYNCOBJ_SURFACE_V1_ERROR_NO_SURFACE,
};

static const struct surface_error shm_buffer_fails_with_unsupported_buffer = {
	.acquire = 1,
	.release = {2},
	.attach = ATTACH_SHM,
	.code = WP_LINUX_DRM_SYNCOBJ_SURFACE_V1_ERROR_UNSUPPORTED_BUFFER,
};

/* On one timeline the release point must be strictly above the acquire point. */
static const struct surface_error release_not_above_acquire_fails_with_conflicting_points = {
	.acquire = 5,
	.release = {5, 4},
	.attach = ATTACH_DMABUF,
	.code = WP_LINUX_DRM_SYNCOBJ_SURFACE_V1_ERROR_CONFLICTING_POINTS,
};

static void surface_error_run(struct sb_test_ctx *t, const struct surface_error *e,
			      uint64_t release)
{
	struct fixture f;
	struct tc_buffer *buffer = NULL;

	if (!setup(t, &f))
		goto out;
	if (e->attach == ATTACH_DMABUF)
		buffer = tc_buffer_create_dmabuf(f.client, SB_SIZE, SB_SIZE, SB_RED);
	else if (e->attach == ATTACH_SHM)
		buffer = tc_buffer_create_shm(f.client, SB_SIZE, SB_SIZE, SB_RED);
	if ((e->attach == ATTACH_DMABUF || e->attach == ATTACH_SHM) && !expect(t, buffer))
		goto out;
	if (e->attach == SURFACE_DESTROYED)
		tc_surface_destroy_wl_surface(f.surface);
	if (e->acquire)
		tc_surface_set_acquire_point(f.surface, f.timeline, e->acquire);
	if (release)
		tc_surface_set_release_point(f.surface, f.timeline, release);
	if (e->attach != ATTACH_NOTHING && e->attach != SURFACE_DESTROYED)
		tc_surface_attach(f.surface, buffer);
	if (e->attach != SURFACE_DESTROYED)
		tc_surface_commit(f.surface, NULL);
	expect_surface_error(t, &f, e->code);
out:
	tc_buffer_destroy(buffer);
	teardown(t, &f);
}

static void surface_error_test(struct sb_test_ctx *t)
{
	const struct surface_error *e = t->data;

	surface_error_run(t, e, e->release[0]);
	if (e->release[1])
		surface_error_run(t, e, e->release[1]);
}

static void commit_without_buffer_or_points_is_valid(struct sb_test_ctx *t)
{
	struct fixture f;
	bool done = false;

	if (!setup(t, &f))
		goto out;
	tc_surface_commit(f.surface, &done);
	expect(t, tc_client_roundtrip(f.client));
	expect(t, tc_client_error(f.client, NULL) == 0);
out:
	teardown(t, &f);
}

static void null_buffer_without_points_is_valid(struct sb_test_ctx *t)
{
	struct fixture f;
	struct tc_buffer *red = NULL;

	if (!setup(t, &f))
		goto out;
	red = tc_buffer_create_dmabuf(f.client, SB_SIZE, SB_SIZE, SB_RED);
	if (!expect(t, red) || !show(t, &f, red, 1, 2))
		goto out;
	expect(t, sb_compositor_pixel(&f.comp, SB_PX, SB_PY) == SB_RED);
	tc_surface_attach(f.surface, NULL);
	tc_surface_commit(f.surface, NULL);
	expect(t, tc_client_roundtrip(f.client));
	expect(t, tc_client_error(f.client, NULL) == 0);
	/* Unmapped: the buffer is no longer read, its release point signals. */
	expect(t, point_signals_within(f.timeline, 2, SOON_MS));
	expect(t, sb_compositor_pixel(&f.comp, SB_PX, SB_PY) != SB_RED);
out:
	tc_buffer_destroy(red);
	teardown(t, &f);
}

static void release_point_signalled_on_buffer_release(struct sb_test_ctx *t)
{
	struct fixture f;
	struct tc_buffer *red = NULL, *blue = NULL;

	if (!setup(t, &f))
		goto out;
	red = tc_buffer_create_dmabuf(f.client, SB_SIZE, SB_SIZE, SB_RED);
	blue = tc_buffer_create_dmabuf(f.client, SB_SIZE, SB_SIZE, SB_BLUE);
	if (!expect(t, red && blue) || !show(t, &f, red, 1, 2))
		goto out;
	/* Red is on screen: the compositor still reads it. */
	expect(t, !point_signals_within(f.timeline, 2, HELD_MS));
	if (!show(t, &f, blue, 3, 4))
		goto out;
	expect(t, point_signals_within(f.timeline, 2, SOON_MS));
	expect(t, !point_signaled(f.timeline, 4));
	expect(t, sb_compositor_pixel(&f.comp, SB_PX, SB_PY) == SB_BLUE);
	/* Unmapping releases blue too; with both wl_buffers gone the compositor holds no fd. */
	tc_surface_attach(f.surface, NULL);
	tc_surface_commit(f.surface, NULL);
	expect(t, point_signals_within(f.timeline, 4, SOON_MS));
	tc_buffer_destroy(red);
	tc_buffer_destroy(blue);
	red = blue = NULL;
	expect(t, tc_client_roundtrip(f.client));
	expect_no_compositor_fd_leak(t, &f);
out:
	tc_buffer_destroy(red);
	tc_buffer_destroy(blue);
	teardown(t, &f);
}

static void buffer_not_applied_until_acquire_point_signals(struct sb_test_ctx *t)
{
	struct fixture f;
	struct tc_buffer *red = NULL, *blue = NULL;
	bool done = false;

	if (!setup(t, &f))
		goto out;
	red = tc_buffer_create_dmabuf(f.client, SB_SIZE, SB_SIZE, SB_RED);
	blue = tc_buffer_create_dmabuf(f.client, SB_SIZE, SB_SIZE, SB_BLUE);
	if (!expect(t, red && blue) || !show(t, &f, red, 1, 2))
		goto out;
	/* Point 3 has no fence at all yet: the compositor must wait for it to be submitted too. */
	tc_surface_set_acquire_point(f.surface, f.timeline, 3);
	tc_surface_set_release_point(f.surface, f.timeline, 4);
	tc_surface_show(f.surface, blue, &done);
	expect(t, !tc_client_wait(f.client, &done, HELD_MS));
	expect(t, sb_compositor_pixel(&f.comp, SB_PX, SB_PY) == SB_RED);
	expect(t, !point_signaled(f.timeline, 2));
	expect(t, sb_syncobj_signal_point(f.timeline->syncobj, 3) == 0);
	expect(t, tc_client_wait(f.client, &done, SOON_MS));
	expect(t, sb_compositor_pixel(&f.comp, SB_PX, SB_PY) == SB_BLUE);
	expect(t, point_signals_within(f.timeline, 2, SOON_MS));
out:
	tc_buffer_destroy(red);
	tc_buffer_destroy(blue);
	teardown(t, &f);
}

/* The point's fence is submitted (a sw_sync fence) but not signalled: available is not enough. */
static void acquire_waits_for_signal_not_materialize(struct sb_test_ctx *t)
{
	struct fixture f;
	struct tc_buffer *red = NULL, *blue = NULL;
	struct sb_sync_file *fence = NULL;
	int sw = sb_sw_timeline_create();
	bool done = false;

	if (!expect(t, sw >= 0) || !setup(t, &f))
		goto out;
	red = tc_buffer_create_dmabuf(f.client, SB_SIZE, SB_SIZE, SB_RED);
	blue = tc_buffer_create_dmabuf(f.client, SB_SIZE, SB_SIZE, SB_BLUE);
	fence = sb_sync_file_import(sb_sw_fence_create(sw, 1));
	if (!expect(t, red && blue && fence) || !show(t, &f, red, 1, 2))
		goto out;
	expect(t, sb_syncobj_import_point(f.timeline->syncobj, 3, fence) == 0);
	expect(t, sb_syncobj_point_state(f.timeline->syncobj, 3) == SB_POINT_AVAILABLE);
	tc_surface_set_acquire_point(f.surface, f.timeline, 3);
	tc_surface_set_release_point(f.surface, f.timeline, 4);
	tc_surface_show(f.surface, blue, &done);
	expect(t, !tc_client_wait(f.client, &done, HELD_MS));
	expect(t, sb_compositor_pixel(&f.comp, SB_PX, SB_PY) == SB_RED);
	expect(t, sb_sw_timeline_inc(sw, 1) == 0);
	expect(t, tc_client_wait(f.client, &done, SOON_MS));
	expect(t, sb_compositor_pixel(&f.comp, SB_PX, SB_PY) == SB_BLUE);
out:
	sb_sync_file_destroy(fence);
	tc_buffer_destroy(red);
	tc_buffer_destroy(blue);
	teardown(t, &f);
	if (sw >= 0)
		close(sw);
}

/*
 * In a child process: connect, commit a buffer whose acquire point never comes (the commit is
 * held) with release point 1 on the parent's timeline, say so, and wait to be killed.
 */
static bool vanishing_client(void *data)
{
	struct fixture *f = data;
	struct tc_client *client = sb_compositor_connect(&f->comp, SO_GLOBALS, SO_GLOBALS);
	struct tc_surface *surface = client ? tc_surface_create(client) : NULL;
	struct tc_timeline *acquire = surface ? tc_timeline_create(client, f->drm_fd) : NULL;
	struct tc_timeline *release =
		acquire ? tc_timeline_share(client, f->timeline->syncobj) : NULL;
	struct tc_buffer *red =
		release ? tc_buffer_create_dmabuf(client, SB_SIZE, SB_SIZE, SB_RED) : NULL;
	bool ok = red != NULL;

	if (ok) {
		tc_surface_get_syncobj(surface);
		tc_surface_set_acquire_point(surface, acquire, 1);
		tc_surface_set_release_point(surface, release, 1);
		tc_surface_show(surface, red, NULL);
		ok = tc_client_roundtrip(client) && tc_client_error(client, NULL) == 0;
	}
	return ok;
}

static void release_point_signalled_on_client_destroy(struct sb_test_ctx *t)
{
	struct fixture f;
	struct sb_child child = SB_CHILD_INIT;

	if (!setup(t, &f))
		goto out;
	expect(t, sb_child_start(&child, vanishing_client, &f));
	expect(t, !point_signals_within(f.timeline, 1, HELD_MS));
	/* The client dies mid-wait, destroying nothing: the kernel closes its socket. */
	sb_child_kill(&child);
	expect(t, point_signals_within(f.timeline, 1, SOON_MS));
	expect_no_compositor_fd_leak(t, &f);
out:
	teardown(t, &f);
	sb_child_kill(&child);
}

/* The timeline's destroy request does not unset points already given (the XML says so). */
static void release_point_signalled_after_timeline_destroyed(struct sb_test_ctx *t)
{
	struct fixture f;
	struct tc_timeline *other = NULL;
	struct tc_buffer *red = NULL, *blue = NULL;

	if (!setup(t, &f))
		goto out;
	red = tc_buffer_create_dmabuf(f.client, SB_SIZE, SB_SIZE, SB_RED);
	blue = tc_buffer_create_dmabuf(f.client, SB_SIZE, SB_SIZE, SB_BLUE);
	if (!expect(t, red && blue) || !show(t, &f, red, 1, 2))
		goto out;
	tc_timeline_destroy_proxy(f.timeline);
	expect(t, tc_client_roundtrip(f.client));
	/* Show blue with points on a second timeline: red's release is on the destroyed one. */
	other = tc_timeline_create(f.client, f.drm_fd);
	if (!expect(t, other != NULL))
		goto out;
	expect(t, sb_syncobj_signal_point(other->syncobj, 1) == 0);
	{
		bool done = false;

		tc_surface_set_acquire_point(f.surface, other, 1);
		tc_surface_set_release_point(f.surface, other, 2);
		tc_surface_show(f.surface, blue, &done);
		expect(t, tc_client_wait(f.client, &done, SOON_MS));
	}
	expect(t, point_signals_within(f.timeline, 2, SOON_MS));
	expect(t, tc_client_error(f.client, NULL) == 0);
out:
	tc_timeline_destroy(other);
	tc_buffer_destroy(red);
	tc_buffer_destroy(blue);
	teardown(t, &f);
}

/* Frames a surface gets in ms milliseconds, committing buffer on every frame callback. */
static int frames_in(struct tc_client *client, struct tc_surface *surface,
		     struct tc_timeline *timeline, uint64_t *point, struct tc_buffer *buffer,
		     int ms)
{
	uint64_t end = tc_now_ms() + (uint64_t)ms;
	int frames = 0;

	while (tc_now_ms() < end) {
		bool done = false;

		if (sb_syncobj_signal_point(timeline->syncobj, *point) < 0)
			break;
		tc_surface_set_acquire_point(surface, timeline, *point);
		tc_surface_set_release_point(surface, timeline, *point + 1);
		*point += 2;
		tc_surface_show(surface, buffer, &done);
		if (!tc_client_wait(client, &done, 1000))
			break;
		frames++;
	}
	return frames;
}

static void other_surfaces_unaffected_by_unsubmitted_point(struct sb_test_ctx *t)
{
	struct fixture f;
	struct tc_surface *other = NULL;
	struct tc_timeline *other_timeline = NULL;
	struct tc_buffer *green = NULL, *hung = NULL;
	uint64_t point = 1;
	int baseline, during;
	bool hung_done = false;

	if (!setup(t, &f))
		goto out;
	other = tc_surface_create(f.client);
	other_timeline = tc_timeline_create(f.client, f.drm_fd);
	green = tc_buffer_create_dmabuf(f.client, SB_SIZE, SB_SIZE, SB_GREEN);
	hung = tc_buffer_create_dmabuf(f.client, SB_SIZE, SB_SIZE, SB_RED);
	if (!expect(t, other && other_timeline && green && hung))
		goto out;
	tc_surface_get_syncobj(other);
	/* A first, uncounted run: the first frames of a new surface are slow under ASan. */
	frames_in(f.client, other, other_timeline, &point, green, 500);
	baseline = frames_in(f.client, other, other_timeline, &point, green, 1000);
	/* The first surface commits with an acquire point that is never submitted. */
	tc_surface_set_acquire_point(f.surface, f.timeline, 1);
	tc_surface_set_release_point(f.surface, f.timeline, 2);
	tc_surface_show(f.surface, hung, &hung_done);
	expect(t, tc_client_roundtrip(f.client));
	during = frames_in(f.client, other, other_timeline, &point, green, 1000);
	/* Few frames under ASan in an emulated CPU (5 alone): enough that a stall would show. */
	sb_expect_rate_kept(t, "other surface", "the first one's point is missing", baseline,
			    during, 5);
	expect(t, !hung_done);
	expect(t, !point_signaled(f.timeline, 2));
	expect(t, tc_client_error(f.client, NULL) == 0);
out:
	tc_buffer_destroy(green);
	tc_buffer_destroy(hung);
	tc_timeline_destroy(other_timeline);
	tc_surface_destroy(other);
	teardown(t, &f);
}

/* The CSV field of column name in line (both comma-separated), as a number; 0 if empty. */
static uint64_t csv_field(const char *header, const char *line, const char *name)
{
	size_t len = strlen(name);
	int column = 0, i = 0;
	const char *p;

	for (p = header; p && !(strncmp(p, name, len) == 0 && strchr(",\n", p[len])); column++) {
		p = strchr(p, ',');
		if (p)
			p++;
	}
	if (!p)
		return 0;
	for (p = line; p && i < column; i++) {
		p = strchr(p, ',');
		if (p)
			p++;
	}
	return p ? strtoull(p, NULL, 10) : 0;
}

/*
 * sb-client --syncobj, a client with a poll loop of its own: every frame's acquire point is a
 * sw_sync fence signalled 20 ms after the commit, and its buffer is reused only after the
 * compositor signalled the release point (DRM_IOCTL_SYNCOBJ_EVENTFD), as the CSV records.
 */
static void sb_client_frames_wait_for_acquire_and_get_released(struct sb_test_ctx *t)
{
	struct fixture f;
	char csv[400], header[512], line[512];
	int status = -1, frames = 0, released = 0;
	FILE *file = NULL;
	pid_t child;

	if (!expect(t, sb_client != NULL) || !setup(t, &f))
		goto out;
	snprintf(csv, sizeof(csv), "%s/sb-client.csv", f.comp.runtime_dir);
	child = fork();
	if (child == 0) {
		setenv("XDG_RUNTIME_DIR", f.comp.runtime_dir, 1);
		execl(sb_client, sb_client, "--display", f.comp.socket, "--buffer", "udmabuf",
		      "--syncobj", "--fence-delay", "20", "--frames", "20", "--csv", csv, NULL);
		_exit(127);
	}
	expect(t, child > 0 && waitpid(child, &status, 0) == child);
	expect(t, WIFEXITED(status) && WEXITSTATUS(status) == 0);
	file = fopen(csv, "re");
	if (!expect(t, file && fgets(header, sizeof(header), file)))
		goto out;
	while (fgets(line, sizeof(line), file)) {
		uint64_t signal = csv_field(header, line, "acquire_signal_ns");
		uint64_t done = csv_field(header, line, "frame_done_ns");
		uint64_t release = csv_field(header, line, "syncobj_release_ns");

		/* Shown only after its acquire point signalled; released after it was shown. */
		expect(t, signal && done > signal);
		if (release) {
			expect(t, release > done);
			released++;
		}
		frames++;
	}
	sb_diag("sb-client: %d frames, %d release points signalled", frames, released);
	expect(t, frames == 20);
	/* The last frame may still be on screen when the client leaves. */
	expect(t, released >= 19);
out:
	if (file) {
		fclose(file);
		unlink(csv);
	}
	teardown(t, &f);
}

int main(int argc, char *argv[])
{
	static const struct sb_test tests[] = {
		SB_TEST(timeline_import_succeeds),
		SB_TEST(non_timeline_import_fails_with_invalid_timeline),
		SB_TEST(get_surface_twice_fails_with_surface_exists),
		SB_TEST_ROW(buffer_without_acquire_point_fails_with_no_acquire_point,
			    surface_error_test),
		SB_TEST_ROW(buffer_without_release_point_fails_with_no_release_point,
			    surface_error_test),
		SB_TEST_ROW(points_without_buffer_fail_with_no_buffer, surface_error_test),
		SB_TEST_ROW(points_with_null_buffer_fail_with_no_buffer, surface_error_test),
		SB_TEST_ROW(point_after_surface_destroyed_fails_with_no_surface,
			    surface_error_test),
		SB_TEST_ROW(shm_buffer_fails_with_unsupported_buffer, surface_error_test),
		SB_TEST_ROW(release_not_above_acquire_fails_with_conflicting_points,
			    surface_error_test),
		SB_TEST(commit_without_buffer_or_points_is_valid),
		SB_TEST(null_buffer_without_points_is_valid),
		SB_TEST(release_point_signalled_on_buffer_release),
		SB_TEST(buffer_not_applied_until_acquire_point_signals),
		SB_TEST(acquire_waits_for_signal_not_materialize),
		SB_TEST(release_point_signalled_on_client_destroy),
		SB_TEST(release_point_signalled_after_timeline_destroyed),
		SB_TEST(other_surfaces_unaffected_by_unsubmitted_point),
		SB_TEST(sb_client_frames_wait_for_acquire_and_get_released),
	};

	if (argc != 2 && argc != 3) {
		fprintf(stderr, "usage: %s SYNCBRIDGE [SB_CLIENT]\n", argv[0]);
		return 2;
	}
	syncbridge = argv[1];
	sb_client = argc == 3 ? argv[2] : NULL;
	return sb_test_main(tests, sizeof(tests) / sizeof(tests[0]));
}
