// SPDX-License-Identifier: MIT
/*
 * Guest: /proc/PID/fdinfo of a dma-buf (upstream since 5.14: fdinfo readable under
 * PTRACE_MODE_READ, and the dma-buf's inode number as "ino:"). A process owning a dma-buf runs
 * as uid 4242; another process of that uid reads its fdinfo, one of uid 4343 cannot.
 * Runs as root (to take those uids).
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kheap.h"
#include "tap.h"

#define OWNER_UID 4242
#define OTHER_UID 4343
#define SIZE (3 * 65536)

struct owner {
	pid_t pid;
	int fd; /* the dma-buf's fd number in the owner (the same as in this process) */
	ino_t ino;
	int release[2];
};

static bool become(uid_t uid)
{
	return setgroups(0, NULL) == 0 && setresgid(uid, uid, uid) == 0 &&
	       setresuid(uid, uid, uid) == 0;
}

/* A child of uid OWNER_UID holding a system-heap dma-buf until release is written to. */
static bool owner_start(struct sb_test_ctx *t, struct owner *o)
{
	int ready[2];
	struct stat st;
	char c;

	o->pid = -1;
	o->fd = sb_heap_alloc("system", SIZE);
	if (!expect(t, o->fd >= 0))
		return false;
	if (!expect(t, fstat(o->fd, &st) == 0) || !expect(t, pipe(ready) == 0)) {
		close(o->fd);
		return false;
	}
	o->ino = st.st_ino;
	if (!expect(t, pipe(o->release) == 0)) {
		close(ready[0]);
		close(ready[1]);
		close(o->fd);
		return false;
	}
	o->pid = fork();
	if (o->pid == 0) {
		/* Only the parent writes (or closes) release: then read() sees the end. */
		close(o->release[1]);
		close(ready[0]);
		/* Changing uid makes a process non-dumpable; same-uid readers need it dumpable. */
		if (!become(OWNER_UID) || prctl(PR_SET_DUMPABLE, 1) != 0)
			_exit(1);
		if (write(ready[1], "r", 1) != 1 || read(o->release[0], &c, 1) < 0)
			_exit(2);
		_exit(0);
	}
	close(ready[1]);
	expect(t, o->pid > 0 && read(ready[0], &c, 1) == 1);
	close(ready[0]);
	return o->pid > 0;
}

static void owner_stop(struct sb_test_ctx *t, struct owner *o)
{
	int status;

	close(o->release[1]);
	close(o->release[0]);
	if (o->pid > 0) {
		expect(t, waitpid(o->pid, &status, 0) == o->pid);
		expect(t, WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	close(o->fd);
}

/*
 * In a child of uid: reads the owner's fdinfo of the dma-buf. Exit status: 0 if it read
 * "size:" and "ino:" with the right values, 10 + errno (capped) if open failed, 1 otherwise.
 */
static int read_fdinfo_as(uid_t uid, const struct owner *o)
{
	char path[64], line[128];
	bool size_ok = false, ino_ok = false;
	pid_t pid = fork();
	int status;
	FILE *f;

	if (pid == 0) {
		if (!become(uid))
			_exit(2);
		snprintf(path, sizeof(path), "/proc/%d/fdinfo/%d", (int)o->pid, o->fd);
		f = fopen(path, "re");
		if (!f)
			_exit(10 + (errno < 100 ? errno : 99));
		while (fgets(line, sizeof(line), f)) {
			unsigned long long v;

			if (sscanf(line, "size: %llu", &v) == 1)
				size_ok = v == SIZE;
			if (sscanf(line, "ino: %llu", &v) == 1)
				ino_ok = v == (unsigned long long)o->ino;
			printf("#   uid %d reads %s", (int)uid, line);
		}
		fclose(f);
		fflush(stdout);
		_exit(size_ok && ino_ok ? 0 : 1);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

static void same_uid_reads_size_and_ino(struct sb_test_ctx *t)
{
	struct owner o;

	if (!owner_start(t, &o))
		return;
	fflush(stdout);
	expect(t, read_fdinfo_as(OWNER_UID, &o) == 0);
	owner_stop(t, &o);
}

static void other_uid_is_refused(struct sb_test_ctx *t)
{
	struct owner o;
	int ret;

	if (!owner_start(t, &o))
		return;
	fflush(stdout);
	ret = read_fdinfo_as(OTHER_UID, &o);
	if (!expect(t, ret == 10 + EACCES))
		sb_diag("reader of uid %d: status %d", OTHER_UID, ret);
	owner_stop(t, &o);
}

/* The fdinfo's ino is the dma-buf's own inode: two dma-bufs, two numbers; a dup, the same. */
static void ino_identifies_the_dma_buf(struct sb_test_ctx *t)
{
	int a = sb_heap_alloc("system", SIZE), b = sb_heap_alloc("system", SIZE), c = -1;
	unsigned long long ino_a = 0, ino_b = 0, ino_c = 0;
	char path[64], line[128];

	if (!expect(t, a >= 0 && b >= 0))
		goto out;
	c = dup(a);
	for (int i = 0; i < 3; i++) {
		int fd = i == 0 ? a : i == 1 ? b : c;
		unsigned long long *ino = i == 0 ? &ino_a : i == 1 ? &ino_b : &ino_c;
		FILE *f;

		snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
		f = fopen(path, "re");
		if (!expect(t, f != NULL))
			continue;
		while (fgets(line, sizeof(line), f))
			sscanf(line, "ino: %llu", ino);
		fclose(f);
	}
	expect(t, ino_a != 0 && ino_b != 0);
	expect(t, ino_a != ino_b);
	expect(t, ino_c == ino_a);
out:
	if (a >= 0)
		close(a);
	if (b >= 0)
		close(b);
	if (c >= 0)
		close(c);
}

int main(void)
{
	static const struct sb_test tests[] = {
		SB_TEST(same_uid_reads_size_and_ino),
		SB_TEST(other_uid_is_refused),
		SB_TEST(ino_identifies_the_dma_buf),
	};

	return sb_test_main(tests, sizeof(tests) / sizeof(tests[0]));
}
