// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdlib.h>

#include <syncbridge/sync_file.h>

#include "fence.h"
#include "timeline.h"
#include "util.h"
#include "vgem.h"

struct fence {
	struct timeline *timeline; /* sw_sync, or NULL */
	uint32_t point;
	struct vgem *vgem; /* vgem, or NULL */
	uint32_t vgem_fence;
	bool signaled;
};

struct fence *fence_create_sw_sync(struct timeline *timeline, struct sb_sync_file **sync_file)
{
	struct fence *fence = calloc(1, sizeof(*fence));

	if (!fence)
		return NULL;
	fence->timeline = timeline;
	*sync_file = timeline_create_fence(timeline, &fence->point);
	if (!*sync_file) {
		free(fence);
		return NULL;
	}
	return fence;
}

struct fence *fence_create_vgem(struct vgem *vgem, uint32_t handle)
{
	struct fence *fence = calloc(1, sizeof(*fence));

	if (!fence)
		return NULL;
	fence->vgem = vgem;
	if (vgem_fence_attach(vgem, handle, &fence->vgem_fence) < 0) {
		int err = errno;
		free(fence);
		errno = err;
		return NULL;
	}
	return fence;
}

void fence_destroy(struct fence *fence)
{
	free(fence);
}

int fence_signal(struct fence *fence)
{
	int ret;

	if (fence->signaled)
		return 0;
	if (fence->timeline)
		ret = timeline_signal(fence->timeline, fence->point);
	else
		ret = vgem_fence_signal(fence->vgem, fence->vgem_fence);
	if (ret == 0)
		fence->signaled = true;
	return ret;
}

bool fence_is_signaled(const struct fence *fence)
{
	return fence->signaled;
}
