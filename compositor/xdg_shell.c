// SPDX-License-Identifier: MIT
/*
 * xdg-shell windows: a simple stacking policy. New toplevels cascade; the newest is on top; a
 * click raises and focuses the window under the pointer.
 */
#include <string.h>
#include <stdlib.h>

#include <wlr/types/wlr_scene.h>
#include <wlr/types/wlr_xdg_shell.h>
#include <wlr/util/log.h>

#include "server.h"

#define CASCADE_STEP 32

struct sb_view {
	struct wl_list link; /* sb_server.views */
	struct sb_server *server;
	struct wlr_xdg_surface *xdg_surface;
	struct wlr_scene_node *scene_node;
	struct wl_listener map;
	struct wl_listener unmap;
	struct wl_listener destroy;
};

void view_focus(struct sb_view *view)
{
	/* An unmapped view is in no list (its link points at itself) and cannot be focused. */
	if (wl_list_empty(&view->link))
		return;
	wl_list_remove(&view->link);
	wl_list_insert(&view->server->views, &view->link);
	wlr_scene_node_raise_to_top(view->scene_node);
	seat_focus_surface(view->server, view->xdg_surface->surface);
}

struct sb_view *server_view_at(struct sb_server *server, double lx, double ly,
			       struct wlr_surface **surface, double *sx, double *sy)
{
	struct wlr_scene_node *node = wlr_scene_node_at(&server->scene->node, lx, ly, sx, sy);

	*surface = NULL;
	if (!node || node->type != WLR_SCENE_NODE_SURFACE)
		return NULL;
	*surface = wlr_scene_surface_from_node(node)->surface;
	/* Only a view's own tree node carries data: walk up from a subsurface or popup to it. */
	while (node && !node->data)
		node = node->parent;
	return node ? node->data : NULL;
}

static void view_map(struct wl_listener *listener, void *data)
{
	struct sb_view *view = wl_container_of(listener, view, map);

	wl_list_insert(&view->server->views, &view->link);
	wlr_scene_node_raise_to_top(view->scene_node);
	seat_focus_surface(view->server, view->xdg_surface->surface);
}

static void view_unmap(struct wl_listener *listener, void *data)
{
	struct sb_view *view = wl_container_of(listener, view, unmap);
	struct sb_view *next;

	wl_list_remove(&view->link);
	wl_list_init(&view->link);
	/* Focus goes to the window that is now on top. */
	if (!wl_list_empty(&view->server->views)) {
		next = wl_container_of(view->server->views.next, next, link);
		seat_focus_surface(view->server, next->xdg_surface->surface);
	}
}

static void view_destroy(struct wl_listener *listener, void *data)
{
	struct sb_view *view = wl_container_of(listener, view, destroy);

	wl_list_remove(&view->map.link);
	wl_list_remove(&view->unmap.link);
	wl_list_remove(&view->destroy.link);
	wl_list_remove(&view->link);
	free(view);
}

void server_new_xdg_surface(struct wl_listener *listener, void *data)
{
	struct sb_server *server = wl_container_of(listener, server, new_xdg_surface);
	struct wlr_xdg_surface *xdg_surface = data;
	struct sb_view *view;

	if (xdg_surface->role == WLR_XDG_SURFACE_ROLE_POPUP) {
		struct wlr_xdg_surface *parent =
			wlr_xdg_surface_from_wlr_surface(xdg_surface->popup->parent);
		struct wlr_scene_node *parent_node = parent->data;

		/* The popup's node is the parent of its own popups, found through data. */
		xdg_surface->data = wlr_scene_xdg_surface_create(parent_node, xdg_surface);
		return;
	}
	if (xdg_surface->role != WLR_XDG_SURFACE_ROLE_TOPLEVEL)
		return;
	view = calloc(1, sizeof(*view));
	if (!view) {
		wl_resource_post_no_memory(xdg_surface->resource);
		return;
	}
	view->server = server;
	view->xdg_surface = xdg_surface;
	view->scene_node = wlr_scene_xdg_surface_create(&server->scene->node, xdg_surface);
	if (!view->scene_node) {
		free(view);
		wl_resource_post_no_memory(xdg_surface->resource);
		return;
	}
	view->scene_node->data = view;
	xdg_surface->data = view->scene_node;
	wlr_scene_node_set_position(view->scene_node, server->next_view_x, server->next_view_y);
	server->next_view_x = (server->next_view_x + CASCADE_STEP) % (8 * CASCADE_STEP);
	server->next_view_y = (server->next_view_y + CASCADE_STEP) % (8 * CASCADE_STEP);
	wl_list_init(&view->link);
	view->map.notify = view_map;
	wl_signal_add(&xdg_surface->events.map, &view->map);
	view->unmap.notify = view_unmap;
	wl_signal_add(&xdg_surface->events.unmap, &view->unmap);
	view->destroy.notify = view_destroy;
	wl_signal_add(&xdg_surface->events.destroy, &view->destroy);
}

/*
 * wlroots 0.15 leaves an xdg_surface/xdg_toplevel/xdg_popup whose wl_surface was destroyed with no
 * wlr object behind it, and its request handlers dereference that NULL: one bad client would take
 * the compositor down (found by tests/fuzz/protocol_fuzz.c). The core protocol forbids the order
 * since wayland 1.22 (wl_surface.error.defunct_role_object, 4): the client gets that error before
 * the destroy runs, and libwayland dispatches nothing more of it.
 */
#define WL_SURFACE_ERROR_DEFUNCT_ROLE_OBJECT 4

static void xdg_guard_logger(void *data, enum wl_protocol_logger_type type,
			     const struct wl_protocol_logger_message *message)
{
	struct wlr_surface *surface;
	struct wlr_xdg_surface *xdg_surface;

	/* wl_surface.destroy is its first request (wayland.xml); libwayland passes that message. */
	if (type != WL_PROTOCOL_LOGGER_REQUEST ||
	    message->message != &wl_surface_interface.methods[0])
		return;
	surface = wlr_surface_from_resource(message->resource);
	if (!surface || !wlr_surface_is_xdg_surface(surface))
		return;
	xdg_surface = wlr_xdg_surface_from_wlr_surface(surface);
	if (!xdg_surface || !xdg_surface->resource)
		return;
	wl_resource_post_error(message->resource, WL_SURFACE_ERROR_DEFUNCT_ROLE_OBJECT,
			       "wl_surface@%u destroyed before its xdg_surface",
			       wl_resource_get_id(message->resource));
}

bool xdg_shell_guard_init(struct sb_server *server)
{
	server->xdg_guard =
		wl_display_add_protocol_logger(server->display, xdg_guard_logger, server);
	return server->xdg_guard != NULL;
}

void xdg_shell_guard_finish(struct sb_server *server)
{
	if (server->xdg_guard)
		wl_protocol_logger_destroy(server->xdg_guard);
	server->xdg_guard = NULL;
}
