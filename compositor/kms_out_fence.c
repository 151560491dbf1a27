// SPDX-License-Identifier: MIT
/*
 * KMS out-fences for wlroots 0.15, which has no explicit sync: its DRM backend's atomic commits
 * get the CRTC's OUT_FENCE_PTR property added here, on the way to libdrm.
 *
 * The executable defines drmModeAtomicCommit(); libwlroots' call to it binds to this definition
 * (the dynamic linker searches the executable first, and ld exports a symbol a linked shared
 * library refers to), which adds the property and calls libdrm's through dlsym(RTLD_NEXT).
 *
 * Why: a buffer that a commit flips away from stays on screen until that commit's flip, which
 * may be long after the commit when the new buffer's fences are still pending (acquire=kms). The
 * out-fence signals at that flip (drm_crtc_send_vblank_event): imported into the old buffer as a
 * READ fence, it tells an implicit-sync writer of that buffer to wait. KMS itself adds no fence for
 * its reads, and none could exist before the flip away is queued: a dma_fence must signal in
 * bounded time.
 */
#include <dlfcn.h>
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <xf86drm.h>
#include <xf86drmMode.h>

#include <wlr/util/log.h>

#include "kms_out_fence.h"

/*
 * libdrm's request layout (xf86drmMode.c, unchanged since atomic support in 2.4.62): the items are
 * read to find the CRTCs a commit turns on. Only read, never resized here: properties are added
 * through drmModeAtomicAddProperty().
 */
struct atomic_req_item {
	uint32_t object_id;
	uint32_t property_id;
	uint64_t value;
	uint32_t cursor;
};

struct atomic_req {
	uint32_t cursor;
	uint32_t size_items;
	struct atomic_req_item *items;
};

#define MAX_CRTCS 8
/* DRM devices remembered at once: a multi-GPU session commits on each GPU's fd in turn. */
#define MAX_DEVICES 4

struct crtc_props {
	uint32_t id;
	uint32_t active;
	uint32_t out_fence_ptr;
};

/*
 * One DRM device's CRTCs and their property ids, found on its first commit. Known by the device
 * number, not the fd: a GPU unplugged and another one opened can get the same fd number.
 */
struct device {
	dev_t rdev;
	bool used;
	struct crtc_props crtcs[MAX_CRTCS];
	int n_crtcs;
};

static struct {
	struct device devices[MAX_DEVICES];
	int next_slot; /* the slot a new fd takes when every slot is used */
	bool enabled;
	int last_fence; /* the out-fence of the last commit, until taken */
	int (*real_commit)(int fd, drmModeAtomicReq *req, uint32_t flags, void *user_data);
} kms = {.last_fence = -1};

void kms_out_fence_enable(bool enable)
{
	kms.enabled = enable;
}

int kms_out_fence_take(void)
{
	int fd = kms.last_fence;

	kms.last_fence = -1;
	return fd;
}

static uint32_t prop_id(int fd, drmModeObjectProperties *props, const char *name)
{
	for (uint32_t i = 0; i < props->count_props; i++) {
		drmModePropertyRes *prop = drmModeGetProperty(fd, props->props[i]);
		uint32_t id = 0;

		if (!prop)
			continue;
		if (strcmp(prop->name, name) == 0)
			id = prop->prop_id;
		drmModeFreeProperty(prop);
		if (id)
			return id;
	}
	return 0;
}

static void probe(struct device *dev, int fd, dev_t rdev)
{
	drmModeRes *res = drmModeGetResources(fd);

	dev->rdev = rdev;
	dev->used = true;
	dev->n_crtcs = 0;
	if (!res)
		return;
	for (int i = 0; i < res->count_crtcs && dev->n_crtcs < MAX_CRTCS; i++) {
		drmModeObjectProperties *props =
			drmModeObjectGetProperties(fd, res->crtcs[i], DRM_MODE_OBJECT_CRTC);
		struct crtc_props *crtc = &dev->crtcs[dev->n_crtcs];

		if (!props)
			continue;
		crtc->id = res->crtcs[i];
		crtc->active = prop_id(fd, props, "ACTIVE");
		crtc->out_fence_ptr = prop_id(fd, props, "OUT_FENCE_PTR");
		drmModeFreeObjectProperties(props);
		if (crtc->active && crtc->out_fence_ptr)
			dev->n_crtcs++;
	}
	drmModeFreeResources(res);
	wlr_log(WLR_DEBUG, "KMS: out-fences on %d CRTC%s of DRM device %u:%u (fd %d)", dev->n_crtcs,
		dev->n_crtcs == 1 ? "" : "s", major(rdev), minor(rdev), fd);
}

/* The CRTCs of fd's device: probed on its first commit, then kept. NULL: not a device. */
static struct device *device_of(int fd)
{
	struct device *dev;
	struct stat st;

	/* One fstat() per page flip, against property ids of another GPU on a reused fd. */
	if (fstat(fd, &st) < 0 || !S_ISCHR(st.st_mode))
		return NULL;
	for (int i = 0; i < MAX_DEVICES; i++) {
		if (kms.devices[i].used && kms.devices[i].rdev == st.st_rdev)
			return &kms.devices[i];
	}
	dev = &kms.devices[kms.next_slot];
	kms.next_slot = (kms.next_slot + 1) % MAX_DEVICES;
	probe(dev, fd, st.st_rdev);
	return dev;
}

/* The one CRTC the request turns on (wlroots 0.15 commits one connector at a time), or NULL. */
static struct crtc_props *lit_crtc(struct device *dev, drmModeAtomicReq *req)
{
	const struct atomic_req *r = (const struct atomic_req *)(void *)req;
	struct crtc_props *found = NULL;

	if (!dev)
		return NULL;
	for (uint32_t i = 0; i < r->cursor; i++) {
		for (int c = 0; c < dev->n_crtcs; c++) {
			struct crtc_props *crtc = &dev->crtcs[c];

			if (r->items[i].object_id != crtc->id ||
			    r->items[i].property_id != crtc->active || r->items[i].value != 1)
				continue;
			if (found && found != crtc)
				return NULL;
			found = crtc;
		}
	}
	return found;
}

int drmModeAtomicCommit(int fd, drmModeAtomicReq *req, uint32_t flags, void *user_data)
{
	struct crtc_props *crtc = NULL;
	int32_t out_fence = -1; /* the kernel writes an s32 there (drm_atomic_uapi.c) */
	int cursor = 0, ret;

	if (!kms.real_commit) {
		*(void **)&kms.real_commit = dlsym(RTLD_NEXT, "drmModeAtomicCommit");
		if (!kms.real_commit) {
			errno = ENOSYS;
			return -ENOSYS;
		}
	}
	if (!kms.enabled || (flags & DRM_MODE_ATOMIC_TEST_ONLY) || !req)
		return kms.real_commit(fd, req, flags, user_data);
	crtc = lit_crtc(device_of(fd), req);
	if (crtc) {
		cursor = drmModeAtomicGetCursor(req);
		if (drmModeAtomicAddProperty(req, crtc->id, crtc->out_fence_ptr,
					     (uint64_t)(uintptr_t)&out_fence) < 0)
			crtc = NULL;
	}
	ret = kms.real_commit(fd, req, flags, user_data);
	if (crtc) {
		/* The request is wlroots': it goes back as it came. */
		drmModeAtomicSetCursor(req, cursor);
		if (ret == -EINVAL) {
			/* A driver that refuses the fence must not cost wlroots its frame. */
			wlr_log(WLR_INFO, "KMS: the commit with OUT_FENCE_PTR was refused, "
					  "going on without out-fences");
			kms.enabled = false;
			return kms.real_commit(fd, req, flags, user_data);
		}
		if (ret == 0 && out_fence >= 0) {
			if (kms.last_fence >= 0)
				close(kms.last_fence);
			kms.last_fence = out_fence;
		}
	}
	return ret;
}
