// SPDX-License-Identifier: MIT
/*
 * The desktop protocols: which wlroots 0.15 globals syncbridge offers beyond the core, and the
 * policy each needs from a compositor.
 *
 * - wl_data_device / zwp_primary_selection_v1 / zwlr_data_control_v1: a client's selection
 *   request is granted (wlroots checks the serial); data-control clients set it directly.
 * - zxdg_decoration_manager_v1 and KDE's org_kde_kwin_server_decoration_manager: syncbridge draws
 *   no decorations, so every toplevel is told client_side, whatever it asks.
 * - xdg_activation_v1: a valid token activates (raises and focuses) the surface's window.
 * - org_kde_kwin_idle + zwp_idle_inhibit_manager_v1: input restarts the idle timers; while any
 *   inhibitor lives, idle is off for the seat.
 * - zwp_keyboard_shortcuts_inhibit_manager_v1: inhibitors are granted at once (the compositor has
 *   no shortcuts of its own to withhold).
 * - zwp_pointer_constraints_v1 + zwp_relative_pointer_manager_v1: the focused surface's
 *   constraint is activated; a lock keeps the cursor still; relative motion always goes out.
 *   A confinement is activated but its region is not enforced.
 * - zwp_text_input_manager_v3 + zwp_input_method_manager_v2, zwlr_gamma_control_manager_v1,
 *   zwlr_input_inhibit_manager_v1, zwp_tablet_manager_v2, zwp_pointer_gestures_v1: the globals;
 *   gamma is wlroots' own; the others have no events to route on a seat without those devices.
 */
#include <stdlib.h>

#include <wlr/types/wlr_cursor.h>
#include <wlr/types/wlr_data_control_v1.h>
#include <wlr/types/wlr_data_device.h>
#include <wlr/types/wlr_gamma_control_v1.h>
#include <wlr/types/wlr_idle.h>
#include <wlr/types/wlr_idle_inhibit_v1.h>
#include <wlr/types/wlr_input_inhibitor.h>
#include <wlr/types/wlr_input_method_v2.h>
#include <wlr/types/wlr_keyboard_shortcuts_inhibit_v1.h>
#include <wlr/types/wlr_pointer.h>
#include <wlr/types/wlr_pointer_constraints_v1.h>
#include <wlr/types/wlr_pointer_gestures_v1.h>
#include <wlr/types/wlr_primary_selection.h>
#include <wlr/types/wlr_primary_selection_v1.h>
#include <wlr/types/wlr_relative_pointer_v1.h>
#include <wlr/types/wlr_scene.h>
#include <wlr/types/wlr_seat.h>
#include <wlr/types/wlr_server_decoration.h>
#include <wlr/types/wlr_tablet_v2.h>
#include <wlr/types/wlr_text_input_v3.h>
#include <wlr/types/wlr_xdg_activation_v1.h>
#include <wlr/types/wlr_xdg_decoration_v1.h>
#include <wlr/types/wlr_xdg_shell.h>
#include <wlr/util/log.h>

#include "desktop_protocols.h"
#include "foreign_toplevel.h"
#include "output_management.h"
#include "server.h"
#include "view.h"

struct sb_desktop_protocols {
	struct sb_server *server;
	struct wlr_idle *idle;
	struct wlr_idle_inhibit_manager_v1 *idle_inhibit;
	struct wlr_relative_pointer_manager_v1 *relative_pointer;
	struct wlr_pointer_constraints_v1 *pointer_constraints;
	struct wlr_pointer_constraint_v1 *active_constraint;
	int idle_inhibitors;

	struct wl_listener request_set_selection;
	struct wl_listener request_set_primary_selection;
	struct wl_listener new_toplevel_decoration;
	struct wl_listener request_activate;
	struct wl_listener new_idle_inhibitor;
	struct wl_listener new_shortcuts_inhibitor;
	struct wl_listener new_constraint;
	struct wl_listener pointer_focus_change;
	struct sb_foreign_toplevel *foreign_toplevel;
	struct sb_output_management *output_management;
};

/* One per inhibitor or decoration object: what its destroy must undo. */
struct sb_desktop_object {
	struct sb_desktop_protocols *desktop;
	void *object;
	struct wl_listener destroy;
	struct wl_listener request; /* a decoration's request_mode */
};

static void handle_request_set_selection(struct wl_listener *listener, void *data)
{
	struct sb_desktop_protocols *desktop =
		wl_container_of(listener, desktop, request_set_selection);
	struct wlr_seat_request_set_selection_event *event = data;

	wlr_seat_set_selection(desktop->server->seat, event->source, event->serial);
}

static void handle_request_set_primary_selection(struct wl_listener *listener, void *data)
{
	struct sb_desktop_protocols *desktop =
		wl_container_of(listener, desktop, request_set_primary_selection);
	struct wlr_seat_request_set_primary_selection_event *event = data;

	wlr_seat_set_primary_selection(desktop->server->seat, event->source, event->serial);
}

static void object_free(struct sb_desktop_object *object)
{
	wl_list_remove(&object->destroy.link);
	wl_list_remove(&object->request.link);
	free(object);
}

static struct sb_desktop_object *object_create(struct sb_desktop_protocols *desktop, void *object,
					       struct wl_signal *destroy,
					       wl_notify_func_t destroy_notify)
{
	struct sb_desktop_object *o = calloc(1, sizeof(*o));

	if (!o)
		return NULL;
	o->desktop = desktop;
	o->object = object;
	o->destroy.notify = destroy_notify;
	wl_signal_add(destroy, &o->destroy);
	wl_list_init(&o->request.link);
	return o;
}

/* zxdg_toplevel_decoration_v1: no server-side decorations here, so always client_side. */
static void decoration_request_mode(struct wl_listener *listener, void *data)
{
	struct sb_desktop_object *o = wl_container_of(listener, o, request);

	wlr_xdg_toplevel_decoration_v1_set_mode(o->object,
						WLR_XDG_TOPLEVEL_DECORATION_V1_MODE_CLIENT_SIDE);
}

static void decoration_destroy(struct wl_listener *listener, void *data)
{
	struct sb_desktop_object *o = wl_container_of(listener, o, destroy);

	object_free(o);
}

static void handle_new_toplevel_decoration(struct wl_listener *listener, void *data)
{
	struct sb_desktop_protocols *desktop =
		wl_container_of(listener, desktop, new_toplevel_decoration);
	struct wlr_xdg_toplevel_decoration_v1 *decoration = data;
	struct sb_desktop_object *o =
		object_create(desktop, decoration, &decoration->events.destroy, decoration_destroy);

	if (!o) {
		wl_resource_post_no_memory(decoration->resource);
		return;
	}
	o->request.notify = decoration_request_mode;
	wl_list_remove(&o->request.link);
	wl_signal_add(&decoration->events.request_mode, &o->request);
	decoration_request_mode(&o->request, NULL);
}

/* xdg_activation_v1.activate: wlroots has checked the token; the window comes forward. */
static void handle_request_activate(struct wl_listener *listener, void *data)
{
	struct sb_desktop_protocols *desktop = wl_container_of(listener, desktop, request_activate);
	struct wlr_xdg_activation_v1_request_activate_event *event = data;
	/* Any mapped window's main surface: an xdg toplevel's or an X11 window's. */
	struct sb_view *view = view_from_surface(desktop->server, event->surface);

	if (view)
		view_focus(view);
}

static void idle_inhibitor_destroy(struct wl_listener *listener, void *data)
{
	struct sb_desktop_object *o = wl_container_of(listener, o, destroy);
	struct sb_desktop_protocols *desktop = o->desktop;

	if (--desktop->idle_inhibitors == 0) {
		wlr_idle_set_enabled(desktop->idle, desktop->server->seat, true);
		wlr_log(WLR_INFO, "idle: no inhibitor left, idle timers on");
	}
	object_free(o);
}

static void handle_new_idle_inhibitor(struct wl_listener *listener, void *data)
{
	struct sb_desktop_protocols *desktop =
		wl_container_of(listener, desktop, new_idle_inhibitor);
	struct wlr_idle_inhibitor_v1 *inhibitor = data;
	struct sb_desktop_object *o = object_create(desktop, inhibitor, &inhibitor->events.destroy,
						    idle_inhibitor_destroy);

	if (!o) {
		wl_resource_post_no_memory(inhibitor->resource);
		return;
	}
	if (desktop->idle_inhibitors++ == 0) {
		wlr_idle_set_enabled(desktop->idle, desktop->server->seat, false);
		wlr_log(WLR_INFO, "idle: inhibited");
	}
}

static void handle_new_shortcuts_inhibitor(struct wl_listener *listener, void *data)
{
	struct wlr_keyboard_shortcuts_inhibitor_v1 *inhibitor = data;

	wlr_keyboard_shortcuts_inhibitor_v1_activate(inhibitor);
}

static void constraint_deactivate(struct sb_desktop_protocols *desktop)
{
	if (!desktop->active_constraint)
		return;
	wlr_pointer_constraint_v1_send_deactivated(desktop->active_constraint);
	desktop->active_constraint = NULL;
}

static void constraint_destroy(struct wl_listener *listener, void *data)
{
	struct sb_desktop_object *o = wl_container_of(listener, o, destroy);

	if (o->desktop->active_constraint == o->object)
		o->desktop->active_constraint = NULL;
	object_free(o);
}

/* The constraint of the surface under the pointer, if it has one, becomes the active one. */
static void constraint_activate_for(struct sb_desktop_protocols *desktop,
				    struct wlr_surface *surface)
{
	struct wlr_pointer_constraint_v1 *constraint =
		surface ? wlr_pointer_constraints_v1_constraint_for_surface(
				  desktop->pointer_constraints, surface, desktop->server->seat)
			: NULL;

	if (constraint == desktop->active_constraint)
		return;
	constraint_deactivate(desktop);
	if (!constraint)
		return;
	desktop->active_constraint = constraint;
	wlr_pointer_constraint_v1_send_activated(constraint);
}

static void handle_new_constraint(struct wl_listener *listener, void *data)
{
	struct sb_desktop_protocols *desktop = wl_container_of(listener, desktop, new_constraint);
	struct wlr_pointer_constraint_v1 *constraint = data;
	struct sb_desktop_object *o =
		object_create(desktop, constraint, &constraint->events.destroy, constraint_destroy);

	if (!o) {
		wl_resource_post_no_memory(constraint->resource);
		return;
	}
	if (desktop->server->seat->pointer_state.focused_surface == constraint->surface)
		constraint_activate_for(desktop, constraint->surface);
}

static void handle_pointer_focus_change(struct wl_listener *listener, void *data)
{
	struct sb_desktop_protocols *desktop =
		wl_container_of(listener, desktop, pointer_focus_change);
	struct wlr_seat_pointer_focus_change_event *event = data;

	constraint_activate_for(desktop, event->new_surface);
}

void sb_desktop_protocols_notify_activity(struct sb_desktop_protocols *desktop)
{
	if (desktop)
		wlr_idle_notify_activity(desktop->idle, desktop->server->seat);
}

bool sb_desktop_protocols_pointer_motion(struct sb_desktop_protocols *desktop,
					 const struct wlr_event_pointer_motion *event)
{
	if (!desktop)
		return false;
	sb_desktop_protocols_notify_activity(desktop);
	wlr_relative_pointer_manager_v1_send_relative_motion(
		desktop->relative_pointer, desktop->server->seat, (uint64_t)event->time_msec * 1000,
		event->delta_x, event->delta_y, event->unaccel_dx, event->unaccel_dy);
	return desktop->active_constraint &&
	       desktop->active_constraint->type == WLR_POINTER_CONSTRAINT_V1_LOCKED;
}

void sb_desktop_protocols_destroy(struct sb_desktop_protocols *desktop)
{
	if (!desktop)
		return;

	wl_list_remove(&desktop->request_set_selection.link);
	wl_list_remove(&desktop->request_set_primary_selection.link);
	wl_list_remove(&desktop->new_toplevel_decoration.link);
	wl_list_remove(&desktop->request_activate.link);
	wl_list_remove(&desktop->new_idle_inhibitor.link);
	wl_list_remove(&desktop->new_shortcuts_inhibitor.link);
	wl_list_remove(&desktop->new_constraint.link);
	wl_list_remove(&desktop->pointer_focus_change.link);
	sb_foreign_toplevel_destroy(desktop->foreign_toplevel);
	sb_output_management_destroy(desktop->output_management);
	desktop->server->desktop_protocols = NULL;
	free(desktop);
}

struct sb_desktop_protocols *sb_desktop_protocols_create(struct sb_server *server)
{
	struct wl_display *display = server->display;
	struct sb_desktop_protocols *desktop = calloc(1, sizeof(*desktop));
	struct wlr_xdg_decoration_manager_v1 *decoration;
	struct wlr_server_decoration_manager *kde_decoration;
	struct wlr_xdg_activation_v1 *activation;
	struct wlr_keyboard_shortcuts_inhibit_manager_v1 *shortcuts_inhibit;

	if (!desktop)
		return NULL;
	desktop->server = server;
	decoration = wlr_xdg_decoration_manager_v1_create(display);
	kde_decoration = wlr_server_decoration_manager_create(display);
	activation = wlr_xdg_activation_v1_create(display);
	shortcuts_inhibit = wlr_keyboard_shortcuts_inhibit_v1_create(display);
	desktop->idle = wlr_idle_create(display);
	desktop->idle_inhibit = wlr_idle_inhibit_v1_create(display);
	desktop->relative_pointer = wlr_relative_pointer_manager_v1_create(display);
	desktop->pointer_constraints = wlr_pointer_constraints_v1_create(display);
	if (!decoration || !kde_decoration || !activation || !shortcuts_inhibit || !desktop->idle ||
	    !desktop->idle_inhibit || !desktop->relative_pointer || !desktop->pointer_constraints ||
	    !wlr_primary_selection_v1_device_manager_create(display) ||
	    !wlr_data_control_manager_v1_create(display) ||
	    !wlr_text_input_manager_v3_create(display) ||
	    !wlr_input_method_manager_v2_create(display) ||
	    !wlr_gamma_control_manager_v1_create(display) ||
	    !wlr_input_inhibit_manager_create(display) || !wlr_tablet_v2_create(display) ||
	    !wlr_pointer_gestures_v1_create(display) ||
	    !(desktop->foreign_toplevel = sb_foreign_toplevel_create(server)) ||
	    !(desktop->output_management = sb_output_management_create(server))) {
		wlr_log(WLR_ERROR, "desktop protocols: a global could not be created");
		sb_foreign_toplevel_destroy(desktop->foreign_toplevel);
		free(desktop);
		return NULL;
	}
	wlr_server_decoration_manager_set_default_mode(kde_decoration,
						       WLR_SERVER_DECORATION_MANAGER_MODE_CLIENT);

	desktop->request_set_selection.notify = handle_request_set_selection;
	wl_signal_add(&server->seat->events.request_set_selection, &desktop->request_set_selection);
	desktop->request_set_primary_selection.notify = handle_request_set_primary_selection;
	wl_signal_add(&server->seat->events.request_set_primary_selection,
		      &desktop->request_set_primary_selection);
	desktop->new_toplevel_decoration.notify = handle_new_toplevel_decoration;
	wl_signal_add(&decoration->events.new_toplevel_decoration,
		      &desktop->new_toplevel_decoration);
	desktop->request_activate.notify = handle_request_activate;
	wl_signal_add(&activation->events.request_activate, &desktop->request_activate);
	desktop->new_idle_inhibitor.notify = handle_new_idle_inhibitor;
	wl_signal_add(&desktop->idle_inhibit->events.new_inhibitor, &desktop->new_idle_inhibitor);
	desktop->new_shortcuts_inhibitor.notify = handle_new_shortcuts_inhibitor;
	wl_signal_add(&shortcuts_inhibit->events.new_inhibitor, &desktop->new_shortcuts_inhibitor);
	desktop->new_constraint.notify = handle_new_constraint;
	wl_signal_add(&desktop->pointer_constraints->events.new_constraint,
		      &desktop->new_constraint);
	desktop->pointer_focus_change.notify = handle_pointer_focus_change;
	wl_signal_add(&server->seat->pointer_state.events.focus_change,
		      &desktop->pointer_focus_change);
	server->desktop_protocols = desktop;
	return desktop;
}
