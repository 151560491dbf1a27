// SPDX-License-Identifier: MIT
/*
 * Guest benchmark: allocation latency of the chunk heap (fail-fast first, kernel/patches 0004)
 * against the CMA heap on the same CMA area, in the same run, alternating between the two (each
 * goes first every other time, after one unsampled warm-up allocation each per size) so that
 * both see the same conditions. Two scenarios:
 *   idle     the area is free;
 *   movable  anonymous memory fills the area's free pages first (free normal memory is pushed
 *            below free CMA memory), so every allocation has to migrate pages out of its way.
 * Each allocation is timed from DMA_HEAP_IOCTL_ALLOC to the fd, then the buffer is freed.
 * Prints TAP (one result per scenario and heap) and the samples as "# csv: ..." comments, which
 * kernel/bench/report.py turns into CSV, a PNG and a markdown table.
 *
 *   heap_latency_bench [ITERATIONS [TAG]]   (default 60 per size, scenario and heap)
 *
 * TAG is appended to both heaps' names in the samples, to tell runs apart in one report (the
 * ablation in kernel/README.md runs it once per chunk_heap.max_range_order in one boot).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <fcntl.h>
#include <pthread.h>

#include "busy.h"
#include "kheap.h"

#define KiB 1024ull
#define MiB (1024 * KiB)
#define EAT_MAX 160
#define HOLD_NS (300ull * 1000 * 1000)

static const uint64_t sizes[] = {64 * KiB, 1 * MiB, 4 * MiB, 16 * MiB};
static const char *const heaps[] = {SB_CHUNK_HEAP, SB_CMA_HEAP};

struct reader {
	const char *path;
	volatile bool stop;
	unsigned long reads;
};

/* Reads the FUSE file 128 KiB at a time, dropping what it read every 16 MiB (new pages). */
static void *reader_loop(void *arg)
{
	struct reader *r = arg;
	char *buf = malloc(128 * KiB);
	int fd = open(r->path, O_RDONLY | O_CLOEXEC);
	uint64_t off = 0;

	while (fd >= 0 && buf && !r->stop) {
		if (pread(fd, buf, 128 * KiB, (off_t)off) <= 0)
			break;
		r->reads++;
		off += 128 * KiB;
		if (off % (16 * MiB) == 0)
			posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
		if (off >= SB_FUSE_FILE_SIZE)
			off = 0;
	}
	if (fd >= 0)
		close(fd);
	free(buf);
	return NULL;
}

static const char *tag = "";

/* One allocation from heap h, freed at once: its time in ns, or 0 on failure (counted). */
static uint64_t alloc_once(const char *scenario, int h, uint64_t size, int *failures)
{
	uint64_t start = sb_now_ns(), ns;
	int fd = sb_heap_alloc(heaps[h], size);

	ns = sb_now_ns() - start;
	if (fd < 0) {
		failures[h]++;
		printf("# %s %s %llu KiB: %s\n", scenario, heaps[h], (unsigned long long)(size / KiB),
		       strerror(errno));
		return 0;
	}
	close(fd);
	return ns;
}

static int run(const char *scenario, int iterations, int *tap)
{
	int failures[2] = {0, 0};

	for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		/*
		 * The first allocation of a size moves whatever the scenario left in the way of a
		 * range that long; the heap that went first would pay it for both. One warm-up each,
		 * reported but not sampled; then the heaps take turns going first.
		 */
		for (int h = 0; h < 2; h++)
			printf("# warm-up: %s %s %llu KiB: %llu ns\n", scenario, heaps[h],
			       (unsigned long long)(sizes[s] / KiB),
			       (unsigned long long)alloc_once(scenario, h, sizes[s], failures));
		for (int i = 0; i < iterations; i++) {
			for (int k = 0; k < 2; k++) {
				int h = (i + k) % 2;
				uint64_t ns = alloc_once(scenario, h, sizes[s], failures);

				if (!ns)
					continue;
				printf("# csv: %s,%s%s%s,%llu,%d,%llu\n", scenario,
				       h == 0 ? "chunk (fail-fast)" : "cma", *tag ? " " : "", tag,
				       (unsigned long long)(sizes[s] / KiB), i, (unsigned long long)ns);
			}
		}
	}
	for (int h = 0; h < 2; h++)
		printf("%s %d - %s: %s heap, %d allocation failures\n", failures[h] ? "not ok" : "ok",
		       ++*tap, scenario, heaps[h], failures[h]);
	fflush(stdout);
	return failures[0] + failures[1];
}

int main(int argc, char **argv)
{
	int iterations = argc > 1 ? atoi(argv[1]) : 60, tap = 0, failed = 0, n;
	struct sb_fuse_server fuse;
	struct reader r = {0};
	pthread_t thread;
	void *chunks[EAT_MAX];

	if (argc > 2)
		tag = argv[2];
	printf("1..6\n# csv: scenario,heap,size_kib,iteration,ns\n");
	failed += run("idle", iterations, &tap);
	n = sb_eat_normal_memory(chunks, EAT_MAX, 96 * 1024);
	printf("# movable: %d MiB of anonymous memory, MemFree %ld kB, CmaFree %ld kB\n",
	       n * (int)(SB_EAT_STEP / MiB), sb_proc_kb("/proc/meminfo", "MemFree"),
	       sb_proc_kb("/proc/meminfo", "CmaFree"));
	failed += run("movable", iterations, &tap);
	if (!sb_fuse_start(&fuse, HOLD_NS, true)) {
		printf("Bail out! FUSE server: %s\n", strerror(errno));
		return 1;
	}
	r.path = fuse.path;
	if (pthread_create(&thread, NULL, reader_loop, &r) != 0) {
		printf("Bail out! reader thread\n");
		return 1;
	}
	failed += run("locked", iterations, &tap);
	r.stop = true;
	pthread_join(thread, NULL);
	printf("# locked: %lu READs held %llu ms each meanwhile\n", fuse.held,
	       (unsigned long long)(HOLD_NS / 1000000));
	sb_fuse_stop(&fuse);
	while (n > 0)
		munmap(chunks[--n], SB_EAT_STEP);
	return failed ? 1 : 0;
}
