// SPDX-License-Identifier: MIT
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include <linux/dma-heap.h>

#include "kheap.h"

int sb_heap_alloc_raw(const char *heap, uint64_t len, uint32_t fd, uint32_t fd_flags,
		      uint64_t heap_flags)
{
	struct dma_heap_allocation_data alloc = {
		.len = len, .fd = fd, .fd_flags = fd_flags, .heap_flags = heap_flags};
	char path[64];
	int dev, ret, err;

	snprintf(path, sizeof(path), "/dev/dma_heap/%s", heap);
	dev = open(path, O_RDONLY | O_CLOEXEC);
	if (dev < 0)
		return -1;
	ret = ioctl(dev, DMA_HEAP_IOCTL_ALLOC, &alloc);
	err = errno;
	close(dev);
	errno = err;
	return ret < 0 ? -1 : (int)alloc.fd;
}

int sb_heap_alloc(const char *heap, uint64_t len)
{
	return sb_heap_alloc_raw(heap, len, 0, O_RDWR | O_CLOEXEC, 0);
}

bool sb_cma_read(const char *area, const char *name, unsigned long *value)
{
	char path[128];
	FILE *f;
	bool ok;

	snprintf(path, sizeof(path), "/sys/kernel/debug/cma/%s/%s", area, name);
	f = fopen(path, "re");
	if (!f)
		return false;
	ok = fscanf(f, "%lu", value) == 1;
	fclose(f);
	return ok;
}

bool sb_pagemap_pfns(const void *addr, size_t n_pages, uint64_t *pfns)
{
	long page = sysconf(_SC_PAGESIZE);
	off_t off = (off_t)((uintptr_t)addr / (uintptr_t)page) * 8;
	bool ok = true;
	int fd;

	fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	for (size_t done = 0; done < n_pages && ok;) {
		uint64_t buf[512];
		size_t want = n_pages - done < 512 ? n_pages - done : 512;
		ssize_t got = pread(fd, buf, want * 8, off + (off_t)done * 8);

		if (got != (ssize_t)(want * 8)) {
			ok = false;
			break;
		}
		for (size_t i = 0; i < want; i++) {
			/* Bit 63: present; bits 0-54: PFN (zero without CAP_SYS_ADMIN). */
			if (!(buf[i] >> 63) || !(buf[i] & ((1ull << 55) - 1)))
				ok = false;
			pfns[done + i] = buf[i] & ((1ull << 55) - 1);
		}
		done += want;
	}
	close(fd);
	return ok;
}

long sb_proc_kb(const char *path, const char *field)
{
	size_t len = strlen(field);
	char line[256];
	long value = -1;
	FILE *f;

	f = fopen(path, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, field, len) == 0 && line[len] == ':') {
			value = strtol(line + len + 1, NULL, 10);
			break;
		}
	}
	fclose(f);
	return value;
}

uint64_t sb_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

long long sb_dmabuf_size(int fd)
{
	off_t size = lseek(fd, 0, SEEK_END);

	if (size < 0)
		return -1;
	lseek(fd, 0, SEEK_SET);
	return size;
}
