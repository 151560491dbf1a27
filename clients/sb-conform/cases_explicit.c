// SPDX-License-Identifier: MIT
/*
 * zwp_linux_explicit_synchronization_v1: every error of the XML, the acquire fence holding the
 * commit until it signals, and the release event of a replaced buffer.
 */
#include <fcntl.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#include <syncbridge/sync_file.h>

#include "fixture.h"
#include "kdev.h"
#include "linux-explicit-synchronization-unstable-v1-client-protocol.h"

#define AREA "linux-explicit-sync"
#define SURFACE_SYNC "zwp_linux_surface_synchronization_v1"

struct explicit_fixture {
	struct sc_fixture f;
	struct zwp_linux_explicit_synchronization_v1 *manager;
	struct zwp_linux_surface_synchronization_v1 *sync;
};

static bool explicit_init(struct sb_test_ctx *t, struct explicit_fixture *e, unsigned need)
{
	e->manager = NULL;
	e->sync = NULL;
	if (!sc_fixture_init(t, &e->f, 0) ||
	    !sc_require_global(t, e->f.client,
			       zwp_linux_explicit_synchronization_v1_interface.name) ||
	    !sc_fixture_need(t, &e->f, need | SC_NEED_WINDOW))
		return false;
	e->manager =
		tc_client_bind(e->f.client, &zwp_linux_explicit_synchronization_v1_interface, 2);
	e->sync = zwp_linux_explicit_synchronization_v1_get_synchronization(e->manager,
									    e->f.window->surface);
	return true;
}

static void explicit_finish(struct explicit_fixture *e)
{
	if (e->sync)
		zwp_linux_surface_synchronization_v1_destroy(e->sync);
	if (e->manager)
		zwp_linux_explicit_synchronization_v1_destroy(e->manager);
	sc_fixture_finish(&e->f);
}

static void explicit_second_synchronization_is_error(struct sb_test_ctx *t)
{
	struct zwp_linux_surface_synchronization_v1 *second;
	struct explicit_fixture e;

	if (explicit_init(t, &e, 0)) {
		second = zwp_linux_explicit_synchronization_v1_get_synchronization(
			e.manager, e.f.window->surface);
		expect(t,
		       tc_client_died_of(
			       e.f.client, "zwp_linux_explicit_synchronization_v1",
			       ZWP_LINUX_EXPLICIT_SYNCHRONIZATION_V1_ERROR_SYNCHRONIZATION_EXISTS));
		zwp_linux_surface_synchronization_v1_destroy(second);
	}
	explicit_finish(&e);
}

static void explicit_acquire_fence_not_a_fence_is_error(struct sb_test_ctx *t)
{
	struct explicit_fixture e;
	int fd = -1;

	if (explicit_init(t, &e, 0)) {
		/* An open file that is no sync_file. */
		fd = memfd_create("sb-conform-not-a-fence", MFD_CLOEXEC);
		expect(t, fd >= 0);
		zwp_linux_surface_synchronization_v1_set_acquire_fence(e.sync, fd);
		expect(t,
		       tc_client_died_of(e.f.client, SURFACE_SYNC,
					 ZWP_LINUX_SURFACE_SYNCHRONIZATION_V1_ERROR_INVALID_FENCE));
	}
	if (fd >= 0)
		close(fd);
	explicit_finish(&e);
}

static void explicit_two_acquire_fences_is_error(struct sb_test_ctx *t)
{
	struct explicit_fixture e;
	int fence = -1;

	if (explicit_init(t, &e, SC_NEED_SW_SYNC)) {
		fence = sc_sw_fence(e.f.timeline, 1);
		expect(t, fence >= 0);
		zwp_linux_surface_synchronization_v1_set_acquire_fence(e.sync, fence);
		zwp_linux_surface_synchronization_v1_set_acquire_fence(e.sync, fence);
		expect(t, tc_client_died_of(
				  e.f.client, SURFACE_SYNC,
				  ZWP_LINUX_SURFACE_SYNCHRONIZATION_V1_ERROR_DUPLICATE_FENCE));
	}
	if (fence >= 0)
		close(fence);
	explicit_finish(&e);
}

static void explicit_two_release_requests_is_error(struct sb_test_ctx *t)
{
	struct zwp_linux_buffer_release_v1 *a, *b;
	struct explicit_fixture e;

	if (explicit_init(t, &e, 0)) {
		a = zwp_linux_surface_synchronization_v1_get_release(e.sync);
		b = zwp_linux_surface_synchronization_v1_get_release(e.sync);
		expect(t, tc_client_died_of(
				  e.f.client, SURFACE_SYNC,
				  ZWP_LINUX_SURFACE_SYNCHRONIZATION_V1_ERROR_DUPLICATE_RELEASE));
		zwp_linux_buffer_release_v1_destroy(a);
		zwp_linux_buffer_release_v1_destroy(b);
	}
	explicit_finish(&e);
}

static void explicit_request_after_surface_destroyed_is_error(struct sb_test_ctx *t)
{
	struct zwp_linux_buffer_release_v1 *release;
	struct explicit_fixture e;

	if (explicit_init(t, &e, 0)) {
		tc_surface_destroy(e.f.window);
		e.f.window = NULL;
		release = zwp_linux_surface_synchronization_v1_get_release(e.sync);
		expect(t, tc_client_died_of(e.f.client, SURFACE_SYNC,
					    ZWP_LINUX_SURFACE_SYNCHRONIZATION_V1_ERROR_NO_SURFACE));
		zwp_linux_buffer_release_v1_destroy(release);
	}
	explicit_finish(&e);
}

static void explicit_acquire_fence_on_shm_buffer_is_error(struct sb_test_ctx *t)
{
	struct tc_buffer *shm = NULL;
	struct explicit_fixture e;
	int fence = -1;

	if (!explicit_init(t, &e, SC_NEED_SW_SYNC))
		goto out;
	if (!sc_require_global(t, e.f.client, "wl_shm"))
		goto out;
	shm = tc_buffer_create_shm(e.f.client, SC_SIZE, SC_SIZE, SC_RED);
	fence = sc_sw_fence(e.f.timeline, 1);
	if (!expect(t, shm && fence >= 0))
		goto out;
	/* The XML guarantees explicit sync only for linux-dmabuf (and EGL) buffers. */
	zwp_linux_surface_synchronization_v1_set_acquire_fence(e.sync, fence);
	tc_surface_show(e.f.window, shm, NULL);
	if (tc_client_died_of(e.f.client, SURFACE_SYNC,
			      ZWP_LINUX_SURFACE_SYNCHRONIZATION_V1_ERROR_UNSUPPORTED_BUFFER))
		goto out;
	/* "Compositors are free to support explicit synchronization for additional buffer types." */
	if (wl_display_get_error(e.f.client->display) == 0)
		sb_skip(t, "the compositor supports explicit sync of wl_shm buffers");
	else
		t->failed = true;
out:
	if (fence >= 0)
		close(fence);
	tc_buffer_destroy(shm);
	explicit_finish(&e);
}

static void explicit_acquire_fence_without_buffer_is_error(struct sb_test_ctx *t)
{
	struct explicit_fixture e;
	int fence = -1;

	if (explicit_init(t, &e, SC_NEED_SW_SYNC)) {
		fence = sc_sw_fence(e.f.timeline, 1);
		expect(t, fence >= 0);
		/* The window has no buffer attached yet. */
		zwp_linux_surface_synchronization_v1_set_acquire_fence(e.sync, fence);
		tc_surface_show(e.f.window, NULL, NULL);
		expect(t, tc_client_died_of(e.f.client, SURFACE_SYNC,
					    ZWP_LINUX_SURFACE_SYNCHRONIZATION_V1_ERROR_NO_BUFFER));
	}
	if (fence >= 0)
		close(fence);
	explicit_finish(&e);
}

static void explicit_commit_held_until_acquire_fence_signals(struct sb_test_ctx *t)
{
	struct tc_buffer *red = NULL, *blue = NULL;
	struct tc_frame frame = {0};
	struct explicit_fixture e;
	int fence = -1;

	if (!explicit_init(t, &e, SC_NEED_DMABUF | SC_NEED_SW_SYNC))
		goto out;
	red = tc_buffer_create_dmabuf(e.f.client, SC_SIZE, SC_SIZE, SC_RED);
	blue = tc_buffer_create_dmabuf(e.f.client, SC_SIZE, SC_SIZE, SC_BLUE);
	fence = sc_sw_fence(e.f.timeline, 1);
	if (!expect(t, red && blue && fence >= 0) || !sc_fixture_show(t, &e.f, red))
		goto out;
	zwp_linux_surface_synchronization_v1_set_acquire_fence(e.sync, fence);
	tc_frame_request(&frame, e.f.window->surface, NULL);
	tc_surface_show(e.f.window, blue, NULL);
	expect(t, !tc_client_wait(e.f.client, &frame.done, SC_HELD_MS));
	expect(t, sb_sw_timeline_inc(e.f.timeline, 1) == 0);
	expect(t, tc_client_wait(e.f.client, &frame.done, SC_SOON_MS));
out:
	if (fence >= 0)
		close(fence);
	tc_frame_finish(&frame);
	tc_buffer_destroy(red);
	tc_buffer_destroy(blue);
	explicit_finish(&e);
}

struct release {
	struct zwp_linux_buffer_release_v1 *obj; /* until its event */
	int events;
	int fence; /* from fenced_release, owned */
	bool immediate;
};

static void fenced_release(void *data, struct zwp_linux_buffer_release_v1 *obj, int32_t fence)
{
	struct release *r = data;

	r->events++;
	if (r->fence >= 0)
		close(r->fence);
	r->fence = fence;
	/* A destructor event: the object is gone on the server's side too. */
	zwp_linux_buffer_release_v1_destroy(obj);
	r->obj = NULL;
}

static void immediate_release(void *data, struct zwp_linux_buffer_release_v1 *obj)
{
	struct release *r = data;

	r->events++;
	r->immediate = true;
	zwp_linux_buffer_release_v1_destroy(obj);
	r->obj = NULL;
}

static const struct zwp_linux_buffer_release_v1_listener release_listener = {
	.fenced_release = fenced_release,
	.immediate_release = immediate_release,
};

/*
 * zwp_linux_buffer_release_v1: one event, fenced_release or immediate_release, once the
 * compositor no longer uses the buffer of that commit, not while it still shows it.
 */
static void explicit_release_sent_once_buffer_is_replaced(struct sb_test_ctx *t)
{
	struct tc_buffer *red = NULL, *blue = NULL;
	struct release r = {.fence = -1};
	struct explicit_fixture e;
	bool released = false;

	if (!explicit_init(t, &e, SC_NEED_DMABUF))
		goto out;
	red = tc_buffer_create_dmabuf(e.f.client, SC_SIZE, SC_SIZE, SC_RED);
	blue = tc_buffer_create_dmabuf(e.f.client, SC_SIZE, SC_SIZE, SC_BLUE);
	if (!expect(t, red && blue))
		goto out;
	r.obj = zwp_linux_surface_synchronization_v1_get_release(e.sync);
	zwp_linux_buffer_release_v1_add_listener(r.obj, &release_listener, &r);
	if (!sc_fixture_show(t, &e.f, red))
		goto out;
	/* Red is on screen: no release yet. */
	tc_client_wait(e.f.client, NULL, SC_HELD_MS);
	expect(t, r.events == 0);
	if (!sc_fixture_show(t, &e.f, blue))
		goto out;
	for (int i = 0; i < SC_SOON_MS / 100 && r.events == 0; i++)
		tc_client_wait(e.f.client, NULL, 100);
	expect(t, r.events == 1);
	if (r.fence >= 0) {
		struct sb_sync_file *fence = sb_sync_file_import(r.fence);

		r.fence = -1;
		/* The compositor's read: a sync_file that signals once it is done. */
		if (expect(t, fence != NULL)) {
			for (int i = 0; i < SC_SOON_MS / 10 && !released; i++) {
				released = sb_sync_file_is_signaled(fence) == 1;
				if (!released)
					usleep(10000);
			}
			expect(t, released);
		}
		sb_sync_file_destroy(fence);
		printf("# fenced_release\n");
	} else if (r.immediate) {
		printf("# immediate_release\n");
	}
out:
	if (r.obj)
		zwp_linux_buffer_release_v1_destroy(r.obj);
	if (r.fence >= 0)
		close(r.fence);
	tc_buffer_destroy(red);
	tc_buffer_destroy(blue);
	explicit_finish(&e);
}

const struct sc_case sc_explicit_cases[] = {
	SC_CASE(AREA, explicit_second_synchronization_is_error),
	SC_CASE(AREA, explicit_acquire_fence_not_a_fence_is_error),
	SC_CASE(AREA, explicit_two_acquire_fences_is_error),
	SC_CASE(AREA, explicit_two_release_requests_is_error),
	SC_CASE(AREA, explicit_request_after_surface_destroyed_is_error),
	SC_CASE(AREA, explicit_acquire_fence_on_shm_buffer_is_error),
	SC_CASE(AREA, explicit_acquire_fence_without_buffer_is_error),
	SC_CASE(AREA, explicit_commit_held_until_acquire_fence_signals),
	SC_CASE(AREA, explicit_release_sent_once_buffer_is_replaced),
};
const size_t sc_n_explicit_cases = sizeof(sc_explicit_cases) / sizeof(sc_explicit_cases[0]);
