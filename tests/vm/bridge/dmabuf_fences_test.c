// SPDX-License-Identifier: MIT
/*
 * Guest: sb_dmabuf on real dma-bufs and fences (vgem, sw_sync, udmabuf, the system dma-heap),
 * after what IGT's dmabuf_sync_file checks: what an exported snapshot waits for, and what an
 * imported fence blocks.
 */
#include <errno.h>
#include <poll.h>
#include <unistd.h>

#include <syncbridge/dmabuf.h>
#include <syncbridge/sync_file.h>

#include "kdev.h"
#include "tap.h"

static bool fixture_init(struct sb_test_ctx *t, struct sb_fence_fixture *f)
{
	return expect(t, sb_fence_fixture_init(f) == 0);
}

/* 1 if a snapshot for access taken now has signalled, 0 if not, -1 on failure. */
static int export_signaled(int dmabuf_fd, enum sb_access access)
{
	struct sb_sync_file *sync_file = sb_dmabuf_export_sync_file(dmabuf_fd, access);
	int ret;

	if (!sync_file)
		return -1;
	ret = sb_sync_file_is_signaled(sync_file);
	sb_sync_file_destroy(sync_file);
	return ret;
}

static int import_sw_fence(struct sb_fence_fixture *f, int dmabuf_fd, uint32_t value,
			   enum sb_access access)
{
	struct sb_sync_file *fence = sb_sync_file_import(sb_sw_fence_create(f->timeline, value));
	int ret;

	if (!fence)
		return -1;
	ret = sb_dmabuf_import_sync_file(dmabuf_fd, fence, access);
	sb_sync_file_destroy(fence);
	return ret;
}

static void export_snapshot_ignores_later_fences(struct sb_test_ctx *t)
{
	struct sb_fence_fixture f;
	struct sb_sync_file *snapshot = NULL;
	int fence_a;

	if (!fixture_init(t, &f))
		goto out;
	fence_a = sb_vgem_fence_attach(&f.bo, true);
	expect(t, fence_a > 0);
	snapshot = sb_dmabuf_export_sync_file(f.bo.dmabuf_fd, SB_ACCESS_READ);
	if (!expect(t, snapshot != NULL))
		goto out;
	/* Fence B: later GPU work of the client, as a writer. */
	expect(t, import_sw_fence(&f, f.bo.dmabuf_fd, 1, SB_ACCESS_WRITE) == 0);
	expect(t, sb_sync_file_is_signaled(snapshot) == 0);
	expect(t, sb_vgem_fence_signal(f.vgem_fd, (uint32_t)fence_a) == 0);
	/* The snapshot held A only: it has signalled while B is still pending. */
	expect(t, sb_sync_file_is_signaled(snapshot) == 1);
	expect(t, export_signaled(f.bo.dmabuf_fd, SB_ACCESS_READ) == 0);
	expect(t, sb_sw_timeline_inc(f.timeline, 1) == 0);
	expect(t, export_signaled(f.bo.dmabuf_fd, SB_ACCESS_READ) == 1);
out:
	sb_sync_file_destroy(snapshot);
	sb_fence_fixture_finish(&f);
}

static void export_read_ignores_read_fences(struct sb_test_ctx *t)
{
	struct sb_fence_fixture f;
	int reader;

	if (!fixture_init(t, &f))
		goto out;
	reader = sb_vgem_fence_attach(&f.bo, false);
	expect(t, reader > 0);
	expect(t, export_signaled(f.bo.dmabuf_fd, SB_ACCESS_READ) == 1);
	expect(t, sb_vgem_fence_signal(f.vgem_fd, (uint32_t)reader) == 0);
out:
	sb_fence_fixture_finish(&f);
}

static void export_write_waits_for_read_fences(struct sb_test_ctx *t)
{
	struct sb_fence_fixture f;
	struct sb_sync_file *snapshot = NULL;
	int reader;

	if (!fixture_init(t, &f))
		goto out;
	reader = sb_vgem_fence_attach(&f.bo, false);
	expect(t, reader > 0);
	snapshot = sb_dmabuf_export_sync_file(f.bo.dmabuf_fd, SB_ACCESS_WRITE);
	if (!expect(t, snapshot != NULL))
		goto out;
	expect(t, sb_sync_file_is_signaled(snapshot) == 0);
	expect(t, sb_vgem_fence_signal(f.vgem_fd, (uint32_t)reader) == 0);
	expect(t, sb_sync_file_is_signaled(snapshot) == 1);
out:
	sb_sync_file_destroy(snapshot);
	sb_fence_fixture_finish(&f);
}

static void export_waits_for_all_fences_present(struct sb_test_ctx *t)
{
	struct sb_fence_fixture f;
	struct sb_sync_file *for_write = NULL, *for_read = NULL;
	int writer;

	if (!fixture_init(t, &f))
		goto out;
	writer = sb_vgem_fence_attach(&f.bo, true);
	expect(t, writer > 0);
	expect(t, import_sw_fence(&f, f.bo.dmabuf_fd, 1, SB_ACCESS_READ) == 0);
	for_write = sb_dmabuf_export_sync_file(f.bo.dmabuf_fd, SB_ACCESS_WRITE);
	for_read = sb_dmabuf_export_sync_file(f.bo.dmabuf_fd, SB_ACCESS_READ);
	if (!expect(t, for_write && for_read))
		goto out;
	expect(t, sb_vgem_fence_signal(f.vgem_fd, (uint32_t)writer) == 0);
	/* A reader waited for the writer only; a writer waits for the reader too. */
	expect(t, sb_sync_file_is_signaled(for_read) == 1);
	expect(t, sb_sync_file_is_signaled(for_write) == 0);
	expect(t, sb_sw_timeline_inc(f.timeline, 1) == 0);
	expect(t, sb_sync_file_is_signaled(for_write) == 1);
out:
	sb_sync_file_destroy(for_write);
	sb_sync_file_destroy(for_read);
	sb_fence_fixture_finish(&f);
}

/* The four ways to ask a buffer whose only fence is fence_access'd, pending. */
static void expect_blocked(struct sb_test_ctx *t, int dmabuf_fd, bool readers, bool writers)
{
	expect(t, export_signaled(dmabuf_fd, SB_ACCESS_READ) == !readers);
	expect(t, export_signaled(dmabuf_fd, SB_ACCESS_WRITE) == !writers);
	/* dma_buf_poll() agrees with the snapshots. */
	expect(t, sb_poll_fd(dmabuf_fd, POLLIN, 0) == !readers);
	expect(t, sb_poll_fd(dmabuf_fd, POLLOUT, 0) == !writers);
	expect(t, sb_dmabuf_is_idle(dmabuf_fd, SB_ACCESS_READ) == !readers);
	expect(t, sb_dmabuf_is_idle(dmabuf_fd, SB_ACCESS_WRITE) == !writers);
}

static void import_write_fence_blocks_readers_and_writers(struct sb_test_ctx *t)
{
	struct sb_fence_fixture f;
	int buf = -1;

	if (!fixture_init(t, &f))
		goto out;
	buf = sb_udmabuf_create(64 * 1024);
	if (!expect(t, buf >= 0))
		goto out;
	expect(t, import_sw_fence(&f, buf, 1, SB_ACCESS_WRITE) == 0);
	expect_blocked(t, buf, true, true);
	expect(t, sb_sw_timeline_inc(f.timeline, 1) == 0);
	expect_blocked(t, buf, false, false);
out:
	if (buf >= 0)
		close(buf);
	sb_fence_fixture_finish(&f);
}

static void import_read_fence_blocks_only_writers(struct sb_test_ctx *t)
{
	struct sb_fence_fixture f;
	int buf = -1;

	if (!fixture_init(t, &f))
		goto out;
	buf = sb_dma_heap_alloc("system", 64 * 1024);
	if (!expect(t, buf >= 0))
		goto out;
	expect(t, import_sw_fence(&f, buf, 1, SB_ACCESS_READ) == 0);
	expect_blocked(t, buf, false, true);
	expect(t, sb_sw_timeline_inc(f.timeline, 1) == 0);
	expect_blocked(t, buf, false, false);
out:
	if (buf >= 0)
		close(buf);
	sb_fence_fixture_finish(&f);
}

#define MANY 16

static void import_many_read_fences(struct sb_test_ctx *t)
{
	int timelines[MANY], buf = sb_dma_heap_alloc("system", 4096);
	struct sb_sync_file *snapshot = NULL;
	struct sb_sync_file_info info;

	for (int i = 0; i < MANY; i++)
		timelines[i] = sb_sw_timeline_create();
	if (!expect(t, buf >= 0))
		goto out;
	/* One timeline each: dma_resv keeps one fence per context and usage. */
	for (int i = 0; i < MANY; i++) {
		struct sb_sync_file *fence =
			sb_sync_file_import(sb_sw_fence_create(timelines[i], 1));

		if (!expect(t,
			    fence && sb_dmabuf_import_sync_file(buf, fence, SB_ACCESS_READ) == 0))
			sb_diag("fence %d", i);
		sb_sync_file_destroy(fence);
	}
	expect(t, export_signaled(buf, SB_ACCESS_READ) == 1);
	snapshot = sb_dmabuf_export_sync_file(buf, SB_ACCESS_WRITE);
	if (!expect(t, snapshot && sb_sync_file_get_info(snapshot, &info) == 0))
		goto out;
	expect(t, info.num_fences == MANY);
	sb_sync_file_info_finish(&info);
	/* A writer waits for every reader, the last one included. */
	for (int i = 0; i < MANY; i++) {
		expect(t, sb_sync_file_is_signaled(snapshot) == 0);
		expect(t, sb_sw_timeline_inc(timelines[i], 1) == 0);
	}
	expect(t, sb_sync_file_is_signaled(snapshot) == 1);
out:
	sb_sync_file_destroy(snapshot);
	for (int i = 0; i < MANY; i++)
		if (timelines[i] >= 0)
			close(timelines[i]);
	if (buf >= 0)
		close(buf);
}

static void import_refuses_bad_access_and_keeps_fences(struct sb_test_ctx *t)
{
	struct sb_fence_fixture f;

	if (!fixture_init(t, &f))
		goto out;
	{
		struct sb_sync_file *fence = sb_sync_file_import(sb_sw_fence_create(f.timeline, 1));

		expect(t, fence != NULL);
		expect_errno(t, sb_dmabuf_import_sync_file(f.bo.dmabuf_fd, fence, 0), EINVAL);
		expect_errno(t, sb_dmabuf_import_sync_file(f.bo.dmabuf_fd, fence, 4), EINVAL);
		/* A sync_file is not a dma-buf. */
		expect_errno(t,
			     sb_dmabuf_import_sync_file(sb_sync_file_get_fd(fence), fence,
							SB_ACCESS_READ),
			     EINVAL);
		expect_null_errno(
			t, sb_dmabuf_export_sync_file(sb_sync_file_get_fd(fence), SB_ACCESS_READ),
			EINVAL);
		/* A dma-buf is not a sync_file. */
		expect_null_errno(t, sb_sync_file_import_dup(f.bo.dmabuf_fd), EINVAL);
		expect(t, sb_dmabuf_check(f.bo.dmabuf_fd) == 1);
		sb_sync_file_destroy(fence);
	}
	/* Nothing was imported by the refused calls. */
	expect(t, export_signaled(f.bo.dmabuf_fd, SB_ACCESS_WRITE) == 1);
	expect(t, sb_sw_timeline_inc(f.timeline, 1) == 0);
out:
	sb_fence_fixture_finish(&f);
}

int main(void)
{
	static const struct sb_test tests[] = {
		SB_TEST(export_snapshot_ignores_later_fences),
		SB_TEST(export_read_ignores_read_fences),
		SB_TEST(export_write_waits_for_read_fences),
		SB_TEST(export_waits_for_all_fences_present),
		SB_TEST(import_write_fence_blocks_readers_and_writers),
		SB_TEST(import_read_fence_blocks_only_writers),
		SB_TEST(import_many_read_fences),
		SB_TEST(import_refuses_bad_access_and_keeps_fences),
	};

	return sb_test_main(tests, sizeof(tests) / sizeof(tests[0]));
}
