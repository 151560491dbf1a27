// SPDX-License-Identifier: MIT
/*
 * Fault injection in the guest: every bridge operation on real fences (sw_sync, udmabuf, DRM
 * syncobj timelines on virtio_gpu) run with its allocation k failing, k = 0, 1, ... until it runs
 * past the hook (syncbridge/test_hooks.h), for heap allocations and for the kernel calls that
 * allocate. Each failure must be -1 or NULL with ENOMEM, close exactly the fds the call owns
 * (/proc/self/fd), free what it took (LeakSanitizer in the ASan build), and leave its objects
 * usable: the same call then works. A sweep that never ends, or one that finds no allocation in
 * an operation known to allocate, fails. Last, the hook's count per failure site: every site
 * compiled into the bridge must have failed at least once, or an operation is missing here.
 */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

#include <syncbridge/dmabuf.h>
#include <syncbridge/probe.h>
#include <syncbridge/sync_file.h>
#include <syncbridge/syncobj.h>
#include <syncbridge/test_hooks.h>
#include <syncbridge/waiter.h>

#include "kdev.h"
#include "tap.h"

#define MAX_POINTS 32
/* sw_sync values the fixture's fences wait for; the timeline only gets there at the end. */
#define FAR_VALUE 1000

static const char *const kind_names[] = {
	[SB_FAULT_HEAP] = "heap",
	[SB_FAULT_KERNEL] = "kernel",
};

/* Sweep points of the whole program, per kind, for the closing diagnostic. */
static int total_points[2], total_ops;

struct fx {
	int timeline, timeline2; /* sw_sync: their fences signal at FAR_VALUE, at finish */
	int udmabuf;		 /* busy: an unsignalled sw_sync fence imported as its writer */
	int drm_fd;		 /* virtio_gpu */
	/* Per sweep point, made by setup/prepare, released by undo. */
	struct sb_sync_file *a, *b, *out;
	struct sb_syncobj *syncobj, *out_syncobj;
	struct sb_waiter *waiter;
	struct sb_sync_file_info info;
	int fd;
	uint64_t point;
	int done;
};

static struct sb_sync_file *sw_sync_file_on(int timeline)
{
	int fd = sb_sw_fence_create(timeline, FAR_VALUE);

	return fd < 0 ? NULL : sb_sync_file_import(fd);
}

static struct sb_sync_file *sw_sync_file(struct fx *f)
{
	return sw_sync_file_on(f->timeline);
}

static bool fx_init(struct sb_test_ctx *t, struct fx *f)
{
	struct sb_sync_file *writer;

	*f = (struct fx){.fd = -1, .udmabuf = -1};
	f->timeline = sb_sw_timeline_create();
	f->timeline2 = sb_sw_timeline_create();
	f->drm_fd = sb_drm_open_by_name("virtio_gpu");
	if (!expect(t, f->timeline >= 0 && f->timeline2 >= 0 && f->drm_fd >= 0))
		return false;
	f->udmabuf = sb_udmabuf_create(4096);
	writer = sw_sync_file(f);
	if (!expect(t, f->udmabuf >= 0 && writer))
		return false;
	expect(t, sb_dmabuf_import_sync_file(f->udmabuf, writer, SB_ACCESS_WRITE) == 0);
	sb_sync_file_destroy(writer);
	return expect(t, sb_dmabuf_is_idle(f->udmabuf, SB_ACCESS_READ) == 0);
}

static void fx_finish(struct fx *f)
{
	if (f->timeline >= 0) {
		sb_sw_timeline_inc(f->timeline, FAR_VALUE);
		close(f->timeline);
	}
	if (f->timeline2 >= 0) {
		sb_sw_timeline_inc(f->timeline2, FAR_VALUE);
		close(f->timeline2);
	}
	if (f->udmabuf >= 0)
		close(f->udmabuf);
	if (f->drm_fd >= 0)
		close(f->drm_fd);
}

/*
 * An operation under test. setup makes its inputs once per sweep point; prepare remakes what a
 * run consumes (before the run and before its retry); both run outside the hook. run is the
 * operation: 0, or -1 with errno. owns is the number of fds a failed run must close (the ones
 * it takes ownership of). undo releases everything.
 */
struct op {
	const char *name;
	void (*setup)(struct fx *f);
	void (*prepare)(struct fx *f);
	int (*run)(struct fx *f);
	int owns;
};

static void undo(struct fx *f)
{
	sb_waiter_destroy(f->waiter);
	sb_sync_file_info_finish(&f->info);
	sb_sync_file_destroy(f->out);
	sb_sync_file_destroy(f->b);
	sb_sync_file_destroy(f->a);
	sb_syncobj_destroy(f->out_syncobj);
	sb_syncobj_destroy(f->syncobj);
	if (f->fd >= 0)
		close(f->fd);
	f->waiter = NULL;
	f->out = f->b = f->a = NULL;
	f->out_syncobj = f->syncobj = NULL;
	f->fd = -1;
	f->point = 0;
	f->done = 0;
}

/* Runs op with the kth allocation of kind failing, k = 0, 1, ...; returns the points, or -1. */
static int sweep(struct sb_test_ctx *t, struct fx *f, const struct op *op, enum sb_test_fault kind)
{
	int baseline = sb_count_fds();

	for (long k = 0; k < MAX_POINTS; k++) {
		bool injected;
		int ret, err, fds;

		if (op->setup)
			op->setup(f);
		if (op->prepare)
			op->prepare(f);
		fds = sb_count_fds();
		sb_test_fail_after(kind, k);
		ret = op->run(f);
		err = errno;
		injected = sb_test_fault_injected(kind);
		sb_test_fail_after(kind, -1);
		if (!injected) {
			if (!expect(t, ret == 0))
				sb_diag("%s: %s", op->name, strerror(err));
			undo(f);
			expect(t, sb_count_fds() == baseline);
			sb_diag("%-40s %2ld %s allocation(s), each failing cleanly", op->name, k,
				kind_names[kind]);
			total_points[kind] += (int)k;
			return (int)k;
		}
		if (!expect(t, ret < 0 && err == ENOMEM))
			sb_diag("%s, %s allocation %ld failing: ret %d, %s", op->name,
				kind_names[kind], k, ret, strerror(err));
		if (!expect(t, sb_count_fds() == fds - (ret < 0 ? op->owns : 0)))
			sb_diag("%s, %s allocation %ld failing: fds %d -> %d", op->name,
				kind_names[kind], k, fds, sb_count_fds());
		/* What failed is not broken: the same call on the same objects works now. */
		if (op->prepare)
			op->prepare(f);
		ret = op->run(f);
		if (!expect(t, ret == 0))
			sb_diag("%s after a failure: %s", op->name, strerror(errno));
		undo(f);
		expect(t, sb_count_fds() == baseline);
	}
	expect(t, false);
	return -1;
}

/* Sweeps each op for both kinds; each must allocate somewhere, or the sweep tested nothing. */
static void sweep_ops(struct sb_test_ctx *t, const struct op *ops, size_t n)
{
	struct fx f;

	if (fx_init(t, &f)) {
		for (size_t i = 0; i < n; i++) {
			int heap = sweep(t, &f, &ops[i], SB_FAULT_HEAP);
			int kernel = sweep(t, &f, &ops[i], SB_FAULT_KERNEL);

			if (!expect(t, heap + kernel > 0))
				sb_diag("%s: no allocation to fail", ops[i].name);
			total_ops++;
		}
	}
	fx_finish(&f);
}

/* -- sync_file -- */

static void prepare_fence_fd(struct fx *f)
{
	f->fd = sb_sw_fence_create(f->timeline, FAR_VALUE);
}

static void setup_fence_fd(struct fx *f)
{
	prepare_fence_fd(f);
}

static void setup_two_fences(struct fx *f)
{
	f->a = sw_sync_file(f);
	f->b = sw_sync_file(f);
}

/*
 * Two fences in one file, so that FILE_INFO has a fence array to fill: pending ones of two
 * timelines (dma_fence_unwrap_merge() keeps one fence per context and drops signalled ones).
 */
static void setup_merged(struct fx *f)
{
	f->a = sw_sync_file(f);
	f->b = sw_sync_file_on(f->timeline2);
	f->out = sb_sync_file_merge("alloc-fail", f->a, f->b);
}

static int run_sync_file_import(struct fx *f)
{
	int fd = f->fd;

	f->fd = -1; /* owned by the call from here on */
	f->out = sb_sync_file_import(fd);
	return f->out ? 0 : -1;
}

static int run_sync_file_import_dup(struct fx *f)
{
	f->out = sb_sync_file_import_dup(f->fd);
	return f->out ? 0 : -1;
}

static int run_sync_file_dup_fd(struct fx *f)
{
	f->fd = sb_sync_file_dup_fd(f->a);
	return f->fd < 0 ? -1 : 0;
}

static int run_sync_file_merge(struct fx *f)
{
	f->out = sb_sync_file_merge("alloc-fail", f->a, f->b);
	return f->out ? 0 : -1;
}

static int run_sync_file_get_info(struct fx *f)
{
	if (sb_sync_file_get_info(f->out, &f->info) < 0) {
		/* A failed call leaves nothing to finish. */
		return f->info.fences || f->info.num_fences ? (errno = EPROTO, -1) : -1;
	}
	return f->info.num_fences == 2 ? 0 : (errno = EPROTO, -1);
}

static void sync_file_operations_fail_cleanly_at_every_allocation(struct sb_test_ctx *t)
{
	static const struct op ops[] = {
		{"sb_sync_file_import", NULL, prepare_fence_fd, run_sync_file_import, 1},
		{"sb_sync_file_import_dup", setup_fence_fd, NULL, run_sync_file_import_dup, 0},
		{"sb_sync_file_dup_fd", setup_two_fences, NULL, run_sync_file_dup_fd, 0},
		{"sb_sync_file_merge", setup_two_fences, NULL, run_sync_file_merge, 0},
		{"sb_sync_file_get_info", setup_merged, NULL, run_sync_file_get_info, 0},
	};

	sweep_ops(t, ops, sizeof(ops) / sizeof(ops[0]));
}

/* -- dma-buf and probes -- */

static int run_dmabuf_export(struct fx *f)
{
	f->out = sb_dmabuf_export_sync_file(f->udmabuf, SB_ACCESS_RW);
	return f->out ? 0 : -1;
}

static int run_dmabuf_import(struct fx *f)
{
	return sb_dmabuf_import_sync_file(f->udmabuf, f->a, SB_ACCESS_READ);
}

/* A probe that cannot tell must say so (-1), never "missing" (0). */
static int probe_result(int ret)
{
	if (ret == 0)
		errno = EPROTO;
	return ret == 1 ? 0 : -1;
}

static int run_probe_export(struct fx *f)
{
	return probe_result(sb_probe_export_sync_file(f->udmabuf));
}

static int run_probe_import(struct fx *f)
{
	return probe_result(sb_probe_import_sync_file(f->udmabuf));
}

static void dmabuf_operations_and_probes_fail_cleanly_at_every_allocation(struct sb_test_ctx *t)
{
	static const struct op ops[] = {
		{"sb_dmabuf_export_sync_file", NULL, NULL, run_dmabuf_export, 0},
		{"sb_dmabuf_import_sync_file", setup_two_fences, NULL, run_dmabuf_import, 0},
		{"sb_probe_export_sync_file", NULL, NULL, run_probe_export, 0},
		{"sb_probe_import_sync_file", NULL, NULL, run_probe_import, 0},
	};

	sweep_ops(t, ops, sizeof(ops) / sizeof(ops[0]));
}

/* -- syncobj -- */

static void setup_syncobj(struct fx *f)
{
	f->syncobj = sb_syncobj_create(f->drm_fd);
}

/* Point 1 has an unsignalled fence: submitted ("available"), not signalled. */
static void setup_available_point(struct fx *f)
{
	setup_syncobj(f);
	f->a = sw_sync_file(f);
	if (f->syncobj && f->a)
		sb_syncobj_import_point(f->syncobj, 1, f->a);
	f->point = 1;
}

static void prepare_syncobj_fd(struct fx *f)
{
	if (!f->syncobj)
		setup_syncobj(f);
	f->fd = sb_syncobj_export(f->syncobj);
}

static int run_syncobj_create(struct fx *f)
{
	f->out_syncobj = sb_syncobj_create(f->drm_fd);
	return f->out_syncobj ? 0 : -1;
}

static int run_syncobj_export(struct fx *f)
{
	f->fd = sb_syncobj_export(f->syncobj);
	return f->fd < 0 ? -1 : 0;
}

static int run_syncobj_import(struct fx *f)
{
	int fd = f->fd;

	f->fd = -1;
	sb_syncobj_destroy(f->out_syncobj); /* a retry replaces the first try's */
	f->out_syncobj = sb_syncobj_import(f->drm_fd, fd);
	return f->out_syncobj ? 0 : -1;
}

static int run_syncobj_export_point(struct fx *f)
{
	f->out = sb_syncobj_export_point(f->syncobj, 1);
	return f->out ? 0 : -1;
}

/* Each run a new, higher point: a timeline only moves forward. */
static int run_syncobj_import_point(struct fx *f)
{
	return sb_syncobj_import_point(f->syncobj, ++f->point, f->a);
}

static int run_syncobj_signal_point(struct fx *f)
{
	return sb_syncobj_signal_point(f->syncobj, ++f->point);
}

static int run_syncobj_query(struct fx *f)
{
	uint64_t point;

	return sb_syncobj_query(f->syncobj, &point);
}

static int run_syncobj_point_state(struct fx *f)
{
	int state = sb_syncobj_point_state(f->syncobj, 1);

	if (state < 0)
		return -1;
	return state == SB_POINT_AVAILABLE ? 0 : (errno = EPROTO, -1);
}

static int run_syncobj_eventfd(struct fx *f)
{
	f->fd = sb_syncobj_eventfd(f->syncobj, 2, false);
	return f->fd < 0 ? -1 : 0;
}

static void syncobj_operations_fail_cleanly_at_every_allocation(struct sb_test_ctx *t)
{
	static const struct op ops[] = {
		{"sb_syncobj_create", NULL, NULL, run_syncobj_create, 0},
		{"sb_syncobj_export", setup_syncobj, NULL, run_syncobj_export, 0},
		{"sb_syncobj_import", setup_syncobj, prepare_syncobj_fd, run_syncobj_import, 1},
		{"sb_syncobj_export_point", setup_available_point, NULL, run_syncobj_export_point,
		 0},
		{"sb_syncobj_import_point", setup_available_point, NULL, run_syncobj_import_point,
		 0},
		{"sb_syncobj_signal_point", setup_syncobj, NULL, run_syncobj_signal_point, 0},
		{"sb_syncobj_query", setup_syncobj, NULL, run_syncobj_query, 0},
		{"sb_syncobj_point_state", setup_available_point, NULL, run_syncobj_point_state, 0},
		{"sb_syncobj_eventfd", setup_syncobj, NULL, run_syncobj_eventfd, 0},
	};

	sweep_ops(t, ops, sizeof(ops) / sizeof(ops[0]));
}

/* -- waiter -- */

static void waiter_done(struct sb_waiter *waiter, int status, void *data)
{
	struct fx *f = data;

	f->done = status < 0 ? status : 1;
}

static void setup_waiter(struct fx *f)
{
	f->waiter = sb_waiter_create(waiter_done, f);
}

static void setup_waiter_syncobj(struct fx *f)
{
	setup_waiter(f);
	setup_syncobj(f);
}

static void setup_waiter_available_point(struct fx *f)
{
	setup_waiter(f);
	setup_available_point(f);
}

/* Two pending fences, so that the waiter's fd is an epoll set. */
static void setup_waiter_two_fences(struct fx *f)
{
	setup_waiter(f);
	if (f->waiter) {
		sb_waiter_add_sync_file(f->waiter, sw_sync_file(f));
		sb_waiter_add_sync_file(f->waiter, sw_sync_file(f));
	}
}

/* The same, with the epoll set made: a later add also registers there. */
static void setup_waiter_with_epoll(struct fx *f)
{
	setup_waiter_two_fences(f);
	if (f->waiter)
		sb_waiter_get_fd(f->waiter);
}

static void prepare_sync_file(struct fx *f)
{
	f->a = sw_sync_file(f);
}

static int run_waiter_create(struct fx *f)
{
	sb_waiter_destroy(f->waiter);
	f->waiter = sb_waiter_create(waiter_done, f);
	return f->waiter ? 0 : -1;
}

/* Checks that a waiter's add really added a pending fence (or, retried, one more). */
static int pending_after(struct fx *f, int ret, int expected)
{
	if (ret < 0)
		return -1;
	return sb_waiter_pending(f->waiter) >= expected ? 0 : (errno = EPROTO, -1);
}

static int run_waiter_add_sync_file(struct fx *f)
{
	struct sb_sync_file *sync_file = f->a;

	f->a = NULL; /* owned by the waiter from here on, failure included */
	return pending_after(f, sb_waiter_add_sync_file(f->waiter, sync_file), 1);
}

static int run_waiter_add_dmabuf_snapshot(struct fx *f)
{
	int ret = sb_waiter_add_dmabuf(f->waiter, f->udmabuf, SB_ACCESS_READ, 0);

	return pending_after(f, ret == 1 ? 0 : (ret == 0 ? (errno = EPROTO, -1) : -1), 1);
}

static int run_waiter_add_dmabuf_poll(struct fx *f)
{
	int ret =
		sb_waiter_add_dmabuf(f->waiter, f->udmabuf, SB_ACCESS_READ, SB_WAIT_FORCE_FALLBACK);

	return pending_after(f, ret, 1);
}

static int run_waiter_add_point_eventfd(struct fx *f)
{
	return pending_after(f, sb_waiter_add_syncobj_point(f->waiter, f->syncobj, 1, 0), 1);
}

static int run_waiter_add_point_fallback(struct fx *f)
{
	return pending_after(
		f, sb_waiter_add_syncobj_point(f->waiter, f->syncobj, 1, SB_WAIT_FORCE_FALLBACK),
		1);
}

static int run_waiter_get_fd(struct fx *f)
{
	return sb_waiter_get_fd(f->waiter) < 0 ? -1 : 0;
}

static int run_waiter_add_to_epoll(struct fx *f)
{
	struct sb_sync_file *sync_file = f->a;

	f->a = NULL;
	return pending_after(f, sb_waiter_add_sync_file(f->waiter, sync_file), 3);
}

static void waiter_operations_fail_cleanly_at_every_allocation(struct sb_test_ctx *t)
{
	static const struct op ops[] = {
		{"sb_waiter_create", NULL, NULL, run_waiter_create, 0},
		{"sb_waiter_add_sync_file", setup_waiter, prepare_sync_file,
		 run_waiter_add_sync_file, 1},
		{"sb_waiter_add_dmabuf (snapshot)", setup_waiter, NULL,
		 run_waiter_add_dmabuf_snapshot, 0},
		{"sb_waiter_add_dmabuf (poll fallback)", setup_waiter, NULL,
		 run_waiter_add_dmabuf_poll, 0},
		{"sb_waiter_add_syncobj_point (eventfd)", setup_waiter_syncobj, NULL,
		 run_waiter_add_point_eventfd, 0},
		{"sb_waiter_add_syncobj_point (timer)", setup_waiter_syncobj, NULL,
		 run_waiter_add_point_fallback, 0},
		{"sb_waiter_add_syncobj_point (export)", setup_waiter_available_point, NULL,
		 run_waiter_add_point_fallback, 0},
		{"sb_waiter_get_fd (epoll of 2)", setup_waiter_two_fences, NULL, run_waiter_get_fd,
		 0},
		{"sb_waiter_add_sync_file (to epoll)", setup_waiter_with_epoll, prepare_sync_file,
		 run_waiter_add_to_epoll, 1},
	};

	sweep_ops(t, ops, sizeof(ops) / sizeof(ops[0]));
}

/*
 * sb_waiter_dispatch() allocates when the syncobj fallback's timer finds its point submitted:
 * the point's fence is exported and waited on instead. Failing that must not fail the wait (the
 * commit it holds would be lost): dispatch says "pending", leaks nothing, and the timer's next
 * check does it; the wait then ends when the fence signals.
 */
static void dispatch_survives_enomem_in_the_syncobj_fallback(struct sb_test_ctx *t)
{
	int points[2] = {-1, -1};

	for (int kind = SB_FAULT_HEAP; kind <= SB_FAULT_KERNEL; kind++) {
		for (long k = 0; k < MAX_POINTS; k++) {
			int baseline = sb_count_fds(), fds, ret, fd;
			struct fx f;
			bool injected;

			if (!fx_init(t, &f)) {
				fx_finish(&f);
				return;
			}
			setup_waiter_syncobj(&f);
			if (!expect(t, f.waiter && f.syncobj &&
					       sb_waiter_add_syncobj_point(
						       f.waiter, f.syncobj, 1,
						       SB_WAIT_FORCE_FALLBACK) == 0)) {
				undo(&f);
				fx_finish(&f);
				return;
			}
			fd = sb_waiter_get_fd(f.waiter);
			/* The point is submitted now: the timer's next check finds it. */
			f.a = sw_sync_file(&f);
			expect(t, sb_syncobj_import_point(f.syncobj, 1, f.a) == 0);
			expect(t, sb_poll_fd(fd, POLLIN, 5000) == 1);
			fds = sb_count_fds();
			sb_test_fail_after(kind, k);
			ret = sb_waiter_dispatch(f.waiter);
			injected = sb_test_fault_injected(kind);
			sb_test_fail_after(kind, -1);
			expect(t, ret == 0 && f.done == 0 && sb_waiter_pending(f.waiter) == 1);
			if (injected) {
				/* Only the timer, re-armed: the sync_file did not stay. */
				expect(t, sb_count_fds() == fds);
				expect(t, sb_poll_fd(fd, POLLIN, 5000) == 1);
				expect(t, sb_waiter_dispatch(f.waiter) == 0);
			}
			/* The timer became the point's sync_file: as many fds. */
			expect(t, sb_count_fds() == fds && sb_waiter_pending(f.waiter) == 1);
			sb_sw_timeline_inc(f.timeline, FAR_VALUE);
			expect(t, sb_poll_fd(fd, POLLIN, 5000) == 1);
			expect(t, sb_waiter_dispatch(f.waiter) == 1 && f.done == 1);
			undo(&f);
			fx_finish(&f);
			expect(t, sb_count_fds() == baseline);
			if (!injected) {
				points[kind] = (int)k;
				break;
			}
		}
		sb_diag("%-40s %2d %s allocation(s), each survived", "sb_waiter_dispatch (timer)",
			points[kind], kind_names[kind]);
		if (points[kind] > 0)
			total_points[kind] += points[kind];
	}
	total_ops++;
	expect(t, points[SB_FAULT_HEAP] > 0 && points[SB_FAULT_KERNEL] > 0);
}

/* __FILE__ as meson passed it ("../bridge/waiter.c"), from bridge/ on. */
static const char *site_file(const struct sb_fault_site *site)
{
	const char *bridge = strstr(site->file, "bridge/");

	return bridge ? bridge : site->file;
}

/*
 * Last: the sweeps above reached every failure site of the bridge, as the hook counted them (the
 * library is linked whole, so a site in code no test calls is counted too).
 */
static void every_failure_site_was_failed(struct sb_test_ctx *t)
{
	size_t n = sb_test_fault_site_count(), never = 0;

	sb_diag("%d operations, %d heap + %d kernel sweep points", total_ops,
		total_points[SB_FAULT_HEAP], total_points[SB_FAULT_KERNEL]);
	expect(t, n > 0);
	for (size_t i = 0; i < n; i++) {
		const struct sb_fault_site *site = sb_test_fault_site(i);

		if (site->injected > 0)
			sb_diag("%-6s %s:%d %s: failed %ld time(s)", kind_names[site->kind],
				site_file(site), site->line, site->func, site->injected);
	}
	sb_diag("%zu failure sites", n);
	/* Named next to the failure they cause: an operation that reaches them is missing. */
	for (size_t i = 0; i < n; i++) {
		const struct sb_fault_site *site = sb_test_fault_site(i);

		if (site->injected > 0)
			continue;
		sb_diag("never failed: %s:%d %s (%s)", site_file(site), site->line, site->func,
			kind_names[site->kind]);
		never++;
	}
	expect(t, never == 0);
}

int main(void)
{
	static const struct sb_test tests[] = {
		SB_TEST(sync_file_operations_fail_cleanly_at_every_allocation),
		SB_TEST(dmabuf_operations_and_probes_fail_cleanly_at_every_allocation),
		SB_TEST(syncobj_operations_fail_cleanly_at_every_allocation),
		SB_TEST(waiter_operations_fail_cleanly_at_every_allocation),
		SB_TEST(dispatch_survives_enomem_in_the_syncobj_fallback),
		SB_TEST(every_failure_site_was_failed),
	};

	return sb_test_main(tests, sizeof(tests) / sizeof(tests[0]));
}
