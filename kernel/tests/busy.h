/* SPDX-License-Identifier: MIT */
#ifndef SB_KTEST_BUSY_H
#define SB_KTEST_BUSY_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

/*
 * A FUSE file system with one read-only file, PATH (64 MiB), served by a thread of this process.
 * It answers READ requests hold_ns late: the first one only, or every one (hold_all). While a
 * reply is held the page-cache pages being read stay locked: busy pages of the kind that make a
 * blocking CMA allocation sleep. Needs root and CONFIG_FUSE_FS.
 */
#define SB_FUSE_FILE_SIZE (64ull * 1024 * 1024)

struct sb_fuse_server {
	int fd;
	char dir[128];
	char path[160];
	uint64_t hold_ns;
	bool hold_all;
	pthread_t thread;
	pthread_mutex_t lock;
	uint64_t hold_start_ns; /* when the last held READ arrived; 0 before the first */
	unsigned long held;     /* READs held so far */
};

bool sb_fuse_start(struct sb_fuse_server *s, uint64_t hold_ns, bool hold_all);
void sb_fuse_stop(struct sb_fuse_server *s);

/*
 * Maps anonymous memory SB_EAT_STEP at a time (at most max steps, stored in chunks) until free
 * normal memory is below free CMA memory, so that the page allocator serves movable allocations
 * (page cache included) from the CMA area first; stops before MemFree goes below floor_kb.
 * Returns how many steps it mapped (munmap each with SB_EAT_STEP).
 */
#define SB_EAT_STEP (8ull * 1024 * 1024)
int sb_eat_normal_memory(void **chunks, int max, long floor_kb);


/*
 * Fills pipes (SB_PIPE_BYTES each; pipes holds 2 fds per pipe, at most max pipes) until free
 * normal memory is below normal_floor_kb. Pipe buffers are unmovable, so they never come from the
 * CMA area: what is left free is mostly CMA, and movable allocations (page cache) then land there.
 * Returns how many pipes it filled; close both fds of each.
 */
#define SB_PIPE_BYTES (1024 * 1024)
int sb_pin_normal_memory(int *pipes, int max, long normal_floor_kb);

#endif
