/* SPDX-License-Identifier: MIT */
#ifndef SB_TC_EXPLICIT_H
#define SB_TC_EXPLICIT_H

#include <stdbool.h>

/*
 * zwp_linux_explicit_synchronization_v1 on a tc_surface (its client bound TC_EXPLICIT): the
 * surface's synchronization objects, acquire fences and buffer releases.
 */
struct tc_client;
struct tc_surface;

enum tc_release_state {
	TC_RELEASE_PENDING,
	TC_RELEASE_IMMEDIATE,
	TC_RELEASE_FENCED,
};

/* A zwp_linux_buffer_release_v1 and what it said. */
struct tc_release {
	struct tc_client *client;
	struct zwp_linux_buffer_release_v1 *proxy; /* NULL once an event destroyed it */
	enum tc_release_state state;
	bool answered; /* state is no longer TC_RELEASE_PENDING */
	int fence_fd;  /* fenced_release's fence, owned; -1 otherwise */
	int order;     /* 1 for the first release event the client saw, 2 for the next... */
};

/* get_synchronization; a second call on the same surface makes a second object. */
void tc_surface_get_synchronization(struct tc_surface *surface);
void tc_surface_destroy_synchronization(struct tc_surface *surface);
/* set_acquire_fence with a duplicate of fd (the caller keeps fd). */
void tc_surface_set_acquire_fence(struct tc_surface *surface, int fd);
/* get_release: the caller frees the result with tc_release_destroy. */
struct tc_release *tc_surface_get_release(struct tc_surface *surface);
void tc_release_destroy(struct tc_release *release);
/* Waits until release has had its event (or timeout_ms passed). */
bool tc_release_wait(struct tc_release *release, int timeout_ms);

#endif
