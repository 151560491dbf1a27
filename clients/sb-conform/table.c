// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "table.h"

#define MAX_LINES 256
#define LINE_MAX_LEN 4096

static const char *result_word(enum sc_result result)
{
	switch (result) {
	case SC_PASS:
		return "pass";
	case SC_FAIL:
		return "FAIL";
	case SC_SKIP:
		return "skip";
	}
	return "?";
}

void sc_table_print(FILE *out, const char *compositor, const struct sc_row *rows, size_t n)
{
	size_t count[3] = {0};

	fprintf(out, "# %-22s %-58s %s\n", "area", "case", compositor);
	for (size_t i = 0; i < n; i++) {
		count[rows[i].result]++;
		fprintf(out, "# %-22s %-58s %s%s%s\n", rows[i].c->area, rows[i].c->name,
			result_word(rows[i].result), rows[i].result == SC_SKIP ? ": " : "",
			rows[i].reason);
	}
	fprintf(out, "# %s: %zu pass, %zu fail, %zu skip of %zu\n", compositor, count[SC_PASS],
		count[SC_FAIL], count[SC_SKIP], n);
}

static void cell(char *buf, size_t size, const struct sc_row *row)
{
	if (row->result == SC_SKIP)
		snprintf(buf, size, "skip: %s", row->reason);
	else if (row->result == SC_FAIL)
		snprintf(buf, size, "**FAIL**");
	else
		snprintf(buf, size, "pass");
}

/* The trimmed text of the index-th cell of a "| a | b |" line into buf. */
static void cell_text(const char *line, int index, char *buf, size_t size)
{
	const char *p = line, *end;
	size_t len;

	for (int i = 0; i <= index && p; i++)
		p = strchr(p + (i == 0 ? 0 : 1), '|');
	buf[0] = '\0';
	if (!p)
		return;
	p++;
	end = strchr(p, '|');
	if (!end)
		end = p + strlen(p);
	while (p < end && *p == ' ')
		p++;
	while (end > p && end[-1] == ' ')
		end--;
	len = (size_t)(end - p) < size - 1 ? (size_t)(end - p) : size - 1;
	memcpy(buf, p, len);
	buf[len] = '\0';
}

static size_t read_table(const char *path, char lines[][LINE_MAX_LEN])
{
	FILE *in = fopen(path, "re");
	size_t n = 0;

	if (!in)
		return 0;
	while (n < MAX_LINES && fgets(lines[n], LINE_MAX_LEN, in)) {
		lines[n][strcspn(lines[n], "\n")] = '\0';
		if (lines[n][0] == '|')
			n++;
	}
	fclose(in);
	return n;
}

int sc_table_merge_markdown(const char *path, const char *compositor, const struct sc_row *rows,
			    size_t n)
{
	char(*lines)[LINE_MAX_LEN] = calloc(MAX_LINES, LINE_MAX_LEN);
	char tmp[4096], text[160], name[160];
	size_t n_lines, columns = 0;
	bool *placed = calloc(n ? n : 1, sizeof(*placed));
	FILE *out;
	int ret = -1;

	if (!lines || !placed)
		goto out;
	n_lines = read_table(path, lines);
	if (n_lines < 2) {
		n_lines = 2;
		snprintf(lines[0], LINE_MAX_LEN, "| area | case |");
		snprintf(lines[1], LINE_MAX_LEN, "|---|---|");
	}
	for (const char *p = lines[0]; *p; p++)
		columns += *p == '|';
	/* Compositor columns so far: the bars less those around area and case. */
	columns -= 3;
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	out = fopen(tmp, "we");
	if (!out)
		goto out;
	fprintf(out, "%s %s |\n%s---|\n", lines[0], compositor, lines[1]);
	for (size_t l = 2; l < n_lines; l++) {
		const struct sc_row *row = NULL;

		cell_text(lines[l], 1, name, sizeof(name));
		/* Case names are set as code: `name`. */
		if (name[0] == '`') {
			memmove(name, name + 1, strlen(name));
			name[strcspn(name, "`")] = '\0';
		}
		for (size_t i = 0; i < n && !row; i++)
			if (strcmp(rows[i].c->name, name) == 0) {
				row = &rows[i];
				placed[i] = true;
			}
		if (row)
			cell(text, sizeof(text), row);
		else
			snprintf(text, sizeof(text), "not run");
		fprintf(out, "%s %s |\n", lines[l], text);
	}
	for (size_t i = 0; i < n; i++) {
		if (placed[i])
			continue;
		fprintf(out, "| %s | `%s` |", rows[i].c->area, rows[i].c->name);
		for (size_t c = 0; c < columns; c++)
			fprintf(out, " not run |");
		cell(text, sizeof(text), &rows[i]);
		fprintf(out, " %s |\n", text);
	}
	if (fclose(out) != 0 || rename(tmp, path) != 0)
		goto out;
	ret = 0;
out:
	free(lines);
	free(placed);
	return ret;
}
