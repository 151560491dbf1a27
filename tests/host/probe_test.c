// SPDX-License-Identifier: MIT
/* The capability probe: refused input, and a report that names every capability. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <syncbridge/probe.h>

#include "fds.h"
#include "tap.h"

static void eventfd_probe_asks_drm_devices_only(struct sb_test_ctx *t)
{
	for (int kind = 0; kind < SB_FD_KIND_COUNT; kind++) {
		int fd = sb_open_fd_of_kind(kind);

		sb_diag("%s", sb_fd_kind_name(kind));
		expect_errno(t, sb_probe_syncobj_eventfd(fd), EINVAL);
		close(fd);
	}
	expect_errno(t, sb_probe_syncobj_eventfd(-1), EBADF);
}

static void dmabuf_probes_refuse_other_files(struct sb_test_ctx *t)
{
	int fd = sb_open_fd_of_kind(SB_FD_MEMFD);

	/* An ioctl refused on a memfd says nothing about the kernel: an error, not "missing". */
	expect_errno(t, sb_probe_export_sync_file(fd), EINVAL);
	expect_errno(t, sb_probe_import_sync_file(fd), EINVAL);
	close(fd);
}

/* Report lines are "%-28s %s": the status word starts at column 29. */
static int count_present(const char *text)
{
	int n = 0;

	for (const char *line = text; line && *line; line = strchr(line, '\n')) {
		if (*line == '\n')
			line++;
		if (strlen(line) > 29 && strncmp(line + 29, "yes", 3) == 0)
			n++;
	}
	return n;
}

static void report_names_every_capability(struct sb_test_ctx *t)
{
	static const char *const names[] = {
		"kernel ",  "EXPORT_SYNC_FILE ", "IMPORT_SYNC_FILE ", "SYNC_IOC_SET_DEADLINE ",
		"dma-heap", "udmabuf ",		 "sw_sync ",
	};
	char *text = NULL;
	size_t size = 0;
	FILE *out = open_memstream(&text, &size);
	int found;

	if (!expect(t, out != NULL))
		return;
	found = sb_probe_report(out);
	fclose(out);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!expect(t, strstr(text, names[i]) != NULL))
			sb_diag("no line for %s", names[i]);
	}
	expect(t, strstr(text, "SYNCOBJ_EVENTFD") != NULL || strstr(text, "/dev/dri/") != NULL);
	/* The count returned is the count of capabilities reported present. */
	expect(t, found == count_present(text));
	for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n"))
		sb_diag("%s", line);
	free(text);
}

int main(void)
{
	static const struct sb_test tests[] = {
		SB_TEST(eventfd_probe_asks_drm_devices_only),
		SB_TEST(dmabuf_probes_refuse_other_files),
		SB_TEST(report_names_every_capability),
	};

	return sb_test_main(tests, sizeof(tests) / sizeof(tests[0]));
}
