// SPDX-License-Identifier: MIT
/*
 * Guest: a process that maps a system-heap dma-buf has it in its RSS and PSS (kernel/patches
 * 0005: vm_insert_page instead of remap_pfn_range), shared fairly between processes mapping it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kheap.h"
#include "tap.h"

#define SIZE_KB 8192l
#define SIZE ((size_t)SIZE_KB * 1024)
#define ROLLUP "/proc/self/smaps_rollup"

static void *map_and_touch(int fd)
{
	uint8_t *p = mmap(NULL, SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);

	if (p == MAP_FAILED)
		return NULL;
	for (size_t off = 0; off < SIZE; off += 4096)
		p[off] = 1;
	return p;
}

/* The "Field:" value in kB of the smaps entry of the mapping that starts at addr. */
static long smaps_field_kb(const void *addr, const char *field)
{
	char line[256], start[32];
	size_t len = strlen(field);
	bool in_vma = false;
	long value = -1;
	FILE *f = fopen("/proc/self/smaps", "re");

	if (!f)
		return -1;
	snprintf(start, sizeof(start), "%lx-", (unsigned long)addr);
	while (fgets(line, sizeof(line), f)) {
		if (strchr(line, '-') && strchr(line, ' ') && strchr(line, '-') < strchr(line, ' '))
			in_vma = strncmp(line, start, strlen(start)) == 0;
		else if (in_vma && strncmp(line, field, len) == 0 && line[len] == ':') {
			value = strtol(line + len + 1, NULL, 10);
			break;
		}
	}
	fclose(f);
	return value;
}

static void mapped_buffer_counts_in_pss_and_rss(struct sb_test_ctx *t)
{
	long pss0 = sb_proc_kb(ROLLUP, "Pss"), rss0 = sb_proc_kb(ROLLUP, "Rss"), pss1, rss1;
	int fd = sb_heap_alloc("system", SIZE);
	void *p;

	if (!expect(t, fd >= 0))
		return;
	p = map_and_touch(fd);
	if (expect(t, p != NULL)) {
		pss1 = sb_proc_kb(ROLLUP, "Pss");
		rss1 = sb_proc_kb(ROLLUP, "Rss");
		sb_diag("Pss %ld -> %ld kB, Rss %ld -> %ld kB; the mapping: Pss %ld kB, Rss %ld kB",
			pss0, pss1, rss0, rss1, smaps_field_kb(p, "Pss"), smaps_field_kb(p, "Rss"));
		/* Other pages of the process may come and go a little meanwhile. */
		expect(t, pss1 - pss0 >= SIZE_KB - 256);
		expect(t, rss1 - rss0 >= SIZE_KB - 256);
		expect(t, smaps_field_kb(p, "Pss") == SIZE_KB);
		expect(t, smaps_field_kb(p, "Rss") == SIZE_KB);
		munmap(p, SIZE);
		/* Unmapped: gone from the process's accounting again. */
		expect(t, sb_proc_kb(ROLLUP, "Pss") - pss0 < 256);
	}
	close(fd);
}

/* Two processes map the same buffer: each is charged half of it. */
static void pss_is_shared_between_processes_mapping_it(struct sb_test_ctx *t)
{
	int fd = sb_heap_alloc("system", SIZE), go[2], done[2];
	void *p = NULL;
	pid_t child;
	char c = 0;
	int status;

	if (!expect(t, fd >= 0))
		return;
	if (!expect(t, pipe(go) == 0)) {
		close(fd);
		return;
	}
	if (!expect(t, pipe(done) == 0)) {
		close(go[0]);
		close(go[1]);
		close(fd);
		return;
	}
	child = fork();
	if (child == 0) {
		/* Maps the buffer, says so, and waits until the parent has looked. */
		void *q = map_and_touch(fd);

		if (write(go[1], "m", 1) != 1)
			_exit(2);
		if (read(done[0], &c, 1) != 1)
			_exit(3);
		_exit(q && smaps_field_kb(q, "Pss") == SIZE_KB / 2 ? 0 : 1);
	}
	if (expect(t, child > 0)) {
		p = map_and_touch(fd);
		expect(t, p != NULL);
		expect(t, read(go[0], &c, 1) == 1);
		if (p) {
			long pss = smaps_field_kb(p, "Pss");

			sb_diag("mapped by two processes: Pss %ld kB of %ld kB each", pss, SIZE_KB);
			expect(t, pss == SIZE_KB / 2);
			expect(t, smaps_field_kb(p, "Rss") == SIZE_KB);
		}
		expect(t, write(done[1], "d", 1) == 1);
		expect(t, waitpid(child, &status, 0) == child);
		expect(t, WIFEXITED(status) && WEXITSTATUS(status) == 0);
		/* Alone again: the whole buffer. */
		if (p)
			expect(t, smaps_field_kb(p, "Pss") == SIZE_KB);
	}
	if (p)
		munmap(p, SIZE);
	close(go[0]);
	close(go[1]);
	close(done[0]);
	close(done[1]);
	close(fd);
}

static void private_writable_mapping_is_refused(struct sb_test_ctx *t)
{
	int fd = sb_heap_alloc("system", SIZE);

	if (!expect(t, fd >= 0))
		return;
	expect(t, mmap(NULL, SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0) == MAP_FAILED &&
			  errno == EINVAL);
	close(fd);
}

int main(void)
{
	static const struct sb_test tests[] = {
		SB_TEST(mapped_buffer_counts_in_pss_and_rss),
		SB_TEST(pss_is_shared_between_processes_mapping_it),
		SB_TEST(private_writable_mapping_is_refused),
	};

	return sb_test_main(tests, sizeof(tests) / sizeof(tests[0]));
}
