/* SPDX-License-Identifier: MIT */
#ifndef SB_DESKTOP_PROTOCOLS_H
#define SB_DESKTOP_PROTOCOLS_H

#include <stdbool.h>

struct sb_desktop_protocols;
struct sb_server;
struct wlr_event_pointer_motion;

/*
 * The globals desktop programs bind beyond the core and xdg-shell, wlroots' implementations with
 * syncbridge's policy: selections, decorations, activation, idle, inhibitors, pointer
 * constraints, text input, taskbars (foreign_toplevel.c), outputs (output_management.c). One call
 * from create_globals(), after the seat.
 */
struct sb_desktop_protocols *sb_desktop_protocols_create(struct sb_server *server);
/*
 * Its listeners and policy state; the globals go with the display. After the clients are gone,
 * before the seat and the display. NULL is ignored.
 */
void sb_desktop_protocols_destroy(struct sb_desktop_protocols *desktop);
/* User input happened (org_kde_kwin_idle's timers restart). NULL is ignored. */
void sb_desktop_protocols_notify_activity(struct sb_desktop_protocols *desktop);
/*
 * Relative pointer motion for zwp_relative_pointer_v1; true if the focused surface holds a
 * zwp_locked_pointer_v1 lock, and the cursor must then not move. NULL: false.
 */
bool sb_desktop_protocols_pointer_motion(struct sb_desktop_protocols *desktop,
					 const struct wlr_event_pointer_motion *event);

#endif
