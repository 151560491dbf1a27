// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "util.h"

/* Like the bridge's log sink, the verbosity is a property of the process. */
static enum sb_log_importance log_verbosity = SB_INFO;

uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int exit_code_for_errno(int err)
{
	switch (err) {
	case ENOENT:
	case ENODEV:
	case ENXIO:
	case ENOTTY:
	case EOPNOTSUPP:
		return EXIT_MISSING;
	default:
		return EXIT_FAIL;
	}
}

__attribute__((format(printf, 3, 0))) static void
log_va(enum sb_log_importance importance, const char *prefix, const char *fmt, va_list args)
{
	if (importance > log_verbosity || importance <= SB_SILENT)
		return;
	fprintf(stderr, "sb-client: %s", prefix);
	vfprintf(stderr, fmt, args);
}

__attribute__((format(printf, 2, 0))) static void bridge_log(enum sb_log_importance importance,
							     const char *fmt, va_list args)
{
	int saved_errno = errno;

	log_va(importance, "bridge: ", fmt, args);
	if (importance <= log_verbosity && importance > SB_SILENT)
		fputc('\n', stderr);
	errno = saved_errno;
}

void log_init(bool debug)
{
	log_verbosity = debug ? SB_DEBUG : SB_INFO;
	/* The bridge logs bad input at SB_DEBUG; sb-client reports what matters itself. */
	sb_log_init(debug ? SB_DEBUG : SB_ERROR, bridge_log);
}

void log_msg(enum sb_log_importance importance, const char *fmt, ...)
{
	int saved_errno = errno;
	va_list args;

	va_start(args, fmt);
	log_va(importance, "", fmt, args);
	va_end(args);
	if (importance <= log_verbosity && importance > SB_SILENT)
		fputc('\n', stderr);
	errno = saved_errno;
}

void log_errno(enum sb_log_importance importance, const char *fmt, ...)
{
	int saved_errno = errno;
	va_list args;

	va_start(args, fmt);
	log_va(importance, "", fmt, args);
	va_end(args);
	if (importance <= log_verbosity && importance > SB_SILENT)
		fprintf(stderr, ": %s\n", strerror(saved_errno));
	errno = saved_errno;
}
