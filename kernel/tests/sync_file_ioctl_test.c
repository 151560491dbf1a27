// SPDX-License-Identifier: MIT
/*
 * Guest: DMA_BUF_IOCTL_EXPORT_SYNC_FILE / DMA_BUF_IOCTL_IMPORT_SYNC_FILE (upstream since 6.0),
 * through the raw ioctls on a vgem dma-buf whose fences the test controls (vgem fences,
 * sw_sync). The project's wrappers are tested in tests/vm/bridge/dmabuf_fences_test.c.
 */
#include <errno.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/dma-buf.h>

#include "kdev.h"
#include "tap.h"

/* A sync_file of the dma-buf's fences for access (DMA_BUF_SYNC_READ/WRITE), or -1. */
static int export_sync_file(int dmabuf, uint32_t access)
{
	struct dma_buf_export_sync_file arg = {.flags = access, .fd = -1};

	return ioctl(dmabuf, DMA_BUF_IOCTL_EXPORT_SYNC_FILE, &arg) == 0 ? arg.fd : -1;
}

static int import_sync_file(int dmabuf, uint32_t access, int sync_file)
{
	struct dma_buf_import_sync_file arg = {.flags = access, .fd = sync_file};

	return ioctl(dmabuf, DMA_BUF_IOCTL_IMPORT_SYNC_FILE, &arg);
}

/* 1 if the sync_file (consumed) has signalled, 0 if not, -1 on error. */
static int signaled(int sync_file)
{
	int ret;

	if (sync_file < 0)
		return -1;
	ret = sb_poll_fd(sync_file, POLLIN, 0);
	close(sync_file);
	return ret;
}

static void export_waits_for_a_pending_write_fence(struct sb_test_ctx *t)
{
	struct sb_fence_fixture f;
	int fence, snapshot;

	if (!expect(t, sb_fence_fixture_init(&f) == 0))
		goto out;
	expect(t, signaled(export_sync_file(f.bo.dmabuf_fd, DMA_BUF_SYNC_WRITE)) == 1);
	fence = sb_vgem_fence_attach(&f.bo, true);
	if (!expect(t, fence > 0))
		goto out;
	snapshot = export_sync_file(f.bo.dmabuf_fd, DMA_BUF_SYNC_READ);
	expect(t, snapshot >= 0);
	expect(t, sb_poll_fd(snapshot, POLLIN, 0) == 0);
	expect(t, sb_vgem_fence_signal(f.vgem_fd, (uint32_t)fence) == 0);
	expect(t, signaled(snapshot) == 1);
out:
	sb_fence_fixture_finish(&f);
}

static void imported_write_fence_blocks_readers_and_read_fence_only_writers(struct sb_test_ctx *t)
{
	struct sb_fence_fixture f;
	int fence;

	if (!expect(t, sb_fence_fixture_init(&f) == 0))
		goto out;
	/* A READ fence: later writers wait, readers do not. */
	fence = sb_sw_fence_create(f.timeline, 1);
	expect(t, import_sync_file(f.bo.dmabuf_fd, DMA_BUF_SYNC_READ, fence) == 0);
	close(fence);
	expect(t, signaled(export_sync_file(f.bo.dmabuf_fd, DMA_BUF_SYNC_READ)) == 1);
	expect(t, signaled(export_sync_file(f.bo.dmabuf_fd, DMA_BUF_SYNC_WRITE)) == 0);
	/* A WRITE fence: everyone waits. */
	fence = sb_sw_fence_create(f.timeline, 2);
	expect(t, import_sync_file(f.bo.dmabuf_fd, DMA_BUF_SYNC_WRITE, fence) == 0);
	close(fence);
	expect(t, signaled(export_sync_file(f.bo.dmabuf_fd, DMA_BUF_SYNC_READ)) == 0);
	expect(t, sb_sw_timeline_inc(f.timeline, 2) == 0);
	expect(t, signaled(export_sync_file(f.bo.dmabuf_fd, DMA_BUF_SYNC_WRITE)) == 1);
out:
	sb_fence_fixture_finish(&f);
}

static void bad_flags_and_fds_are_refused(struct sb_test_ctx *t)
{
	struct sb_fence_fixture f;

	if (!expect(t, sb_fence_fixture_init(&f) == 0))
		goto out;
	expect_errno(t, export_sync_file(f.bo.dmabuf_fd, 0), EINVAL);
	expect_errno(t, export_sync_file(f.bo.dmabuf_fd, 0x100 | DMA_BUF_SYNC_READ), EINVAL);
	expect_errno(t, import_sync_file(f.bo.dmabuf_fd, DMA_BUF_SYNC_RW, -1), EINVAL);
	/* A dma-buf is not a sync_file. */
	expect_errno(t, import_sync_file(f.bo.dmabuf_fd, DMA_BUF_SYNC_RW, f.bo.dmabuf_fd), EINVAL);
out:
	sb_fence_fixture_finish(&f);
}

int main(void)
{
	static const struct sb_test tests[] = {
		SB_TEST(export_waits_for_a_pending_write_fence),
		SB_TEST(imported_write_fence_blocks_readers_and_read_fence_only_writers),
		SB_TEST(bad_flags_and_fds_are_refused),
	};

	return sb_test_main(tests, sizeof(tests) / sizeof(tests[0]));
}
