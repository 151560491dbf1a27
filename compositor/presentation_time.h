/* SPDX-License-Identifier: MIT */
#ifndef SB_PRESENTATION_TIME_H
#define SB_PRESENTATION_TIME_H

#include <wayland-server-core.h>

struct sb_commit_gate;
struct wlr_backend;
struct wlr_scene;

/*
 * wp_presentation: each feedback belongs to the wl_surface.commit it came with (the gate's commit
 * event), is sampled by the output commit that first shows that state of the scene, and reported
 * with that commit's present event (time, refresh, sequence and flags as the backend gives them;
 * ZERO_COPY only for a surface scanned out directly).
 */
struct sb_presentation;

struct sb_presentation *sb_presentation_create(struct wl_display *display,
					       struct wlr_backend *backend, struct wlr_scene *scene,
					       struct sb_commit_gate *gate);
void sb_presentation_destroy(struct sb_presentation *presentation);

#endif
