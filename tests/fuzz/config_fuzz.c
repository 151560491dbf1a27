// SPDX-License-Identifier: MIT
/*
 * Fuzz target: the weston.ini reader (compositor/config.c). Any bytes, NULs included, must give
 * either a config or an error message naming file:line, never a crash, a leak or a read past the
 * buffer. The first byte also drives a command-line override on top, as `syncbridge --output-size`
 * and friends do.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const keys[][2] = {
		{"output", "size"},  {"output", "refresh"}, {"output", "mode"},
		{"output", "scale"}, {"core", "backend"},   {"sync", "implicit"},
	};
	struct sb_config config;
	char err[512];
	int ret;

	sb_config_init_defaults(&config);
	ret = sb_config_parse_buffer(&config, "fuzz.ini", (const char *)data, size, err,
				     sizeof(err));
	if (ret < 0) {
		/* A refused file names where: "fuzz.ini:LINE: ...". */
		if (strncmp(err, "fuzz.ini:", 9) != 0 && strncmp(err, "fuzz.ini", 8) != 0)
			__builtin_trap();
	} else if (size > 1) {
		/* An override with the tail of the input as its value, NUL-terminated. */
		char value[64];
		size_t n = size - 1 < sizeof(value) - 1 ? size - 1 : sizeof(value) - 1;
		const char *const *key = keys[data[0] % (sizeof(keys) / sizeof(keys[0]))];

		memcpy(value, data + 1, n);
		value[n] = '\0';
		sb_config_set(&config, key[0], key[1], value, err, sizeof(err));
		sb_config_find_output(&config, "HEADLESS-1");
	}
	sb_config_finish(&config);
	return 0;
}
