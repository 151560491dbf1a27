/* SPDX-License-Identifier: MIT */
#ifndef SB_FOREIGN_TOPLEVEL_H
#define SB_FOREIGN_TOPLEVEL_H

#include <stdbool.h>

struct sb_server;

/*
 * zwlr_foreign_toplevel_manager_v1 (taskbars: waybar's wlr/taskbar): a handle for each mapped
 * xdg toplevel with its title, app_id, output and activated state; activate and close requests
 * are honoured.
 */
struct sb_foreign_toplevel;
struct sb_foreign_toplevel *sb_foreign_toplevel_create(struct sb_server *server);
/* Its listeners (the global goes with the display), once the clients are gone. NULL: nothing. */
void sb_foreign_toplevel_destroy(struct sb_foreign_toplevel *foreign);

#endif
