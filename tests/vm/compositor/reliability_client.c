// SPDX-License-Identifier: MIT
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <drm_fourcc.h>
#include <wayland-client.h>

#include <syncbridge/dmabuf.h>
#include <syncbridge/sync_file.h>
#include <syncbridge/syncobj.h>

#include "kdev.h"
#include "linux-dmabuf-unstable-v1-client-protocol.h"
#include "linux-drm-syncobj-v1-client-protocol.h"
#include "linux-explicit-synchronization-unstable-v1-client-protocol.h"
#include "reliability_client.h"
#include "tc_client.h"
#include "tc_surface.h"
#include "wl_client.h"
#include "xdg-shell-client-protocol.h"

#define SIZE 32
#define WAIT_MS 10000

enum { FORM_IMPLICIT, FORM_EXPLICIT, FORM_SYNCOBJ, N_FORMS };

static const char *const form_names[N_FORMS] = {"implicit", "explicit", "syncobj"};

struct cycle_surface {
	struct wl_surface *surface;
	struct xdg_surface *xdg_surface;
	struct xdg_toplevel *toplevel;
	struct wl_buffer *buffer;
	struct wl_callback *frame;
	uint32_t configure_serial;
	bool configured, frame_done, buffer_released;
};

struct cycle {
	struct wl_display *display;
	struct wl_registry *registry;
	struct wl_compositor *compositor;
	struct xdg_wm_base *wm_base;
	struct zwp_linux_dmabuf_v1 *dmabuf;
	struct zwp_linux_explicit_synchronization_v1 *explicit_sync;
	struct wp_linux_drm_syncobj_manager_v1 *syncobj_manager;
	uint32_t names[5], versions[5];
	struct zwp_linux_surface_synchronization_v1 *sync;
	struct zwp_linux_buffer_release_v1 *release;
	bool released;
	struct wp_linux_drm_syncobj_timeline_v1 *timeline_proxy;
	struct wp_linux_drm_syncobj_surface_v1 *syncobj_surface;
	struct sb_syncobj *syncobj;
	int drm_fd;
	int timeline;
	struct cycle_surface surfaces[N_FORMS];
	int stop_after;
	rc_stop_func_t stop;
	void *stop_data;
	struct rc_report *report;
};

static bool fail(struct cycle *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static bool fail(struct cycle *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->report->failure, sizeof(c->report->failure), fmt, ap);
	va_end(ap);
	c->report->failed = true;
	return false;
}

/* Dispatches until *flag (NULL: until timeout_ms passed); false on timeout or a dead link. */
static bool cycle_wait(struct cycle *c, const bool *flag, int timeout_ms)
{
	uint64_t deadline = tc_now_ms() + (uint64_t)timeout_ms;
	struct pollfd pfd = {.fd = wl_display_get_fd(c->display), .events = POLLIN};

	while (!(flag && *flag)) {
		int64_t left = (int64_t)deadline - (int64_t)tc_now_ms();

		if (wl_display_dispatch_pending(c->display) < 0)
			return false;
		if (flag && *flag)
			break;
		if (left <= 0)
			return !flag;
		if (wl_display_prepare_read(c->display) != 0)
			continue;
		if (poll(&pfd, 1, (int)left) > 0) {
			if (wl_display_read_events(c->display) < 0)
				return false;
		} else {
			wl_display_cancel_read(c->display);
		}
	}
	return true;
}

static void sync_done(void *data, struct wl_callback *callback, uint32_t serial)
{
	*(bool *)data = true;
	wl_callback_destroy(callback);
}

static const struct wl_callback_listener sync_listener = {.done = sync_done};

/*
 * Counts the request just marshalled and flushes it alone. At stop_after, waits until the
 * compositor has handled it, then hands over to stop (which does not return).
 */
static void sent(struct cycle *c, const char *step)
{
	struct rc_report *report = c->report;

	report->sent++;
	snprintf(report->step, sizeof(report->step), "%s", step);
	wl_display_flush(c->display);
	if (report->sent == c->stop_after) {
		bool done = false;
		struct wl_callback *callback = wl_display_sync(c->display);

		wl_callback_add_listener(callback, &sync_listener, &done);
		wl_display_flush(c->display);
		if (!cycle_wait(c, &done, WAIT_MS))
			fail(c, "no wl_display.sync answer after request %d", report->sent);
		c->stop(report, c->stop_data);
	}
}

static void wm_base_ping(void *data, struct xdg_wm_base *wm_base, uint32_t serial)
{
	/* Never asked for by syncbridge; answering would be an uncounted request. */
}

static const struct xdg_wm_base_listener wm_base_listener = {.ping = wm_base_ping};

static const struct wl_interface *const global_ifaces[5] = {
	&wl_compositor_interface,
	&xdg_wm_base_interface,
	&zwp_linux_dmabuf_v1_interface,
	&zwp_linux_explicit_synchronization_v1_interface,
	&wp_linux_drm_syncobj_manager_v1_interface,
};

/* Versions bound: what these requests need, no more. */
static const uint32_t global_versions[5] = {4, 1, 3, 2, 1};

static void registry_global(void *data, struct wl_registry *registry, uint32_t name,
			    const char *iface, uint32_t version)
{
	struct cycle *c = data;

	for (int i = 0; i < 5; i++) {
		if (strcmp(iface, global_ifaces[i]->name) == 0 && version >= global_versions[i]) {
			c->names[i] = name;
			c->versions[i] = global_versions[i];
		}
	}
}

static void registry_global_remove(void *data, struct wl_registry *registry, uint32_t name)
{
}

static const struct wl_registry_listener registry_listener = {
	.global = registry_global,
	.global_remove = registry_global_remove,
};

static void xdg_surface_configure(void *data, struct xdg_surface *xdg_surface, uint32_t serial)
{
	struct cycle_surface *s = data;

	/* Acked by the cycle as a counted request. */
	s->configure_serial = serial;
	s->configured = true;
}

static const struct xdg_surface_listener xdg_surface_listener = {
	.configure = xdg_surface_configure,
};

static void frame_done(void *data, struct wl_callback *callback, uint32_t time)
{
	struct cycle_surface *s = data;

	s->frame_done = true;
	wl_callback_destroy(callback);
	s->frame = NULL;
}

static const struct wl_callback_listener frame_listener = {.done = frame_done};

static void buffer_release(void *data, struct wl_buffer *buffer)
{
	struct cycle_surface *s = data;

	s->buffer_released = true;
}

static const struct wl_buffer_listener buffer_listener = {.release = buffer_release};

static void release_fenced(void *data, struct zwp_linux_buffer_release_v1 *release, int32_t fd)
{
	struct cycle *c = data;

	close(fd);
	c->released = true;
	zwp_linux_buffer_release_v1_destroy(release);
	c->release = NULL;
}

static void release_immediate(void *data, struct zwp_linux_buffer_release_v1 *release)
{
	struct cycle *c = data;

	c->released = true;
	zwp_linux_buffer_release_v1_destroy(release);
	c->release = NULL;
}

static const struct zwp_linux_buffer_release_v1_listener release_listener = {
	.fenced_release = release_fenced,
	.immediate_release = release_immediate,
};

static bool connect_and_bind(struct cycle *c, const struct sb_compositor *comp)
{
	char path[400];
	bool done = false;
	struct wl_callback *callback;
	void **proxies[5] = {
		(void **)&c->compositor,    (void **)&c->wm_base,	  (void **)&c->dmabuf,
		(void **)&c->explicit_sync, (void **)&c->syncobj_manager,
	};

	snprintf(path, sizeof(path), "%s/%s", comp->runtime_dir, comp->socket);
	c->display = wl_display_connect(path);
	if (!c->display)
		return fail(c, "cannot connect to %s: %s", path, strerror(errno));
	c->registry = wl_display_get_registry(c->display);
	wl_registry_add_listener(c->registry, &registry_listener, c);
	sent(c, "wl_display.get_registry");
	callback = wl_display_sync(c->display);
	wl_callback_add_listener(callback, &sync_listener, &done);
	sent(c, "wl_display.sync (globals)");
	if (!cycle_wait(c, &done, WAIT_MS))
		return fail(c, "no globals");
	for (int i = 0; i < 5; i++) {
		if (!c->names[i])
			return fail(c, "%s is not advertised", global_ifaces[i]->name);
		*proxies[i] = wl_registry_bind(c->registry, c->names[i], global_ifaces[i],
					       c->versions[i]);
		sent(c, "wl_registry.bind");
	}
	xdg_wm_base_add_listener(c->wm_base, &wm_base_listener, c);
	return true;
}

static bool create_toplevel(struct cycle *c, struct cycle_surface *s)
{
	s->surface = wl_compositor_create_surface(c->compositor);
	sent(c, "wl_compositor.create_surface");
	s->xdg_surface = xdg_wm_base_get_xdg_surface(c->wm_base, s->surface);
	xdg_surface_add_listener(s->xdg_surface, &xdg_surface_listener, s);
	sent(c, "xdg_wm_base.get_xdg_surface");
	s->toplevel = xdg_surface_get_toplevel(s->xdg_surface);
	xdg_toplevel_add_listener(s->toplevel, &tc_toplevel_listener, s);
	sent(c, "xdg_surface.get_toplevel");
	wl_surface_commit(s->surface);
	sent(c, "wl_surface.commit (initial)");
	if (!cycle_wait(c, &s->configured, WAIT_MS))
		return fail(c, "no configure");
	xdg_surface_ack_configure(s->xdg_surface, s->configure_serial);
	sent(c, "xdg_surface.ack_configure");
	return true;
}

/* A SIZE x SIZE udmabuf as a linux-dmabuf wl_buffer; with a write fence at timeline point 1. */
static bool create_buffer(struct cycle *c, struct cycle_surface *s, bool fenced)
{
	size_t size = SIZE * SIZE * 4;
	int fd = sb_udmabuf_create((size + 4095) & ~(size_t)4095);
	struct zwp_linux_buffer_params_v1 *params;

	if (fd < 0)
		return fail(c, "udmabuf: %s", strerror(errno));
	if (fenced) {
		struct sb_sync_file *fence =
			sb_sync_file_import(sb_sw_fence_create(c->timeline, 1));
		int ret = fence ? sb_dmabuf_import_sync_file(fd, fence, SB_ACCESS_WRITE) : -1;

		sb_sync_file_destroy(fence);
		if (ret < 0) {
			close(fd);
			return fail(c, "import of the write fence: %s", strerror(errno));
		}
	}
	params = zwp_linux_dmabuf_v1_create_params(c->dmabuf);
	sent(c, "zwp_linux_dmabuf_v1.create_params");
	zwp_linux_buffer_params_v1_add(params, fd, 0, 0, SIZE * 4, DRM_FORMAT_MOD_LINEAR >> 32,
				       DRM_FORMAT_MOD_LINEAR & 0xffffffff);
	/* libwayland sent a duplicate. */
	close(fd);
	sent(c, "zwp_linux_buffer_params_v1.add");
	s->buffer =
		zwp_linux_buffer_params_v1_create_immed(params, SIZE, SIZE, DRM_FORMAT_XRGB8888, 0);
	wl_buffer_add_listener(s->buffer, &buffer_listener, s);
	sent(c, "zwp_linux_buffer_params_v1.create_immed");
	zwp_linux_buffer_params_v1_destroy(params);
	sent(c, "zwp_linux_buffer_params_v1.destroy");
	return true;
}

/* attach, damage, frame, commit: the commit the acquire fence holds. */
static void commit_buffer(struct cycle *c, struct cycle_surface *s)
{
	wl_surface_attach(s->surface, s->buffer, 0, 0);
	sent(c, "wl_surface.attach");
	wl_surface_damage_buffer(s->surface, 0, 0, SIZE, SIZE);
	sent(c, "wl_surface.damage_buffer");
	s->frame = wl_surface_frame(s->surface);
	wl_callback_add_listener(s->frame, &frame_listener, s);
	sent(c, "wl_surface.frame");
	wl_surface_commit(s->surface);
	sent(c, "wl_surface.commit (held)");
}

static bool implicit_commit(struct cycle *c)
{
	struct cycle_surface *s = &c->surfaces[FORM_IMPLICIT];

	if (!create_toplevel(c, s) || !create_buffer(c, s, true))
		return false;
	commit_buffer(c, s);
	return true;
}

static bool explicit_commit(struct cycle *c)
{
	struct cycle_surface *s = &c->surfaces[FORM_EXPLICIT];
	int fence;

	if (!create_toplevel(c, s))
		return false;
	c->sync = zwp_linux_explicit_synchronization_v1_get_synchronization(c->explicit_sync,
									    s->surface);
	sent(c, "zwp_linux_explicit_synchronization_v1.get_synchronization");
	if (!create_buffer(c, s, false))
		return false;
	fence = sb_sw_fence_create(c->timeline, 1);
	if (fence < 0)
		return fail(c, "sw_sync fence: %s", strerror(errno));
	zwp_linux_surface_synchronization_v1_set_acquire_fence(c->sync, fence);
	close(fence);
	sent(c, "zwp_linux_surface_synchronization_v1.set_acquire_fence");
	c->release = zwp_linux_surface_synchronization_v1_get_release(c->sync);
	zwp_linux_buffer_release_v1_add_listener(c->release, &release_listener, c);
	sent(c, "zwp_linux_surface_synchronization_v1.get_release");
	commit_buffer(c, s);
	return true;
}

static bool syncobj_commit(struct cycle *c)
{
	struct cycle_surface *s = &c->surfaces[FORM_SYNCOBJ];
	struct sb_sync_file *fence;
	int fd, ret;

	if (!create_toplevel(c, s))
		return false;
	c->drm_fd = sb_drm_open_by_name("virtio_gpu");
	c->syncobj = c->drm_fd >= 0 ? sb_syncobj_create(c->drm_fd) : NULL;
	if (!c->syncobj)
		return fail(c, "a syncobj on virtio_gpu: %s", strerror(errno));
	/* Point 1 gets the timeline's fence: submitted ("available"), not signalled. */
	fence = sb_sync_file_import(sb_sw_fence_create(c->timeline, 1));
	ret = fence ? sb_syncobj_import_point(c->syncobj, 1, fence) : -1;
	sb_sync_file_destroy(fence);
	fd = ret == 0 ? sb_syncobj_export(c->syncobj) : -1;
	if (fd < 0)
		return fail(c, "syncobj point 1: %s", strerror(errno));
	c->timeline_proxy = wp_linux_drm_syncobj_manager_v1_import_timeline(c->syncobj_manager, fd);
	close(fd);
	sent(c, "wp_linux_drm_syncobj_manager_v1.import_timeline");
	c->syncobj_surface =
		wp_linux_drm_syncobj_manager_v1_get_surface(c->syncobj_manager, s->surface);
	sent(c, "wp_linux_drm_syncobj_manager_v1.get_surface");
	if (!create_buffer(c, s, false))
		return false;
	wp_linux_drm_syncobj_surface_v1_set_acquire_point(c->syncobj_surface, c->timeline_proxy, 0,
							  1);
	sent(c, "wp_linux_drm_syncobj_surface_v1.set_acquire_point");
	wp_linux_drm_syncobj_surface_v1_set_release_point(c->syncobj_surface, c->timeline_proxy, 0,
							  2);
	sent(c, "wp_linux_drm_syncobj_surface_v1.set_release_point");
	commit_buffer(c, s);
	return true;
}

static bool signal_and_present(struct cycle *c)
{
	if (sb_sw_timeline_inc(c->timeline, 1) < 0)
		return fail(c, "sw_sync inc: %s", strerror(errno));
	for (int i = 0; i < N_FORMS; i++)
		if (!cycle_wait(c, &c->surfaces[i].frame_done, WAIT_MS))
			return fail(c, "no frame for the %s surface after its fence signalled",
				    form_names[i]);
	return true;
}

/* A null buffer on each surface: the compositor lets go of every buffer, each form says so. */
static bool release_buffers(struct cycle *c)
{
	uint64_t deadline;

	for (int i = 0; i < N_FORMS; i++) {
		wl_surface_attach(c->surfaces[i].surface, NULL, 0, 0);
		sent(c, "wl_surface.attach (null)");
		wl_surface_commit(c->surfaces[i].surface);
		sent(c, "wl_surface.commit (null)");
	}
	if (!cycle_wait(c, &c->surfaces[FORM_IMPLICIT].buffer_released, WAIT_MS))
		return fail(c, "no wl_buffer.release for the implicit buffer");
	if (!cycle_wait(c, &c->released, WAIT_MS))
		return fail(c, "no zwp_linux_buffer_release_v1 event");
	/* linux-drm-syncobj-v1: the release point signals once the compositor is done. */
	deadline = tc_now_ms() + WAIT_MS;
	while (sb_syncobj_point_state(c->syncobj, 2) != SB_POINT_SIGNALED) {
		if (tc_now_ms() > deadline)
			return fail(c, "syncobj release point 2 not signalled");
		cycle_wait(c, NULL, 20);
	}
	return true;
}

static void destroy_all(struct cycle *c)
{
	zwp_linux_surface_synchronization_v1_destroy(c->sync);
	c->sync = NULL;
	sent(c, "zwp_linux_surface_synchronization_v1.destroy");
	wp_linux_drm_syncobj_surface_v1_destroy(c->syncobj_surface);
	c->syncobj_surface = NULL;
	sent(c, "wp_linux_drm_syncobj_surface_v1.destroy");
	wp_linux_drm_syncobj_timeline_v1_destroy(c->timeline_proxy);
	c->timeline_proxy = NULL;
	sent(c, "wp_linux_drm_syncobj_timeline_v1.destroy");
	for (int i = 0; i < N_FORMS; i++) {
		wl_buffer_destroy(c->surfaces[i].buffer);
		c->surfaces[i].buffer = NULL;
		sent(c, "wl_buffer.destroy");
	}
	for (int i = 0; i < N_FORMS; i++) {
		struct cycle_surface *s = &c->surfaces[i];

		xdg_toplevel_destroy(s->toplevel);
		s->toplevel = NULL;
		sent(c, "xdg_toplevel.destroy");
		xdg_surface_destroy(s->xdg_surface);
		s->xdg_surface = NULL;
		sent(c, "xdg_surface.destroy");
		wl_surface_destroy(s->surface);
		s->surface = NULL;
		sent(c, "wl_surface.destroy");
	}
	wp_linux_drm_syncobj_manager_v1_destroy(c->syncobj_manager);
	c->syncobj_manager = NULL;
	sent(c, "wp_linux_drm_syncobj_manager_v1.destroy");
	zwp_linux_explicit_synchronization_v1_destroy(c->explicit_sync);
	c->explicit_sync = NULL;
	sent(c, "zwp_linux_explicit_synchronization_v1.destroy");
	zwp_linux_dmabuf_v1_destroy(c->dmabuf);
	c->dmabuf = NULL;
	sent(c, "zwp_linux_dmabuf_v1.destroy");
	xdg_wm_base_destroy(c->wm_base);
	c->wm_base = NULL;
	sent(c, "xdg_wm_base.destroy");
}

void rc_cycle_run(const struct sb_compositor *comp, int timeline, int stop_after,
		  rc_stop_func_t stop, void *data, struct rc_report *report)
{
	struct cycle c = {
		.drm_fd = -1,
		.timeline = timeline,
		.stop_after = stop_after,
		.stop = stop,
		.stop_data = data,
		.report = report,
	};

	*report = (struct rc_report){0};
	/*
	 * The process ends right after this (a killed child): what is left is the kernel's to close,
	 * as it is for the compositor's side of the socket.
	 */
	if (!connect_and_bind(&c, comp) || !implicit_commit(&c) || !explicit_commit(&c) ||
	    !syncobj_commit(&c) || !signal_and_present(&c) || !release_buffers(&c))
		return;
	destroy_all(&c);
	if (wl_display_roundtrip(c.display) < 0) {
		fail(&c, "the connection died: error %d", wl_display_get_error(c.display));
		return;
	}
	report->completed = true;
	sb_syncobj_destroy(c.syncobj);
	close(c.drm_fd);
	wl_compositor_destroy(c.compositor);
	wl_registry_destroy(c.registry);
	wl_display_disconnect(c.display);
}
