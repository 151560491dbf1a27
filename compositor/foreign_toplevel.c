// SPDX-License-Identifier: MIT
/*
 * wlr-foreign-toplevel-management-unstable-v1: one handle per xdg toplevel while it is mapped.
 * The activated state is the one the compositor last configured the toplevel with, so a taskbar
 * shows what the window itself was told.
 */
#include <stdlib.h>

#include <wlr/types/wlr_foreign_toplevel_management_v1.h>
#include <wlr/types/wlr_output_layout.h>
#include <wlr/types/wlr_scene.h>
#include <wlr/types/wlr_xdg_shell.h>
#include <wlr/util/log.h>

#include "foreign_toplevel.h"
#include "server.h"
#include "view.h"

struct sb_foreign_toplevel {
	struct sb_server *server;
	struct wlr_foreign_toplevel_manager_v1 *manager;
	struct wl_listener new_xdg_surface;
};

struct sb_toplevel_handle {
	struct sb_foreign_toplevel *foreign;
	struct wlr_xdg_surface *xdg_surface;
	struct wlr_foreign_toplevel_handle_v1 *handle; /* while mapped */
	struct wl_listener map;
	struct wl_listener unmap;
	struct wl_listener destroy;
	struct wl_listener set_title;
	struct wl_listener set_app_id;
	struct wl_listener configure;
	struct wl_listener request_activate;
	struct wl_listener request_close;
};

/* The toplevel's window while it is mapped (view.c), else NULL. */
static struct sb_view *toplevel_view(struct sb_toplevel_handle *toplevel)
{
	return view_from_surface(toplevel->foreign->server, toplevel->xdg_surface->surface);
}

static void handle_request_activate(struct wl_listener *listener, void *data)
{
	struct sb_toplevel_handle *toplevel = wl_container_of(listener, toplevel, request_activate);
	struct sb_view *view = toplevel_view(toplevel);

	if (view)
		view_focus(view);
}

static void handle_request_close(struct wl_listener *listener, void *data)
{
	struct sb_toplevel_handle *toplevel = wl_container_of(listener, toplevel, request_close);

	wlr_xdg_toplevel_send_close(toplevel->xdg_surface);
}

static void handle_set_title(struct wl_listener *listener, void *data)
{
	struct sb_toplevel_handle *toplevel = wl_container_of(listener, toplevel, set_title);

	if (toplevel->handle && toplevel->xdg_surface->toplevel->title)
		wlr_foreign_toplevel_handle_v1_set_title(toplevel->handle,
							 toplevel->xdg_surface->toplevel->title);
}

static void handle_set_app_id(struct wl_listener *listener, void *data)
{
	struct sb_toplevel_handle *toplevel = wl_container_of(listener, toplevel, set_app_id);

	if (toplevel->handle && toplevel->xdg_surface->toplevel->app_id)
		wlr_foreign_toplevel_handle_v1_set_app_id(toplevel->handle,
							  toplevel->xdg_surface->toplevel->app_id);
}

static void handle_configure(struct wl_listener *listener, void *data)
{
	struct sb_toplevel_handle *toplevel = wl_container_of(listener, toplevel, configure);
	struct wlr_xdg_surface_configure *configure = data;

	if (toplevel->handle && configure->toplevel_configure) {
		wlr_foreign_toplevel_handle_v1_set_activated(
			toplevel->handle, configure->toplevel_configure->activated);
		wlr_foreign_toplevel_handle_v1_set_fullscreen(
			toplevel->handle, configure->toplevel_configure->fullscreen);
	}
}

static void handle_map(struct wl_listener *listener, void *data)
{
	struct sb_toplevel_handle *toplevel = wl_container_of(listener, toplevel, map);
	struct wlr_xdg_toplevel *xdg_toplevel = toplevel->xdg_surface->toplevel;
	struct sb_server *server = toplevel->foreign->server;
	struct wlr_output *output;

	toplevel->handle = wlr_foreign_toplevel_handle_v1_create(toplevel->foreign->manager);
	if (!toplevel->handle) {
		wlr_log(WLR_ERROR, "foreign toplevel: out of memory");
		return;
	}
	if (xdg_toplevel->title)
		wlr_foreign_toplevel_handle_v1_set_title(toplevel->handle, xdg_toplevel->title);
	if (xdg_toplevel->app_id)
		wlr_foreign_toplevel_handle_v1_set_app_id(toplevel->handle, xdg_toplevel->app_id);
	wlr_foreign_toplevel_handle_v1_set_activated(toplevel->handle,
						     xdg_toplevel->current.activated);
	output = server_primary_output(server);
	if (output)
		wlr_foreign_toplevel_handle_v1_output_enter(toplevel->handle, output);
	toplevel->request_activate.notify = handle_request_activate;
	wl_signal_add(&toplevel->handle->events.request_activate, &toplevel->request_activate);
	toplevel->request_close.notify = handle_request_close;
	wl_signal_add(&toplevel->handle->events.request_close, &toplevel->request_close);
}

static void handle_unmap(struct wl_listener *listener, void *data)
{
	struct sb_toplevel_handle *toplevel = wl_container_of(listener, toplevel, unmap);

	if (!toplevel->handle)
		return;
	wl_list_remove(&toplevel->request_activate.link);
	wl_list_remove(&toplevel->request_close.link);
	wlr_foreign_toplevel_handle_v1_destroy(toplevel->handle);
	toplevel->handle = NULL;
}

static void handle_destroy(struct wl_listener *listener, void *data)
{
	struct sb_toplevel_handle *toplevel = wl_container_of(listener, toplevel, destroy);

	handle_unmap(&toplevel->unmap, NULL);
	wl_list_remove(&toplevel->map.link);
	wl_list_remove(&toplevel->unmap.link);
	wl_list_remove(&toplevel->destroy.link);
	wl_list_remove(&toplevel->set_title.link);
	wl_list_remove(&toplevel->set_app_id.link);
	wl_list_remove(&toplevel->configure.link);
	free(toplevel);
}

static void handle_new_xdg_surface(struct wl_listener *listener, void *data)
{
	struct sb_foreign_toplevel *foreign = wl_container_of(listener, foreign, new_xdg_surface);
	struct wlr_xdg_surface *xdg_surface = data;
	struct sb_toplevel_handle *toplevel;

	if (xdg_surface->role != WLR_XDG_SURFACE_ROLE_TOPLEVEL)
		return;
	toplevel = calloc(1, sizeof(*toplevel));
	if (!toplevel) {
		wl_resource_post_no_memory(xdg_surface->resource);
		return;
	}
	toplevel->foreign = foreign;
	toplevel->xdg_surface = xdg_surface;
	toplevel->map.notify = handle_map;
	wl_signal_add(&xdg_surface->events.map, &toplevel->map);
	toplevel->unmap.notify = handle_unmap;
	wl_signal_add(&xdg_surface->events.unmap, &toplevel->unmap);
	toplevel->destroy.notify = handle_destroy;
	wl_signal_add(&xdg_surface->events.destroy, &toplevel->destroy);
	toplevel->set_title.notify = handle_set_title;
	wl_signal_add(&xdg_surface->toplevel->events.set_title, &toplevel->set_title);
	toplevel->set_app_id.notify = handle_set_app_id;
	wl_signal_add(&xdg_surface->toplevel->events.set_app_id, &toplevel->set_app_id);
	toplevel->configure.notify = handle_configure;
	wl_signal_add(&xdg_surface->events.configure, &toplevel->configure);
}

void sb_foreign_toplevel_destroy(struct sb_foreign_toplevel *foreign)
{
	if (!foreign)
		return;
	wl_list_remove(&foreign->new_xdg_surface.link);
	free(foreign);
}

struct sb_foreign_toplevel *sb_foreign_toplevel_create(struct sb_server *server)
{
	struct sb_foreign_toplevel *foreign = calloc(1, sizeof(*foreign));

	if (!foreign)
		return NULL;
	foreign->server = server;
	foreign->manager = wlr_foreign_toplevel_manager_v1_create(server->display);
	if (!foreign->manager) {
		free(foreign);
		return NULL;
	}
	foreign->new_xdg_surface.notify = handle_new_xdg_surface;
	wl_signal_add(&server->xdg_shell->events.new_surface, &foreign->new_xdg_surface);
	return foreign;
}
