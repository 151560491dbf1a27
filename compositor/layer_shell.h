/* SPDX-License-Identifier: MIT */
#ifndef SB_LAYER_SHELL_H
#define SB_LAYER_SHELL_H

#include <stdbool.h>

struct sb_layer_shell;
struct sb_output;
struct sb_server;
struct wlr_box;
struct wlr_output;

/*
 * zwlr_layer_shell_v1 (wlroots 0.15's wlr_layer_shell_v1) and the scene's stacking: background
 * and bottom layers under server->view_tree, top and overlay above it. Owned by the server.
 */
struct sb_layer_shell *sb_layer_shell_create(struct sb_server *server);
/* Its listeners and per-output state (the global goes with the display), once the clients are
 * gone, before the display. NULL: nothing. */
void sb_layer_shell_destroy(struct sb_layer_shell *shell);
/*
 * The part of the output left to windows once the layer surfaces' exclusive zones are taken
 * out, in layout coordinates; the whole output if none. An empty box for a NULL output.
 */
void sb_layer_shell_usable_area(struct sb_output *output, struct wlr_box *out);
/* The same for a wlr_output (one the compositor did not take: an empty box). */
void sb_layer_shell_output_usable_area(struct sb_layer_shell *shell, struct wlr_output *output,
				       struct wlr_box *out);

#endif
