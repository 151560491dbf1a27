// SPDX-License-Identifier: MIT
/*
 * KMS out-fences for wlroots 0.15, which has no explicit sync: its DRM backend's atomic commits
 * get OUT_FENCE_PTR added here, on the way to libdrm, for each CRTC they turn on.
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
 * read to find the CRTCs a commit turns on and the connectors it binds to them. Only read, never
 * resized here: properties are added through drmModeAtomicAddProperty().
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
#define MAX_CONNECTORS 16

/*
 * A CRTC's property ids and the out-fence of the last commit that lit it, which waits there for
 * the commit event of the output driving it. A fence no commit event takes is closed, never handed
 * to another CRTC's output: it signals at this CRTC's flip, which says nothing about another
 * output's buffer.
 */
struct crtc {
	uint32_t id;
	uint32_t active;
	uint32_t out_fence_ptr;
	int fence;
	/* The connector that commit bound to the CRTC (its CRTC_ID): the output the fence is for. */
	uint32_t connector;
	uint64_t lit_seq; /* when a commit last lit it, in kms.commits */
};

/*
 * One DRM device's CRTCs and their property ids, found on its first commit. Known by the device
 * number, not the fd: a GPU unplugged and another one opened can get the same fd number.
 */
struct device {
	dev_t rdev;
	bool used;
	/* CRTC_ID, which connectors and planes share (drm_mode_config.prop_crtc_id). */
	uint32_t crtc_id_prop;
	struct crtc crtcs[MAX_CRTCS];
	int n_crtcs;
	/* Told apart from planes binding the same CRTC: object ids are unique across types. */
	uint32_t connectors[MAX_CONNECTORS];
	int n_connectors;
};

static struct {
	struct device devices[MAX_DEVICES];
	int next_slot; /* the slot a new fd takes when every slot is used */
	bool enabled;
	uint64_t commits; /* atomic commits that lit a CRTC */
	kms_atomic_commit_fn real_commit;
} kms;

void kms_out_fence_enable(bool enable)
{
	kms.enabled = enable;
}

static void crtc_set_fence(struct crtc *crtc, int fence)
{
	if (crtc->fence >= 0)
		close(crtc->fence);
	crtc->fence = fence;
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

static uint32_t object_prop_id(int fd, uint32_t object, uint32_t type, const char *name)
{
	drmModeObjectProperties *props = drmModeObjectGetProperties(fd, object, type);
	uint32_t id;

	if (!props)
		return 0;
	id = prop_id(fd, props, name);
	drmModeFreeObjectProperties(props);
	return id;
}

/* The connector ids of res, and their CRTC_ID property if not known yet. */
static void probe_connectors(struct device *dev, int fd, drmModeRes *res)
{
	dev->n_connectors = 0;
	for (int i = 0; i < res->count_connectors && dev->n_connectors < MAX_CONNECTORS; i++) {
		dev->connectors[dev->n_connectors++] = res->connectors[i];
		if (!dev->crtc_id_prop)
			dev->crtc_id_prop = object_prop_id(fd, res->connectors[i],
							   DRM_MODE_OBJECT_CONNECTOR, "CRTC_ID");
	}
}

static void device_forget(struct device *dev)
{
	for (int c = 0; c < dev->n_crtcs; c++)
		crtc_set_fence(&dev->crtcs[c], -1);
	*dev = (struct device){0};
}

static void probe(struct device *dev, int fd, dev_t rdev)
{
	drmModeRes *res = drmModeGetResources(fd);

	device_forget(dev);
	dev->rdev = rdev;
	dev->used = true;
	if (!res)
		return;
	for (int i = 0; i < res->count_crtcs && dev->n_crtcs < MAX_CRTCS; i++) {
		drmModeObjectProperties *props =
			drmModeObjectGetProperties(fd, res->crtcs[i], DRM_MODE_OBJECT_CRTC);
		struct crtc *crtc = &dev->crtcs[dev->n_crtcs];

		if (!props)
			continue;
		*crtc = (struct crtc){.id = res->crtcs[i], .fence = -1};
		crtc->active = prop_id(fd, props, "ACTIVE");
		crtc->out_fence_ptr = prop_id(fd, props, "OUT_FENCE_PTR");
		drmModeFreeObjectProperties(props);
		if (crtc->active && crtc->out_fence_ptr)
			dev->n_crtcs++;
	}
	probe_connectors(dev, fd, res);
	drmModeFreeResources(res);
	wlr_log(WLR_DEBUG, "KMS: out-fences on %d CRTC%s of DRM device %u:%u (fd %d)", dev->n_crtcs,
		dev->n_crtcs == 1 ? "" : "s", major(rdev), minor(rdev), fd);
}

/* The device number of fd, a character device. */
static bool fd_device_number(int fd, dev_t *rdev)
{
	struct stat st;

	/* One fstat() per page flip, against property ids of another GPU on a reused fd. */
	if (fstat(fd, &st) < 0 || !S_ISCHR(st.st_mode))
		return false;
	*rdev = st.st_rdev;
	return true;
}

static struct device *device_by_number(dev_t rdev)
{
	for (int i = 0; i < MAX_DEVICES; i++) {
		if (kms.devices[i].used && kms.devices[i].rdev == rdev)
			return &kms.devices[i];
	}
	return NULL;
}

/* The CRTCs of fd's device: probed on its first commit, then kept. NULL: not a device. */
static struct device *device_of(int fd)
{
	struct device *dev;
	dev_t rdev;

	if (!fd_device_number(fd, &rdev))
		return NULL;
	dev = device_by_number(rdev);
	if (dev)
		return dev;
	dev = &kms.devices[kms.next_slot];
	kms.next_slot = (kms.next_slot + 1) % MAX_DEVICES;
	probe(dev, fd, rdev);
	return dev;
}

static bool is_connector(const struct device *dev, uint32_t object)
{
	for (int i = 0; i < dev->n_connectors; i++) {
		if (dev->connectors[i] == object)
			return true;
	}
	return false;
}

/*
 * Asks for the out-fence of every CRTC the request turns on (ACTIVE = 1), into out_fences[c] for
 * dev->crtcs[c] (-1 elsewhere). How many were asked for.
 */
static int ask_out_fences(struct device *dev, drmModeAtomicReq *req, int32_t *out_fences)
{
	const struct atomic_req *r = (const struct atomic_req *)(void *)req;
	uint32_t n_items = r->cursor;
	int n = 0;

	for (int c = 0; c < dev->n_crtcs; c++)
		out_fences[c] = -1;
	for (uint32_t i = 0; i < n_items; i++) {
		for (int c = 0; c < dev->n_crtcs; c++) {
			struct crtc *crtc = &dev->crtcs[c];
			uint64_t ptr = (uint64_t)(uintptr_t)&out_fences[c];

			if (r->items[i].object_id != crtc->id ||
			    r->items[i].property_id != crtc->active || r->items[i].value != 1)
				continue;
			if (drmModeAtomicAddProperty(req, crtc->id, crtc->out_fence_ptr, ptr) < 0)
				return n;
			n++;
		}
	}
	return n;
}

/* The connector the request binds to crtc (CRTC_ID; planes bind it too), or 0. */
static uint32_t bound_connector(const struct device *dev, drmModeAtomicReq *req,
				const struct crtc *crtc)
{
	const struct atomic_req *r = (const struct atomic_req *)(void *)req;

	for (uint32_t i = 0; i < r->cursor; i++) {
		if (r->items[i].property_id == dev->crtc_id_prop && r->items[i].value == crtc->id &&
		    is_connector(dev, r->items[i].object_id))
			return r->items[i].object_id;
	}
	return 0;
}

static void crtc_bind(struct device *dev, struct crtc *crtc, uint32_t connector)
{
	/* A connector drives one CRTC: the fence of its older CRTC is for no output now. */
	for (int c = 0; c < dev->n_crtcs; c++) {
		struct crtc *other = &dev->crtcs[c];

		if (other != crtc && other->connector == connector) {
			other->connector = 0;
			crtc_set_fence(other, -1);
		}
	}
	crtc->connector = connector;
}

/*
 * Keeps the out-fences the kernel wrote for a committed request, each for the output of the
 * connector its CRTC drives; closes those no output could ask for.
 */
static void keep_out_fences(struct device *dev, int fd, drmModeAtomicReq *req,
			    const int32_t *out_fences)
{
	kms.commits++;
	for (int c = 0; c < dev->n_crtcs; c++) {
		struct crtc *crtc = &dev->crtcs[c];
		uint32_t connector;
		int fence = out_fences[c];

		if (fence < 0)
			continue;
		connector = bound_connector(dev, req, crtc);
		if (!connector && !crtc->connector) {
			/* A connector hotplugged since the probe (DP MST) has an id not listed. */
			drmModeRes *res = drmModeGetResources(fd);

			if (res) {
				probe_connectors(dev, fd, res);
				drmModeFreeResources(res);
			}
			connector = bound_connector(dev, req, crtc);
		}
		/* A request may leave the connector's CRTC_ID as it was. */
		if (connector)
			crtc_bind(dev, crtc, connector);
		crtc->lit_seq = kms.commits;
		if (!crtc->connector) {
			close(fence);
			fence = -1;
		}
		/*
		 * An earlier fence still here was taken by no commit event: the commit that made it
		 * had none (wlroots' own modesets: an output's first, a session resumed). It is
		 * closed, not left for a later commit event to take for its own flip.
		 */
		crtc_set_fence(crtc, fence);
	}
}

int kms_out_fence_commit(kms_atomic_commit_fn commit, int fd, drmModeAtomicReq *req, uint32_t flags,
			 void *user_data)
{
	/* The kernel writes an s32 where OUT_FENCE_PTR points (drm_atomic_uapi.c). */
	int32_t out_fences[MAX_CRTCS];
	struct device *dev;
	int cursor, ret;

	if (!kms.enabled || (flags & DRM_MODE_ATOMIC_TEST_ONLY) || !req)
		return commit(fd, req, flags, user_data);
	dev = device_of(fd);
	if (!dev)
		return commit(fd, req, flags, user_data);
	cursor = drmModeAtomicGetCursor(req);
	if (ask_out_fences(dev, req, out_fences) == 0) {
		drmModeAtomicSetCursor(req, cursor);
		return commit(fd, req, flags, user_data);
	}
	ret = commit(fd, req, flags, user_data);
	/* The request is wlroots': it goes back as it came. */
	drmModeAtomicSetCursor(req, cursor);
	if (ret == -EINVAL) {
		/* A driver that refuses the fence must not cost wlroots its frame. */
		wlr_log(WLR_INFO, "KMS: the commit with OUT_FENCE_PTR was refused, "
				  "going on without out-fences");
		kms.enabled = false;
		return commit(fd, req, flags, user_data);
	}
	/* A failed commit installs no fd: the kernel's complete_signaling() puts them back. */
	if (ret == 0)
		keep_out_fences(dev, fd, req, out_fences);
	return ret;
}

int kms_out_fence_take(dev_t device, uint32_t connector)
{
	struct device *dev = connector ? device_by_number(device) : NULL;
	int fence;

	for (int c = 0; dev && c < dev->n_crtcs; c++) {
		if (dev->crtcs[c].connector != connector)
			continue;
		fence = dev->crtcs[c].fence;
		dev->crtcs[c].fence = -1;
		return fence;
	}
	return -1;
}

bool kms_out_fence_device_of(uint32_t connector, dev_t *device)
{
	const struct device *found = NULL;
	uint64_t latest = 0;

	for (int i = 0; connector && i < MAX_DEVICES; i++) {
		const struct device *dev = &kms.devices[i];

		for (int c = 0; dev->used && c < dev->n_crtcs; c++) {
			if (dev->crtcs[c].connector == connector &&
			    dev->crtcs[c].lit_seq > latest) {
				found = dev;
				latest = dev->crtcs[c].lit_seq;
			}
		}
	}
	if (found)
		*device = found->rdev;
	return found;
}

int drmModeAtomicCommit(int fd, drmModeAtomicReq *req, uint32_t flags, void *user_data)
{
	if (!kms.real_commit) {
		*(void **)&kms.real_commit = dlsym(RTLD_NEXT, "drmModeAtomicCommit");
		if (!kms.real_commit) {
			errno = ENOSYS;
			return -ENOSYS;
		}
	}
	return kms_out_fence_commit(kms.real_commit, fd, req, flags, user_data);
}
