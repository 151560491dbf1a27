// SPDX-License-Identifier: MIT
/*
 * wlr-output-management-unstable-v1 and wlr-output-power-management-unstable-v1. The heads are
 * the outputs the compositor took (they enter the layout in server_new_output); a disabled one
 * leaves the layout but stays a head, so that a client can enable it again.
 */
#include <stdlib.h>

#include <wlr/types/wlr_output.h>
#include <wlr/types/wlr_output_layout.h>
#include <wlr/types/wlr_output_management_v1.h>
#include <wlr/types/wlr_output_power_management_v1.h>
#include <wlr/util/box.h>
#include <wlr/util/log.h>

#include "output_management.h"
#include "server.h"

struct sb_output_management {
	struct sb_server *server;
	struct wlr_output_manager_v1 *manager;
	struct wlr_output_power_manager_v1 *power;
	struct wl_list heads; /* sb_managed_output.link */
	struct wl_listener layout_add;
	struct wl_listener layout_change;
	struct wl_listener apply;
	struct wl_listener test;
	struct wl_listener set_power_mode;
};

struct sb_managed_output {
	struct wl_list link;
	struct sb_output_management *management;
	struct wlr_output *wlr_output;
	struct wl_listener commit;
	struct wl_listener destroy;
};

/* wlr_output_manager_v1_set_configuration: the state every client is told (a "done" event). */
static void management_send_state(struct sb_output_management *management)
{
	struct wlr_output_configuration_v1 *config = wlr_output_configuration_v1_create();
	struct sb_managed_output *head;

	if (!config)
		return;
	wl_list_for_each(head, &management->heads, link) {
		struct wlr_output_configuration_head_v1 *config_head =
			wlr_output_configuration_head_v1_create(config, head->wlr_output);
		struct wlr_box *box;

		if (!config_head) {
			wlr_output_configuration_v1_destroy(config);
			return;
		}
		box = wlr_output_layout_get_box(management->server->output_layout,
						head->wlr_output);
		/* Out of the layout: disabled, whatever the output itself says. */
		config_head->state.enabled = head->wlr_output->enabled && box;
		if (box) {
			config_head->state.x = box->x;
			config_head->state.y = box->y;
		}
	}
	wlr_output_manager_v1_set_configuration(management->manager, config);
}

static void managed_output_handle_commit(struct wl_listener *listener, void *data)
{
	struct sb_managed_output *head = wl_container_of(listener, head, commit);
	struct wlr_output_event_commit *event = data;

	if (event->committed & (WLR_OUTPUT_STATE_ENABLED | WLR_OUTPUT_STATE_MODE |
				WLR_OUTPUT_STATE_SCALE | WLR_OUTPUT_STATE_TRANSFORM))
		management_send_state(head->management);
}

static void managed_output_handle_destroy(struct wl_listener *listener, void *data)
{
	struct sb_managed_output *head = wl_container_of(listener, head, destroy);
	struct sb_output_management *management = head->management;

	wl_list_remove(&head->commit.link);
	wl_list_remove(&head->destroy.link);
	wl_list_remove(&head->link);
	free(head);
	management_send_state(management);
}

static struct sb_managed_output *management_find(struct sb_output_management *management,
						 struct wlr_output *wlr_output)
{
	struct sb_managed_output *head;

	wl_list_for_each(head, &management->heads, link) {
		if (head->wlr_output == wlr_output)
			return head;
	}
	return NULL;
}

static void management_handle_layout_add(struct wl_listener *listener, void *data)
{
	struct sb_output_management *management = wl_container_of(listener, management, layout_add);
	struct wlr_output_layout_output *layout_output = data;
	struct sb_managed_output *head;

	if (management_find(management, layout_output->output))
		return;
	head = calloc(1, sizeof(*head));
	if (!head) {
		wlr_log(WLR_ERROR, "output management: out of memory");
		return;
	}
	head->management = management;
	head->wlr_output = layout_output->output;
	head->commit.notify = managed_output_handle_commit;
	wl_signal_add(&head->wlr_output->events.commit, &head->commit);
	head->destroy.notify = managed_output_handle_destroy;
	wl_signal_add(&head->wlr_output->events.destroy, &head->destroy);
	wl_list_insert(management->heads.prev, &head->link);
	/* wlr_output_layout emits add after its change: this head is not in that state yet. */
	management_send_state(management);
}

static void management_handle_layout_change(struct wl_listener *listener, void *data)
{
	struct sb_output_management *management =
		wl_container_of(listener, management, layout_change);

	management_send_state(management);
}

/* A head's requested state as an [output] section would say it. */
static void head_to_output_config(const struct wlr_output_head_v1_state *state,
				  struct sb_output_config *oc)
{
	*oc = (struct sb_output_config){
		.enabled = state->enabled,
		.scale = state->scale > 0 ? state->scale : 1.0,
		.transform = (int)state->transform,
	};
	if (!state->enabled)
		return;
	if (state->mode) {
		oc->width = state->mode->width;
		oc->height = state->mode->height;
		oc->refresh_mhz = state->mode->refresh;
	} else {
		oc->width = state->custom_mode.width;
		oc->height = state->custom_mode.height;
		oc->refresh_mhz = state->custom_mode.refresh;
	}
}

static bool management_configure(struct sb_output_management *management,
				 struct wlr_output_configuration_v1 *config, bool test_only)
{
	struct wlr_output_layout *layout = management->server->output_layout;
	struct wlr_output_configuration_head_v1 *config_head;
	bool ok = true;

	/* Every head first (a test stops at the first refusal), then the layout. */
	wl_list_for_each(config_head, &config->heads, link) {
		struct wlr_output *wlr_output = config_head->state.output;
		struct sb_output_config oc;

		head_to_output_config(&config_head->state, &oc);
		if (!output_configure(wlr_output, &oc, test_only)) {
			wlr_log(WLR_INFO, "output management: %s: the backend refused the %s",
				wlr_output->name, test_only ? "test" : "configuration");
			ok = false;
			if (test_only)
				break;
		}
	}
	if (test_only || !ok)
		return ok;
	wl_list_for_each(config_head, &config->heads, link) {
		struct wlr_output *wlr_output = config_head->state.output;

		if (config_head->state.enabled)
			wlr_output_layout_add(layout, wlr_output, config_head->state.x,
					      config_head->state.y);
		else
			wlr_output_layout_remove(layout, wlr_output);
		wlr_log(WLR_INFO, "output management: %s %s at %d,%d %dx%d scale %.2f",
			wlr_output->name, config_head->state.enabled ? "on" : "off",
			config_head->state.x, config_head->state.y, wlr_output->width,
			wlr_output->height, wlr_output->scale);
	}
	return true;
}

static void management_handle_apply(struct wl_listener *listener, void *data)
{
	struct sb_output_management *management = wl_container_of(listener, management, apply);
	struct wlr_output_configuration_v1 *config = data;

	if (management_configure(management, config, false))
		wlr_output_configuration_v1_send_succeeded(config);
	else
		wlr_output_configuration_v1_send_failed(config);
	wlr_output_configuration_v1_destroy(config);
	management_send_state(management);
}

static void management_handle_test(struct wl_listener *listener, void *data)
{
	struct sb_output_management *management = wl_container_of(listener, management, test);
	struct wlr_output_configuration_v1 *config = data;

	if (management_configure(management, config, true))
		wlr_output_configuration_v1_send_succeeded(config);
	else
		wlr_output_configuration_v1_send_failed(config);
	wlr_output_configuration_v1_destroy(config);
}

/* zwlr_output_power_v1.set_mode: off keeps the output in the layout, just dark. */
static void management_handle_set_power_mode(struct wl_listener *listener, void *data)
{
	struct sb_output_management *management =
		wl_container_of(listener, management, set_power_mode);
	struct wlr_output_power_v1_set_mode_event *event = data;
	bool on = event->mode == ZWLR_OUTPUT_POWER_V1_MODE_ON;

	wlr_output_enable(event->output, on);
	if (!wlr_output_commit(event->output))
		wlr_log(WLR_ERROR, "output %s: power %s refused", event->output->name,
			on ? "on" : "off");
	else
		wlr_log(WLR_INFO, "output %s: power %s", event->output->name, on ? "on" : "off");
}

void sb_output_management_destroy(struct sb_output_management *management)
{
	struct sb_managed_output *head, *tmp;

	if (!management)
		return;
	wl_list_for_each_safe(head, tmp, &management->heads, link) {
		wl_list_remove(&head->commit.link);
		wl_list_remove(&head->destroy.link);
		wl_list_remove(&head->link);
		free(head);
	}
	wl_list_remove(&management->layout_add.link);
	wl_list_remove(&management->layout_change.link);
	wl_list_remove(&management->apply.link);
	wl_list_remove(&management->test.link);
	wl_list_remove(&management->set_power_mode.link);
	free(management);
}

struct sb_output_management *sb_output_management_create(struct sb_server *server)
{
	struct sb_output_management *management = calloc(1, sizeof(*management));

	if (!management)
		return NULL;
	management->server = server;
	management->manager = wlr_output_manager_v1_create(server->display);
	management->power = wlr_output_power_manager_v1_create(server->display);
	if (!management->manager || !management->power) {
		free(management);
		return NULL;
	}
	wl_list_init(&management->heads);
	management->layout_add.notify = management_handle_layout_add;
	wl_signal_add(&server->output_layout->events.add, &management->layout_add);
	management->layout_change.notify = management_handle_layout_change;
	wl_signal_add(&server->output_layout->events.change, &management->layout_change);
	management->apply.notify = management_handle_apply;
	wl_signal_add(&management->manager->events.apply, &management->apply);
	management->test.notify = management_handle_test;
	wl_signal_add(&management->manager->events.test, &management->test);
	management->set_power_mode.notify = management_handle_set_power_mode;
	wl_signal_add(&management->power->events.set_mode, &management->set_power_mode);
	return management;
}
