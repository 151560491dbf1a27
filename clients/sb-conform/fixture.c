// SPDX-License-Identifier: MIT
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include <syncbridge/dmabuf.h>
#include <syncbridge/sync_file.h>

#include "fixture.h"
#include "kdev.h"
#include "linux-dmabuf-unstable-v1-client-protocol.h"

bool sc_fixture_init(struct sb_test_ctx *t, struct sc_fixture *f, unsigned need)
{
	*f = (struct sc_fixture){.timeline = -1};
	f->client = tc_client_connect(NULL, TC_COMPOSITOR | TC_SHM | TC_WM_BASE);
	if (!expect(t, f->client != NULL) ||
	    !expect(t, tc_client_require(f->client, TC_COMPOSITOR | TC_WM_BASE, "sb-conform")))
		return false;
	return sc_fixture_need(t, f, need);
}

bool sc_fixture_need(struct sb_test_ctx *t, struct sc_fixture *f, unsigned need)
{
	if ((need & SC_NEED_DMABUF) && !f->client->dmabuf) {
		if (!sc_require_global(t, f->client, zwp_linux_dmabuf_v1_interface.name) ||
		    !sc_require_device(t, access("/dev/udmabuf", R_OK | W_OK) == 0, "/dev/udmabuf"))
			return false;
		/* Version 3: create_immed, and XRGB8888 LINEAR needs no format table. */
		f->client->dmabuf = tc_client_bind(f->client, &zwp_linux_dmabuf_v1_interface, 3);
	}
	if ((need & SC_NEED_SW_SYNC) && f->timeline < 0) {
		f->timeline = sb_sw_timeline_create();
		if (!sc_require_device(t, f->timeline >= 0, "sw_sync (debugfs sync/sw_sync)"))
			return false;
	}
	if ((need & SC_NEED_WINDOW) && !f->window) {
		f->window = tc_surface_create(f->client);
		if (!expect(t, f->window != NULL))
			return false;
	}
	return true;
}

void sc_fixture_finish(struct sc_fixture *f)
{
	tc_surface_destroy(f->window);
	tc_client_destroy(f->client);
	/* sw_sync: closing the timeline signals its pending fences (with an error). */
	if (f->timeline >= 0)
		close(f->timeline);
}

bool sc_fixture_show(struct sb_test_ctx *t, struct sc_fixture *f, struct tc_buffer *buffer)
{
	struct tc_frame frame = {0};
	bool shown;

	tc_frame_request(&frame, f->window->surface, NULL);
	tc_surface_show(f->window, buffer, NULL);
	shown = tc_client_wait(f->client, &frame.done, SC_SOON_MS);
	tc_frame_finish(&frame);
	if (!shown)
		printf("# a commit without fences showed no frame within %d ms\n", SC_SOON_MS);
	return expect(t, shown);
}

int sc_sw_fence(int timeline, uint32_t value)
{
	return sb_sw_fence_create(timeline, value);
}

bool sc_add_implicit_fence(int dmabuf_fd, int timeline, uint32_t value, bool write)
{
	struct sb_sync_file *fence = sb_sync_file_import(sb_sw_fence_create(timeline, value));
	bool ok = fence && sb_dmabuf_import_sync_file(
				   dmabuf_fd, fence, write ? SB_ACCESS_WRITE : SB_ACCESS_READ) == 0;

	sb_sync_file_destroy(fence);
	return ok;
}
