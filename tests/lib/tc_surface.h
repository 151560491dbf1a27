/* SPDX-License-Identifier: MIT */
#ifndef SB_TC_SURFACE_H
#define SB_TC_SURFACE_H

#include <stdbool.h>

#include "tc_frame.h"

/*
 * A wl_surface of a tc_client: an xdg toplevel (mapped once its first configure is acked) or a
 * synchronized sub-surface, with the frame callbacks it asked for and the per-surface objects
 * of the two explicit-sync protocols (tc_explicit.h, tc_syncobj.h). Requests go out as the test
 * asks, the ones the protocols forbid included.
 */
struct tc_buffer;
struct tc_client;
struct xdg_toplevel_listener;

#define TC_MAX_FRAMES 8
/* sway and weston map a toplevel within a second; emulated CPUs need more. */
#define TC_CONFIGURE_MS 10000

struct tc_surface {
	struct tc_client *client;
	struct wl_surface *surface;
	struct xdg_surface *xdg_surface; /* NULL for a sub-surface */
	struct xdg_toplevel *toplevel;
	struct wl_subsurface *subsurface; /* NULL for a toplevel */
	bool configured;
	/*
	 * xdg-shell: an ack applies with the surface's next commit. Set by a client whose toplevel
	 * never commits again after mapping (sb_load: only its desync sub-surfaces do), so that a
	 * later configure is applied at once; never set in a test, where it would commit pending
	 * state behind the test's back.
	 */
	bool commit_on_configure;
	struct tc_frame frames[TC_MAX_FRAMES];
	/* Two of each, so that a test can ask for a second one (the *_exists errors). */
	struct zwp_linux_surface_synchronization_v1 *explicit_sync[2];
	struct wp_linux_drm_syncobj_surface_v1 *syncobj[2];
};

/*
 * Ignores xdg_toplevel.configure and close: a test's buffers set the size, and the compositor
 * under test never asks to close. For clients that make their toplevels themselves
 * (reliability_client.c counts every request).
 */
extern const struct xdg_toplevel_listener tc_toplevel_listener;

/* A toplevel, its initial configure acked: NULL if none came within TC_CONFIGURE_MS. */
struct tc_surface *tc_surface_create(struct tc_client *client);
/* A sub-surface of parent, in synchronized mode, at (x, y) in the parent. */
struct tc_surface *tc_subsurface_create(struct tc_client *client, struct tc_surface *parent, int x,
					int y);
void tc_surface_destroy(struct tc_surface *surface);
/* Destroys the wl_surface and its roles, but not its sync objects. */
void tc_surface_destroy_wl_surface(struct tc_surface *surface);

/* Attaches buffer (NULL: a null buffer) with damage over all of it. */
void tc_surface_attach(struct tc_surface *surface, struct tc_buffer *buffer);
/* Commits, with a frame callback that sets *frame_done (NULL: none), and flushes. */
void tc_surface_commit(struct tc_surface *surface, bool *frame_done);
/* Attaches buffer (NULL: keeps the attachment) and commits, as tc_surface_commit. */
void tc_surface_show(struct tc_surface *surface, struct tc_buffer *buffer, bool *frame_done);
/* Frames the surface gets in ms milliseconds, committing buffer on every frame callback. */
int tc_surface_frames_in(struct tc_surface *surface, struct tc_buffer *buffer, int ms);

#endif
