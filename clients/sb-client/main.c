// SPDX-License-Identifier: MIT
/*
 * sb-client: a Wayland client for syncbridge's tests, demo and benchmarks. See clients/README.md.
 */
#include "client.h"
#include "options.h"
#include "report.h"
#include "util.h"

int main(int argc, char *argv[])
{
	struct options opts;
	struct client client;
	int code, ret;

	ret = options_parse(&opts, argc, argv);
	if (ret != 0) {
		options_finish(&opts);
		return ret > 0 ? EXIT_OK : EXIT_USAGE;
	}
	log_init(opts.debug);

	code = client_init(&client, &opts);
	if (code == EXIT_OK)
		code = client_run(&client);
	/* Whatever happened, what was recorded is reported. */
	if (client.start_ns) {
		if (opts.csv && report_write_csv(&client, opts.csv) < 0 && code == EXIT_OK)
			code = EXIT_FAIL;
		report_print_summary(&client);
	}
	client_finish(&client);
	options_finish(&opts);
	return code;
}
