// SPDX-License-Identifier: MIT
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <wlr/render/dmabuf.h>
#include <wlr/types/wlr_buffer.h>
#include <wlr/types/wlr_surface.h>
#include <wlr/util/addon.h>
#include <wlr/util/log.h>
#include <xf86drm.h>

#include <syncbridge/sync_file.h>
#include <syncbridge/syncobj.h>
#include <syncbridge/waiter.h>

#include "commit_gate.h"
#include "linux-drm-syncobj-v1-protocol.h"
#include "release.h"
#include "syncobj_v1.h"
#include "trace.h"

#define MANAGER_VERSION 1

struct sb_syncobj_v1 {
	struct wl_global *global;
	struct sb_gate_source source;
	int drm_fd;
	bool own_fd;
	struct wl_list releases; /* release_point.link: watches not fired yet */
};

/*
 * An imported syncobj. Counted: the wp_linux_drm_syncobj_timeline_v1 resource, every pending or
 * committed point on it and the surfaces whose held commits wait on it each hold a reference, so
 * that the timeline's destroy request never leaves a release point unsignalled.
 */
struct timeline {
	struct sb_syncobj *syncobj;
	int refs;
};

struct point {
	struct timeline *timeline; /* NULL: not set */
	uint64_t value;
};

/*
 * The explicit-sync state of one wl_surface: an addon on the wlr_surface, so it lives as long as
 * the surface even after the client destroyed the wp_linux_drm_syncobj_surface_v1 (held commits
 * may still wait on its timelines), and as long as the resource if the surface goes first.
 */
struct syncobj_surface {
	struct wl_resource *resource; /* NULL once the client destroyed it */
	struct wlr_surface *surface;  /* NULL once the wl_surface is gone */
	struct wlr_addon addon;
	struct point acquire, release; /* pending: taken at wl_surface.commit */
	struct wl_array waited;	       /* struct timeline *: acquire timelines of held commits */
};

/* A committed release point, signalled when wlroots drops the buffer. */
struct release_point {
	struct sb_release *watch;
	struct point point;
	struct wl_list link;	/* sb_syncobj_v1.releases */
	struct sb_trace *trace; /* --trace: the surface's track, else NULL */
	uint64_t track;
	uint32_t seq; /* the commit that set the point */
};

static const struct wp_linux_drm_syncobj_manager_v1_interface manager_impl;
static const struct wp_linux_drm_syncobj_timeline_v1_interface timeline_impl;
static const struct wp_linux_drm_syncobj_surface_v1_interface surface_impl;

static struct timeline *timeline_ref(struct timeline *timeline)
{
	timeline->refs++;
	return timeline;
}

static void timeline_unref(struct timeline *timeline)
{
	if (!timeline || --timeline->refs > 0)
		return;
	sb_syncobj_destroy(timeline->syncobj);
	free(timeline);
}

static void point_set(struct point *point, struct timeline *timeline, uint64_t value)
{
	struct timeline *old = point->timeline;

	point->timeline = timeline_ref(timeline);
	point->value = value;
	timeline_unref(old);
}

static void point_clear(struct point *point)
{
	timeline_unref(point->timeline);
	*point = (struct point){0};
}

/*
 * linux-drm-syncobj-v1: the release point must be signalled once the compositor is done with the
 * buffer. A read still in flight (read_fence) becomes the point's fence; otherwise it signals now.
 */
static void release_point_signal(struct release_point *release, struct sb_sync_file *read_fence)
{
	struct sb_syncobj *syncobj = release->point.timeline->syncobj;
	int ret;

	if (read_fence)
		ret = sb_syncobj_import_point(syncobj, release->point.value, read_fence);
	else
		ret = sb_syncobj_signal_point(syncobj, release->point.value);
	if (ret < 0)
		wlr_log_errno(WLR_ERROR, "cannot signal release point %llu",
			      (unsigned long long)release->point.value);
	else
		wlr_log(WLR_DEBUG, "release point %llu signalled%s",
			(unsigned long long)release->point.value,
			read_fence ? " (with the compositor's read fence)" : "");
	sb_trace_instant(release->trace, release->track, "release point signalled",
			 "\"commit\":%u,\"point\":%llu,\"read_fence\":%s,\"ok\":%s", release->seq,
			 (unsigned long long)release->point.value, read_fence ? "true" : "false",
			 ret < 0 ? "false" : "true");
	sb_sync_file_destroy(read_fence);
	point_clear(&release->point);
	wl_list_remove(&release->link);
	free(release);
}

static void handle_buffer_released(struct sb_sync_file *read_fence, void *data)
{
	release_point_signal(data, read_fence);
}

static int release_point_watch(struct sb_syncobj_v1 *manager, struct wlr_surface *surface,
			       const struct point *point)
{
	struct wlr_buffer *buffer = surface->pending.buffer;
	struct release_point *release = calloc(1, sizeof(*release));

	if (!release)
		return -1;
	point_set(&release->point, point->timeline, point->value);
	release->trace = sb_trace_surface_find(surface, &release->track);
	release->seq = surface->pending.seq;
	release->watch = sb_release_watch(buffer,
					  wl_display_get_event_loop(wl_client_get_display(
						  wl_resource_get_client(surface->resource))),
					  handle_buffer_released, release);
	if (!release->watch) {
		point_clear(&release->point);
		free(release);
		return -1;
	}
	wl_list_insert(&manager->releases, &release->link);
	return 0;
}

static struct timeline *timeline_from_resource(struct wl_resource *resource)
{
	return wl_resource_get_user_data(resource);
}

static void timeline_handle_destroy(struct wl_client *client, struct wl_resource *resource)
{
	wl_resource_destroy(resource);
}

static const struct wp_linux_drm_syncobj_timeline_v1_interface timeline_impl = {
	.destroy = timeline_handle_destroy,
};

static void timeline_resource_destroy(struct wl_resource *resource)
{
	timeline_unref(timeline_from_resource(resource));
}

/* ss->waited as an array of timelines (not wl_array_for_each: clang-format cannot lay it out). */
static struct timeline **waited_timelines(struct syncobj_surface *ss, size_t *n)
{
	*n = ss->waited.size / sizeof(struct timeline *);
	return ss->waited.data;
}

static void waited_release(struct syncobj_surface *ss)
{
	size_t n;
	struct timeline **timelines = waited_timelines(ss, &n);

	for (size_t i = 0; i < n; i++)
		timeline_unref(timelines[i]);
	wl_array_release(&ss->waited);
	wl_array_init(&ss->waited);
}

static void syncobj_surface_free_if_unused(struct syncobj_surface *ss)
{
	if (ss->resource || ss->surface)
		return;
	point_clear(&ss->acquire);
	point_clear(&ss->release);
	waited_release(ss);
	free(ss);
}

static void surface_addon_destroy(struct wlr_addon *addon)
{
	struct syncobj_surface *ss = wl_container_of(addon, ss, addon);

	/*
	 * The gate's held commits on this surface die with it (no dispatch runs between the
	 * addons' destroys): the timelines they waited on may go now.
	 */
	waited_release(ss);
	wlr_addon_finish(&ss->addon);
	ss->surface = NULL;
	syncobj_surface_free_if_unused(ss);
}

static const struct wlr_addon_interface surface_addon_impl = {
	.name = "wp_linux_drm_syncobj_surface_v1",
	.destroy = surface_addon_destroy,
};

static struct syncobj_surface *syncobj_surface_find(struct sb_syncobj_v1 *manager,
						    struct wlr_surface *surface)
{
	struct wlr_addon *addon = wlr_addon_find(&surface->addons, manager, &surface_addon_impl);
	struct syncobj_surface *ss;

	if (!addon)
		return NULL;
	return wl_container_of(addon, ss, addon);
}

static struct syncobj_surface *syncobj_surface_from_resource(struct wl_resource *resource)
{
	return wl_resource_get_user_data(resource);
}

static void surface_handle_destroy(struct wl_client *client, struct wl_resource *resource)
{
	wl_resource_destroy(resource);
}

static void set_point(struct wl_resource *resource, struct wl_resource *timeline_resource,
		      uint32_t hi, uint32_t lo, bool acquire)
{
	struct syncobj_surface *ss = syncobj_surface_from_resource(resource);

	if (!ss->surface) {
		wl_resource_post_error(resource, WP_LINUX_DRM_SYNCOBJ_SURFACE_V1_ERROR_NO_SURFACE,
				       "the wl_surface was destroyed");
		return;
	}
	/* A later call in the same commit cycle replaces the point. */
	point_set(acquire ? &ss->acquire : &ss->release, timeline_from_resource(timeline_resource),
		  (uint64_t)hi << 32 | lo);
}

static void surface_handle_set_acquire_point(struct wl_client *client, struct wl_resource *resource,
					     struct wl_resource *timeline, uint32_t hi, uint32_t lo)
{
	set_point(resource, timeline, hi, lo, true);
}

static void surface_handle_set_release_point(struct wl_client *client, struct wl_resource *resource,
					     struct wl_resource *timeline, uint32_t hi, uint32_t lo)
{
	set_point(resource, timeline, hi, lo, false);
}

static const struct wp_linux_drm_syncobj_surface_v1_interface surface_impl = {
	.destroy = surface_handle_destroy,
	.set_acquire_point = surface_handle_set_acquire_point,
	.set_release_point = surface_handle_set_release_point,
};

static void surface_resource_destroy(struct wl_resource *resource)
{
	struct syncobj_surface *ss = syncobj_surface_from_resource(resource);

	/*
	 * linux-drm-syncobj-v1, destroy: points set since the last commit are discarded. The addon
	 * stays (held commits may wait on ss->waited) but no longer counts as the surface's
	 * object: get_surface may make a new one.
	 */
	ss->resource = NULL;
	point_clear(&ss->acquire);
	point_clear(&ss->release);
	syncobj_surface_free_if_unused(ss);
}

/* Keeps the acquire timeline alive as long as the surface's held commits may wait on it. */
static int syncobj_surface_keep(struct syncobj_surface *ss, struct timeline *timeline)
{
	size_t n;
	struct timeline **kept = waited_timelines(ss, &n);

	for (size_t i = 0; i < n; i++)
		if (kept[i] == timeline)
			return 0;
	kept = wl_array_add(&ss->waited, sizeof(*kept));
	if (!kept)
		return -1;
	*kept = timeline_ref(timeline);
	return 0;
}

static int commit_error(struct syncobj_surface *ss, uint32_t code, const char *msg)
{
	wl_resource_post_error(ss->resource, code, "%s", msg);
	return -1;
}

/* linux-drm-syncobj-v1: both points iff a non-null buffer is attached, on a dma-buf only. */
static int commit_check(struct syncobj_surface *ss, struct wlr_surface *surface)
{
	bool has_buffer =
		(surface->pending.committed & WLR_SURFACE_STATE_BUFFER) && surface->pending.buffer;
	struct wlr_dmabuf_attributes attribs;

	if (!has_buffer) {
		if (ss->acquire.timeline || ss->release.timeline)
			return commit_error(ss, WP_LINUX_DRM_SYNCOBJ_SURFACE_V1_ERROR_NO_BUFFER,
					    "a timeline point was set but no buffer attached");
		return 0;
	}
	if (!wlr_buffer_get_dmabuf(surface->pending.buffer, &attribs))
		return commit_error(ss, WP_LINUX_DRM_SYNCOBJ_SURFACE_V1_ERROR_UNSUPPORTED_BUFFER,
				    "only dma-buf buffers support explicit synchronization");
	if (!ss->acquire.timeline)
		return commit_error(ss, WP_LINUX_DRM_SYNCOBJ_SURFACE_V1_ERROR_NO_ACQUIRE_POINT,
				    "a buffer was attached without an acquire point");
	if (!ss->release.timeline)
		return commit_error(ss, WP_LINUX_DRM_SYNCOBJ_SURFACE_V1_ERROR_NO_RELEASE_POINT,
				    "a buffer was attached without a release point");
	if (ss->acquire.timeline == ss->release.timeline && ss->acquire.value >= ss->release.value)
		return commit_error(ss, WP_LINUX_DRM_SYNCOBJ_SURFACE_V1_ERROR_CONFLICTING_POINTS,
				    "on one timeline the acquire point must be below the release "
				    "point");
	return 1;
}

static bool manager_gate_interested(struct sb_gate_source *source, struct wlr_surface *surface)
{
	struct sb_syncobj_v1 *manager = wl_container_of(source, manager, source);
	struct syncobj_surface *ss = syncobj_surface_find(manager, surface);

	return ss && ss->resource;
}

static int manager_gate_commit(struct sb_gate_source *source, struct wlr_surface *surface,
			       struct sb_waiter *waiter)
{
	struct sb_syncobj_v1 *manager = wl_container_of(source, manager, source);
	struct syncobj_surface *ss = syncobj_surface_find(manager, surface);
	int ret;

	if (!ss || !ss->resource)
		return 0;
	ret = commit_check(ss, surface);
	if (ret <= 0)
		return ret;
	/*
	 * The points now belong to this commit. The release watch goes on first: it must fire
	 * even if the wait cannot be set up (the commit is then refused).
	 */
	if (release_point_watch(manager, surface, &ss->release) < 0 ||
	    syncobj_surface_keep(ss, ss->acquire.timeline) < 0 ||
	    sb_waiter_add_syncobj_point(waiter, ss->acquire.timeline->syncobj, ss->acquire.value,
					0) < 0) {
		wlr_log_errno(WLR_ERROR, "surface %p: cannot wait for acquire point %llu",
			      (void *)surface, (unsigned long long)ss->acquire.value);
		/* Not the implicit fences instead: they are not the client's acquire point. */
		ret = -2;
	}
	wlr_log(WLR_DEBUG, "surface %p: acquire point %llu, release point %llu", (void *)surface,
		(unsigned long long)ss->acquire.value, (unsigned long long)ss->release.value);
	point_clear(&ss->acquire);
	point_clear(&ss->release);
	return ret;
}

static void manager_handle_destroy(struct wl_client *client, struct wl_resource *resource)
{
	wl_resource_destroy(resource);
}

static void manager_handle_get_surface(struct wl_client *client, struct wl_resource *resource,
				       uint32_t id, struct wl_resource *surface_resource)
{
	struct sb_syncobj_v1 *manager = wl_resource_get_user_data(resource);
	struct wlr_surface *surface = wlr_surface_from_resource(surface_resource);
	struct syncobj_surface *ss = syncobj_surface_find(manager, surface);
	struct wl_resource *ss_resource;

	if (ss && ss->resource) {
		wl_resource_post_error(resource,
				       WP_LINUX_DRM_SYNCOBJ_MANAGER_V1_ERROR_SURFACE_EXISTS,
				       "the surface already has a wp_linux_drm_syncobj_surface_v1");
		return;
	}
	ss_resource = wl_resource_create(client, &wp_linux_drm_syncobj_surface_v1_interface,
					 wl_resource_get_version(resource), id);
	if (!ss_resource) {
		wl_client_post_no_memory(client);
		return;
	}
	if (!ss) {
		ss = calloc(1, sizeof(*ss));
		if (!ss) {
			wl_resource_destroy(ss_resource);
			wl_client_post_no_memory(client);
			return;
		}
		ss->surface = surface;
		wl_array_init(&ss->waited);
		wlr_addon_init(&ss->addon, &surface->addons, manager, &surface_addon_impl);
	}
	ss->resource = ss_resource;
	wl_resource_set_implementation(ss_resource, &surface_impl, ss, surface_resource_destroy);
}

static void manager_handle_import_timeline(struct wl_client *client, struct wl_resource *resource,
					   uint32_t id, int fd)
{
	struct sb_syncobj_v1 *manager = wl_resource_get_user_data(resource);
	struct wl_resource *timeline_resource;
	struct timeline *timeline;
	struct sb_syncobj *syncobj;

	/* DRM_IOCTL_SYNCOBJ_FD_TO_HANDLE refuses anything but a syncobj fd; fd is closed. */
	syncobj = sb_syncobj_import(manager->drm_fd, fd);
	if (!syncobj) {
		wl_resource_post_error(resource,
				       WP_LINUX_DRM_SYNCOBJ_MANAGER_V1_ERROR_INVALID_TIMELINE,
				       "the fd is not a DRM syncobj (%s)", strerror(errno));
		return;
	}
	timeline = calloc(1, sizeof(*timeline));
	timeline_resource =
		timeline ? wl_resource_create(client, &wp_linux_drm_syncobj_timeline_v1_interface,
					      wl_resource_get_version(resource), id)
			 : NULL;
	if (!timeline_resource) {
		free(timeline);
		sb_syncobj_destroy(syncobj);
		wl_client_post_no_memory(client);
		return;
	}
	timeline->syncobj = syncobj;
	timeline->refs = 1;
	wl_resource_set_implementation(timeline_resource, &timeline_impl, timeline,
				       timeline_resource_destroy);
}

static const struct wp_linux_drm_syncobj_manager_v1_interface manager_impl = {
	.destroy = manager_handle_destroy,
	.get_surface = manager_handle_get_surface,
	.import_timeline = manager_handle_import_timeline,
};

static void manager_bind(struct wl_client *client, void *data, uint32_t version, uint32_t id)
{
	struct sb_syncobj_v1 *manager = data;
	struct wl_resource *resource =
		wl_resource_create(client, &wp_linux_drm_syncobj_manager_v1_interface, version, id);
	pid_t pid;

	if (!resource) {
		wl_client_post_no_memory(client);
		return;
	}
	wl_resource_set_implementation(resource, &manager_impl, manager, NULL);
	wl_client_get_credentials(client, &pid, NULL, NULL);
	wlr_log(WLR_INFO, "client pid %d bound wp_linux_drm_syncobj_manager_v1", (int)pid);
}

static bool has_timelines(int fd)
{
	uint64_t cap = 0;

	return fd >= 0 && drmGetCap(fd, DRM_CAP_SYNCOBJ_TIMELINE, &cap) == 0 && cap;
}

/* The first render node, then primary node, whose driver has timeline syncobjs; -1 if none. */
static int open_timeline_device(char *path, size_t size)
{
	static const struct {
		const char *prefix;
		int first;
	} nodes[] = {{"/dev/dri/renderD", 128}, {"/dev/dri/card", 0}};

	for (size_t n = 0; n < sizeof(nodes) / sizeof(nodes[0]); n++) {
		for (int i = nodes[n].first; i < nodes[n].first + 64; i++) {
			int fd;

			snprintf(path, size, "%s%d", nodes[n].prefix, i);
			fd = open(path, O_RDWR | O_CLOEXEC);
			if (fd < 0)
				continue;
			if (has_timelines(fd))
				return fd;
			close(fd);
		}
	}
	return -1;
}

struct sb_syncobj_v1 *sb_syncobj_v1_create(struct wl_display *display, struct sb_commit_gate *gate,
					   int drm_fd)
{
	struct sb_syncobj_v1 *manager = calloc(1, sizeof(*manager));
	char path[64] = "the renderer's DRM device";

	if (!manager)
		return NULL;
	manager->drm_fd = drm_fd;
	if (!has_timelines(drm_fd)) {
		manager->drm_fd = open_timeline_device(path, sizeof(path));
		manager->own_fd = true;
	}
	if (manager->drm_fd < 0) {
		wlr_log(WLR_INFO, "wp_linux_drm_syncobj_manager_v1: not served, no DRM device has "
				  "DRM_CAP_SYNCOBJ_TIMELINE");
		free(manager);
		return NULL;
	}
	manager->global = wl_global_create(display, &wp_linux_drm_syncobj_manager_v1_interface,
					   MANAGER_VERSION, manager, manager_bind);
	if (!manager->global) {
		wlr_log(WLR_ERROR, "wp_linux_drm_syncobj_manager_v1: cannot create the global");
		if (manager->own_fd)
			close(manager->drm_fd);
		free(manager);
		return NULL;
	}
	manager->source.commit = manager_gate_commit;
	manager->source.interested = manager_gate_interested;
	commit_gate_add_source(gate, &manager->source);
	wl_list_init(&manager->releases);
	wlr_log(WLR_INFO, "wp_linux_drm_syncobj_manager_v1: timelines on %s", path);
	return manager;
}

void sb_syncobj_v1_destroy(struct sb_syncobj_v1 *manager)
{
	struct release_point *release, *tmp;

	if (!manager)
		return;
	/* No release point is left unsignalled, even for buffers that outlive the server. */
	wl_list_for_each_safe(release, tmp, &manager->releases, link) {
		sb_release_cancel(release->watch);
		release_point_signal(release, NULL);
	}
	commit_gate_remove_source(&manager->source);
	wl_global_destroy(manager->global);
	if (manager->own_fd)
		close(manager->drm_fd);
	free(manager);
}
