// SPDX-License-Identifier: MIT
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <drm_fourcc.h>

#include "allocator.h"
#include "client.h"
#include "dmabuf_formats.h"
#include "drm_timeline.h"
#include "linux-dmabuf-unstable-v1-client-protocol.h"
#include "linux-drm-syncobj-v1-client-protocol.h"
#include "linux-explicit-synchronization-unstable-v1-client-protocol.h"
#include "loop.h"
#include "presentation-time-client-protocol.h"
#include "util.h"
#include "window.h"
#include "xdg-shell-client-protocol.h"

static uint32_t min_u32(uint32_t a, uint32_t b)
{
	return a < b ? a : b;
}

/*
 * Reports why the connection failed. A protocol error that --expect-error names ends the run
 * with success. Returns the exit code.
 */
static int client_display_error(struct client *client)
{
	const struct options *opts = client->opts;
	const struct wl_interface *interface = NULL;
	int err = wl_display_get_error(client->display);
	const char *name;
	uint32_t code, id = 0;

	if (err != EPROTO) {
		log_msg(SB_ERROR, "lost the connection to the compositor: %s",
			strerror(err ? err : errno));
		return EXIT_FAIL;
	}
	code = wl_display_get_protocol_error(client->display, &interface, &id);
	name = interface ? interface->name : "(unknown interface)";
	if (opts->expect_error && strcmp(name, opts->expect_interface) == 0 &&
	    code == opts->expect_code) {
		log_msg(SB_INFO,
			"got the expected protocol error: interface %s, code %u, object id %u",
			name, code, id);
		return EXIT_OK;
	}
	if (opts->expect_error)
		log_msg(SB_ERROR,
			"protocol error: interface %s, code %u, object id %u (expected %s:%u)",
			name, code, id, opts->expect_interface, opts->expect_code);
	else
		log_msg(SB_ERROR, "protocol error: interface %s, code %u, object id %u", name, code,
			id);
	return EXIT_FAIL;
}

static void client_display_failed(struct client *client)
{
	client_fail(client, client_display_error(client));
}

static void wm_base_handle_ping(void *data, struct xdg_wm_base *wm_base, uint32_t serial)
{
	xdg_wm_base_pong(wm_base, serial);
}

static const struct xdg_wm_base_listener wm_base_listener = {
	.ping = wm_base_handle_ping,
};

static void presentation_handle_clock_id(void *data, struct wp_presentation *presentation,
					 uint32_t clock_id)
{
	struct client *client = data;

	client->presentation_clock = (clockid_t)clock_id;
	log_msg(SB_DEBUG, "wp_presentation clock %u", clock_id);
}

static const struct wp_presentation_listener presentation_listener = {
	.clock_id = presentation_handle_clock_id,
};

static void registry_handle_global(void *data, struct wl_registry *registry, uint32_t name,
				   const char *interface, uint32_t version)
{
	struct client *client = data;
	const struct options *opts = client->opts;

	log_msg(SB_DEBUG, "global %s v%u", interface, version);
	if (strcmp(interface, wl_compositor_interface.name) == 0) {
		client->compositor_version = min_u32(version, 4);
		client->compositor = wl_registry_bind(registry, name, &wl_compositor_interface,
						      client->compositor_version);
	} else if (strcmp(interface, wl_shm_interface.name) == 0) {
		client->shm = wl_registry_bind(registry, name, &wl_shm_interface, 1);
	} else if (strcmp(interface, xdg_wm_base_interface.name) == 0) {
		/* Later versions add events this client has no handler for. */
		client->wm_base = wl_registry_bind(registry, name, &xdg_wm_base_interface,
						   min_u32(version, 2));
		xdg_wm_base_add_listener(client->wm_base, &wm_base_listener, client);
	} else if (strcmp(interface, wp_presentation_interface.name) == 0) {
		client->presentation =
			wl_registry_bind(registry, name, &wp_presentation_interface, 1);
		wp_presentation_add_listener(client->presentation, &presentation_listener, client);
	} else if (strcmp(interface, zwp_linux_dmabuf_v1_interface.name) == 0 &&
		   options_dmabuf(opts)) {
		uint32_t wanted = opts->dmabuf_version ? opts->dmabuf_version : 4;
		client->dmabuf_version = min_u32(version, wanted);
		if (client->dmabuf_version < (opts->dmabuf_version ? opts->dmabuf_version : 3))
			return; /* reported as missing, with the version */
		client->dmabuf = wl_registry_bind(registry, name, &zwp_linux_dmabuf_v1_interface,
						  client->dmabuf_version);
		client->dmabuf_formats =
			dmabuf_formats_create(client->dmabuf, client->dmabuf_version);
	} else if (strcmp(interface, zwp_linux_explicit_synchronization_v1_interface.name) == 0 &&
		   opts->explicit_sync) {
		client->explicit_sync = wl_registry_bind(
			registry, name, &zwp_linux_explicit_synchronization_v1_interface,
			min_u32(version, 2));
	} else if (strcmp(interface, wp_linux_drm_syncobj_manager_v1_interface.name) == 0 &&
		   opts->syncobj) {
		client->syncobj_manager = wl_registry_bind(
			registry, name, &wp_linux_drm_syncobj_manager_v1_interface, 1);
	}
}

static void registry_handle_global_remove(void *data, struct wl_registry *registry, uint32_t name)
{
}

static const struct wl_registry_listener registry_listener = {
	.global = registry_handle_global,
	.global_remove = registry_handle_global_remove,
};

static void client_handle_display(int fd, short revents, void *data)
{
	struct client *client = data;

	if (!(revents & (POLLIN | POLLERR | POLLHUP)) || !client->read_prepared)
		return;
	client->read_prepared = false;
	if (wl_display_read_events(client->display) < 0)
		client_display_failed(client);
}

static void client_handle_signal(int fd, short revents, void *data)
{
	struct client *client = data;
	struct signalfd_siginfo info;

	if (read(fd, &info, sizeof(info)) != sizeof(info))
		return;
	if (client->stopping) {
		log_msg(SB_INFO, "second %s: quitting without waiting",
			strsignal((int)info.ssi_signo));
		client->done = true;
		return;
	}
	client_stop(client, strsignal((int)info.ssi_signo));
}

static void client_handle_duration(void *data)
{
	struct client *client = data;

	client->duration_timer = NULL;
	client_stop(client, "--duration reached");
}

static void client_handle_drain(void *data)
{
	struct client *client = data;

	client->drain_timer = NULL;
	log_msg(SB_DEBUG, "--drain time over with frames still in flight");
	client->done = true;
}

/* Needed globals, by what needs them. Returns an enum exit_code. */
static int client_check_globals(struct client *client)
{
	const struct options *opts = client->opts;
	const char *missing = NULL, *why = NULL;
	char buffer_why[32];

	if (!client->compositor) {
		missing = "wl_compositor";
		why = "surfaces";
	} else if (!client->wm_base) {
		missing = "xdg_wm_base";
		why = "toplevel windows";
	} else if (!options_dmabuf(opts) && !client->shm) {
		missing = "wl_shm";
		why = "--buffer shm";
	} else if (options_dmabuf(opts) && !client->dmabuf) {
		if (client->dmabuf_version) {
			log_msg(SB_ERROR,
				"the compositor offers zwp_linux_dmabuf_v1 version %u; "
				"--buffer %s needs version %u",
				client->dmabuf_version, options_buffer_name(opts->buffer),
				opts->dmabuf_version ? opts->dmabuf_version : 3);
			return EXIT_MISSING;
		}
		missing = "zwp_linux_dmabuf_v1";
		snprintf(buffer_why, sizeof(buffer_why), "--buffer %s",
			 options_buffer_name(opts->buffer));
		why = buffer_why;
	} else if (opts->explicit_sync && !client->explicit_sync) {
		missing = "zwp_linux_explicit_synchronization_v1";
		why = opts->misbehave != MISBEHAVE_NONE ? "--misbehave" : "--explicit";
	} else if (opts->syncobj && !client->syncobj_manager) {
		missing = "wp_linux_drm_syncobj_manager_v1";
		why = "--syncobj";
	}
	if (missing) {
		log_msg(SB_ERROR, "the compositor does not advertise %s (needed for %s)", missing,
			why);
		return EXIT_MISSING;
	}
	if (!client->presentation)
		log_msg(SB_INFO, "no wp_presentation global: presentation times are not recorded");
	return EXIT_OK;
}

static int client_check_dmabuf_format(struct client *client)
{
	const struct options *opts = client->opts;
	uint32_t format = opts->format;

	if (!client->dmabuf)
		return EXIT_OK;
	if (!dmabuf_formats_complete(client->dmabuf_formats)) {
		log_msg(SB_ERROR, "zwp_linux_dmabuf_v1 v%u: no default feedback after a roundtrip",
			client->dmabuf_version);
		return EXIT_FAIL;
	}
	if (!dmabuf_formats_has(client->dmabuf_formats, format, DRM_FORMAT_MOD_LINEAR)) {
		log_msg(SB_ERROR,
			"zwp_linux_dmabuf_v1 v%u does not offer %.4s with "
			"DRM_FORMAT_MOD_LINEAR",
			client->dmabuf_version, (const char *)&format);
		return EXIT_MISSING;
	}
	return EXIT_OK;
}

/* 0, or -1 once the run is over (client_fail has the exit code). */
static int client_roundtrip(struct client *client)
{
	if (wl_display_roundtrip(client->display) >= 0)
		return 0;
	client_display_failed(client);
	return -1;
}

/* Turns an enum exit_code into 0 (go on) or -1 (stop, with client_fail). */
static int client_step(struct client *client, int code)
{
	if (code == EXIT_OK)
		return 0;
	client_fail(client, code);
	return -1;
}

static int client_setup_signals(struct client *client)
{
	sigset_t mask;

	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0) {
		log_errno(SB_ERROR, "sigprocmask");
		return -1;
	}
	client->signal_fd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	if (client->signal_fd < 0) {
		log_errno(SB_ERROR, "signalfd");
		return -1;
	}
	client->signal_watch =
		loop_add_fd(client->loop, client->signal_fd, POLLIN, client_handle_signal, client);
	return client->signal_watch ? 0 : -1;
}

static int client_connect(struct client *client)
{
	const char *name = client->opts->display;

	client->display = wl_display_connect(name);
	if (!client->display) {
		const char *runtime = getenv("XDG_RUNTIME_DIR");
		if (!name)
			name = getenv("WAYLAND_DISPLAY") ? getenv("WAYLAND_DISPLAY") : "wayland-0";
		log_errno(SB_ERROR,
			  "cannot connect to the Wayland display \"%s\" (XDG_RUNTIME_DIR=%s)", name,
			  runtime ? runtime : "unset");
		return client_step(client, EXIT_FAIL);
	}
	client->registry = wl_display_get_registry(client->display);
	wl_registry_add_listener(client->registry, &registry_listener, client);
	/* First the globals; then the events that follow binding (clock_id, formats). */
	if (client_roundtrip(client) < 0 || client_step(client, client_check_globals(client)) < 0 ||
	    client_roundtrip(client) < 0)
		return -1;
	return client_step(client, client_check_dmabuf_format(client));
}

static bool client_all_configured(struct client *client)
{
	struct window *window;

	wl_list_for_each(window, &client->windows, link) {
		if (!window->configured)
			return false;
	}
	return true;
}

/*
 * --fullscreen: the windows are mapped first, and the configure that answers set_fullscreen
 * gives the buffers' size (xdg_toplevel.state.fullscreen: the size is a maximum the window
 * geometry may not exceed; syncbridge sends the output's, which a buffer must match to be
 * scanned out). The first window's size is everyone's.
 */
static int client_take_fullscreen_size(struct client *client)
{
	struct window *first;

	while (!client_all_configured(client)) {
		if (wl_display_dispatch(client->display) < 0) {
			client_display_failed(client);
			return -1;
		}
	}
	first = wl_container_of(client->windows.next, first, link);
	if (first->configure_width <= 0 || first->configure_height <= 0) {
		log_msg(SB_INFO, "--fullscreen: the configure suggests no size; buffers are %ux%u",
			client->options.width, client->options.height);
		return 0;
	}
	client->options.width = (uint32_t)first->configure_width;
	client->options.height = (uint32_t)first->configure_height;
	log_msg(SB_DEBUG, "--fullscreen: buffers are %ux%u", client->options.width,
		client->options.height);
	return 0;
}

static int client_create_windows(struct client *client)
{
	bool fullscreen = client->opts->fullscreen;
	struct window *window;
	int code;

	for (int i = 0; i < client->opts->surfaces; i++) {
		window = window_create(client, i, &code);
		if (!window)
			return client_step(client, code);
		wl_list_insert(client->windows.prev, &window->link);
	}
	if (fullscreen) {
		wl_list_for_each(window, &client->windows, link)
			window_map(window);
		if (client_take_fullscreen_size(client) < 0)
			return -1;
		wl_list_for_each(window, &client->windows, link) {
			if (client_step(client, window_create_buffers(window)) < 0)
				return -1;
		}
	}
	/* zwp_linux_buffer_params_v1: created or failed arrive after create / create_immed. */
	if (client->dmabuf && client_roundtrip(client) < 0)
		return -1;
	wl_list_for_each(window, &client->windows, link) {
		if (client_step(client, window_check_buffers(window)) < 0)
			return -1;
	}
	wl_list_for_each(window, &client->windows, link) {
		if (fullscreen)
			window_start(window);
		else
			window_map(window);
	}
	return 0;
}

int client_init(struct client *client, const struct options *opts)
{
	*client = (struct client){
		.options = *opts,
		.color = opts->color,
		.presentation_clock = CLOCK_MONOTONIC,
		.signal_fd = -1,
		.syncobj_drm_fd = -1,
	};
	client->opts = &client->options;
	opts = client->opts;
	wl_list_init(&client->windows);
	client->loop = loop_create();
	if (!client->loop || client_setup_signals(client) < 0)
		return EXIT_FAIL;
	/* The host's devices first: without them nothing else matters. */
	client->allocator = allocator_create(opts);
	if (!client->allocator)
		return exit_code_for_errno(errno);
	if (opts->syncobj) {
		client->syncobj_drm_fd = drm_timeline_open_device();
		if (client->syncobj_drm_fd < 0)
			return EXIT_MISSING;
	}
	if (client_connect(client) < 0 || client_create_windows(client) < 0)
		return client->exit_code; /* EXIT_OK after an expected protocol error */
	client->display_watch = loop_add_fd(client->loop, wl_display_get_fd(client->display),
					    POLLIN, client_handle_display, client);
	if (!client->display_watch)
		return EXIT_FAIL;
	client->start_ns = now_ns();
	if (opts->duration_ns) {
		client->duration_timer =
			loop_add_timer(client->loop, client->start_ns + opts->duration_ns,
				       client_handle_duration, client);
		if (!client->duration_timer)
			return EXIT_FAIL;
	}
	return EXIT_OK;
}

/* One round: flush, poll, read, dispatch (wl_display_prepare_read protocol). */
static void client_iterate(struct client *client)
{
	struct wl_display *display = client->display;
	short events = POLLIN;

	while (wl_display_prepare_read(display) != 0) {
		if (wl_display_dispatch_pending(display) < 0) {
			client_display_failed(client);
			return;
		}
	}
	if (wl_display_flush(display) < 0) {
		if (errno != EAGAIN) {
			wl_display_cancel_read(display);
			client_display_failed(client);
			return;
		}
		/* The socket is full: poll for POLLOUT too and flush the rest next round. */
		events |= POLLOUT;
	}
	loop_fd_set_events(client->display_watch, events);
	client->read_prepared = true;
	if (loop_dispatch(client->loop, -1) < 0) {
		log_errno(SB_ERROR, "poll");
		client_fail(client, EXIT_FAIL);
	}
	if (client->read_prepared) {
		wl_display_cancel_read(display);
		client->read_prepared = false;
	}
	if (!client->done && wl_display_dispatch_pending(display) < 0)
		client_display_failed(client);
}

int client_run(struct client *client)
{
	const struct options *opts = client->opts;

	while (!client->done)
		client_iterate(client);
	if (!client->display || wl_display_get_error(client->display))
		return client->exit_code;
	/* Errors caused by the last requests arrive after them. */
	if (client->exit_code == EXIT_OK && wl_display_roundtrip(client->display) < 0)
		return client_display_error(client);
	if (client->exit_code == EXIT_OK && opts->expect_error) {
		log_msg(SB_ERROR, "the expected protocol error %s:%u did not happen",
			opts->expect_interface, opts->expect_code);
		return EXIT_FAIL;
	}
	return client->exit_code;
}

void client_finish(struct client *client)
{
	struct window *window, *tmp;

	wl_list_for_each_safe(window, tmp, &client->windows, link)
		window_destroy(window);
	dmabuf_formats_destroy(client->dmabuf_formats);
	if (client->dmabuf)
		zwp_linux_dmabuf_v1_destroy(client->dmabuf);
	if (client->explicit_sync)
		zwp_linux_explicit_synchronization_v1_destroy(client->explicit_sync);
	if (client->syncobj_manager)
		wp_linux_drm_syncobj_manager_v1_destroy(client->syncobj_manager);
	if (client->presentation)
		wp_presentation_destroy(client->presentation);
	if (client->wm_base)
		xdg_wm_base_destroy(client->wm_base);
	if (client->shm)
		wl_shm_destroy(client->shm);
	if (client->compositor)
		wl_compositor_destroy(client->compositor);
	if (client->registry)
		wl_registry_destroy(client->registry);
	if (client->display) {
		wl_display_flush(client->display);
		wl_display_disconnect(client->display);
	}
	allocator_destroy(client->allocator);
	loop_destroy(client->loop);
	if (client->signal_fd >= 0)
		close(client->signal_fd);
	/* After the windows: their timelines' handles live on this fd. */
	if (client->syncobj_drm_fd >= 0)
		close(client->syncobj_drm_fd);
}

void client_stop(struct client *client, const char *why)
{
	struct window *window;

	if (client->stopping)
		return;
	log_msg(SB_DEBUG, "stopping: %s", why);
	client->stopping = true;
	wl_list_for_each(window, &client->windows, link)
		window_stop(window);
	loop_timer_cancel(client->duration_timer);
	client->duration_timer = NULL;
	client->drain_timer = loop_add_timer(client->loop, now_ns() + client->opts->drain_ns,
					     client_handle_drain, client);
	if (!client->drain_timer)
		client->done = true;
	client_check_done(client);
}

void client_fail(struct client *client, int exit_code)
{
	if (client->done)
		return;
	client->exit_code = exit_code;
	client->done = true;
}

void client_check_done(struct client *client)
{
	struct window *window;

	if (client->done)
		return;
	if (!client->stopping) {
		wl_list_for_each(window, &client->windows, link) {
			if (!window->done_committing)
				return;
		}
		client_stop(client, "all frames committed");
		return;
	}
	wl_list_for_each(window, &client->windows, link) {
		if (!window_settled(window))
			return;
	}
	client->done = true;
}

uint64_t client_presentation_to_monotonic(const struct client *client, uint64_t ns)
{
	struct timespec ts;
	int64_t offset;

	if (client->presentation_clock == CLOCK_MONOTONIC)
		return ns;
	/* Another clock (e.g. CLOCK_MONOTONIC_RAW): shift by the clocks' offset now. */
	if (clock_gettime(client->presentation_clock, &ts) < 0)
		return ns;
	offset = (int64_t)now_ns() - ((int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec);
	return (uint64_t)((int64_t)ns + offset);
}
