// SPDX-License-Identifier: MIT
/*
 * Views: the windows of every shell (xdg toplevels, X11 windows) under one stacking policy. New
 * windows cascade unless they asked for a place; the newest is on top and focused; a click raises
 * and focuses. Maximized windows fill the work area, fullscreen ones their output exactly (which
 * is what lets the scene scan a fullscreen buffer out directly).
 */
#include <stdlib.h>

#include <wlr/types/wlr_output_layout.h>
#include <wlr/types/wlr_scene.h>
#include <wlr/types/wlr_seat.h>
#include <wlr/types/wlr_surface.h>
#include <wlr/util/log.h>

#include "layer_shell.h"
#include "server.h"
#include "view.h"

#define CASCADE_STEP 32

static void view_surface_commit(struct wl_listener *listener, void *data)
{
	struct sb_view *view = wl_container_of(listener, view, surface_commit);

	wl_signal_emit(&view->events.commit, view);
}

void view_take_cascade_slot(struct sb_view *view)
{
	struct sb_server *server = view->server;

	view->slot_x = server->next_view_x;
	view->slot_y = server->next_view_y;
	view->has_slot = true;
	server->next_view_x = (server->next_view_x + CASCADE_STEP) % (8 * CASCADE_STEP);
	server->next_view_y = (server->next_view_y + CASCADE_STEP) % (8 * CASCADE_STEP);
}

bool view_init(struct sb_view *view, struct sb_server *server, const struct sb_view_impl *impl)
{
	view->server = server;
	view->impl = impl;
	/* Between the background/bottom and top/overlay layers (layer_shell.c). */
	view->tree = wlr_scene_tree_create(&server->view_tree->node);
	if (!view->tree)
		return false;
	/* Hidden until mapped: an X11 window exists long before it has anything to show. */
	wlr_scene_node_set_enabled(&view->tree->node, false);
	view->tree->node.data = view;
	wl_list_init(&view->link);
	wl_list_init(&view->surface_commit.link);
	wl_signal_init(&view->events.map);
	wl_signal_init(&view->events.unmap);
	wl_signal_init(&view->events.commit);
	wl_signal_init(&view->events.destroy);
	wl_signal_emit(&server->events.new_view, view);
	return true;
}

void view_finish(struct sb_view *view)
{
	if (view->mapped)
		view_unmap(view);
	wl_signal_emit(&view->events.destroy, view);
	wl_list_remove(&view->link);
	wl_list_remove(&view->surface_commit.link);
	wlr_scene_node_destroy(&view->tree->node);
	view->tree = NULL;
}

void view_get_box(struct sb_view *view, struct wlr_box *box)
{
	box->x = view->tree->node.state.x;
	box->y = view->tree->node.state.y;
	box->width = box->height = 0;
	view->impl->get_size(view, &box->width, &box->height);
}

void view_move(struct sb_view *view, int x, int y)
{
	wlr_scene_node_set_position(&view->tree->node, x, y);
	if (view->impl->moved)
		view->impl->moved(view, x, y);
}

void view_move_resize(struct sb_view *view, const struct wlr_box *box)
{
	wlr_scene_node_set_position(&view->tree->node, box->x, box->y);
	view->impl->configure(view, box->x, box->y, box->width, box->height);
}

static struct sb_view *focused_view(struct sb_server *server)
{
	return view_from_surface(server, server->seat->keyboard_state.focused_surface);
}

void view_focus(struct sb_view *view)
{
	struct sb_server *server = view->server;
	struct sb_view *prev = focused_view(server);

	/* An unmapped view is in no list and cannot be focused. */
	if (!view->mapped)
		return;
	wl_list_remove(&view->link);
	wl_list_insert(&server->views, &view->link);
	wlr_scene_node_raise_to_top(&view->tree->node);
	if (prev == view || view->unmanaged)
		return;
	if (prev)
		prev->impl->set_activated(prev, false);
	view->impl->set_activated(view, true);
	seat_focus_surface(server, view->surface);
}

void view_map(struct sb_view *view, struct wlr_surface *surface, bool placed)
{
	struct sb_server *server = view->server;

	view->surface = surface;
	view->mapped = true;
	if (!placed && !view->fullscreen && !view->maximized) {
		struct wlr_box area;

		if (!view->has_slot)
			view_take_cascade_slot(view);
		/* Cascaded inside what panels leave of the output (their exclusive zones). */
		sb_layer_shell_output_usable_area(server->layer_shell,
						  server_primary_output(server), &area);
		wlr_scene_node_set_position(&view->tree->node, area.x + view->slot_x,
					    area.y + view->slot_y);
	}
	wlr_scene_node_set_enabled(&view->tree->node, true);
	view->surface_commit.notify = view_surface_commit;
	wl_signal_add(&surface->events.commit, &view->surface_commit);
	wl_list_insert(&server->views, &view->link);
	wlr_log(WLR_DEBUG, "view: %s window '%s' mapped", view->impl->kind, view_title(view));
	view_focus(view);
	wl_signal_emit(&view->events.map, view);
}

void view_unmap(struct sb_view *view)
{
	struct sb_server *server = view->server;
	bool had_focus = focused_view(server) == view;

	if (!view->mapped)
		return;
	wl_signal_emit(&view->events.unmap, view);
	view->mapped = false;
	wlr_scene_node_set_enabled(&view->tree->node, false);
	wl_list_remove(&view->surface_commit.link);
	wl_list_init(&view->surface_commit.link);
	wl_list_remove(&view->link);
	wl_list_init(&view->link);
	view->surface = NULL;
	/* Focus goes to the window that is now on top. */
	if (had_focus && !wl_list_empty(&server->views)) {
		struct sb_view *next = wl_container_of(server->views.next, next, link);

		view_focus(next);
	} else if (had_focus) {
		wlr_seat_keyboard_clear_focus(server->seat);
	}
}

bool view_work_area(struct sb_server *server, struct wlr_output *output, struct wlr_box *box)
{
	sb_layer_shell_output_usable_area(server->layer_shell, output, box);
	return !wlr_box_empty(box);
}

void view_focus_top(struct sb_server *server)
{
	struct sb_view *view;

	wl_list_for_each(view, &server->views, link) {
		if (!view->unmanaged) {
			view_focus(view);
			return;
		}
	}
}

/* The output asked for, else the one under the view's centre, else the primary one. */
static struct wlr_output *view_output(struct sb_view *view, struct wlr_output *asked)
{
	struct sb_server *server = view->server;
	struct wlr_output *output;
	struct wlr_box box;

	if (asked)
		return asked;
	view_get_box(view, &box);
	output = wlr_output_layout_output_at(server->output_layout, box.x + box.width / 2.0,
					     box.y + box.height / 2.0);
	return output ? output : server_primary_output(server);
}

static void view_save_box(struct sb_view *view)
{
	if (!view->fullscreen && !view->maximized)
		view_get_box(view, &view->saved);
}

void view_set_fullscreen(struct sb_view *view, bool fullscreen, struct wlr_output *asked)
{
	struct wlr_output *output = fullscreen ? view_output(view, asked) : NULL;
	struct wlr_box *box =
		output ? wlr_output_layout_get_box(view->server->output_layout, output) : NULL;

	if (fullscreen && !box) {
		/* No output to fill: the request is answered with the state unchanged. */
		view->impl->set_fullscreen(view, view->fullscreen);
		return;
	}
	if (fullscreen) {
		view_save_box(view);
		view->fullscreen = true;
		view->impl->set_fullscreen(view, true);
		view_move_resize(view, box);
		wlr_scene_node_raise_to_top(&view->tree->node);
		return;
	}
	if (!view->fullscreen) {
		view->impl->set_fullscreen(view, false);
		return;
	}
	view->fullscreen = false;
	view->impl->set_fullscreen(view, false);
	if (view->maximized)
		view_set_maximized(view, true);
	else
		view_move_resize(view, &view->saved);
}

void view_set_maximized(struct sb_view *view, bool maximized)
{
	struct wlr_box area;

	if (view->fullscreen) {
		/* Remembered for when it leaves fullscreen. */
		view->maximized = maximized;
		view->impl->set_maximized(view, maximized);
		return;
	}
	if (maximized && view_work_area(view->server, view_output(view, NULL), &area)) {
		view_save_box(view);
		view->maximized = true;
		view->impl->set_maximized(view, true);
		view_move_resize(view, &area);
		return;
	}
	view->impl->set_maximized(view, false);
	if (!view->maximized)
		return;
	view->maximized = false;
	view_move_resize(view, &view->saved);
}

void view_fit_maximized(struct sb_server *server, struct wlr_output *output)
{
	struct sb_view *view;
	struct wlr_box area;

	if (!view_work_area(server, output, &area))
		return;
	wl_list_for_each(view, &server->views, link) {
		if (view->maximized && !view->fullscreen && view_output(view, NULL) == output)
			view_move_resize(view, &area);
	}
}

void view_close(struct sb_view *view)
{
	wlr_log(WLR_INFO, "view: closing %s window '%s'", view->impl->kind, view_title(view));
	view->impl->close(view);
}

const char *view_title(struct sb_view *view)
{
	const char *title = view->impl->title(view);

	return title ? title : "";
}

const char *view_app_id(struct sb_view *view)
{
	const char *app_id = view->impl->app_id(view);

	return app_id ? app_id : "";
}

struct wl_client *view_client(struct sb_view *view)
{
	return view->impl->client(view);
}

struct sb_view *view_at(struct sb_server *server, double lx, double ly,
			struct wlr_surface **surface, double *sx, double *sy)
{
	struct wlr_scene_node *node = wlr_scene_node_at(&server->scene->node, lx, ly, sx, sy);

	*surface = NULL;
	if (!node || node->type != WLR_SCENE_NODE_SURFACE)
		return NULL;
	*surface = wlr_scene_surface_from_node(node)->surface;
	/* Only a view's own tree carries data: walk up from a subsurface or popup to it. */
	while (node && !node->data)
		node = node->parent;
	return node ? node->data : NULL;
}

struct sb_view *view_from_surface(struct sb_server *server, struct wlr_surface *surface)
{
	struct sb_view *view;

	if (!surface)
		return NULL;
	wl_list_for_each(view, &server->views, link)
		if (view->surface == surface)
			return view;
	return NULL;
}

void view_cycle_focus(struct sb_server *server)
{
	struct sb_view *top, *next = NULL, *view;

	if (wl_list_empty(&server->views))
		return;
	top = wl_container_of(server->views.next, top, link);
	/* The next window that takes focus: menus and tooltips (unmanaged) are passed over. */
	wl_list_for_each(view, &server->views, link) {
		if (view != top && !view->unmanaged) {
			next = view;
			break;
		}
	}
	if (!next)
		return;
	/* The top one goes under all others, so repeated presses visit every window. */
	wl_list_remove(&top->link);
	wl_list_insert(server->views.prev, &top->link);
	wlr_scene_node_lower_to_bottom(&top->tree->node);
	if (server->background_rect)
		wlr_scene_node_lower_to_bottom(&server->background_rect->node);
	view_focus(next);
}
