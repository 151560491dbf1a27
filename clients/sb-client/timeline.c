// SPDX-License-Identifier: MIT
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/types.h>

#include <syncbridge/sync_file.h>

#include "timeline.h"
#include "util.h"

#define SW_SYNC_PATH "/sys/kernel/debug/sync/sw_sync"

/* Not uapi: drivers/dma-buf/sw_sync.c (Linux 6.12). */
struct sw_sync_create_fence_data {
	__u32 value;
	char name[32];
	__s32 fence;
};
#define SW_SYNC_IOC_MAGIC 'W'
#define SW_SYNC_IOC_CREATE_FENCE _IOWR(SW_SYNC_IOC_MAGIC, 0, struct sw_sync_create_fence_data)
#define SW_SYNC_IOC_INC _IOW(SW_SYNC_IOC_MAGIC, 1, __u32)

struct timeline {
	int fd;
	uint32_t last_point;	 /* of the last fence created */
	uint32_t signaled_point; /* the timeline's value */
};

struct timeline *timeline_create(void)
{
	struct timeline *timeline = calloc(1, sizeof(*timeline));

	if (!timeline)
		return NULL;
	/* Each open of the debugfs file is a new timeline at value 0. */
	timeline->fd = open(SW_SYNC_PATH, O_RDWR | O_CLOEXEC);
	if (timeline->fd < 0) {
		log_errno(SB_ERROR, "sw_sync fences need " SW_SYNC_PATH
				    " (CONFIG_SW_SYNC, debugfs mounted, root)");
		int err = errno;
		free(timeline);
		errno = err;
		return NULL;
	}
	return timeline;
}

void timeline_destroy(struct timeline *timeline)
{
	if (!timeline)
		return;
	close(timeline->fd);
	free(timeline);
}

struct sb_sync_file *timeline_create_fence(struct timeline *timeline, uint32_t *point)
{
	struct sw_sync_create_fence_data data = {.value = timeline->last_point + 1};
	int fd;

	snprintf(data.name, sizeof(data.name), "sb-client-%u", data.value);
	if (ioctl(timeline->fd, SW_SYNC_IOC_CREATE_FENCE, &data) < 0) {
		log_errno(SB_ERROR, "SW_SYNC_IOC_CREATE_FENCE");
		return NULL;
	}
	/* sw_sync makes the sync_file fd with O_CLOEXEC (get_unused_fd_flags(O_CLOEXEC)). */
	fd = data.fence;
	timeline->last_point = data.value;
	*point = data.value;
	return sb_sync_file_import(fd);
}

int timeline_signal(struct timeline *timeline, uint32_t point)
{
	__u32 inc;

	if (point <= timeline->signaled_point)
		return 0;
	inc = point - timeline->signaled_point;
	if (ioctl(timeline->fd, SW_SYNC_IOC_INC, &inc) < 0) {
		log_errno(SB_ERROR, "SW_SYNC_IOC_INC");
		return -1;
	}
	timeline->signaled_point = point;
	return 0;
}
