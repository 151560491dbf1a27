// SPDX-License-Identifier: MIT
/* Screenshots: the scene rendered on the primary output into a buffer of our own, to PNG. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <drm_fourcc.h>
#include <png.h>
#include <wlr/render/allocator.h>
#include <wlr/render/drm_format_set.h>
#include <wlr/render/wlr_renderer.h>
#include <wlr/types/wlr_buffer.h>
#include <wlr/types/wlr_output.h>
#include <wlr/types/wlr_output_layout.h>
#include <wlr/types/wlr_scene.h>
#include <wlr/util/log.h>

#include "server.h"

/* Written to PATH.tmp and renamed, so that a reader never sees half a file. */
static bool write_png(const char *path, const uint32_t *pixels, int width, int height,
		      uint32_t stride)
{
	char tmp[4096];
	png_structp png = NULL;
	png_infop info = NULL;
	/* volatile: both are read after libpng's longjmp on error. */
	png_bytep volatile row = NULL;
	volatile bool ok = false;
	FILE *file;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	file = fopen(tmp, "wbe");
	if (!file) {
		wlr_log_errno(WLR_ERROR, "screenshot: cannot create %s", path);
		return false;
	}
	png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
	info = png ? png_create_info_struct(png) : NULL;
	row = malloc((size_t)width * 3);
	if (!png || !info || !row)
		goto out;
	if (setjmp(png_jmpbuf(png)))
		goto out;
	png_init_io(png, file);
	png_set_IHDR(png, info, (png_uint_32)width, (png_uint_32)height, 8, PNG_COLOR_TYPE_RGB,
		     PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
	png_write_info(png, info);
	for (int y = 0; y < height; y++) {
		const uint32_t *src = (const uint32_t *)((const uint8_t *)pixels + y * stride);

		/* DRM_FORMAT_XRGB8888 is a native-endian 32-bit word 0xXXRRGGBB. */
		for (int x = 0; x < width; x++) {
			row[3 * x + 0] = (src[x] >> 16) & 0xff;
			row[3 * x + 1] = (src[x] >> 8) & 0xff;
			row[3 * x + 2] = src[x] & 0xff;
		}
		png_write_row(png, row);
	}
	png_write_end(png, NULL);
	ok = true;
out:
	if (!ok)
		wlr_log(WLR_ERROR, "screenshot: cannot write %s", path);
	png_destroy_write_struct(&png, &info);
	free(row);
	if (fclose(file) != 0)
		ok = false;
	if (ok && rename(tmp, path) < 0) {
		wlr_log_errno(WLR_ERROR, "screenshot: cannot rename %s to %s", tmp, path);
		ok = false;
	}
	if (!ok)
		unlink(tmp);
	return ok;
}

bool screenshot_write_png(struct sb_server *server, const char *path)
{
	struct wlr_output *output = server_primary_output(server);
	struct wlr_drm_format *format;
	struct wlr_buffer *buffer;
	struct wlr_box *box;
	uint32_t *pixels, stride;
	bool ok = false;
	int width, height;

	if (!output || !(box = wlr_output_layout_get_box(server->output_layout, output))) {
		wlr_log(WLR_ERROR, "screenshot: no output");
		return false;
	}
	wlr_output_effective_resolution(output, &width, &height);
	format = calloc(1, sizeof(*format) + sizeof(format->modifiers[0]));
	if (!format)
		return false;
	format->format = DRM_FORMAT_XRGB8888;
	format->len = 1;
	format->capacity = 1;
	format->modifiers[0] = DRM_FORMAT_MOD_LINEAR;
	buffer = wlr_allocator_create_buffer(server->allocator, output->width, output->height,
					     format);
	free(format);
	stride = (uint32_t)output->width * 4;
	pixels = malloc((size_t)stride * (size_t)output->height);
	if (!buffer || !pixels) {
		wlr_log(WLR_ERROR, "screenshot: cannot allocate a %dx%d buffer", output->width,
			output->height);
		goto out;
	}
	if (!wlr_renderer_begin_with_buffer(server->renderer, buffer))
		goto out;
	wlr_renderer_clear(server->renderer, (float[4]){0, 0, 0, 1});
	output_bracket_cpu_reads(server, output, true);
	wlr_scene_render_output(server->scene, output, box->x, box->y, NULL);
	output_bracket_cpu_reads(server, output, false);
	ok = wlr_renderer_read_pixels(server->renderer, DRM_FORMAT_XRGB8888, NULL, stride,
				      (uint32_t)output->width, (uint32_t)output->height, 0, 0, 0, 0,
				      pixels);
	wlr_renderer_end(server->renderer);
	if (!ok) {
		wlr_log(WLR_ERROR, "screenshot: cannot read the rendered pixels back");
		goto out;
	}
	ok = write_png(path, pixels, output->width, output->height, stride);
	if (ok)
		wlr_log(WLR_INFO, "screenshot: %s (%dx%d)", path, output->width, output->height);
out:
	free(pixels);
	if (buffer)
		wlr_buffer_drop(buffer);
	return ok;
}
