/* SPDX-License-Identifier: MIT */
#ifndef SB_CAPTURE_WINDOW_H
#define SB_CAPTURE_WINDOW_H

#include <stdbool.h>
#include <stdint.h>
#include <wayland-server-core.h>
#include <wlr/util/box.h>

struct sb_server;
struct wlr_output;
struct sb_view;

/*
 * What the capture triggers know of one xdg toplevel: whether it is mapped, how many frames with
 * new content it has presented, and for how many frames its picture has stayed the same.
 */
struct sb_capture_window {
	struct wl_list link; /* sb_server.capture_windows */
	struct sb_server *server;
	struct sb_view *view;
	bool mapped;
	bool exec_client;   /* its client is the --exec command or one of its descendants */
	uint64_t mapped_ns; /* frame clock time of its map */
	uint32_t presented; /* output frames that showed a new commit of it, since its map */
	bool committed;	    /* a commit since the last frame of its output */
	/* Frames its picture has been the same (1: shown once); only while hash_wanted. */
	uint32_t stable;
	uint64_t hash;
	bool hash_wanted;
	struct wl_listener map;
	struct wl_listener unmap;
	struct wl_listener destroy;
	struct wl_listener commit;
};

/* Follows every xdg toplevel from now on (a listener on the xdg shell). */
bool capture_windows_init(struct sb_server *server);
void capture_windows_finish(struct sb_server *server);
/*
 * The mapped window that match names, or NULL. match is "app_id=ID", "title=TITLE", or a bare
 * string equal to either; NULL matches any mapped window (the oldest).
 */
bool capture_window_matches(const struct sb_capture_window *window, const char *match);
struct sb_capture_window *capture_window_find(struct sb_server *server, const char *match);
/* The box of layout coordinates covering the window, its subsurfaces and its popups. */
bool capture_window_box(struct sb_capture_window *window, struct wlr_box *box);
/* The title, else the app_id, else "?": for messages. */
const char *capture_window_name(const struct sb_capture_window *window);
/* After output rendered a frame: counts presented frames, and hashes pictures where wanted. */
void capture_windows_frame(struct sb_server *server, struct wlr_output *output);

#endif
