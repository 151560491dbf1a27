/* SPDX-License-Identifier: MIT */
#ifndef SB_CLIENT_LABEL_H
#define SB_CLIENT_LABEL_H

#include <stdint.h>

/*
 * --label: text in the window's bottom-left corner, white on a near-black box, so that a
 * screenshot says which client is which. Lines are separated by '|'; the first is drawn three
 * times the font's size, the others twice. Letters are drawn as capitals; a character the 5x7
 * font lacks is drawn as '?'. Pixels: 32 bpp XRGB8888/ARGB8888, opaque.
 */
void label_paint(void *pixels, uint32_t stride, uint32_t width, uint32_t height, const char *text);

#endif
