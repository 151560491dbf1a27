// SPDX-License-Identifier: MIT
/*
 * Host: zwlr_layer_shell_v1 as compositor/layer_shell.c serves it, from a client of its own:
 * the sizes it configures (anchors, margins, exclusive zones), and the bad requests (a layer or
 * anchor out of range, a surface with no size to get, a buffer before the first configure, a
 * surface gone before it acked) each answered with a protocol error or a closed event to that
 * client only, the compositor serving the next one. One compositor for all (headless, pixman,
 * 1280x720).
 *   layer_shell_test /path/to/syncbridge
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <wayland-client.h>

#include "tap.h"
#include "wlr-layer-shell-unstable-v1-client-protocol.h"

#define OUTPUT_W 1280
#define OUTPUT_H 720

static const char *syncbridge;
static pid_t compositor_pid;
static char runtime_dir[128];

struct layer;

struct client {
	struct wl_display *display;
	/* Destroyed at disconnect, so the client side leaks nothing either. */
	struct layer *layers[4];
	int n_layers;
	struct wl_buffer *buffers[2];
	int n_buffers;
	struct wl_compositor *compositor;
	struct wl_shm *shm;
	struct zwlr_layer_shell_v1 *layer_shell;
};

struct layer {
	struct wl_surface *surface;
	struct zwlr_layer_surface_v1 *layer_surface;
	uint32_t width, height, serial;
	int configures;
	bool closed;
};

static void registry_global(void *data, struct wl_registry *registry, uint32_t name,
			    const char *interface, uint32_t version)
{
	struct client *c = data;

	if (strcmp(interface, wl_compositor_interface.name) == 0)
		c->compositor = wl_registry_bind(registry, name, &wl_compositor_interface, 4);
	else if (strcmp(interface, wl_shm_interface.name) == 0)
		c->shm = wl_registry_bind(registry, name, &wl_shm_interface, 1);
	else if (strcmp(interface, zwlr_layer_shell_v1_interface.name) == 0)
		c->layer_shell =
			wl_registry_bind(registry, name, &zwlr_layer_shell_v1_interface, 4);
}

static void registry_global_remove(void *data, struct wl_registry *registry, uint32_t name)
{
}

static const struct wl_registry_listener registry_listener = {
	.global = registry_global,
	.global_remove = registry_global_remove,
};

static bool client_connect(struct client *c)
{
	char path[192];
	struct wl_registry *registry;

	memset(c, 0, sizeof(*c));
	snprintf(path, sizeof(path), "%s/sb-layer", runtime_dir);
	c->display = wl_display_connect(path);
	if (!c->display)
		return false;
	registry = wl_display_get_registry(c->display);
	wl_registry_add_listener(registry, &registry_listener, c);
	wl_display_roundtrip(c->display);
	wl_registry_destroy(registry);
	return c->compositor && c->shm && c->layer_shell;
}

static void layer_destroy(struct layer *l);

static void client_disconnect(struct client *c)
{
	if (!c->display)
		return;
	for (int i = 0; i < c->n_layers; i++)
		layer_destroy(c->layers[i]);
	for (int i = 0; i < c->n_buffers; i++)
		wl_buffer_destroy(c->buffers[i]);
	if (c->compositor)
		wl_compositor_destroy(c->compositor);
	if (c->shm)
		wl_shm_destroy(c->shm);
	if (c->layer_shell)
		zwlr_layer_shell_v1_destroy(c->layer_shell);
	wl_display_disconnect(c->display);
	memset(c, 0, sizeof(*c));
}

static void layer_configure(void *data, struct zwlr_layer_surface_v1 *layer_surface,
			    uint32_t serial, uint32_t width, uint32_t height)
{
	struct layer *l = data;

	l->serial = serial;
	l->width = width;
	l->height = height;
	l->configures++;
}

static void layer_closed(void *data, struct zwlr_layer_surface_v1 *layer_surface)
{
	struct layer *l = data;

	l->closed = true;
}

static const struct zwlr_layer_surface_v1_listener layer_listener = {
	.configure = layer_configure,
	.closed = layer_closed,
};

/* The layer's objects, unless the test destroyed them (then NULL). */
static void layer_destroy(struct layer *l)
{
	if (l->layer_surface)
		zwlr_layer_surface_v1_destroy(l->layer_surface);
	if (l->surface)
		wl_surface_destroy(l->surface);
	l->layer_surface = NULL;
	l->surface = NULL;
}

static void layer_create(struct client *c, struct layer *l, uint32_t layer)
{
	memset(l, 0, sizeof(*l));
	c->layers[c->n_layers++] = l;
	l->surface = wl_compositor_create_surface(c->compositor);
	l->layer_surface = zwlr_layer_shell_v1_get_layer_surface(c->layer_shell, l->surface, NULL,
								 layer, "sb-test");
	zwlr_layer_surface_v1_add_listener(l->layer_surface, &layer_listener, l);
}

static struct wl_buffer *buffer_create(struct client *c, int w, int h)
{
	int fd = memfd_create("sb-layer-test", MFD_CLOEXEC);
	struct wl_shm_pool *pool;
	struct wl_buffer *buffer;

	if (fd < 0 || ftruncate(fd, (off_t)w * h * 4) < 0) {
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	pool = wl_shm_create_pool(c->shm, fd, w * h * 4);
	close(fd);
	buffer = wl_shm_pool_create_buffer(pool, 0, w, h, w * 4, WL_SHM_FORMAT_XRGB8888);
	wl_shm_pool_destroy(pool);
	c->buffers[c->n_buffers++] = buffer;
	return buffer;
}

/* The error the compositor ended the connection with: its interface and code, or none. */
static bool protocol_error_is(struct client *c, const struct wl_interface *interface, uint32_t code)
{
	const struct wl_interface *got = NULL;
	uint32_t id;

	if (wl_display_roundtrip(c->display) >= 0)
		return false;
	if (wl_display_get_error(c->display) != EPROTO)
		return false;
	return wl_display_get_protocol_error(c->display, &got, &id) == code && got == interface;
}

/* The compositor is still there for a new client, and still alive. */
static bool compositor_serves(void)
{
	struct client c;
	bool ok = client_connect(&c) && wl_display_roundtrip(c.display) >= 0;

	client_disconnect(&c);
	return ok && waitpid(compositor_pid, NULL, WNOHANG) == 0;
}

static void bar_spanning_the_top_edge_gets_the_output_width(struct sb_test_ctx *t)
{
	struct client c;
	struct layer l;

	if (!expect(t, client_connect(&c)))
		return;
	layer_create(&c, &l, ZWLR_LAYER_SHELL_V1_LAYER_TOP);
	zwlr_layer_surface_v1_set_anchor(l.layer_surface,
					 ZWLR_LAYER_SURFACE_V1_ANCHOR_TOP |
						 ZWLR_LAYER_SURFACE_V1_ANCHOR_LEFT |
						 ZWLR_LAYER_SURFACE_V1_ANCHOR_RIGHT);
	zwlr_layer_surface_v1_set_size(l.layer_surface, 0, 40);
	zwlr_layer_surface_v1_set_exclusive_zone(l.layer_surface, 40);
	zwlr_layer_surface_v1_set_margin(l.layer_surface, 0, 7, 0, 3);
	wl_surface_commit(l.surface);
	wl_display_roundtrip(c.display);
	expect(t, l.configures == 1);
	/* Width 0 between both side anchors: the output's width less both margins. */
	expect(t, l.width == OUTPUT_W - 10);
	expect(t, l.height == 40);
	client_disconnect(&c);
}

static void fixed_size_surface_keeps_its_size_in_a_corner(struct sb_test_ctx *t)
{
	struct client c;
	struct layer l;

	if (!expect(t, client_connect(&c)))
		return;
	layer_create(&c, &l, ZWLR_LAYER_SHELL_V1_LAYER_OVERLAY);
	zwlr_layer_surface_v1_set_anchor(l.layer_surface,
					 ZWLR_LAYER_SURFACE_V1_ANCHOR_BOTTOM |
						 ZWLR_LAYER_SURFACE_V1_ANCHOR_RIGHT);
	zwlr_layer_surface_v1_set_size(l.layer_surface, 300, 100);
	zwlr_layer_surface_v1_set_margin(l.layer_surface, 10, 10, 10, 10);
	wl_surface_commit(l.surface);
	wl_display_roundtrip(c.display);
	expect(t, l.configures == 1 && l.width == 300 && l.height == 100);
	client_disconnect(&c);
}

static void surface_maps_after_acking_and_unmaps_cleanly(struct sb_test_ctx *t)
{
	struct client c;
	struct layer l;
	struct wl_buffer *buffer;

	if (!expect(t, client_connect(&c)))
		return;
	layer_create(&c, &l, ZWLR_LAYER_SHELL_V1_LAYER_BACKGROUND);
	zwlr_layer_surface_v1_set_anchor(l.layer_surface, 15);
	wl_surface_commit(l.surface);
	wl_display_roundtrip(c.display);
	expect(t, l.width == OUTPUT_W && l.height == OUTPUT_H);
	buffer = buffer_create(&c, (int)l.width, (int)l.height);
	zwlr_layer_surface_v1_ack_configure(l.layer_surface, l.serial);
	wl_surface_attach(l.surface, buffer, 0, 0);
	wl_surface_commit(l.surface);
	expect(t, wl_display_roundtrip(c.display) >= 0);
	/* Unmapped by a null buffer, then mapped again after a new configure. */
	wl_surface_attach(l.surface, NULL, 0, 0);
	wl_surface_commit(l.surface);
	expect(t, wl_display_roundtrip(c.display) >= 0);
	layer_destroy(&l);
	expect(t, wl_display_roundtrip(c.display) >= 0);
	client_disconnect(&c);
	expect(t, compositor_serves());
}

static void layer_out_of_range_is_a_protocol_error(struct sb_test_ctx *t)
{
	struct client c;
	struct layer l;

	if (!expect(t, client_connect(&c)))
		return;
	layer_create(&c, &l, 7);
	expect(t, protocol_error_is(&c, &zwlr_layer_shell_v1_interface,
				    ZWLR_LAYER_SHELL_V1_ERROR_INVALID_LAYER));
	client_disconnect(&c);
	/* And through set_layer on a good surface. */
	if (!expect(t, client_connect(&c)))
		return;
	layer_create(&c, &l, ZWLR_LAYER_SHELL_V1_LAYER_TOP);
	zwlr_layer_surface_v1_set_layer(l.layer_surface, 42);
	expect(t, wl_display_roundtrip(c.display) < 0);
	client_disconnect(&c);
	expect(t, compositor_serves());
}

static void anchor_out_of_range_is_a_protocol_error(struct sb_test_ctx *t)
{
	struct client c;
	struct layer l;

	if (!expect(t, client_connect(&c)))
		return;
	layer_create(&c, &l, ZWLR_LAYER_SHELL_V1_LAYER_TOP);
	zwlr_layer_surface_v1_set_anchor(l.layer_surface, 0x20);
	expect(t, protocol_error_is(&c, &zwlr_layer_surface_v1_interface,
				    ZWLR_LAYER_SURFACE_V1_ERROR_INVALID_ANCHOR));
	client_disconnect(&c);
	expect(t, compositor_serves());
}

static void zero_width_without_both_side_anchors_is_a_protocol_error(struct sb_test_ctx *t)
{
	struct client c;
	struct layer l;

	if (!expect(t, client_connect(&c)))
		return;
	layer_create(&c, &l, ZWLR_LAYER_SHELL_V1_LAYER_TOP);
	zwlr_layer_surface_v1_set_anchor(l.layer_surface, ZWLR_LAYER_SURFACE_V1_ANCHOR_TOP);
	zwlr_layer_surface_v1_set_size(l.layer_surface, 0, 30);
	wl_surface_commit(l.surface);
	expect(t, protocol_error_is(&c, &zwlr_layer_surface_v1_interface,
				    ZWLR_LAYER_SURFACE_V1_ERROR_INVALID_SIZE));
	client_disconnect(&c);
	expect(t, compositor_serves());
}

static void buffer_before_the_first_configure_is_a_protocol_error(struct sb_test_ctx *t)
{
	struct client c;
	struct layer l;
	struct wl_buffer *buffer;

	if (!expect(t, client_connect(&c)))
		return;
	layer_create(&c, &l, ZWLR_LAYER_SHELL_V1_LAYER_TOP);
	zwlr_layer_surface_v1_set_size(l.layer_surface, 100, 100);
	buffer = buffer_create(&c, 100, 100);
	wl_surface_attach(l.surface, buffer, 0, 0);
	wl_surface_commit(l.surface);
	expect(t, wl_display_roundtrip(c.display) < 0 && wl_display_get_error(c.display) == EPROTO);
	client_disconnect(&c);
	expect(t, compositor_serves());
}

static void surface_destroyed_before_acking_its_configure_is_forgotten(struct sb_test_ctx *t)
{
	struct client c;
	struct layer l, l2;

	if (!expect(t, client_connect(&c)))
		return;
	/* The wl_surface first, under its role object: the role goes with it. */
	layer_create(&c, &l, ZWLR_LAYER_SHELL_V1_LAYER_TOP);
	zwlr_layer_surface_v1_set_size(l.layer_surface, 100, 100);
	wl_surface_commit(l.surface);
	wl_display_roundtrip(c.display);
	expect(t, l.configures == 1);
	wl_surface_destroy(l.surface);
	l.surface = NULL;
	expect(t, wl_display_roundtrip(c.display) >= 0);
	layer_destroy(&l);
	/* Then a role object alone, with a configure in flight. */
	layer_create(&c, &l2, ZWLR_LAYER_SHELL_V1_LAYER_OVERLAY);
	zwlr_layer_surface_v1_set_size(l2.layer_surface, 100, 100);
	zwlr_layer_surface_v1_set_exclusive_zone(l2.layer_surface, 50);
	wl_surface_commit(l2.surface);
	layer_destroy(&l2);
	expect(t, wl_display_roundtrip(c.display) >= 0);
	client_disconnect(&c);
	/* And a client that leaves mid-configure. */
	if (!expect(t, client_connect(&c)))
		return;
	layer_create(&c, &l, ZWLR_LAYER_SHELL_V1_LAYER_BOTTOM);
	zwlr_layer_surface_v1_set_size(l.layer_surface, 100, 100);
	wl_surface_commit(l.surface);
	wl_display_flush(c.display);
	client_disconnect(&c);
	expect(t, compositor_serves());
}

static void margins_wider_than_the_output_close_the_surface(struct sb_test_ctx *t)
{
	struct client c;
	struct layer l;

	if (!expect(t, client_connect(&c)))
		return;
	layer_create(&c, &l, ZWLR_LAYER_SHELL_V1_LAYER_TOP);
	zwlr_layer_surface_v1_set_anchor(l.layer_surface,
					 ZWLR_LAYER_SURFACE_V1_ANCHOR_LEFT |
						 ZWLR_LAYER_SURFACE_V1_ANCHOR_RIGHT);
	zwlr_layer_surface_v1_set_size(l.layer_surface, 0, 30);
	zwlr_layer_surface_v1_set_margin(l.layer_surface, 0, 1000, 0, 1000);
	wl_surface_commit(l.surface);
	wl_display_roundtrip(c.display);
	expect(t, l.closed);
	expect(t, l.configures == 0);
	/* Its objects are inert now; destroying them is fine. */
	layer_destroy(&l);
	expect(t, wl_display_roundtrip(c.display) >= 0);
	client_disconnect(&c);
	expect(t, compositor_serves());
}

static bool compositor_start(void)
{
	const char *tmp = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";

	snprintf(runtime_dir, sizeof(runtime_dir), "%s/sb-layer-XXXXXX", tmp);
	if (!mkdtemp(runtime_dir))
		return false;
	compositor_pid = fork();
	if (compositor_pid < 0)
		return false;
	if (compositor_pid == 0) {
		setenv("XDG_RUNTIME_DIR", runtime_dir, 1);
		setenv("XDG_CONFIG_HOME", runtime_dir, 1);
		unsetenv("WAYLAND_DISPLAY");
		unsetenv("DISPLAY");
		execl(syncbridge, syncbridge, "--backend", "headless", "--renderer", "pixman",
		      "--output-size", "1280x720", "--socket", "sb-layer", (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 2000; i++) {
		struct client c;
		bool up = client_connect(&c);

		client_disconnect(&c);
		if (up)
			return true;
		if (waitpid(compositor_pid, NULL, WNOHANG) != 0)
			return false;
		usleep(10000);
	}
	return false;
}

/* SIGTERM: a clean exit (status 0; under ASan, no leak report) passes. */
static void compositor_exits_cleanly(struct sb_test_ctx *t)
{
	int status = -1;

	kill(compositor_pid, SIGTERM);
	for (int i = 0; i < 2000 && waitpid(compositor_pid, &status, WNOHANG) == 0; i++)
		usleep(10000);
	expect(t, WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

int main(int argc, char *argv[])
{
	static const struct sb_test tests[] = {
		SB_TEST(bar_spanning_the_top_edge_gets_the_output_width),
		SB_TEST(fixed_size_surface_keeps_its_size_in_a_corner),
		SB_TEST(surface_maps_after_acking_and_unmaps_cleanly),
		SB_TEST(layer_out_of_range_is_a_protocol_error),
		SB_TEST(anchor_out_of_range_is_a_protocol_error),
		SB_TEST(zero_width_without_both_side_anchors_is_a_protocol_error),
		SB_TEST(buffer_before_the_first_configure_is_a_protocol_error),
		SB_TEST(surface_destroyed_before_acking_its_configure_is_forgotten),
		SB_TEST(margins_wider_than_the_output_close_the_surface),
		SB_TEST(compositor_exits_cleanly),
	};
	int status;

	if (argc != 2) {
		fprintf(stderr, "usage: %s SYNCBRIDGE\n", argv[0]);
		return 2;
	}
	syncbridge = argv[1];
	signal(SIGPIPE, SIG_IGN);
	if (!compositor_start()) {
		fprintf(stderr, "layer_shell_test: syncbridge did not start\n");
		return 1;
	}
	status = sb_test_main(tests, sizeof(tests) / sizeof(tests[0]));
	if (waitpid(compositor_pid, NULL, WNOHANG) == 0) {
		kill(compositor_pid, SIGKILL);
		waitpid(compositor_pid, NULL, 0);
	}
	return status;
}
