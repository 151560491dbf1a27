// SPDX-License-Identifier: MIT
#include <stddef.h>
#include <string.h>

#include "pattern.h"

static void fill(void *pixels, uint32_t stride, uint32_t x0, uint32_t y0, uint32_t x1, uint32_t y1,
		 uint32_t color)
{
	for (uint32_t y = y0; y < y1; y++) {
		uint32_t *row = (uint32_t *)((char *)pixels + (size_t)y * stride);
		for (uint32_t x = x0; x < x1; x++)
			row[x] = color;
	}
}

static uint32_t max_u32(uint32_t a, uint32_t b)
{
	return a > b ? a : b;
}

static uint32_t min_u32(uint32_t a, uint32_t b)
{
	return a < b ? a : b;
}

void pattern_paint(void *pixels, uint32_t stride, uint32_t width, uint32_t height,
		   enum pattern_kind kind, uint32_t color, uint64_t frame)
{
	uint32_t cell = max_u32(width / 16, 1);
	uint32_t bits_height = max_u32(min_u32(height / 8, 16), 1);
	uint32_t x;

	fill(pixels, stride, 0, 0, width, height, color);
	if (kind == PATTERN_EDGES) {
		uint32_t edge = min_u32(max_u32(height / 8, 1), height);

		fill(pixels, stride, 0, 0, width, edge, 0xffffffffu);
		fill(pixels, stride, 0, height - edge, width, height,
		     (color & 0xff000000u) | (~color & 0x00ffffffu));
		return;
	}
	if (kind != PATTERN_COUNTER)
		return;
	x = (uint32_t)(frame % 16) * cell;
	if (x < width)
		fill(pixels, stride, x, 0, min_u32(x + cell, width), height,
		     (color & 0xff000000u) | (~color & 0x00ffffffu));
	for (uint32_t i = 0; i < 16; i++) {
		x = i * cell;
		if (x >= width)
			break;
		uint32_t bit = (uint32_t)(frame >> (15 - i)) & 1;
		fill(pixels, stride, x, 0, min_u32(x + cell, width), bits_height,
		     bit ? 0xffffffffu : 0xff000000u);
	}
}

void pattern_flip_rows(void *pixels, uint32_t stride, uint32_t height)
{
	uint8_t tmp[1024];

	for (uint32_t y = 0; y < height / 2; y++) {
		uint8_t *a = (uint8_t *)pixels + (size_t)y * stride;
		uint8_t *b = (uint8_t *)pixels + (size_t)(height - 1 - y) * stride;

		/* Swapped a chunk at a time: no allocation for any width. */
		for (uint32_t x = 0; x < stride; x += sizeof(tmp)) {
			size_t n = stride - x < sizeof(tmp) ? stride - x : sizeof(tmp);

			memcpy(tmp, a + x, n);
			memcpy(a + x, b + x, n);
			memcpy(b + x, tmp, n);
		}
	}
}
