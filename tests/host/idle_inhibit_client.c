// SPDX-License-Identifier: MIT
/*
 * Host helper of desktop_test.py: holds a zwp_idle_inhibitor_v1 on a surface of its own until its
 * stdin closes, then destroys it and exits 0. Prints "inhibiting" once the compositor has it.
 *   idle_inhibit_client
 */
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <wayland-client.h>

#include "idle-inhibit-unstable-v1-client-protocol.h"

struct globals {
	struct wl_compositor *compositor;
	struct zwp_idle_inhibit_manager_v1 *manager;
};

static void registry_global(void *data, struct wl_registry *registry, uint32_t name,
			    const char *interface, uint32_t version)
{
	struct globals *g = data;

	if (strcmp(interface, wl_compositor_interface.name) == 0)
		g->compositor = wl_registry_bind(registry, name, &wl_compositor_interface, 4);
	else if (strcmp(interface, zwp_idle_inhibit_manager_v1_interface.name) == 0)
		g->manager =
			wl_registry_bind(registry, name, &zwp_idle_inhibit_manager_v1_interface, 1);
}

static void registry_global_remove(void *data, struct wl_registry *registry, uint32_t name)
{
}

static const struct wl_registry_listener registry_listener = {
	.global = registry_global,
	.global_remove = registry_global_remove,
};

int main(void)
{
	struct globals g = {0};
	struct wl_display *display = wl_display_connect(NULL);
	struct wl_registry *registry;
	struct wl_surface *surface;
	struct zwp_idle_inhibitor_v1 *inhibitor;
	char byte;

	if (!display) {
		fprintf(stderr, "idle_inhibit_client: no Wayland display\n");
		return 1;
	}
	registry = wl_display_get_registry(display);
	wl_registry_add_listener(registry, &registry_listener, &g);
	wl_display_roundtrip(display);
	if (!g.compositor || !g.manager) {
		fprintf(stderr, "idle_inhibit_client: no zwp_idle_inhibit_manager_v1\n");
		wl_display_disconnect(display);
		return 1;
	}
	surface = wl_compositor_create_surface(g.compositor);
	inhibitor = zwp_idle_inhibit_manager_v1_create_inhibitor(g.manager, surface);
	if (wl_display_roundtrip(display) < 0)
		return 1;
	printf("inhibiting\n");
	fflush(stdout);
	for (;;) {
		struct pollfd fds[2] = {
			{.fd = wl_display_get_fd(display), .events = POLLIN},
			{.fd = 0, .events = POLLIN},
		};

		wl_display_flush(display);
		if (poll(fds, 2, -1) < 0)
			break;
		if (fds[1].revents && read(0, &byte, 1) <= 0)
			break;
		if (fds[0].revents && wl_display_dispatch(display) < 0)
			break;
	}
	zwp_idle_inhibitor_v1_destroy(inhibitor);
	wl_surface_destroy(surface);
	zwp_idle_inhibit_manager_v1_destroy(g.manager);
	wl_compositor_destroy(g.compositor);
	wl_registry_destroy(registry);
	wl_display_disconnect(display);
	return 0;
}
