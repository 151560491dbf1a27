// SPDX-License-Identifier: MIT
/* sb-probe: what the running kernel offers for explicit and implicit sync, one line each. */
#include <stdio.h>
#include <string.h>

#include <syncbridge/log.h>
#include <syncbridge/probe.h>

int main(int argc, char *argv[])
{
	enum sb_log_importance verbosity = SB_ERROR;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-d") == 0) {
			verbosity = SB_DEBUG;
		} else {
			fprintf(stderr, "usage: %s [-d]\n", argv[0]);
			return 2;
		}
	}
	sb_log_init(verbosity, NULL);
	printf("%d capabilities found\n", sb_probe_report(stdout));
	return 0;
}
