/* SPDX-License-Identifier: MIT */
#ifndef SB_KTEST_KHEAP_H
#define SB_KTEST_KHEAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Helpers for the kernel/ tests: dma-heap allocation that keeps errno, what the guest's CMA area
 * looks like (debugfs, CONFIG_CMA_DEBUGFS), physical addresses through /proc/self/pagemap (root)
 * and memory accounting from /proc.
 */

/* The chunk heap on the default CMA area (kernel/patches, DMABUF_HEAPS_CHUNK_DEFAULT_CMA). */
#define SB_CHUNK_HEAP "chunk-reserved"
/* The CMA heap on the same area. */
#define SB_CMA_HEAP "reserved"
#define SB_CMA_AREA "reserved"
#define SB_CHUNK_SIZE (64u * 1024)

/* DMA_HEAP_IOCTL_ALLOC on /dev/dma_heap/heap: the dma-buf fd, or -1 with errno from the ioctl. */
int sb_heap_alloc(const char *heap, uint64_t len);
/* The same with every field of the request given (bad-argument tests). */
int sb_heap_alloc_raw(const char *heap, uint64_t len, uint32_t fd, uint32_t fd_flags,
		      uint64_t heap_flags);

/* An unsigned value of /sys/kernel/debug/cma/area/name; false if unreadable. */
bool sb_cma_read(const char *area, const char *name, unsigned long *value);

/* The PFN behind each page of [addr, addr + n pages) (must be mapped). false if unreadable. */
bool sb_pagemap_pfns(const void *addr, size_t n_pages, uint64_t *pfns);

/* A "Name:   value kB" field of a /proc file such as /proc/self/smaps_rollup, in kB; -1 if absent. */
long sb_proc_kb(const char *path, const char *field);

/* CLOCK_MONOTONIC in ns. */
uint64_t sb_now_ns(void);

/* The dma-buf's size (lseek SEEK_END), or -1. */
long long sb_dmabuf_size(int fd);

#endif
