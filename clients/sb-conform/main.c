// SPDX-License-Identifier: MIT
/*
 * sb-conform: client-side conformance cases for the sync protocols of the compositor at
 * $WAYLAND_DISPLAY. Each case runs in a child process of its own (a crash or a hang fails that
 * case only) and prints TAP: ok, not ok, or ok # SKIP with the reason. A table follows as TAP
 * comments; --markdown FILE adds the compositor's column to the table in FILE (made if absent).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tc_client.h"
#include "conform.h"
#include "table.h"

bool sc_devices_required;
bool sc_globals_required;

static const char usage[] =
	"usage: sb-conform [options] [CASE...]\n"
	"  -n, --name NAME         the compositor's name in the table (default: $WAYLAND_DISPLAY)\n"
	"  -m, --markdown FILE     add this run's column to the markdown table in FILE\n"
	"  -d, --devices-required  a missing sw_sync, udmabuf or DRM device fails (the test VM)\n"
	"  -g, --globals-required  a global the suite knows that is not advertised fails (a\n"
	"                          compositor that serves them all: syncbridge)\n"
	"  -t, --timeout S         limit per case, in seconds (default 60)\n"
	"  -l, --list              print the case names and exit\n"
	"Runs every case, or those named. Exit status 0 when none failed.\n";

static const struct {
	const struct sc_case *cases;
	const size_t *n;
} groups[] = {
	{sc_dmabuf_cases, &sc_n_dmabuf_cases},	   {sc_implicit_cases, &sc_n_implicit_cases},
	{sc_explicit_cases, &sc_n_explicit_cases}, {sc_syncobj_cases, &sc_n_syncobj_cases},
	{sc_frame_cases, &sc_n_frame_cases},	   {sc_timing_cases, &sc_n_timing_cases},
};

#define N_GROUPS (sizeof(groups) / sizeof(groups[0]))
#define MAX_CASES 128

bool sc_require_global(struct sb_test_ctx *t, struct tc_client *client, const char *iface)
{
	static char reason[128];

	if (tc_client_global_version(client, iface) > 0)
		return true;
	snprintf(reason, sizeof(reason), "%s not advertised", iface);
	if (sc_globals_required) {
		printf("# %s, and this run requires every global the suite knows\n", reason);
		t->failed = true;
	} else {
		sb_skip(t, reason);
	}
	return false;
}

bool sc_require_device(struct sb_test_ctx *t, bool present, const char *what)
{
	static char reason[128];

	if (present)
		return true;
	snprintf(reason, sizeof(reason), "no %s in reach", what);
	if (sc_devices_required) {
		printf("# %s, and this run requires the devices\n", reason);
		t->failed = true;
	} else {
		sb_skip(t, reason);
	}
	return false;
}

/* In the child: runs the case, writes 'P', 'F' or 'S' + the skip reason to fd. */
static void run_child(const struct sc_case *c, int fd, unsigned timeout)
{
	struct sb_test_ctx t = {.data = c->data};
	char msg[160];
	int before, after, len;

	alarm(timeout);
	before = sb_count_fds();
	c->run(&t);
	after = sb_count_fds();
	if (!t.skip_reason && !t.failed && after != before) {
		printf("# %d fds open before, %d after: the case leaked or closed an fd\n", before,
		       after);
		t.failed = true;
	}
	if (t.failed)
		len = snprintf(msg, sizeof(msg), "F");
	else if (t.skip_reason)
		len = snprintf(msg, sizeof(msg), "S%s", t.skip_reason);
	else
		len = snprintf(msg, sizeof(msg), "P");
	fflush(stdout);
	if (write(fd, msg, (size_t)len) != len)
		_exit(3);
	/* exit(), not _exit(): LeakSanitizer checks the case at exit in an ASan build. */
	exit(0);
}

static enum sc_result run_case(const struct sc_case *c, unsigned timeout, char *reason, size_t size)
{
	char msg[160] = "";
	int pipefd[2], status;
	ssize_t len = 0, n;
	pid_t pid;

	snprintf(reason, size, "%s", "");
	fflush(stdout);
	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return SC_FAIL;
	pid = fork();
	if (pid < 0) {
		close(pipefd[0]);
		close(pipefd[1]);
		return SC_FAIL;
	}
	if (pid == 0) {
		close(pipefd[0]);
		run_child(c, pipefd[1], timeout);
	}
	close(pipefd[1]);
	while ((n = read(pipefd[0], msg + len, sizeof(msg) - 1 - (size_t)len)) > 0)
		len += n;
	close(pipefd[0]);
	msg[len] = '\0';
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (WIFSIGNALED(status)) {
		printf("# %s: %s\n", c->name,
		       WTERMSIG(status) == SIGALRM ? "timed out" : strsignal(WTERMSIG(status)));
		return SC_FAIL;
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) != 0) {
		printf("# %s: exited with status %d (a sanitizer's report is on stderr)\n", c->name,
		       WEXITSTATUS(status));
		return SC_FAIL;
	}
	if (msg[0] == 'P')
		return SC_PASS;
	if (msg[0] == 'S') {
		snprintf(reason, size, "%.*s", (int)size - 1, msg + 1);
		return SC_SKIP;
	}
	return SC_FAIL;
}

static const struct sc_case *find_case(const char *name)
{
	for (size_t g = 0; g < N_GROUPS; g++)
		for (size_t i = 0; i < *groups[g].n; i++)
			if (strcmp(groups[g].cases[i].name, name) == 0)
				return &groups[g].cases[i];
	return NULL;
}

int main(int argc, char *argv[])
{
	static const struct option options[] = {
		{"name", required_argument, NULL, 'n'},
		{"markdown", required_argument, NULL, 'm'},
		{"devices-required", no_argument, NULL, 'd'},
		{"globals-required", no_argument, NULL, 'g'},
		{"timeout", required_argument, NULL, 't'},
		{"list", no_argument, NULL, 'l'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	const struct sc_case *selected[MAX_CASES];
	struct sc_row rows[MAX_CASES];
	const char *name = getenv("WAYLAND_DISPLAY"), *markdown = NULL;
	unsigned timeout = 60;
	size_t n = 0, failed = 0;
	int opt;

	while ((opt = getopt_long(argc, argv, "n:m:dgt:lh", options, NULL)) != -1) {
		switch (opt) {
		case 'n':
			name = optarg;
			break;
		case 'm':
			markdown = optarg;
			break;
		case 'd':
			sc_devices_required = true;
			break;
		case 'g':
			sc_globals_required = true;
			break;
		case 't':
			timeout = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 'l':
			for (size_t g = 0; g < N_GROUPS; g++)
				for (size_t i = 0; i < *groups[g].n; i++)
					printf("%s\n", groups[g].cases[i].name);
			return 0;
		case 'h':
			fputs(usage, stdout);
			return 0;
		default:
			fputs(usage, stderr);
			return 2;
		}
	}
	if (optind < argc) {
		for (int i = optind; i < argc && n < MAX_CASES; i++) {
			selected[n] = find_case(argv[i]);
			if (!selected[n]) {
				fprintf(stderr, "sb-conform: no case %s (see --list)\n", argv[i]);
				return 2;
			}
			n++;
		}
	} else {
		for (size_t g = 0; g < N_GROUPS; g++)
			for (size_t i = 0; i < *groups[g].n && n < MAX_CASES; i++)
				selected[n++] = &groups[g].cases[i];
	}
	if (!name)
		name = "wayland-0";
	/* A case that dies of a protocol error must not take the suite with it. */
	signal(SIGPIPE, SIG_IGN);

	printf("1..%zu\n", n);
	printf("# compositor: %s\n", name);
	for (size_t i = 0; i < n; i++) {
		struct sc_row *row = &rows[i];

		row->c = selected[i];
		row->result = run_case(row->c, timeout, row->reason, sizeof(row->reason));
		switch (row->result) {
		case SC_PASS:
			printf("ok %zu - %s\n", i + 1, row->c->name);
			break;
		case SC_SKIP:
			printf("ok %zu - %s # SKIP %s\n", i + 1, row->c->name, row->reason);
			break;
		case SC_FAIL:
			printf("not ok %zu - %s\n", i + 1, row->c->name);
			failed++;
			break;
		}
		fflush(stdout);
	}
	sc_table_print(stdout, name, rows, n);
	if (markdown && sc_table_merge_markdown(markdown, name, rows, n) < 0) {
		fprintf(stderr, "sb-conform: %s: %s\n", markdown, strerror(errno));
		return 1;
	}
	return failed ? 1 : 0;
}
