/* SPDX-License-Identifier: MIT */
#ifndef SB_UTIL_H
#define SB_UTIL_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include <syncbridge/log.h>
#include <syncbridge/test_hooks.h>

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

/*
 * A close-on-exec duplicate of fd, or -1 with errno (EBADF for -1 or a closed fd). The new fd is
 * a kernel allocation the test hook can fail: each caller is a site of its own.
 */
#define sb_dup_cloexec(fd) sb_dup_cloexec_at(SB_FAULT_SITE(SB_FAULT_KERNEL), (fd))
int sb_dup_cloexec_at(struct sb_fault_site *site, int fd);

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
 * The test hook fails allocations where they are made (syncbridge/test_hooks.h): each use of
 * the macros below in bridge/ is a failure site, described by a static struct sb_fault_site
 * that also counts the failures injected there. A pointer to it goes into the section
 * sb_fault_sites, whose bounds the linker provides (__start_sb_fault_sites, __stop_...), so
 * sb_test_fault_site() finds every site linked into the program without a list kept by hand.
 * The section holds pointers rather than the sites: an array of pointers has no padding, whatever
 * alignment the compiler gives a structure. Neither GCC nor clang puts ASan redzones around
 * globals in a section named like a C identifier (they would break the array).
 */
#define SB_FAULT_SITE(kind_)                                                                    \
	__extension__({                                                                         \
		static struct sb_fault_site sb_fault_site_ = {                                  \
			.kind = (kind_), .file = __FILE__, .line = __LINE__, .func = __func__}; \
		static struct sb_fault_site *const sb_fault_site_ptr_                           \
			__attribute__((used, section("sb_fault_sites"),                         \
				       aligned(sizeof(void *)))) = &sb_fault_site_;             \
		&sb_fault_site_;                                                                \
	})

/*
 * True (with errno ENOMEM) when the test hook fails this allocation at site. One load and one
 * branch while the hook is disarmed.
 */
bool sb_fault_fires(struct sb_fault_site *site);

/*
 * Every heap allocation of the bridge goes through these, so that the test hook can fail any
 * one of them. They fail with NULL and errno ENOMEM; memory is released with free(3).
 */
#define sb_calloc(n, size) sb_calloc_at(SB_FAULT_SITE(SB_FAULT_HEAP), (n), (size))
#define sb_realloc(ptr, size) sb_realloc_at(SB_FAULT_SITE(SB_FAULT_HEAP), (ptr), (size))
void *sb_calloc_at(struct sb_fault_site *site, size_t n, size_t size);
void *sb_realloc_at(struct sb_fault_site *site, void *ptr, size_t size);

/*
 * An int-returning kernel call that the test hook can fail with -1 and ENOMEM before it is made.
 * Wraps the calls that make the kernel allocate (a new fd, a syncobj, a fence chain, an epoll
 * item, the fence array of FILE_INFO): where the kernel would say ENOMEM, the bridge must fail
 * cleanly too.
 */
#define SB_KERNEL_ALLOC(call) (sb_fault_fires(SB_FAULT_SITE(SB_FAULT_KERNEL)) ? -1 : (call))

#endif
