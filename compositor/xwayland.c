// SPDX-License-Identifier: MIT
/*
 * X11 windows through Xwayland (wlroots' wlr_xwayland and its window manager): managed windows
 * are views like xdg toplevels; override-redirect ones (menus, tooltips) go exactly where the
 * client put them and never take the keyboard. Their wl_surfaces are the Xwayland client's, so
 * their buffers go through the commit gate like any other client's.
 */
#include <stdlib.h>

#include <wlr/types/wlr_scene.h>
#include <wlr/types/wlr_seat.h>
#include <wlr/types/wlr_surface.h>
#include <wlr/types/wlr_xcursor_manager.h>
#include <wlr/util/log.h>
#include <wlr/xwayland.h>

#include "server.h"
#include "view.h"
#include "xwayland.h"

struct sb_xwayland {
	struct sb_server *server;
	struct wlr_xwayland *wlr_xwayland;
	struct wl_listener ready;
	struct wl_listener new_surface;
};

struct sb_xwayland_view {
	struct sb_view view;
	struct wlr_xwayland_surface *xsurface;
	struct wlr_scene_node *surface_node; /* while mapped */
	/* The scene destroys surface_node itself when the wl_surface goes before the unmap. */
	struct wl_listener surface_node_destroy;
	struct wl_listener map;
	struct wl_listener unmap;
	struct wl_listener destroy;
	struct wl_listener request_configure;
	struct wl_listener request_fullscreen;
	struct wl_listener request_maximize;
	struct wl_listener request_move;
	struct wl_listener request_resize;
	struct wl_listener request_activate;
	struct wl_listener set_geometry;
};

static struct sb_xwayland_view *x_view(struct sb_view *view)
{
	return wl_container_of(view, (struct sb_xwayland_view *)NULL, view);
}

static void x_get_size(struct sb_view *view, int *width, int *height)
{
	*width = x_view(view)->xsurface->width;
	*height = x_view(view)->xsurface->height;
}

static void x_configure(struct sb_view *view, int x, int y, int width, int height)
{
	struct wlr_xwayland_surface *xsurface = x_view(view)->xsurface;

	/* X11 has no "your own choice": 0x0 keeps the size it has. */
	if (width <= 0 || height <= 0) {
		width = xsurface->width;
		height = xsurface->height;
	}
	wlr_xwayland_surface_configure(xsurface, (int16_t)x, (int16_t)y, (uint16_t)width,
				       (uint16_t)height);
}

static void x_moved(struct sb_view *view, int x, int y)
{
	x_configure(view, x, y, 0, 0);
}

static void x_set_activated(struct sb_view *view, bool activated)
{
	struct wlr_xwayland_surface *xsurface = x_view(view)->xsurface;

	if (xsurface->override_redirect)
		return;
	wlr_xwayland_surface_activate(xsurface, activated);
	if (activated)
		wlr_xwayland_surface_restack(xsurface, NULL, XCB_STACK_MODE_ABOVE);
}

static void x_set_maximized(struct sb_view *view, bool maximized)
{
	wlr_xwayland_surface_set_maximized(x_view(view)->xsurface, maximized);
}

static void x_set_fullscreen(struct sb_view *view, bool fullscreen)
{
	wlr_xwayland_surface_set_fullscreen(x_view(view)->xsurface, fullscreen);
}

static void x_close(struct sb_view *view)
{
	/* WM_DELETE_WINDOW if the client speaks it, else the connection is killed. */
	wlr_xwayland_surface_close(x_view(view)->xsurface);
}

static const char *x_title(struct sb_view *view)
{
	return x_view(view)->xsurface->title;
}

static const char *x_app_id(struct sb_view *view)
{
	return x_view(view)->xsurface->class;
}

static struct wl_client *x_client(struct sb_view *view)
{
	struct wlr_surface *surface = x_view(view)->xsurface->surface;

	return surface ? wl_resource_get_client(surface->resource) : NULL;
}

static const struct sb_view_impl x_view_impl = {
	.kind = "x11",
	.get_size = x_get_size,
	.configure = x_configure,
	.moved = x_moved,
	.set_activated = x_set_activated,
	.set_maximized = x_set_maximized,
	.set_fullscreen = x_set_fullscreen,
	.close = x_close,
	.title = x_title,
	.app_id = x_app_id,
	.client = x_client,
};

static void surface_node_forget(struct sb_xwayland_view *xview)
{
	if (!xview->surface_node)
		return;
	wl_list_remove(&xview->surface_node_destroy.link);
	xview->surface_node = NULL;
}

static void handle_surface_node_destroy(struct wl_listener *listener, void *data)
{
	struct sb_xwayland_view *xview = wl_container_of(listener, xview, surface_node_destroy);

	surface_node_forget(xview);
}

static void surface_node_destroy(struct sb_xwayland_view *xview)
{
	struct wlr_scene_node *node = xview->surface_node;

	surface_node_forget(xview);
	if (node)
		wlr_scene_node_destroy(node);
}

static void handle_map(struct wl_listener *listener, void *data)
{
	struct sb_xwayland_view *xview = wl_container_of(listener, xview, map);
	struct wlr_xwayland_surface *xsurface = xview->xsurface;
	struct wlr_box box;

	xview->surface_node =
		wlr_scene_subsurface_tree_create(&xview->view.tree->node, xsurface->surface);
	if (!xview->surface_node) {
		wlr_log(WLR_ERROR, "xwayland: out of memory: window '%s' not shown",
			xsurface->title ? xsurface->title : "");
		return;
	}
	xview->surface_node_destroy.notify = handle_surface_node_destroy;
	wl_signal_add(&xview->surface_node->events.destroy, &xview->surface_node_destroy);
	xview->view.unmanaged = xsurface->override_redirect;
	/* Override-redirect windows are where the client put them; managed ones cascade. */
	if (xsurface->override_redirect)
		wlr_scene_node_set_position(&xview->view.tree->node, xsurface->x, xsurface->y);
	view_map(&xview->view, xsurface->surface, xsurface->override_redirect);
	if (!xsurface->override_redirect) {
		/* The window is told where it went: X11 clients place their menus from it. */
		view_get_box(&xview->view, &box);
		x_configure(&xview->view, box.x, box.y, box.width, box.height);
	}
}

static void handle_unmap(struct wl_listener *listener, void *data)
{
	struct sb_xwayland_view *xview = wl_container_of(listener, xview, unmap);

	view_unmap(&xview->view);
	surface_node_destroy(xview);
}

static void handle_destroy(struct wl_listener *listener, void *data)
{
	struct sb_xwayland_view *xview = wl_container_of(listener, xview, destroy);

	wl_list_remove(&xview->map.link);
	wl_list_remove(&xview->unmap.link);
	wl_list_remove(&xview->destroy.link);
	wl_list_remove(&xview->request_configure.link);
	wl_list_remove(&xview->request_fullscreen.link);
	wl_list_remove(&xview->request_maximize.link);
	wl_list_remove(&xview->request_move.link);
	wl_list_remove(&xview->request_resize.link);
	wl_list_remove(&xview->request_activate.link);
	wl_list_remove(&xview->set_geometry.link);
	/* Before view_finish: the node is in the view's tree, which view_finish destroys. */
	surface_node_destroy(xview);
	view_finish(&xview->view);
	free(xview);
}

/*
 * ConfigureRequest: before the map the window asks for its own geometry and gets it; a mapped
 * managed window may change its size, not its place (the window manager's); a fullscreen or
 * maximized one is told its size again.
 */
static void handle_request_configure(struct wl_listener *listener, void *data)
{
	struct sb_xwayland_view *xview = wl_container_of(listener, xview, request_configure);
	struct wlr_xwayland_surface_configure_event *event = data;
	struct sb_view *view = &xview->view;
	struct wlr_box box;

	if (!view->mapped || xview->xsurface->override_redirect) {
		wlr_scene_node_set_position(&view->tree->node, event->x, event->y);
		wlr_xwayland_surface_configure(xview->xsurface, event->x, event->y, event->width,
					       event->height);
		return;
	}
	view_get_box(view, &box);
	if (view->fullscreen || view->maximized)
		x_configure(view, box.x, box.y, box.width, box.height);
	else
		x_configure(view, box.x, box.y, event->width, event->height);
}

static void handle_request_fullscreen(struct wl_listener *listener, void *data)
{
	struct sb_xwayland_view *xview = wl_container_of(listener, xview, request_fullscreen);

	view_set_fullscreen(&xview->view, xview->xsurface->fullscreen, NULL);
}

static void handle_request_maximize(struct wl_listener *listener, void *data)
{
	struct sb_xwayland_view *xview = wl_container_of(listener, xview, request_maximize);
	struct wlr_xwayland_surface *xsurface = xview->xsurface;

	view_set_maximized(&xview->view, xsurface->maximized_horz || xsurface->maximized_vert);
}

/* _NET_WM_MOVERESIZE: X11 has no serial; only while a button is down, as sway checks. */
static void handle_request_move(struct wl_listener *listener, void *data)
{
	struct sb_xwayland_view *xview = wl_container_of(listener, xview, request_move);
	struct sb_server *server = xview->view.server;

	if (server->seat->pointer_state.button_count > 0)
		seat_begin_grab(server, &xview->view, 0);
}

static void handle_request_resize(struct wl_listener *listener, void *data)
{
	struct sb_xwayland_view *xview = wl_container_of(listener, xview, request_resize);
	struct wlr_xwayland_resize_event *event = data;
	struct sb_server *server = xview->view.server;

	if (server->seat->pointer_state.button_count > 0 && event->edges)
		seat_begin_grab(server, &xview->view, event->edges);
}

static void handle_request_activate(struct wl_listener *listener, void *data)
{
	struct sb_xwayland_view *xview = wl_container_of(listener, xview, request_activate);

	view_focus(&xview->view);
}

/* An override-redirect window moves itself. */
static void handle_set_geometry(struct wl_listener *listener, void *data)
{
	struct sb_xwayland_view *xview = wl_container_of(listener, xview, set_geometry);

	if (xview->xsurface->override_redirect)
		wlr_scene_node_set_position(&xview->view.tree->node, xview->xsurface->x,
					    xview->xsurface->y);
}

static void handle_new_surface(struct wl_listener *listener, void *data)
{
	struct sb_xwayland *xwayland = wl_container_of(listener, xwayland, new_surface);
	struct wlr_xwayland_surface *xsurface = data;
	struct sb_xwayland_view *xview = calloc(1, sizeof(*xview));

	if (!xview || !view_init(&xview->view, xwayland->server, &x_view_impl)) {
		wlr_log(WLR_ERROR, "xwayland: out of memory: an X11 window is not managed");
		free(xview);
		return;
	}
	xview->xsurface = xsurface;
	xsurface->data = xview;
	xview->map.notify = handle_map;
	wl_signal_add(&xsurface->events.map, &xview->map);
	xview->unmap.notify = handle_unmap;
	wl_signal_add(&xsurface->events.unmap, &xview->unmap);
	xview->destroy.notify = handle_destroy;
	wl_signal_add(&xsurface->events.destroy, &xview->destroy);
	xview->request_configure.notify = handle_request_configure;
	wl_signal_add(&xsurface->events.request_configure, &xview->request_configure);
	xview->request_fullscreen.notify = handle_request_fullscreen;
	wl_signal_add(&xsurface->events.request_fullscreen, &xview->request_fullscreen);
	xview->request_maximize.notify = handle_request_maximize;
	wl_signal_add(&xsurface->events.request_maximize, &xview->request_maximize);
	xview->request_move.notify = handle_request_move;
	wl_signal_add(&xsurface->events.request_move, &xview->request_move);
	xview->request_resize.notify = handle_request_resize;
	wl_signal_add(&xsurface->events.request_resize, &xview->request_resize);
	xview->request_activate.notify = handle_request_activate;
	wl_signal_add(&xsurface->events.request_activate, &xview->request_activate);
	xview->set_geometry.notify = handle_set_geometry;
	wl_signal_add(&xsurface->events.set_geometry, &xview->set_geometry);
}

/* The root window's cursor: what X11 clients that set none show (the compositor's left_ptr). */
static void xwayland_set_default_cursor(struct sb_xwayland *xwayland)
{
	struct wlr_xcursor_manager *manager = xwayland->server->cursor_manager;
	struct wlr_xcursor *xcursor;
	struct wlr_xcursor_image *image;

	if (!manager || !wlr_xcursor_manager_load(manager, 1))
		return;
	xcursor = wlr_xcursor_manager_get_xcursor(manager, "left_ptr", 1);
	if (!xcursor || xcursor->image_count == 0)
		return;
	image = xcursor->images[0];
	wlr_xwayland_set_cursor(xwayland->wlr_xwayland, image->buffer, image->width * 4,
				image->width, image->height, (int32_t)image->hotspot_x,
				(int32_t)image->hotspot_y);
}

static void handle_ready(struct wl_listener *listener, void *data)
{
	struct sb_xwayland *xwayland = wl_container_of(listener, xwayland, ready);

	wlr_log(WLR_INFO, "xwayland: Xwayland is running on DISPLAY=%s",
		xwayland->wlr_xwayland->display_name);
	wlr_xwayland_set_seat(xwayland->wlr_xwayland, xwayland->server->seat);
	xwayland_set_default_cursor(xwayland);
}

struct sb_xwayland *sb_xwayland_create(struct sb_server *server)
{
	struct sb_xwayland *xwayland = calloc(1, sizeof(*xwayland));

	if (!xwayland)
		return NULL;
	xwayland->server = server;
	/* lazy: Xwayland starts when the first X11 client connects to the socket. */
	xwayland->wlr_xwayland = wlr_xwayland_create(server->display, server->compositor, true);
	if (!xwayland->wlr_xwayland) {
		wlr_log(WLR_ERROR, "xwayland: cannot set up the X11 display; X11 programs will "
				   "find no server");
		free(xwayland);
		return NULL;
	}
	xwayland->ready.notify = handle_ready;
	wl_signal_add(&xwayland->wlr_xwayland->events.ready, &xwayland->ready);
	xwayland->new_surface.notify = handle_new_surface;
	wl_signal_add(&xwayland->wlr_xwayland->events.new_surface, &xwayland->new_surface);
	setenv("DISPLAY", xwayland->wlr_xwayland->display_name, 1);
	wlr_log(WLR_INFO, "xwayland: DISPLAY=%s (Xwayland starts on the first X11 connection)",
		xwayland->wlr_xwayland->display_name);
	return xwayland;
}

void sb_xwayland_destroy(struct sb_xwayland *xwayland)
{
	if (!xwayland)
		return;
	wl_list_remove(&xwayland->ready.link);
	wl_list_remove(&xwayland->new_surface.link);
	wlr_xwayland_destroy(xwayland->wlr_xwayland);
	free(xwayland);
}
