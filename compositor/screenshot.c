// SPDX-License-Identifier: MIT
/*
 * Screenshots: the scene rendered into a buffer of our own, as an output shows it or cropped to
 * a box of layout coordinates (a window), to PNG.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

#include "screenshot.h"
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

/* The output named name, or the primary one when name is NULL. */
static struct wlr_output *output_for(struct sb_server *server, const char *name)
{
	struct wlr_output *output = server_primary_output(server);
	struct wlr_output_layout_output *lo;

	if (!name)
		return output;
	wl_list_for_each(lo, &server->output_layout->outputs, link) {
		if (strcmp(lo->output->name, name) == 0)
			return lo->output;
	}
	return NULL;
}

bool screenshot_grab(struct sb_server *server, const char *output_name, const struct wlr_box *box,
		     struct sb_shot *shot)
{
	struct wlr_output *output;
	struct wlr_drm_format *format;
	struct wlr_buffer *buffer = NULL;
	struct wlr_box *obox, area;
	uint32_t *pixels = NULL, stride;
	bool ok = false;
	int width, height;

	*shot = (struct sb_shot){0};
	output = box ? wlr_output_layout_output_at(server->output_layout, box->x + box->width / 2.0,
						   box->y + box->height / 2.0)
		     : output_for(server, output_name);
	if (!output && box)
		output = server_primary_output(server);
	if (!output || !(obox = wlr_output_layout_get_box(server->output_layout, output))) {
		wlr_log(WLR_ERROR, "screenshot: no output%s%s", output_name ? " named " : "",
			output_name ? output_name : "");
		return false;
	}
	/*
	 * The scene is rendered as if the output's top-left were at the area's: a window's box
	 * lands at pixel (0, 0), in the output's scale. The buffer is the output's size, so a
	 * window larger than its output is cut at the output's size.
	 */
	area = box ? *box : *obox;
	width = (int)(area.width * output->scale + 0.5f);
	height = (int)(area.height * output->scale + 0.5f);
	if (width > output->width)
		width = output->width;
	if (height > output->height)
		height = output->height;
	if (width <= 0 || height <= 0) {
		wlr_log(WLR_ERROR, "screenshot: nothing to capture (%dx%d)", width, height);
		return false;
	}
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
	stride = (uint32_t)width * 4;
	pixels = malloc((size_t)stride * (size_t)height);
	if (!buffer || !pixels) {
		wlr_log(WLR_ERROR, "screenshot: cannot allocate a %dx%d buffer", output->width,
			output->height);
		goto out;
	}
	if (!wlr_renderer_begin_with_buffer(server->renderer, buffer))
		goto out;
	wlr_renderer_clear(server->renderer, server->background);
	output_bracket_cpu_reads(server, output, true);
	/* No cursor: wlr_scene_render_output draws the scene's nodes only, never the cursor. */
	wlr_scene_render_output(server->scene, output, area.x, area.y, NULL);
	output_bracket_cpu_reads(server, output, false);
	ok = wlr_renderer_read_pixels(server->renderer, DRM_FORMAT_XRGB8888, NULL, stride,
				      (uint32_t)width, (uint32_t)height, 0, 0, 0, 0, pixels);
	wlr_renderer_end(server->renderer);
	if (!ok) {
		wlr_log(WLR_ERROR, "screenshot: cannot read the rendered pixels back");
		goto out;
	}
	*shot = (struct sb_shot){
		.pixels = pixels, .width = width, .height = height, .stride = stride};
	pixels = NULL;
out:
	free(pixels);
	if (buffer)
		wlr_buffer_drop(buffer);
	return ok;
}

bool screenshot_save(const struct sb_shot *shot, const char *path)
{
	if (!write_png(path, shot->pixels, shot->width, shot->height, shot->stride))
		return false;
	wlr_log(WLR_INFO, "screenshot: %s (%dx%d)", path, shot->width, shot->height);
	return true;
}

uint64_t screenshot_hash(const struct sb_shot *shot)
{
	/* FNV-1a over the visible channels: the X byte of XRGB8888 is undefined. */
	uint64_t hash = 0xcbf29ce484222325ull;

	for (int y = 0; y < shot->height; y++) {
		const uint32_t *row = (const uint32_t *)((const uint8_t *)shot->pixels +
							 (size_t)y * shot->stride);

		for (int x = 0; x < shot->width; x++) {
			hash ^= row[x] & 0xffffff;
			hash *= 0x100000001b3ull;
		}
	}
	return hash;
}

void screenshot_release(struct sb_shot *shot)
{
	free(shot->pixels);
	*shot = (struct sb_shot){0};
}

bool screenshot_write_png(struct sb_server *server, const char *path)
{
	struct sb_shot shot;
	bool ok;

	if (!screenshot_grab(server, NULL, NULL, &shot))
		return false;
	ok = screenshot_save(&shot, path);
	screenshot_release(&shot);
	return ok;
}
