// SPDX-License-Identifier: MIT
/*
 * Guest: the chunk dma-heap of kernel/patches (0004), bound to the default CMA area as
 * /dev/dma_heap/chunk-reserved with 64 KiB chunks. Boot with a CMA area of at least 320 MiB
 * (kernel/README.md has the tests/vm/run line: cma=384M). Needs root (pagemap PFNs, debugfs).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/dma-buf.h>
#include <linux/dma-heap.h>
#include <xf86drm.h>

#include "kdev.h"
#include "kheap.h"
#include "tap.h"

#define MiB (1024ull * 1024)
#define PAGE 4096u
#define CHUNK_PAGES (SB_CHUNK_SIZE / PAGE)

static void *map_shared(int fd, size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);

	return p == MAP_FAILED ? NULL : p;
}

static bool dmabuf_sync(int fd, uint64_t flags)
{
	struct dma_buf_sync sync = {.flags = flags};

	return ioctl(fd, DMA_BUF_IOCTL_SYNC, &sync) == 0;
}

/* Writes a per-page pattern (page index + seed) to every page, then checks it reads back. */
static bool pattern_round_trip(uint8_t *p, size_t size, uint32_t seed)
{
	for (size_t off = 0; off < size; off += PAGE)
		*(uint32_t *)(p + off) = (uint32_t)(off / PAGE) + seed;
	for (size_t off = 0; off < size; off += PAGE)
		if (*(uint32_t *)(p + off) != (uint32_t)(off / PAGE) + seed)
			return false;
	return true;
}

static bool all_zero(const uint8_t *p, size_t size)
{
	for (size_t i = 0; i < size; i += sizeof(uint64_t))
		if (*(const uint64_t *)(p + i))
			return false;
	return true;
}

static void heap_device_is_present(struct sb_test_ctx *t)
{
	int fd = open("/dev/dma_heap/" SB_CHUNK_HEAP, O_RDONLY | O_CLOEXEC);
	unsigned long count = 0;

	if (expect(t, fd >= 0))
		close(fd);
	/* The area the heap allocates from, in pages: big enough for the tests below. */
	expect(t, sb_cma_read(SB_CMA_AREA, "count", &count));
	expect(t, count * PAGE >= 320 * MiB);
	sb_diag("CMA area %s: %llu MiB", SB_CMA_AREA, count * PAGE / MiB);
}

static void one_chunk_is_zeroed_mappable_and_writable(struct sb_test_ctx *t)
{
	int fd = sb_heap_alloc(SB_CHUNK_HEAP, SB_CHUNK_SIZE);
	uint8_t *p;

	if (!expect(t, fd >= 0))
		return;
	expect(t, sb_dmabuf_size(fd) == SB_CHUNK_SIZE);
	p = map_shared(fd, SB_CHUNK_SIZE);
	if (expect(t, p != NULL)) {
		expect(t, dmabuf_sync(fd, DMA_BUF_SYNC_START | DMA_BUF_SYNC_RW));
		expect(t, all_zero(p, SB_CHUNK_SIZE));
		expect(t, pattern_round_trip(p, SB_CHUNK_SIZE, 0x5eed));
		expect(t, dmabuf_sync(fd, DMA_BUF_SYNC_END | DMA_BUF_SYNC_RW));
		munmap(p, SB_CHUNK_SIZE);
	}
	close(fd);
}

static void size_is_rounded_up_to_whole_chunks(struct sb_test_ctx *t)
{
	static const struct {
		uint64_t asked, got;
	} cases[] = {
		{1, SB_CHUNK_SIZE},
		{PAGE, SB_CHUNK_SIZE},
		{SB_CHUNK_SIZE + 1, 2 * SB_CHUNK_SIZE},
		{MiB + PAGE, MiB + SB_CHUNK_SIZE},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int fd = sb_heap_alloc(SB_CHUNK_HEAP, cases[i].asked);

		if (!expect(t, fd >= 0))
			continue;
		if (!expect(t, sb_dmabuf_size(fd) == (long long)cases[i].got))
			sb_diag("asked %llu, got %lld", (unsigned long long)cases[i].asked,
				sb_dmabuf_size(fd));
		close(fd);
	}
}

/* From one chunk to hundreds of MiB: allocated, mapped, every page written and read back. */
static void sizes_up_to_hundreds_of_mib_map_and_hold_data(struct sb_test_ctx *t)
{
	static const uint64_t sizes[] = {SB_CHUNK_SIZE, MiB, 16 * MiB, 64 * MiB, 256 * MiB};

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		uint64_t start = sb_now_ns();
		int fd = sb_heap_alloc(SB_CHUNK_HEAP, sizes[i]);
		uint64_t alloc_ns = sb_now_ns() - start;
		uint8_t *p;

		if (!expect(t, fd >= 0)) {
			sb_diag("%llu MiB: %s", (unsigned long long)(sizes[i] / MiB), strerror(errno));
			continue;
		}
		p = map_shared(fd, sizes[i]);
		if (expect(t, p != NULL)) {
			expect(t, pattern_round_trip(p, sizes[i], (uint32_t)i));
			munmap(p, sizes[i]);
		}
		/* A second mapping sees what the first one wrote: both map the buffer itself. */
		p = map_shared(fd, sizes[i]);
		if (expect(t, p != NULL)) {
			expect(t, *(uint32_t *)(p + sizes[i] - PAGE) ==
					  (uint32_t)(sizes[i] / PAGE - 1) + (uint32_t)i);
			munmap(p, sizes[i]);
		}
		sb_diag("%6llu KiB: allocated in %.1f ms", (unsigned long long)(sizes[i] / 1024),
			alloc_ns / 1e6);
		close(fd);
	}
}

/* Each 64 KiB chunk: physically contiguous, aligned to its size, inside the CMA area. */
static void chunks_are_aligned_contiguous_and_in_the_cma_area(struct sb_test_ctx *t)
{
	const size_t size = 32 * MiB, n = size / PAGE;
	unsigned long base = 0, count = 0;
	uint64_t *pfns = calloc(n, sizeof(*pfns));
	size_t bad_align = 0, bad_contig = 0, outside = 0, distinct_runs = 0;
	uint8_t *p = NULL;
	int fd;

	expect(t, sb_cma_read(SB_CMA_AREA, "base_pfn", &base));
	expect(t, sb_cma_read(SB_CMA_AREA, "count", &count));
	fd = sb_heap_alloc(SB_CHUNK_HEAP, size);
	if (!expect(t, fd >= 0) || !expect(t, pfns != NULL))
		goto out;
	p = map_shared(fd, size);
	if (!expect(t, p != NULL))
		goto out;
	if (!expect(t, sb_pagemap_pfns(p, n, pfns)))
		goto out;
	for (size_t c = 0; c < n / CHUNK_PAGES; c++) {
		const uint64_t *chunk = pfns + c * CHUNK_PAGES;

		bad_align += chunk[0] % CHUNK_PAGES != 0;
		for (size_t i = 1; i < CHUNK_PAGES; i++)
			bad_contig += chunk[i] != chunk[0] + i;
		outside += chunk[0] < base || chunk[0] + CHUNK_PAGES > base + count;
		/* Chunks need not follow each other: count where they do not. */
		distinct_runs += c == 0 || chunk[0] != chunk[-1] + 1;
	}
	expect(t, bad_align == 0);
	expect(t, bad_contig == 0);
	expect(t, outside == 0);
	sb_diag("%zu chunks, %zu physically separate runs, first PFN 0x%llx (area 0x%lx+0x%lx)",
		n / CHUNK_PAGES, distinct_runs, (unsigned long long)pfns[0], base, count);
out:
	if (p)
		munmap(p, size);
	if (fd >= 0)
		close(fd);
	free(pfns);
}

/*
 * The devices attached to the dma-buf of inode ino, from debugfs dma_buf/bufinfo: a
 * "dev1 dev2 " list, or NULL if the buffer is not listed.
 */
static char *bufinfo_attachments(unsigned long ino, char *out, size_t size)
{
	FILE *f = fopen("/sys/kernel/debug/dma_buf/bufinfo", "re");
	char line[256], *found = NULL;
	bool ours = false;

	if (!f)
		return NULL;
	out[0] = '\0';
	while (fgets(line, sizeof(line), f)) {
		unsigned long size_field, count, line_ino;
		unsigned int flags, mode;
		char exp_name[64], dev[64];

		/* size flags mode count exp_name ino name */
		if (sscanf(line, "%lu %x %x %lu %63s %lu", &size_field, &flags, &mode, &count,
			   exp_name, &line_ino) == 6) {
			ours = line_ino == ino;
			if (ours)
				found = out;
		} else if (ours && line[0] == '\t' && sscanf(line, " %63s", dev) == 1 &&
			   strcmp(dev, "Attached") != 0 &&
			   strlen(out) + strlen(dev) + 2 < size) {
			strcat(out, dev);
			strcat(out, " ");
		}
	}
	fclose(f);
	return found;
}

/*
 * vgem imports the buffer (PRIME): it attaches and maps it (with CONFIG_DMABUF_DEBUG, through
 * scrambled page pointers), the same dma-buf comes back when exported again, and closing the
 * handle detaches it. The data is left alone. (vgem refuses to mmap imported objects, so the
 * data cannot be read through it.)
 */
static void buffer_imports_into_vgem_through_prime(struct sb_test_ctx *t)
{
	const size_t size = 4 * MiB;
	int vgem = sb_drm_open_by_name("vgem");
	int fd = sb_heap_alloc(SB_CHUNK_HEAP, size), fd2 = -1;
	uint32_t handle = 0, handle2 = 0;
	char attached[256];
	uint8_t *p = NULL;
	struct stat st;

	if (!expect(t, vgem >= 0) || !expect(t, fd >= 0) || !expect(t, fstat(fd, &st) == 0))
		goto out;
	p = map_shared(fd, size);
	if (!expect(t, p != NULL))
		goto out;
	expect(t, pattern_round_trip(p, size, 0xc0ffee));
	if (!expect(t, drmPrimeFDToHandle(vgem, fd, &handle) == 0))
		goto out;
	if (expect(t, bufinfo_attachments(st.st_ino, attached, sizeof(attached)) != NULL)) {
		sb_diag("attached to the dma-buf while vgem holds it: %s", attached);
		expect(t, strstr(attached, "vgem") != NULL);
	}
	/* The same dma-buf gives the same handle; exporting it gives the same dma-buf back. */
	expect(t, drmPrimeFDToHandle(vgem, fd, &handle2) == 0 && handle2 == handle);
	if (expect(t, drmPrimeHandleToFD(vgem, handle, DRM_CLOEXEC | DRM_RDWR, &fd2) == 0)) {
		struct stat st2;

		expect(t, fstat(fd2, &st2) == 0 && st2.st_ino == st.st_ino);
		close(fd2);
	}
	expect(t, drmCloseBufferHandle(vgem, handle) == 0);
	handle = 0;
	if (expect(t, bufinfo_attachments(st.st_ino, attached, sizeof(attached)) != NULL))
		expect(t, strstr(attached, "vgem") == NULL);
	/* The importer did not touch the data. */
	for (size_t off = 0; off < size; off += 4096)
		if (!expect(t, *(uint32_t *)(p + off) == (uint32_t)(off / 4096) + 0xc0ffee))
			break;
out:
	if (p)
		munmap(p, size);
	if (handle)
		drmCloseBufferHandle(vgem, handle);
	if (fd >= 0)
		close(fd);
	if (vgem >= 0)
		close(vgem);
}

static void bad_arguments_are_refused(struct sb_test_ctx *t)
{
	int fd, dev;

	/* dma-heap core: zero length, flags it does not know, a non-zero fd field. */
	expect_errno(t, sb_heap_alloc_raw(SB_CHUNK_HEAP, 0, 0, O_RDWR, 0), EINVAL);
	expect_errno(t, sb_heap_alloc_raw(SB_CHUNK_HEAP, SB_CHUNK_SIZE, 0, O_RDWR | 0x1000, 0),
		     EINVAL);
	expect_errno(t, sb_heap_alloc_raw(SB_CHUNK_HEAP, SB_CHUNK_SIZE, 0, O_RDWR, 1), EINVAL);
	expect_errno(t, sb_heap_alloc_raw(SB_CHUNK_HEAP, SB_CHUNK_SIZE, 7, O_RDWR, 0), EINVAL);
	/* A length that wraps to 0 when page-aligned (core), more than the whole area (the heap,
	 * which also keeps its own rounding to chunks from wrapping). */
	expect_errno(t, sb_heap_alloc(SB_CHUNK_HEAP, ~0ull - 10), EINVAL);
	expect_errno(t, sb_heap_alloc(SB_CHUNK_HEAP, ~0ull - 8192), ENOMEM);
	expect_errno(t, sb_heap_alloc(SB_CHUNK_HEAP, 1ull << 40), ENOMEM);
	/* An unknown ioctl on the heap device (dma-heap answers EINVAL, not ENOTTY). */
	dev = open("/dev/dma_heap/" SB_CHUNK_HEAP, O_RDONLY | O_CLOEXEC);
	if (expect(t, dev >= 0)) {
		expect_errno(t, ioctl(dev, _IOWR('H', 0x7f, struct dma_heap_allocation_data), NULL),
			     EINVAL);
		close(dev);
	}
	/* The buffer: a private mapping, or one past its end. */
	fd = sb_heap_alloc(SB_CHUNK_HEAP, 2 * SB_CHUNK_SIZE);
	if (expect(t, fd >= 0)) {
		expect(t, mmap(NULL, SB_CHUNK_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0) ==
				  MAP_FAILED &&
			  errno == EINVAL);
		expect(t, mmap(NULL, 2 * SB_CHUNK_SIZE, PROT_READ, MAP_SHARED, fd, SB_CHUNK_SIZE) ==
				  MAP_FAILED &&
			  errno == EINVAL);
		close(fd);
	}
}

/* Fill the area to the last chunk: the next allocation fails cleanly, and freeing recovers. */
static void exhausted_area_gives_enomem_and_recovers(struct sb_test_ctx *t)
{
	int fds[64], n = 0, fd;
	unsigned long used = 0, count = 0;
	uint64_t start = sb_now_ns();

	/* 32 MiB at a time, then single chunks: the area is full when a single chunk fails. */
	for (uint64_t size = 32 * MiB; n < 64;) {
		fd = sb_heap_alloc(SB_CHUNK_HEAP, size);
		if (fd >= 0) {
			fds[n++] = fd;
			continue;
		}
		if (!expect(t, errno == ENOMEM)) {
			sb_diag("allocation of %llu KiB: %s", (unsigned long long)(size / 1024),
				strerror(errno));
			break;
		}
		if (size == SB_CHUNK_SIZE)
			break;
		size = size / 2 < SB_CHUNK_SIZE ? SB_CHUNK_SIZE : size / 2;
	}
	expect(t, n < 64);
	expect(t, sb_cma_read(SB_CMA_AREA, "used", &used));
	expect(t, sb_cma_read(SB_CMA_AREA, "count", &count));
	sb_diag("area full after %d buffers in %.1f s: %lu of %lu pages used", n,
		(sb_now_ns() - start) / 1e9, used, count);
	/* Nearly all of it: what is left is less than a chunk, or pages that cannot move. */
	expect(t, used * 100 >= count * 95);
	expect_errno(t, sb_heap_alloc(SB_CHUNK_HEAP, SB_CHUNK_SIZE), ENOMEM);
	/* The CMA heap on the same area is out of room too. */
	expect_errno(t, sb_heap_alloc(SB_CMA_HEAP, SB_CHUNK_SIZE), ENOMEM);
	while (n > 0)
		close(fds[--n]);
	fd = sb_heap_alloc(SB_CHUNK_HEAP, 16 * MiB);
	if (expect(t, fd >= 0))
		close(fd);
}

/* Many allocate/map/free cycles leave the area as used as before: nothing leaks. */
static void alloc_free_cycles_do_not_leak(struct sb_test_ctx *t)
{
	unsigned long before = 0, after = 0;
	long cma_free_before = sb_proc_kb("/proc/meminfo", "CmaFree");

	expect(t, sb_cma_read(SB_CMA_AREA, "used", &before));
	for (int i = 0; i < 300; i++) {
		size_t size = (size_t)SB_CHUNK_SIZE * (1 + i % 32);
		int fd = sb_heap_alloc(SB_CHUNK_HEAP, size);
		uint8_t *p;

		if (!expect(t, fd >= 0))
			break;
		p = map_shared(fd, size);
		if (expect(t, p != NULL)) {
			p[size - 1] = (uint8_t)i;
			munmap(p, size);
		}
		close(fd);
	}
	expect(t, sb_cma_read(SB_CMA_AREA, "used", &after));
	expect(t, after == before);
	sb_diag("area pages used before %lu, after %lu; CmaFree %ld kB before, %ld kB after",
		before, after, cma_free_before, sb_proc_kb("/proc/meminfo", "CmaFree"));
}

int main(void)
{
	static const struct sb_test tests[] = {
		SB_TEST(heap_device_is_present),
		SB_TEST(one_chunk_is_zeroed_mappable_and_writable),
		SB_TEST(size_is_rounded_up_to_whole_chunks),
		SB_TEST(sizes_up_to_hundreds_of_mib_map_and_hold_data),
		SB_TEST(chunks_are_aligned_contiguous_and_in_the_cma_area),
		SB_TEST(buffer_imports_into_vgem_through_prime),
		SB_TEST(bad_arguments_are_refused),
		SB_TEST(exhausted_area_gives_enomem_and_recovers),
		SB_TEST(alloc_free_cycles_do_not_leak),
	};

	return sb_test_main(tests, sizeof(tests) / sizeof(tests[0]));
}
