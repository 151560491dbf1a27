/* SPDX-License-Identifier: MIT */
#ifndef SB_TC_CLIENT_H
#define SB_TC_CLIENT_H

#include <stdbool.h>
#include <stdint.h>

/*
 * The test clients' one Wayland connection (tests/lib/README.md): connect (retrying while the
 * socket refuses), every advertised global recorded, the common ones bound at the versions the
 * tests speak, waits with a deadline, and the protocol error the connection died of. The
 * surfaces, buffers and sync objects of tc_surface.h, tc_buffer.h, tc_explicit.h and
 * tc_syncobj.h are made on it.
 */
struct wl_display;
struct wl_interface;
struct wl_registry;

#define TC_MAX_GLOBALS 96

/* The globals tc_client_connect binds on request. */
enum tc_globals {
	TC_COMPOSITOR = 1 << 0,	   /* wl_compositor v4: damage_buffer */
	TC_SUBCOMPOSITOR = 1 << 1, /* wl_subcompositor v1 */
	TC_SHM = 1 << 2,	   /* wl_shm v1 */
	TC_WM_BASE = 1 << 3,	   /* xdg_wm_base v1, pings answered */
	TC_DMABUF = 1 << 4,	   /* zwp_linux_dmabuf_v1 v3 (create_immed), only if v3+ */
	TC_EXPLICIT = 1 << 5,	   /* zwp_linux_explicit_synchronization_v1, up to v2 */
	TC_SYNCOBJ = 1 << 6,	   /* wp_linux_drm_syncobj_manager_v1 v1 */
};

struct tc_global {
	char iface[64];
	uint32_t name;
	uint32_t version;
};

struct tc_client {
	struct wl_display *display;
	struct wl_registry *registry;
	struct tc_global globals[TC_MAX_GLOBALS];
	int n_globals;
	/* Bound at connect as asked, NULL when not asked or not advertised; destroyed with it. */
	struct wl_compositor *compositor;
	struct wl_subcompositor *subcompositor;
	struct wl_shm *shm;
	struct xdg_wm_base *wm_base;
	struct zwp_linux_dmabuf_v1 *dmabuf;
	struct zwp_linux_explicit_synchronization_v1 *explicit_sync;
	struct wp_linux_drm_syncobj_manager_v1 *syncobj_manager;
	int releases_seen; /* zwp_linux_buffer_release_v1 events so far: tc_release.order */
	/* Objects of error tests that nothing else owns: destroyed with the client. */
	struct zwp_linux_buffer_params_v1 *raw_params;
	struct wl_buffer *raw_buffer;
	struct wp_linux_drm_syncobj_timeline_v1 *raw_timeline;
};

/* CLOCK_MONOTONIC in milliseconds. */
uint64_t tc_now_ms(void);

/*
 * Connects to socket (a path or a name in $XDG_RUNTIME_DIR; NULL: $WAYLAND_DISPLAY), retrying
 * while it is refused, and binds the globals in bind (enum tc_globals) that are advertised.
 */
struct tc_client *tc_client_connect(const char *socket, unsigned bind);
/* True if every global of need is bound; otherwise says which are not (stderr, who: prefix). */
bool tc_client_require(const struct tc_client *client, unsigned need, const char *who);
void tc_client_destroy(struct tc_client *client);
/* The advertised version of iface, 0 when it is not advertised. */
uint32_t tc_client_global_version(const struct tc_client *client, const char *iface);
/* Binds the first iface advertised at min(advertised, max_version); NULL when there is none. */
void *tc_client_bind(struct tc_client *client, const struct wl_interface *iface,
		     uint32_t max_version);

/* Dispatches for up to timeout_ms or until *flag is true (flag may be NULL): false on timeout or
 * a dead connection. */
bool tc_client_wait(struct tc_client *client, const bool *flag, int timeout_ms);
/* Every request sent so far has been handled by the compositor. */
bool tc_client_roundtrip(struct tc_client *client);
/* The protocol error the connection died of: 0 and iface "" if none, else the code. */
uint32_t tc_client_error(struct tc_client *client, const char **iface);
/*
 * Roundtrips and reports whether the connection died of error code on interface iface; prints
 * (as TAP comments) what happened instead when not.
 */
bool tc_client_died_of(struct tc_client *client, const char *iface, uint32_t code);

#endif
