// SPDX-License-Identifier: MIT
/*
 * Implicit sync of linux-dmabuf buffers: the fences in the buffer's dma_resv (added here with
 * DMA_BUF_IOCTL_IMPORT_SYNC_FILE on a udmabuf) must have signalled before the compositor reads
 * the buffer. Whether it reads is seen from the client as the commit's frame callback: a held
 * commit sends none.
 */
#include <stdio.h>
#include <unistd.h>

#include "fixture.h"
#include "kdev.h"

#define AREA "implicit sync"

static void implicit_commit_held_until_write_fence_signals(struct sb_test_ctx *t)
{
	struct tc_buffer *red = NULL, *blue = NULL;
	struct tc_frame frame = {0};
	struct sc_fixture f;

	if (!sc_fixture_init(t, &f, SC_NEED_WINDOW | SC_NEED_DMABUF | SC_NEED_SW_SYNC))
		goto out;
	red = tc_buffer_create_dmabuf(f.client, SC_SIZE, SC_SIZE, SC_RED);
	blue = tc_buffer_create_dmabuf(f.client, SC_SIZE, SC_SIZE, SC_BLUE);
	if (!expect(t, red && blue) || !sc_fixture_show(t, &f, red))
		goto out;
	expect(t, sc_add_implicit_fence(blue->fd, f.timeline, 1, true));
	tc_frame_request(&frame, f.window->surface, NULL);
	tc_surface_show(f.window, blue, NULL);
	expect(t, !tc_client_wait(f.client, &frame.done, SC_HELD_MS));
	/* Still showing red: the compositor keeps the old buffer. */
	expect(t, !red->released);
	expect(t, sb_sw_timeline_inc(f.timeline, 1) == 0);
	expect(t, tc_client_wait(f.client, &frame.done, SC_SOON_MS));
out:
	tc_frame_finish(&frame);
	tc_buffer_destroy(red);
	tc_buffer_destroy(blue);
	sc_fixture_finish(&f);
}

/*
 * The commit is of the buffer's content at commit time: a write fence added after the commit was
 * handled belongs to a later frame (DMA_BUF_IOCTL_EXPORT_SYNC_FILE, the snapshot the uapi offers
 * compositors for this), so it must not hold the commit.
 */
static void implicit_commit_ignores_write_fence_added_after_commit(struct sb_test_ctx *t)
{
	struct tc_buffer *blue = NULL;
	struct tc_frame frame = {0};
	struct sc_fixture f;
	int later = -1;

	if (!sc_fixture_init(t, &f, SC_NEED_WINDOW | SC_NEED_DMABUF | SC_NEED_SW_SYNC))
		goto out;
	later = sb_sw_timeline_create();
	blue = tc_buffer_create_dmabuf(f.client, SC_SIZE, SC_SIZE, SC_BLUE);
	if (!expect(t, blue && later >= 0) ||
	    !expect(t, sc_add_implicit_fence(blue->fd, f.timeline, 1, true)))
		goto out;
	tc_frame_request(&frame, f.window->surface, NULL);
	tc_surface_show(f.window, blue, NULL);
	/* The compositor has handled the commit before the later fence exists. */
	expect(t, tc_client_roundtrip(f.client));
	expect(t, sc_add_implicit_fence(blue->fd, later, 1, true));
	expect(t, sb_sw_timeline_inc(f.timeline, 1) == 0);
	if (!expect(t, tc_client_wait(f.client, &frame.done, SC_SOON_MS)))
		printf("# the commit waited for the write fence added after it\n");
	expect(t, sb_sw_timeline_inc(later, 1) == 0);
out:
	tc_frame_finish(&frame);
	tc_buffer_destroy(blue);
	if (later >= 0)
		close(later);
	sc_fixture_finish(&f);
}

/*
 * A reader does not change the buffer: the compositor, reading too, waits only for writers
 * (DMA_BUF_IOCTL_EXPORT_SYNC_FILE with DMA_BUF_SYNC_READ returns the write fences).
 */
static void implicit_commit_not_held_by_read_fence(struct sb_test_ctx *t)
{
	struct tc_buffer *blue = NULL;
	struct tc_frame frame = {0};
	struct sc_fixture f;

	if (!sc_fixture_init(t, &f, SC_NEED_WINDOW | SC_NEED_DMABUF | SC_NEED_SW_SYNC))
		goto out;
	blue = tc_buffer_create_dmabuf(f.client, SC_SIZE, SC_SIZE, SC_BLUE);
	if (!expect(t, blue) || !expect(t, sc_add_implicit_fence(blue->fd, f.timeline, 1, false)))
		goto out;
	tc_frame_request(&frame, f.window->surface, NULL);
	tc_surface_show(f.window, blue, NULL);
	expect(t, tc_client_wait(f.client, &frame.done, SC_SOON_MS));
	expect(t, sb_sw_timeline_inc(f.timeline, 1) == 0);
out:
	tc_frame_finish(&frame);
	tc_buffer_destroy(blue);
	sc_fixture_finish(&f);
}

const struct sc_case sc_implicit_cases[] = {
	SC_CASE(AREA, implicit_commit_held_until_write_fence_signals),
	SC_CASE(AREA, implicit_commit_ignores_write_fence_added_after_commit),
	SC_CASE(AREA, implicit_commit_not_held_by_read_fence),
};
const size_t sc_n_implicit_cases = sizeof(sc_implicit_cases) / sizeof(sc_implicit_cases[0]);
