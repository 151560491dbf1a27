/* SPDX-License-Identifier: MIT */
#ifndef SB_CAPTURE_TRIGGER_H
#define SB_CAPTURE_TRIGGER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <wayland-server-core.h>

struct sb_capture_window;
struct sb_server;
struct wlr_output;

/* When a picture is taken (syncbridge --help, doc/headless-ci.md). */
enum sb_capture_when {
	/* --exec's client: its window's last frame, as it unmaps; else when the compositor exits. */
	SB_CAPTURE_EXIT,
	/* The window is mapped and has presented a frame. */
	SB_CAPTURE_MAPPED,
	/* Its picture has been the same for n presented frames. */
	SB_CAPTURE_SETTLED,
	/* Its nth presented frame since it mapped (a frame that showed a new commit of it). */
	SB_CAPTURE_FRAME,
	/* n ms of the frame clock after it mapped (at the first frame after that). */
	SB_CAPTURE_AFTER,
};

struct sb_capture_spec {
	enum sb_capture_when when;
	uint32_t n;
	const char *window;  /* capture_window_find()'s match; NULL: any window */
	bool crop_window;    /* the window (its subsurfaces and popups too), else the output */
	const char *output;  /* the output to capture when not cropping; NULL: the primary one */
	uint32_t timeout_ms; /* 0: none */
};

/* Parses "exit", "mapped", "settled[:N]", "frame:N" or "after:MS" into spec. */
bool capture_spec_parse_when(struct sb_capture_spec *spec, const char *text, char *err,
			     size_t err_size);

struct sb_capture_trigger;
/* window is the one that met the condition; NULL when the timeout passed first. */
typedef void (*sb_capture_fired_func_t)(struct sb_capture_trigger *trigger,
					struct sb_capture_window *window, void *data);

/*
 * A condition on a window, checked after every output frame; fired is called once, then the
 * trigger does nothing more (it may be destroyed from fired). spec's strings are borrowed.
 */
struct sb_capture_trigger *capture_trigger_create(struct sb_server *server,
						  const struct sb_capture_spec *spec,
						  sb_capture_fired_func_t fired, void *data);
void capture_trigger_destroy(struct sb_capture_trigger *trigger);
/* The trigger's spec (its strings are the creator's). */
const struct sb_capture_spec *capture_trigger_spec(struct sb_capture_trigger *trigger);
/* What happened, for messages: "window foot settled for 10 frames (frame 42)". */
void capture_trigger_describe(struct sb_capture_trigger *trigger, struct sb_capture_window *window,
			      char *buf, size_t size);

/* Writes the picture spec asks for (window: the window to crop to, if it does) to path. */
bool capture_shoot(struct sb_server *server, const struct sb_capture_spec *spec,
		   struct sb_capture_window *window, const char *path, int *width, int *height);

/* The --screenshot picture, taken when spec says; a trigger other than exit ends the run. */
bool capture_command_line_start(struct sb_server *server, const struct sb_capture_spec *spec);
/* At exit: takes the picture if it is still due; false if it could not be taken. */
bool capture_command_line_finish(struct sb_server *server);

/* output.c, after an output's frame; capture_window.c, as a window maps and unmaps. */
void capture_trigger_frame(struct sb_server *server, struct wlr_output *output);
void capture_trigger_window_mapped(struct sb_server *server, struct sb_capture_window *window);
void capture_trigger_window_unmapping(struct sb_server *server, struct sb_capture_window *window);

#endif
