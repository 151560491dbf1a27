// SPDX-License-Identifier: MIT
/*
 * sb-ctl: one command to a running syncbridge's control socket (--control PATH), its one-line
 * reply on stdout. Picture paths are made absolute here, since the compositor has its own
 * working directory. Exit status: 0 for "ok", 1 for "error", 2 if the command could not be sent.
 */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static const char usage[] =
	"usage: sb-ctl [-s SOCKET] COMMAND [ARG...]\n"
	"  -s SOCKET   the control socket (default: $SYNCBRIDGE_CONTROL, which syncbridge\n"
	"              exports to its --exec command)\n"
	"commands:\n"
	"  shot FILE.png [window=ID] [crop=window|output] [output=NAME]   a picture now\n"
	"  wait WHEN [window=ID] [timeout=MS] [shot=FILE.png] [crop=window|output]\n"
	"              until WHEN (mapped, settled[:N], frame:N, after:MS), with a picture of\n"
	"              that very frame if shot= is given\n"
	"  move X Y [window=ID]   puts the window's top-left at layout (X, Y)\n"
	"  close [window=ID]   asks the window to close\n"
	"  maximize|fullscreen [window=ID] [off]   (un)maximizes it, or fills its output\n"
	"  windows     the mapped windows: app_id, title, box, frames presented, kind (xdg,\n"
	"              x11), focused / maximized / fullscreen\n"
	"  quit        ends the compositor\n";

/* Appends word to line, quoted if it holds a space; FILE arguments made absolute. */
static int append(char *line, size_t size, const char *word, bool is_path)
{
	char path[PATH_MAX + 8], cwd[PATH_MAX];
	size_t len = strlen(line);
	const char *prefix = "", *value = word;
	int n;

	if (strchr(word, '"') || strchr(word, '\n')) {
		fprintf(stderr, "sb-ctl: '%s': no double quotes or newlines in arguments\n", word);
		return -1;
	}
	if (strncmp(word, "shot=", 5) == 0) {
		prefix = "shot=";
		value = word + 5;
		is_path = true;
	}
	if (is_path && value[0] != '/') {
		if (!getcwd(cwd, sizeof(cwd))) {
			perror("sb-ctl: getcwd");
			return -1;
		}
		snprintf(path, sizeof(path), "%s/%s", cwd, value);
		value = path;
	}
	n = snprintf(line + len, size - len, strpbrk(value, " \t") ? "%s%s\"%s\"" : "%s%s%s",
		     len ? " " : "", prefix, value);
	if (n < 0 || (size_t)n >= size - len) {
		fprintf(stderr, "sb-ctl: command too long\n");
		return -1;
	}
	return 0;
}

int main(int argc, char *argv[])
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	const char *path = getenv("SYNCBRIDGE_CONTROL");
	char line[4096] = "", reply[4096];
	size_t got = 0;
	int fd, i = 1;

	if (argc > 2 && strcmp(argv[1], "-s") == 0) {
		path = argv[2];
		i = 3;
	}
	if (i >= argc || strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
		fputs(usage, i >= argc ? stderr : stdout);
		return i >= argc ? 2 : 0;
	}
	if (!path || !*path) {
		fprintf(stderr, "sb-ctl: no socket: give -s SOCKET or set SYNCBRIDGE_CONTROL\n");
		return 2;
	}
	for (int first = i; i < argc; i++) {
		/* shot's first argument is the picture's path. */
		bool is_path = i == first + 1 && strcmp(argv[first], "shot") == 0;

		if (append(line, sizeof(line) - 1, argv[i], is_path) < 0)
			return 2;
	}
	strcat(line, "\n");
	if (strlen(path) >= sizeof(addr.sun_path)) {
		fprintf(stderr, "sb-ctl: socket path too long: %s\n", path);
		return 2;
	}
	strcpy(addr.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		fprintf(stderr, "sb-ctl: cannot connect to %s: %s\n", path, strerror(errno));
		return 2;
	}
	if (send(fd, line, strlen(line), MSG_NOSIGNAL) != (ssize_t)strlen(line)) {
		fprintf(stderr, "sb-ctl: cannot send: %s\n", strerror(errno));
		close(fd);
		return 2;
	}
	/* One reply line; a wait may take as long as its trigger (or its timeout=). */
	while (got < sizeof(reply) - 1 && !memchr(reply, '\n', got)) {
		ssize_t n = recv(fd, reply + got, sizeof(reply) - 1 - got, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	reply[got] = '\0';
	if (!memchr(reply, '\n', got)) {
		fprintf(stderr, "sb-ctl: the compositor closed the connection without a reply\n");
		return 2;
	}
	fputs(reply, stdout);
	return strncmp(reply, "ok", 2) == 0 && (reply[2] == ' ' || reply[2] == '\n') ? 0 : 1;
}
