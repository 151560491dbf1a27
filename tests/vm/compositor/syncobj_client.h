/* SPDX-License-Identifier: MIT */
#ifndef SB_TEST_SYNCOBJ_CLIENT_H
#define SB_TEST_SYNCOBJ_CLIENT_H

#include <stdbool.h>
#include <stdint.h>

/*
 * A Wayland client for the wp_linux_drm_syncobj_v1 guest tests: toplevels whose wl_surface may
 * get a wp_linux_drm_syncobj_surface_v1, timelines the test owns (a DRM syncobj on the guest's
 * virtio_gpu, imported into the compositor), udmabuf (linux-dmabuf) and wl_shm buffers of one
 * colour. Requests are sent as the test asks, including the wrong ones the protocol forbids.
 */
struct sb_compositor;
struct sb_syncobj;

struct so_client;
struct so_surface;
struct so_buffer;

struct so_timeline {
	struct sb_syncobj *syncobj; /* the test's handle: signal and query points through it */
	struct wp_linux_drm_syncobj_timeline_v1 *proxy;
	bool owned; /* syncobj is destroyed with the timeline */
};

/* Fails (NULL) if the compositor does not advertise wp_linux_drm_syncobj_manager_v1. */
struct so_client *so_client_connect(const struct sb_compositor *comp);
void so_client_destroy(struct so_client *client);
/* Dispatches events for up to timeout_ms, or until *flag becomes true (flag may be NULL). */
bool so_client_wait(struct so_client *client, const bool *flag, int timeout_ms);
bool so_client_roundtrip(struct so_client *client);
/* The protocol error the connection died of: 0 if none (interface name in *iface). */
uint32_t so_client_error(struct so_client *client, const char **iface);

/* A new syncobj on drm_fd (borrowed) imported with import_timeline. */
struct so_timeline *so_timeline_create(struct so_client *client, int drm_fd);
/* Imports syncobj (borrowed: it must outlive the result) on another connection. */
struct so_timeline *so_timeline_share(struct so_client *client, struct sb_syncobj *syncobj);
/* Sends the protocol object's destroy; the test's syncobj stays. */
void so_timeline_destroy_proxy(struct so_timeline *timeline);
void so_timeline_destroy(struct so_timeline *timeline);
/* import_timeline with any fd (a dup is sent; the caller keeps fd): for the error test. */
void so_client_import_fd(struct so_client *client, int fd);

/* An xdg toplevel, configured. */
struct so_surface *so_surface_create(struct so_client *client);
void so_surface_destroy(struct so_surface *surface);
/* get_surface on it (again, if asked twice). */
void so_surface_get_syncobj(struct so_surface *surface);
/* Destroys the wl_surface (and its xdg roles) but keeps the syncobj surface object. */
void so_surface_destroy_wl_surface(struct so_surface *surface);
void so_surface_set_acquire(struct so_surface *surface, struct so_timeline *timeline,
			    uint64_t point);
void so_surface_set_release(struct so_surface *surface, struct so_timeline *timeline,
			    uint64_t point);

enum so_attach {
	SO_ATTACH_NONE,	  /* no wl_surface.attach in this commit */
	SO_ATTACH_NULL,	  /* attach a null buffer */
	SO_ATTACH_BUFFER, /* attach buffer */
};

/* Attaches as asked and commits, with a frame callback setting *frame_done (NULL: none). */
void so_surface_commit(struct so_surface *surface, enum so_attach attach, struct so_buffer *buffer,
		       bool *frame_done);

/* A width x height XRGB8888 buffer filled with rgb: a udmabuf through linux-dmabuf, or wl_shm. */
struct so_buffer *so_dmabuf_buffer_create(struct so_client *client, int width, int height,
					  uint32_t rgb);
struct so_buffer *so_shm_buffer_create(struct so_client *client, int width, int height,
				       uint32_t rgb);
void so_buffer_destroy(struct so_buffer *buffer);

#endif
