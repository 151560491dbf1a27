// SPDX-License-Identifier: MIT
#include <fcntl.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fds.h"

const char *sb_fd_kind_name(enum sb_fd_kind kind)
{
	static const char *const names[] = {
		[SB_FD_PIPE] = "pipe",		[SB_FD_MEMFD] = "memfd",
		[SB_FD_EVENTFD] = "eventfd",	[SB_FD_SOCKET] = "socket",
		[SB_FD_DEV_NULL] = "/dev/null",
	};

	return names[kind];
}

int sb_open_fd_of_kind(enum sb_fd_kind kind)
{
	int fds[2];

	switch (kind) {
	case SB_FD_PIPE:
		if (pipe2(fds, O_CLOEXEC) < 0)
			return -1;
		close(fds[1]);
		return fds[0];
	case SB_FD_MEMFD:
		return memfd_create("sb-test", MFD_CLOEXEC);
	case SB_FD_EVENTFD:
		return eventfd(0, EFD_CLOEXEC);
	case SB_FD_SOCKET:
		return socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	case SB_FD_DEV_NULL:
		return open("/dev/null", O_RDWR | O_CLOEXEC);
	case SB_FD_KIND_COUNT:
		break;
	}
	return -1;
}

int sb_closed_fd(void)
{
	/* Far above what tests open, so that no later open in the test reuses the number. */
	int fd = fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 700);

	close(fd);
	return fd;
}

bool sb_fd_is_open(int fd)
{
	return fcntl(fd, F_GETFD) >= 0;
}
