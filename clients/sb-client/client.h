/* SPDX-License-Identifier: MIT */
#ifndef SB_CLIENT_CLIENT_H
#define SB_CLIENT_CLIENT_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include <wayland-client.h>

#include "options.h"

/*
 * The whole client: the connection, the globals it bound, the event loop, and its windows.
 * Owns everything; main.c holds the one instance.
 */
struct client {
	/*
	 * What the rest of the client reads through opts: a copy of the parsed options, whose
	 * size --fullscreen replaces with the configure's and whose colour --color-from changes.
	 */
	struct options options;
	const struct options *opts;
	uint32_t color; /* --color, as parsed */
	struct loop *loop;
	struct allocator *allocator;

	struct wl_display *display;
	struct wl_registry *registry;
	struct wl_compositor *compositor;
	uint32_t compositor_version;
	struct wl_shm *shm;
	struct xdg_wm_base *wm_base;
	struct wp_presentation *presentation;
	clockid_t presentation_clock;
	struct zwp_linux_dmabuf_v1 *dmabuf;
	uint32_t dmabuf_version;
	struct dmabuf_formats *dmabuf_formats;
	struct zwp_linux_explicit_synchronization_v1 *explicit_sync;
	struct wp_linux_drm_syncobj_manager_v1 *syncobj_manager;
	int syncobj_drm_fd; /* --syncobj: where the client's timelines live */

	struct wl_list windows; /* window.link */

	int signal_fd;
	struct loop_fd *display_watch;
	struct loop_fd *signal_watch;
	struct loop_timer *duration_timer;
	struct loop_timer *drain_timer;
	bool read_prepared;
	bool stopping; /* no more commits; waiting for what is in flight */
	bool done;
	int exit_code;
	uint64_t start_ns;
};

/*
 * Connects, binds and checks the globals, creates the windows. Returns an enum exit_code; after
 * a protocol error that --expect-error names, EXIT_OK with done set (client_run then returns).
 */
int client_init(struct client *client, const struct options *opts);
/* Runs until the frames are done and drained, or a failure. Returns an enum exit_code. */
int client_run(struct client *client);
/* Safe after a failed client_init. */
void client_finish(struct client *client);

/* Stops committing; the run ends once what is in flight has settled or --drain has passed. */
void client_stop(struct client *client, const char *why);
/* Ends the run now with exit_code (the message has been printed). */
void client_fail(struct client *client, int exit_code);
/* Called after anything a window waits for has happened. */
void client_check_done(struct client *client);

/* A wp_presentation timestamp (in the presentation clock) as CLOCK_MONOTONIC ns. */
uint64_t client_presentation_to_monotonic(const struct client *client, uint64_t ns);

#endif
