// SPDX-License-Identifier: MIT
/*
 * compositor/kms_out_fence.c against a fake DRM device with two CRTCs, each driven by its own
 * connector: which output's commit event gets which CRTC's out-fence, and that every out-fence is
 * closed by someone. The host has no DRM device (and Linux 6.12's vkms has one CRTC), so the
 * device's resources come from the libdrm functions defined here, which the wrapper's calls bind
 * to, and its commits go to a fake kernel that answers OUT_FENCE_PTR with a memfd named after the
 * CRTC. The device number is that of a character device such as /dev/null.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <xf86drm.h>
#include <xf86drmMode.h>

#include "kms_out_fence.h"
#include "tap.h"

enum {
	CONNECTOR_A = 31,
	CONNECTOR_B = 32,
	CONNECTOR_MST = 33, /* appears after the probe */
	CRTC_A = 41,
	CRTC_B = 42,
	PLANE_A = 51,
	PLANE_B = 52,
	PROP_ACTIVE = 101,
	PROP_OUT_FENCE_PTR = 102,
	PROP_MODE_ID = 103,
	PROP_CRTC_ID = 104, /* on connectors and planes, as in the kernel */
	PROP_FB_ID = 105,
};

/* --- the fake device: what drmModeGetResources() and the property calls say ---------------- */

static struct {
	uint32_t crtcs[2];
	uint32_t connectors[3];
	int n_connectors;
} card = {{CRTC_A, CRTC_B}, {CONNECTOR_A, CONNECTOR_B, CONNECTOR_MST}, 2};

drmModeRes *drmModeGetResources(int fd)
{
	drmModeRes *res = calloc(1, sizeof(*res));

	if (!res)
		return NULL;
	res->count_crtcs = 2;
	res->crtcs = card.crtcs;
	res->count_connectors = card.n_connectors;
	res->connectors = card.connectors;
	return res;
}

void drmModeFreeResources(drmModeRes *res)
{
	free(res);
}

drmModeObjectProperties *drmModeObjectGetProperties(int fd, uint32_t object, uint32_t type)
{
	static uint32_t crtc_props[] = {PROP_MODE_ID, PROP_ACTIVE, PROP_OUT_FENCE_PTR};
	static uint32_t connector_props[] = {PROP_CRTC_ID};
	drmModeObjectProperties *props;

	if (type != DRM_MODE_OBJECT_CRTC && type != DRM_MODE_OBJECT_CONNECTOR) {
		errno = EINVAL;
		return NULL;
	}
	props = calloc(1, sizeof(*props));
	if (!props)
		return NULL;
	if (type == DRM_MODE_OBJECT_CRTC) {
		props->count_props = 3;
		props->props = crtc_props;
	} else {
		props->count_props = 1;
		props->props = connector_props;
	}
	return props;
}

void drmModeFreeObjectProperties(drmModeObjectProperties *props)
{
	free(props);
}

drmModePropertyRes *drmModeGetProperty(int fd, uint32_t id)
{
	static const char *const names[] = {
		[PROP_ACTIVE - PROP_ACTIVE] = "ACTIVE",
		[PROP_OUT_FENCE_PTR - PROP_ACTIVE] = "OUT_FENCE_PTR",
		[PROP_MODE_ID - PROP_ACTIVE] = "MODE_ID",
		[PROP_CRTC_ID - PROP_ACTIVE] = "CRTC_ID",
		[PROP_FB_ID - PROP_ACTIVE] = "FB_ID",
	};
	drmModePropertyRes *prop;

	if (id < PROP_ACTIVE || id > PROP_FB_ID) {
		errno = ENOENT;
		return NULL;
	}
	prop = calloc(1, sizeof(*prop));
	if (!prop)
		return NULL;
	prop->prop_id = id;
	snprintf(prop->name, sizeof(prop->name), "%s", names[id - PROP_ACTIVE]);
	return prop;
}

void drmModeFreeProperty(drmModePropertyRes *prop)
{
	free(prop);
}

/* --- the fake kernel ------------------------------------------------------------------------ */

/* libdrm's request layout (xf86drmMode.c), as the wrapper reads it. */
struct atomic_req {
	uint32_t cursor;
	uint32_t size_items;
	struct {
		uint32_t object_id;
		uint32_t property_id;
		uint64_t value;
		uint32_t cursor;
	} * items;
};

struct kernel {
	int refuse;	     /* a -errno to answer every commit with OUT_FENCE_PTR, or 0 */
	int fail;	     /* a -errno to answer every commit with, or 0 */
	int commits;	     /* ioctls seen */
	int fences_asked;    /* OUT_FENCE_PTR items seen */
	unsigned int serial; /* of the last out-fence made */
};

/*
 * DRM_IOCTL_MODE_ATOMIC: each OUT_FENCE_PTR gets a new "out-fence N CRTC C" (a memfd: only its
 * name and its being open matter here). user_data is the fake kernel, as wlroots' page-flip data
 * would be passed through.
 */
static int fake_commit(int fd, drmModeAtomicReq *req, uint32_t flags, void *user_data)
{
	struct kernel *k = user_data;
	const struct atomic_req *r = (const struct atomic_req *)(void *)req;
	bool asked = false;

	k->commits++;
	for (uint32_t i = 0; i < r->cursor; i++)
		asked |= r->items[i].property_id == PROP_OUT_FENCE_PTR;
	if (k->fail || (asked && k->refuse))
		return k->fail ? k->fail : k->refuse;
	for (uint32_t i = 0; i < r->cursor; i++) {
		char name[64];

		if (r->items[i].property_id != PROP_OUT_FENCE_PTR)
			continue;
		k->fences_asked++;
		snprintf(name, sizeof(name), "out-fence %u CRTC %u", ++k->serial,
			 r->items[i].object_id);
		*(int32_t *)(uintptr_t)r->items[i].value = memfd_create(name, MFD_CLOEXEC);
	}
	return 0;
}

/* --- what the tests use --------------------------------------------------------------------- */

/* A character device standing for a DRM card: the wrapper knows devices by number. */
struct fake_card {
	int fd;
	dev_t number;
};

static bool card_open(struct sb_test_ctx *t, struct fake_card *c, const char *path)
{
	struct stat st;

	kms_out_fence_enable(true);
	c->fd = open(path, O_RDWR | O_CLOEXEC);
	if (!expect(t, c->fd >= 0))
		return false;
	if (!expect(t, fstat(c->fd, &st) == 0 && S_ISCHR(st.st_mode))) {
		close(c->fd);
		return false;
	}
	c->number = st.st_rdev;
	return true;
}

/* wlroots 0.15's page flip of one connector (backend/drm/atomic.c: atomic_crtc_commit()). */
static void add_flip(drmModeAtomicReq *req, uint32_t connector, uint32_t crtc, uint32_t plane)
{
	drmModeAtomicAddProperty(req, connector, PROP_CRTC_ID, crtc);
	drmModeAtomicAddProperty(req, crtc, PROP_MODE_ID, 7);
	drmModeAtomicAddProperty(req, crtc, PROP_ACTIVE, 1);
	drmModeAtomicAddProperty(req, plane, PROP_CRTC_ID, crtc);
	drmModeAtomicAddProperty(req, plane, PROP_FB_ID, 9);
}

/* Commits req through the wrapper; it must come back as it went. The commit's result. */
static int commit_req(struct sb_test_ctx *t, struct kernel *k, const struct fake_card *c,
		      drmModeAtomicReq *req, uint32_t flags)
{
	int cursor = drmModeAtomicGetCursor(req);
	int ret = kms_out_fence_commit(fake_commit, c->fd, req, flags, k);

	expect(t, drmModeAtomicGetCursor(req) == cursor);
	return ret;
}

/* One connector's page flip, which must succeed. */
static void flip(struct sb_test_ctx *t, struct kernel *k, const struct fake_card *c,
		 uint32_t connector, uint32_t crtc, uint32_t plane)
{
	drmModeAtomicReq *req = drmModeAtomicAlloc();

	if (!expect(t, req))
		return;
	add_flip(req, connector, crtc, plane);
	expect(t,
	       commit_req(t, k, c, req, DRM_MODE_PAGE_FLIP_EVENT | DRM_MODE_ATOMIC_NONBLOCK) == 0);
	drmModeAtomicFree(req);
}

/* The serial and CRTC of an out-fence the fake kernel made, from its memfd name; false if not. */
static bool fence_is(int fd, unsigned int *serial, unsigned int *crtc)
{
	char link[64], target[128];
	ssize_t n;

	if (fd < 0)
		return false;
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, target, sizeof(target) - 1);
	if (n < 0)
		return false;
	target[n] = '\0';
	return sscanf(target, "/memfd:out-fence %u CRTC %u", serial, crtc) == 2;
}

/* The output of connector takes its commit's out-fence: it must be the one of crtc, made last. */
static void expect_take(struct sb_test_ctx *t, const struct kernel *k, const struct fake_card *c,
			uint32_t connector, uint32_t crtc, unsigned int serial)
{
	int fd = kms_out_fence_take(c->number, connector);
	unsigned int got_serial = 0, got_crtc = 0;

	if (!expect(t, fence_is(fd, &got_serial, &got_crtc)))
		sb_diag("connector %u took fd %d, not an out-fence", connector, fd);
	else if (!expect(t, got_crtc == crtc && got_serial == serial))
		sb_diag("connector %u took out-fence %u of CRTC %u, not %u of CRTC %u", connector,
			got_serial, got_crtc, serial, crtc);
	if (fd >= 0)
		close(fd);
}

static void expect_none(struct sb_test_ctx *t, const struct fake_card *c, uint32_t connector)
{
	int fd = kms_out_fence_take(c->number, connector);
	unsigned int serial = 0, crtc = 0;

	if (!expect(t, fd < 0)) {
		if (fence_is(fd, &serial, &crtc))
			sb_diag("connector %u took out-fence %u of CRTC %u", connector, serial,
				crtc);
		close(fd);
	}
}

/* --- the tests ------------------------------------------------------------------------------ */

static void each_output_takes_the_out_fence_of_its_own_crtc(struct sb_test_ctx *t)
{
	struct kernel k = {0};
	struct fake_card c;

	if (!card_open(t, &c, "/dev/null"))
		return;
	flip(t, &k, &c, CONNECTOR_A, CRTC_A, PLANE_A);
	flip(t, &k, &c, CONNECTOR_B, CRTC_B, PLANE_B);
	expect(t, k.fences_asked == 2);
	expect_take(t, &k, &c, CONNECTOR_B, CRTC_B, 2);
	expect_take(t, &k, &c, CONNECTOR_A, CRTC_A, 1);
	close(c.fd);
}

/*
 * Issue #19: an atomic commit wlroots makes with no commit event after it (an output's first
 * modeset, before syncbridge listens; a session resumed) must not leave its out-fence for the
 * next commit event of another output, which would import it into its own buffer.
 */
static void out_fence_without_commit_event_not_taken_by_another_output(struct sb_test_ctx *t)
{
	struct kernel k = {0};
	struct fake_card c;

	if (!card_open(t, &c, "/dev/null"))
		return;
	flip(t, &k, &c, CONNECTOR_A, CRTC_A, PLANE_A);
	expect_none(t, &c, CONNECTOR_B);
	/* Output A's next precommit drops it (compositor/output.c). */
	expect_take(t, &k, &c, CONNECTOR_A, CRTC_A, 1);
	expect_none(t, &c, CONNECTOR_A);
	close(c.fd);
}

static void untaken_out_fence_closed_by_the_next_flip_of_its_crtc(struct sb_test_ctx *t)
{
	struct kernel k = {0};
	struct fake_card c;
	int fds;

	if (!card_open(t, &c, "/dev/null"))
		return;
	flip(t, &k, &c, CONNECTOR_A, CRTC_A, PLANE_A);
	fds = sb_count_fds();
	flip(t, &k, &c, CONNECTOR_A, CRTC_A, PLANE_A);
	expect(t, sb_count_fds() == fds);
	expect_take(t, &k, &c, CONNECTOR_A, CRTC_A, 2);
	close(c.fd);
}

static void one_commit_lighting_two_crtcs_gets_an_out_fence_for_each(struct sb_test_ctx *t)
{
	drmModeAtomicReq *req = drmModeAtomicAlloc();
	struct kernel k = {0};
	struct fake_card c;

	if (!expect(t, req) || !card_open(t, &c, "/dev/null")) {
		drmModeAtomicFree(req);
		return;
	}
	add_flip(req, CONNECTOR_A, CRTC_A, PLANE_A);
	add_flip(req, CONNECTOR_B, CRTC_B, PLANE_B);
	expect(t, commit_req(t, &k, &c, req, DRM_MODE_ATOMIC_ALLOW_MODESET) == 0);
	drmModeAtomicFree(req);
	expect(t, k.fences_asked == 2);
	/* The fake kernel serves the request's OUT_FENCE_PTRs in the order of the CRTCs lit. */
	expect_take(t, &k, &c, CONNECTOR_A, CRTC_A, 1);
	expect_take(t, &k, &c, CONNECTOR_B, CRTC_B, 2);
	close(c.fd);
}

static void connector_moved_to_another_crtc_takes_from_the_new_one(struct sb_test_ctx *t)
{
	struct kernel k = {0};
	struct fake_card c;
	int fds;

	if (!card_open(t, &c, "/dev/null"))
		return;
	flip(t, &k, &c, CONNECTOR_A, CRTC_A, PLANE_A);
	fds = sb_count_fds();
	flip(t, &k, &c, CONNECTOR_A, CRTC_B, PLANE_B);
	/* CRTC A's fence is for no output now: closed. */
	expect(t, sb_count_fds() == fds);
	expect_take(t, &k, &c, CONNECTOR_A, CRTC_B, 2);
	expect_none(t, &c, CONNECTOR_A);
	close(c.fd);
}

static void connector_hotplugged_after_the_probe_gets_its_out_fence(struct sb_test_ctx *t)
{
	struct kernel k = {0};
	struct fake_card c;

	if (!card_open(t, &c, "/dev/null"))
		return;
	/* Probed with connectors A and B (by an earlier test, or here). */
	flip(t, &k, &c, CONNECTOR_A, CRTC_A, PLANE_A);
	expect_take(t, &k, &c, CONNECTOR_A, CRTC_A, 1);
	card.n_connectors = 3;
	flip(t, &k, &c, CONNECTOR_MST, CRTC_B, PLANE_B);
	expect_take(t, &k, &c, CONNECTOR_MST, CRTC_B, 2);
	card.n_connectors = 2;
	close(c.fd);
}

static void failed_commit_leaves_no_out_fence(struct sb_test_ctx *t)
{
	drmModeAtomicReq *req = drmModeAtomicAlloc();
	struct kernel k = {.fail = -EBUSY};
	struct fake_card c;

	if (!expect(t, req) || !card_open(t, &c, "/dev/null")) {
		drmModeAtomicFree(req);
		return;
	}
	add_flip(req, CONNECTOR_A, CRTC_A, PLANE_A);
	expect(t, commit_req(t, &k, &c, req, DRM_MODE_PAGE_FLIP_EVENT) == -EBUSY);
	drmModeAtomicFree(req);
	expect(t, k.commits == 1);
	expect_none(t, &c, CONNECTOR_A);
	close(c.fd);
}

static void test_only_commit_asks_for_no_out_fence(struct sb_test_ctx *t)
{
	drmModeAtomicReq *req = drmModeAtomicAlloc();
	struct kernel k = {0};
	struct fake_card c;

	if (!expect(t, req) || !card_open(t, &c, "/dev/null")) {
		drmModeAtomicFree(req);
		return;
	}
	add_flip(req, CONNECTOR_A, CRTC_A, PLANE_A);
	expect(t, commit_req(t, &k, &c, req, DRM_MODE_ATOMIC_TEST_ONLY) == 0);
	drmModeAtomicFree(req);
	expect(t, k.commits == 1 && k.fences_asked == 0);
	expect_none(t, &c, CONNECTOR_A);
	close(c.fd);
}

static void refused_out_fence_commits_again_without_it(struct sb_test_ctx *t)
{
	drmModeAtomicReq *req = drmModeAtomicAlloc();
	struct kernel k = {.refuse = -EINVAL};
	struct fake_card c;

	if (!expect(t, req) || !card_open(t, &c, "/dev/null")) {
		drmModeAtomicFree(req);
		return;
	}
	add_flip(req, CONNECTOR_A, CRTC_A, PLANE_A);
	expect(t, commit_req(t, &k, &c, req, DRM_MODE_PAGE_FLIP_EVENT) == 0);
	expect(t, k.commits == 2 && k.fences_asked == 0);
	/* Then out-fences are off: no OUT_FENCE_PTR again. */
	k.refuse = 0;
	expect(t, commit_req(t, &k, &c, req, DRM_MODE_PAGE_FLIP_EVENT) == 0);
	expect(t, k.commits == 3 && k.fences_asked == 0);
	drmModeAtomicFree(req);
	expect_none(t, &c, CONNECTOR_A);
	close(c.fd);
}

/*
 * Two GPUs whose connectors have the same ids (ids are per device): an output finds its device as
 * the one its modeset just lit a CRTC on, then takes only that device's fences.
 */
static void connector_ids_repeating_across_devices_keep_their_fences_apart(struct sb_test_ctx *t)
{
	struct kernel k = {0};
	struct fake_card gpu0, gpu1;
	dev_t device = 0;

	if (!card_open(t, &gpu0, "/dev/null"))
		return;
	if (!card_open(t, &gpu1, "/dev/zero")) {
		close(gpu0.fd);
		return;
	}
	flip(t, &k, &gpu0, CONNECTOR_A, CRTC_A, PLANE_A);
	expect(t, kms_out_fence_device_of(CONNECTOR_A, &device) && device == gpu0.number);
	flip(t, &k, &gpu1, CONNECTOR_A, CRTC_A, PLANE_A);
	expect(t, kms_out_fence_device_of(CONNECTOR_A, &device) && device == gpu1.number);
	expect(t, !kms_out_fence_device_of(CONNECTOR_B, &device));
	expect_take(t, &k, &gpu0, CONNECTOR_A, CRTC_A, 1);
	expect_take(t, &k, &gpu1, CONNECTOR_A, CRTC_A, 2);
	close(gpu1.fd);
	close(gpu0.fd);
}

/* The wrapper remembers 4 devices: one forgotten must not keep its fences open. */
static void forgotten_device_closes_its_out_fences(struct sb_test_ctx *t)
{
	static const char *const others[] = {"/dev/full", "/dev/random", "/dev/urandom",
					     "/dev/ptmx"};
	struct kernel k = {0};
	struct fake_card c, other;
	int fds;

	if (!card_open(t, &c, "/dev/zero"))
		return;
	fds = sb_count_fds();
	flip(t, &k, &c, CONNECTOR_A, CRTC_A, PLANE_A);
	expect(t, sb_count_fds() == fds + 1);
	/* Four devices not seen before take the four slots in turn, /dev/zero's among them. */
	for (int i = 0; i < 4; i++) {
		if (!card_open(t, &other, others[i]))
			continue;
		flip(t, &k, &other, CONNECTOR_A, CRTC_A, PLANE_A);
		expect_take(t, &k, &other, CONNECTOR_A, CRTC_A, (unsigned int)i + 2);
		close(other.fd);
	}
	expect(t, sb_count_fds() == fds);
	expect_none(t, &c, CONNECTOR_A);
	close(c.fd);
}

int main(void)
{
	static const struct sb_test tests[] = {
		SB_TEST(each_output_takes_the_out_fence_of_its_own_crtc),
		SB_TEST(out_fence_without_commit_event_not_taken_by_another_output),
		SB_TEST(untaken_out_fence_closed_by_the_next_flip_of_its_crtc),
		SB_TEST(one_commit_lighting_two_crtcs_gets_an_out_fence_for_each),
		SB_TEST(connector_moved_to_another_crtc_takes_from_the_new_one),
		SB_TEST(connector_hotplugged_after_the_probe_gets_its_out_fence),
		SB_TEST(failed_commit_leaves_no_out_fence),
		SB_TEST(test_only_commit_asks_for_no_out_fence),
		SB_TEST(refused_out_fence_commits_again_without_it),
		SB_TEST(connector_ids_repeating_across_devices_keep_their_fences_apart),
		SB_TEST(forgotten_device_closes_its_out_fences),
	};

	return sb_test_main(tests, sizeof(tests) / sizeof(tests[0]));
}
