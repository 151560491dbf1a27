/* SPDX-License-Identifier: MIT */
#ifndef SYNCBRIDGE_SYNC_FILE_H
#define SYNCBRIDGE_SYNC_FILE_H

#include <stdint.h>

/*
 * A sync_file (drivers/dma-buf/sync_file.c): an fd carrying an immutable set of dma_fences. The
 * object owns its fd. Functions returning a pointer return NULL with errno set on failure; those
 * returning int return -1 with errno set. Passing an fd that is not a sync_file fails with EINVAL,
 * a closed fd or -1 with EBADF.
 */
struct sb_sync_file;

/* Takes ownership of fd: it is closed on failure too. */
struct sb_sync_file *sb_sync_file_import(int fd);
/* Does not take ownership of fd: the object holds a close-on-exec duplicate. */
struct sb_sync_file *sb_sync_file_import_dup(int fd);
void sb_sync_file_destroy(struct sb_sync_file *sync_file);

/* The object's fd, still owned by the object. */
int sb_sync_file_get_fd(const struct sb_sync_file *sync_file);
/* A close-on-exec duplicate the caller owns. */
int sb_sync_file_dup_fd(const struct sb_sync_file *sync_file);

/* SYNC_IOC_MERGE: a new sync_file that signals when both have. name may be NULL. */
struct sb_sync_file *sb_sync_file_merge(const char *name, const struct sb_sync_file *a,
					const struct sb_sync_file *b);

/* 1 if every fence has signalled (with or without error), 0 if not; never blocks. */
int sb_sync_file_is_signaled(const struct sb_sync_file *sync_file);

/* Status as the kernel reports it: 1 signalled, 0 active, negative errno: signalled with error. */
struct sb_fence_info {
	char driver_name[32];
	char timeline_name[32];
	int status;
	uint64_t timestamp_ns; /* CLOCK_MONOTONIC time of signalling, 0 while active */
};

struct sb_sync_file_info {
	char name[32];
	int status;
	uint32_t num_fences;
	struct sb_fence_info *fences; /* num_fences entries, freed by sb_sync_file_info_finish */
};

/* SYNC_IOC_FILE_INFO with every fence. */
int sb_sync_file_get_info(const struct sb_sync_file *sync_file, struct sb_sync_file_info *info);
void sb_sync_file_info_finish(struct sb_sync_file_info *info);
/* SYNC_IOC_FILE_INFO without the fences: one ioctl. 1, 0 or a negative errno as above. */
int sb_sync_file_get_status(const struct sb_sync_file *sync_file, int *status);

/*
 * SYNC_IOC_SET_DEADLINE (Linux 6.4): a hint that the fences should signal by deadline_ns
 * (CLOCK_MONOTONIC). Fails with ENOTTY on older kernels; callers treat that as "no hint".
 */
int sb_sync_file_set_deadline(const struct sb_sync_file *sync_file, uint64_t deadline_ns);

#endif
