// SPDX-License-Identifier: MIT
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <wayland-client.h>

#include "linux-dmabuf-unstable-v1-client-protocol.h"
#include "linux-drm-syncobj-v1-client-protocol.h"
#include "linux-explicit-synchronization-unstable-v1-client-protocol.h"
#include "tc_client.h"
#include "xdg-shell-client-protocol.h"

uint64_t tc_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void registry_global(void *data, struct wl_registry *registry, uint32_t name,
			    const char *iface, uint32_t version)
{
	struct tc_client *client = data;
	struct tc_global *global;

	if (client->n_globals == TC_MAX_GLOBALS)
		return;
	global = &client->globals[client->n_globals++];
	snprintf(global->iface, sizeof(global->iface), "%s", iface);
	global->name = name;
	global->version = version;
}

static void registry_global_remove(void *data, struct wl_registry *registry, uint32_t name)
{
}

static const struct wl_registry_listener registry_listener = {
	.global = registry_global,
	.global_remove = registry_global_remove,
};

static void wm_base_ping(void *data, struct xdg_wm_base *wm_base, uint32_t serial)
{
	xdg_wm_base_pong(wm_base, serial);
}

static const struct xdg_wm_base_listener wm_base_listener = {.ping = wm_base_ping};

static struct wl_display *display_connect(const char *socket)
{
	struct wl_display *display = NULL;

	/*
	 * libwayland binds the socket before it listens: in between, connect() is refused, so a
	 * socket that exists is only nearly ready.
	 */
	for (int tries = 0; tries < 500; tries++) {
		display = wl_display_connect(socket);
		if (display || errno != ECONNREFUSED)
			break;
		usleep(10000);
	}
	if (!display)
		fprintf(stderr, "tc_client_connect: %s: %s\n",
			socket ? socket
			       : (getenv("WAYLAND_DISPLAY") ? getenv("WAYLAND_DISPLAY")
							    : "(unset)"),
			strerror(errno));
	return display;
}

static void bind_globals(struct tc_client *client, unsigned bind)
{
	if (bind & TC_COMPOSITOR)
		client->compositor = tc_client_bind(client, &wl_compositor_interface, 4);
	if (bind & TC_SUBCOMPOSITOR)
		client->subcompositor = tc_client_bind(client, &wl_subcompositor_interface, 1);
	if (bind & TC_SHM)
		client->shm = tc_client_bind(client, &wl_shm_interface, 1);
	if (bind & TC_WM_BASE) {
		client->wm_base = tc_client_bind(client, &xdg_wm_base_interface, 1);
		if (client->wm_base)
			xdg_wm_base_add_listener(client->wm_base, &wm_base_listener, NULL);
	}
	/* Version 3: create_immed, formats by events; the tests know what they send. */
	if ((bind & TC_DMABUF) &&
	    tc_client_global_version(client, zwp_linux_dmabuf_v1_interface.name) >= 3)
		client->dmabuf = tc_client_bind(client, &zwp_linux_dmabuf_v1_interface, 3);
	if (bind & TC_EXPLICIT)
		client->explicit_sync =
			tc_client_bind(client, &zwp_linux_explicit_synchronization_v1_interface, 2);
	if (bind & TC_SYNCOBJ)
		client->syncobj_manager =
			tc_client_bind(client, &wp_linux_drm_syncobj_manager_v1_interface, 1);
}

struct tc_client *tc_client_connect(const char *socket, unsigned bind)
{
	struct tc_client *client = calloc(1, sizeof(*client));

	if (!client)
		return NULL;
	client->display = display_connect(socket);
	if (!client->display) {
		free(client);
		return NULL;
	}
	client->registry = wl_display_get_registry(client->display);
	wl_registry_add_listener(client->registry, &registry_listener, client);
	if (wl_display_roundtrip(client->display) < 0) {
		tc_client_destroy(client);
		return NULL;
	}
	bind_globals(client, bind);
	return client;
}

bool tc_client_require(const struct tc_client *client, unsigned need, const char *who)
{
	const struct {
		unsigned bit;
		const void *proxy;
		const char *name;
	} globals[] = {
		{TC_COMPOSITOR, client->compositor, "wl_compositor v4"},
		{TC_SUBCOMPOSITOR, client->subcompositor, "wl_subcompositor"},
		{TC_SHM, client->shm, "wl_shm"},
		{TC_WM_BASE, client->wm_base, "xdg_wm_base"},
		{TC_DMABUF, client->dmabuf, "zwp_linux_dmabuf_v1 v3+"},
		{TC_EXPLICIT, client->explicit_sync, "zwp_linux_explicit_synchronization_v1"},
		{TC_SYNCOBJ, client->syncobj_manager, "wp_linux_drm_syncobj_manager_v1"},
	};
	bool ok = true;

	for (size_t i = 0; i < sizeof(globals) / sizeof(globals[0]); i++) {
		if (!(need & globals[i].bit) || globals[i].proxy)
			continue;
		fprintf(stderr, "%s: %s is not advertised\n", who, globals[i].name);
		ok = false;
	}
	return ok;
}

void tc_client_destroy(struct tc_client *client)
{
	if (!client)
		return;
	if (client->raw_buffer)
		wl_buffer_destroy(client->raw_buffer);
	if (client->raw_params)
		zwp_linux_buffer_params_v1_destroy(client->raw_params);
	if (client->raw_timeline)
		wp_linux_drm_syncobj_timeline_v1_destroy(client->raw_timeline);
	if (client->syncobj_manager)
		wp_linux_drm_syncobj_manager_v1_destroy(client->syncobj_manager);
	if (client->explicit_sync)
		zwp_linux_explicit_synchronization_v1_destroy(client->explicit_sync);
	if (client->dmabuf)
		zwp_linux_dmabuf_v1_destroy(client->dmabuf);
	if (client->wm_base)
		xdg_wm_base_destroy(client->wm_base);
	if (client->shm)
		wl_shm_destroy(client->shm);
	if (client->subcompositor)
		wl_subcompositor_destroy(client->subcompositor);
	if (client->compositor)
		wl_compositor_destroy(client->compositor);
	if (client->registry)
		wl_registry_destroy(client->registry);
	wl_display_disconnect(client->display);
	free(client);
}

uint32_t tc_client_global_version(const struct tc_client *client, const char *iface)
{
	for (int i = 0; i < client->n_globals; i++)
		if (strcmp(client->globals[i].iface, iface) == 0)
			return client->globals[i].version;
	return 0;
}

void *tc_client_bind(struct tc_client *client, const struct wl_interface *iface,
		     uint32_t max_version)
{
	for (int i = 0; i < client->n_globals; i++) {
		const struct tc_global *g = &client->globals[i];
		uint32_t version = g->version < max_version ? g->version : max_version;

		if (strcmp(g->iface, iface->name) == 0)
			return wl_registry_bind(client->registry, g->name, iface, version);
	}
	return NULL;
}

bool tc_client_wait(struct tc_client *client, const bool *flag, int timeout_ms)
{
	struct wl_display *display = client->display;
	uint64_t deadline = tc_now_ms() + (uint64_t)timeout_ms;
	struct pollfd pfd = {.fd = wl_display_get_fd(display), .events = POLLIN};

	for (;;) {
		int64_t left;

		if (wl_display_dispatch_pending(display) < 0)
			return false;
		if (flag && *flag)
			return true;
		left = (int64_t)deadline - (int64_t)tc_now_ms();
		if (left <= 0)
			return false;
		if (wl_display_flush(display) < 0 && errno != EAGAIN)
			return false;
		if (wl_display_prepare_read(display) != 0)
			continue;
		if (poll(&pfd, 1, (int)left) > 0) {
			if (wl_display_read_events(display) < 0)
				return false;
		} else {
			wl_display_cancel_read(display);
		}
	}
}

bool tc_client_roundtrip(struct tc_client *client)
{
	return wl_display_roundtrip(client->display) >= 0;
}

uint32_t tc_client_error(struct tc_client *client, const char **iface)
{
	const struct wl_interface *interface = NULL;
	uint32_t id, code;

	if (iface)
		*iface = "";
	if (wl_display_get_error(client->display) != EPROTO)
		return 0;
	code = wl_display_get_protocol_error(client->display, &interface, &id);
	if (iface)
		*iface = interface ? interface->name : "?";
	return code;
}

bool tc_client_died_of(struct tc_client *client, const char *iface, uint32_t code)
{
	const char *got_iface;
	uint32_t got;
	int err;

	if (tc_client_roundtrip(client)) {
		printf("# no protocol error: expected %s error %u\n", iface, code);
		return false;
	}
	err = wl_display_get_error(client->display);
	got = tc_client_error(client, &got_iface);
	if (err == EPROTO && got == code && strcmp(got_iface, iface) == 0)
		return true;
	if (err == EPROTO)
		printf("# died of %s error %u: expected %s error %u\n", got_iface, got, iface,
		       code);
	else
		printf("# connection lost (%s): expected %s error %u\n", strerror(err), iface,
		       code);
	return false;
}
