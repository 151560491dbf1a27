// SPDX-License-Identifier: MIT
/*
 * Guest: screen capture from syncbridge (zwlr_screencopy_v1 into wl_shm and udmabuf targets,
 * zwlr_export_dmabuf_v1), seen by consumers that use implicit sync: sw_sync fences imported as
 * their readers, reads that wait for the frame's writers. Each test starts its own compositor
 * (headless, pixman; in the guest its output buffers come from the system dma-heap).
 *   capture_test /path/to/syncbridge
 */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <drm_fourcc.h>

#include <syncbridge/dmabuf.h>

#include "capture_client.h"
#include "kdev.h"
#include "tap.h"
#include "tc_buffer.h"
#include "tc_surface.h"
#include "wl_client.h"
#include "wlr-export-dmabuf-unstable-v1-client-protocol.h"
#include "wlr-screencopy-unstable-v1-client-protocol.h"

/* What a target holds before the compositor writes it. */
#define UNWRITTEN 0x123456
#define OUTPUT_W 1280
#define OUTPUT_H 720
/* How long "not yet" is watched for: many frames at 60 Hz, even under emulation. */
#define HELD_MS 500
#define SOON_MS 5000

static const char *syncbridge;

/* A compositor, a client showing one colour at the origin, and a capture consumer. */
struct fixture {
	struct sb_compositor comp;
	struct tc_client *client;
	struct tc_surface *window;
	struct tc_buffer *red, *blue;
	struct cap_client *cap;
	int timeline;
};

static bool show(struct tc_client *client, struct tc_surface *window, struct tc_buffer *buffer)
{
	bool done = false;

	tc_surface_show(window, buffer, &done);
	return tc_client_wait(client, &done, SOON_MS);
}

static bool setup(struct sb_test_ctx *t, struct fixture *f)
{
	/* CAPTURE_TEST_DEBUG=1 (tests/vm/run --env): the compositors log at debug level. */
	static const char *const debug[] = {"-d", NULL};

	*f = (struct fixture){.timeline = sb_sw_timeline_create()};
	if (!expect(t, f->timeline >= 0) ||
	    !expect(t, sb_compositor_start(&f->comp, syncbridge,
					   getenv("CAPTURE_TEST_DEBUG") ? debug : NULL)))
		return false;
	f->client = sb_compositor_connect(&f->comp, SB_CLIENT_GLOBALS, SB_CLIENT_GLOBALS);
	f->window = f->client ? tc_surface_create(f->client) : NULL;
	f->red = f->window ? tc_buffer_create_dmabuf(f->client, SB_SIZE, SB_SIZE, SB_RED) : NULL;
	f->blue = f->window ? tc_buffer_create_dmabuf(f->client, SB_SIZE, SB_SIZE, SB_BLUE) : NULL;
	if (!expect(t, f->red && f->blue) || !expect(t, show(f->client, f->window, f->red)))
		return false;
	f->cap = cap_client_connect(&f->comp);
	return expect(t, f->cap != NULL);
}

static void teardown(struct sb_test_ctx *t, struct fixture *f)
{
	cap_client_destroy(f->cap);
	tc_buffer_destroy(f->red);
	tc_buffer_destroy(f->blue);
	tc_surface_destroy(f->window);
	tc_client_destroy(f->client);
	if (f->comp.pid > 0)
		expect(t, sb_compositor_stop(&f->comp) == 0);
	if (f->timeline >= 0)
		close(f->timeline);
}

static void screencopy_shm_still_works(struct sb_test_ctx *t)
{
	struct fixture f;
	struct cap_frame *frame = NULL;
	struct tc_buffer *target = NULL;

	if (!setup(t, &f))
		goto out;
	frame = cap_frame_capture(f.cap);
	if (!expect(t, frame && frame->buffer_done))
		goto out;
	expect(t, frame->shm_format == WL_SHM_FORMAT_XRGB8888);
	expect(t, frame->width == OUTPUT_W && frame->height == OUTPUT_H);
	expect(t, frame->stride == OUTPUT_W * 4);
	/* Version 3: a dma-buf target is offered too, in the output's format and size. */
	expect(t, frame->dmabuf_format == DRM_FORMAT_XRGB8888);
	expect(t, frame->dmabuf_width == OUTPUT_W && frame->dmabuf_height == OUTPUT_H);
	target = tc_shm_buffer_create(f.cap->wl, (int)frame->width, (int)frame->height,
				      frame->shm_format, frame->stride, 0xff000000 | UNWRITTEN);
	if (!expect(t, target))
		goto out;
	cap_frame_copy(frame, target, false);
	expect(t, tc_client_wait(f.cap->wl, &frame->ready, SOON_MS));
	expect(t, !frame->failed && frame->flags == 0);
	expect(t, cap_target_pixel_raw(target, SB_PX, SB_PY) == SB_RED);
	expect(t, cap_target_pixel_raw(target, SB_SIZE + 10, SB_PY) != SB_RED);
out:
	cap_frame_destroy(frame);
	tc_buffer_destroy(target);
	teardown(t, &f);
}

static void screencopy_dmabuf_consumer_waits_for_frame(struct sb_test_ctx *t)
{
	struct fixture f;
	struct cap_frame *frame = NULL;
	struct tc_buffer *target = NULL;
	struct sb_other_client other = {0};
	int baseline, during;

	if (!setup(t, &f) ||
	    !expect(t, sb_other_client_start(&other, &f.comp, SB_CLIENT_GLOBALS, SB_SIZE)))
		goto out;
	frame = cap_frame_capture(f.cap);
	if (!expect(t, frame && frame->dmabuf_format == DRM_FORMAT_XRGB8888))
		goto out;
	target = tc_dmabuf_buffer_create(f.cap->wl, (int)frame->dmabuf_width,
					 (int)frame->dmabuf_height, frame->dmabuf_format,
					 0xff000000 | UNWRITTEN);
	if (!expect(t, target))
		goto out;
	baseline = sb_other_client_frames_in(&other, 1000);
	/* The consumer still reads the target (an encoder on the last frame): a READ fence. */
	expect(t, sb_dmabuf_add_sw_fence(target->fd, f.timeline, 1, SB_ACCESS_READ));
	cap_frame_copy(frame, target, false);
	during = sb_other_client_frames_in(&other, 1000);
	expect(t, tc_client_roundtrip(f.cap->wl));
	/* No ready, and not written, while the consumer's reader is pending... */
	expect(t, !frame->ready && !frame->failed);
	expect(t, cap_target_pixel_raw(target, SB_PX, SB_PY) == UNWRITTEN);
	/* ...and nobody else waits for it. */
	sb_expect_rate_kept(t, "other client", "the capture waits", baseline, during, 11);
	expect(t, sb_sw_timeline_inc(f.timeline, 1) == 0);
	expect(t, tc_client_wait(f.cap->wl, &frame->ready, SOON_MS));
	expect(t, !frame->failed && frame->flags == 0);
	/* The consumer's implicit read (its writers waited for, inside SYNC) shows the frame. */
	expect(t, cap_dmabuf_read_pixel(target->fd, target->size, 0, target->stride, SB_PX, SB_PY,
					SOON_MS) == SB_RED);
out:
	cap_frame_destroy(frame);
	tc_buffer_destroy(target);
	sb_other_client_finish(&other);
	teardown(t, &f);
}

/* A consumer's frames are served in order: one waiting for its fences holds the next back. */
static void screencopy_later_frames_wait_behind_a_waiting_one(struct sb_test_ctx *t)
{
	struct fixture f;
	struct cap_frame *first = NULL, *second = NULL;
	struct tc_buffer *dmabuf = NULL, *shm = NULL;

	if (!setup(t, &f))
		goto out;
	first = cap_frame_capture(f.cap);
	second = cap_frame_capture(f.cap);
	if (!expect(t, first && second))
		goto out;
	dmabuf = tc_dmabuf_buffer_create(f.cap->wl, OUTPUT_W, OUTPUT_H, first->dmabuf_format,
					 0xff000000 | UNWRITTEN);
	shm = tc_shm_buffer_create(f.cap->wl, OUTPUT_W, OUTPUT_H, second->shm_format,
				   second->stride, 0xff000000 | UNWRITTEN);
	if (!expect(t, dmabuf && shm) ||
	    !expect(t, sb_dmabuf_add_sw_fence(dmabuf->fd, f.timeline, 1, SB_ACCESS_READ)))
		goto out;
	cap_frame_copy(first, dmabuf, false);
	cap_frame_copy(second, shm, false);
	expect(t, !tc_client_wait(f.cap->wl, &second->ready, HELD_MS));
	expect(t, !first->ready && !second->failed);
	expect(t, sb_sw_timeline_inc(f.timeline, 1) == 0);
	expect(t, tc_client_wait(f.cap->wl, &second->ready, SOON_MS));
	expect(t, first->ready);
	expect(t, cap_target_pixel_raw(shm, SB_PX, SB_PY) == SB_RED);
out:
	cap_frame_destroy(first);
	cap_frame_destroy(second);
	tc_buffer_destroy(dmabuf);
	tc_buffer_destroy(shm);
	teardown(t, &f);
}

static ino_t inode_of(int fd)
{
	struct stat st;

	return fstat(fd, &st) == 0 ? st.st_ino : 0;
}

/* An export frame, waited for; NULL (and a failed expectation) if it did not come. */
static struct cap_export *export_ready(struct sb_test_ctx *t, struct cap_client *cap)
{
	struct cap_export *frame = cap_export_capture(cap);

	if (!expect(t, frame && tc_client_wait(cap->wl, &frame->ready, SOON_MS)) ||
	    !expect(t, frame->n_objects == 1 && frame->fd[0] >= 0)) {
		cap_export_destroy(frame);
		return NULL;
	}
	return frame;
}

static long export_read_pixel(const struct cap_export *frame, int x, int y)
{
	return cap_dmabuf_read_pixel(frame->fd[0], frame->size[0], frame->offset[0],
				     frame->stride[0], x, y, SOON_MS);
}

static void export_dmabuf_consumer_waits_for_frame(struct sb_test_ctx *t)
{
	struct fixture f;
	struct cap_export *frame, *second = NULL, *third = NULL;
	int held_fd = -1, frames;
	size_t held_size = 0;
	uint32_t held_offset = 0, held_stride = 0;
	ino_t held_ino = 0;

	if (!setup(t, &f) || !(frame = export_ready(t, f.cap)))
		goto out;
	expect(t, frame->format == DRM_FORMAT_XRGB8888);
	expect(t, frame->width == OUTPUT_W && frame->height == OUTPUT_H);
	expect(t, export_read_pixel(frame, SB_PX, SB_PY) == SB_RED);
	/* The consumer goes on reading the frame after it let the frame object go. */
	held_fd = fcntl(frame->fd[0], F_DUPFD_CLOEXEC, 0);
	held_ino = inode_of(held_fd);
	held_size = frame->size[0];
	held_offset = frame->offset[0];
	held_stride = frame->stride[0];
	expect(t, sb_dmabuf_add_sw_fence(held_fd, f.timeline, 1, SB_ACCESS_READ));
	cap_export_destroy(frame);
	/* The output keeps rendering, into other buffers, at its rate. */
	frames = tc_surface_frames_in(f.window, f.blue, 1000);
	sb_diag("%d frames while the consumer reads", frames);
	expect(t, frames > 10);
	expect(t, sb_compositor_pixel(&f.comp, SB_PX, SB_PY) == SB_BLUE);
	for (int i = 0; i < 4; i++) {
		frame = export_ready(t, f.cap);
		if (!frame)
			break;
		expect(t, inode_of(frame->fd[0]) != held_ino);
		expect(t, export_read_pixel(frame, SB_PX, SB_PY) == SB_BLUE);
		cap_export_destroy(frame);
		show(f.client, f.window, f.blue);
	}
	/* The consumer's frame was not written over. */
	expect(t, cap_dmabuf_raw_pixel(held_fd, held_size, held_offset, held_stride, SB_PX,
				       SB_PY) == SB_RED);
	/*
	 * Two output buffers held (HELD_MAX): the consumer's next capture waits for one to come
	 * back, the output does not. The reader done, the buffer goes back and the capture is served.
	 */
	second = export_ready(t, f.cap);
	third = cap_export_capture(f.cap);
	frames = tc_surface_frames_in(f.window, f.red, 500);
	expect(t, frames > 5);
	expect(t, tc_client_roundtrip(f.cap->wl));
	expect(t, second && third && !third->ready && !third->cancelled);
	expect(t, sb_sw_timeline_inc(f.timeline, 1) == 0);
	expect(t, third && tc_client_wait(f.cap->wl, &third->ready, SOON_MS));
	expect(t, third && third->n_objects == 1 && third->fd[0] >= 0);
	expect(t, third && export_read_pixel(third, SB_PX, SB_PY) == SB_RED);
	cap_export_destroy(second);
	cap_export_destroy(third);
out:
	if (held_fd >= 0)
		close(held_fd);
	teardown(t, &f);
}

/* In a child process: a consumer whose target's reader never signals copies, says so, dies. */
static bool vanishing_consumer(void *data)
{
	struct fixture *f = data;
	struct cap_client *cap = cap_client_connect(&f->comp);
	struct cap_frame *frame = cap ? cap_frame_capture(cap) : NULL;
	struct tc_buffer *target =
		frame ? tc_dmabuf_buffer_create(cap->wl, OUTPUT_W, OUTPUT_H, frame->dmabuf_format,
						0xff000000 | UNWRITTEN)
		      : NULL;
	bool ok = target && sb_dmabuf_add_sw_fence(target->fd, f->timeline, 1, SB_ACCESS_READ);

	if (ok) {
		cap_frame_copy(frame, target, false);
		ok = tc_client_roundtrip(cap->wl) && !frame->ready && !frame->failed;
	}
	return ok;
}

static void screencopy_consumer_disconnect_mid_wait_frees_everything(struct sb_test_ctx *t)
{
	struct fixture f;
	struct cap_frame *frame = NULL;
	struct tc_buffer *target = NULL;

	if (!setup(t, &f))
		goto out;
	/* The consumer held 3 more: its socket, its target, and the wait for the target's fences. */
	sb_expect_child_death_frees_fds(t, &f.comp, vanishing_consumer, &f, 3,
					"while the capture waited");
	/* And it keeps serving: another consumer's capture. */
	frame = cap_frame_capture(f.cap);
	target = frame ? tc_shm_buffer_create(f.cap->wl, OUTPUT_W, OUTPUT_H, frame->shm_format,
					      frame->stride, 0xff000000 | UNWRITTEN)
		       : NULL;
	if (expect(t, target)) {
		cap_frame_copy(frame, target, false);
		expect(t, tc_client_wait(f.cap->wl, &frame->ready, SOON_MS));
		expect(t, cap_target_pixel_raw(target, SB_PX, SB_PY) == SB_RED);
	}
out:
	cap_frame_destroy(frame);
	tc_buffer_destroy(target);
	teardown(t, &f);
}

static void screencopy_copy_with_damage_waits_for_damage(struct sb_test_ctx *t)
{
	struct fixture f;
	struct cap_frame *first = NULL, *second = NULL;
	struct tc_buffer *target = NULL;

	if (!setup(t, &f))
		goto out;
	first = cap_frame_capture(f.cap);
	target = first ? tc_shm_buffer_create(f.cap->wl, OUTPUT_W, OUTPUT_H, first->shm_format,
					      first->stride, 0xff000000 | UNWRITTEN)
		       : NULL;
	if (!expect(t, target))
		goto out;
	/* The first copy with damage: everything counts as changed. */
	cap_frame_copy(first, target, true);
	expect(t, tc_client_wait(f.cap->wl, &first->ready, SOON_MS));
	expect(t, first->damage_events == 1 && first->damage_width > 0);
	second = cap_frame_capture(f.cap);
	if (!expect(t, second))
		goto out;
	cap_frame_copy(second, target, true);
	/* Nothing changes on screen: no frame. */
	expect(t, !tc_client_wait(f.cap->wl, &second->ready, HELD_MS));
	expect(t, show(f.client, f.window, f.blue));
	expect(t, tc_client_wait(f.cap->wl, &second->ready, SOON_MS));
	expect(t, second->damage_events == 1);
	expect(t, second->damage_x <= SB_PX && SB_PX < second->damage_x + second->damage_width);
	expect(t, second->damage_y <= SB_PY && SB_PY < second->damage_y + second->damage_height);
	expect(t, cap_target_pixel_raw(target, SB_PX, SB_PY) == SB_BLUE);
out:
	cap_frame_destroy(first);
	cap_frame_destroy(second);
	tc_buffer_destroy(target);
	teardown(t, &f);
}

enum bad_target {
	SHM_WRONG_SIZE,
	SHM_WRONG_STRIDE,
	SHM_WRONG_FORMAT,
	DMABUF_WRONG_SIZE,
	DMABUF_WRONG_FORMAT,
};

/* A consumer copies into one bad target: returns the protocol error it died of. */
static uint32_t bad_target_error(struct sb_test_ctx *t, struct sb_compositor *comp,
				 enum bad_target bad, const char **iface)
{
	struct cap_client *cap = cap_client_connect(comp);
	struct cap_frame *frame = cap ? cap_frame_capture(cap) : NULL;
	struct tc_buffer *target = NULL;
	int w = OUTPUT_W, h = OUTPUT_H;
	uint32_t code;

	if (!expect(t, frame))
		goto out;
	switch (bad) {
	case SHM_WRONG_SIZE:
		target = tc_shm_buffer_create(cap->wl, w, h - 1, frame->shm_format, frame->stride,
					      0);
		break;
	case SHM_WRONG_STRIDE:
		target = tc_shm_buffer_create(cap->wl, w, h, frame->shm_format, frame->stride + 64,
					      0);
		break;
	case SHM_WRONG_FORMAT:
		target = tc_shm_buffer_create(cap->wl, w, h, WL_SHM_FORMAT_ARGB8888, frame->stride,
					      0);
		break;
	case DMABUF_WRONG_SIZE:
		target = tc_dmabuf_buffer_create(cap->wl, w / 2, h, frame->dmabuf_format, 0);
		break;
	case DMABUF_WRONG_FORMAT:
		target = tc_dmabuf_buffer_create(cap->wl, w, h, DRM_FORMAT_ARGB8888, 0);
		break;
	}
	if (!expect(t, target))
		goto out;
	cap_frame_copy(frame, target, false);
	tc_client_wait(cap->wl, &frame->ready, 2000);
	expect(t, !frame->ready);
out:
	code = cap ? tc_client_error(cap->wl, iface) : 0;
	tc_buffer_destroy(target);
	cap_frame_destroy(frame);
	cap_client_destroy(cap);
	return code;
}

static void screencopy_bad_target_is_invalid_buffer(struct sb_test_ctx *t)
{
	static const enum bad_target cases[] = {SHM_WRONG_SIZE, SHM_WRONG_STRIDE, SHM_WRONG_FORMAT,
						DMABUF_WRONG_SIZE, DMABUF_WRONG_FORMAT};
	struct fixture f;

	if (!setup(t, &f))
		goto out;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *iface = "";

		if (!expect(t, bad_target_error(t, &f.comp, cases[i], &iface) ==
				       ZWLR_SCREENCOPY_FRAME_V1_ERROR_INVALID_BUFFER))
			sb_diag("bad target %zu: wrong error", i);
		expect(t, strcmp(iface, "zwlr_screencopy_frame_v1") == 0);
	}
	/* The compositor serves on. */
	expect(t, show(f.client, f.window, f.blue));
out:
	teardown(t, &f);
}

static void screencopy_second_copy_is_already_used(struct sb_test_ctx *t)
{
	struct fixture f;
	struct cap_frame *frame = NULL;
	struct tc_buffer *target = NULL;
	const char *iface = "";

	if (!setup(t, &f))
		goto out;
	frame = cap_frame_capture(f.cap);
	target = frame ? tc_shm_buffer_create(f.cap->wl, OUTPUT_W, OUTPUT_H, frame->shm_format,
					      frame->stride, 0)
		       : NULL;
	if (!expect(t, target))
		goto out;
	cap_frame_copy(frame, target, false);
	expect(t, tc_client_wait(f.cap->wl, &frame->ready, SOON_MS));
	cap_frame_copy(frame, target, false);
	tc_client_roundtrip(f.cap->wl);
	expect(t,
	       tc_client_error(f.cap->wl, &iface) == ZWLR_SCREENCOPY_FRAME_V1_ERROR_ALREADY_USED);
	expect(t, strcmp(iface, "zwlr_screencopy_frame_v1") == 0);
out:
	cap_frame_destroy(frame);
	tc_buffer_destroy(target);
	teardown(t, &f);
}

int main(int argc, char *argv[])
{
	static const struct sb_test tests[] = {
		SB_TEST(screencopy_shm_still_works),
		SB_TEST(screencopy_dmabuf_consumer_waits_for_frame),
		SB_TEST(screencopy_later_frames_wait_behind_a_waiting_one),
		SB_TEST(export_dmabuf_consumer_waits_for_frame),
		SB_TEST(screencopy_consumer_disconnect_mid_wait_frees_everything),
		SB_TEST(screencopy_copy_with_damage_waits_for_damage),
		SB_TEST(screencopy_bad_target_is_invalid_buffer),
		SB_TEST(screencopy_second_copy_is_already_used),
	};

	return sb_compositor_test_main(argc, argv, &syncbridge, tests,
				       sizeof(tests) / sizeof(tests[0]));
}
