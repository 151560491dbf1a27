/* SPDX-License-Identifier: MIT */
#ifndef SB_CLIENT_PATTERN_H
#define SB_CLIENT_PATTERN_H

#include <stdint.h>

#include "options.h"

/*
 * Fills a 32 bpp (XRGB8888/ARGB8888, little endian) image. PATTERN_SOLID: the colour everywhere.
 * PATTERN_COUNTER, so that screenshots tell frames apart:
 *  - background: the colour;
 *  - a full-height band, 1/16 of the width (at least 1 pixel), in the colour's RGB inverse, at
 *    x = (frame % 16) * band width;
 *  - on top, a row of 16 cells, each 1/16 of the width and min(height / 8, 16) pixels high (at
 *    least 1): bit 15 - i of the frame number in cell i (most significant left), white for 1 and
 *    black for 0, both opaque.
 * PATTERN_EDGES, so that screenshots tell which way up a buffer is shown: the colour, with the top
 * height / 8 rows (at least 1) opaque white and the bottom height / 8 rows (at least 1) in the
 * colour's RGB inverse.
 */
void pattern_paint(void *pixels, uint32_t stride, uint32_t width, uint32_t height,
		   enum pattern_kind kind, uint32_t color, uint64_t frame);

/* Turns an image of height rows of stride bytes upside down, in place. */
void pattern_flip_rows(void *pixels, uint32_t stride, uint32_t height);

#endif
