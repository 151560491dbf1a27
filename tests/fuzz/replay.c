// SPDX-License-Identifier: MIT
/*
 * Runs a fuzz target over files and directories of inputs, one TAP line each: the seed corpus and
 * every crash found so far (regressions) run in the ordinary and the ASan+UBSan builds, where
 * libFuzzer is not available (gcc).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz.h"

static int count;

static int run_file(const char *path)
{
	struct stat st;
	uint8_t *data;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || fstat(fd, &st) < 0) {
		printf("not ok %d - %s: %s\n", ++count, path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	/* One byte more than the file, so that an empty file is a valid zero-size input. */
	data = malloc((size_t)st.st_size + 1);
	n = data ? read(fd, data, (size_t)st.st_size) : -1;
	close(fd);
	if (n != st.st_size) {
		printf("not ok %d - %s: short read\n", ++count, path);
		free(data);
		return -1;
	}
	LLVMFuzzerTestOneInput(data, (size_t)n);
	free(data);
	printf("ok %d - %s (%zd bytes)\n", ++count, path, n);
	return 0;
}

static int compare(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int run_dir(const char *dir)
{
	struct dirent *entry;
	char **names = NULL;
	size_t n = 0;
	int status = 0;
	DIR *d = opendir(dir);

	if (!d)
		return run_file(dir);
	while ((entry = readdir(d))) {
		char **more;

		if (entry->d_name[0] == '.')
			continue;
		more = realloc(names, (n + 1) * sizeof(*names));
		if (!more)
			break;
		names = more;
		if (asprintf(&names[n], "%s/%s", dir, entry->d_name) < 0)
			break;
		n++;
	}
	closedir(d);
	/* Sorted: the same numbering every run. */
	qsort(names, n, sizeof(*names), compare);
	for (size_t i = 0; i < n; i++) {
		if (run_file(names[i]) < 0)
			status = -1;
		free(names[i]);
	}
	free(names);
	return status;
}

int main(int argc, char **argv)
{
	int status = 0;

	for (int i = 1; i < argc; i++)
		if (run_dir(argv[i]) < 0)
			status = 1;
	if (count == 0) {
		printf("not ok 1 - no inputs in the arguments\n");
		count = 1;
		status = 1;
	}
	printf("1..%d\n", count);
	return status;
}
