// SPDX-License-Identifier: MIT
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include <syncbridge/test_hooks.h>

#include "util.h"

/* The DRM character device major (include/drm/drm.h, not in the uapi headers). */
#define DRM_MAJOR_NUMBER 226

void sb_close_keep_errno(int fd)
{
	int saved = errno;

	if (fd >= 0)
		close(fd);
	errno = saved;
}

int sb_dup_cloexec_at(struct sb_fault_site *site, int fd)
{
	if (fd < 0) {
		errno = EBADF;
		return -1;
	}
	return sb_fault_fires(site) ? -1 : fcntl(fd, F_DUPFD_CLOEXEC, 0);
}

int sb_fd_link(int fd, char *buf, size_t size)
{
	char path[64];
	ssize_t len;

	/* fcntl tells a closed fd (EBADF) apart from a /proc that is not mounted. */
	if (fd < 0 || fcntl(fd, F_GETFD) < 0) {
		errno = EBADF;
		return -1;
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	len = readlink(path, buf, size - 1);
	if (len < 0)
		return -1;
	buf[len] = '\0';
	return 0;
}

bool sb_str_has_prefix(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* A DRM device node: a character device of the DRM major (include/drm/drm.h: 226). */
int sb_check_drm_fd(int drm_fd)
{
	struct stat st;

	if (drm_fd < 0) {
		errno = EBADF;
		return -1;
	}
	if (fstat(drm_fd, &st) < 0)
		return -1;
	if (!S_ISCHR(st.st_mode) || major(st.st_rdev) != DRM_MAJOR_NUMBER) {
		sb_log(SB_DEBUG, "fd %d is not a DRM device", drm_fd);
		errno = EINVAL;
		return -1;
	}
	return 0;
}

/*
 * The fault-injection hook (syncbridge/test_hooks.h). It is compiled in always rather than
 * behind a meson option: it costs one load and one branch per allocation (a handful per
 * commit, next to the syscalls around them), and the library the tests exercise is then the
 * one the compositor links, not a variant of it. Process-wide like the log sink: a test arms it
 * around one call; no thread is involved.
 */
static struct fault {
	long countdown; /* allocations to let through before the one that fails; -1: disarmed */
	bool injected;
} faults[2] = {{.countdown = -1}, {.countdown = -1}};

void sb_test_fail_after(enum sb_test_fault kind, long n)
{
	faults[kind].countdown = n < 0 ? -1 : n;
	faults[kind].injected = false;
}

bool sb_test_fault_injected(enum sb_test_fault kind)
{
	return faults[kind].injected;
}

bool sb_fault_fires(struct sb_fault_site *site)
{
	struct fault *fault = &faults[site->kind];

	if (__builtin_expect(fault->countdown < 0, 1))
		return false;
	if (fault->countdown-- > 0)
		return false;
	/* countdown is now -1: one failure per arming. */
	fault->injected = true;
	site->injected++;
	errno = ENOMEM;
	return true;
}

void *sb_calloc_at(struct sb_fault_site *site, size_t n, size_t size)
{
	return sb_fault_fires(site) ? NULL : calloc(n, size);
}

void *sb_realloc_at(struct sb_fault_site *site, void *ptr, size_t size)
{
	return sb_fault_fires(site) ? NULL : realloc(ptr, size);
}

/*
 * The bounds of the section SB_FAULT_SITE() fills, defined by the linker because the name is a C
 * identifier. Weak: a program that links no site has no such section, and then no sites.
 */
extern struct sb_fault_site *const __start_sb_fault_sites[] __attribute__((weak));
extern struct sb_fault_site *const __stop_sb_fault_sites[] __attribute__((weak));

size_t sb_test_fault_site_count(void)
{
	if (!__start_sb_fault_sites)
		return 0;
	return (size_t)(__stop_sb_fault_sites - __start_sb_fault_sites);
}

const struct sb_fault_site *sb_test_fault_site(size_t i)
{
	return i < sb_test_fault_site_count() ? __start_sb_fault_sites[i] : NULL;
}
