/* SPDX-License-Identifier: MIT */
#ifndef SB_OUTPUT_MANAGEMENT_H
#define SB_OUTPUT_MANAGEMENT_H

#include <stdbool.h>

struct sb_server;

/*
 * zwlr_output_manager_v1 (wlr-randr, kanshi) and zwlr_output_power_manager_v1 (swayidle's DPMS):
 * every head's state as the compositor has it, and a client's apply or test put through
 * output_configure(), the code the [output] sections go through at start.
 */
struct sb_output_management;
struct sb_output_management *sb_output_management_create(struct sb_server *server);
/* Its listeners (the globals go with the display), before the display. NULL: nothing. */
void sb_output_management_destroy(struct sb_output_management *management);

#endif
