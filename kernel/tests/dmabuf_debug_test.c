// SPDX-License-Identifier: MIT
/*
 * Guest: CONFIG_DMABUF_DEBUG (upstream since 5.12). The in-kernel dma-buf selftests ran at boot
 * (tests/vm/run fails the run on a failed one); this checks in the kernel log that they did,
 * including dma_buf_debug (kernel/patches 0006), whose importer must see scrambled page pointers
 * and whose exporter must get its own back, and that no importer complained.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/klog.h>

#include "tap.h"

#define SYSLOG_ACTION_READ_ALL 3
#define SYSLOG_ACTION_SIZE_BUFFER 10

static char *kernel_log(void)
{
	int size = klogctl(SYSLOG_ACTION_SIZE_BUFFER, NULL, 0), n;
	char *buf;

	if (size <= 0)
		return NULL;
	buf = calloc(1, (size_t)size + 1);
	if (!buf)
		return NULL;
	n = klogctl(SYSLOG_ACTION_READ_ALL, buf, size);
	if (n < 0) {
		free(buf);
		return NULL;
	}
	buf[n] = '\0';
	return buf;
}

static void selftest_dma_buf_debug_ran(struct sb_test_ctx *t)
{
	char *log = kernel_log();

	if (!expect(t, log != NULL))
		return;
	expect(t, strstr(log, "dma-buf: Running dma_buf_debug/importer_page_is_mangled_and_restored") !=
			  NULL);
	free(log);
}

static void no_dma_buf_selftest_failed(struct sb_test_ctx *t)
{
	char *log = kernel_log();
	int ran = 0;

	if (!expect(t, log != NULL))
		return;
	for (const char *p = log; (p = strstr(p, "dma-buf: Running ")); p++)
		ran++;
	sb_diag("%d dma-buf selftests and subtests ran at boot", ran);
	expect(t, ran > 10);
	/* selftest.c: "dma-buf/<test>: <subtest> failed with error"; st-dma-buf.c's own messages. */
	expect(t, strstr(log, "failed with error") == NULL);
	expect(t, strstr(log, "importer sees page") == NULL);
	expect(t, strstr(log, "exporter got back page") == NULL);
	free(log);
}

int main(void)
{
	static const struct sb_test tests[] = {
		SB_TEST(selftest_dma_buf_debug_ran),
		SB_TEST(no_dma_buf_selftest_failed),
	};

	return sb_test_main(tests, sizeof(tests) / sizeof(tests[0]));
}
