// SPDX-License-Identifier: MIT
/*
 * Frame callbacks and wp_presentation feedback: first with wl_shm alone (what every compositor
 * serves), then while another client's commit waits on a fence that never signals. A held
 * commit holds only its own surface: the others keep getting frames.
 */
#include <stdio.h>
#include <unistd.h>

#include "feedback.h"
#include "fixture.h"
#include "kdev.h"
#include "linux-explicit-synchronization-unstable-v1-client-protocol.h"
#include "presentation-time-client-protocol.h"

#define AREA "frames"
/* Frames in a row another client must get while one is hung. */
#define FRAMES 5

static void frame_callback_done_after_shm_commit(struct sb_test_ctx *t)
{
	struct tc_buffer *shm = NULL;
	struct sc_fixture f;

	if (sc_fixture_init(t, &f, SC_NEED_WINDOW) && sc_require_global(t, f.client, "wl_shm")) {
		shm = tc_buffer_create_shm(f.client, SC_SIZE, SC_SIZE, SC_GREEN);
		if (expect(t, shm != NULL))
			sc_fixture_show(t, &f, shm);
	}
	tc_buffer_destroy(shm);
	sc_fixture_finish(&f);
}

/* Commits shm with a feedback; true when it was presented (not discarded) soon. */
static bool presented(struct sb_test_ctx *t, struct sc_fixture *f,
		      struct wp_presentation *presentation, struct tc_buffer *shm)
{
	struct feedback fb;
	bool ok;

	feedback_request(&fb, presentation, f->window->surface);
	tc_surface_show(f->window, shm, NULL);
	ok = expect(t, tc_client_wait(f->client, &fb.done, SC_SOON_MS)) &&
	     expect(t, fb.presented && !fb.discarded);
	feedback_finish(&fb);
	return ok;
}

static void presentation_feedback_presented_after_shm_commit(struct sb_test_ctx *t)
{
	struct wp_presentation *presentation = NULL;
	struct tc_buffer *shm = NULL;
	struct sc_fixture f;

	if (!sc_fixture_init(t, &f, SC_NEED_WINDOW) || !sc_require_global(t, f.client, "wl_shm") ||
	    !sc_require_global(t, f.client, wp_presentation_interface.name))
		goto out;
	presentation = tc_client_bind(f.client, &wp_presentation_interface, 1);
	shm = tc_buffer_create_shm(f.client, SC_SIZE, SC_SIZE, SC_GREEN);
	if (expect(t, shm != NULL))
		presented(t, &f, presentation, shm);
out:
	if (presentation)
		wp_presentation_destroy(presentation);
	tc_buffer_destroy(shm);
	sc_fixture_finish(&f);
}

/*
 * The hung client: a dma-buf committed with a frame callback that must not fire, waiting on a
 * fence that never signals (the timeline is closed at the end, which signals it with an error):
 * an implicit write fence in the dma-buf, or an explicit-sync acquire fence.
 */
enum hung_kind {
	HUNG_IMPLICIT,
	HUNG_EXPLICIT,
};

struct hung {
	struct sc_fixture f;
	struct tc_buffer *buffer;
	struct tc_frame frame;
	struct zwp_linux_explicit_synchronization_v1 *manager;
	struct zwp_linux_surface_synchronization_v1 *sync;
};

static bool hung_start(struct sb_test_ctx *t, struct hung *h, enum hung_kind kind)
{
	const char *explicit = zwp_linux_explicit_synchronization_v1_interface.name;
	int fence;

	*h = (struct hung){0};
	if (!sc_fixture_init(t, &h->f, 0) ||
	    (kind == HUNG_EXPLICIT && !sc_require_global(t, h->f.client, explicit)) ||
	    !sc_fixture_need(t, &h->f, SC_NEED_WINDOW | SC_NEED_DMABUF | SC_NEED_SW_SYNC))
		return false;
	h->buffer = tc_buffer_create_dmabuf(h->f.client, SC_SIZE, SC_SIZE, SC_RED);
	if (!expect(t, h->buffer != NULL))
		return false;
	if (kind == HUNG_IMPLICIT) {
		if (!expect(t, sc_add_implicit_fence(h->buffer->fd, h->f.timeline, 1, true)))
			return false;
	} else {
		fence = sc_sw_fence(h->f.timeline, 1);
		if (!expect(t, fence >= 0))
			return false;
		h->manager = tc_client_bind(h->f.client,
					    &zwp_linux_explicit_synchronization_v1_interface, 2);
		h->sync = zwp_linux_explicit_synchronization_v1_get_synchronization(
			h->manager, h->f.window->surface);
		zwp_linux_surface_synchronization_v1_set_acquire_fence(h->sync, fence);
		wl_display_flush(h->f.client->display);
		close(fence);
	}
	tc_frame_request(&h->frame, h->f.window->surface, NULL);
	tc_surface_show(h->f.window, h->buffer, NULL);
	return expect(t, tc_client_roundtrip(h->f.client));
}

static void hung_finish(struct hung *h)
{
	tc_frame_finish(&h->frame);
	if (h->sync)
		zwp_linux_surface_synchronization_v1_destroy(h->sync);
	if (h->manager)
		zwp_linux_explicit_synchronization_v1_destroy(h->manager);
	tc_buffer_destroy(h->buffer);
	sc_fixture_finish(&h->f);
}

/* Another client, on wl_shm, gets FRAMES frame callbacks in a row while h is hung. */
static void frames_continue(struct sb_test_ctx *t, enum hung_kind kind)
{
	struct tc_buffer *shm = NULL;
	struct sc_fixture f = {.timeline = -1};
	struct hung h;
	int frames = 0;

	if (!hung_start(t, &h, kind) || !sc_fixture_init(t, &f, SC_NEED_WINDOW) ||
	    !sc_require_global(t, f.client, "wl_shm"))
		goto out;
	shm = tc_buffer_create_shm(f.client, SC_SIZE, SC_SIZE, SC_GREEN);
	if (!expect(t, shm != NULL))
		goto out;
	while (frames < FRAMES && sc_fixture_show(t, &f, shm))
		frames++;
	expect(t, frames == FRAMES);
	/* Dispatch the hung client: its callback must still be pending. */
	tc_client_wait(h.f.client, NULL, 10);
	printf("# %d frames for the other client; the hung commit's frame %s\n", frames,
	       h.frame.done ? "came (the commit was not held)" : "is still held");
	/* The other client kept its frames because the hung commit was held, not applied. */
	expect(t, !h.frame.done);
out:
	tc_buffer_destroy(shm);
	sc_fixture_finish(&f);
	hung_finish(&h);
}

static void frames_continue_while_other_client_fence_hung(struct sb_test_ctx *t)
{
	frames_continue(t, HUNG_IMPLICIT);
}

static void frames_continue_while_other_client_acquire_fence_hung(struct sb_test_ctx *t)
{
	frames_continue(t, HUNG_EXPLICIT);
}

static void presentation_continues_while_other_client_fence_hung(struct sb_test_ctx *t)
{
	struct wp_presentation *presentation = NULL;
	struct tc_buffer *shm = NULL;
	struct sc_fixture f = {.timeline = -1};
	struct hung h;

	if (!hung_start(t, &h, HUNG_IMPLICIT) || !sc_fixture_init(t, &f, SC_NEED_WINDOW) ||
	    !sc_require_global(t, f.client, "wl_shm") ||
	    !sc_require_global(t, f.client, wp_presentation_interface.name))
		goto out;
	presentation = tc_client_bind(f.client, &wp_presentation_interface, 1);
	shm = tc_buffer_create_shm(f.client, SC_SIZE, SC_SIZE, SC_GREEN);
	if (!expect(t, shm != NULL))
		goto out;
	for (int i = 0; i < FRAMES; i++)
		if (!presented(t, &f, presentation, shm))
			break;
out:
	if (presentation)
		wp_presentation_destroy(presentation);
	tc_buffer_destroy(shm);
	sc_fixture_finish(&f);
	/* Likewise: presentation went on while the hung commit stayed held. */
	if (!t->skip_reason && !t->failed) {
		tc_client_wait(h.f.client, NULL, 10);
		expect(t, !h.frame.done);
	}
	hung_finish(&h);
}

const struct sc_case sc_frame_cases[] = {
	SC_CASE(AREA, frame_callback_done_after_shm_commit),
	SC_CASE(AREA, presentation_feedback_presented_after_shm_commit),
	SC_CASE(AREA, frames_continue_while_other_client_fence_hung),
	SC_CASE(AREA, frames_continue_while_other_client_acquire_fence_hung),
	SC_CASE(AREA, presentation_continues_while_other_client_fence_hung),
};
const size_t sc_n_frame_cases = sizeof(sc_frame_cases) / sizeof(sc_frame_cases[0]);
