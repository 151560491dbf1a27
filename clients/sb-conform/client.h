/* SPDX-License-Identifier: MIT */
#ifndef SB_CONFORM_CLIENT_H
#define SB_CONFORM_CLIENT_H

#include <stdbool.h>
#include <stdint.h>

#include <wayland-client.h>

/*
 * One Wayland connection to the compositor under test ($WAYLAND_DISPLAY), with the globals it
 * advertised, and what every case needs on top: a mapped xdg toplevel, wl_shm and udmabuf
 * buffers, frame callbacks, and the protocol error the connection died of.
 */
#define SC_MAX_GLOBALS 96
/* sway and weston map a toplevel within a second; emulated CPUs need more. */
#define SC_CONFIGURE_MS 10000

struct sc_global {
	char iface[64];
	uint32_t name;
	uint32_t version;
};

struct sc_client {
	struct wl_display *display;
	struct wl_registry *registry;
	struct sc_global globals[SC_MAX_GLOBALS];
	int n_globals;
	struct wl_compositor *compositor;
	struct wl_shm *shm;
	struct xdg_wm_base *wm_base;
};

struct sc_client *sc_client_connect(void);
void sc_client_destroy(struct sc_client *client);
/* The advertised version of iface, 0 when it is not advertised. */
uint32_t sc_client_global_version(const struct sc_client *client, const char *iface);
/* Binds iface at min(advertised, max_version); NULL when not advertised. */
void *sc_client_bind(struct sc_client *client, const struct wl_interface *iface,
		     uint32_t max_version);
/* Dispatches for up to timeout_ms or until *flag is true. False on timeout or a dead connection. */
bool sc_client_wait(struct sc_client *client, const bool *flag, int timeout_ms);
bool sc_client_roundtrip(struct sc_client *client);
/* The protocol error the connection died of: 0 and iface "" if none. */
uint32_t sc_client_error(struct sc_client *client, const char **iface);
/*
 * Roundtrips and reports whether the connection died of error code on interface iface; prints
 * what happened instead when not.
 */
bool sc_client_died_of(struct sc_client *client, const char *iface, uint32_t code);

/* A mapped xdg toplevel: the initial configure acknowledged. */
struct sc_window {
	struct sc_client *client;
	struct wl_surface *surface;
	struct xdg_surface *xdg_surface;
	struct xdg_toplevel *toplevel;
	bool configured;
};

struct sc_window *sc_window_create(struct sc_client *client);
void sc_window_destroy(struct sc_window *window);
/* Attaches buffer (NULL: leaves the attachment alone), damages it all and commits. */
void sc_window_commit(struct sc_window *window, struct wl_buffer *buffer);

/* A wl_surface.frame callback; done is set when it fires. */
struct sc_frame {
	struct wl_callback *callback;
	bool done;
};

void sc_frame_request(struct sc_frame *frame, struct wl_surface *surface);
/* Destroys the callback if it never fired (a held commit). */
void sc_frame_finish(struct sc_frame *frame);

/* A wl_buffer with its memory: a memfd for wl_shm, a udmabuf for linux-dmabuf. */
struct sc_buffer {
	struct wl_buffer *buffer;
	int fd;
	bool released;
};

/* width x height XRGB8888 of one colour. */
struct sc_buffer *sc_buffer_create_shm(struct sc_client *client, int width, int height,
				       uint32_t rgb);
/* dmabuf: a bound zwp_linux_dmabuf_v1, version 2 or later (create_immed), LINEAR modifier. */
struct sc_buffer *sc_buffer_create_dmabuf(struct sc_client *client, void *dmabuf, int width,
					  int height, uint32_t rgb);
void sc_buffer_destroy(struct sc_buffer *buffer);

/* A udmabuf of at least size bytes filled with rgb, or -1. */
int sc_udmabuf_create_filled(int width, int height, uint32_t rgb);

#endif
