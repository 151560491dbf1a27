/* SPDX-License-Identifier: MIT */
#ifndef SB_SCREENSHOT_H
#define SB_SCREENSHOT_H

#include <stdbool.h>
#include <stdint.h>

struct sb_server;
struct wlr_box;

/* Pixels read back from a rendering of the scene: XRGB8888, stride bytes a row. */
struct sb_shot {
	uint32_t *pixels;
	int width, height;
	uint32_t stride;
};

/*
 * Renders what output_name (NULL: the primary output) shows or, if box is given, the box of
 * layout coordinates (a window's), in the scale of the output under it. Never the cursor. The
 * background is server->background. Returns false (and logs why) if there is nothing to render.
 */
bool screenshot_grab(struct sb_server *server, const char *output_name, const struct wlr_box *box,
		     struct sb_shot *shot);
/* Writes an RGB PNG (PATH.tmp renamed: a reader never sees half a file). */
bool screenshot_save(const struct sb_shot *shot, const char *path);
/* A hash of the pixels: the same picture gives the same value. */
uint64_t screenshot_hash(const struct sb_shot *shot);
void screenshot_release(struct sb_shot *shot);

#endif
