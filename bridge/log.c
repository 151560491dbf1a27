// SPDX-License-Identifier: MIT
#include <stdarg.h>
#include <stdio.h>

#include "util.h"

/*
 * The one piece of process-wide state in the bridge, as in wlroots' util/log.c: a log sink is a
 * property of the process, not of any object.
 */
static enum sb_log_importance log_verbosity = SB_ERROR;
static sb_log_func_t log_callback;

static const char *const level_names[] = {
	[SB_SILENT] = "",
	[SB_ERROR] = "[ERROR]",
	[SB_INFO] = "[INFO]",
	[SB_DEBUG] = "[DEBUG]",
};

void sb_log_init(enum sb_log_importance verbosity, sb_log_func_t callback)
{
	log_verbosity = verbosity;
	log_callback = callback;
}

void sb_log_(enum sb_log_importance importance, const char *fmt, ...)
{
	int saved_errno = errno;
	va_list args;

	if (importance > log_verbosity || importance <= SB_SILENT)
		return;
	va_start(args, fmt);
	if (log_callback) {
		log_callback(importance, fmt, args);
	} else {
		fprintf(stderr, "%s ", level_names[importance]);
		vfprintf(stderr, fmt, args);
		fputc('\n', stderr);
	}
	va_end(args);
	/* Error paths log and then return errno to the caller: logging must not change it. */
	errno = saved_errno;
}
