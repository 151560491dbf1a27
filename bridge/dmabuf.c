// SPDX-License-Identifier: MIT
#include <errno.h>
#include <poll.h>
#include <sys/ioctl.h>

#include <linux/dma-buf.h>

#include <syncbridge/dmabuf.h>
#include <syncbridge/sync_file.h>

#include "util.h"

int sb_dmabuf_check(int fd)
{
	char link[128];

	if (sb_fd_link(fd, link, sizeof(link)) < 0)
		return -1;
	/*
	 * dma-buf files live on the "dmabuf" pseudo filesystem; dmabuffs_dname() names them
	 * "/dmabuf:<name>" (since Linux 5.3; "anon_inode:dmabuf" before).
	 */
	return sb_str_has_prefix(link, "/dmabuf:") || strcmp(link, "anon_inode:dmabuf") == 0;
}

/* Checks the arguments common to every call: a dma-buf, and an access the uapi knows. */
static int check_args(int dmabuf_fd, enum sb_access access)
{
	int ret;

	if (!(access & SB_ACCESS_RW) || (access & ~(SB_ACCESS_RW | SB_ACCESS_CHECKED))) {
		sb_log(SB_DEBUG, "access 0x%x is not READ and/or WRITE", (unsigned)access);
		errno = EINVAL;
		return -1;
	}
	if (access & SB_ACCESS_CHECKED)
		return 0;
	ret = sb_dmabuf_check(dmabuf_fd);
	if (ret < 0)
		return -1;
	if (ret == 0) {
		sb_log(SB_DEBUG, "fd %d is not a dma-buf", dmabuf_fd);
		errno = EINVAL;
		return -1;
	}
	return 0;
}

/* enum sb_access has the values of DMA_BUF_SYNC_READ/WRITE; say so rather than rely on it. */
static __u32 sync_flags(enum sb_access access)
{
	return ((access & SB_ACCESS_READ) ? DMA_BUF_SYNC_READ : 0) |
	       ((access & SB_ACCESS_WRITE) ? DMA_BUF_SYNC_WRITE : 0);
}

struct sb_sync_file *sb_dmabuf_export_sync_file(int dmabuf_fd, enum sb_access access)
{
	struct dma_buf_export_sync_file args = {.flags = sync_flags(access), .fd = -1};

	if (check_args(dmabuf_fd, access) < 0)
		return NULL;
	if (SB_KERNEL_ALLOC(ioctl(dmabuf_fd, DMA_BUF_IOCTL_EXPORT_SYNC_FILE, &args)) < 0) {
		sb_log_errno(SB_DEBUG, "DMA_BUF_IOCTL_EXPORT_SYNC_FILE on fd %d failed", dmabuf_fd);
		return NULL;
	}
	/* dma_buf_export_sync_file() creates the fd with O_CLOEXEC. */
	return sb_sync_file_import(args.fd);
}

int sb_dmabuf_import_sync_file(int dmabuf_fd, const struct sb_sync_file *sync_file,
			       enum sb_access access)
{
	struct dma_buf_import_sync_file args = {
		.flags = sync_flags(access),
		.fd = sb_sync_file_get_fd(sync_file),
	};

	if (check_args(dmabuf_fd, access) < 0)
		return -1;
	/* dma_buf_import_sync_file() reserves fence slots in the dma_resv. */
	if (SB_KERNEL_ALLOC(ioctl(dmabuf_fd, DMA_BUF_IOCTL_IMPORT_SYNC_FILE, &args)) < 0) {
		sb_log_errno(SB_DEBUG, "DMA_BUF_IOCTL_IMPORT_SYNC_FILE on fd %d failed", dmabuf_fd);
		return -1;
	}
	return 0;
}

short sb_dmabuf_poll_events(enum sb_access access)
{
	/* dma_buf_poll(): POLLIN waits for the write fences, POLLOUT for all fences. */
	return (access & SB_ACCESS_WRITE) ? POLLOUT : POLLIN;
}

int sb_dmabuf_is_idle(int dmabuf_fd, enum sb_access access)
{
	struct pollfd pfd = {.fd = dmabuf_fd, .events = sb_dmabuf_poll_events(access)};
	int ret;

	if (check_args(dmabuf_fd, access) < 0)
		return -1;
	do {
		ret = poll(&pfd, 1, 0);
	} while (ret < 0 && errno == EINTR);
	if (ret < 0)
		return -1;
	return (pfd.revents & pfd.events) != 0;
}
