// SPDX-License-Identifier: MIT
/* Guest: the project's kernel offers every ioctl the bridge uses, and the probes find them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <syncbridge/dmabuf.h>
#include <syncbridge/probe.h>
#include <syncbridge/sync_file.h>

#include "kdev.h"
#include "tap.h"

static void probes_find_every_dmabuf_ioctl(struct sb_test_ctx *t)
{
	int buf = sb_udmabuf_create(4096);
	struct sb_sync_file *sync_file;

	if (!expect(t, buf >= 0))
		return;
	expect(t, sb_probe_export_sync_file(buf) == 1);
	expect(t, sb_probe_import_sync_file(buf) == 1);
	sync_file = sb_dmabuf_export_sync_file(buf, SB_ACCESS_WRITE);
	expect(t, sync_file && sb_probe_set_deadline(sync_file) == 1);
	sb_sync_file_destroy(sync_file);
	close(buf);
}

/* The start of the first line that contains name, or NULL. */
static const char *line_with(const char *text, const char *name)
{
	const char *hit = strstr(text, name);

	if (!hit)
		return NULL;
	while (hit > text && hit[-1] != '\n')
		hit--;
	return hit;
}

static void report_says_yes_to_everything(struct sb_test_ctx *t)
{
	static const char *const names[] = {
		"EXPORT_SYNC_FILE", "IMPORT_SYNC_FILE", "SYNC_IOC_SET_DEADLINE",
		"SYNCOBJ_EVENTFD",  "dma-heap system",	"udmabuf",
		"sw_sync",
	};
	char *text = NULL;
	size_t size = 0;
	FILE *out = open_memstream(&text, &size);

	if (!expect(t, out != NULL))
		return;
	sb_probe_report(out);
	fclose(out);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		const char *line = line_with(text, names[i]);

		/* "%-28s %s": the status word is at column 29 of the line. */
		if (!expect(t, line && strlen(line) > 29 && strncmp(line + 29, "yes", 3) == 0))
			sb_diag("%s not reported present", names[i]);
	}
	for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n"))
		sb_diag("%s", line);
	free(text);
}

int main(void)
{
	static const struct sb_test tests[] = {
		SB_TEST(probes_find_every_dmabuf_ioctl),
		SB_TEST(report_says_yes_to_everything),
	};

	return sb_test_main(tests, sizeof(tests) / sizeof(tests[0]));
}
