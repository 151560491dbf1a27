// SPDX-License-Identifier: MIT
#include <stdlib.h>
#include <unistd.h>

#include <wayland-client.h>

#include "linux-explicit-synchronization-unstable-v1-client-protocol.h"
#include "tc_client.h"
#include "tc_explicit.h"
#include "tc_surface.h"

void tc_surface_get_synchronization(struct tc_surface *surface)
{
	for (int i = 0; i < 2; i++) {
		if (surface->explicit_sync[i])
			continue;
		surface->explicit_sync[i] =
			zwp_linux_explicit_synchronization_v1_get_synchronization(
				surface->client->explicit_sync, surface->surface);
		return;
	}
}

void tc_surface_destroy_synchronization(struct tc_surface *surface)
{
	for (int i = 0; i < 2; i++) {
		if (surface->explicit_sync[i])
			zwp_linux_surface_synchronization_v1_destroy(surface->explicit_sync[i]);
		surface->explicit_sync[i] = NULL;
	}
}

void tc_surface_set_acquire_fence(struct tc_surface *surface, int fd)
{
	/* libwayland sends a duplicate of fd. */
	zwp_linux_surface_synchronization_v1_set_acquire_fence(surface->explicit_sync[0], fd);
}

/* zwp_linux_buffer_release_v1: exactly one event, after which the object is destroyed. */
static void release_answered(struct tc_release *release, enum tc_release_state state)
{
	release->state = state;
	release->answered = true;
	release->order = ++release->client->releases_seen;
	zwp_linux_buffer_release_v1_destroy(release->proxy);
	release->proxy = NULL;
}

static void release_fenced(void *data, struct zwp_linux_buffer_release_v1 *proxy, int32_t fence)
{
	struct tc_release *release = data;

	release->fence_fd = fence;
	release_answered(release, TC_RELEASE_FENCED);
}

static void release_immediate(void *data, struct zwp_linux_buffer_release_v1 *proxy)
{
	release_answered(data, TC_RELEASE_IMMEDIATE);
}

static const struct zwp_linux_buffer_release_v1_listener release_listener = {
	.fenced_release = release_fenced,
	.immediate_release = release_immediate,
};

struct tc_release *tc_surface_get_release(struct tc_surface *surface)
{
	struct tc_release *release = calloc(1, sizeof(*release));

	if (!release)
		return NULL;
	release->client = surface->client;
	release->fence_fd = -1;
	release->proxy =
		zwp_linux_surface_synchronization_v1_get_release(surface->explicit_sync[0]);
	zwp_linux_buffer_release_v1_add_listener(release->proxy, &release_listener, release);
	return release;
}

void tc_release_destroy(struct tc_release *release)
{
	if (!release)
		return;
	if (release->proxy)
		zwp_linux_buffer_release_v1_destroy(release->proxy);
	if (release->fence_fd >= 0)
		close(release->fence_fd);
	free(release);
}

bool tc_release_wait(struct tc_release *release, int timeout_ms)
{
	return tc_client_wait(release->client, &release->answered, timeout_ms);
}
