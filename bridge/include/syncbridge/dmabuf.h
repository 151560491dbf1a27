/* SPDX-License-Identifier: MIT */
#ifndef SYNCBRIDGE_DMABUF_H
#define SYNCBRIDGE_DMABUF_H

#include <stdbool.h>

struct sb_sync_file;

/*
 * The implicit fences of a dma-buf (its dma_resv). None of these functions takes ownership of the
 * dma-buf fd. An fd that is not a dma-buf fails with EINVAL, a closed fd or -1 with EBADF, an
 * access outside SB_ACCESS_RW with EINVAL.
 */
enum sb_access {
	SB_ACCESS_READ = 1 << 0,
	SB_ACCESS_WRITE = 1 << 1,
	SB_ACCESS_RW = SB_ACCESS_READ | SB_ACCESS_WRITE,
	/*
	 * Or'ed with READ and/or WRITE: the caller vouches that the fd is a dma-buf it checked
	 * with sb_dmabuf_check() when it took it (the compositor, for a client buffer it has
	 * imported), so the call skips the /proc/self/fd lookup (two syscalls) of every other call.
	 */
	SB_ACCESS_CHECKED = 1 << 2,
};

/* 1 if fd is a dma-buf, 0 if it is another open file, -1 (EBADF) if it is not open. */
int sb_dmabuf_check(int fd);

/*
 * DMA_BUF_IOCTL_EXPORT_SYNC_FILE (Linux 6.0): a snapshot of the fences that an access of the
 * given kind must wait for now: the write fences for READ, all fences for WRITE. Fences added
 * later are not in it. Fails with ENOTTY where the kernel lacks the ioctl.
 */
struct sb_sync_file *sb_dmabuf_export_sync_file(int dmabuf_fd, enum sb_access access);

/*
 * DMA_BUF_IOCTL_IMPORT_SYNC_FILE (Linux 6.0): adds the sync_file's fences to the dma-buf as the
 * fences of a reader (READ: later writers wait) or of a writer (WRITE: everyone waits). Fails with
 * ENOTTY where the kernel lacks the ioctl.
 */
int sb_dmabuf_import_sync_file(int dmabuf_fd, const struct sb_sync_file *sync_file,
			       enum sb_access access);

/*
 * The poll(2) events on a dma-buf fd that become ready when an access of the given kind could
 * start (dma_buf_poll: POLLIN waits for writers, POLLOUT for everyone). This is the fallback where
 * EXPORT_SYNC_FILE is missing; unlike a snapshot it also waits for fences added later.
 */
short sb_dmabuf_poll_events(enum sb_access access);

/* 1 if an access of the given kind could start now, 0 if fences are pending; never blocks. */
int sb_dmabuf_is_idle(int dmabuf_fd, enum sb_access access);

#endif
