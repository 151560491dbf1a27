// SPDX-License-Identifier: MIT
/*
 * Host: pointer input of syncbridge, seen from a window client while a second client drives a
 * zwlr_virtual_pointer_v1. Each test starts its own compositor (headless, pixman, 1280x720).
 *   pointer_test /path/to/syncbridge
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/input-event-codes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <wayland-client.h>

#include "tap.h"
#include "wlr-virtual-pointer-unstable-v1-client-protocol.h"
#include "xdg-shell-client-protocol.h"

#define OUTPUT_W 1280
#define OUTPUT_H 720
#define WIN_SIZE 200
/* syncbridge cascades new toplevels by 32 px: the first at the origin, the second here. */
#define CASCADE 32

static const char *syncbridge;

struct compositor {
	pid_t pid;
	char dir[128];
};

struct window {
	struct wl_surface *surface;
	struct xdg_surface *xdg_surface;
	struct xdg_toplevel *toplevel;
	struct wl_buffer *buffer;
	bool configured;
	bool activated;
	/* The last xdg_toplevel.configure's size and states. */
	int32_t width, height;
	bool maximized, fullscreen;
};

/* What the window client's wl_pointer received, in order of arrival. */
struct pointer_log {
	struct wl_surface *focus; /* since the last enter, NULL after leave */
	double enter_x, enter_y;
	double motion_x, motion_y;
	int enters, leaves, motions, frames;
	uint32_t button, button_state, button_serial;
	int buttons;
	uint32_t axis;
	double axis_value;
	int axes;
};

struct client {
	struct wl_display *display;
	struct wl_registry *registry;
	struct wl_compositor *compositor;
	struct wl_subcompositor *subcompositor;
	struct wl_shm *shm;
	struct xdg_wm_base *wm_base;
	struct wl_seat *seat;
	struct wl_pointer *pointer;
	struct zwlr_virtual_pointer_manager_v1 *vptr_manager;
	struct pointer_log log;
};

static bool compositor_start(struct compositor *comp)
{
	const char *tmp = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	char socket_path[192];

	snprintf(comp->dir, sizeof(comp->dir), "%s/sb-pointer-XXXXXX", tmp);
	if (!mkdtemp(comp->dir))
		return false;
	comp->pid = fork();
	if (comp->pid < 0)
		return false;
	if (comp->pid == 0) {
		setenv("XDG_RUNTIME_DIR", comp->dir, 1);
		setenv("XDG_CONFIG_HOME", comp->dir, 1);
		unsetenv("WAYLAND_DISPLAY");
		unsetenv("DISPLAY");
		execl(syncbridge, syncbridge, "--backend", "headless", "--renderer", "pixman",
		      "--output-size", "1280x720", "--socket", "sb-pointer", (char *)NULL);
		_exit(127);
	}
	/*
	 * Ready once a client gets an answer: the socket file exists from bind(), before
	 * listen() and before the compositor's loop (and its SIGTERM handler) runs.
	 */
	snprintf(socket_path, sizeof(socket_path), "%s/sb-pointer", comp->dir);
	for (int i = 0; i < 2000; i++) {
		struct wl_display *display = wl_display_connect(socket_path);
		bool answered = display && wl_display_roundtrip(display) >= 0;

		if (display)
			wl_display_disconnect(display);
		if (answered)
			return true;
		if (waitpid(comp->pid, NULL, WNOHANG) != 0) {
			comp->pid = 0;
			return false;
		}
		usleep(10000);
	}
	return false;
}

/* SIGTERM and wait; true if it exited by itself with status 0. */
static bool compositor_stop(struct compositor *comp)
{
	char path[192];
	int status = -1;

	if (comp->pid <= 0)
		return false;
	kill(comp->pid, SIGTERM);
	for (int i = 0; i < 1000 && waitpid(comp->pid, &status, WNOHANG) == 0; i++)
		usleep(10000);
	if (waitpid(comp->pid, NULL, WNOHANG) == 0) {
		kill(comp->pid, SIGKILL);
		waitpid(comp->pid, &status, 0);
		status = -1;
	}
	comp->pid = 0;
	snprintf(path, sizeof(path), "%s/sb-pointer.lock", comp->dir);
	unlink(path);
	rmdir(comp->dir);
	return status == 0;
}

static void pointer_enter(void *data, struct wl_pointer *pointer, uint32_t serial,
			  struct wl_surface *surface, wl_fixed_t x, wl_fixed_t y)
{
	struct pointer_log *log = data;

	log->focus = surface;
	log->enter_x = wl_fixed_to_double(x);
	log->enter_y = wl_fixed_to_double(y);
	log->enters++;
}

static void pointer_leave(void *data, struct wl_pointer *pointer, uint32_t serial,
			  struct wl_surface *surface)
{
	struct pointer_log *log = data;

	log->focus = NULL;
	log->leaves++;
}

static void pointer_motion(void *data, struct wl_pointer *pointer, uint32_t time, wl_fixed_t x,
			   wl_fixed_t y)
{
	struct pointer_log *log = data;

	log->motion_x = wl_fixed_to_double(x);
	log->motion_y = wl_fixed_to_double(y);
	log->motions++;
}

static void pointer_button(void *data, struct wl_pointer *pointer, uint32_t serial, uint32_t time,
			   uint32_t button, uint32_t state)
{
	struct pointer_log *log = data;

	log->button = button;
	log->button_state = state;
	log->button_serial = serial;
	log->buttons++;
}

static void pointer_axis(void *data, struct wl_pointer *pointer, uint32_t time, uint32_t axis,
			 wl_fixed_t value)
{
	struct pointer_log *log = data;

	log->axis = axis;
	log->axis_value = wl_fixed_to_double(value);
	log->axes++;
}

static void pointer_frame(void *data, struct wl_pointer *pointer)
{
	struct pointer_log *log = data;

	log->frames++;
}

static void pointer_axis_source(void *data, struct wl_pointer *pointer, uint32_t source)
{
}

static void pointer_axis_stop(void *data, struct wl_pointer *pointer, uint32_t time, uint32_t axis)
{
}

static void pointer_axis_discrete(void *data, struct wl_pointer *pointer, uint32_t axis,
				  int32_t discrete)
{
}

static const struct wl_pointer_listener pointer_listener = {
	.enter = pointer_enter,
	.leave = pointer_leave,
	.motion = pointer_motion,
	.button = pointer_button,
	.axis = pointer_axis,
	.frame = pointer_frame,
	.axis_source = pointer_axis_source,
	.axis_stop = pointer_axis_stop,
	.axis_discrete = pointer_axis_discrete,
};

static void wm_base_ping(void *data, struct xdg_wm_base *wm_base, uint32_t serial)
{
	xdg_wm_base_pong(wm_base, serial);
}

static const struct xdg_wm_base_listener wm_base_listener = {.ping = wm_base_ping};

static void registry_global(void *data, struct wl_registry *registry, uint32_t name,
			    const char *iface, uint32_t version)
{
	struct client *c = data;

	if (strcmp(iface, wl_compositor_interface.name) == 0) {
		c->compositor = wl_registry_bind(registry, name, &wl_compositor_interface, 4);
	} else if (strcmp(iface, wl_subcompositor_interface.name) == 0) {
		c->subcompositor = wl_registry_bind(registry, name, &wl_subcompositor_interface, 1);
	} else if (strcmp(iface, wl_shm_interface.name) == 0) {
		c->shm = wl_registry_bind(registry, name, &wl_shm_interface, 1);
	} else if (strcmp(iface, xdg_wm_base_interface.name) == 0) {
		c->wm_base = wl_registry_bind(registry, name, &xdg_wm_base_interface, 1);
		xdg_wm_base_add_listener(c->wm_base, &wm_base_listener, c);
	} else if (strcmp(iface, wl_seat_interface.name) == 0) {
		/* v5 for wl_pointer.frame. */
		c->seat = wl_registry_bind(registry, name, &wl_seat_interface, 5);
	} else if (strcmp(iface, zwlr_virtual_pointer_manager_v1_interface.name) == 0) {
		c->vptr_manager = wl_registry_bind(registry, name,
						   &zwlr_virtual_pointer_manager_v1_interface, 1);
	}
}

static void registry_global_remove(void *data, struct wl_registry *registry, uint32_t name)
{
}

static const struct wl_registry_listener registry_listener = {
	.global = registry_global,
	.global_remove = registry_global_remove,
};

static struct client *client_connect(const struct compositor *comp)
{
	struct client *c = calloc(1, sizeof(*c));
	char path[192];

	if (!c)
		return NULL;
	snprintf(path, sizeof(path), "%s/sb-pointer", comp->dir);
	c->display = wl_display_connect(path);
	if (!c->display) {
		free(c);
		return NULL;
	}
	c->registry = wl_display_get_registry(c->display);
	wl_registry_add_listener(c->registry, &registry_listener, c);
	wl_display_roundtrip(c->display);
	return c;
}

static void client_destroy(struct client *c)
{
	if (!c)
		return;
	if (c->pointer)
		wl_pointer_release(c->pointer);
	if (c->seat)
		wl_seat_release(c->seat);
	if (c->vptr_manager)
		zwlr_virtual_pointer_manager_v1_destroy(c->vptr_manager);
	if (c->wm_base)
		xdg_wm_base_destroy(c->wm_base);
	if (c->shm)
		wl_shm_destroy(c->shm);
	if (c->subcompositor)
		wl_subcompositor_destroy(c->subcompositor);
	if (c->compositor)
		wl_compositor_destroy(c->compositor);
	wl_registry_destroy(c->registry);
	wl_display_disconnect(c->display);
	free(c);
}

/* The window client's pointer: bound before any window exists, as a real client does. */
static bool client_get_pointer(struct client *c)
{
	if (!c->seat)
		return false;
	c->pointer = wl_seat_get_pointer(c->seat);
	wl_pointer_add_listener(c->pointer, &pointer_listener, &c->log);
	return wl_display_roundtrip(c->display) >= 0;
}

static void xdg_surface_configure(void *data, struct xdg_surface *xdg_surface, uint32_t serial)
{
	struct window *w = data;

	xdg_surface_ack_configure(xdg_surface, serial);
	w->configured = true;
}

static const struct xdg_surface_listener xdg_surface_listener = {
	.configure = xdg_surface_configure,
};

static void toplevel_configure(void *data, struct xdg_toplevel *toplevel, int32_t width,
			       int32_t height, struct wl_array *states)
{
	struct window *w = data;
	const uint32_t *state = states->data;

	w->activated = w->maximized = w->fullscreen = false;
	w->width = width;
	w->height = height;
	for (size_t i = 0; i < states->size / sizeof(*state); i++) {
		if (state[i] == XDG_TOPLEVEL_STATE_ACTIVATED)
			w->activated = true;
		if (state[i] == XDG_TOPLEVEL_STATE_MAXIMIZED)
			w->maximized = true;
		if (state[i] == XDG_TOPLEVEL_STATE_FULLSCREEN)
			w->fullscreen = true;
	}
}

static void toplevel_close(void *data, struct xdg_toplevel *toplevel)
{
}

static const struct xdg_toplevel_listener toplevel_listener = {
	.configure = toplevel_configure,
	.close = toplevel_close,
};

/* A WIN_SIZE square wl_shm buffer of one colour; the memfd is closed once the pool has it. */
static struct wl_buffer *shm_buffer_create(struct client *c, uint32_t xrgb)
{
	size_t stride = WIN_SIZE * 4, size = stride * WIN_SIZE;
	struct wl_shm_pool *pool;
	struct wl_buffer *buffer;
	uint32_t *pixels;
	int fd = memfd_create("sb-pointer-test", MFD_CLOEXEC);

	if (fd < 0)
		return NULL;
	if (ftruncate(fd, (off_t)size) < 0) {
		close(fd);
		return NULL;
	}
	pixels = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (pixels == MAP_FAILED) {
		close(fd);
		return NULL;
	}
	for (size_t i = 0; i < size / 4; i++)
		pixels[i] = xrgb;
	munmap(pixels, size);
	pool = wl_shm_create_pool(c->shm, fd, (int32_t)size);
	close(fd);
	buffer = wl_shm_pool_create_buffer(pool, 0, WIN_SIZE, WIN_SIZE, (int32_t)stride,
					   WL_SHM_FORMAT_XRGB8888);
	wl_shm_pool_destroy(pool);
	return buffer;
}

/* An xdg toplevel, configured and mapped with a buffer (mapped once the roundtrip returns). */
static bool window_create(struct client *c, struct window *w, uint32_t xrgb)
{
	*w = (struct window){0};
	if (!c->compositor || !c->wm_base || !c->shm)
		return false;
	w->surface = wl_compositor_create_surface(c->compositor);
	w->xdg_surface = xdg_wm_base_get_xdg_surface(c->wm_base, w->surface);
	xdg_surface_add_listener(w->xdg_surface, &xdg_surface_listener, w);
	w->toplevel = xdg_surface_get_toplevel(w->xdg_surface);
	xdg_toplevel_add_listener(w->toplevel, &toplevel_listener, w);
	wl_surface_commit(w->surface);
	while (!w->configured)
		if (wl_display_dispatch(c->display) < 0)
			return false;
	w->buffer = shm_buffer_create(c, xrgb);
	if (!w->buffer)
		return false;
	wl_surface_attach(w->surface, w->buffer, 0, 0);
	wl_surface_damage(w->surface, 0, 0, WIN_SIZE, WIN_SIZE);
	wl_surface_commit(w->surface);
	return wl_display_roundtrip(c->display) >= 0;
}

static void window_destroy(struct window *w)
{
	if (w->toplevel)
		xdg_toplevel_destroy(w->toplevel);
	if (w->xdg_surface)
		xdg_surface_destroy(w->xdg_surface);
	if (w->surface)
		wl_surface_destroy(w->surface);
	if (w->buffer)
		wl_buffer_destroy(w->buffer);
	*w = (struct window){0};
}

/*
 * Everything the virtual pointer sent has been handled, and whatever the compositor sent the
 * window client because of it has arrived: the compositor flushes every client before it reads
 * the next request, so a roundtrip of each, in this order, is enough.
 */
static bool settle(struct client *vptr_client, struct client *window_client)
{
	return wl_display_roundtrip(vptr_client->display) >= 0 &&
	       wl_display_roundtrip(window_client->display) >= 0;
}

static void move_to(struct zwlr_virtual_pointer_v1 *vptr, uint32_t x, uint32_t y)
{
	zwlr_virtual_pointer_v1_motion_absolute(vptr, 0, x, y, OUTPUT_W, OUTPUT_H);
	zwlr_virtual_pointer_v1_frame(vptr);
}

static void click(struct zwlr_virtual_pointer_v1 *vptr, uint32_t button)
{
	zwlr_virtual_pointer_v1_button(vptr, 0, button, WL_POINTER_BUTTON_STATE_PRESSED);
	zwlr_virtual_pointer_v1_frame(vptr);
	zwlr_virtual_pointer_v1_button(vptr, 0, button, WL_POINTER_BUTTON_STATE_RELEASED);
	zwlr_virtual_pointer_v1_frame(vptr);
}

/* One compositor, a window client with its pointer and n windows, a virtual pointer client. */
struct fixture {
	struct compositor comp;
	struct client *app, *input;
	struct window windows[2];
	struct zwlr_virtual_pointer_v1 *vptr;
};

static const uint32_t colours[] = {0xff0000, 0x0000ff};

static bool setup(struct sb_test_ctx *t, struct fixture *f, int n_windows)
{
	*f = (struct fixture){0};
	if (!expect(t, compositor_start(&f->comp)))
		return false;
	f->app = client_connect(&f->comp);
	f->input = client_connect(&f->comp);
	if (!expect(t, f->app && f->input) || !expect(t, f->input->vptr_manager != NULL) ||
	    !expect(t, client_get_pointer(f->app)))
		return false;
	for (int i = 0; i < n_windows; i++)
		if (!expect(t, window_create(f->app, &f->windows[i], colours[i])))
			return false;
	/* NULL seat: the compositor's only seat, which is the window client's. */
	f->vptr = zwlr_virtual_pointer_manager_v1_create_virtual_pointer(f->input->vptr_manager,
									 NULL);
	return expect(t, settle(f->input, f->app));
}

static void teardown(struct sb_test_ctx *t, struct fixture *f)
{
	if (f->vptr)
		zwlr_virtual_pointer_v1_destroy(f->vptr);
	for (size_t i = 0; i < sizeof(f->windows) / sizeof(f->windows[0]); i++)
		window_destroy(&f->windows[i]);
	client_destroy(f->input);
	client_destroy(f->app);
	/* It survived every request above and exits cleanly. */
	expect(t, compositor_stop(&f->comp));
}

static void enter_and_motion_carry_surface_coordinates(struct sb_test_ctx *t)
{
	struct fixture f;
	struct pointer_log *log;

	if (!setup(t, &f, 2))
		goto out;
	log = &f.app->log;
	expect(t, log->enters == 0);
	/* The second window is on top at (32, 32): layout (132, 82) is its (100, 50). */
	move_to(f.vptr, CASCADE + 100, CASCADE + 50);
	if (!expect(t, settle(f.input, f.app)))
		goto out;
	expect(t, log->enters == 1);
	expect(t, log->focus == f.windows[1].surface);
	expect(t, log->enter_x == 100.0 && log->enter_y == 50.0);
	expect(t, log->frames >= 1);
	move_to(f.vptr, CASCADE + 110, CASCADE + 65);
	if (!expect(t, settle(f.input, f.app)))
		goto out;
	expect(t, log->enters == 1);
	expect(t, log->motions >= 1);
	expect(t, log->motion_x == 110.0 && log->motion_y == 65.0);
	if (log->motion_x != 110.0 || log->motion_y != 65.0)
		sb_diag("motion at (%g, %g)", log->motion_x, log->motion_y);
out:
	teardown(t, &f);
}

static void button_press_reaches_the_surface_under_the_pointer(struct sb_test_ctx *t)
{
	struct fixture f;
	struct pointer_log *log;

	if (!setup(t, &f, 1))
		goto out;
	log = &f.app->log;
	move_to(f.vptr, 50, 60);
	zwlr_virtual_pointer_v1_button(f.vptr, 0, BTN_LEFT, WL_POINTER_BUTTON_STATE_PRESSED);
	zwlr_virtual_pointer_v1_frame(f.vptr);
	if (!expect(t, settle(f.input, f.app)))
		goto out;
	expect(t, log->focus == f.windows[0].surface);
	expect(t, log->buttons == 1);
	expect(t, log->button == BTN_LEFT);
	expect(t, log->button_state == WL_POINTER_BUTTON_STATE_PRESSED);
	zwlr_virtual_pointer_v1_button(f.vptr, 0, BTN_LEFT, WL_POINTER_BUTTON_STATE_RELEASED);
	zwlr_virtual_pointer_v1_frame(f.vptr);
	if (!expect(t, settle(f.input, f.app)))
		goto out;
	expect(t, log->buttons == 2);
	expect(t, log->button_state == WL_POINTER_BUTTON_STATE_RELEASED);
out:
	teardown(t, &f);
}

static void scroll_reaches_the_surface_under_the_pointer(struct sb_test_ctx *t)
{
	struct fixture f;
	struct pointer_log *log;

	if (!setup(t, &f, 1))
		goto out;
	log = &f.app->log;
	move_to(f.vptr, 50, 60);
	zwlr_virtual_pointer_v1_axis(f.vptr, 0, WL_POINTER_AXIS_VERTICAL_SCROLL,
				     wl_fixed_from_int(15));
	zwlr_virtual_pointer_v1_frame(f.vptr);
	if (!expect(t, settle(f.input, f.app)))
		goto out;
	expect(t, log->axes == 1);
	expect(t, log->axis == WL_POINTER_AXIS_VERTICAL_SCROLL);
	expect(t, log->axis_value == 15.0);
out:
	teardown(t, &f);
}

static void pointer_leaves_the_window_for_the_background(struct sb_test_ctx *t)
{
	struct fixture f;
	struct pointer_log *log;

	if (!setup(t, &f, 1))
		goto out;
	log = &f.app->log;
	move_to(f.vptr, 10, 10);
	move_to(f.vptr, OUTPUT_W - 10, OUTPUT_H - 10);
	if (!expect(t, settle(f.input, f.app)))
		goto out;
	expect(t, log->enters == 1 && log->leaves == 1);
	expect(t, log->focus == NULL);
	/* A button over the background goes to nobody. */
	click(f.vptr, BTN_LEFT);
	if (!expect(t, settle(f.input, f.app)))
		goto out;
	expect(t, log->buttons == 0);
out:
	teardown(t, &f);
}

static void click_raises_and_activates_the_window_under_the_pointer(struct sb_test_ctx *t)
{
	struct fixture f;
	struct pointer_log *log;
	struct window *below, *above;

	if (!setup(t, &f, 2))
		goto out;
	log = &f.app->log;
	below = &f.windows[0];
	above = &f.windows[1];
	/* The newest window is on top and active. */
	expect(t, above->activated && !below->activated);
	/* Where the two overlap, the pointer is over the top one. */
	move_to(f.vptr, CASCADE + 20, CASCADE + 20);
	if (!expect(t, settle(f.input, f.app)))
		goto out;
	expect(t, log->focus == above->surface);
	/* A click where only the lower window shows... */
	move_to(f.vptr, 10, 10);
	click(f.vptr, BTN_LEFT);
	if (!expect(t, settle(f.input, f.app)))
		goto out;
	expect(t, log->focus == below->surface);
	expect(t, log->buttons == 2);
	/* ...activates it (xdg_toplevel.configure, state activated) and deactivates the other... */
	expect(t, below->activated && !above->activated);
	/* ...and raises it: the overlap is now the lower window's, at its own coordinates. */
	move_to(f.vptr, CASCADE + 20, CASCADE + 20);
	if (!expect(t, settle(f.input, f.app)))
		goto out;
	expect(t, log->focus == below->surface);
	expect(t, log->motion_x == CASCADE + 20.0 && log->motion_y == CASCADE + 20.0);
out:
	teardown(t, &f);
}

static void virtual_pointer_client_may_leave_at_any_time(struct sb_test_ctx *t)
{
	struct fixture f;

	if (!setup(t, &f, 1))
		goto out;
	/* A press without its release, then the input client goes: nothing may dangle. */
	move_to(f.vptr, 50, 50);
	zwlr_virtual_pointer_v1_button(f.vptr, 0, BTN_RIGHT, WL_POINTER_BUTTON_STATE_PRESSED);
	zwlr_virtual_pointer_v1_frame(f.vptr);
	expect(t, settle(f.input, f.app));
	/* Forgotten locally, never destroyed on the wire: the connection just closes. */
	wl_proxy_destroy((struct wl_proxy *)f.vptr);
	client_destroy(f.input);
	f.input = NULL;
	f.vptr = NULL;
	expect(t, wl_display_roundtrip(f.app->display) >= 0);
	/* A new virtual pointer still drives the same cursor. */
	f.input = client_connect(&f.comp);
	if (!expect(t, f.input && f.input->vptr_manager))
		goto out;
	f.vptr =
		zwlr_virtual_pointer_manager_v1_create_virtual_pointer(f.input->vptr_manager, NULL);
	move_to(f.vptr, 60, 70);
	if (!expect(t, settle(f.input, f.app)))
		goto out;
	expect(t, f.app->log.motion_x == 60.0 && f.app->log.motion_y == 70.0);
out:
	teardown(t, &f);
}

/*
 * A wl_surface destroyed before its xdg_toplevel, then a request to the toplevel: wlroots 0.15
 * would dereference NULL there (found by tests/fuzz). The client gets
 * wl_surface.error.defunct_role_object instead, and everyone else is still served.
 */
static void surface_destroyed_before_its_toplevel_is_refused(struct sb_test_ctx *t)
{
	struct fixture f;
	struct client *bad = NULL;
	struct window w = {0}, more = {0};
	const struct wl_interface *iface = NULL;
	uint32_t id, surface_id = 0;

	if (!setup(t, &f, 1))
		goto out;
	bad = client_connect(&f.comp);
	if (!expect(t, bad && window_create(bad, &w, 0x00ff00)))
		goto out;
	surface_id = wl_proxy_get_id((struct wl_proxy *)w.surface);
	wl_surface_destroy(w.surface);
	w.surface = NULL;
	xdg_toplevel_set_title(w.toplevel, "after its surface");
	xdg_toplevel_set_app_id(w.toplevel, "after its surface");
	expect(t, wl_display_roundtrip(bad->display) < 0);
	expect(t, wl_display_get_error(bad->display) == EPROTO);
	expect(t, wl_display_get_protocol_error(bad->display, &iface, &id) == 4);
	/* The client had let go of its wl_surface proxy: libwayland names it "[destroyed object]". */
	sb_diag("protocol error 4 on object %u (the wl_surface was %u)", id, surface_id);
	/* The compositor is alive and serves the other client. */
	expect(t, window_create(f.app, &more, 0x0000ff));
	window_destroy(&more);
out:
	window_destroy(&w);
	client_destroy(bad);
	teardown(t, &f);
}

/*
 * wl_subsurface.place_above/below after the parent wl_surface is gone is legal (the sub-surface
 * is unmapped and stays valid) and crashed wlroots 0.15.1 (compositor/subsurface_guard.c): the
 * requests are ignored, the sub-surface can still be moved and destroyed.
 */
static void subsurface_restacked_after_its_parent_is_gone_is_ignored(struct sb_test_ctx *t)
{
	struct fixture f;
	struct client *c = NULL;
	struct wl_surface *parent, *child[2];
	struct wl_subsurface *sub[2];
	struct window more = {0};

	if (!setup(t, &f, 1))
		goto out;
	c = client_connect(&f.comp);
	if (!expect(t, c && c->compositor && c->subcompositor))
		goto out;
	parent = wl_compositor_create_surface(c->compositor);
	for (int i = 0; i < 2; i++) {
		child[i] = wl_compositor_create_surface(c->compositor);
		sub[i] = wl_subcompositor_get_subsurface(c->subcompositor, child[i], parent);
	}
	wl_surface_commit(parent);
	expect(t, wl_display_roundtrip(c->display) >= 0);
	wl_surface_destroy(parent);
	wl_subsurface_place_above(sub[0], child[1]);
	wl_subsurface_place_below(sub[1], child[0]);
	wl_subsurface_set_position(sub[0], 4, 4);
	wl_surface_commit(child[0]);
	expect(t, wl_display_roundtrip(c->display) >= 0);
	/* The hidden sub-surface is back for its destructor: destroyed, then its surface reused. */
	wl_subsurface_place_above(sub[0], child[1]);
	wl_subsurface_destroy(sub[0]);
	wl_subsurface_destroy(sub[1]);
	parent = wl_compositor_create_surface(c->compositor);
	sub[0] = wl_subcompositor_get_subsurface(c->subcompositor, child[0], parent);
	wl_subsurface_place_above(sub[0], parent);
	expect(t, wl_display_roundtrip(c->display) >= 0);
	expect(t, wl_display_get_error(c->display) == 0);
	wl_subsurface_destroy(sub[0]);
	wl_surface_destroy(parent);
	for (int i = 0; i < 2; i++)
		wl_surface_destroy(child[i]);
	/* The compositor is alive and serves the other client. */
	expect(t, window_create(f.app, &more, 0x0000ff));
	window_destroy(&more);
out:
	client_destroy(c);
	teardown(t, &f);
}

static void press(struct zwlr_virtual_pointer_v1 *vptr, uint32_t button, bool down)
{
	zwlr_virtual_pointer_v1_button(vptr, 0, button,
				       down ? WL_POINTER_BUTTON_STATE_PRESSED
					    : WL_POINTER_BUTTON_STATE_RELEASED);
	zwlr_virtual_pointer_v1_frame(vptr);
}

static void window_asking_to_move_follows_the_pointer_until_release(struct sb_test_ctx *t)
{
	struct fixture f;
	struct pointer_log *log;
	struct window *w;

	if (!setup(t, &f, 1))
		goto out;
	log = &f.app->log;
	w = &f.windows[0];
	/* A press on the window (at the origin), then xdg_toplevel.move with its serial. */
	move_to(f.vptr, 20, 20);
	press(f.vptr, BTN_LEFT, true);
	if (!expect(t, settle(f.input, f.app)) || !expect(t, log->buttons == 1))
		goto out;
	xdg_toplevel_move(w->toplevel, f.app->seat, log->button_serial);
	if (!expect(t, settle(f.app, f.input)))
		goto out;
	/* The drag: the window goes with the pointer, 500 right and 300 down. */
	move_to(f.vptr, 300, 200);
	move_to(f.vptr, 520, 320);
	press(f.vptr, BTN_LEFT, false);
	if (!expect(t, settle(f.input, f.app)))
		goto out;
	/* The grab ate the release; the pointer is back on the window, at the same spot of it. */
	expect(t, log->buttons == 1);
	expect(t, log->focus == w->surface);
	expect(t, log->enter_x == 20.0 && log->enter_y == 20.0);
	/* Where the window was is now the background... */
	move_to(f.vptr, 100, 100);
	if (!expect(t, settle(f.input, f.app)))
		goto out;
	expect(t, log->focus == NULL);
	/* ...and the pointer no longer moves it. */
	move_to(f.vptr, 510, 310);
	if (!expect(t, settle(f.input, f.app)))
		goto out;
	expect(t, log->focus == w->surface);
	expect(t, log->enter_x == 10.0 && log->enter_y == 10.0);
out:
	teardown(t, &f);
}

static void move_request_with_a_stale_serial_is_ignored(struct sb_test_ctx *t)
{
	struct fixture f;
	struct pointer_log *log;
	struct window *w;

	if (!setup(t, &f, 1))
		goto out;
	log = &f.app->log;
	w = &f.windows[0];
	move_to(f.vptr, 20, 20);
	if (!expect(t, settle(f.input, f.app)))
		goto out;
	/* No button is down: no grab starts, the pointer stays the client's. */
	xdg_toplevel_move(w->toplevel, f.app->seat, 12345);
	if (!expect(t, settle(f.app, f.input)))
		goto out;
	move_to(f.vptr, 520, 320);
	if (!expect(t, settle(f.input, f.app)))
		goto out;
	expect(t, log->focus == NULL);
	move_to(f.vptr, 30, 30);
	if (!expect(t, settle(f.input, f.app)))
		goto out;
	expect(t, log->focus == w->surface && log->enter_x == 30.0);
out:
	teardown(t, &f);
}

static void maximized_and_fullscreen_windows_fill_the_output(struct sb_test_ctx *t)
{
	struct fixture f;
	struct window *w;

	if (!setup(t, &f, 1))
		goto out;
	w = &f.windows[0];
	expect(t, w->width == 0 && w->height == 0 && !w->maximized);
	/* view_work_area: the whole output today (no exclusive zones on this branch). */
	xdg_toplevel_set_maximized(w->toplevel);
	if (!expect(t, wl_display_roundtrip(f.app->display) >= 0))
		goto out;
	expect(t, w->maximized && w->width == OUTPUT_W && w->height == OUTPUT_H);
	/* Unmaximized: back to the size it had before. */
	xdg_toplevel_unset_maximized(w->toplevel);
	if (!expect(t, wl_display_roundtrip(f.app->display) >= 0))
		goto out;
	expect(t, !w->maximized && w->width == WIN_SIZE && w->height == WIN_SIZE);
	xdg_toplevel_set_fullscreen(w->toplevel, NULL);
	if (!expect(t, wl_display_roundtrip(f.app->display) >= 0))
		goto out;
	expect(t, w->fullscreen && w->width == OUTPUT_W && w->height == OUTPUT_H);
	/* Maximized while fullscreen: remembered, the size stays the output's. */
	xdg_toplevel_set_maximized(w->toplevel);
	xdg_toplevel_unset_fullscreen(w->toplevel);
	if (!expect(t, wl_display_roundtrip(f.app->display) >= 0))
		goto out;
	expect(t, !w->fullscreen && w->maximized && w->width == OUTPUT_W && w->height == OUTPUT_H);
out:
	teardown(t, &f);
}

int main(int argc, char *argv[])
{
	static const struct sb_test tests[] = {
		SB_TEST(enter_and_motion_carry_surface_coordinates),
		SB_TEST(button_press_reaches_the_surface_under_the_pointer),
		SB_TEST(scroll_reaches_the_surface_under_the_pointer),
		SB_TEST(pointer_leaves_the_window_for_the_background),
		SB_TEST(click_raises_and_activates_the_window_under_the_pointer),
		SB_TEST(virtual_pointer_client_may_leave_at_any_time),
		SB_TEST(surface_destroyed_before_its_toplevel_is_refused),
		SB_TEST(subsurface_restacked_after_its_parent_is_gone_is_ignored),
		SB_TEST(window_asking_to_move_follows_the_pointer_until_release),
		SB_TEST(move_request_with_a_stale_serial_is_ignored),
		SB_TEST(maximized_and_fullscreen_windows_fill_the_output),
	};

	if (argc != 2) {
		fprintf(stderr, "usage: %s SYNCBRIDGE\n", argv[0]);
		return 2;
	}
	syncbridge = argv[1];
	/* A compositor that dies must not take the test with it through a write to its socket. */
	signal(SIGPIPE, SIG_IGN);
	return sb_test_main(tests, sizeof(tests) / sizeof(tests[0]));
}
