/* SPDX-License-Identifier: MIT */
#ifndef SB_TAP_H
#define SB_TAP_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/*
 * A minimal TAP producer for tests that read like specifications: one function per behaviour,
 * named after it. Every test also asserts that it left the process's open-fd count as it found
 * it (/proc/self/fd), so a leak on any path fails the test that caused it.
 */
struct sb_test_ctx {
	bool failed;
	const char *skip_reason;
	const void *data; /* the running test's sb_test.data */
};

struct sb_test {
	const char *name;
	void (*run)(struct sb_test_ctx *t);
	const void *data;
};

#define SB_TEST(test)                      \
	{                                  \
		.name = #test, .run = test \
	}
/*
 * A test that is a row of a table: run reads its row from t->data. The row is an object named
 * after the test, so that the test keeps one name in the code and in the TAP output.
 */
#define SB_TEST_ROW(row, body)                          \
	{                                               \
		.name = #row, .run = body, .data = &row \
	}

/* Records a failure (with the expression and location) unless cond holds. Returns cond. */
#define expect(t, cond) sb_expect_((t), (cond), #cond, __FILE__, __LINE__)
/* An int call that must fail with -1 and errno err. */
#define expect_errno(t, ret, err) sb_expect_errno_((t), (ret), (err), #ret, __FILE__, __LINE__)
/* A call returning a pointer that must fail with NULL and errno err. */
#define expect_null_errno(t, ptr, err) \
	sb_expect_errno_((t), (ptr) == NULL ? -1 : 1, (err), #ptr, __FILE__, __LINE__)

bool sb_expect_(struct sb_test_ctx *t, bool cond, const char *expr, const char *file, int line);
/* ret must be -1 and errno must be err. */
bool sb_expect_errno_(struct sb_test_ctx *t, long ret, int err, const char *expr, const char *file,
		      int line);
void sb_skip(struct sb_test_ctx *t, const char *reason);
void sb_diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Open fds of this process (/proc/self/fd), or of another one (/proc/PID/fd). */
int sb_count_fds(void);
int sb_count_fds_of(pid_t pid);

/* Runs the tests in order, prints TAP, returns the exit status (0: all passed or skipped). */
int sb_test_main(const struct sb_test *tests, size_t n_tests);

#endif
