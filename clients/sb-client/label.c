// SPDX-License-Identifier: MIT
#include <ctype.h>
#include <stddef.h>
#include <string.h>

#include "label.h"
#include "label_font.h"

#define GLYPH_W 5
#define GLYPH_H 7
#define MARGIN 6
#define TEXT_COLOR 0xffffffffu
#define BOX_COLOR 0xff141414u

static const uint8_t *glyph_rows(char ch)
{
	char up = (char)toupper((unsigned char)ch);

	for (size_t i = 0; i < sizeof(label_font) / sizeof(label_font[0]); i++) {
		if (label_font[i].ch == up)
			return label_font[i].rows;
	}
	return glyph_rows('?');
}

static void put(void *pixels, uint32_t stride, uint32_t width, uint32_t height, uint32_t x,
		uint32_t y, uint32_t color)
{
	if (x < width && y < height)
		((uint32_t *)((char *)pixels + (size_t)y * stride))[x] = color;
}

static uint32_t line_scale(int line)
{
	return line == 0 ? 3 : 2;
}

void label_paint(void *pixels, uint32_t stride, uint32_t width, uint32_t height, const char *text)
{
	uint32_t box_w = 0, box_h = MARGIN, y0, cols = 0;
	int lines = 0;
	const char *p;

	/* The box: as wide as the longest line, as tall as all of them. */
	for (p = text;; p++) {
		if (*p == '|' || *p == '\0') {
			uint32_t s = line_scale(lines);
			uint32_t w = cols * (GLYPH_W + 1) * s + 2 * MARGIN;

			box_w = w > box_w ? w : box_w;
			box_h += (GLYPH_H + 2) * s + MARGIN / 2;
			lines++;
			cols = 0;
			if (*p == '\0')
				break;
		} else {
			cols++;
		}
	}
	box_h += MARGIN / 2;
	if (box_h > height)
		box_h = height;
	y0 = height - box_h;
	for (uint32_t y = y0; y < height; y++)
		for (uint32_t x = 0; x < box_w && x < width; x++)
			put(pixels, stride, width, height, x, y, BOX_COLOR);
	lines = 0;
	cols = 0;
	y0 += MARGIN;
	for (p = text; *p; p++) {
		uint32_t s = line_scale(lines);
		const uint8_t *rows;

		if (*p == '|') {
			y0 += (GLYPH_H + 2) * s + MARGIN / 2;
			lines++;
			cols = 0;
			continue;
		}
		rows = glyph_rows(*p);
		for (uint32_t gy = 0; gy < GLYPH_H * s; gy++) {
			for (uint32_t gx = 0; gx < GLYPH_W * s; gx++) {
				if (rows[gy / s] & (0x10 >> (gx / s)))
					put(pixels, stride, width, height,
					    MARGIN + cols * (GLYPH_W + 1) * s + gx, y0 + gy,
					    TEXT_COLOR);
			}
		}
		cols++;
	}
}
