// SPDX-License-Identifier: MIT
/*
 * Guest: syncbridge's zwp_linux_explicit_synchronization_v1 (version 2) server, seen from real
 * clients with udmabuf buffers and sw_sync fences. Each test starts its own compositor
 * (headless, pixman).
 *   explicit_sync_test /path/to/syncbridge
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <syncbridge/dmabuf.h>
#include <syncbridge/sync_file.h>

#include "kdev.h"
#include "linux-explicit-synchronization-unstable-v1-client-protocol.h"
#include "tap.h"
#include "tc_buffer.h"
#include "tc_explicit.h"
#include "tc_surface.h"
#include "wl_client.h"

/* How long "not yet" is watched for: many frames at 60 Hz, even under emulation. */
#define HELD_MS 300
#define SOON_MS 5000
/* What the tests bind: the explicit-sync global is optional, its absence a failed test. */
#define EX_GLOBALS (TC_COMPOSITOR | TC_SHM | TC_WM_BASE | TC_DMABUF)

static const char *syncbridge;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* The advertised version of zwp_linux_explicit_synchronization_v1, 0 if there is none. */
static uint32_t explicit_version(const struct tc_client *client)
{
	return tc_client_global_version(client,
					zwp_linux_explicit_synchronization_v1_interface.name);
}

struct fixture {
	struct sb_compositor comp;
	struct tc_client *client;
	struct tc_surface *surface; /* with a synchronization object */
	int timeline;
};

static bool setup(struct sb_test_ctx *t, struct fixture *f)
{
	*f = (struct fixture){.timeline = sb_sw_timeline_create()};
	if (!expect(t, f->timeline >= 0) ||
	    !expect(t, sb_compositor_start(&f->comp, syncbridge, NULL)))
		return false;
	f->client = sb_compositor_connect(&f->comp, EX_GLOBALS | TC_EXPLICIT, EX_GLOBALS);
	if (!expect(t, f->client != NULL) || !expect(t, explicit_version(f->client) >= 1))
		return false;
	f->surface = tc_surface_create(f->client);
	if (!expect(t, f->surface != NULL))
		return false;
	tc_surface_get_synchronization(f->surface);
	return true;
}

static void teardown(struct sb_test_ctx *t, struct fixture *f)
{
	tc_surface_destroy(f->surface);
	tc_client_destroy(f->client);
	/* 0 also means: no ASan/LSan report in the compositor. */
	if (f->comp.pid > 0)
		expect(t, sb_compositor_stop(&f->comp) == 0);
	if (f->timeline >= 0)
		close(f->timeline);
}

/* Attaches and commits buffer, with a release object if release is not NULL; waits a frame. */
static bool show(struct sb_test_ctx *t, struct fixture *f, struct tc_surface *surface,
		 struct tc_buffer *buffer, struct tc_release **release)
{
	bool done = false;

	if (release)
		*release = tc_surface_get_release(surface);
	tc_surface_attach(surface, buffer);
	tc_surface_commit(surface, &done);
	return expect(t, tc_client_wait(f->client, &done, SOON_MS));
}

/* A release still waiting for its event once the compositor has handled everything sent. */
static bool still_pending(struct fixture *f, const struct tc_release *release)
{
	return tc_client_roundtrip(f->client) && release && !release->answered;
}

static void explicit_sync_global_is_version_2(struct sb_test_ctx *t)
{
	struct fixture f;

	if (setup(t, &f))
		expect(t, explicit_version(f.client) == 2);
	teardown(t, &f);
}

/*
 * A request the protocol forbids: provoke sends it on a fresh fixture, and the connection must
 * die of code on iface.
 */
struct protocol_error {
	void (*provoke)(struct fixture *f);
	uint32_t code;
	const char *iface;
};

static void protocol_error_test(struct sb_test_ctx *t)
{
	const struct protocol_error *e = t->data;
	struct fixture f;
	const char *got = "";

	if (!setup(t, &f))
		goto out;
	e->provoke(&f);
	expect(t, !tc_client_roundtrip(f.client));
	expect(t, tc_client_error(f.client, &got) == e->code);
	if (!expect(t, strcmp(got, e->iface) == 0))
		sb_diag("error on %s, expected %s", got, e->iface);
out:
	teardown(t, &f);
}

static void second_synchronization(struct fixture *f)
{
	tc_surface_get_synchronization(f->surface);
}

static void synchronization_can_be_recreated_after_destroy(struct sb_test_ctx *t)
{
	struct fixture f;
	struct tc_buffer *red = NULL;
	struct tc_release *release = NULL;

	if (!setup(t, &f))
		goto out;
	tc_surface_destroy_synchronization(f.surface);
	tc_surface_get_synchronization(f.surface);
	red = tc_buffer_create_dmabuf(f.client, SB_SIZE, SB_SIZE, SB_RED);
	expect(t, red && show(t, &f, f.surface, red, &release));
	expect(t, tc_client_error(f.client, NULL) == 0);
out:
	tc_release_destroy(release);
	tc_buffer_destroy(red);
	teardown(t, &f);
}

static void memfd_fence(struct fixture *f)
{
	int fd = memfd_create("not-a-fence", MFD_CLOEXEC);

	tc_surface_set_acquire_fence(f->surface, fd);
	close(fd);
}

static void two_fences(struct fixture *f)
{
	int fence = sb_sw_fence_create(f->timeline, 1);

	tc_surface_set_acquire_fence(f->surface, fence);
	tc_surface_set_acquire_fence(f->surface, fence);
	close(fence);
}

static void two_releases(struct fixture *f)
{
	/* Destroyed with the connection's proxies: the client is dead by then. */
	tc_release_destroy(tc_surface_get_release(f->surface));
	tc_release_destroy(tc_surface_get_release(f->surface));
}

static void fence_after_surface_destroy(struct fixture *f)
{
	int fence = sb_sw_fence_create(f->timeline, 1);

	tc_surface_destroy_wl_surface(f->surface);
	tc_surface_set_acquire_fence(f->surface, fence);
	close(fence);
}

static void release_after_surface_destroy(struct fixture *f)
{
	tc_surface_destroy_wl_surface(f->surface);
	tc_release_destroy(tc_surface_get_release(f->surface));
}

static void fence_on_shm_buffer(struct fixture *f)
{
	struct tc_buffer *shm = tc_buffer_create_shm(f->client, SB_SIZE, SB_SIZE, SB_RED);
	int fence = sb_sw_fence_create(f->timeline, 1);

	tc_surface_set_acquire_fence(f->surface, fence);
	tc_surface_attach(f->surface, shm);
	tc_surface_commit(f->surface, NULL);
	close(fence);
	tc_buffer_destroy(shm);
}

static void fence_without_buffer(struct fixture *f)
{
	int fence = sb_sw_fence_create(f->timeline, 1);

	tc_surface_set_acquire_fence(f->surface, fence);
	tc_surface_commit(f->surface, NULL);
	close(fence);
}

static void release_without_buffer(struct fixture *f)
{
	tc_release_destroy(tc_surface_get_release(f->surface));
	tc_surface_commit(f->surface, NULL);
}

/* The surface's synchronization object, where all but the first error is raised. */
#define SURFACE_SYNC "zwp_linux_surface_synchronization_v1"

static const struct protocol_error second_synchronization_raises_synchronization_exists = {
	.provoke = second_synchronization,
	.code = ZWP_LINUX_EXPLICIT_SYNCHRONIZATION_V1_ERROR_SYNCHRONIZATION_EXISTS,
	.iface = "zwp_linux_explicit_synchronization_v1",
};

static const struct protocol_error non_sync_file_fd_raises_invalid_fence = {
	.provoke = memfd_fence,
	.code = ZWP_LINUX_SURFACE_SYNCHRONIZATION_V1_ERROR_INVALID_FENCE,
	.iface = SURFACE_SYNC,
};

static const struct protocol_error second_fence_in_commit_raises_duplicate_fence = {
	.provoke = two_fences,
	.code = ZWP_LINUX_SURFACE_SYNCHRONIZATION_V1_ERROR_DUPLICATE_FENCE,
	.iface = SURFACE_SYNC,
};

static const struct protocol_error second_release_in_commit_raises_duplicate_release = {
	.provoke = two_releases,
	.code = ZWP_LINUX_SURFACE_SYNCHRONIZATION_V1_ERROR_DUPLICATE_RELEASE,
	.iface = SURFACE_SYNC,
};

static const struct protocol_error fence_on_destroyed_surface_raises_no_surface = {
	.provoke = fence_after_surface_destroy,
	.code = ZWP_LINUX_SURFACE_SYNCHRONIZATION_V1_ERROR_NO_SURFACE,
	.iface = SURFACE_SYNC,
};

static const struct protocol_error release_on_destroyed_surface_raises_no_surface = {
	.provoke = release_after_surface_destroy,
	.code = ZWP_LINUX_SURFACE_SYNCHRONIZATION_V1_ERROR_NO_SURFACE,
	.iface = SURFACE_SYNC,
};

static const struct protocol_error fence_on_shm_buffer_raises_unsupported_buffer = {
	.provoke = fence_on_shm_buffer,
	.code = ZWP_LINUX_SURFACE_SYNCHRONIZATION_V1_ERROR_UNSUPPORTED_BUFFER,
	.iface = SURFACE_SYNC,
};

static const struct protocol_error fence_without_buffer_raises_no_buffer = {
	.provoke = fence_without_buffer,
	.code = ZWP_LINUX_SURFACE_SYNCHRONIZATION_V1_ERROR_NO_BUFFER,
	.iface = SURFACE_SYNC,
};

static const struct protocol_error release_without_buffer_raises_no_buffer = {
	.provoke = release_without_buffer,
	.code = ZWP_LINUX_SURFACE_SYNCHRONIZATION_V1_ERROR_NO_BUFFER,
	.iface = SURFACE_SYNC,
};

static void releases_follow_commits_of_different_buffers(struct sb_test_ctx *t)
{
	struct fixture f;
	struct tc_buffer *red = NULL, *blue = NULL;
	struct tc_release *r1 = NULL, *r2 = NULL, *r3 = NULL;

	if (!setup(t, &f))
		goto out;
	red = tc_buffer_create_dmabuf(f.client, SB_SIZE, SB_SIZE, SB_RED);
	blue = tc_buffer_create_dmabuf(f.client, SB_SIZE, SB_SIZE, SB_BLUE);
	if (!expect(t, red && blue) || !show(t, &f, f.surface, red, &r1))
		goto out;
	/* On screen: the compositor still reads it. */
	expect(t, still_pending(&f, r1));
	if (!show(t, &f, f.surface, blue, &r2))
		goto out;
	expect(t, tc_release_wait(r1, SOON_MS));
	/* The pixman renderer's reads are over when the next buffer is on screen. */
	expect(t, r1->state == TC_RELEASE_IMMEDIATE);
	expect(t, still_pending(&f, r2));
	if (!show(t, &f, f.surface, red, &r3))
		goto out;
	expect(t, tc_release_wait(r2, SOON_MS));
	expect(t, r1->order < r2->order);
	expect(t, still_pending(&f, r3));
	expect(t, sb_compositor_pixel(&f.comp, SB_PX, SB_PY) == SB_RED);
out:
	tc_release_destroy(r1);
	tc_release_destroy(r2);
	tc_release_destroy(r3);
	tc_buffer_destroy(red);
	tc_buffer_destroy(blue);
	teardown(t, &f);
}

static void releases_follow_commits_of_the_same_buffer(struct sb_test_ctx *t)
{
	struct fixture f;
	struct tc_buffer *red = NULL, *blue = NULL;
	struct tc_release *r1 = NULL, *r2 = NULL, *r3 = NULL;

	if (!setup(t, &f))
		goto out;
	red = tc_buffer_create_dmabuf(f.client, SB_SIZE, SB_SIZE, SB_RED);
	blue = tc_buffer_create_dmabuf(f.client, SB_SIZE, SB_SIZE, SB_BLUE);
	if (!expect(t, red && blue) || !show(t, &f, f.surface, red, &r1) ||
	    !show(t, &f, f.surface, red, &r2))
		goto out;
	/* XML: a release refers to one commit, not to the buffer: the first commit is over. */
	expect(t, tc_release_wait(r1, SOON_MS));
	expect(t, still_pending(&f, r2));
	if (!show(t, &f, f.surface, blue, &r3))
		goto out;
	expect(t, tc_release_wait(r2, SOON_MS));
	expect(t, r1->order < r2->order);
	expect(t, still_pending(&f, r3));
out:
	tc_release_destroy(r1);
	tc_release_destroy(r2);
	tc_release_destroy(r3);
	tc_buffer_destroy(red);
	tc_buffer_destroy(blue);
	teardown(t, &f);
}

static void releases_follow_commits_of_one_buffer_on_two_surfaces(struct sb_test_ctx *t)
{
	struct fixture f;
	struct tc_surface *second = NULL;
	struct tc_buffer *red = NULL, *blue = NULL;
	struct tc_release *r1 = NULL, *r2 = NULL, *r3 = NULL, *r4 = NULL;

	if (!setup(t, &f))
		goto out;
	second = tc_surface_create(f.client);
	red = tc_buffer_create_dmabuf(f.client, SB_SIZE, SB_SIZE, SB_RED);
	blue = tc_buffer_create_dmabuf(f.client, SB_SIZE, SB_SIZE, SB_BLUE);
	if (!expect(t, second && red && blue))
		goto out;
	tc_surface_get_synchronization(second);
	if (!show(t, &f, f.surface, red, &r1) || !show(t, &f, second, red, &r2))
		goto out;
	expect(t, still_pending(&f, r1) && still_pending(&f, r2));
	/* The first surface is done with the buffer; the second still shows it. */
	if (!show(t, &f, f.surface, blue, &r3))
		goto out;
	expect(t, tc_release_wait(r1, SOON_MS));
	expect(t, still_pending(&f, r2));
	if (!show(t, &f, second, blue, &r4))
		goto out;
	expect(t, tc_release_wait(r2, SOON_MS));
	expect(t, still_pending(&f, r3) && still_pending(&f, r4));
out:
	tc_release_destroy(r1);
	tc_release_destroy(r2);
	tc_release_destroy(r3);
	tc_release_destroy(r4);
	tc_surface_destroy(second);
	tc_buffer_destroy(red);
	tc_buffer_destroy(blue);
	teardown(t, &f);
}

static void acquire_fence_delays_apply(struct sb_test_ctx *t)
{
	struct fixture f;
	struct tc_buffer *red = NULL, *blue = NULL;
	int fence = -1;
	bool done = false;

	if (!setup(t, &f))
		goto out;
	red = tc_buffer_create_dmabuf(f.client, SB_SIZE, SB_SIZE, SB_RED);
	blue = tc_buffer_create_dmabuf(f.client, SB_SIZE, SB_SIZE, SB_BLUE);
	fence = sb_sw_fence_create(f.timeline, 1);
	if (!expect(t, red && blue && fence >= 0) || !show(t, &f, f.surface, red, NULL))
		goto out;
	expect(t, sb_compositor_pixel(&f.comp, SB_PX, SB_PY) == SB_RED);
	tc_surface_set_acquire_fence(f.surface, fence);
	tc_surface_attach(f.surface, blue);
	tc_surface_commit(f.surface, &done);
	/* Held: no frame for the new state, the old content stays on screen. */
	expect(t, !tc_client_wait(f.client, &done, HELD_MS));
	expect(t, sb_compositor_pixel(&f.comp, SB_PX, SB_PY) == SB_RED);
	expect(t, sb_sw_timeline_inc(f.timeline, 1) == 0);
	expect(t, tc_client_wait(f.client, &done, SOON_MS));
	expect(t, sb_compositor_pixel(&f.comp, SB_PX, SB_PY) == SB_BLUE);
out:
	if (fence >= 0)
		close(fence);
	tc_buffer_destroy(red);
	tc_buffer_destroy(blue);
	teardown(t, &f);
}

static void destroyed_synchronization_discards_pending_fence(struct sb_test_ctx *t)
{
	struct fixture f;
	struct tc_buffer *blue = NULL;
	int fence = -1;
	bool done = false;

	if (!setup(t, &f))
		goto out;
	blue = tc_buffer_create_dmabuf(f.client, SB_SIZE, SB_SIZE, SB_BLUE);
	fence = sb_sw_fence_create(f.timeline, 1);
	if (!expect(t, blue && fence >= 0))
		goto out;
	tc_surface_set_acquire_fence(f.surface, fence);
	/* XML: a fence set since the last commit is discarded with its object. */
	tc_surface_destroy_synchronization(f.surface);
	tc_surface_attach(f.surface, blue);
	tc_surface_commit(f.surface, &done);
	expect(t, tc_client_wait(f.client, &done, SOON_MS));
	expect(t, sb_compositor_pixel(&f.comp, SB_PX, SB_PY) == SB_BLUE);
	/* Applied without it: the fence itself never signalled. */
	expect(t, sb_poll_fd(fence, POLLIN, 0) == 0);
out:
	if (fence >= 0)
		close(fence);
	tc_buffer_destroy(blue);
	teardown(t, &f);
}

static void release_outlives_its_synchronization_object(struct sb_test_ctx *t)
{
	struct fixture f;
	struct tc_buffer *red = NULL, *blue = NULL;
	struct tc_release *release = NULL;

	if (!setup(t, &f))
		goto out;
	red = tc_buffer_create_dmabuf(f.client, SB_SIZE, SB_SIZE, SB_RED);
	blue = tc_buffer_create_dmabuf(f.client, SB_SIZE, SB_SIZE, SB_BLUE);
	if (!expect(t, red && blue) || !show(t, &f, f.surface, red, &release))
		goto out;
	/* XML: release objects are not affected by the synchronization object's destruction. */
	tc_surface_destroy_synchronization(f.surface);
	expect(t, still_pending(&f, release));
	if (show(t, &f, f.surface, blue, NULL))
		expect(t, tc_release_wait(release, SOON_MS));
out:
	tc_release_destroy(release);
	tc_buffer_destroy(red);
	tc_buffer_destroy(blue);
	teardown(t, &f);
}

/*
 * A reader the compositor handed the buffer to (a READ fence in its dma-buf, as an implicit
 * consumer leaves) is still reading when the buffer leaves the screen: the release carries a
 * fence that signals only when that reader is done.
 */
static void fenced_release_carries_compositor_read_fence(struct sb_test_ctx *t)
{
	struct fixture f;
	struct tc_buffer *red = NULL, *blue = NULL;
	struct tc_release *release = NULL;
	struct sb_sync_file *reader = NULL, *released = NULL;

	if (!setup(t, &f))
		goto out;
	red = tc_buffer_create_dmabuf(f.client, SB_SIZE, SB_SIZE, SB_RED);
	blue = tc_buffer_create_dmabuf(f.client, SB_SIZE, SB_SIZE, SB_BLUE);
	reader = sb_sync_file_import(sb_sw_fence_create(f.timeline, 1));
	if (!expect(t, red && blue && reader) || !show(t, &f, f.surface, red, &release))
		goto out;
	expect(t,
	       sb_dmabuf_import_sync_file(tc_buffer_dmabuf_fd(red), reader, SB_ACCESS_READ) == 0);
	if (!show(t, &f, f.surface, blue, NULL) || !expect(t, tc_release_wait(release, SOON_MS)) ||
	    !expect(t, release->state == TC_RELEASE_FENCED))
		goto out;
	released = sb_sync_file_import_dup(release->fence_fd);
	if (!expect(t, released != NULL))
		goto out;
	expect(t, sb_sync_file_is_signaled(released) == 0);
	expect(t, sb_sw_timeline_inc(f.timeline, 1) == 0);
	expect(t, sb_poll_fd(sb_sync_file_get_fd(released), POLLIN, SOON_MS) == 1);
	expect(t, sb_sync_file_is_signaled(released) == 1);
out:
	sb_sync_file_destroy(released);
	sb_sync_file_destroy(reader);
	tc_release_destroy(release);
	tc_buffer_destroy(red);
	tc_buffer_destroy(blue);
	teardown(t, &f);
}

static void deadline_set_on_awaited_fence(struct sb_test_ctx *t)
{
	struct fixture f;
	struct tc_buffer *red = NULL, *blue = NULL;
	int fence = -1;
	uint64_t before, deadline = 0;
	bool done = false;

	if (!setup(t, &f))
		goto out;
	red = tc_buffer_create_dmabuf(f.client, SB_SIZE, SB_SIZE, SB_RED);
	blue = tc_buffer_create_dmabuf(f.client, SB_SIZE, SB_SIZE, SB_BLUE);
	fence = sb_sw_fence_create(f.timeline, 1);
	/* A frame on screen first: the output then knows when it presents next. */
	if (!expect(t, red && blue && fence >= 0) || !show(t, &f, f.surface, red, NULL))
		goto out;
	expect_errno(t, sb_sw_fence_get_deadline(f.timeline, fence, &deadline), ENOENT);
	before = now_ns();
	tc_surface_set_acquire_fence(f.surface, fence);
	tc_surface_attach(f.surface, blue);
	tc_surface_commit(f.surface, &done);
	expect(t, tc_client_roundtrip(f.client));
	expect(t, sb_sw_fence_get_deadline(f.timeline, fence, &deadline) == 0);
	sb_diag("deadline %.3f ms after the commit was sent", (double)(deadline - before) / 1e6);
	/* The next predicted presentation: after the commit, within a (slow, emulated) second. */
	expect(t, deadline > before);
	expect(t, deadline < before + 1000000000ull);
	expect(t, sb_sw_timeline_inc(f.timeline, 1) == 0);
	expect(t, tc_client_wait(f.client, &done, SOON_MS));
out:
	if (fence >= 0)
		close(fence);
	tc_buffer_destroy(red);
	tc_buffer_destroy(blue);
	teardown(t, &f);
}

static void release_answered_on_surface_destroy(struct sb_test_ctx *t)
{
	struct fixture f;
	struct tc_buffer *red = NULL, *blue = NULL;
	struct tc_release *shown = NULL, *held = NULL;
	int fence = -1;

	if (!setup(t, &f))
		goto out;
	red = tc_buffer_create_dmabuf(f.client, SB_SIZE, SB_SIZE, SB_RED);
	blue = tc_buffer_create_dmabuf(f.client, SB_SIZE, SB_SIZE, SB_BLUE);
	fence = sb_sw_fence_create(f.timeline, 1);
	if (!expect(t, red && blue && fence >= 0) || !show(t, &f, f.surface, red, &shown))
		goto out;
	/* A second commit held behind a fence that never signals. */
	held = tc_surface_get_release(f.surface);
	tc_surface_set_acquire_fence(f.surface, fence);
	tc_surface_attach(f.surface, blue);
	tc_surface_commit(f.surface, NULL);
	expect(t, still_pending(&f, shown) && still_pending(&f, held));
	tc_surface_destroy_wl_surface(f.surface);
	expect(t, tc_release_wait(shown, SOON_MS));
	expect(t, tc_release_wait(held, SOON_MS));
	/* Never applied: the compositor did nothing with the held buffer. */
	expect(t, held->state == TC_RELEASE_IMMEDIATE);
out:
	if (fence >= 0)
		close(fence);
	tc_release_destroy(shown);
	tc_release_destroy(held);
	tc_buffer_destroy(red);
	tc_buffer_destroy(blue);
	teardown(t, &f);
}

/* In a child: a shown commit and a held one, both with releases; says so, then waits to die. */
static bool vanishing_client(void *data)
{
	struct fixture *f = data;
	struct tc_client *client =
		sb_compositor_connect(&f->comp, EX_GLOBALS | TC_EXPLICIT, EX_GLOBALS);
	struct tc_surface *surface = client ? tc_surface_create(client) : NULL;
	struct tc_buffer *red =
		surface ? tc_buffer_create_dmabuf(client, SB_SIZE, SB_SIZE, SB_RED) : NULL;
	struct tc_buffer *blue =
		red ? tc_buffer_create_dmabuf(client, SB_SIZE, SB_SIZE, SB_BLUE) : NULL;
	int fence = sb_sw_fence_create(f->timeline, 1);
	bool done = false;
	bool ok = blue && fence >= 0;

	if (ok) {
		tc_surface_get_synchronization(surface);
		tc_surface_get_release(surface);
		tc_surface_attach(surface, red);
		tc_surface_commit(surface, &done);
		ok = tc_client_wait(client, &done, SOON_MS);
		tc_surface_get_release(surface);
		tc_surface_set_acquire_fence(surface, fence);
		tc_surface_attach(surface, blue);
		tc_surface_commit(surface, NULL);
		ok = ok && tc_client_roundtrip(client);
	}
	return ok;
}

static void release_answered_on_client_destroy(struct sb_test_ctx *t)
{
	struct fixture f;
	struct tc_buffer *green = NULL;

	if (!setup(t, &f))
		goto out;
	/* The client dies with a release on screen and one held. */
	sb_expect_child_death_frees_fds(t, &f.comp, vanishing_client, &f, 1,
					"with the client's commits");
	/* It keeps serving; its exit status in teardown says ASan found nothing. */
	green = tc_buffer_create_dmabuf(f.client, SB_SIZE, SB_SIZE, SB_GREEN);
	expect(t, green && show(t, &f, f.surface, green, NULL));
	expect(t, sb_compositor_pixel(&f.comp, SB_PX, SB_PY) == SB_GREEN);
out:
	tc_buffer_destroy(green);
	teardown(t, &f);
}

/* Frames in the better of two seconds: the emulated guest shares the host with other work. */
static int best_of_two(struct sb_other_client *other)
{
	int a = sb_other_client_frames_in(other, 1000);
	int b = sb_other_client_frames_in(other, 1000);

	return a > b ? a : b;
}

static void other_clients_unaffected_by_hung_acquire_fence(struct sb_test_ctx *t)
{
	struct fixture f;
	struct sb_other_client other = {0};
	struct tc_buffer *hung = NULL;
	int fence = -1, baseline, during;

	if (!setup(t, &f))
		goto out;
	hung = tc_buffer_create_dmabuf(f.client, SB_SIZE, SB_SIZE, SB_RED);
	fence = sb_sw_fence_create(f.timeline, 1);
	if (!expect(t, sb_other_client_start(&other, &f.comp, SB_CLIENT_GLOBALS | TC_EXPLICIT,
					     SB_SIZE) &&
			       hung && fence >= 0))
		goto out;
	baseline = best_of_two(&other);
	tc_surface_set_acquire_fence(f.surface, fence);
	tc_surface_attach(f.surface, hung);
	tc_surface_commit(f.surface, NULL);
	expect(t, tc_client_roundtrip(f.client));
	during = best_of_two(&other);
	/* More than 10 frames/s alone. */
	sb_expect_rate_kept(t, "other client", "client 1's acquire fence hangs", baseline, during,
			    11);
out:
	if (fence >= 0)
		close(fence);
	sb_other_client_finish(&other);
	tc_buffer_destroy(hung);
	teardown(t, &f);
}

int main(int argc, char *argv[])
{
	static const struct sb_test tests[] = {
		SB_TEST(explicit_sync_global_is_version_2),
		SB_TEST_ROW(second_synchronization_raises_synchronization_exists,
			    protocol_error_test),
		SB_TEST(synchronization_can_be_recreated_after_destroy),
		SB_TEST_ROW(non_sync_file_fd_raises_invalid_fence, protocol_error_test),
		SB_TEST_ROW(second_fence_in_commit_raises_duplicate_fence, protocol_error_test),
		SB_TEST_ROW(second_release_in_commit_raises_duplicate_release, protocol_error_test),
		SB_TEST_ROW(fence_on_destroyed_surface_raises_no_surface, protocol_error_test),
		SB_TEST_ROW(release_on_destroyed_surface_raises_no_surface, protocol_error_test),
		SB_TEST_ROW(fence_on_shm_buffer_raises_unsupported_buffer, protocol_error_test),
		SB_TEST_ROW(fence_without_buffer_raises_no_buffer, protocol_error_test),
		SB_TEST_ROW(release_without_buffer_raises_no_buffer, protocol_error_test),
		SB_TEST(releases_follow_commits_of_different_buffers),
		SB_TEST(releases_follow_commits_of_the_same_buffer),
		SB_TEST(releases_follow_commits_of_one_buffer_on_two_surfaces),
		SB_TEST(acquire_fence_delays_apply),
		SB_TEST(destroyed_synchronization_discards_pending_fence),
		SB_TEST(release_outlives_its_synchronization_object),
		SB_TEST(fenced_release_carries_compositor_read_fence),
		SB_TEST(deadline_set_on_awaited_fence),
		SB_TEST(release_answered_on_surface_destroy),
		SB_TEST(release_answered_on_client_destroy),
		SB_TEST(other_clients_unaffected_by_hung_acquire_fence),
	};

	return sb_compositor_test_main(argc, argv, &syncbridge, tests,
				       sizeof(tests) / sizeof(tests[0]));
}
