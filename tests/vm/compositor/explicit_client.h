/* SPDX-License-Identifier: MIT */
#ifndef SB_TEST_EXPLICIT_CLIENT_H
#define SB_TEST_EXPLICIT_CLIENT_H

#include <stdbool.h>
#include <stdint.h>

/*
 * A Wayland client for the zwp_linux_explicit_synchronization_v1 guest tests: it needs the raw
 * wl_surface requests (attach, commit, destroy while the synchronization object lives) that
 * wl_client.h keeps inside. The compositor is started with wl_client.h's sb_compositor.
 */
struct sb_compositor;
struct ex_client;
struct ex_surface;
struct ex_buffer;

enum ex_release_state {
	EX_RELEASE_PENDING,
	EX_RELEASE_IMMEDIATE,
	EX_RELEASE_FENCED,
};

/* A zwp_linux_buffer_release_v1 and what it said. */
struct ex_release {
	struct ex_client *client;
	struct zwp_linux_buffer_release_v1 *proxy; /* NULL once an event destroyed it */
	enum ex_release_state state;
	bool answered; /* state is no longer EX_RELEASE_PENDING */
	int fence_fd;  /* fenced_release's fence, owned; -1 otherwise */
	int order;     /* 1 for the first release event the client saw, 2 for the next... */
};

struct ex_client *ex_client_connect(const struct sb_compositor *comp);
void ex_client_destroy(struct ex_client *client);
/* The advertised version of zwp_linux_explicit_synchronization_v1, 0 if there is none. */
uint32_t ex_client_explicit_version(const struct ex_client *client);
/* Dispatches for up to timeout_ms or until *flag is true; false on timeout or a dead link. */
bool ex_client_wait(struct ex_client *client, const bool *flag, int timeout_ms);
/* Waits until release has had its event (or timeout_ms passed). */
bool ex_client_wait_release(struct ex_client *client, const struct ex_release *release,
			    int timeout_ms);
bool ex_client_roundtrip(struct ex_client *client);
/* The protocol error the connection died of: 0 if none (interface in *iface). */
uint32_t ex_client_error(struct ex_client *client, const char **iface);

/* An xdg toplevel, configured, with no synchronization object yet. */
struct ex_surface *ex_surface_create(struct ex_client *client);
void ex_surface_destroy(struct ex_surface *surface);
/* Destroys the wl_surface (and its role objects) but not its synchronization object. */
void ex_surface_destroy_wl_surface(struct ex_surface *surface);

/* get_synchronization; a second call on the same surface makes a second object. */
void ex_surface_get_synchronization(struct ex_surface *surface);
void ex_surface_destroy_synchronization(struct ex_surface *surface);
/* set_acquire_fence with a duplicate of fd (the caller keeps fd). */
void ex_surface_set_acquire_fence(struct ex_surface *surface, int fd);
/* get_release: the caller frees the result with ex_release_destroy. */
struct ex_release *ex_surface_get_release(struct ex_surface *surface);
/* Attaches buffer (NULL: a NULL buffer) with full damage. */
void ex_surface_attach(struct ex_surface *surface, struct ex_buffer *buffer);
/* Commits, asking for a frame callback that sets *frame_done (NULL: none). */
void ex_surface_commit(struct ex_surface *surface, bool *frame_done);

void ex_release_destroy(struct ex_release *release);

/* A width x height XRGB8888 udmabuf of one colour as a linux-dmabuf wl_buffer. */
struct ex_buffer *ex_buffer_create_dmabuf(struct ex_client *client, int width, int height,
					  uint32_t rgb);
/* The same as a wl_shm buffer (memfd). */
struct ex_buffer *ex_buffer_create_shm(struct ex_client *client, int width, int height,
				       uint32_t rgb);
void ex_buffer_destroy(struct ex_buffer *buffer);
/* The udmabuf's fd (owned by the buffer), -1 for wl_shm. */
int ex_buffer_dmabuf_fd(const struct ex_buffer *buffer);

#endif
