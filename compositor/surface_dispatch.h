/* SPDX-License-Identifier: MIT */
#ifndef SB_SURFACE_DISPATCH_H
#define SB_SURFACE_DISPATCH_H

#include <stdbool.h>

struct wlr_compositor;

/*
 * Every wl_surface the compositor creates from now on gets its requests dispatched by a switch
 * instead of libffi (surface_dispatch.c says why and how). SB_WL_DISPATCH=0 leaves libffi.
 * Freed with the compositor. False only when out of memory.
 */
bool sb_surface_dispatch_create(struct wlr_compositor *compositor);

#endif
