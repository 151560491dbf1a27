// SPDX-License-Identifier: MIT
/*
 * syncbridge: a Wayland compositor that bridges explicit and implicit GPU synchronization.
 * main.c owns the server object and wires the pieces together, in layer order.
 */
#include <dlfcn.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <wlr/backend.h>
#include <wlr/backend/headless.h>
#include <wlr/backend/wayland.h>
#include <wlr/backend/x11.h>
#include <wlr/render/allocator.h>
#include <wlr/render/egl.h>
#include <wlr/render/gles2.h>
#include <wlr/render/wlr_renderer.h>
#include <wlr/types/wlr_compositor.h>
#include <wlr/types/wlr_data_device.h>
#include <wlr/types/wlr_output_layout.h>
#include <wlr/types/wlr_scene.h>
#include <wlr/types/wlr_viewporter.h>
#include <wlr/types/wlr_xdg_output_v1.h>
#include <wlr/types/wlr_xdg_shell.h>
#include <wlr/util/log.h>

#include <syncbridge/log.h>
#include <syncbridge/probe.h>

#include "bounded_sync.h"
#include "capture_trigger.h"
#include "capture_window.h"
#include "commit_gate.h"
#include "commit_timing_v1.h"
#include "control_socket.h"
#include "desktop_protocols.h"
#include "fifo_v1.h"
#include "presentation_time.h"
#include "explicit_sync_v1.h"
#include "export_dmabuf_v1.h"
#include "frame_clock.h"
#include "gate_log.h"
#include "gate_trace.h"
#include "guards.h"
#include "kms_out_fence.h"
#include "layer_shell.h"
#include "linux_dmabuf_v1.h"
#include "release.h"
#include "render_fence.h"
#include "renderer.h"
#include "screencopy_v1.h"
#include "server.h"
#include "surface_dispatch.h"
#include "syncobj_v1.h"
#include "trace.h"
#include "xwayland.h"
#include "test_control.h"

static const char usage[] =
	"usage: syncbridge [options]\n"
	"  -c, --config FILE        weston.ini-style configuration (default: "
	"$XDG_CONFIG_HOME/syncbridge.ini)\n"
	"      --backend NAME       auto, headless, wayland, x11 or drm\n"
	"      --renderer NAME      auto, pixman or gles2\n"
	"      --output-size WxH    size of the (first) output\n"
	"      --scale S            scale of the outputs\n"
	"      --refresh HZ         refresh rate of the outputs\n"
	"      --implicit MODE      snapshot, poll or none: how dma-buf commits wait\n"
	"      --acquire MODE       cpu or kms: who waits for an explicit acquire fence of a\n"
	"                           buffer that can be scanned out directly\n"
	"      --socket NAME        the Wayland socket (default: the first free wayland-N)\n"
	"      --screenshot FILE    write a PNG when --capture-when says (and on SIGUSR1)\n"
	"      --capture-when WHEN  exit (default): the --exec client's last frame, as its\n"
	"                           window unmaps, else at exit; mapped; settled[:N] (the\n"
	"                           same picture for N frames, default 10); frame:N (its Nth\n"
	"                           presented frame); after:MS (after its map). All but exit\n"
	"                           end the run once the picture is written (status 0)\n"
	"      --capture-window ID  the window they watch: its app_id or title (app_id=ID,\n"
	"                           title=TITLE to say which); default: the first mapped\n"
	"      --capture-crop WHAT  output (default) or window (with its subsurfaces, popups)\n"
	"      --capture-output NAME  the output to capture (default: the first)\n"
	"      --capture-timeout S  fail (status 1) if the trigger has not fired in S seconds\n"
	"                           (default 30; 0: never)\n"
	"      --frame-clock MODE   real (default) or stepped: frame callbacks and presentation\n"
	"                           times advance one refresh per frame, frames wait for clients\n"
	"      --background RRGGBB  the colour under every window (default 000000)\n"
	"      --control PATH       a control socket for sb-ctl (shot, wait, windows, quit)\n"
	"      --exec CMD           run CMD (sh -c) as a client; exit with its status\n"
	"      --trace FILE         write a Chrome trace-event JSON of every commit's sync\n"
	"                           (Perfetto's UI, chrome://tracing; scripts/trace-merge.py)\n"
	"      --probe              print what the kernel offers for sync, and exit\n"
	"  -d, --debug              debug logs (one line per gated commit)\n"
	"  -h, --help               this text\n";

static bool drm_device_present(void)
{
	return access("/dev/dri/card0", F_OK) == 0;
}

static struct wlr_backend *create_backend(struct sb_server *server)
{
	enum sb_backend_kind kind = server->config.backend;

	if (kind == SB_BACKEND_AUTO) {
		/* Nested inside a parent display if there is one; DRM on a seat; else headless. */
		if (getenv("WAYLAND_DISPLAY"))
			kind = SB_BACKEND_WAYLAND;
		else if (getenv("DISPLAY"))
			kind = SB_BACKEND_X11;
		else if (drm_device_present())
			kind = SB_BACKEND_DRM;
		else
			kind = SB_BACKEND_HEADLESS;
	}
	server->backend_kind = kind;
	switch (kind) {
	case SB_BACKEND_WAYLAND:
		wlr_log(WLR_INFO, "backend: wayland (nested in %s)", getenv("WAYLAND_DISPLAY"));
		return wlr_wl_backend_create(server->display, NULL);
	case SB_BACKEND_X11:
		wlr_log(WLR_INFO, "backend: x11 (nested in %s)", getenv("DISPLAY"));
		return wlr_x11_backend_create(server->display, NULL);
	case SB_BACKEND_DRM:
		wlr_log(WLR_INFO, "backend: drm, through libseat");
		/* Out-fences of the page flips: read fences for the client buffers flipped away. */
		kms_out_fence_enable(true);
		setenv("WLR_BACKENDS", "drm,libinput", 1);
		/*
		 * wlroots refuses to start libinput without an input device unless told; a
		 * display-only seat (a VM's virtio-gpu, a kiosk screen) is still a desktop.
		 */
		setenv("WLR_LIBINPUT_NO_DEVICES", "1", 0);
		return wlr_backend_autocreate(server->display);
	case SB_BACKEND_HEADLESS:
	case SB_BACKEND_AUTO:
		break;
	}
	wlr_log(WLR_INFO, "backend: headless");
	return wlr_headless_backend_create(server->display);
}

/* Nested and headless backends make outputs on request: one per [output] section, or one. */
static void add_outputs(struct sb_server *server)
{
	size_t n = server->config.n_outputs ? server->config.n_outputs : 1;

	for (size_t i = 0; i < n; i++) {
		const struct sb_output_config *oc =
			server->config.n_outputs ? &server->config.outputs[i] : NULL;
		int width = oc && oc->width > 0 ? oc->width : 1280;
		int height = oc && oc->height > 0 ? oc->height : 720;

		if (wlr_backend_is_headless(server->backend))
			wlr_headless_add_output(server->backend, (unsigned int)width,
						(unsigned int)height);
		else if (wlr_backend_is_wl(server->backend))
			wlr_wl_output_create(server->backend);
		else if (wlr_backend_is_x11(server->backend))
			wlr_x11_output_create(server->backend);
	}
}

/*
 * Mesa's software rasterizers behind a GLES2 context: kms_swrast is what Mesa falls back to on a
 * KMS device without a 3D driver (virtio-gpu without virgl), and wlroots 0.15's check for
 * software EGL devices (EGL_MESA_device_software) does not see it, since the device is real.
 */
static bool renderer_is_software_gl(struct wlr_renderer *renderer)
{
	/* GL_RENDERER, from GLES2/gl2.h: looked up at run time, libwlroots brings libGLESv2. */
	const unsigned int gl_renderer = 0x1F01;
	const unsigned char *(*get_string)(unsigned int);
	struct wlr_egl *egl;
	const char *name;
	bool software;

	if (!wlr_renderer_is_gles2(renderer))
		return false;
	egl = wlr_gles2_renderer_get_egl(renderer);
	*(void **)&get_string = dlsym(RTLD_DEFAULT, "glGetString");
	if (!get_string || !wlr_egl_make_current(egl))
		return false;
	name = (const char *)get_string(gl_renderer);
	software = name &&
		   (strstr(name, "llvmpipe") || strstr(name, "softpipe") || strstr(name, "swrast"));
	if (software)
		wlr_log(WLR_INFO, "renderer: GLES2 would run on %s", name);
	wlr_egl_unset_current(egl);
	return software;
}

static struct wlr_renderer *create_renderer(struct sb_server *server)
{
	struct wlr_renderer *renderer;

	if (server->config.renderer == SB_RENDERER_PIXMAN)
		setenv("WLR_RENDERER", "pixman", 1);
	else if (server->config.renderer == SB_RENDERER_GLES2)
		setenv("WLR_RENDERER", "gles2", 1);
	/* auto: GLES2 where a DRM render node can run it, pixman otherwise. */
	renderer = wlr_renderer_autocreate(server->backend);
	if (server->config.renderer != SB_RENDERER_AUTO || !renderer ||
	    !renderer_is_software_gl(renderer))
		return renderer;
	/* auto means the GPU: a CPU rasterizer under GL is slower than pixman, and less safe. */
	wlr_log(WLR_INFO, "renderer: auto takes pixman rather than software GL");
	wlr_renderer_destroy(renderer);
	setenv("WLR_RENDERER", "pixman", 1);
	return wlr_renderer_autocreate(server->backend);
}

static void guards_destroy(struct sb_server *server)
{
	if (server->xdg_guard)
		wl_protocol_logger_destroy(server->xdg_guard);
	sb_subsurface_guard_destroy(server->subsurface_guard);
	server->xdg_guard = server->subsurface_guard = NULL;
}

static bool create_globals(struct sb_server *server)
{
	struct wl_display *display = server->display;

	if (!wlr_renderer_init_wl_display(server->renderer, display))
		return false;
	server->compositor = wlr_compositor_create(display, server->renderer);
	if (server->compositor && !sb_surface_dispatch_create(server->compositor))
		return false;
	server->output_layout = wlr_output_layout_create();
	server->scene = wlr_scene_create();
	server->xdg_shell = wlr_xdg_shell_create(display);
	if (!server->compositor || !server->output_layout || !server->scene || !server->xdg_shell)
		return false;
	/* The pixman renderer offers no dma-buf formats: linux-dmabuf is served here instead. */
	if (!wlr_renderer_get_dmabuf_texture_formats(server->renderer) &&
	    !sb_linux_dmabuf_v1_create(display, server->renderer,
				       wlr_backend_get_drm_fd(server->backend),
				       server->bounded_sync))
		return false;
	/* wlroots 0.15's wlr_compositor also serves wl_subcompositor. */
	if (!wlr_data_device_manager_create(display) || !wlr_viewporter_create(display) ||
	    !wlr_xdg_output_manager_v1_create(display, server->output_layout) ||
	    !sb_screencopy_v1_create(display, server->bounded_sync) ||
	    !sb_export_dmabuf_v1_create(server))
		return false;
	wlr_scene_attach_output_layout(server->scene, server->output_layout);
	/* Before any window: it makes the scene's layers, the windows' tree among them. */
	if (!sb_layer_shell_create(server))
		return false;
	server->new_xdg_surface.notify = server_new_xdg_surface;
	wl_signal_add(&server->xdg_shell->events.new_surface, &server->new_xdg_surface);
	server->xdg_guard = sb_xdg_guard_create(display);
	server->subsurface_guard = sb_subsurface_guard_create(display);
	return server->xdg_guard && server->subsurface_guard && seat_init(server) &&
	       sb_desktop_protocols_create(server);
}

static int handle_terminate(int signal, void *data)
{
	struct sb_server *server = data;

	wlr_log(WLR_INFO, "signal %d: exiting", signal);
	wl_display_terminate(server->display);
	return 0;
}

static int handle_usr1(int signal, void *data)
{
	struct sb_server *server = data;

	if (server->screenshot_path && screenshot_write_png(server, server->screenshot_path))
		server->screenshot_taken = true;
	return 0;
}

static int handle_child(int signal, void *data)
{
	struct sb_server *server = data;
	int status;
	pid_t pid;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		if (pid != server->exec_pid)
			continue;
		server->exit_status =
			WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
		wlr_log(WLR_INFO, "--exec client exited with status %d", server->exit_status);
		server->exec_pid = 0;
		wl_display_terminate(server->display);
	}
	return 0;
}

/*
 * Every held commit keeps a fence fd open until it signals: 1000 clients' surfaces held at once
 * must not exhaust the default soft limit of 1024. Raised to the hard limit, as sway does.
 */
static void raise_fd_limit(struct sb_server *server)
{
	struct rlimit limit;

	if (getrlimit(RLIMIT_NOFILE, &limit) < 0 || limit.rlim_cur >= limit.rlim_max)
		return;
	server->nofile_soft = (unsigned long)limit.rlim_cur;
	limit.rlim_cur = limit.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &limit) < 0) {
		server->nofile_soft = 0;
		return;
	}
	wlr_log(WLR_DEBUG, "open files: soft limit raised from %lu to %llu", server->nofile_soft,
		(unsigned long long)limit.rlim_max);
}

/* sh -c command in a process group of its own: the --exec client (exec) or an [autostart] one. */
static bool spawn(struct sb_server *server, const char *command, bool exec)
{
	pid_t pid = fork();

	if (pid < 0) {
		wlr_log_errno(WLR_ERROR, "%s: fork failed", exec ? "--exec" : "[autostart]");
		return false;
	}
	if (pid == 0) {
		sigset_t set;

		/* wl_event_loop_add_signal blocked these in the parent; the client starts clean. */
		sigemptyset(&set);
		sigprocmask(SIG_SETMASK, &set, NULL);
		/* Nor does it inherit the compositor's raised fd limit (select() users break). */
		if (server->nofile_soft) {
			struct rlimit limit;

			getrlimit(RLIMIT_NOFILE, &limit);
			limit.rlim_cur = (rlim_t)server->nofile_soft;
			setrlimit(RLIMIT_NOFILE, &limit);
		}
		/* A process group of its own: ending the client ends what it started too. */
		setpgid(0, 0);
		execl("/bin/sh", "/bin/sh", "-c", command, (char *)NULL);
		_exit(127);
	}
	/* Also here: whichever of the two runs first, the group exists before it is signalled. */
	setpgid(pid, pid);
	if (!exec) {
		wlr_log(WLR_INFO, "autostart: pid %d: %s", (int)pid, command);
		server->autostart_groups[server->n_autostart_groups++] = pid;
		return true;
	}
	server->exec_pid = pid;
	server->exec_group = pid;
	return true;
}

enum long_option {
	OPT_BACKEND = 256,
	OPT_RENDERER,
	OPT_OUTPUT_SIZE,
	OPT_SCALE,
	OPT_REFRESH,
	OPT_IMPLICIT,
	OPT_ACQUIRE,
	OPT_SOCKET,
	OPT_SCREENSHOT,
	OPT_EXEC,
	OPT_PROBE,
	OPT_TRACE,
	OPT_CAPTURE_WHEN,
	OPT_CAPTURE_WINDOW,
	OPT_CAPTURE_CROP,
	OPT_CAPTURE_OUTPUT,
	OPT_CAPTURE_TIMEOUT,
	OPT_FRAME_CLOCK,
	OPT_BACKGROUND,
	OPT_CONTROL,
};

/* The capture options (capture_trigger.h); false with a message on stderr if one is wrong. */
static bool capture_option(struct sb_server *server, struct sb_capture_spec *spec, int opt,
			   const char *arg, bool *stepped)
{
	char err[256], *end;
	unsigned long v;

	switch (opt) {
	case OPT_CAPTURE_WHEN:
		if (!capture_spec_parse_when(spec, arg, err, sizeof(err))) {
			fprintf(stderr, "syncbridge: --capture-when %s\n", err);
			return false;
		}
		return true;
	case OPT_CAPTURE_WINDOW:
		spec->window = arg;
		return true;
	case OPT_CAPTURE_CROP:
		spec->crop_window = strcmp(arg, "window") == 0;
		if (spec->crop_window || strcmp(arg, "output") == 0)
			return true;
		fprintf(stderr, "syncbridge: --capture-crop %s: output or window\n", arg);
		return false;
	case OPT_CAPTURE_OUTPUT:
		spec->output = arg;
		return true;
	case OPT_CAPTURE_TIMEOUT:
		v = strtoul(arg, &end, 10);
		if (*arg < '0' || *arg > '9' || *end != '\0' || v > 86400) {
			fprintf(stderr, "syncbridge: --capture-timeout %s: 0 to 86400 seconds\n",
				arg);
			return false;
		}
		spec->timeout_ms = (uint32_t)v * 1000;
		return true;
	case OPT_FRAME_CLOCK:
		*stepped = strcmp(arg, "stepped") == 0;
		if (*stepped || strcmp(arg, "real") == 0)
			return true;
		fprintf(stderr, "syncbridge: --frame-clock %s: real or stepped\n", arg);
		return false;
	case OPT_BACKGROUND:
		v = strtoul(arg, &end, 16);
		if (strlen(arg) != 6 || *end != '\0') {
			fprintf(stderr, "syncbridge: --background %s: RRGGBB in hex\n", arg);
			return false;
		}
		server->background[0] = (float)((v >> 16) & 0xff) / 255.0f;
		server->background[1] = (float)((v >> 8) & 0xff) / 255.0f;
		server->background[2] = (float)(v & 0xff) / 255.0f;
		return true;
	}
	return false;
}

/* A rectangle under every window, larger than any layout: the background. Black needs none. */
static bool create_background(struct sb_server *server)
{
	const float *bg = server->background;

	if (bg[0] == 0 && bg[1] == 0 && bg[2] == 0)
		return true;
	server->background_rect = wlr_scene_rect_create(&server->scene->node, 16384, 16384, bg);
	if (!server->background_rect)
		return false;
	wlr_scene_node_lower_to_bottom(&server->background_rect->node);
	return true;
}

/* A command-line option that overrides a configuration key: the same checks apply. */
struct override {
	int option;
	const char *section, *key;
};

static const struct override overrides[] = {
	{OPT_BACKEND, "core", "backend"},    {OPT_RENDERER, "core", "renderer"},
	{OPT_OUTPUT_SIZE, "output", "size"}, {OPT_SCALE, "output", "scale"},
	{OPT_REFRESH, "output", "refresh"},  {OPT_IMPLICIT, "sync", "implicit"},
	{OPT_ACQUIRE, "sync", "acquire"},
};

int main(int argc, char *argv[])
{
	static const struct option options[] = {
		{"config", required_argument, NULL, 'c'},
		{"debug", no_argument, NULL, 'd'},
		{"help", no_argument, NULL, 'h'},
		{"backend", required_argument, NULL, OPT_BACKEND},
		{"renderer", required_argument, NULL, OPT_RENDERER},
		{"output-size", required_argument, NULL, OPT_OUTPUT_SIZE},
		{"scale", required_argument, NULL, OPT_SCALE},
		{"refresh", required_argument, NULL, OPT_REFRESH},
		{"implicit", required_argument, NULL, OPT_IMPLICIT},
		{"acquire", required_argument, NULL, OPT_ACQUIRE},
		{"socket", required_argument, NULL, OPT_SOCKET},
		{"screenshot", required_argument, NULL, OPT_SCREENSHOT},
		{"exec", required_argument, NULL, OPT_EXEC},
		{"probe", no_argument, NULL, OPT_PROBE},
		{"trace", required_argument, NULL, OPT_TRACE},
		{"capture-when", required_argument, NULL, OPT_CAPTURE_WHEN},
		{"capture-window", required_argument, NULL, OPT_CAPTURE_WINDOW},
		{"capture-crop", required_argument, NULL, OPT_CAPTURE_CROP},
		{"capture-output", required_argument, NULL, OPT_CAPTURE_OUTPUT},
		{"capture-timeout", required_argument, NULL, OPT_CAPTURE_TIMEOUT},
		{"frame-clock", required_argument, NULL, OPT_FRAME_CLOCK},
		{"background", required_argument, NULL, OPT_BACKGROUND},
		{"control", required_argument, NULL, OPT_CONTROL},
		{0},
	};
	struct sb_server server = {.exit_status = 0, .background = {0, 0, 0, 1}};
	struct sb_capture_spec capture = {.when = SB_CAPTURE_EXIT, .timeout_ms = 30000};
	const char *config_path = NULL, *socket = NULL, *exec_command = NULL, *trace_path = NULL;
	const char *control_path = NULL;
	bool capture_options = false, stepped = false;
	const char *override_values[sizeof(overrides) / sizeof(overrides[0])] = {0};
	struct wl_event_source *signals[4] = {0};
	char path_buf[4096], err[512];
	bool debug = false;
	int opt;

	while ((opt = getopt_long(argc, argv, "c:dh", options, NULL)) != -1) {
		switch (opt) {
		case 'c':
			config_path = optarg;
			break;
		case 'd':
			debug = true;
			break;
		case 'h':
			fputs(usage, stdout);
			return 0;
		case OPT_SOCKET:
			socket = optarg;
			break;
		case OPT_SCREENSHOT:
			server.screenshot_path = optarg;
			break;
		case OPT_EXEC:
			exec_command = optarg;
			break;
		case OPT_TRACE:
			trace_path = optarg;
			break;
		case OPT_CONTROL:
			control_path = optarg;
			break;
		case OPT_CAPTURE_WHEN:
		case OPT_CAPTURE_WINDOW:
		case OPT_CAPTURE_CROP:
		case OPT_CAPTURE_OUTPUT:
		case OPT_CAPTURE_TIMEOUT:
			capture_options = true;
			/* fall through */
		case OPT_FRAME_CLOCK:
		case OPT_BACKGROUND:
			if (!capture_option(&server, &capture, opt, optarg, &stepped))
				return 2;
			break;
		case OPT_PROBE:
			sb_log_init(SB_ERROR, NULL);
			printf("%d capabilities found\n", sb_probe_report(stdout));
			return 0;
		default: {
			size_t i;

			for (i = 0; i < sizeof(overrides) / sizeof(overrides[0]); i++) {
				if (overrides[i].option == opt)
					break;
			}
			if (i == sizeof(overrides) / sizeof(overrides[0])) {
				fputs(usage, stderr);
				return 2;
			}
			override_values[i] = optarg;
		}
		}
	}
	if (optind < argc) {
		fputs(usage, stderr);
		return 2;
	}
	if (capture_options && !server.screenshot_path) {
		fputs("syncbridge: the --capture-* options say when and what --screenshot FILE "
		      "takes: give it\n",
		      stderr);
		return 2;
	}
	/* exit: the picture is taken when the client goes, however long that is. */
	if (capture.when == SB_CAPTURE_EXIT)
		capture.timeout_ms = 0;
	server_log_init(debug);

	sb_config_init_defaults(&server.config);
	if (!config_path) {
		config_path = sb_config_default_path(path_buf, sizeof(path_buf));
		if (config_path && access(config_path, F_OK) != 0)
			config_path = NULL;
	}
	if (config_path &&
	    sb_config_parse_file(&server.config, config_path, err, sizeof(err)) < 0) {
		wlr_log(WLR_ERROR, "%s", err);
		fprintf(stderr, "syncbridge: %s\n", err);
		return 1;
	}
	for (size_t i = 0; i < sizeof(overrides) / sizeof(overrides[0]); i++) {
		if (override_values[i] &&
		    sb_config_set(&server.config, overrides[i].section, overrides[i].key,
				  override_values[i], err, sizeof(err)) < 0) {
			fprintf(stderr, "syncbridge: %s\n", err);
			sb_config_finish(&server.config);
			return 2;
		}
	}

	wl_list_init(&server.outputs);
	wl_list_init(&server.views);
	wl_signal_init(&server.events.new_view);
	wl_list_init(&server.capture_windows);
	wl_list_init(&server.capture_triggers);
	wl_list_init(&server.capture_new_view.link);
	raise_fd_limit(&server);
	server.display = wl_display_create();
	server.loop = wl_display_get_event_loop(server.display);
	server.backend = create_backend(&server);
	if (!server.backend) {
		wlr_log(WLR_ERROR, "no backend could start (try --backend headless)");
		goto err_display;
	}
	server.renderer = sb_renderer_create(create_renderer(&server));
	server.allocator =
		server.renderer ? wlr_allocator_autocreate(server.backend, server.renderer) : NULL;
	if (!server.renderer || !server.allocator) {
		wlr_log(WLR_ERROR, "no renderer or allocator for this backend");
		goto err_backend;
	}
	server.render_fence = render_fence_create(server.renderer);
	/* Without it the compositor runs on, never taking a SYNC(START) that could block. */
	server.bounded_sync = sb_bounded_sync_create();
	if (!create_globals(&server)) {
		wlr_log(WLR_ERROR, "cannot create the protocol globals");
		goto err_backend;
	}
	server.frame_clock = frame_clock_create(server.display, server.compositor, stepped);
	if (!server.frame_clock || !capture_windows_init(&server) || !create_background(&server) ||
	    (server.screenshot_path && !capture_command_line_start(&server, &capture)))
		goto err_backend;
	if (trace_path && !(server.trace = sb_trace_create(trace_path)))
		goto err_backend;
	server.gate = commit_gate_create(server.display, server.config.sync.implicit);
	if (!server.gate)
		goto err_backend;
	if (server.trace && !gate_trace_subscribe(server.gate, server.trace))
		goto err_gate;
	if (debug && !gate_log_subscribe(server.gate))
		goto err_gate;
	if (!sb_release_hold_replaced(server.gate, server.loop))
		goto err_gate;
	commit_gate_set_deadline_func(server.gate, server_next_present_ns, &server);
	commit_gate_set_acquire(server.gate, server.config.sync.acquire, server_surface_can_scanout,
				&server);
	/* Both optional: without them the compositor still serves implicit sync. */
	server.syncobj_v1 = sb_syncobj_v1_create(
		server.display, server.gate,
		server.renderer ? wlr_renderer_get_drm_fd(server.renderer) : -1);
	server.explicit_sync_v1 = sb_explicit_sync_v1_create(server.display, server.gate);
	server.new_output.notify = server_new_output;
	wl_signal_add(&server.backend->events.new_output, &server.new_output);
	/* After new_output: fifo_v1's frame listeners must run after the outputs' own. */
	server.fifo_v1 = sb_fifo_v1_create(server.display, server.backend, server.gate);
	server.commit_timing_v1 =
		sb_commit_timing_v1_create(server.display, server.backend, server.gate);
	/* wp_presentation: syncbridge's own, its feedbacks follow the gate's commits. */
	server.presentation =
		sb_presentation_create(server.display, server.backend, server.scene, server.gate);
	if (!server.fifo_v1 || !server.commit_timing_v1 || !server.presentation)
		goto err_gate;

	if (!wlr_backend_start(server.backend)) {
		wlr_log(WLR_ERROR, "cannot start the backend");
		goto err_gate;
	}
	add_outputs(&server);
	/* Last: a client that finds the socket finds the outputs too. */
	if (socket ? wl_display_add_socket(server.display, socket) < 0
		   : !(socket = wl_display_add_socket_auto(server.display))) {
		wlr_log_errno(WLR_ERROR, "cannot create the Wayland socket");
		goto err_gate;
	}
	setenv("WAYLAND_DISPLAY", socket, 1);
	wlr_log(WLR_INFO, "running on WAYLAND_DISPLAY=%s", socket);
	/* [xwayland]: DISPLAY is set before any client is started; a failure is logged, not fatal. */
	if (sb_config_xwayland_enabled(&server.config, server.backend_kind))
		server.xwayland = sb_xwayland_create(&server);
	/* Only under a test harness; its state goes with the display. */
	if (!test_control_init(&server))
		goto err_gate;
	if (control_path && !(server.control = control_socket_create(&server, control_path)))
		goto err_gate;

	signals[0] = wl_event_loop_add_signal(server.loop, SIGTERM, handle_terminate, &server);
	signals[1] = wl_event_loop_add_signal(server.loop, SIGINT, handle_terminate, &server);
	signals[2] = wl_event_loop_add_signal(server.loop, SIGUSR1, handle_usr1, &server);
	signals[3] = wl_event_loop_add_signal(server.loop, SIGCHLD, handle_child, &server);
	for (size_t i = 0; i < server.config.n_autostart; i++)
		spawn(&server, server.config.autostart[i], false);
	if (exec_command && !spawn(&server, exec_command, true))
		goto err_signals;

	wl_display_run(server.display);

	/*
	 * At exit, unless a trigger or SIGUSR1 already took it: with --capture-when exit the
	 * clients are still connected if the --exec client's exit was seen before its windows'.
	 */
	if (server.screenshot_path && !capture_command_line_finish(&server) &&
	    server.exit_status == 0)
		server.exit_status = 1;
	/* The client and what it started (a client put in the background by its script). */
	if (server.exec_group > 0)
		kill(-server.exec_group, SIGTERM);
	for (size_t i = 0; i < server.n_autostart_groups; i++)
		kill(-server.autostart_groups[i], SIGTERM);
	control_socket_destroy(server.control);
	sb_xwayland_destroy(server.xwayland);
	wl_display_destroy_clients(server.display);
	/* What the clients' going scheduled (seat_keyboard.c's frees of virtual keyboards). */
	wl_event_loop_dispatch_idle(server.loop);
	capture_windows_finish(&server);
	sb_desktop_protocols_destroy(server.desktop_protocols);
	sb_layer_shell_destroy(server.layer_shell);
	frame_clock_destroy(server.frame_clock);
	for (size_t i = 0; i < sizeof(signals) / sizeof(signals[0]); i++)
		if (signals[i])
			wl_event_source_remove(signals[i]);
	seat_finish(&server);
	guards_destroy(&server);
	sb_explicit_sync_v1_destroy(server.explicit_sync_v1);
	sb_syncobj_v1_destroy(server.syncobj_v1);
	sb_commit_timing_v1_destroy(server.commit_timing_v1);
	sb_fifo_v1_destroy(server.fifo_v1);
	sb_presentation_destroy(server.presentation);
	commit_gate_destroy(server.gate);
	/* As tinywl: the display's destruction takes the backend and its outputs with it. */
	wl_display_destroy(server.display);
	/*
	 * The layout before the scene: wlr_scene_attach_output_layout's helper listens to the
	 * layout and, in wlroots 0.15, reaches into the scene when the layout goes.
	 */
	wlr_output_layout_destroy(server.output_layout);
	wlr_scene_node_destroy(&server.scene->node);
	render_fence_destroy(server.render_fence);
	wlr_allocator_destroy(server.allocator);
	wlr_renderer_destroy(server.renderer);
	/* Last: surfaces and outputs write to it until the display is gone. */
	sb_trace_destroy(server.trace);
	/* After everything that borrows it: the dma-heap allocator's buffers outlive the allocator. */
	sb_bounded_sync_destroy(server.bounded_sync);
	sb_config_finish(&server.config);
	return server.exit_status;

err_signals:
	for (size_t i = 0; i < sizeof(signals) / sizeof(signals[0]); i++)
		if (signals[i])
			wl_event_source_remove(signals[i]);
err_gate:
	control_socket_destroy(server.control);
	sb_xwayland_destroy(server.xwayland);
	sb_explicit_sync_v1_destroy(server.explicit_sync_v1);
	sb_syncobj_v1_destroy(server.syncobj_v1);
	sb_commit_timing_v1_destroy(server.commit_timing_v1);
	sb_fifo_v1_destroy(server.fifo_v1);
	sb_presentation_destroy(server.presentation);
	commit_gate_destroy(server.gate);
err_backend:
	capture_trigger_destroy(server.capture);
	capture_windows_finish(&server);
	sb_desktop_protocols_destroy(server.desktop_protocols);
	sb_layer_shell_destroy(server.layer_shell);
	frame_clock_destroy(server.frame_clock);
	seat_finish(&server);
	guards_destroy(&server);
	wlr_backend_destroy(server.backend);
	render_fence_destroy(server.render_fence);
err_display:
	wl_display_destroy(server.display);
	sb_trace_destroy(server.trace);
	sb_bounded_sync_destroy(server.bounded_sync);
	sb_config_finish(&server.config);
	return 1;
}
