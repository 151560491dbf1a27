// SPDX-License-Identifier: MIT
/*
 * The log sink for wlroots' wlr_log and the bridge's sb_log: wlroots 0.15's own stderr sink, one
 * line at a time, in one write(2). Its default sink takes five syscalls per line (three
 * unbuffered fprintf()s and two isatty()s), and with -d the commit gate and the release paths
 * log inside the state apply that tests/bench/ times.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include <wlr/util/log.h>

#include <syncbridge/log.h>

#include "server.h"

static struct timespec start;
static bool colored;

/* Indexed by enum wlr_log_importance, as wlroots' own sink does. */
static const char *const headers[] = {"[SILENT]", "[ERROR]", "[INFO]", "[DEBUG]"};
static const char *const colors[] = {"", "\x1B[1;31m", "\x1B[1;34m", "\x1B[1;90m"};

static void log_line(enum wlr_log_importance importance, const char *fmt, va_list args)
{
	unsigned int level = importance < WLR_LOG_IMPORTANCE_LAST ? (unsigned int)importance
								  : WLR_LOG_IMPORTANCE_LAST - 1;
	char line[2048];
	struct timespec now;
	long long ms;
	int len, n;

	if (importance > wlr_log_get_verbosity())
		return;
	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (long long)(now.tv_sec - start.tv_sec) * 1000 +
	     (now.tv_nsec - start.tv_nsec) / 1000000;
	len = snprintf(line, sizeof(line), "%02lld:%02lld:%02lld.%03lld %s%s", ms / 3600000,
		       ms / 60000 % 60, ms / 1000 % 60, ms % 1000,
		       colored ? colors[level] : headers[level], colored ? "" : " ");
	n = vsnprintf(line + len, sizeof(line) - (size_t)len, fmt, args);
	/* A longer line is cut, keeping room for the colour reset and the newline. */
	len = n < 0 ? len : len + n;
	if (len > (int)sizeof(line) - 6)
		len = (int)sizeof(line) - 6;
	if (colored)
		len += snprintf(line + len, sizeof(line) - (size_t)len, "\x1B[0m");
	line[len++] = '\n';
	/* One write: lines of the compositor and its children do not interleave either. */
	while (write(STDERR_FILENO, line, (size_t)len) < 0 && errno == EINTR)
		;
}

static void bridge_log(enum sb_log_importance importance, const char *fmt, va_list args)
{
	_wlr_vlog((enum wlr_log_importance)importance, fmt, args);
}

void server_log_init(bool debug)
{
	clock_gettime(CLOCK_MONOTONIC, &start);
	colored = isatty(STDERR_FILENO) == 1;
	wlr_log_init(debug ? WLR_DEBUG : WLR_INFO, log_line);
	/* The bridge logs through the same sink, so that -d covers both. */
	sb_log_init(debug ? SB_DEBUG : SB_INFO, bridge_log);
}
