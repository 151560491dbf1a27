// SPDX-License-Identifier: MIT
/*
 * Fault injection on the host: the bridge's allocation hook (syncbridge/test_hooks.h) itself, and
 * the bridge paths that work without a kernel's fences (a waiter, its epoll set, argument checks
 * on pipes, eventfds and memfds). Every allocation k = 0, 1, ... of an operation is failed in
 * turn until the operation runs past the hook: each failure must be -1 or NULL with ENOMEM, leave
 * the fd count as it was (and, under ASan, no memory: LeakSanitizer at exit), and the operation
 * must then work when asked again. tests/vm/bridge/alloc_fail_test.c does the same on real fences.
 * Last, the failure sites the hook counted: every one a host can reach must have failed, and the
 * others are named as left to the guest.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include <syncbridge/dmabuf.h>
#include <syncbridge/sync_file.h>
#include <syncbridge/syncobj.h>
#include <syncbridge/test_hooks.h>
#include <syncbridge/waiter.h>

#include "tap.h"

/* No bridge operation allocates more than this; a sweep that gets there never ended. */
#define MAX_POINTS 32

static const char *const kind_names[] = {
	[SB_FAULT_HEAP] = "heap",
	[SB_FAULT_KERNEL] = "kernel",
};

/*
 * The failure sites a host without fences reaches: the waiter's own memory and its epoll set.
 * Every other site needs a sync_file, a dma-buf or a DRM device first. By file and function,
 * not line, so that an edit elsewhere in the file does not move them.
 */
static const struct {
	const char *file, *func;
} host_sites[] = {
	{"bridge/waiter.c", "sb_waiter_create"},
	{"bridge/waiter.c", "make_epoll"},
};

static void done_noop(struct sb_waiter *waiter, int status, void *data)
{
}

struct ctx {
	struct sb_waiter *waiter;
	int fd;
};

/* An operation under test: made fresh by setup, run under the hook, released by undo. */
struct op {
	const char *name;
	void (*setup)(struct ctx *c);
	int (*run)(struct ctx *c);
	void (*undo)(struct ctx *c);
};

static void setup_waiter(struct ctx *c)
{
	c->waiter = sb_waiter_create(done_noop, NULL);
}

static void undo_waiter(struct ctx *c)
{
	sb_waiter_destroy(c->waiter);
	c->waiter = NULL;
}

static int run_waiter_create(struct ctx *c)
{
	c->waiter = sb_waiter_create(done_noop, NULL);
	return c->waiter ? 0 : -1;
}

/* An empty waiter has no fence's fd to hand out: it makes its epoll set. */
static int run_waiter_get_fd(struct ctx *c)
{
	return sb_waiter_get_fd(c->waiter) < 0 ? -1 : 0;
}

/*
 * Sweeps op under the hook of one kind. Returns the number of allocations the operation made
 * (the sweep points), or -1 if the sweep found something wrong.
 */
static int sweep(struct sb_test_ctx *t, const struct op *op, enum sb_test_fault kind)
{
	int baseline = sb_count_fds();

	for (long k = 0; k < MAX_POINTS; k++) {
		struct ctx c = {.fd = -1};
		bool injected;
		int ret, err, fds;

		if (op->setup)
			op->setup(&c);
		fds = sb_count_fds();
		sb_test_fail_after(kind, k);
		ret = op->run(&c);
		err = errno;
		injected = sb_test_fault_injected(kind);
		sb_test_fail_after(kind, -1);
		if (!injected) {
			expect(t, ret == 0);
			op->undo(&c);
			expect(t, sb_count_fds() == baseline);
			sb_diag("%s: %ld %s allocation(s), each failing cleanly", op->name, k,
				kind_names[kind]);
			return (int)k;
		}
		if (!expect(t, ret < 0 && err == ENOMEM))
			sb_diag("%s, %s allocation %ld failing: ret %d, %s", op->name,
				kind_names[kind], k, ret, strerror(err));
		if (!expect(t, sb_count_fds() == fds))
			sb_diag("%s, %s allocation %ld failing: fds %d -> %d", op->name,
				kind_names[kind], k, fds, sb_count_fds());
		/* What failed is not broken: the same call works now. */
		ret = op->run(&c);
		if (!expect(t, ret == 0))
			sb_diag("%s after a failure: %s", op->name, strerror(errno));
		op->undo(&c);
		expect(t, sb_count_fds() == baseline);
	}
	expect(t, false);
	return -1;
}

static void hook_fails_only_the_nth_allocation(struct sb_test_ctx *t)
{
	struct sb_waiter *w[4];

	sb_test_fail_alloc_after(2);
	w[0] = sb_waiter_create(done_noop, NULL);
	w[1] = sb_waiter_create(done_noop, NULL);
	expect(t, !sb_test_fault_injected(SB_FAULT_HEAP));
	w[2] = sb_waiter_create(done_noop, NULL);
	expect(t, errno == ENOMEM);
	expect(t, sb_test_fault_injected(SB_FAULT_HEAP));
	/* Once: the allocations after the failed one work. */
	w[3] = sb_waiter_create(done_noop, NULL);
	expect(t, w[0] && w[1] && !w[2] && w[3]);
	/* The other kind is not touched. */
	expect(t, !sb_test_fault_injected(SB_FAULT_KERNEL));
	for (int i = 0; i < 4; i++)
		sb_waiter_destroy(w[i]);
}

static void hook_is_disarmed_by_a_negative_count(struct sb_test_ctx *t)
{
	struct sb_waiter *waiter;

	sb_test_fail_after(SB_FAULT_HEAP, 0);
	sb_test_fail_after(SB_FAULT_HEAP, -1);
	sb_test_fail_after(SB_FAULT_KERNEL, 0);
	sb_test_fail_after(SB_FAULT_KERNEL, -1);
	waiter = sb_waiter_create(done_noop, NULL);
	expect(t, waiter != NULL);
	expect(t, waiter && sb_waiter_get_fd(waiter) >= 0);
	expect(t, !sb_test_fault_injected(SB_FAULT_HEAP));
	expect(t, !sb_test_fault_injected(SB_FAULT_KERNEL));
	sb_waiter_destroy(waiter);
}

static void waiter_create_fails_with_enomem_at_every_allocation(struct sb_test_ctx *t)
{
	static const struct op op = {"sb_waiter_create", NULL, run_waiter_create, undo_waiter};

	expect(t, sweep(t, &op, SB_FAULT_HEAP) == 1);
	/* Making a waiter asks nothing of the kernel. */
	expect(t, sweep(t, &op, SB_FAULT_KERNEL) == 0);
}

static void waiter_get_fd_fails_with_enomem_and_stays_usable(struct sb_test_ctx *t)
{
	static const struct op op = {"sb_waiter_get_fd (empty)", setup_waiter, run_waiter_get_fd,
				     undo_waiter};

	/* epoll_create1(): one kernel allocation, nothing on the heap. */
	expect(t, sweep(t, &op, SB_FAULT_KERNEL) == 1);
	expect(t, sweep(t, &op, SB_FAULT_HEAP) == 0);
}

/*
 * A bad argument is reported as what it is even when memory is short: the checks come before
 * the allocations, and an fd the call owns is closed all the same.
 */
static void argument_errors_come_before_any_allocation(struct sb_test_ctx *t)
{
	int pipe_fds[2], efd = eventfd(0, EFD_CLOEXEC), memfd = memfd_create("sb", MFD_CLOEXEC);
	struct sb_waiter *waiter = sb_waiter_create(done_noop, NULL);
	int fds;

	if (!expect(t, waiter && efd >= 0 && memfd >= 0 && pipe2(pipe_fds, O_CLOEXEC) == 0))
		goto out;
	fds = sb_count_fds();
	sb_test_fail_after(SB_FAULT_HEAP, 0);
	sb_test_fail_after(SB_FAULT_KERNEL, 0);
	/* Takes ownership: closed on failure. */
	expect_null_errno(t, sb_sync_file_import(pipe_fds[0]), EINVAL);
	expect(t, sb_count_fds() == fds - 1);
	expect_null_errno(t, sb_sync_file_import_dup(efd), EINVAL);
	expect_null_errno(t, sb_dmabuf_export_sync_file(memfd, SB_ACCESS_READ), EINVAL);
	expect_errno(t, sb_waiter_add_dmabuf(waiter, memfd, SB_ACCESS_READ, 0), EINVAL);
	expect_errno(
		t,
		sb_waiter_add_dmabuf(waiter, pipe_fds[1], SB_ACCESS_READ, SB_WAIT_FORCE_FALLBACK),
		EINVAL);
	expect_errno(t, sb_waiter_add_sync_file(waiter, NULL), EINVAL);
	expect_null_errno(t, sb_syncobj_create(memfd), EINVAL);
	/* Takes ownership of the syncobj fd: closed on failure. */
	expect_null_errno(t, sb_syncobj_import(memfd, pipe_fds[1]), EINVAL);
	expect(t, sb_count_fds() == fds - 2);
	expect(t, !sb_test_fault_injected(SB_FAULT_HEAP));
	expect(t, !sb_test_fault_injected(SB_FAULT_KERNEL));
	expect(t, sb_waiter_pending(waiter) == 0);
	sb_test_fail_after(SB_FAULT_HEAP, -1);
	sb_test_fail_after(SB_FAULT_KERNEL, -1);
out:
	sb_waiter_destroy(waiter);
	if (efd >= 0)
		close(efd);
	if (memfd >= 0)
		close(memfd);
}

/* __FILE__ as meson passed it ("../bridge/waiter.c"), from bridge/ on. */
static const char *site_file(const struct sb_fault_site *site)
{
	const char *bridge = strstr(site->file, "bridge/");

	return bridge ? bridge : site->file;
}

static bool site_is(const struct sb_fault_site *site, const char *file, const char *func)
{
	return strcmp(site_file(site), file) == 0 && strcmp(site->func, func) == 0;
}

static bool host_reaches(const struct sb_fault_site *site)
{
	for (size_t i = 0; i < sizeof(host_sites) / sizeof(host_sites[0]); i++)
		if (site_is(site, host_sites[i].file, host_sites[i].func))
			return true;
	return false;
}

/* Last: what the sweeps above failed, site by site, as the hook counted it. */
static void every_site_a_host_reaches_was_failed(struct sb_test_ctx *t)
{
	size_t n = sb_test_fault_site_count(), kinds[2] = {0}, failed = 0;

	/* The library is linked whole: every site of the bridge is here. */
	expect(t, n > 0);
	for (size_t i = 0; i < n; i++) {
		const struct sb_fault_site *site = sb_test_fault_site(i);

		kinds[site->kind]++;
		if (site->injected > 0)
			failed++;
		if (!host_reaches(site)) {
			sb_diag("left to the guest: %s:%d %s (%s)", site_file(site), site->line,
				site->func, kind_names[site->kind]);
			continue;
		}
		if (!expect(t, site->injected > 0))
			sb_diag("never failed: %s:%d %s (%s)", site_file(site), site->line,
				site->func, kind_names[site->kind]);
	}
	/* A function renamed or moved must not make the expectation above an empty one. */
	for (size_t h = 0; h < sizeof(host_sites) / sizeof(host_sites[0]); h++) {
		size_t found = 0;

		for (size_t i = 0; i < n; i++)
			found += site_is(sb_test_fault_site(i), host_sites[h].file,
					 host_sites[h].func);
		if (!expect(t, found > 0))
			sb_diag("no failure site in %s %s", host_sites[h].file, host_sites[h].func);
	}
	sb_diag("%zu failure sites (%zu heap, %zu kernel): %zu failed here, %zu left to the guest",
		n, kinds[SB_FAULT_HEAP], kinds[SB_FAULT_KERNEL], failed, n - failed);
}

int main(void)
{
	static const struct sb_test tests[] = {
		SB_TEST(hook_fails_only_the_nth_allocation),
		SB_TEST(hook_is_disarmed_by_a_negative_count),
		SB_TEST(waiter_create_fails_with_enomem_at_every_allocation),
		SB_TEST(waiter_get_fd_fails_with_enomem_and_stays_usable),
		SB_TEST(argument_errors_come_before_any_allocation),
		SB_TEST(every_site_a_host_reaches_was_failed),
	};

	return sb_test_main(tests, sizeof(tests) / sizeof(tests[0]));
}
