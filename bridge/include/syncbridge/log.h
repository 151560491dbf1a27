/* SPDX-License-Identifier: MIT */
#ifndef SYNCBRIDGE_LOG_H
#define SYNCBRIDGE_LOG_H

#include <stdarg.h>

/* The same values as wlroots' enum wlr_log_importance, so the compositor can pass them through. */
enum sb_log_importance {
	SB_SILENT = 0,
	SB_ERROR = 1,
	SB_INFO = 2,
	SB_DEBUG = 3,
};

typedef void (*sb_log_func_t)(enum sb_log_importance importance, const char *fmt, va_list args);

/*
 * Sets the most verbose level that is printed and where messages go (NULL: stderr). The bridge
 * logs failures of bad input at SB_DEBUG: the caller decides whether they matter to a user.
 */
void sb_log_init(enum sb_log_importance verbosity, sb_log_func_t callback);

#endif
