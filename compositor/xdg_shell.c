// SPDX-License-Identifier: MIT
/*
 * xdg-shell toplevels as views (view.c has the policy), and their popups, which wlroots' scene
 * places relative to their parent's node.
 */
#include <stdlib.h>

#include <wlr/types/wlr_scene.h>
#include <wlr/types/wlr_seat.h>
#include <wlr/types/wlr_surface.h>
#include <wlr/types/wlr_xdg_shell.h>
#include <wlr/util/log.h>

#include "server.h"
#include "view.h"

struct sb_xdg_view {
	struct sb_view view;
	struct wlr_xdg_surface *xdg_surface;
	struct wl_listener map;
	struct wl_listener unmap;
	struct wl_listener destroy;
	struct wl_listener commit;
	struct wl_listener request_fullscreen;
	struct wl_listener request_maximize;
	struct wl_listener request_move;
	struct wl_listener request_resize;
};

static struct sb_xdg_view *xdg_view(struct sb_view *view)
{
	return wl_container_of(view, (struct sb_xdg_view *)NULL, view);
}

static void xdg_get_size(struct sb_view *view, int *width, int *height)
{
	struct wlr_box geometry;

	wlr_xdg_surface_get_geometry(xdg_view(view)->xdg_surface, &geometry);
	*width = geometry.width;
	*height = geometry.height;
}

static void xdg_configure(struct sb_view *view, int x, int y, int width, int height)
{
	wlr_xdg_toplevel_set_size(xdg_view(view)->xdg_surface, (uint32_t)(width > 0 ? width : 0),
				  (uint32_t)(height > 0 ? height : 0));
}

static void xdg_set_activated(struct sb_view *view, bool activated)
{
	wlr_xdg_toplevel_set_activated(xdg_view(view)->xdg_surface, activated);
}

static void xdg_set_maximized(struct sb_view *view, bool maximized)
{
	wlr_xdg_toplevel_set_maximized(xdg_view(view)->xdg_surface, maximized);
}

static void xdg_set_fullscreen(struct sb_view *view, bool fullscreen)
{
	wlr_xdg_toplevel_set_fullscreen(xdg_view(view)->xdg_surface, fullscreen);
}

static void xdg_close(struct sb_view *view)
{
	wlr_xdg_toplevel_send_close(xdg_view(view)->xdg_surface);
}

static const char *xdg_title(struct sb_view *view)
{
	return xdg_view(view)->xdg_surface->toplevel->title;
}

static const char *xdg_app_id(struct sb_view *view)
{
	return xdg_view(view)->xdg_surface->toplevel->app_id;
}

static struct wl_client *xdg_client(struct sb_view *view)
{
	return wl_resource_get_client(xdg_view(view)->xdg_surface->resource);
}

static const struct sb_view_impl xdg_view_impl = {
	.kind = "xdg",
	.get_size = xdg_get_size,
	.configure = xdg_configure,
	.set_activated = xdg_set_activated,
	.set_maximized = xdg_set_maximized,
	.set_fullscreen = xdg_set_fullscreen,
	.close = xdg_close,
	.title = xdg_title,
	.app_id = xdg_app_id,
	.client = xdg_client,
};

static void handle_request_fullscreen(struct wl_listener *listener, void *data)
{
	struct sb_xdg_view *xview = wl_container_of(listener, xview, request_fullscreen);
	struct wlr_xdg_toplevel_set_fullscreen_event *event = data;

	/* Before the initial commit no configure may go out: handle_commit applies it then. */
	if (xview->xdg_surface->added)
		view_set_fullscreen(&xview->view, event->fullscreen, event->output);
}

static void handle_request_maximize(struct wl_listener *listener, void *data)
{
	struct sb_xdg_view *xview = wl_container_of(listener, xview, request_maximize);

	if (xview->xdg_surface->added)
		view_set_maximized(&xview->view, xview->xdg_surface->toplevel->requested.maximized);
}

static void handle_request_move(struct wl_listener *listener, void *data)
{
	struct sb_xdg_view *xview = wl_container_of(listener, xview, request_move);
	struct wlr_xdg_toplevel_move_event *event = data;

	/* xdg_toplevel.move: only with the serial of a button press the client was sent. */
	if (wlr_seat_validate_pointer_grab_serial(xview->view.server->seat,
						  xview->xdg_surface->surface, event->serial))
		seat_begin_grab(xview->view.server, &xview->view, 0);
}

static void handle_request_resize(struct wl_listener *listener, void *data)
{
	struct sb_xdg_view *xview = wl_container_of(listener, xview, request_resize);
	struct wlr_xdg_toplevel_resize_event *event = data;

	if (event->edges != 0 &&
	    wlr_seat_validate_pointer_grab_serial(xview->view.server->seat,
						  xview->xdg_surface->surface, event->serial))
		seat_begin_grab(xview->view.server, &xview->view, event->edges);
}

/*
 * The initial commit: wlroots has scheduled the first configure (an idle source), and a
 * fullscreen or maximized state requested before it goes out in that same configure.
 */
static void handle_commit(struct wl_listener *listener, void *data)
{
	struct sb_xdg_view *xview = wl_container_of(listener, xview, commit);
	struct wlr_xdg_toplevel *toplevel = xview->xdg_surface->toplevel;

	if (!xview->xdg_surface->added || xview->xdg_surface->configured)
		return;
	if (toplevel->requested.fullscreen && !xview->view.fullscreen)
		view_set_fullscreen(&xview->view, true, toplevel->requested.fullscreen_output);
	else if (toplevel->requested.maximized && !xview->view.maximized)
		view_set_maximized(&xview->view, true);
}

static void handle_map(struct wl_listener *listener, void *data)
{
	struct sb_xdg_view *xview = wl_container_of(listener, xview, map);

	view_map(&xview->view, xview->xdg_surface->surface, false);
}

static void handle_unmap(struct wl_listener *listener, void *data)
{
	struct sb_xdg_view *xview = wl_container_of(listener, xview, unmap);

	view_unmap(&xview->view);
}

static void handle_destroy(struct wl_listener *listener, void *data)
{
	struct sb_xdg_view *xview = wl_container_of(listener, xview, destroy);

	wl_list_remove(&xview->map.link);
	wl_list_remove(&xview->unmap.link);
	wl_list_remove(&xview->destroy.link);
	wl_list_remove(&xview->commit.link);
	wl_list_remove(&xview->request_fullscreen.link);
	wl_list_remove(&xview->request_maximize.link);
	wl_list_remove(&xview->request_move.link);
	wl_list_remove(&xview->request_resize.link);
	view_finish(&xview->view);
	free(xview);
}

static void new_popup(struct wlr_xdg_surface *xdg_surface)
{
	struct wlr_xdg_surface *parent;
	struct wlr_scene_node *parent_node;

	/* A layer surface's popup: layer_shell.c placed it (its new_popup). */
	if (!wlr_surface_is_xdg_surface(xdg_surface->popup->parent))
		return;
	parent = wlr_xdg_surface_from_wlr_surface(xdg_surface->popup->parent);
	parent_node = parent ? parent->data : NULL;
	/* A popup of a surface we do not show is not ours. */
	if (!parent_node)
		return;
	/* The popup's node is the parent of its own popups, found through data. */
	xdg_surface->data = wlr_scene_xdg_surface_create(parent_node, xdg_surface);
}

void server_new_xdg_surface(struct wl_listener *listener, void *data)
{
	struct sb_server *server = wl_container_of(listener, server, new_xdg_surface);
	struct wlr_xdg_surface *xdg_surface = data;
	struct wlr_xdg_toplevel *toplevel;
	struct sb_xdg_view *xview;

	if (xdg_surface->role == WLR_XDG_SURFACE_ROLE_POPUP) {
		new_popup(xdg_surface);
		return;
	}
	if (xdg_surface->role != WLR_XDG_SURFACE_ROLE_TOPLEVEL)
		return;
	xview = calloc(1, sizeof(*xview));
	if (!xview) {
		wl_resource_post_no_memory(xdg_surface->resource);
		return;
	}
	xview->xdg_surface = xdg_surface;
	if (!view_init(&xview->view, server, &xdg_view_impl)) {
		free(xview);
		wl_resource_post_no_memory(xdg_surface->resource);
		return;
	}
	view_take_cascade_slot(&xview->view);
	/* The xdg surface's node, offset inside the view's tree by -geometry, parents its popups. */
	xdg_surface->data = wlr_scene_xdg_surface_create(&xview->view.tree->node, xdg_surface);
	if (!xdg_surface->data) {
		view_finish(&xview->view);
		free(xview);
		wl_resource_post_no_memory(xdg_surface->resource);
		return;
	}
	toplevel = xdg_surface->toplevel;
	xview->map.notify = handle_map;
	wl_signal_add(&xdg_surface->events.map, &xview->map);
	xview->unmap.notify = handle_unmap;
	wl_signal_add(&xdg_surface->events.unmap, &xview->unmap);
	xview->destroy.notify = handle_destroy;
	wl_signal_add(&xdg_surface->events.destroy, &xview->destroy);
	xview->commit.notify = handle_commit;
	wl_signal_add(&xdg_surface->surface->events.commit, &xview->commit);
	xview->request_fullscreen.notify = handle_request_fullscreen;
	wl_signal_add(&toplevel->events.request_fullscreen, &xview->request_fullscreen);
	xview->request_maximize.notify = handle_request_maximize;
	wl_signal_add(&toplevel->events.request_maximize, &xview->request_maximize);
	xview->request_move.notify = handle_request_move;
	wl_signal_add(&toplevel->events.request_move, &xview->request_move);
	xview->request_resize.notify = handle_request_resize;
	wl_signal_add(&toplevel->events.request_resize, &xview->request_resize);
}
