// SPDX-License-Identifier: MIT
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/sync_file.h>

#include <syncbridge/sync_file.h>

#include "util.h"

#ifndef SYNC_IOC_SET_DEADLINE
/* include/uapi/linux/sync_file.h, Linux 6.4; Debian 12's linux-libc-dev (6.1) predates it. */
struct sync_set_deadline {
	__u64 deadline_ns;
	__u64 pad;
};
#define SYNC_IOC_SET_DEADLINE _IOW(SYNC_IOC_MAGIC, 5, struct sync_set_deadline)
#endif

struct sb_sync_file {
	int fd;
};

/* sync_file_alloc() makes its file with anon_inode_getfile("sync_file", ...). */
static int check_sync_file(int fd)
{
	char link[128];

	if (sb_fd_link(fd, link, sizeof(link)) < 0)
		return -1;
	if (strcmp(link, "anon_inode:sync_file") != 0) {
		sb_log(SB_DEBUG, "fd %d is not a sync_file but %s", fd, link);
		errno = EINVAL;
		return -1;
	}
	return 0;
}

struct sb_sync_file *sb_sync_file_import(int fd)
{
	struct sb_sync_file *sync_file;

	if (check_sync_file(fd) < 0)
		goto err_close;
	sync_file = sb_calloc(1, sizeof(*sync_file));
	if (!sync_file)
		goto err_close;
	sync_file->fd = fd;
	return sync_file;

err_close:
	sb_close_keep_errno(fd);
	return NULL;
}

struct sb_sync_file *sb_sync_file_import_dup(int fd)
{
	int dup_fd;

	/* Check before duplicating, so that a closed fd reports EBADF rather than a dup error. */
	if (check_sync_file(fd) < 0)
		return NULL;
	dup_fd = sb_dup_cloexec(fd);
	if (dup_fd < 0)
		return NULL;
	return sb_sync_file_import(dup_fd);
}

void sb_sync_file_destroy(struct sb_sync_file *sync_file)
{
	if (!sync_file)
		return;
	close(sync_file->fd);
	free(sync_file);
}

int sb_sync_file_get_fd(const struct sb_sync_file *sync_file)
{
	return sync_file->fd;
}

int sb_sync_file_dup_fd(const struct sb_sync_file *sync_file)
{
	return sb_dup_cloexec(sync_file->fd);
}

struct sb_sync_file *sb_sync_file_merge(const char *name, const struct sb_sync_file *a,
					const struct sb_sync_file *b)
{
	struct sync_merge_data data = {.fd2 = b->fd};

	snprintf(data.name, sizeof(data.name), "%s", name ? name : "syncbridge-merge");
	/* sync_file_merge() allocates the new file and its fence array. */
	if (SB_KERNEL_ALLOC(ioctl(a->fd, SYNC_IOC_MERGE, &data)) < 0) {
		sb_log_errno(SB_DEBUG, "SYNC_IOC_MERGE of fds %d and %d failed", a->fd, b->fd);
		return NULL;
	}
	/* sync_file_ioctl_merge() installs the new fd with O_CLOEXEC. */
	return sb_sync_file_import(data.fence);
}

int sb_sync_file_is_signaled(const struct sb_sync_file *sync_file)
{
	struct pollfd pfd = {.fd = sync_file->fd, .events = POLLIN};
	int ret;

	do {
		ret = poll(&pfd, 1, 0);
	} while (ret < 0 && errno == EINTR);
	if (ret < 0)
		return -1;
	/* sync_file_poll() reports POLLIN once every fence has signalled, errors included. */
	return ret > 0 && (pfd.revents & POLLIN);
}

int sb_sync_file_get_status(const struct sb_sync_file *sync_file, int *status)
{
	struct sync_file_info info = {0};

	if (ioctl(sync_file->fd, SYNC_IOC_FILE_INFO, &info) < 0)
		return -1;
	*status = info.status;
	return 0;
}

int sb_sync_file_get_info(const struct sb_sync_file *sync_file, struct sb_sync_file_info *out)
{
	struct sync_file_info info = {0};
	struct sync_fence_info *fences = NULL;

	memset(out, 0, sizeof(*out));
	/* With num_fences 0 the kernel only reports how many fences there are. */
	if (ioctl(sync_file->fd, SYNC_IOC_FILE_INFO, &info) < 0)
		return -1;
	if (info.num_fences > 0) {
		fences = sb_calloc(info.num_fences, sizeof(*fences));
		if (!fences)
			return -1;
		out->fences = sb_calloc(info.num_fences, sizeof(*out->fences));
		if (!out->fences)
			goto err;
		info.sync_fence_info = (uint64_t)(uintptr_t)fences;
		/*
		 * A sync_file's fence set never changes, so the count still holds. With fences,
		 * sync_file_ioctl_fence_info() allocates its own copy of the array.
		 */
		if (SB_KERNEL_ALLOC(ioctl(sync_file->fd, SYNC_IOC_FILE_INFO, &info)) < 0)
			goto err;
	}
	snprintf(out->name, sizeof(out->name), "%s", info.name);
	out->status = info.status;
	out->num_fences = info.num_fences;
	for (uint32_t i = 0; i < info.num_fences; i++) {
		snprintf(out->fences[i].driver_name, sizeof(out->fences[i].driver_name), "%s",
			 fences[i].driver_name);
		snprintf(out->fences[i].timeline_name, sizeof(out->fences[i].timeline_name), "%s",
			 fences[i].obj_name);
		out->fences[i].status = fences[i].status;
		out->fences[i].timestamp_ns = fences[i].timestamp_ns;
	}
	free(fences);
	return 0;

err:
	/* free(3) keeps errno (POSIX.1-2024; glibc since 2.33). */
	free(fences);
	free(out->fences);
	out->fences = NULL;
	return -1;
}

void sb_sync_file_info_finish(struct sb_sync_file_info *info)
{
	free(info->fences);
	info->fences = NULL;
	info->num_fences = 0;
}

int sb_sync_file_set_deadline(const struct sb_sync_file *sync_file, uint64_t deadline_ns)
{
	struct sync_set_deadline args = {.deadline_ns = deadline_ns};

	return ioctl(sync_file->fd, SYNC_IOC_SET_DEADLINE, &args);
}
