/* SPDX-License-Identifier: MIT */
#ifndef SB_CLIENT_PIXEL_FORMAT_H
#define SB_CLIENT_PIXEL_FORMAT_H

#include <stdint.h>

/*
 * The single-plane RGB formats sb-client paints: the 8-bit orders with and without alpha, RGB565
 * and BGR565, the 10-bit ones (the formats wlroots 0.15.1's pixman renderer reads from wl_shm).
 */
struct pixel_format {
	const char *name; /* as --format takes it: "xrgb8888" */
	uint32_t fourcc;  /* DRM_FORMAT_* */
	uint32_t bytes_per_pixel;
};

/* The format called name, NULL if there is none. */
const struct pixel_format *pixel_format_by_name(const char *name);
/* The format with this fourcc, NULL if there is none. */
const struct pixel_format *pixel_format_by_fourcc(uint32_t fourcc);
/* "xrgb8888, argb8888, ...": every name, for messages. */
const char *pixel_format_names(void);

/*
 * Packs an image painted as ARGB8888 (one little-endian 32-bit word a pixel, rows of src_stride
 * bytes) into dst in format, rows of dst_stride bytes. dst may be src with the same stride.
 * Colour channels are cut to the format's depth (their high bits), 10-bit ones widened by
 * repeating their high bits.
 */
void pixel_format_convert(const struct pixel_format *format, const void *src, uint32_t src_stride,
			  void *dst, uint32_t dst_stride, uint32_t width, uint32_t height);

#endif
