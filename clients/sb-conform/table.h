/* SPDX-License-Identifier: MIT */
#ifndef SB_CONFORM_TABLE_H
#define SB_CONFORM_TABLE_H

#include <stddef.h>
#include <stdio.h>

#include "conform.h"

enum sc_result {
	SC_PASS,
	SC_FAIL,
	SC_SKIP,
};

/* One case's outcome against one compositor. */
struct sc_row {
	const struct sc_case *c;
	enum sc_result result;
	char reason[128]; /* why it was skipped */
};

/* The results as TAP comments: one line a case, then the counts. */
void sc_table_print(FILE *out, const char *compositor, const struct sc_row *rows, size_t n);

/*
 * Adds a column named compositor to the markdown table in path: rows are matched by case name,
 * cases new to the table are appended, a missing file is created. -1 with errno on failure.
 */
int sc_table_merge_markdown(const char *path, const char *compositor, const struct sc_row *rows,
			    size_t n);

#endif
