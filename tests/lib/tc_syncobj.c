// SPDX-License-Identifier: MIT
#include <stdlib.h>
#include <unistd.h>

#include <wayland-client.h>

#include <syncbridge/syncobj.h>

#include "linux-drm-syncobj-v1-client-protocol.h"
#include "tc_client.h"
#include "tc_surface.h"
#include "tc_syncobj.h"

static struct tc_timeline *timeline_import(struct tc_client *client, struct sb_syncobj *syncobj,
					   bool owned)
{
	struct tc_timeline *timeline = calloc(1, sizeof(*timeline));
	int fd = syncobj ? sb_syncobj_export(syncobj) : -1;

	if (!timeline || fd < 0) {
		if (owned)
			sb_syncobj_destroy(syncobj);
		if (fd >= 0)
			close(fd);
		free(timeline);
		return NULL;
	}
	timeline->syncobj = syncobj;
	timeline->owned = owned;
	timeline->proxy =
		wp_linux_drm_syncobj_manager_v1_import_timeline(client->syncobj_manager, fd);
	/* libwayland dups the fd into the message. */
	close(fd);
	wl_display_flush(client->display);
	return timeline;
}

struct tc_timeline *tc_timeline_create(struct tc_client *client, int drm_fd)
{
	return timeline_import(client, sb_syncobj_create(drm_fd), true);
}

struct tc_timeline *tc_timeline_share(struct tc_client *client, struct sb_syncobj *syncobj)
{
	return timeline_import(client, syncobj, false);
}

void tc_timeline_destroy_proxy(struct tc_timeline *timeline)
{
	if (!timeline || !timeline->proxy)
		return;
	wp_linux_drm_syncobj_timeline_v1_destroy(timeline->proxy);
	timeline->proxy = NULL;
}

void tc_timeline_destroy(struct tc_timeline *timeline)
{
	if (!timeline)
		return;
	tc_timeline_destroy_proxy(timeline);
	if (timeline->owned)
		sb_syncobj_destroy(timeline->syncobj);
	free(timeline);
}

void tc_client_import_fd(struct tc_client *client, int fd)
{
	client->raw_timeline =
		wp_linux_drm_syncobj_manager_v1_import_timeline(client->syncobj_manager, fd);
	wl_display_flush(client->display);
}

void tc_surface_get_syncobj(struct tc_surface *surface)
{
	int i = surface->syncobj[0] ? 1 : 0;

	surface->syncobj[i] = wp_linux_drm_syncobj_manager_v1_get_surface(
		surface->client->syncobj_manager, surface->surface);
	wl_display_flush(surface->client->display);
}

/* linux-drm-syncobj-v1: a point is sent as two 32-bit halves. */
void tc_surface_set_acquire_point(struct tc_surface *surface, struct tc_timeline *timeline,
				  uint64_t point)
{
	wp_linux_drm_syncobj_surface_v1_set_acquire_point(surface->syncobj[0], timeline->proxy,
							  (uint32_t)(point >> 32), (uint32_t)point);
}

void tc_surface_set_release_point(struct tc_surface *surface, struct tc_timeline *timeline,
				  uint64_t point)
{
	wp_linux_drm_syncobj_surface_v1_set_release_point(surface->syncobj[0], timeline->proxy,
							  (uint32_t)(point >> 32), (uint32_t)point);
}
