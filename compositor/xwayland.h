/* SPDX-License-Identifier: MIT */
#ifndef SB_XWAYLAND_H
#define SB_XWAYLAND_H

struct sb_server;
struct sb_xwayland;

/*
 * Xwayland, started lazily on the first X11 connection; sets DISPLAY for the clients the
 * compositor starts and logs it. NULL on failure (logged). X11 windows become views.
 */
struct sb_xwayland *sb_xwayland_create(struct sb_server *server);
/* Before the display goes; NULL is fine. */
void sb_xwayland_destroy(struct sb_xwayland *xwayland);

#endif
