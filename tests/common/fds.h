/* SPDX-License-Identifier: MIT */
#ifndef SB_TEST_FDS_H
#define SB_TEST_FDS_H

#include <stdbool.h>

/* Open files of kinds the bridge must refuse where it expects a sync_file, dma-buf or DRM fd. */
enum sb_fd_kind {
	SB_FD_PIPE,
	SB_FD_MEMFD,
	SB_FD_EVENTFD,
	SB_FD_SOCKET,
	SB_FD_DEV_NULL, /* a character device, but not DRM */
	SB_FD_KIND_COUNT,
};

const char *sb_fd_kind_name(enum sb_fd_kind kind);
/* An fd of that kind (a pipe's other end is closed at once), or -1. */
int sb_open_fd_of_kind(enum sb_fd_kind kind);
/* A number that was an fd and is closed now. */
int sb_closed_fd(void);
bool sb_fd_is_open(int fd);

#endif
