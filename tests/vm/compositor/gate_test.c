// SPDX-License-Identifier: MIT
/*
 * Guest: syncbridge's implicit-sync commit gate, seen from real Wayland clients with udmabuf
 * buffers and sw_sync fences. Each test starts its own compositor (headless, pixman).
 *   gate_test /path/to/syncbridge
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <drm_fourcc.h>

#include <syncbridge/dmabuf.h>

#include "kdev.h"
#include "linux-dmabuf-unstable-v1-client-protocol.h"
#include "tap.h"
#include "tc_buffer.h"
#include "tc_surface.h"
#include "test_control.h"
#include "wl_client.h"

/* How long "not yet" is watched for: many frames at 60 Hz, even under emulation. */
#define HELD_MS 300
#define SOON_MS 5000

static const char *syncbridge;

struct fixture {
	struct sb_compositor comp;
	struct tc_client *client;
	struct tc_surface *window;
	int timeline;
};

static bool fixture_start(struct sb_test_ctx *t, struct fixture *f, const char *const *extra,
			  bool controlled)
{
	*f = (struct fixture){.timeline = sb_sw_timeline_create()};
	if (!expect(t, f->timeline >= 0) ||
	    !expect(t, controlled ? sb_compositor_start_controlled(&f->comp, syncbridge, extra)
				  : sb_compositor_start(&f->comp, syncbridge, extra)))
		return false;
	f->client = sb_compositor_connect(&f->comp, SB_CLIENT_GLOBALS, SB_CLIENT_GLOBALS);
	if (!expect(t, f->client != NULL))
		return false;
	f->window = tc_surface_create(f->client);
	return expect(t, f->window != NULL);
}

static bool setup(struct sb_test_ctx *t, struct fixture *f, const char *const *extra)
{
	return fixture_start(t, f, extra, false);
}

/* With the test control socket, for the compositor's test hooks (compositor/test_control.h). */
static bool setup_controlled(struct sb_test_ctx *t, struct fixture *f)
{
	return fixture_start(t, f, NULL, true);
}

static void teardown(struct sb_test_ctx *t, struct fixture *f)
{
	tc_surface_destroy(f->window);
	tc_client_destroy(f->client);
	if (f->comp.pid > 0)
		expect(t, sb_compositor_stop(&f->comp) == 0);
	if (f->timeline >= 0)
		close(f->timeline);
}

static bool show(struct sb_test_ctx *t, struct fixture *f, struct tc_buffer *buffer)
{
	bool done = false;

	tc_surface_show(f->window, buffer, &done);
	return expect(t, tc_client_wait(f->client, &done, SOON_MS));
}

static void commit_waits_for_unsignalled_fence(struct sb_test_ctx *t)
{
	struct fixture f;
	struct tc_buffer *red = NULL, *blue = NULL;
	bool done = false;

	if (!setup(t, &f, NULL))
		goto out;
	red = tc_buffer_create_dmabuf(f.client, SB_SIZE, SB_SIZE, SB_RED);
	blue = tc_buffer_create_dmabuf(f.client, SB_SIZE, SB_SIZE, SB_BLUE);
	if (!expect(t, red && blue) || !show(t, &f, red))
		goto out;
	expect(t, sb_compositor_pixel(&f.comp, SB_PX, SB_PY) == SB_RED);
	expect(t,
	       sb_dmabuf_add_sw_fence(tc_buffer_dmabuf_fd(blue), f.timeline, 1, SB_ACCESS_WRITE));
	tc_surface_show(f.window, blue, &done);
	/* Held: no frame for the new state, and the old content stays on screen. */
	expect(t, !tc_client_wait(f.client, &done, HELD_MS));
	expect(t, sb_compositor_pixel(&f.comp, SB_PX, SB_PY) == SB_RED);
	expect(t, sb_sw_timeline_inc(f.timeline, 1) == 0);
	expect(t, tc_client_wait(f.client, &done, SOON_MS));
	expect(t, sb_compositor_pixel(&f.comp, SB_PX, SB_PY) == SB_BLUE);
out:
	tc_buffer_destroy(red);
	tc_buffer_destroy(blue);
	teardown(t, &f);
}

/* Fence A before the commit, fence B (a later writer) after it; A signals, B does not. */
static bool later_write_delays_commit(struct sb_test_ctx *t, const char *mode)
{
	const char *const extra[] = {"--implicit", mode, NULL};
	struct fixture f;
	struct tc_buffer *blue = NULL;
	int later = sb_sw_timeline_create();
	bool done = false, delayed = false;

	if (!setup(t, &f, extra))
		goto out;
	blue = tc_buffer_create_dmabuf(f.client, SB_SIZE, SB_SIZE, SB_BLUE);
	if (!expect(t, blue && sb_dmabuf_add_sw_fence(tc_buffer_dmabuf_fd(blue), f.timeline, 1,
						      SB_ACCESS_WRITE)))
		goto out;
	tc_surface_show(f.window, blue, &done);
	/* The compositor has handled the commit before B exists. */
	expect(t, tc_client_roundtrip(f.client));
	expect(t, sb_dmabuf_add_sw_fence(tc_buffer_dmabuf_fd(blue), later, 1, SB_ACCESS_WRITE));
	expect(t, sb_sw_timeline_inc(f.timeline, 1) == 0);
	delayed = !tc_client_wait(f.client, &done, 1000);
	expect(t, sb_sw_timeline_inc(later, 1) == 0);
	expect(t, tc_client_wait(f.client, &done, SOON_MS));
	expect(t, sb_compositor_pixel(&f.comp, SB_PX, SB_PY) == SB_BLUE);
out:
	tc_buffer_destroy(blue);
	teardown(t, &f);
	close(later);
	return delayed;
}

static void implicit_snapshot_ignores_later_writes(struct sb_test_ctx *t)
{
	expect(t, !later_write_delays_commit(t, "snapshot"));
}

static void poll_mode_waits_for_later_writes_too(struct sb_test_ctx *t)
{
	/* The benchmark's baseline, and what a kernel without EXPORT_SYNC_FILE gets. */
	expect(t, later_write_delays_commit(t, "poll"));
}

static void none_mode_does_not_wait(struct sb_test_ctx *t)
{
	const char *const extra[] = {"--implicit", "none", NULL};
	struct fixture f;
	struct tc_buffer *blue = NULL;
	bool done = false;

	if (!setup(t, &f, extra))
		goto out;
	blue = tc_buffer_create_dmabuf(f.client, SB_SIZE, SB_SIZE, SB_BLUE);
	expect(t, blue && sb_dmabuf_add_sw_fence(tc_buffer_dmabuf_fd(blue), f.timeline, 1,
						 SB_ACCESS_WRITE));
	tc_surface_show(f.window, blue, &done);
	expect(t, tc_client_wait(f.client, &done, SOON_MS));
	expect(t, sb_sw_timeline_inc(f.timeline, 1) == 0);
out:
	tc_buffer_destroy(blue);
	teardown(t, &f);
}

static void other_clients_unaffected_by_hung_fence(struct sb_test_ctx *t)
{
	struct fixture f;
	struct sb_other_client other = {0};
	struct tc_buffer *hung = NULL;
	int baseline, during;

	if (!setup(t, &f, NULL))
		goto out;
	hung = tc_buffer_create_dmabuf(f.client, SB_SIZE, SB_SIZE, SB_RED);
	if (!expect(t, sb_other_client_start(&other, &f.comp, SB_CLIENT_GLOBALS, SB_SIZE) && hung))
		goto out;
	baseline = sb_other_client_frames_in(&other, 1000);
	/* Client 1 commits a buffer whose fence never signals. */
	expect(t,
	       sb_dmabuf_add_sw_fence(tc_buffer_dmabuf_fd(hung), f.timeline, 1, SB_ACCESS_WRITE));
	tc_surface_show(f.window, hung, NULL);
	expect(t, tc_client_roundtrip(f.client));
	during = sb_other_client_frames_in(&other, 1000);
	/* More than 10 frames/s alone. */
	sb_expect_rate_kept(t, "other client", "client 1's fence hangs", baseline, during, 11);
out:
	sb_other_client_finish(&other);
	tc_buffer_destroy(hung);
	teardown(t, &f);
}

/* In a child process: connect, commit a buffer whose fence never signals, say so, and die. */
static bool vanishing_client(void *data)
{
	struct fixture *f = data;
	struct tc_client *client =
		sb_compositor_connect(&f->comp, SB_CLIENT_GLOBALS, SB_CLIENT_GLOBALS);
	struct tc_surface *window = client ? tc_surface_create(client) : NULL;
	struct tc_buffer *hung =
		window ? tc_buffer_create_dmabuf(client, SB_SIZE, SB_SIZE, SB_RED) : NULL;
	bool ok = hung && sb_dmabuf_add_sw_fence(tc_buffer_dmabuf_fd(hung), f->timeline, 1,
						 SB_ACCESS_WRITE);

	if (ok) {
		tc_surface_show(window, hung, NULL);
		ok = tc_client_roundtrip(client);
	}
	return ok;
}

static void client_disconnect_mid_wait_frees_everything(struct sb_test_ctx *t)
{
	struct fixture f;
	struct tc_buffer *red = NULL;

	if (!setup(t, &f, NULL))
		goto out;
	sb_expect_child_death_frees_fds(t, &f.comp, vanishing_client, &f, 1,
					"while the commit was held");
	/* And it keeps serving. */
	red = tc_buffer_create_dmabuf(f.client, SB_SIZE, SB_SIZE, SB_RED);
	expect(t, red && show(t, &f, red));
	expect(t, sb_compositor_pixel(&f.comp, SB_PX, SB_PY) == SB_RED);
out:
	tc_buffer_destroy(red);
	teardown(t, &f);
}

static void commits_apply_in_order(struct sb_test_ctx *t)
{
	struct fixture f;
	struct tc_buffer *red = NULL, *green = NULL, *blue = NULL;
	int second = sb_sw_timeline_create();
	bool first_done = false, second_done = false;

	if (!setup(t, &f, NULL))
		goto out;
	red = tc_buffer_create_dmabuf(f.client, SB_SIZE, SB_SIZE, SB_RED);
	green = tc_buffer_create_dmabuf(f.client, SB_SIZE, SB_SIZE, SB_GREEN);
	blue = tc_buffer_create_dmabuf(f.client, SB_SIZE, SB_SIZE, SB_BLUE);
	if (!expect(t, red && green && blue) || !show(t, &f, red))
		goto out;
	expect(t,
	       sb_dmabuf_add_sw_fence(tc_buffer_dmabuf_fd(green), f.timeline, 1, SB_ACCESS_WRITE));
	expect(t, sb_dmabuf_add_sw_fence(tc_buffer_dmabuf_fd(blue), second, 1, SB_ACCESS_WRITE));
	tc_surface_show(f.window, green, &first_done);
	tc_surface_show(f.window, blue, &second_done);
	/* The second commit's fence signals first: it still waits for the first commit. */
	expect(t, sb_sw_timeline_inc(second, 1) == 0);
	expect(t, !tc_client_wait(f.client, &second_done, HELD_MS));
	expect(t, !first_done);
	expect(t, sb_compositor_pixel(&f.comp, SB_PX, SB_PY) == SB_RED);
	/* Red is on screen while both commits wait: not released. */
	expect(t, !red->released);
	expect(t, sb_sw_timeline_inc(f.timeline, 1) == 0);
	expect(t, tc_client_wait(f.client, &second_done, SOON_MS));
	expect(t, first_done);
	expect(t, sb_compositor_pixel(&f.comp, SB_PX, SB_PY) == SB_BLUE);
	/*
	 * Both states applied in one go: red (dropped after the apply, compositor/release.c)
	 * and green (replaced inside it) are released, blue is shown and is not.
	 */
	expect(t, tc_client_wait(f.client, &red->released, SOON_MS));
	expect(t, tc_client_wait(f.client, &green->released, SOON_MS));
	expect(t, !blue->released);
out:
	tc_buffer_destroy(red);
	tc_buffer_destroy(green);
	tc_buffer_destroy(blue);
	teardown(t, &f);
	close(second);
}

static void subsurface_sync_waits_for_parent(struct sb_test_ctx *t)
{
	struct fixture f;
	struct tc_surface *sub = NULL;
	struct tc_buffer *red = NULL, *blue = NULL, *green = NULL;
	bool done = false;

	if (!setup(t, &f, NULL))
		goto out;
	red = tc_buffer_create_dmabuf(f.client, SB_SIZE, SB_SIZE, SB_RED);
	blue = tc_buffer_create_dmabuf(f.client, SB_SIZE, SB_SIZE, SB_BLUE);
	green = tc_buffer_create_dmabuf(f.client, 16, 16, SB_GREEN);
	sub = tc_subsurface_create(f.client, f.window, 16, 16);
	if (!expect(t, red && blue && green && sub) || !show(t, &f, red))
		goto out;
	/* A synchronized sub-surface's state waits for its parent's commit... */
	tc_surface_show(sub, green, NULL);
	expect(t,
	       sb_dmabuf_add_sw_fence(tc_buffer_dmabuf_fd(blue), f.timeline, 1, SB_ACCESS_WRITE));
	/* ...and the parent's commit waits for its fence. */
	tc_surface_show(f.window, blue, &done);
	expect(t, !tc_client_wait(f.client, &done, HELD_MS));
	expect(t, sb_compositor_pixel(&f.comp, 20, 20) == SB_RED);
	expect(t, sb_sw_timeline_inc(f.timeline, 1) == 0);
	expect(t, tc_client_wait(f.client, &done, SOON_MS));
	expect(t, sb_compositor_pixel(&f.comp, 20, 20) == SB_GREEN);
	expect(t, sb_compositor_pixel(&f.comp, 5, 5) == SB_BLUE);
out:
	tc_surface_destroy(sub);
	tc_buffer_destroy(red);
	tc_buffer_destroy(blue);
	tc_buffer_destroy(green);
	teardown(t, &f);
}

/* A client that sends one bad buffer: returns the protocol error it died of. */
static uint32_t bad_buffer_error(struct sb_test_ctx *t, struct sb_compositor *comp, int fd,
				 uint32_t format, uint32_t stride, const char **iface)
{
	struct tc_client *client =
		sb_compositor_connect(comp, SB_CLIENT_GLOBALS, SB_CLIENT_GLOBALS);
	uint32_t code;

	if (!expect(t, client != NULL))
		return 0;
	tc_client_create_immed(client, fd, SB_SIZE, SB_SIZE, format, stride);
	tc_client_wait(client, NULL, 2000);
	code = tc_client_error(client, iface);
	tc_client_destroy(client);
	return code;
}

static void unreadable_dmabuf_gets_protocol_error(struct sb_test_ctx *t)
{
	struct fixture f;
	struct tc_buffer *red = NULL;
	const char *iface = "";
	int memfd = memfd_create("not-a-dmabuf", MFD_CLOEXEC);
	int small = sb_udmabuf_create(4096), good = sb_udmabuf_create(SB_SIZE * SB_SIZE * 4);

	if (!expect(t, memfd >= 0 && small >= 0 && good >= 0) ||
	    !expect(t, ftruncate(memfd, SB_SIZE * SB_SIZE * 4) == 0) || !setup(t, &f, NULL))
		goto out;
	expect(t, bad_buffer_error(t, &f.comp, memfd, DRM_FORMAT_XRGB8888, SB_SIZE * 4, &iface) ==
			  ZWP_LINUX_BUFFER_PARAMS_V1_ERROR_INVALID_WL_BUFFER);
	expect(t, strcmp(iface, "zwp_linux_buffer_params_v1") == 0);
	expect(t, bad_buffer_error(t, &f.comp, good, DRM_FORMAT_NV12, SB_SIZE * 4, &iface) ==
			  ZWP_LINUX_BUFFER_PARAMS_V1_ERROR_INVALID_FORMAT);
	expect(t, bad_buffer_error(t, &f.comp, small, DRM_FORMAT_XRGB8888, SB_SIZE * 4, &iface) ==
			  ZWP_LINUX_BUFFER_PARAMS_V1_ERROR_OUT_OF_BOUNDS);
	/* The compositor and its first client carry on. */
	red = tc_buffer_create_dmabuf(f.client, SB_SIZE, SB_SIZE, SB_RED);
	expect(t, red && show(t, &f, red));
	expect(t, sb_compositor_pixel(&f.comp, SB_PX, SB_PY) == SB_RED);
out:
	tc_buffer_destroy(red);
	teardown(t, &f);
	if (memfd >= 0)
		close(memfd);
	if (small >= 0)
		close(small);
	if (good >= 0)
		close(good);
}

/*
 * A controlled compositor with its idle check before CPU reads switched off (and, if arm_delay_us,
 * a sleep between arming the SYNC bound and the ioctl), red on screen in the fixture's window.
 */
static bool cpu_read_setup(struct sb_test_ctx *t, struct fixture *f, int arm_delay_us,
			   struct tc_buffer **red)
{
	*red = NULL;
	if (!setup_controlled(t, f) ||
	    !expect(t, sb_compositor_control(&f->comp, SB_TEST_CONTROL_SYNC_SKIP_IDLE_CHECK, 1) ==
			       0) ||
	    (arm_delay_us &&
	     !expect(t, sb_compositor_control(&f->comp, SB_TEST_CONTROL_SYNC_ARM_DELAY,
					      arm_delay_us) == 0)))
		return false;
	*red = tc_buffer_create_dmabuf(f->client, SB_SIZE, SB_SIZE, SB_RED);
	return expect(t, *red) && show(t, f, *red);
}

/*
 * A client adds a write fence that never signals to a buffer already on screen (after its
 * commit applied). The compositor's CPU reads of it must not wait for that fence: with the idle
 * check switched off by a test hook, this is the bound on DMA_BUF_IOCTL_SYNC itself.
 */
static void cpu_read_never_waits_for_a_late_writer(struct sb_test_ctx *t)
{
	struct fixture f;
	struct tc_buffer *red = NULL;
	int frames = 0;

	if (!cpu_read_setup(t, &f, 0, &red))
		goto out;
	expect(t, sb_dmabuf_add_sw_fence(tc_buffer_dmabuf_fd(red), f.timeline, 1, SB_ACCESS_WRITE));
	/* Every frame now reads the buffer (the output brackets its reads with SYNC). */
	for (int i = 0; i < 10; i++) {
		bool done = false;

		tc_surface_show(f.window, NULL, &done);
		if (tc_client_wait(f.client, &done, SOON_MS))
			frames++;
	}
	expect(t, frames == 10);
	expect(t, sb_compositor_pixel(&f.comp, SB_PX, SB_PY) == SB_RED);
out:
	tc_buffer_destroy(red);
	teardown(t, &f);
}

/*
 * The same bound when the compositor's thread is held up between arming it and the ioctl (a
 * preemption, forced by a 10 ms sleep there), long enough for the timer's first expiry to come
 * and go before the ioctl waits. Another client's frames, each rendering (and so reading) the
 * buffer with the late writer, must still come promptly: DMA_BUF_IOCTL_SYNC returned.
 */
static void cpu_read_bounded_when_preempted_after_arming(struct sb_test_ctx *t)
{
	struct fixture f;
	struct tc_buffer *red = NULL;
	struct sb_other_client other = {0};

	if (!cpu_read_setup(t, &f, 10000, &red) ||
	    !expect(t, sb_other_client_start(&other, &f.comp, SB_CLIENT_GLOBALS, SB_SIZE)))
		goto out;
	expect(t, sb_dmabuf_add_sw_fence(tc_buffer_dmabuf_fd(red), f.timeline, 1, SB_ACCESS_WRITE));
	expect(t, sb_other_client_frames(&other, 10, 1000) == 10);
	expect(t, sb_compositor_pixel(&f.comp, SB_PX, SB_PY) == SB_RED);
out:
	sb_other_client_finish(&other);
	tc_buffer_destroy(red);
	teardown(t, &f);
}

/*
 * wlroots queues every commit behind a held one: a client that keeps committing on a surface stuck
 * on a fence that never signals would grow the compositor without bound. Past the gate's cap it is
 * disconnected with an implementation error; the compositor serves on.
 */
static void commits_queued_behind_a_hung_fence_are_capped(struct sb_test_ctx *t)
{
	struct fixture f;
	struct tc_buffer *hung = NULL;
	struct sb_other_client other = {0};
	const char *iface = NULL;
	int i;

	if (!setup(t, &f, NULL))
		goto out;
	hung = tc_buffer_create_dmabuf(f.client, SB_SIZE, SB_SIZE, SB_RED);
	if (!expect(t, hung && sb_dmabuf_add_sw_fence(tc_buffer_dmabuf_fd(hung), f.timeline, 1,
						      SB_ACCESS_WRITE)))
		goto out;
	tc_surface_show(f.window, hung, NULL);
	/* Well under the cap: queued, no error. */
	for (i = 0; i < 32; i++)
		tc_surface_show(f.window, NULL, NULL);
	expect(t, tc_client_roundtrip(f.client));
	expect(t, tc_client_error(f.client, NULL) == 0);
	for (i = 0; i < 64; i++)
		tc_surface_show(f.window, NULL, NULL);
	tc_client_roundtrip(f.client);
	expect(t, tc_client_error(f.client, &iface) == WL_DISPLAY_ERROR_IMPLEMENTATION);
	expect(t, iface && strcmp(iface, "wl_display") == 0);
	/* Everyone else is still served. */
	expect(t, sb_other_client_start(&other, &f.comp, SB_CLIENT_GLOBALS, SB_SIZE) &&
			  sb_other_client_frames_in(&other, 500) > 0);
out:
	sb_other_client_finish(&other);
	tc_buffer_destroy(hung);
	teardown(t, &f);
}

int main(int argc, char *argv[])
{
	static const struct sb_test tests[] = {
		SB_TEST(commit_waits_for_unsignalled_fence),
		SB_TEST(implicit_snapshot_ignores_later_writes),
		SB_TEST(poll_mode_waits_for_later_writes_too),
		SB_TEST(none_mode_does_not_wait),
		SB_TEST(other_clients_unaffected_by_hung_fence),
		SB_TEST(client_disconnect_mid_wait_frees_everything),
		SB_TEST(commits_apply_in_order),
		SB_TEST(subsurface_sync_waits_for_parent),
		SB_TEST(unreadable_dmabuf_gets_protocol_error),
		SB_TEST(cpu_read_never_waits_for_a_late_writer),
		SB_TEST(cpu_read_bounded_when_preempted_after_arming),
		SB_TEST(commits_queued_behind_a_hung_fence_are_capped),
	};

	return sb_compositor_test_main(argc, argv, &syncbridge, tests,
				       sizeof(tests) / sizeof(tests[0]));
}
