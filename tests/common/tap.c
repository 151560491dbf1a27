// SPDX-License-Identifier: MIT
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "tap.h"

bool sb_expect_(struct sb_test_ctx *t, bool cond, const char *expr, const char *file, int line)
{
	if (!cond) {
		t->failed = true;
		printf("# %s:%d: expected %s\n", file, line, expr);
	}
	return cond;
}

bool sb_expect_errno_(struct sb_test_ctx *t, long ret, int err, const char *expr, const char *file,
		      int line)
{
	int got = errno;

	if (ret == -1) {
		if (got == err)
			return true;
		printf("# %s:%d: %s failed with %s, expected %s\n", file, line, expr, strerror(got),
		       strerror(err));
	} else {
		printf("# %s:%d: %s returned %ld, expected failure with %s\n", file, line, expr,
		       ret, strerror(err));
	}
	t->failed = true;
	return false;
}

void sb_skip(struct sb_test_ctx *t, const char *reason)
{
	t->skip_reason = reason;
}

void sb_diag(const char *fmt, ...)
{
	va_list args;

	va_start(args, fmt);
	printf("# ");
	vprintf(fmt, args);
	printf("\n");
	va_end(args);
}

int sb_count_fds_of(pid_t pid)
{
	char path[64];
	struct dirent *de;
	int n = 0;
	DIR *dir;

	snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	dir = opendir(path);
	if (!dir)
		return -1;
	while ((de = readdir(dir)))
		if (de->d_name[0] != '.')
			n++;
	closedir(dir);
	return n;
}

int sb_count_fds(void)
{
	int n = sb_count_fds_of(getpid());

	/* opendir's own fd was in the listing. */
	return n < 0 ? n : n - 1;
}

int sb_test_main(const struct sb_test *tests, size_t n_tests)
{
	int failed = 0;

	printf("1..%zu\n", n_tests);
	for (size_t i = 0; i < n_tests; i++) {
		struct sb_test_ctx t = {.data = tests[i].data};
		int before = sb_count_fds(), after;

		tests[i].run(&t);
		fflush(stdout);
		after = sb_count_fds();
		if (!t.skip_reason && after != before) {
			printf("# %d fds open before, %d after: the test leaked or closed an fd\n",
			       before, after);
			t.failed = true;
		}
		if (t.failed) {
			printf("not ok %zu - %s\n", i + 1, tests[i].name);
			failed++;
		} else if (t.skip_reason) {
			printf("ok %zu - %s # SKIP %s\n", i + 1, tests[i].name, t.skip_reason);
		} else {
			printf("ok %zu - %s\n", i + 1, tests[i].name);
		}
		fflush(stdout);
	}
	return failed ? 1 : 0;
}
