/* SPDX-License-Identifier: MIT */
#ifndef SB_VIEW_H
#define SB_VIEW_H

#include <stdbool.h>
#include <wayland-server-core.h>
#include <wlr/util/box.h>

struct sb_server;
struct sb_view;
struct wlr_output;
struct wlr_surface;

/* What each shell (xdg_shell.c, xwayland.c) does for a window; the policy is in view.c. */
struct sb_view_impl {
	const char *kind; /* "xdg", "x11": in logs and `sb-ctl windows` */
	/* The window's size (its geometry, without shadows), 0x0 before the first buffer. */
	void (*get_size)(struct sb_view *view, int *width, int *height);
	/* Asks the client for a size (0x0: its own choice) with its top-left at layout (x, y). */
	void (*configure)(struct sb_view *view, int x, int y, int width, int height);
	/* Optional: told the window's new top-left after a move (X11 clients place menus by it). */
	void (*moved)(struct sb_view *view, int x, int y);
	void (*set_activated)(struct sb_view *view, bool activated);
	void (*set_maximized)(struct sb_view *view, bool maximized);
	void (*set_fullscreen)(struct sb_view *view, bool fullscreen);
	void (*close)(struct sb_view *view);
	const char *(*title)(struct sb_view *view);
	const char *(*app_id)(struct sb_view *view); /* X11: the WM_CLASS class */
	struct wl_client *(*client)(struct sb_view *view);
};

struct sb_view {
	struct wl_list link; /* sb_server.views, top first, while mapped; else empty */
	struct sb_server *server;
	const struct sb_view_impl *impl;
	struct wlr_surface *surface; /* the main surface while mapped, else NULL */
	/* The view's own tree, its top-left at the window's; node->data is the view. */
	struct wlr_scene_tree *tree;
	bool mapped, maximized, fullscreen;
	/* Placed by its client, never focused (X11 override-redirect: menus, tooltips). */
	bool unmanaged;
	struct wlr_box saved; /* the floating box before maximize or fullscreen */
	/* Its place in the cascade (inside the work area), taken once: view_take_cascade_slot(). */
	bool has_slot;
	int slot_x, slot_y;
	struct {
		struct wl_signal map;	  /* after it was placed and focused */
		struct wl_signal unmap;	  /* before it is hidden */
		struct wl_signal commit;  /* a commit of its surface while mapped */
		struct wl_signal destroy; /* before it is freed */
	} events;
	struct wl_listener surface_commit;
};

/* Sets up view with its own scene tree; false if the tree could not be made. */
bool view_init(struct sb_view *view, struct sb_server *server, const struct sb_view_impl *impl);
/* Emits destroy and tears down what view_init made (the shell frees the view). */
void view_finish(struct sb_view *view);

/*
 * Takes the next place in the cascade for view. xdg toplevels take it when they are made (the
 * order clients create windows in, as before views), X11 windows when they first map (an X11
 * client makes many windows it never shows).
 */
void view_take_cascade_slot(struct sb_view *view);
/* The shell's surface mapped: placed (cascade unless placed), stacked on top, focused. */
void view_map(struct sb_view *view, struct wlr_surface *surface, bool placed);
void view_unmap(struct sb_view *view);

/* Raises view to the top of the stack and gives it keyboard focus. */
void view_focus(struct sb_view *view);
/* The window's box in layout coordinates. */
void view_get_box(struct sb_view *view, struct wlr_box *box);
/* Puts the window's top-left at layout (x, y), its size unchanged. */
void view_move(struct sb_view *view, int x, int y);
/* Puts the window at box: moved now, resized when the client answers. */
void view_move_resize(struct sb_view *view, const struct wlr_box *box);
/* output NULL: the output under the view's centre, else the primary one. */
void view_set_fullscreen(struct sb_view *view, bool fullscreen, struct wlr_output *output);
void view_set_maximized(struct sb_view *view, bool maximized);
void view_close(struct sb_view *view);
const char *view_title(struct sb_view *view);
const char *view_app_id(struct sb_view *view);
struct wl_client *view_client(struct sb_view *view);

/*
 * The box maximized windows fill on output: what the layer surfaces' exclusive zones leave of it
 * (layer_shell.c). False if output has none.
 */
bool view_work_area(struct sb_server *server, struct wlr_output *output, struct wlr_box *box);

/*
 * The view under layout point (lx, ly), or NULL; *surface and (*sx, *sy) are the surface there
 * (a subsurface or popup of the view's) and the point in its coordinates.
 */
struct sb_view *view_at(struct sb_server *server, double lx, double ly,
			struct wlr_surface **surface, double *sx, double *sy);
/* The mapped view whose main surface is surface, or NULL. */
struct sb_view *view_from_surface(struct sb_server *server, struct wlr_surface *surface);
/* Maximized windows on output take its work area again (it changed: a panel came or went). */
void view_fit_maximized(struct sb_server *server, struct wlr_output *output);
/* The top window (menus passed over) takes the keyboard: after a layer surface that had it goes. */
void view_focus_top(struct sb_server *server);
/* Focus to the next mapped view below the top one (the top one goes to the bottom). */
void view_cycle_focus(struct sb_server *server);

#endif
