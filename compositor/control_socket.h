/* SPDX-License-Identifier: MIT */
#ifndef SB_CONTROL_SOCKET_H
#define SB_CONTROL_SOCKET_H

#include <stdbool.h>

/*
 * The control socket (--control PATH): a Unix stream socket on which a script (sb-ctl) asks for
 * pictures, one command a line, one reply a line ("ok ..." or "error ..."):
 *   shot FILE [window=MATCH] [crop=window|output] [output=NAME]
 *   wait WHEN [window=MATCH] [timeout=MS] [shot=FILE] [crop=window|output] [output=NAME]
 *   move X Y [window=MATCH]
 *   windows
 *   quit
 * WHEN is --capture-when's (mapped, settled[:N], frame:N, after:MS); wait answers when it is met,
 * with the picture taken at that very frame if shot= says where; move puts a window's top-left at
 * layout (X, Y), for pictures whose layout does not depend on the order windows mapped in. Arguments holding spaces go
 * in double quotes. The compositor exports SYNCBRIDGE_CONTROL=PATH to its --exec command.
 */
#define SB_CONTROL_ENV "SYNCBRIDGE_CONTROL"

struct sb_server;
struct sb_control_socket;

/* Listens on path (only its owner may connect; a stale socket there is replaced). NULL, logged, on error. */
struct sb_control_socket *control_socket_create(struct sb_server *server, const char *path);
/* Closes every connection (their waits end) and removes the socket file. */
void control_socket_destroy(struct sb_control_socket *control);

#endif
