// SPDX-License-Identifier: MIT
/*
 * The renderer: wlroots' own, and over its pixman renderer a thin one that changes one thing.
 *
 * wlroots 0.15's pixman renderer draws every texture through a transform: it inverts the
 * texture's float matrix into a pixman_transform, sets it on the image and composites the whole
 * output through the scissor. For a surface at an integer position at scale 1 (nearly every
 * surface of a desktop) that transform is a pure translation, and pixman then takes its nearest-
 * neighbour scaling path: per pixel a coordinate step and a fetch, about 17 instructions a pixel
 * for 32-bit ARGB on SSE2. The same composition without a transform, with the translation as the
 * destination offset, is pixman's plain OVER (a copy for opaque formats): the same pixels, a third
 * of the instructions. Here the matrix is converted exactly as wlroots converts it, and only when
 * the result is an exact integer translation at alpha 1 is the plain path taken; everything else
 * goes to wlroots unchanged.
 *
 * And on an opaque target (XRGB8888), a texture composed OVER pixels that are still the opaque
 * black of the frame's clear gives exactly its own colour channels: there the composition is a
 * copy (pixman's SRC), not a blend. wlroots' scene clears every damaged rectangle to black first,
 * so the bottom surface of each rectangle is copied and only what lies over another is blended.
 */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <pixman.h>
#include <wlr/render/interface.h>
#include <wlr/render/pixman.h>
#include <wlr/render/wlr_texture.h>
#include <wlr/types/wlr_buffer.h>
#include <wlr/types/wlr_matrix.h>
#include <wlr/util/box.h>
#include <wlr/util/log.h>

#include "linux_dmabuf_v1.h"
#include "renderer.h"

struct sb_renderer {
	struct wlr_renderer base;
	struct wlr_renderer *inner; /* wlroots' pixman renderer, owned */
	bool plain_enabled;	    /* SB_PIXMAN_PLAIN=0: every texture through wlroots */
	/*
	 * This frame's pixels that are still the opaque black of a clear, nothing drawn over them
	 * yet; and the scissor (the whole target when has_scissor is false).
	 */
	pixman_region32_t black;
	pixman_box32_t scissor;
	bool has_scissor;
	uint64_t plain, copied, transformed, flipped;
};

/*
 * wlroots 0.15.1's struct wlr_pixman_texture (include/render/pixman.h, private to wlroots). Only
 * `image` and `buffer` are read, so that the buffer's data can be bracketed exactly as wlroots
 * brackets it; image_of() checks the copy against the public wlr_pixman_texture_get_image() before
 * each use, and a texture that does not match is drawn by wlroots.
 */
struct wlroots_pixman_texture {
	struct wlr_texture wlr_texture;
	void *renderer;
	struct wl_list link;
	pixman_image_t *image;
	pixman_format_code_t format;
	const void *format_info;
	void *data;
	struct wlr_buffer *buffer;
};

static const struct wlr_renderer_impl renderer_impl;

static struct sb_renderer *sb_renderer_from(struct wlr_renderer *wlr_renderer)
{
	struct sb_renderer *renderer;

	assert(wlr_renderer->impl == &renderer_impl);
	return wl_container_of(wlr_renderer, renderer, base);
}

/*
 * pixman_transform_from_pixman_f_transform()'s rounding, floor(v * 65536 + 0.5), as wlroots'
 * conversion uses it; for |v| <= 32767, the range that conversion accepts.
 */
static pixman_fixed_t fixed_of(float v)
{
	double d = (double)v * 65536.0 + 0.5;
	int64_t i = (int64_t)d;

	return (pixman_fixed_t)(d < (double)i ? i - 1 : i);
}

/*
 * Whether wlroots would sample the texture through an exact integer translation, and by how
 * much: the matrix wlroots builds (scaled by the source box), in pixman's fixed point, is
 * [1 0 x; 0 1 y; 0 0 1] with x and y whole. Its inverse is then exact too.
 */
static bool integer_translation(const struct wlr_fbox *box, const float matrix[static 9], int *x,
				int *y)
{
	float m[9];
	pixman_fixed_t fx, fy;

	if (!(box->width > 0 && box->height > 0))
		return false;
	memcpy(m, matrix, sizeof(m));
	wlr_matrix_scale(m, 1.0 / box->width, 1.0 / box->height);
	/* Outside it (or NaN) wlroots' own conversion fails too. */
	for (int i = 0; i < 9; i++)
		if (!(m[i] >= -32767.0f && m[i] <= 32767.0f))
			return false;
	if (fixed_of(m[0]) != pixman_fixed_1 || fixed_of(m[1]) != 0 || fixed_of(m[3]) != 0 ||
	    fixed_of(m[4]) != pixman_fixed_1 || fixed_of(m[6]) != 0 || fixed_of(m[7]) != 0 ||
	    fixed_of(m[8]) != pixman_fixed_1)
		return false;
	fx = fixed_of(m[2]);
	fy = fixed_of(m[5]);
	if (pixman_fixed_frac(fx) || pixman_fixed_frac(fy))
		return false;
	*x = pixman_fixed_to_int(fx);
	*y = pixman_fixed_to_int(fy);
	return true;
}

static struct wlroots_pixman_texture *image_of(struct wlr_texture *texture)
{
	struct wlroots_pixman_texture *copy;

	if (!wlr_texture_is_pixman(texture))
		return NULL;
	copy = (struct wlroots_pixman_texture *)texture;
	return copy->image == wlr_pixman_texture_get_image(texture) ? copy : NULL;
}

static void current_scissor(struct sb_renderer *renderer, pixman_image_t *target,
			    pixman_region32_t *region)
{
	if (renderer->has_scissor)
		pixman_region32_init_with_extents(region, &renderer->scissor);
	else
		pixman_region32_init_rect(region, 0, 0, (unsigned)pixman_image_get_width(target),
					  (unsigned)pixman_image_get_height(target));
}

/* Something other than a plain composition was drawn: nothing under the scissor is black. */
static void forget_black_under_scissor(struct sb_renderer *renderer)
{
	if (!renderer->has_scissor) {
		pixman_region32_clear(&renderer->black);
		return;
	}
	pixman_region32_t scissor;

	pixman_region32_init_with_extents(&scissor, &renderer->scissor);
	pixman_region32_subtract(&renderer->black, &renderer->black, &scissor);
	pixman_region32_fini(&scissor);
}

/*
 * image at (x, y) over target through the scissor: copied where the target is still the clear's
 * black (OVER opaque black = the source's colour channels; the x byte of an XRGB target is not
 * read), blended elsewhere. Returns whether any part was copied.
 */
static bool compose_over(struct sb_renderer *renderer, pixman_image_t *image,
			 pixman_image_t *target, int x, int y, int width, int height)
{
	pixman_format_code_t format = pixman_image_get_format(target);
	pixman_region32_t drawn, copy;
	bool copied = false;

	current_scissor(renderer, target, &drawn);
	pixman_region32_intersect_rect(&drawn, &drawn, x, y, (unsigned)width, (unsigned)height);
	pixman_region32_init(&copy);
	if (format == PIXMAN_x8r8g8b8 || format == PIXMAN_x8b8g8r8)
		pixman_region32_intersect(&copy, &drawn, &renderer->black);
	if (pixman_region32_not_empty(&copy)) {
		pixman_image_set_clip_region32(target, &copy);
		pixman_image_composite32(PIXMAN_OP_SRC, image, NULL, target, 0, 0, 0, 0, x, y,
					 width, height);
		pixman_region32_subtract(&copy, &drawn, &copy);
		if (pixman_region32_not_empty(&copy)) {
			pixman_image_set_clip_region32(target, &copy);
			pixman_image_composite32(PIXMAN_OP_OVER, image, NULL, target, 0, 0, 0, 0, x,
						 y, width, height);
		}
		/* Back to wlroots' scissor, as pixman_scissor() set it. */
		if (renderer->has_scissor) {
			pixman_region32_fini(&copy);
			current_scissor(renderer, target, &copy);
			pixman_image_set_clip_region32(target, &copy);
		} else {
			pixman_image_set_clip_region32(target, NULL);
		}
		copied = true;
	} else {
		pixman_image_composite32(PIXMAN_OP_OVER, image, NULL, target, 0, 0, 0, 0, x, y,
					 width, height);
	}
	pixman_region32_subtract(&renderer->black, &renderer->black, &drawn);
	pixman_region32_fini(&copy);
	pixman_region32_fini(&drawn);
	return copied;
}

/* Composes texture at (x, y) without a transform; false: let wlroots draw it. */
static bool compose_plain(struct sb_renderer *renderer, struct wlr_texture *texture, int x, int y)
{
	struct wlroots_pixman_texture *pt = image_of(texture);
	pixman_image_t *target = wlr_pixman_renderer_get_current_image(renderer->inner);
	void *data;
	uint32_t format;
	size_t stride;

	if (!pt || !target)
		return false;
	/* Bracketed as wlroots brackets it: a dma-buf's CPU read, a wl_shm pool's access. */
	if (pt->buffer &&
	    !wlr_buffer_begin_data_ptr_access(pt->buffer, WLR_BUFFER_DATA_PTR_ACCESS_READ, &data,
					      &format, &stride))
		return false;
	/* Moved (a resized pool): wlroots re-creates the image; that is its business. */
	if (pt->buffer && data != pixman_image_get_data(pt->image)) {
		wlr_buffer_end_data_ptr_access(pt->buffer);
		return false;
	}
	/* The scissor is the target's clip region, as wlroots' pixman_scissor() left it. */
	pixman_image_set_transform(pt->image, NULL);
	if (compose_over(renderer, pt->image, target, x, y, (int)texture->width,
			 (int)texture->height))
		renderer->copied++;
	if (pt->buffer)
		wlr_buffer_end_data_ptr_access(pt->buffer);
	return true;
}

/*
 * linux-dmabuf's Y_INVERT: the buffer's first row is the bottom of the picture. The box the caller
 * asks for is in the picture's coordinates; in the buffer's it is mirrored about the middle row,
 * and the unit square is drawn upside down (t -> 1 - t) before the caller's matrix.
 */
static bool render_flipped(struct sb_renderer *renderer, struct wlr_texture *texture,
			   const struct wlr_fbox *box, const float matrix[static 9], float alpha)
{
	static const float flip[9] = {1.0f, 0.0f, 0.0f, 0.0f, -1.0f, 1.0f, 0.0f, 0.0f, 1.0f};
	struct wlr_renderer *inner = renderer->inner;
	struct wlr_fbox mirrored = *box;
	float m[9];

	mirrored.y = (double)texture->height - box->y - box->height;
	wlr_matrix_multiply(m, matrix, flip);
	renderer->flipped++;
	forget_black_under_scissor(renderer);
	return inner->impl->render_subtexture_with_matrix(inner, texture, &mirrored, m, alpha);
}

static bool renderer_render_subtexture(struct wlr_renderer *wlr_renderer,
				       struct wlr_texture *texture, const struct wlr_fbox *box,
				       const float matrix[static 9], float alpha)
{
	struct sb_renderer *renderer = sb_renderer_from(wlr_renderer);
	struct wlr_renderer *inner = renderer->inner;
	struct wlroots_pixman_texture *pt = image_of(texture);
	int x, y;

	if (pt && sb_dmabuf_buffer_y_inverted(pt->buffer))
		return render_flipped(renderer, texture, box, matrix, alpha);
	if (renderer->plain_enabled && alpha == 1.0f && integer_translation(box, matrix, &x, &y) &&
	    compose_plain(renderer, texture, x, y)) {
		renderer->plain++;
		return true;
	}
	renderer->transformed++;
	forget_black_under_scissor(renderer);
	return inner->impl->render_subtexture_with_matrix(inner, texture, box, matrix, alpha);
}

/* Everything else is wlroots' pixman renderer's, called as wlr_renderer.c calls it. */
static bool renderer_bind_buffer(struct wlr_renderer *wlr_renderer, struct wlr_buffer *buffer)
{
	struct wlr_renderer *inner = sb_renderer_from(wlr_renderer)->inner;

	return inner->impl->bind_buffer && inner->impl->bind_buffer(inner, buffer);
}

static void renderer_begin(struct wlr_renderer *wlr_renderer, uint32_t width, uint32_t height)
{
	struct sb_renderer *renderer = sb_renderer_from(wlr_renderer);
	struct wlr_renderer *inner = renderer->inner;

	inner->impl->begin(inner, width, height);
	/*
	 * The buffer's old contents are no clear of this frame. And no scissor: wlroots' pixman
	 * renderer leaves the last frame's on the buffer, where the black tracking must know it.
	 */
	pixman_region32_clear(&renderer->black);
	inner->impl->scissor(inner, NULL);
	renderer->has_scissor = false;
}

static void renderer_end(struct wlr_renderer *wlr_renderer)
{
	struct wlr_renderer *inner = sb_renderer_from(wlr_renderer)->inner;

	if (inner->impl->end)
		inner->impl->end(inner);
}

static void renderer_clear(struct wlr_renderer *wlr_renderer, const float color[static 4])
{
	struct sb_renderer *renderer = sb_renderer_from(wlr_renderer);
	struct wlr_renderer *inner = renderer->inner;
	pixman_image_t *target = wlr_pixman_renderer_get_current_image(inner);
	pixman_region32_t scissor;

	inner->impl->clear(inner, color);
	forget_black_under_scissor(renderer);
	/* wlroots' pixman_clear() stores color * 0xffff: exactly black only for 0, 0, 0, 1. */
	if (!renderer->plain_enabled || !target || color[0] != 0.0f || color[1] != 0.0f ||
	    color[2] != 0.0f || color[3] != 1.0f)
		return;
	current_scissor(renderer, target, &scissor);
	pixman_region32_union(&renderer->black, &renderer->black, &scissor);
	pixman_region32_fini(&scissor);
}

static void renderer_scissor(struct wlr_renderer *wlr_renderer, struct wlr_box *box)
{
	struct sb_renderer *renderer = sb_renderer_from(wlr_renderer);
	struct wlr_renderer *inner = renderer->inner;

	inner->impl->scissor(inner, box);
	renderer->has_scissor = box != NULL;
	if (box)
		renderer->scissor =
			(pixman_box32_t){box->x, box->y, box->x + box->width, box->y + box->height};
}

static void renderer_render_quad(struct wlr_renderer *wlr_renderer, const float color[static 4],
				 const float matrix[static 9])
{
	struct sb_renderer *renderer = sb_renderer_from(wlr_renderer);
	struct wlr_renderer *inner = renderer->inner;

	forget_black_under_scissor(renderer);
	inner->impl->render_quad_with_matrix(inner, color, matrix);
}

static const uint32_t *renderer_shm_formats(struct wlr_renderer *wlr_renderer, size_t *len)
{
	struct wlr_renderer *inner = sb_renderer_from(wlr_renderer)->inner;

	return inner->impl->get_shm_texture_formats(inner, len);
}

static const struct wlr_drm_format_set *renderer_dmabuf_formats(struct wlr_renderer *wlr_renderer)
{
	struct wlr_renderer *inner = sb_renderer_from(wlr_renderer)->inner;

	return inner->impl->get_dmabuf_texture_formats
		       ? inner->impl->get_dmabuf_texture_formats(inner)
		       : NULL;
}

static const struct wlr_drm_format_set *renderer_render_formats(struct wlr_renderer *wlr_renderer)
{
	struct wlr_renderer *inner = sb_renderer_from(wlr_renderer)->inner;

	return inner->impl->get_render_formats ? inner->impl->get_render_formats(inner) : NULL;
}

static uint32_t renderer_preferred_read_format(struct wlr_renderer *wlr_renderer)
{
	struct wlr_renderer *inner = sb_renderer_from(wlr_renderer)->inner;

	/* DRM_FORMAT_INVALID (0), as wlr_renderer_preferred_read_format() says without one. */
	return inner->impl->preferred_read_format ? inner->impl->preferred_read_format(inner) : 0;
}

static bool renderer_read_pixels(struct wlr_renderer *wlr_renderer, uint32_t fmt, uint32_t *flags,
				 uint32_t stride, uint32_t width, uint32_t height, uint32_t src_x,
				 uint32_t src_y, uint32_t dst_x, uint32_t dst_y, void *data)
{
	struct wlr_renderer *inner = sb_renderer_from(wlr_renderer)->inner;

	return inner->impl->read_pixels &&
	       inner->impl->read_pixels(inner, fmt, flags, stride, width, height, src_x, src_y,
					dst_x, dst_y, data);
}

static int renderer_get_drm_fd(struct wlr_renderer *wlr_renderer)
{
	struct wlr_renderer *inner = sb_renderer_from(wlr_renderer)->inner;

	return inner->impl->get_drm_fd ? inner->impl->get_drm_fd(inner) : -1;
}

static uint32_t renderer_buffer_caps(struct wlr_renderer *wlr_renderer)
{
	struct wlr_renderer *inner = sb_renderer_from(wlr_renderer)->inner;

	return inner->impl->get_render_buffer_caps(inner);
}

static struct wlr_texture *renderer_texture_from_buffer(struct wlr_renderer *wlr_renderer,
							struct wlr_buffer *buffer)
{
	struct wlr_renderer *inner = sb_renderer_from(wlr_renderer)->inner;

	return inner->impl->texture_from_buffer ? inner->impl->texture_from_buffer(inner, buffer)
						: NULL;
}

static void renderer_destroy(struct wlr_renderer *wlr_renderer)
{
	struct sb_renderer *renderer = sb_renderer_from(wlr_renderer);

	wlr_log(WLR_DEBUG,
		"renderer: %llu textures composed plain, %llu through wlroots' transform; %llu "
		"copied onto black; %llu y-inverted flipped",
		(unsigned long long)renderer->plain,
		(unsigned long long)(renderer->transformed + renderer->flipped),
		(unsigned long long)renderer->copied, (unsigned long long)renderer->flipped);
	pixman_region32_fini(&renderer->black);
	wlr_renderer_destroy(renderer->inner);
	free(renderer);
}

static const struct wlr_renderer_impl renderer_impl = {
	.bind_buffer = renderer_bind_buffer,
	.begin = renderer_begin,
	.end = renderer_end,
	.clear = renderer_clear,
	.scissor = renderer_scissor,
	.render_subtexture_with_matrix = renderer_render_subtexture,
	.render_quad_with_matrix = renderer_render_quad,
	.get_shm_texture_formats = renderer_shm_formats,
	.get_dmabuf_texture_formats = renderer_dmabuf_formats,
	.get_render_formats = renderer_render_formats,
	.preferred_read_format = renderer_preferred_read_format,
	.read_pixels = renderer_read_pixels,
	.destroy = renderer_destroy,
	.get_drm_fd = renderer_get_drm_fd,
	.get_render_buffer_caps = renderer_buffer_caps,
	.texture_from_buffer = renderer_texture_from_buffer,
};

struct wlr_renderer *sb_renderer_create(struct wlr_renderer *inner)
{
	struct sb_renderer *renderer;
	const char *plain;

	if (!inner || !wlr_renderer_is_pixman(inner))
		return inner;
	renderer = calloc(1, sizeof(*renderer));
	if (!renderer) {
		wlr_log_errno(WLR_ERROR, "renderer: out of memory");
		wlr_renderer_destroy(inner);
		return NULL;
	}
	wlr_renderer_init(&renderer->base, &renderer_impl);
	renderer->inner = inner;
	pixman_region32_init(&renderer->black);
	/* A switch for comparing the two paths (tests/host/renderer_test.py), not a setting. */
	plain = getenv("SB_PIXMAN_PLAIN");
	renderer->plain_enabled = !plain || strcmp(plain, "0") != 0;
	if (!renderer->plain_enabled)
		wlr_log(WLR_INFO,
			"renderer: SB_PIXMAN_PLAIN=0: every texture through wlroots' path");
	return &renderer->base;
}

struct wlr_renderer *sb_renderer_inner(struct wlr_renderer *renderer)
{
	if (!renderer || renderer->impl != &renderer_impl)
		return renderer;
	return sb_renderer_from(renderer)->inner;
}
