/* SPDX-License-Identifier: MIT */
#ifndef SB_TC_SYNCOBJ_H
#define SB_TC_SYNCOBJ_H

#include <stdbool.h>
#include <stdint.h>

/*
 * wp_linux_drm_syncobj_v1 on a tc_client (bound TC_SYNCOBJ): timelines the test owns (a DRM
 * syncobj it signals and queries, imported into the compositor) and a surface's acquire and
 * release points.
 */
struct sb_syncobj;
struct tc_client;
struct tc_surface;

struct tc_timeline {
	struct sb_syncobj *syncobj; /* the test's handle: signal and query points through it */
	struct wp_linux_drm_syncobj_timeline_v1 *proxy;
	bool owned; /* syncobj is destroyed with the timeline */
};

/* A new syncobj on drm_fd (borrowed) imported with import_timeline. */
struct tc_timeline *tc_timeline_create(struct tc_client *client, int drm_fd);
/* Imports syncobj (borrowed: it must outlive the result) on another connection. */
struct tc_timeline *tc_timeline_share(struct tc_client *client, struct sb_syncobj *syncobj);
/* Sends the protocol object's destroy; the test's syncobj stays. */
void tc_timeline_destroy_proxy(struct tc_timeline *timeline);
void tc_timeline_destroy(struct tc_timeline *timeline);
/* import_timeline with any fd (a dup is sent; the caller keeps fd): for the error tests. */
void tc_client_import_fd(struct tc_client *client, int fd);

/* get_surface on it (again, if asked twice). */
void tc_surface_get_syncobj(struct tc_surface *surface);
void tc_surface_set_acquire_point(struct tc_surface *surface, struct tc_timeline *timeline,
				  uint64_t point);
void tc_surface_set_release_point(struct tc_surface *surface, struct tc_timeline *timeline,
				  uint64_t point);

#endif
