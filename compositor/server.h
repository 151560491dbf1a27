/* SPDX-License-Identifier: MIT */
#ifndef SB_SERVER_H
#define SB_SERVER_H

#include <stdbool.h>
#include <wayland-server-core.h>
#include <wlr/util/box.h>

#include "config.h"

struct sb_bounded_sync;
struct sb_capture_trigger;
struct sb_commit_gate;
struct sb_commit_timing_v1;
struct sb_control_socket;
struct sb_fifo_v1;
struct sb_frame_clock;
struct sb_desktop_protocols;
struct sb_layer_shell;
struct sb_presentation;
struct sb_explicit_sync_v1;
struct sb_syncobj_v1;
struct sb_render_fence;
struct sb_trace;
struct sb_xwayland;
struct wlr_output;
struct wlr_surface;

/* The whole compositor, owned by main.c; handlers find it through wl_container_of. */
struct sb_server {
	struct wl_display *display;
	struct wl_event_loop *loop;
	struct sb_config config;

	struct wlr_backend *backend;
	struct wlr_renderer *renderer;
	struct wlr_allocator *allocator;
	struct wlr_scene *scene;
	/* Windows between the bottom and top layers (layer_shell.c makes the stack). */
	struct wlr_scene_tree *view_tree;
	struct sb_layer_shell *layer_shell;		/* zwlr_layer_shell_v1 */
	struct sb_desktop_protocols *desktop_protocols; /* desktop_protocols.c */
	struct wlr_output_layout *output_layout;
	struct wlr_compositor *compositor;
	struct sb_presentation *presentation; /* presentation_time.c (#26) */
	struct wlr_xdg_shell *xdg_shell;
	struct wlr_seat *seat;
	struct wlr_input_device *seat_keyboard; /* seat_keyboard.c: the seat's own */
	struct wlr_cursor *cursor;
	struct wlr_xcursor_manager *cursor_manager;
	struct sb_commit_gate *gate;
	struct sb_syncobj_v1 *syncobj_v1;
	struct sb_explicit_sync_v1 *explicit_sync_v1;
	struct sb_fifo_v1 *fifo_v1;		      /* wp_fifo_manager_v1 (#26) */
	struct sb_commit_timing_v1 *commit_timing_v1; /* wp_commit_timing_manager_v1 (#26) */
	struct sb_trace *trace;			      /* --trace, else NULL */
	struct sb_render_fence *render_fence;	      /* GLES2's read fences, else NULL */
	/* DMA_BUF_IOCTL_SYNC(START) under a bound; NULL if no timer: START is then never taken. */
	struct sb_bounded_sync *bounded_sync;
	struct wl_protocol_logger *xdg_guard;
	struct wl_protocol_logger *subsurface_guard;

	struct sb_frame_clock *frame_clock; /* what frame callbacks and presentation say */
	struct sb_control_socket *control;  /* --control, else NULL */
	/* capture_window.c, capture_trigger.c */
	struct wl_list capture_windows;	 /* sb_capture_window.link */
	struct wl_list capture_triggers; /* sb_capture_trigger.link */
	struct wl_listener capture_new_view;
	struct sb_capture_trigger *capture; /* --screenshot's, until it fired or the run ends */
	bool capture_fired;		    /* it fired and ended the run */
	/* Under every window (--background; screenshots are cleared to it too). */
	float background[4];
	struct wlr_scene_rect *background_rect;

	struct wl_list outputs; /* sb_output.link */
	struct wl_list views;	/* sb_view.link, mapped ones, top first (view.c) */
	int next_view_x, next_view_y;
	struct {
		struct wl_signal new_view; /* struct sb_view *, from view_init */
	} events;
	struct sb_xwayland *xwayland; /* [xwayland] enabled, else NULL */
	/* An interactive move or resize (seat.c): the view, and where the grab started. */
	struct {
		struct sb_view *view;
		uint32_t edges; /* enum wlr_edges; 0: a move */
		double cursor_x, cursor_y;
		struct wlr_box box;
		struct wl_listener view_unmap;
	} grab;

	struct wl_listener new_output;
	struct wl_listener new_xdg_surface;
	struct wl_listener new_input;
	struct wl_listener new_virtual_keyboard;
	struct wl_listener new_virtual_pointer;
	struct wl_listener cursor_motion;
	struct wl_listener cursor_motion_absolute;
	struct wl_listener cursor_button;
	struct wl_listener cursor_axis;
	struct wl_listener cursor_frame;
	struct wl_listener request_set_cursor;

	const char *screenshot_path;
	bool screenshot_taken;
	pid_t exec_pid;
	pid_t exec_group; /* the --exec command's process group, ended at exit */
	/* [autostart] commands' process groups, ended at exit */
	pid_t autostart_groups[SB_CONFIG_AUTOSTART_MAX];
	size_t n_autostart_groups;
	enum sb_backend_kind backend_kind; /* the backend made, never auto */
	unsigned long nofile_soft; /* RLIMIT_NOFILE's soft limit before raise_fd_limit(), or 0 */
	int exit_status;
};

/* log.c: wlr_log and the bridge's log to stderr, DEBUG with -d. */
void server_log_init(bool debug);

/* output.c */
void server_new_output(struct wl_listener *listener, void *data);
struct wlr_output *server_primary_output(struct sb_server *server);
struct sb_output;
struct wlr_output *output_wlr_output(struct sb_output *output);
struct sb_server *output_server(struct sb_output *output);
/* The compositor's output of a wlr_output, NULL if it did not take it. */
struct sb_output *output_from_wlr(struct wlr_output *wlr_output);
/*
 * The [output] section's settings applied to an output and committed (test_only: only tested),
 * as at start: what wlr-output-management's apply and test requests go through.
 */
bool output_configure(struct wlr_output *wlr_output, const struct sb_output_config *oc,
		      bool test_only);
/*
 * Brackets the CPU reads of every client dma-buf visible on the output (DMA_BUF_IOCTL_SYNC):
 * around anything that renders the scene with pixman (an output frame, a screenshot).
 */
void output_bracket_cpu_reads(struct sb_server *server, struct wlr_output *wlr_output, bool begin);
/*
 * acquire=kms (sb_gate_scanout_func_t): whether the buffer a commit attaches could be scanned out
 * directly: the surface alone at a DRM output's origin, the buffer of the output's size, scale
 * and transform, uncropped.
 */
struct wlr_buffer;
bool server_surface_can_scanout(void *server, struct wlr_surface *surface,
				struct wlr_buffer *buffer);
/* The primary output's next predicted presentation (CLOCK_MONOTONIC ns), 0 if unknown. */
uint64_t server_next_present_ns(void *server);

/* xdg_shell.c */
struct sb_view;
void server_new_xdg_surface(struct wl_listener *listener, void *data);

/* seat.c */
bool seat_init(struct sb_server *server);
/* Before the display goes: the cursor listens to the output layout and the input devices. */
void seat_finish(struct sb_server *server);
/* Keyboard focus to surface (NULL: none); activation is view.c's. */
void seat_focus_surface(struct sb_server *server, struct wlr_surface *surface);
/*
 * Starts moving (edges 0) or resizing (enum wlr_edges) view with the pointer until its buttons
 * are released.
 */
void seat_begin_grab(struct sb_server *server, struct sb_view *view, uint32_t edges);

/* screenshot.c: renders the scene on the primary output into a PNG file. */
bool screenshot_write_png(struct sb_server *server, const char *path);

#endif
