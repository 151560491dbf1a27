// SPDX-License-Identifier: MIT
#include <stddef.h>
#include <string.h>

#include <drm_fourcc.h>

#include "pixel_format.h"

static const struct pixel_format formats[] = {
	{"xrgb8888", DRM_FORMAT_XRGB8888, 4},	    {"argb8888", DRM_FORMAT_ARGB8888, 4},
	{"xbgr8888", DRM_FORMAT_XBGR8888, 4},	    {"abgr8888", DRM_FORMAT_ABGR8888, 4},
	{"rgbx8888", DRM_FORMAT_RGBX8888, 4},	    {"rgba8888", DRM_FORMAT_RGBA8888, 4},
	{"bgrx8888", DRM_FORMAT_BGRX8888, 4},	    {"bgra8888", DRM_FORMAT_BGRA8888, 4},
	{"rgb565", DRM_FORMAT_RGB565, 2},	    {"bgr565", DRM_FORMAT_BGR565, 2},
	{"xrgb2101010", DRM_FORMAT_XRGB2101010, 4}, {"argb2101010", DRM_FORMAT_ARGB2101010, 4},
	{"xbgr2101010", DRM_FORMAT_XBGR2101010, 4}, {"abgr2101010", DRM_FORMAT_ABGR2101010, 4},
};

#define N_FORMATS (sizeof(formats) / sizeof(formats[0]))

const struct pixel_format *pixel_format_by_name(const char *name)
{
	for (size_t i = 0; i < N_FORMATS; i++)
		if (strcmp(formats[i].name, name) == 0)
			return &formats[i];
	return NULL;
}

const struct pixel_format *pixel_format_by_fourcc(uint32_t fourcc)
{
	for (size_t i = 0; i < N_FORMATS; i++)
		if (formats[i].fourcc == fourcc)
			return &formats[i];
	return NULL;
}

const char *pixel_format_names(void)
{
	return "xrgb8888, argb8888, xbgr8888, abgr8888, rgbx8888, rgba8888, bgrx8888, bgra8888, "
	       "rgb565, bgr565, xrgb2101010, argb2101010, xbgr2101010 or abgr2101010";
}

static uint32_t ten_bits(uint32_t c)
{
	return c << 2 | c >> 6;
}

/* One ARGB8888 pixel in fourcc's layout (the low 16 bits for the 16-bit formats). */
static uint32_t convert_pixel(uint32_t fourcc, uint32_t argb)
{
	uint32_t a = argb >> 24, r = (argb >> 16) & 0xff, g = (argb >> 8) & 0xff, b = argb & 0xff;

	switch (fourcc) {
	case DRM_FORMAT_XBGR8888:
	case DRM_FORMAT_ABGR8888:
		return a << 24 | b << 16 | g << 8 | r;
	case DRM_FORMAT_RGBX8888:
	case DRM_FORMAT_RGBA8888:
		return r << 24 | g << 16 | b << 8 | a;
	case DRM_FORMAT_BGRX8888:
	case DRM_FORMAT_BGRA8888:
		return b << 24 | g << 16 | r << 8 | a;
	case DRM_FORMAT_RGB565:
		return (r >> 3) << 11 | (g >> 2) << 5 | b >> 3;
	case DRM_FORMAT_BGR565:
		return (b >> 3) << 11 | (g >> 2) << 5 | r >> 3;
	case DRM_FORMAT_XRGB2101010:
	case DRM_FORMAT_ARGB2101010:
		return (a >> 6) << 30 | ten_bits(r) << 20 | ten_bits(g) << 10 | ten_bits(b);
	case DRM_FORMAT_XBGR2101010:
	case DRM_FORMAT_ABGR2101010:
		return (a >> 6) << 30 | ten_bits(b) << 20 | ten_bits(g) << 10 | ten_bits(r);
	default:
		return argb;
	}
}

void pixel_format_convert(const struct pixel_format *format, const void *src, uint32_t src_stride,
			  void *dst, uint32_t dst_stride, uint32_t width, uint32_t height)
{
	if (src == dst &&
	    (format->fourcc == DRM_FORMAT_XRGB8888 || format->fourcc == DRM_FORMAT_ARGB8888))
		return;
	for (uint32_t y = 0; y < height; y++) {
		const uint8_t *in = (const uint8_t *)src + (size_t)y * src_stride;
		uint8_t *out = (uint8_t *)dst + (size_t)y * dst_stride;

		/* Front to back: in place, pixel x lands in bytes pixel x - 1 has been read from. */
		for (uint32_t x = 0; x < width; x++) {
			uint32_t argb, v;

			memcpy(&argb, in + (size_t)x * 4, sizeof(argb));
			v = convert_pixel(format->fourcc, argb);
			if (format->bytes_per_pixel == 2) {
				uint16_t v16 = (uint16_t)v;

				memcpy(out + (size_t)x * 2, &v16, sizeof(v16));
			} else {
				memcpy(out + (size_t)x * 4, &v, sizeof(v));
			}
		}
	}
}
