/* SPDX-License-Identifier: MIT */
#ifndef SYNCBRIDGE_TEST_HOOKS_H
#define SYNCBRIDGE_TEST_HOOKS_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Fault injection for tests only: make the bridge run out of memory at a chosen point, to check
 * that every failure returns an error (ENOMEM), releases what it took and leaves the objects
 * usable. Not for the compositor: the state is per process (as the log sink is) and not
 * thread-safe.
 */
enum sb_test_fault {
	/* malloc/calloc/realloc in the bridge (bridge/util.c: sb_malloc and friends). */
	SB_FAULT_HEAP = 0,
	/*
	 * Calls into the kernel that allocate there: new fds (dup, eventfd, timerfd, epoll, the
	 * sync_file of EXPORT_SYNC_FILE, SYNC_IOC_MERGE, syncobj exports), syncobj creation and
	 * handles, timeline fence chains (transfer, signal), syncobj waits and queries, epoll
	 * items, FILE_INFO's fence array. The call fails with ENOMEM before it is made.
	 */
	SB_FAULT_KERNEL = 1,
};

/*
 * The nth (0: the next) allocation of that kind from now fails with ENOMEM, once; the ones
 * after it work again. A negative n disarms the hook.
 */
void sb_test_fail_after(enum sb_test_fault kind, long n);
/* True if the failure armed by the last sb_test_fail_after(kind, n) has happened. */
bool sb_test_fault_injected(enum sb_test_fault kind);

/*
 * A failure site: one place in bridge/ where the hook can fail an allocation (a call of
 * sb_calloc, sb_realloc, sb_dup_cloexec or SB_KERNEL_ALLOC, bridge/util.h). Each one describes
 * itself where it is compiled, so a sweep can show that it failed every site there is, not only
 * the operations its author thought of.
 */
struct sb_fault_site {
	enum sb_test_fault kind;
	const char *file; /* __FILE__ as the bridge was compiled: "../bridge/waiter.c" */
	int line;
	const char *func;
	long injected; /* failures the hook made here since the process started */
};

/*
 * The sites linked into this program, i = 0 .. sb_test_fault_site_count() - 1, in the linker's
 * order. A static library brings only the objects a program references: a test that must see
 * every site of the bridge links libsyncbridge whole (meson: link_whole).
 */
size_t sb_test_fault_site_count(void);
const struct sb_fault_site *sb_test_fault_site(size_t i);

/* The heap case, by the name the issue gives it. */
static inline void sb_test_fail_alloc_after(long n)
{
	sb_test_fail_after(SB_FAULT_HEAP, n);
}

#endif
