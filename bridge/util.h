/* SPDX-License-Identifier: MIT */
#ifndef SB_UTIL_H
#define SB_UTIL_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include <syncbridge/log.h>

void sb_log_(enum sb_log_importance importance, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define sb_log(importance, fmt, ...) \
	sb_log_(importance, "[bridge/%s:%d] " fmt, __FILE__, __LINE__, ##__VA_ARGS__)
/* Keeps errno as it was, so callers can log and then return the error. */
#define sb_log_errno(importance, fmt, ...)                                                \
	do {                                                                              \
		int sb_saved_errno_ = errno;                                              \
		sb_log(importance, fmt ": %s", ##__VA_ARGS__, strerror(sb_saved_errno_)); \
		errno = sb_saved_errno_;                                                  \
	} while (0)

/* close(2) that keeps errno: error paths close what they opened and report the first error. */
void sb_close_keep_errno(int fd);

/* A close-on-exec duplicate of fd, or -1 with errno (EBADF for -1 or a closed fd). */
int sb_dup_cloexec(int fd);

/*
 * Reads the target of /proc/self/fd/<fd> into buf. This is how a file's kind is told apart
 * without calling an ioctl on it: ioctl numbers of one driver can mean something else to another
 * (drm_ioctl only looks at the number, not the type letter).
 */
int sb_fd_link(int fd, char *buf, size_t size);
/* 0 if fd is a DRM device node; -1 with EINVAL if another file, EBADF if not open. */
int sb_check_drm_fd(int drm_fd);

bool sb_str_has_prefix(const char *s, const char *prefix);

/*
 * Every heap allocation of the bridge goes through these, so that the test hook
 * (syncbridge/test_hooks.h) can fail any one of them. They fail with NULL and errno ENOMEM;
 * memory is released with free(3).
 */
void *sb_calloc(size_t n, size_t size);
void *sb_realloc(void *ptr, size_t size);

/*
 * True (with errno ENOMEM) when the test hook fails this call into the kernel. Wraps the calls
 * that make the kernel allocate (a new fd, a syncobj, a fence chain, an epoll item, the fence
 * array of FILE_INFO): where the kernel would say ENOMEM, the bridge must fail cleanly too.
 */
bool sb_kernel_alloc_fails(void);
/* An int-returning kernel call that the test hook can fail with -1 and ENOMEM before it is made. */
#define SB_KERNEL_ALLOC(call) (sb_kernel_alloc_fails() ? -1 : (call))

#endif
