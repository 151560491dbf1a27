// SPDX-License-Identifier: MIT
/*
 * zwlr_layer_shell_v1: panels, backgrounds, docks, lock screens and launchers. Each output has
 * four lists of layer surfaces; each commit that changes a surface's state rearranges its
 * output: the surfaces with an exclusive zone first, from the overlay layer down, each taking its
 * zone off the output's usable area; then the others inside what is left (or over the whole
 * output for an exclusive zone of -1). The same order and anchoring rules as sway 1.7, so that a
 * bar or a background lands where it would there.
 *
 * Stacking, bottom to top: the background rectangle, background, bottom, the windows
 * (server->view_tree), top, overlay.
 */
#include <stdlib.h>

#include <wlr/types/wlr_layer_shell_v1.h>
#include <wlr/types/wlr_output.h>
#include <wlr/types/wlr_output_layout.h>
#include <wlr/types/wlr_scene.h>
#include <wlr/types/wlr_seat.h>
#include <wlr/types/wlr_xdg_shell.h>
#include <wlr/util/box.h>
#include <wlr/util/log.h>

#include "layer_shell.h"
#include "server.h"
#include "view.h"

#define LAYER_COUNT 4 /* zwlr_layer_shell_v1.layer: background, bottom, top, overlay */

struct sb_layer_shell {
	struct sb_server *server;
	struct wlr_layer_shell_v1 *wlr_layer_shell;
	struct wlr_scene_node *trees[LAYER_COUNT];
	struct wl_list outputs; /* sb_layer_output.link */
	struct wl_listener new_surface;
	struct wl_listener layout_change;
};

/* An output's layer surfaces and what their exclusive zones leave of it. */
struct sb_layer_output {
	struct wl_list link; /* sb_layer_shell.outputs */
	struct sb_layer_shell *shell;
	struct wlr_output *wlr_output;
	struct wl_list layers[LAYER_COUNT]; /* sb_layer_surface.link */
	struct wlr_box usable;		    /* output-local */
	bool arranging; /* a surface closed meanwhile does not rearrange it again */
	struct wl_listener destroy;
	struct wl_listener commit; /* mode, scale or transform: the output's size changed */
};

struct sb_layer_surface {
	struct wl_list link; /* sb_layer_output.layers[layer] */
	struct sb_layer_output *output;
	struct wlr_layer_surface_v1 *layer_surface;
	struct wlr_scene_node *node;
	enum zwlr_layer_shell_v1_layer layer; /* the list it is in */
	bool mapped;
	struct wl_listener map;
	struct wl_listener unmap;
	struct wl_listener destroy;
	struct wl_listener commit;
	struct wl_listener new_popup;
};

struct sb_layer_popup {
	struct wlr_xdg_popup *popup;
	struct wl_listener destroy;
};

static void layer_output_destroy(struct sb_layer_output *output);

static struct sb_layer_output *layer_output_find(struct sb_layer_shell *shell,
						 struct wlr_output *wlr_output)
{
	struct sb_layer_output *output;

	wl_list_for_each(output, &shell->outputs, link) {
		if (output->wlr_output == wlr_output)
			return output;
	}
	return NULL;
}

/*
 * zwlr_layer_surface_v1.set_exclusive_zone: a zone counts only for a surface anchored to one
 * edge, or to an edge and both its neighbours (a bar spanning it); its margin on that edge adds
 * to it.
 */
static void usable_take_exclusive(struct wlr_box *usable,
				  const struct wlr_layer_surface_v1_state *st)
{
	const uint32_t top = ZWLR_LAYER_SURFACE_V1_ANCHOR_TOP;
	const uint32_t bottom = ZWLR_LAYER_SURFACE_V1_ANCHOR_BOTTOM;
	const uint32_t left = ZWLR_LAYER_SURFACE_V1_ANCHOR_LEFT;
	const uint32_t right = ZWLR_LAYER_SURFACE_V1_ANCHOR_RIGHT;
	int32_t zone;

	if (st->exclusive_zone <= 0)
		return;
	if (st->anchor == top || st->anchor == (top | left | right)) {
		zone = st->exclusive_zone + (int32_t)st->margin.top;
		if (zone > 0) {
			usable->y += zone;
			usable->height -= zone;
		}
	} else if (st->anchor == bottom || st->anchor == (bottom | left | right)) {
		zone = st->exclusive_zone + (int32_t)st->margin.bottom;
		if (zone > 0)
			usable->height -= zone;
	} else if (st->anchor == left || st->anchor == (left | top | bottom)) {
		zone = st->exclusive_zone + (int32_t)st->margin.left;
		if (zone > 0) {
			usable->x += zone;
			usable->width -= zone;
		}
	} else if (st->anchor == right || st->anchor == (right | top | bottom)) {
		zone = st->exclusive_zone + (int32_t)st->margin.right;
		if (zone > 0)
			usable->width -= zone;
	}
}

/*
 * One axis of a surface's box: size 0 stretches it between the bounds (less both margins), both
 * anchors centre it, one anchor puts it at that edge (plus that margin), none centres it.
 */
static void place_axis(int bound_pos, int bound_size, uint32_t desired, bool low, bool high,
		       uint32_t margin_low, uint32_t margin_high, int *pos, int *size)
{
	*size = (int)desired;
	if (desired == 0) {
		*pos = bound_pos + (int)margin_low;
		*size = bound_size - (int)(margin_low + margin_high);
	} else if (low && high) {
		*pos = bound_pos + bound_size / 2 - *size / 2;
	} else if (low) {
		*pos = bound_pos + (int)margin_low;
	} else if (high) {
		*pos = bound_pos + bound_size - *size - (int)margin_high;
	} else {
		*pos = bound_pos + bound_size / 2 - *size / 2;
	}
}

static void arrange_layer(struct sb_layer_output *output, struct wl_list *list,
			  const struct wlr_box *full, bool exclusive)
{
	struct wlr_box *layout_box =
		wlr_output_layout_get_box(output->shell->server->output_layout, output->wlr_output);
	struct sb_layer_surface *surface, *tmp;

	if (!layout_box)
		return;
	wl_list_for_each_safe(surface, tmp, list, link) {
		struct wlr_layer_surface_v1 *layer_surface = surface->layer_surface;
		const struct wlr_layer_surface_v1_state *st = &layer_surface->current;
		const struct wlr_box *bounds = st->exclusive_zone == -1 ? full : &output->usable;
		struct wlr_box box;

		if (exclusive != (st->exclusive_zone > 0))
			continue;
		place_axis(bounds->x, bounds->width, st->desired_width,
			   st->anchor & ZWLR_LAYER_SURFACE_V1_ANCHOR_LEFT,
			   st->anchor & ZWLR_LAYER_SURFACE_V1_ANCHOR_RIGHT, st->margin.left,
			   st->margin.right, &box.x, &box.width);
		place_axis(bounds->y, bounds->height, st->desired_height,
			   st->anchor & ZWLR_LAYER_SURFACE_V1_ANCHOR_TOP,
			   st->anchor & ZWLR_LAYER_SURFACE_V1_ANCHOR_BOTTOM, st->margin.top,
			   st->margin.bottom, &box.y, &box.height);
		if (box.width <= 0 || box.height <= 0) {
			/* Margins larger than the output: nothing to show; the client is told. */
			wlr_log(WLR_INFO,
				"layer surface '%s': no room (margins %u %u %u %u), closed",
				layer_surface->namespace, st->margin.top, st->margin.right,
				st->margin.bottom, st->margin.left);
			wlr_layer_surface_v1_destroy(layer_surface);
			continue;
		}
		if (exclusive)
			usable_take_exclusive(&output->usable, st);
		wlr_scene_node_set_position(surface->node, layout_box->x + box.x,
					    layout_box->y + box.y);
		wlr_layer_surface_v1_configure(layer_surface, (uint32_t)box.width,
					       (uint32_t)box.height);
	}
}

/* The top interactive surface of the top and overlay layers takes the keyboard (exclusive). */
static void layer_output_focus(struct sb_layer_output *output)
{
	struct sb_server *server = output->shell->server;

	for (int layer = ZWLR_LAYER_SHELL_V1_LAYER_OVERLAY; layer >= ZWLR_LAYER_SHELL_V1_LAYER_TOP;
	     layer--) {
		struct sb_layer_surface *surface;

		wl_list_for_each_reverse(surface, &output->layers[layer], link) {
			if (surface->mapped &&
			    surface->layer_surface->current.keyboard_interactive ==
				    ZWLR_LAYER_SURFACE_V1_KEYBOARD_INTERACTIVITY_EXCLUSIVE) {
				seat_focus_surface(server, surface->layer_surface->surface);
				return;
			}
		}
	}
}

static void layer_output_arrange(struct sb_layer_output *output)
{
	struct wlr_box full = {0}, before = output->usable;

	if (output->arranging)
		return;
	output->arranging = true;
	wlr_output_effective_resolution(output->wlr_output, &full.width, &full.height);
	output->usable = full;
	for (int layer = LAYER_COUNT - 1; layer >= 0; layer--)
		arrange_layer(output, &output->layers[layer], &full, true);
	for (int layer = LAYER_COUNT - 1; layer >= 0; layer--)
		arrange_layer(output, &output->layers[layer], &full, false);
	output->arranging = false;
	layer_output_focus(output);
	/* Maximized windows follow the area panels leave them, as sway's arrange_output does. */
	if (before.x != output->usable.x || before.y != output->usable.y ||
	    before.width != output->usable.width || before.height != output->usable.height)
		view_fit_maximized(output->shell->server, output->wlr_output);
}

static void layer_output_handle_destroy(struct wl_listener *listener, void *data)
{
	struct sb_layer_output *output = wl_container_of(listener, output, destroy);

	layer_output_destroy(output);
}

static void layer_output_handle_commit(struct wl_listener *listener, void *data)
{
	struct sb_layer_output *output = wl_container_of(listener, output, commit);
	struct wlr_output_event_commit *event = data;

	if (event->committed &
	    (WLR_OUTPUT_STATE_MODE | WLR_OUTPUT_STATE_SCALE | WLR_OUTPUT_STATE_TRANSFORM))
		layer_output_arrange(output);
}

static struct sb_layer_output *layer_output_get(struct sb_layer_shell *shell,
						struct wlr_output *wlr_output)
{
	struct sb_layer_output *output = layer_output_find(shell, wlr_output);

	if (output)
		return output;
	output = calloc(1, sizeof(*output));
	if (!output)
		return NULL;
	output->shell = shell;
	output->wlr_output = wlr_output;
	for (int layer = 0; layer < LAYER_COUNT; layer++)
		wl_list_init(&output->layers[layer]);
	output->destroy.notify = layer_output_handle_destroy;
	wl_signal_add(&wlr_output->events.destroy, &output->destroy);
	output->commit.notify = layer_output_handle_commit;
	wl_signal_add(&wlr_output->events.commit, &output->commit);
	wl_list_insert(&shell->outputs, &output->link);
	return output;
}

static void layer_surface_handle_map(struct wl_listener *listener, void *data)
{
	struct sb_layer_surface *surface = wl_container_of(listener, surface, map);

	surface->mapped = true;
	wlr_scene_node_set_enabled(surface->node, true);
	layer_output_arrange(surface->output);
	wlr_log(WLR_INFO, "layer surface '%s' mapped: %ux%u+%d+%d, exclusive zone %d",
		surface->layer_surface->namespace, surface->layer_surface->current.actual_width,
		surface->layer_surface->current.actual_height, surface->node->state.x,
		surface->node->state.y, surface->layer_surface->current.exclusive_zone);
	/* on_demand in the top and overlay layers: focused when it appears, as a launcher wants. */
	if (surface->layer_surface->current.keyboard_interactive ==
		    ZWLR_LAYER_SURFACE_V1_KEYBOARD_INTERACTIVITY_ON_DEMAND &&
	    surface->layer >= ZWLR_LAYER_SHELL_V1_LAYER_TOP)
		seat_focus_surface(surface->output->shell->server, surface->layer_surface->surface);
}

static void layer_surface_handle_unmap(struct wl_listener *listener, void *data)
{
	struct sb_layer_surface *surface = wl_container_of(listener, surface, unmap);
	struct sb_server *server = surface->output->shell->server;

	surface->mapped = false;
	wlr_scene_node_set_enabled(surface->node, false);
	layer_output_arrange(surface->output);
	/* The keyboard goes back to the top window. */
	if (server->seat->keyboard_state.focused_surface == surface->layer_surface->surface) {
		wlr_seat_keyboard_notify_clear_focus(server->seat);
		view_focus_top(server);
	}
}

static void layer_surface_free(struct sb_layer_surface *surface)
{
	wl_list_remove(&surface->link);
	wl_list_remove(&surface->map.link);
	wl_list_remove(&surface->unmap.link);
	wl_list_remove(&surface->destroy.link);
	wl_list_remove(&surface->commit.link);
	wl_list_remove(&surface->new_popup.link);
	free(surface);
}

static void layer_surface_handle_destroy(struct wl_listener *listener, void *data)
{
	struct sb_layer_surface *surface = wl_container_of(listener, surface, destroy);
	struct sb_layer_output *output = surface->output;
	struct wlr_layer_surface_v1_configure *configure, *tmp;

	/*
	 * wlroots 0.15 frees the configures a client acked, never those still in flight when the
	 * surface goes (LeakSanitizer, one per unacked configure); it touches the list no more
	 * after this signal.
	 */
	wl_list_for_each_safe(configure, tmp, &surface->layer_surface->configure_list, link) {
		wl_list_remove(&configure->link);
		free(configure);
	}

	/*
	 * The wl_surface may outlive its role (closed by the compositor, or the role object
	 * destroyed first): its picture goes now.
	 */
	wlr_scene_node_destroy(surface->node);
	layer_surface_free(surface);
	layer_output_arrange(output);
}

static void layer_surface_handle_commit(struct wl_listener *listener, void *data)
{
	struct sb_layer_surface *surface = wl_container_of(listener, surface, commit);
	struct wlr_layer_surface_v1 *layer_surface = surface->layer_surface;
	struct sb_layer_shell *shell = surface->output->shell;

	const struct wlr_layer_surface_v1_state *st = &layer_surface->current;
	const uint32_t horiz =
		ZWLR_LAYER_SURFACE_V1_ANCHOR_LEFT | ZWLR_LAYER_SURFACE_V1_ANCHOR_RIGHT;
	const uint32_t vert =
		ZWLR_LAYER_SURFACE_V1_ANCHOR_TOP | ZWLR_LAYER_SURFACE_V1_ANCHOR_BOTTOM;

	/*
	 * zwlr_layer_surface_v1.set_size: a size of 0 stretches between two opposite anchors, and
	 * is invalid_size without both. wlroots 0.15.1 does not check it; a later wlroots does.
	 */
	if ((st->desired_width == 0 && (st->anchor & horiz) != horiz) ||
	    (st->desired_height == 0 && (st->anchor & vert) != vert)) {
		wl_resource_post_error(layer_surface->resource,
				       ZWLR_LAYER_SURFACE_V1_ERROR_INVALID_SIZE,
				       "size 0 without anchors on both sides of that axis");
		return;
	}
	/* The initial commit asks for the first configure; later ones only if something changed. */
	if (layer_surface->configured && layer_surface->current.committed == 0)
		return;
	if (layer_surface->current.layer != surface->layer) {
		surface->layer = layer_surface->current.layer;
		wl_list_remove(&surface->link);
		wl_list_insert(surface->output->layers[surface->layer].prev, &surface->link);
		wlr_scene_node_reparent(surface->node, shell->trees[surface->layer]);
	}
	layer_output_arrange(surface->output);
}

static void layer_popup_handle_destroy(struct wl_listener *listener, void *data)
{
	struct sb_layer_popup *popup = wl_container_of(listener, popup, destroy);

	wl_list_remove(&popup->destroy.link);
	free(popup);
}

/*
 * zwlr_layer_surface_v1.get_popup: an xdg_popup whose parent is the layer surface. Its scene
 * node hangs under the layer surface's; its own popups find it through the xdg_surface's data,
 * as xdg_shell.c's do.
 */
static void layer_surface_handle_new_popup(struct wl_listener *listener, void *data)
{
	struct sb_layer_surface *surface = wl_container_of(listener, surface, new_popup);
	struct wlr_xdg_popup *xdg_popup = data;
	struct sb_layer_popup *popup = calloc(1, sizeof(*popup));
	struct wlr_scene_node *node;

	if (!popup) {
		wl_resource_post_no_memory(xdg_popup->resource);
		return;
	}
	node = wlr_scene_xdg_surface_create(surface->node, xdg_popup->base);
	if (!node) {
		free(popup);
		wl_resource_post_no_memory(xdg_popup->resource);
		return;
	}
	xdg_popup->base->data = node;
	popup->popup = xdg_popup;
	popup->destroy.notify = layer_popup_handle_destroy;
	wl_signal_add(&xdg_popup->base->events.destroy, &popup->destroy);
}

static void layer_shell_handle_new_surface(struct wl_listener *listener, void *data)
{
	struct sb_layer_shell *shell = wl_container_of(listener, shell, new_surface);
	struct wlr_layer_surface_v1 *layer_surface = data;
	struct sb_layer_output *output;
	struct sb_layer_surface *surface;

	/* get_layer_surface with a null output: the compositor's choice, the primary output. */
	if (!layer_surface->output)
		layer_surface->output = server_primary_output(shell->server);
	if (!layer_surface->output) {
		wlr_log(WLR_INFO, "layer surface '%s': no output to show it on, closed",
			layer_surface->namespace);
		wlr_layer_surface_v1_destroy(layer_surface);
		return;
	}
	output = layer_output_get(shell, layer_surface->output);
	surface = output ? calloc(1, sizeof(*surface)) : NULL;
	if (!surface) {
		wl_resource_post_no_memory(layer_surface->resource);
		return;
	}
	surface->layer = layer_surface->pending.layer;
	surface->node = wlr_scene_subsurface_tree_create(shell->trees[surface->layer],
							 layer_surface->surface);
	if (!surface->node) {
		free(surface);
		wl_resource_post_no_memory(layer_surface->resource);
		return;
	}
	wlr_scene_node_set_enabled(surface->node, false);
	surface->output = output;
	surface->layer_surface = layer_surface;
	layer_surface->data = surface;
	wl_list_insert(output->layers[surface->layer].prev, &surface->link);
	surface->map.notify = layer_surface_handle_map;
	wl_signal_add(&layer_surface->events.map, &surface->map);
	surface->unmap.notify = layer_surface_handle_unmap;
	wl_signal_add(&layer_surface->events.unmap, &surface->unmap);
	surface->destroy.notify = layer_surface_handle_destroy;
	wl_signal_add(&layer_surface->events.destroy, &surface->destroy);
	surface->commit.notify = layer_surface_handle_commit;
	wl_signal_add(&layer_surface->surface->events.commit, &surface->commit);
	surface->new_popup.notify = layer_surface_handle_new_popup;
	wl_signal_add(&layer_surface->events.new_popup, &surface->new_popup);
	wlr_log(WLR_INFO, "layer surface '%s' on %s, layer %d", layer_surface->namespace,
		layer_surface->output->name, surface->layer);
}

/*
 * An output that goes takes its layer surfaces with it: each gets zwlr_layer_surface_v1.closed
 * (wlr_layer_surface_v1_destroy), which frees our side through its destroy signal.
 */
static void layer_output_destroy(struct sb_layer_output *output)
{
	output->arranging = true;
	for (int layer = 0; layer < LAYER_COUNT; layer++) {
		struct sb_layer_surface *surface, *tmp;

		wl_list_for_each_safe(surface, tmp, &output->layers[layer], link) {
			surface->layer_surface->output = NULL;
			wlr_layer_surface_v1_destroy(surface->layer_surface);
		}
	}
	wl_list_remove(&output->destroy.link);
	wl_list_remove(&output->commit.link);
	wl_list_remove(&output->link);
	free(output);
}

static void layer_shell_handle_layout_change(struct wl_listener *listener, void *data)
{
	struct sb_layer_shell *shell = wl_container_of(listener, shell, layout_change);
	struct sb_layer_output *output;

	wl_list_for_each(output, &shell->outputs, link)
		layer_output_arrange(output);
}

void sb_layer_shell_destroy(struct sb_layer_shell *shell)
{
	struct sb_layer_output *output, *tmp;

	if (!shell)
		return;
	wl_list_for_each_safe(output, tmp, &shell->outputs, link)
		layer_output_destroy(output);
	wl_list_remove(&shell->new_surface.link);
	wl_list_remove(&shell->layout_change.link);
	shell->server->layer_shell = NULL;
	free(shell);
}

struct sb_layer_shell *sb_layer_shell_create(struct sb_server *server)
{
	struct sb_layer_shell *shell = calloc(1, sizeof(*shell));

	if (!shell)
		return NULL;
	shell->server = server;
	shell->wlr_layer_shell = wlr_layer_shell_v1_create(server->display);
	if (!shell->wlr_layer_shell) {
		free(shell);
		return NULL;
	}
	/* Created in stacking order: each new tree goes above the ones before it. */
	shell->trees[ZWLR_LAYER_SHELL_V1_LAYER_BACKGROUND] =
		&wlr_scene_tree_create(&server->scene->node)->node;
	shell->trees[ZWLR_LAYER_SHELL_V1_LAYER_BOTTOM] =
		&wlr_scene_tree_create(&server->scene->node)->node;
	server->view_tree = wlr_scene_tree_create(&server->scene->node);
	shell->trees[ZWLR_LAYER_SHELL_V1_LAYER_TOP] =
		&wlr_scene_tree_create(&server->scene->node)->node;
	shell->trees[ZWLR_LAYER_SHELL_V1_LAYER_OVERLAY] =
		&wlr_scene_tree_create(&server->scene->node)->node;
	wl_list_init(&shell->outputs);
	shell->new_surface.notify = layer_shell_handle_new_surface;
	wl_signal_add(&shell->wlr_layer_shell->events.new_surface, &shell->new_surface);
	shell->layout_change.notify = layer_shell_handle_layout_change;
	wl_signal_add(&server->output_layout->events.change, &shell->layout_change);
	server->layer_shell = shell;
	return shell;
}

void sb_layer_shell_output_usable_area(struct sb_layer_shell *shell, struct wlr_output *wlr_output,
				       struct wlr_box *out)
{
	struct sb_layer_output *output;
	struct wlr_box *layout_box;

	*out = (struct wlr_box){0};
	if (!shell || !wlr_output)
		return;
	layout_box = wlr_output_layout_get_box(shell->server->output_layout, wlr_output);
	if (!layout_box || wlr_box_empty(layout_box))
		return;
	output = layer_output_find(shell, wlr_output);
	if (!output) {
		*out = *layout_box;
		return;
	}
	*out = output->usable;
	out->x += layout_box->x;
	out->y += layout_box->y;
}

void sb_layer_shell_usable_area(struct sb_output *output, struct wlr_box *out)
{
	struct wlr_output *wlr_output = output ? output_wlr_output(output) : NULL;

	*out = (struct wlr_box){0};
	if (!wlr_output)
		return;
	sb_layer_shell_output_usable_area(output_server(output)->layer_shell, wlr_output, out);
}
