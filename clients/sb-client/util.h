/* SPDX-License-Identifier: MIT */
#ifndef SB_CLIENT_UTIL_H
#define SB_CLIENT_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>

#include <syncbridge/log.h>

/* Exit codes; 77 is what meson and automake read as "skipped". */
enum exit_code {
	EXIT_OK = 0,
	EXIT_FAIL = 1,
	EXIT_USAGE = 2,
	EXIT_MISSING = 77, /* a global, device or kernel interface the options need is not there */
};

/* CLOCK_MONOTONIC in ns: every time sb-client records. */
uint64_t now_ns(void);

/* EXIT_MISSING for errnos that mean "the kernel or host does not offer it", else EXIT_FAIL. */
int exit_code_for_errno(int err);

/*
 * Messages go to stderr prefixed "sb-client: ". SB_ERROR and SB_INFO always print, SB_DEBUG only
 * with -d. The bridge's own messages are routed here too (log_init).
 */
void log_init(bool debug);
void log_msg(enum sb_log_importance importance, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Appends ": strerror(errno)" and keeps errno. */
void log_errno(enum sb_log_importance importance, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
