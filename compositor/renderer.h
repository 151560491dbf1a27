/* SPDX-License-Identifier: MIT */
#ifndef SB_RENDERER_H
#define SB_RENDERER_H

struct wlr_renderer;

/*
 * The renderer the compositor draws with: wlroots' own, and over its pixman renderer a thin one
 * that composes untransformed textures without a transform (renderer.c says why).
 * Takes ownership of inner; returns it unchanged when it is not pixman, NULL on failure (inner
 * destroyed).
 */
struct wlr_renderer *sb_renderer_create(struct wlr_renderer *inner);

/* The wlroots renderer underneath: for wlr_renderer_is_pixman() and wlroots' accessors. */
struct wlr_renderer *sb_renderer_inner(struct wlr_renderer *renderer);

#endif
