// SPDX-License-Identifier: MIT
/*
 * Guest: fail-fast CMA allocation (kernel/patches 0002 + 0004). Pages of the CMA area are made
 * busy the way a slow file system makes them: the test serves a FUSE file itself and holds back
 * the reply to a READ, so the page-cache pages being read stay locked. Then:
 *  - a chunk-heap allocation that has to get past those pages (it tries __GFP_NORETRY first)
 *    completes while they are still locked, and none of its chunks holds a locked page;
 *  - a blocking CMA allocation of a range that holds a locked page (debugfs cma/.../alloc,
 *    cma_alloc without __GFP_NORETRY) waits until the READ is answered.
 * Boot with a small CMA area in a small guest (--memory 384M, cma=64M: kernel/README.md): the test
 * fills most normal memory with unmovable pipe buffers, so page-cache pages land in the CMA area.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>


#include "busy.h"
#include "kheap.h"
#include "tap.h"

#define MiB (1024ull * 1024)
#define PAGE 4096u
#define CHUNK_PAGES (SB_CHUNK_SIZE / PAGE)
/* How long the server holds back the first READ reply. */
#define HOLD_NS (6ull * 1000000000)
#define KPF_LOCKED 0

/* --- Busy pages in the CMA area. */

struct reader {
	char path[160];
	pthread_t thread;
	ssize_t got;
};

static void *read_file(void *arg)
{
	struct reader *r = arg;
	char *buf = malloc(64 * 1024);
	int fd = open(r->path, O_RDONLY | O_CLOEXEC);

	r->got = fd >= 0 && buf ? pread(fd, buf, 64 * 1024, 0) : -1;
	if (fd >= 0)
		close(fd);
	free(buf);
	return NULL;
}

/* The page flags of [base, base + count) (/proc/kpageflags, root), or NULL. */
static uint64_t *page_flags(unsigned long base, unsigned long count)
{
	uint64_t *flags = malloc(count * sizeof(*flags));
	int fd = open("/proc/kpageflags", O_RDONLY | O_CLOEXEC);
	ssize_t want = (ssize_t)(count * sizeof(*flags));

	if (fd < 0 || !flags || pread(fd, flags, (size_t)want, (off_t)(base * sizeof(*flags))) != want) {
		free(flags);
		flags = NULL;
	}
	if (fd >= 0)
		close(fd);
	return flags;
}

/*
 * Pages of [base, base + count) locked in two looks 200 ms apart (not a passing lock): how many,
 * and the first one.
 */
static long held_locked_pages(unsigned long base, unsigned long count, unsigned long *first)
{
	struct timespec ts = {0, 200 * 1000 * 1000};
	uint64_t *a = page_flags(base, count), *b;
	long n = -1;

	nanosleep(&ts, NULL);
	b = page_flags(base, count);
	if (a && b) {
		n = 0;
		for (unsigned long i = 0; i < count; i++) {
			if (a[i] & b[i] & (1ull << KPF_LOCKED)) {
				if (!n)
					*first = base + i;
				n++;
			}
		}
	}
	free(a);
	free(b);
	return n;
}

#define PIPES_MAX 480

static bool cma_debugfs_write(const char *file, unsigned long value)
{
	char path[96], text[32];
	int fd, len;
	bool ok;

	snprintf(path, sizeof(path), "/sys/kernel/debug/cma/%s/%s", SB_CMA_AREA, file);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	len = snprintf(text, sizeof(text), "%lu\n", value);
	ok = write(fd, text, (size_t)len) == len;
	close(fd);
	return ok;
}

/*
 * One attempt. Returns false, having asserted nothing about the heap, when the precondition was
 * not met: none of the held READ's page-cache pages landed in the CMA area (the page allocator
 * may still serve them from its per-CPU lists of normal pages).
 */
static bool failfast_attempt(struct sb_test_ctx *t)
{
	bool precondition = true;
	unsigned long base = 0, count = 0, used = 0, busy = 0;
	struct sb_fuse_server s;
	struct reader r = {0};
	int pipes[2 * PIPES_MAX], n_pipes = 0;
	long n_locked = 0;
	bool reading = false;

	expect(t, sb_cma_read(SB_CMA_AREA, "base_pfn", &base));
	expect(t, sb_cma_read(SB_CMA_AREA, "count", &count));
	expect(t, sb_cma_read(SB_CMA_AREA, "used", &used));
	if (!expect(t, count > 0 && used == 0))
		return true;
	if (!expect(t, sb_fuse_start(&s, HOLD_NS, false))) {
		sb_diag("FUSE server: %s", strerror(errno));
		return true;
	}
	/* Normal memory into unmovable pipe buffers: free memory is then mostly the CMA area's. */
	n_pipes = sb_pin_normal_memory(pipes, PIPES_MAX, 6 * 1024);
	sb_diag("%d MiB in pipe buffers: MemFree %ld kB, CmaFree %ld kB", n_pipes,
		sb_proc_kb("/proc/meminfo", "MemFree"), sb_proc_kb("/proc/meminfo", "CmaFree"));

	/*
	 * Page-cache pages come first from the per-CPU free lists, which hold normal pages. A
	 * one-page CMA allocation runs alloc_contig_range(), which drains those lists, so the
	 * READ's pages then come from the buddy lists, where the CMA area is preferred while it
	 * holds most of the free memory.
	 */
	if (cma_debugfs_write("alloc", 1))
		cma_debugfs_write("free", 1);
	snprintf(r.path, sizeof(r.path), "%s", s.path);
	reading = expect(t, pthread_create(&r.thread, NULL, read_file, &r) == 0);
	/* Wait for the READ to be held and its pages to show up locked in the area. */
	for (int i = 0; reading && i < 200 && !s.hold_start_ns; i++) {
		struct timespec ts = {0, 10 * 1000 * 1000};

		nanosleep(&ts, NULL);
	}
	n_locked = held_locked_pages(base, count, &busy);
	if (n_locked < 0) {
		expect(t, n_locked >= 0);
		goto out;
	}
	if (n_locked == 0) {
		sb_diag("no locked page in the CMA area (PFN 0x%lx+0x%lx)", base, count);
		precondition = false;
		goto out;
	}
	sb_diag("%ld locked page(s) in the CMA area, the first at PFN 0x%lx (area offset %lu KiB)",
		n_locked, busy, (busy - base) * 4);

	/* Fail-fast: enough chunks that the heap has to go past the first locked page. */
	{
		uint64_t size = ((busy - base) / CHUNK_PAGES + 1 + 16) * (uint64_t)SB_CHUNK_SIZE;
		uint64_t start = sb_now_ns(), took, held_for;
		int fd = sb_heap_alloc(SB_CHUNK_HEAP, size);

		took = sb_now_ns() - start;
		held_for = sb_now_ns() - s.hold_start_ns;
		sb_diag("fail-fast: %llu KiB from the chunk heap in %.3f s, READ held for %.3f s so far",
			(unsigned long long)(size / 1024), took / 1e9, held_for / 1e9);
		if (expect(t, fd >= 0)) {
			size_t n = size / PAGE, with_busy = 0;
			uint64_t *pfns = calloc(n, sizeof(*pfns));
			void *p = mmap(NULL, size, PROT_READ, MAP_SHARED, fd, 0);

			/* Done while the page was still locked: it did not wait for it. */
			expect(t, held_for < HOLD_NS);
			expect(t, took < HOLD_NS / 2);
			/* The chunk with the locked page was skipped, not waited for. */
			if (expect(t, p != MAP_FAILED && pfns && sb_pagemap_pfns(p, n, pfns))) {
				for (size_t i = 0; i < n; i++)
					with_busy += pfns[i] == busy;
				expect(t, with_busy == 0);
			}
			if (p != MAP_FAILED)
				munmap(p, size);
			free(pfns);
			close(fd);
		}
	}

	/* Blocking: the first pages of the area up to the locked one, first fit from the start. */
	{
		uint64_t start = sb_now_ns(), took, held_for;
		unsigned long pages = busy - base + 1;
		bool ok = cma_debugfs_write("alloc", pages);

		took = sb_now_ns() - start;
		held_for = sb_now_ns() - s.hold_start_ns;
		sb_diag("blocking: %lu KiB with cma_alloc() in %.3f s (%s), READ answered after %.3f s",
			pages * 4, took / 1e9, ok ? "allocated" : "failed", HOLD_NS / 1e9);
		/* It only got the range once the READ was answered and the pages unlocked. */
		expect(t, held_for >= HOLD_NS);
		expect(t, ok);
		if (ok)
			expect(t, cma_debugfs_write("free", pages));
	}
out:
	if (reading) {
		pthread_join(r.thread, NULL);
		expect(t, r.got == 64 * 1024);
	}
	while (n_pipes > 0) {
		n_pipes--;
		close(pipes[2 * n_pipes]);
		close(pipes[2 * n_pipes + 1]);
	}
	sb_fuse_stop(&s);
	return precondition;
}

static void failfast_allocation_skips_locked_pages_blocking_one_waits(struct sb_test_ctx *t)
{
	for (int attempt = 1; attempt <= 6; attempt++) {
		if (failfast_attempt(t))
			return;
		sb_diag("attempt %d: the precondition was not met, again", attempt);
	}
	expect(t, !"locked page-cache pages in the CMA area after 6 attempts");
}

int main(void)
{
	static const struct sb_test tests[] = {
		SB_TEST(failfast_allocation_skips_locked_pages_blocking_one_waits),
	};

	return sb_test_main(tests, sizeof(tests) / sizeof(tests[0]));
}
