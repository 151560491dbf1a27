// SPDX-License-Identifier: MIT
/*
 * sb-fake-compositor: the smallest Wayland server that takes sb-client's dma-buf commits, for
 * testing sb-client where no real compositor offers zwp_linux_dmabuf_v1 (weston 10 headless
 * does not). It serves one client and exits when that client disconnects.
 *
 * Like syncbridge, it gates each commit on its acquire fences: the explicit acquire fence, or a
 * DMA_BUF_IOCTL_EXPORT_SYNC_FILE(READ) snapshot of the dma-buf taken at commit (so fences added
 * later do not delay it). Commits of a surface apply in order; applying one sends its frame
 * callbacks and presentation feedback (presented, CLOCK_MONOTONIC, now) and releases the buffer
 * it replaces. It does not render anything.
 *
 * usage: sb-fake-compositor [--socket NAME] [--dmabuf-version 3|4] [-d]
 * On exit, one line on stderr: commits, applied, and the longest fence wait.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <drm_fourcc.h>
#include <linux/dma-buf.h>
#include <wayland-server.h>

#include "linux-dmabuf-unstable-v1-protocol.h"
#include "linux-explicit-synchronization-unstable-v1-protocol.h"
#include "presentation-time-protocol.h"
#include "xdg-shell-protocol.h"

struct fake {
	struct wl_display *display;
	struct wl_event_loop *loop;
	struct wl_listener client_created;
	struct wl_listener client_destroy;
	bool have_client;
	uint32_t dmabuf_version;
	bool debug;
	uint64_t commits, applied, max_wait_ns;
};

struct fake_buffer {
	struct wl_resource *resource; /* NULL once the client destroyed it */
	struct wl_listener resource_destroy;
	int refs;
	int fd; /* dma-buf, or -1 for wl_shm */
	int32_t width, height;
	uint32_t stride, offset;
};

struct fake_commit {
	struct fake_surface *surface;
	struct wl_list link; /* fake_surface.queue */
	bool attached;
	struct fake_buffer *buffer; /* a reference */
	struct wl_list frame_callbacks;
	struct wl_list feedbacks;
	struct wl_resource *release;
	int acquire_fd;
	bool acquire_explicit;
	struct wl_event_source *source;
	uint64_t commit_ns;
};

struct fake_surface {
	struct fake *fake;
	struct wl_resource *resource;
	struct wl_resource *sync;
	struct wl_resource *xdg_surface;
	bool configure_sent, acked;
	struct fake_commit *pending;
	struct wl_list queue; /* committed, waiting for their fences, oldest first */
	struct fake_buffer *current;
	struct wl_resource *current_release;
};

struct fake_params {
	int fd;
	uint32_t offset, stride;
	uint64_t modifier;
	bool used;
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static bool debug_enabled;

#define debug(...)                                                           \
	do {                                                                 \
		if (debug_enabled) {                                         \
			fprintf(stderr, "sb-fake-compositor: " __VA_ARGS__); \
			fputc('\n', stderr);                                 \
		}                                                            \
	} while (0)

static void unlink_resource(struct wl_resource *resource)
{
	wl_list_remove(wl_resource_get_link(resource));
	wl_list_init(wl_resource_get_link(resource));
}

static void destroy_resource(struct wl_client *client, struct wl_resource *resource)
{
	wl_resource_destroy(resource);
}

/* ---- buffers ---- */

static void buffer_unref(struct fake_buffer *buffer)
{
	if (!buffer || --buffer->refs > 0)
		return;
	if (buffer->fd >= 0)
		close(buffer->fd);
	free(buffer);
}

static void buffer_handle_resource_destroy(struct wl_listener *listener, void *data)
{
	struct fake_buffer *buffer = wl_container_of(listener, buffer, resource_destroy);

	wl_list_remove(&buffer->resource_destroy.link);
	buffer->resource = NULL;
	buffer_unref(buffer);
}

static struct fake_buffer *buffer_create(struct wl_resource *resource, int fd)
{
	struct fake_buffer *buffer = calloc(1, sizeof(*buffer));

	if (!buffer)
		return NULL;
	buffer->resource = resource;
	buffer->refs = 1;
	buffer->fd = fd;
	buffer->resource_destroy.notify = buffer_handle_resource_destroy;
	wl_resource_add_destroy_listener(resource, &buffer->resource_destroy);
	return buffer;
}

/* Ours for dma-bufs (made at creation); wl_shm's get one on first attach. */
static struct fake_buffer *buffer_from_resource(struct wl_resource *resource)
{
	struct wl_listener *listener =
		wl_resource_get_destroy_listener(resource, buffer_handle_resource_destroy);
	struct fake_buffer *buffer;

	if (listener)
		return wl_container_of(listener, buffer, resource_destroy);
	return buffer_create(resource, -1);
}

static const struct wl_buffer_interface dmabuf_buffer_impl = {
	.destroy = destroy_resource,
};

/* ---- commits ---- */

static struct fake_commit *commit_create(struct fake_surface *surface)
{
	struct fake_commit *commit = calloc(1, sizeof(*commit));

	if (!commit)
		abort();
	commit->surface = surface;
	commit->acquire_fd = -1;
	wl_list_init(&commit->link);
	wl_list_init(&commit->frame_callbacks);
	wl_list_init(&commit->feedbacks);
	return commit;
}

static void unlink_all(struct wl_list *list)
{
	struct wl_resource *resource, *tmp;

	wl_resource_for_each_safe(resource, tmp, list) unlink_resource(resource);
}

static void commit_destroy(struct fake_commit *commit)
{
	if (!commit)
		return;
	if (commit->source)
		wl_event_source_remove(commit->source);
	if (commit->acquire_fd >= 0)
		close(commit->acquire_fd);
	unlink_all(&commit->frame_callbacks);
	unlink_all(&commit->feedbacks);
	buffer_unref(commit->buffer);
	wl_list_remove(&commit->link);
	free(commit);
}

static bool fd_readable(int fd)
{
	struct pollfd pfd = {.fd = fd, .events = POLLIN};

	return poll(&pfd, 1, 0) > 0;
}

/*
 * What the test checks: the pixels the client wrote are there when the commit applies.
 * DMA_BUF_IOCTL_SYNC(START) waits for every write fence in the dma-buf *now*, including ones the
 * client added after the commit (dma_buf_begin_cpu_access), and checking for idleness first
 * leaves a window in which the client can add one (it did, under load, in CI). This fixture runs
 * only in the VM, whose x86 mappings are cache-coherent, so it reads without the bracket.
 */
static uint32_t read_first_pixel(struct fake_buffer *buffer)
{
	size_t size = (size_t)buffer->offset + 4;
	uint32_t pixel = 0;
	void *map;

	map = mmap(NULL, size, PROT_READ, MAP_SHARED, buffer->fd, 0);
	if (map == MAP_FAILED)
		return 0;
	pixel = *(const uint32_t *)((const char *)map + buffer->offset);
	munmap(map, size);
	return pixel;
}

static void commit_apply(struct fake_commit *commit)
{
	struct fake_surface *surface = commit->surface;
	struct fake *fake = surface->fake;
	struct wl_resource *resource, *tmp;
	uint64_t now = now_ns();
	struct timespec ts;

	fake->applied++;
	if (now - commit->commit_ns > fake->max_wait_ns)
		fake->max_wait_ns = now - commit->commit_ns;
	if (commit->attached) {
		if (surface->current && surface->current != commit->buffer &&
		    surface->current->resource)
			wl_buffer_send_release(surface->current->resource);
		if (surface->current_release) {
			zwp_linux_buffer_release_v1_send_immediate_release(
				surface->current_release);
			wl_resource_destroy(surface->current_release);
		}
		buffer_unref(surface->current);
		surface->current = commit->buffer;
		commit->buffer = NULL;
		surface->current_release = commit->release;
		commit->release = NULL;
		if (surface->current && surface->current->fd >= 0)
			debug("applied after %.3f ms, pixel 0x%08x",
			      (double)(now - commit->commit_ns) / 1e6,
			      read_first_pixel(surface->current));
	}
	clock_gettime(CLOCK_MONOTONIC, &ts);
	wl_resource_for_each_safe(resource, tmp, &commit->frame_callbacks)
	{
		wl_callback_send_done(resource, (uint32_t)(now / 1000000));
		wl_resource_destroy(resource);
	}
	wl_resource_for_each_safe(resource, tmp, &commit->feedbacks)
	{
		wp_presentation_feedback_send_presented(
			resource, (uint32_t)((uint64_t)ts.tv_sec >> 32), (uint32_t)ts.tv_sec,
			(uint32_t)ts.tv_nsec, 0, 0, (uint32_t)fake->applied, 0);
		wl_resource_destroy(resource);
	}
}

static void surface_process(struct fake_surface *surface);

static int commit_handle_fence(int fd, uint32_t mask, void *data)
{
	struct fake_surface *surface = data;

	surface_process(surface);
	return 0;
}

static void surface_process(struct fake_surface *surface)
{
	struct fake_commit *commit;

	while (!wl_list_empty(&surface->queue)) {
		commit = wl_container_of(surface->queue.next, commit, link);
		if (commit->acquire_fd >= 0 && !fd_readable(commit->acquire_fd)) {
			if (!commit->source)
				commit->source = wl_event_loop_add_fd(
					surface->fake->loop, commit->acquire_fd, WL_EVENT_READABLE,
					commit_handle_fence, surface);
			return;
		}
		commit_apply(commit);
		commit_destroy(commit);
	}
}

/* ---- wl_surface ---- */

static void surface_attach(struct wl_client *client, struct wl_resource *resource,
			   struct wl_resource *buffer_resource, int32_t x, int32_t y)
{
	struct fake_surface *surface = wl_resource_get_user_data(resource);
	struct fake_buffer *buffer = buffer_resource ? buffer_from_resource(buffer_resource) : NULL;

	buffer_unref(surface->pending->buffer);
	if (buffer)
		buffer->refs++;
	surface->pending->buffer = buffer;
	surface->pending->attached = true;
}

static void surface_damage(struct wl_client *client, struct wl_resource *resource, int32_t x,
			   int32_t y, int32_t width, int32_t height)
{
}

static void surface_frame(struct wl_client *client, struct wl_resource *resource, uint32_t id)
{
	struct fake_surface *surface = wl_resource_get_user_data(resource);
	struct wl_resource *callback = wl_resource_create(client, &wl_callback_interface, 1, id);

	wl_resource_set_implementation(callback, NULL, NULL, unlink_resource);
	wl_list_insert(surface->pending->frame_callbacks.prev, wl_resource_get_link(callback));
}

static void surface_set_region(struct wl_client *client, struct wl_resource *resource,
			       struct wl_resource *region)
{
}

static void surface_commit(struct wl_client *client, struct wl_resource *resource)
{
	struct fake_surface *surface = wl_resource_get_user_data(resource);
	struct fake_commit *commit = surface->pending;
	struct fake_buffer *buffer = commit->buffer;

	if (surface->xdg_surface && commit->attached && buffer && !surface->acked) {
		wl_resource_post_error(surface->xdg_surface, XDG_SURFACE_ERROR_UNCONFIGURED_BUFFER,
				       "buffer before the first configure was acked");
		return;
	}
	if (commit->acquire_explicit && (!commit->attached || !buffer)) {
		wl_resource_post_error(surface->sync,
				       ZWP_LINUX_SURFACE_SYNCHRONIZATION_V1_ERROR_NO_BUFFER,
				       "acquire fence without a buffer");
		return;
	}
	if ((commit->acquire_explicit || commit->release) && buffer && buffer->fd < 0) {
		wl_resource_post_error(
			surface->sync,
			ZWP_LINUX_SURFACE_SYNCHRONIZATION_V1_ERROR_UNSUPPORTED_BUFFER,
			"explicit sync on a wl_shm buffer");
		return;
	}
	surface->pending = commit_create(surface);
	commit->commit_ns = now_ns();
	surface->fake->commits++;
	if (!commit->acquire_explicit && commit->attached && buffer && buffer->fd >= 0) {
		/* Implicit sync: what a reader must wait for, as of now. */
		struct dma_buf_export_sync_file export = {.flags = DMA_BUF_SYNC_READ, .fd = -1};
		if (ioctl(buffer->fd, DMA_BUF_IOCTL_EXPORT_SYNC_FILE, &export) == 0)
			commit->acquire_fd = export.fd;
		else
			fprintf(stderr, "sb-fake-compositor: EXPORT_SYNC_FILE: %s\n",
				strerror(errno));
	}
	if (surface->xdg_surface && !surface->configure_sent) {
		/* xdg-shell: the initial commit is answered by a configure. */
		surface->configure_sent = true;
		xdg_surface_send_configure(surface->xdg_surface,
					   wl_display_next_serial(surface->fake->display));
	}
	wl_list_insert(surface->queue.prev, &commit->link);
	surface_process(surface);
}

static void surface_set_buffer_transform(struct wl_client *client, struct wl_resource *resource,
					 int32_t transform)
{
}

static void surface_set_buffer_scale(struct wl_client *client, struct wl_resource *resource,
				     int32_t scale)
{
}

static const struct wl_surface_interface surface_impl = {
	.destroy = destroy_resource,
	.attach = surface_attach,
	.damage = surface_damage,
	.frame = surface_frame,
	.set_opaque_region = surface_set_region,
	.set_input_region = surface_set_region,
	.commit = surface_commit,
	.set_buffer_transform = surface_set_buffer_transform,
	.set_buffer_scale = surface_set_buffer_scale,
	.damage_buffer = surface_damage,
};

static void surface_handle_destroy(struct wl_resource *resource)
{
	struct fake_surface *surface = wl_resource_get_user_data(resource);
	struct fake_commit *commit, *tmp;

	wl_list_for_each_safe(commit, tmp, &surface->queue, link)
		commit_destroy(commit);
	commit_destroy(surface->pending);
	buffer_unref(surface->current);
	if (surface->sync)
		wl_resource_set_user_data(surface->sync, NULL);
	if (surface->xdg_surface)
		wl_resource_set_user_data(surface->xdg_surface, NULL);
	free(surface);
}

static void compositor_create_surface(struct wl_client *client, struct wl_resource *resource,
				      uint32_t id)
{
	struct fake_surface *surface = calloc(1, sizeof(*surface));
	struct wl_resource *surface_resource = wl_resource_create(
		client, &wl_surface_interface, wl_resource_get_version(resource), id);

	surface->fake = wl_resource_get_user_data(resource);
	surface->resource = surface_resource;
	wl_list_init(&surface->queue);
	surface->pending = commit_create(surface);
	wl_resource_set_implementation(surface_resource, &surface_impl, surface,
				       surface_handle_destroy);
}

static void compositor_create_region(struct wl_client *client, struct wl_resource *resource,
				     uint32_t id)
{
	wl_client_post_implementation_error(client, "no regions here");
}

static const struct wl_compositor_interface compositor_impl = {
	.create_surface = compositor_create_surface,
	.create_region = compositor_create_region,
};

static void compositor_bind(struct wl_client *client, void *data, uint32_t version, uint32_t id)
{
	struct wl_resource *resource =
		wl_resource_create(client, &wl_compositor_interface, version, id);

	wl_resource_set_implementation(resource, &compositor_impl, data, NULL);
}

/* ---- xdg-shell ---- */

static void toplevel_ignore_string(struct wl_client *client, struct wl_resource *resource,
				   const char *s)
{
}

static const struct xdg_toplevel_interface toplevel_impl = {
	.destroy = destroy_resource,
	.set_title = toplevel_ignore_string,
	.set_app_id = toplevel_ignore_string,
};

static void xdg_surface_get_toplevel(struct wl_client *client, struct wl_resource *resource,
				     uint32_t id)
{
	struct wl_resource *toplevel = wl_resource_create(client, &xdg_toplevel_interface,
							  wl_resource_get_version(resource), id);
	struct wl_array states;

	wl_resource_set_implementation(toplevel, &toplevel_impl, NULL, NULL);
	wl_array_init(&states);
	xdg_toplevel_send_configure(toplevel, 0, 0, &states);
	wl_array_release(&states);
}

static void xdg_surface_ack_configure(struct wl_client *client, struct wl_resource *resource,
				      uint32_t serial)
{
	struct fake_surface *surface = wl_resource_get_user_data(resource);

	if (surface)
		surface->acked = true;
}

static const struct xdg_surface_interface xdg_surface_impl = {
	.destroy = destroy_resource,
	.get_toplevel = xdg_surface_get_toplevel,
	.ack_configure = xdg_surface_ack_configure,
};

static void xdg_surface_handle_destroy(struct wl_resource *resource)
{
	struct fake_surface *surface = wl_resource_get_user_data(resource);

	if (surface)
		surface->xdg_surface = NULL;
}

static void wm_base_get_xdg_surface(struct wl_client *client, struct wl_resource *resource,
				    uint32_t id, struct wl_resource *surface_resource)
{
	struct fake_surface *surface = wl_resource_get_user_data(surface_resource);
	struct wl_resource *xdg = wl_resource_create(client, &xdg_surface_interface,
						     wl_resource_get_version(resource), id);

	wl_resource_set_implementation(xdg, &xdg_surface_impl, surface, xdg_surface_handle_destroy);
	surface->xdg_surface = xdg;
}

static void wm_base_pong(struct wl_client *client, struct wl_resource *resource, uint32_t serial)
{
}

static const struct xdg_wm_base_interface wm_base_impl = {
	.destroy = destroy_resource,
	.get_xdg_surface = wm_base_get_xdg_surface,
	.pong = wm_base_pong,
};

static void wm_base_bind(struct wl_client *client, void *data, uint32_t version, uint32_t id)
{
	struct wl_resource *resource =
		wl_resource_create(client, &xdg_wm_base_interface, version, id);

	wl_resource_set_implementation(resource, &wm_base_impl, data, NULL);
}

/* ---- wp_presentation ---- */

static void presentation_feedback(struct wl_client *client, struct wl_resource *resource,
				  struct wl_resource *surface_resource, uint32_t id)
{
	struct fake_surface *surface = wl_resource_get_user_data(surface_resource);
	struct wl_resource *feedback =
		wl_resource_create(client, &wp_presentation_feedback_interface, 1, id);

	wl_resource_set_implementation(feedback, NULL, NULL, unlink_resource);
	wl_list_insert(surface->pending->feedbacks.prev, wl_resource_get_link(feedback));
}

static const struct wp_presentation_interface presentation_impl = {
	.destroy = destroy_resource,
	.feedback = presentation_feedback,
};

static void presentation_bind(struct wl_client *client, void *data, uint32_t version, uint32_t id)
{
	struct wl_resource *resource =
		wl_resource_create(client, &wp_presentation_interface, version, id);

	wl_resource_set_implementation(resource, &presentation_impl, data, NULL);
	wp_presentation_send_clock_id(resource, CLOCK_MONOTONIC);
}

/* ---- zwp_linux_dmabuf_v1 ---- */

static const uint32_t formats[] = {DRM_FORMAT_XRGB8888, DRM_FORMAT_ARGB8888};

static void params_add(struct wl_client *client, struct wl_resource *resource, int32_t fd,
		       uint32_t plane_idx, uint32_t offset, uint32_t stride, uint32_t modifier_hi,
		       uint32_t modifier_lo)
{
	struct fake_params *params = wl_resource_get_user_data(resource);

	if (plane_idx != 0 || params->fd >= 0) {
		close(fd);
		wl_resource_post_error(resource, ZWP_LINUX_BUFFER_PARAMS_V1_ERROR_PLANE_IDX,
				       "one plane only");
		return;
	}
	params->fd = fd;
	params->offset = offset;
	params->stride = stride;
	params->modifier = (uint64_t)modifier_hi << 32 | modifier_lo;
}

static struct wl_resource *params_make_buffer(struct wl_client *client,
					      struct wl_resource *resource, uint32_t id,
					      int32_t width, int32_t height, uint32_t format)
{
	struct fake_params *params = wl_resource_get_user_data(resource);
	struct wl_resource *buffer_resource;
	struct fake_buffer *buffer;

	if (params->used) {
		wl_resource_post_error(resource, ZWP_LINUX_BUFFER_PARAMS_V1_ERROR_ALREADY_USED,
				       "already used");
		return NULL;
	}
	params->used = true;
	if (params->fd < 0 || params->modifier != DRM_FORMAT_MOD_LINEAR ||
	    (format != formats[0] && format != formats[1]) || width < 1 || height < 1 ||
	    params->stride < (uint32_t)width * 4) {
		debug("params refused: fd %d modifier 0x%" PRIx64 " stride %u", params->fd,
		      params->modifier, params->stride);
		return NULL;
	}
	buffer_resource = wl_resource_create(client, &wl_buffer_interface, 1, id);
	wl_resource_set_implementation(buffer_resource, &dmabuf_buffer_impl, NULL, NULL);
	buffer = buffer_create(buffer_resource, params->fd);
	buffer->width = width;
	buffer->height = height;
	buffer->stride = params->stride;
	buffer->offset = params->offset;
	params->fd = -1;
	return buffer_resource;
}

static void params_create(struct wl_client *client, struct wl_resource *resource, int32_t width,
			  int32_t height, uint32_t format, uint32_t flags)
{
	struct wl_resource *buffer = params_make_buffer(client, resource, 0, width, height, format);

	if (buffer)
		zwp_linux_buffer_params_v1_send_created(resource, buffer);
	else if (wl_resource_get_user_data(resource))
		zwp_linux_buffer_params_v1_send_failed(resource);
}

static void params_create_immed(struct wl_client *client, struct wl_resource *resource, uint32_t id,
				int32_t width, int32_t height, uint32_t format, uint32_t flags)
{
	if (!params_make_buffer(client, resource, id, width, height, format))
		wl_resource_post_error(resource, ZWP_LINUX_BUFFER_PARAMS_V1_ERROR_INVALID_WL_BUFFER,
				       "refused");
}

static const struct zwp_linux_buffer_params_v1_interface params_impl = {
	.destroy = destroy_resource,
	.add = params_add,
	.create = params_create,
	.create_immed = params_create_immed,
};

static void params_handle_destroy(struct wl_resource *resource)
{
	struct fake_params *params = wl_resource_get_user_data(resource);

	if (params->fd >= 0)
		close(params->fd);
	free(params);
}

static void dmabuf_create_params(struct wl_client *client, struct wl_resource *resource,
				 uint32_t id)
{
	struct fake_params *params = calloc(1, sizeof(*params));
	struct wl_resource *params_resource =
		wl_resource_create(client, &zwp_linux_buffer_params_v1_interface,
				   wl_resource_get_version(resource), id);

	params->fd = -1;
	wl_resource_set_implementation(params_resource, &params_impl, params,
				       params_handle_destroy);
}

static const struct zwp_linux_dmabuf_feedback_v1_interface feedback_impl = {
	.destroy = destroy_resource,
};

/* linux-dmabuf-unstable-v1 v4: the formats as a table in a file, and tranches of indices. */
static void send_default_feedback(struct wl_resource *feedback)
{
	struct table_entry {
		uint32_t format, padding;
		uint64_t modifier;
	} table[2];
	struct wl_array array;
	uint16_t *index;
	dev_t dev = 0;
	int fd;

	for (int i = 0; i < 2; i++)
		table[i] = (struct table_entry){formats[i], 0, DRM_FORMAT_MOD_LINEAR};
	fd = memfd_create("sb-fake-formats", MFD_CLOEXEC);
	if (fd < 0 || write(fd, table, sizeof(table)) != sizeof(table))
		abort();
	zwp_linux_dmabuf_feedback_v1_send_format_table(feedback, fd, sizeof(table));
	close(fd);
	wl_array_init(&array);
	memcpy(wl_array_add(&array, sizeof(dev)), &dev, sizeof(dev));
	zwp_linux_dmabuf_feedback_v1_send_main_device(feedback, &array);
	zwp_linux_dmabuf_feedback_v1_send_tranche_target_device(feedback, &array);
	wl_array_release(&array);
	wl_array_init(&array);
	for (uint16_t i = 0; i < 2; i++) {
		index = wl_array_add(&array, sizeof(*index));
		*index = i;
	}
	zwp_linux_dmabuf_feedback_v1_send_tranche_formats(feedback, &array);
	wl_array_release(&array);
	zwp_linux_dmabuf_feedback_v1_send_tranche_flags(feedback, 0);
	zwp_linux_dmabuf_feedback_v1_send_tranche_done(feedback);
	zwp_linux_dmabuf_feedback_v1_send_done(feedback);
}

static void dmabuf_get_default_feedback(struct wl_client *client, struct wl_resource *resource,
					uint32_t id)
{
	struct wl_resource *feedback =
		wl_resource_create(client, &zwp_linux_dmabuf_feedback_v1_interface, 4, id);

	wl_resource_set_implementation(feedback, &feedback_impl, NULL, NULL);
	send_default_feedback(feedback);
}

static void dmabuf_get_surface_feedback(struct wl_client *client, struct wl_resource *resource,
					uint32_t id, struct wl_resource *surface)
{
	dmabuf_get_default_feedback(client, resource, id);
}

static const struct zwp_linux_dmabuf_v1_interface dmabuf_impl = {
	.destroy = destroy_resource,
	.create_params = dmabuf_create_params,
	.get_default_feedback = dmabuf_get_default_feedback,
	.get_surface_feedback = dmabuf_get_surface_feedback,
};

static void dmabuf_bind(struct wl_client *client, void *data, uint32_t version, uint32_t id)
{
	struct wl_resource *resource =
		wl_resource_create(client, &zwp_linux_dmabuf_v1_interface, version, id);

	wl_resource_set_implementation(resource, &dmabuf_impl, data, NULL);
	/* Version 4 replaced these events by the feedback objects. */
	if (version >= 4)
		return;
	for (int i = 0; i < 2; i++) {
		zwp_linux_dmabuf_v1_send_format(resource, formats[i]);
		if (version >= 3)
			zwp_linux_dmabuf_v1_send_modifier(resource, formats[i],
							  (uint32_t)(DRM_FORMAT_MOD_LINEAR >> 32),
							  (uint32_t)DRM_FORMAT_MOD_LINEAR);
	}
}

/* ---- zwp_linux_explicit_synchronization_v1 ---- */

static bool is_sync_file(int fd)
{
	char path[64], link[64];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0)
		return false;
	link[n] = '\0';
	return strcmp(link, "anon_inode:sync_file") == 0;
}

static void sync_set_acquire_fence(struct wl_client *client, struct wl_resource *resource,
				   int32_t fd)
{
	struct fake_surface *surface = wl_resource_get_user_data(resource);

	if (!surface) {
		close(fd);
		wl_resource_post_error(resource,
				       ZWP_LINUX_SURFACE_SYNCHRONIZATION_V1_ERROR_NO_SURFACE,
				       "surface gone");
		return;
	}
	if (!is_sync_file(fd)) {
		close(fd);
		wl_resource_post_error(resource,
				       ZWP_LINUX_SURFACE_SYNCHRONIZATION_V1_ERROR_INVALID_FENCE,
				       "not a sync_file");
		return;
	}
	if (surface->pending->acquire_explicit) {
		close(fd);
		wl_resource_post_error(resource,
				       ZWP_LINUX_SURFACE_SYNCHRONIZATION_V1_ERROR_DUPLICATE_FENCE,
				       "second acquire fence");
		return;
	}
	surface->pending->acquire_fd = fd;
	surface->pending->acquire_explicit = true;
}

static void sync_get_release(struct wl_client *client, struct wl_resource *resource, uint32_t id)
{
	struct fake_surface *surface = wl_resource_get_user_data(resource);
	struct wl_resource *release =
		wl_resource_create(client, &zwp_linux_buffer_release_v1_interface, 1, id);

	wl_resource_set_implementation(release, NULL, NULL, NULL);
	if (!surface) {
		wl_resource_post_error(resource,
				       ZWP_LINUX_SURFACE_SYNCHRONIZATION_V1_ERROR_NO_SURFACE,
				       "surface gone");
		return;
	}
	if (surface->pending->release) {
		wl_resource_post_error(resource,
				       ZWP_LINUX_SURFACE_SYNCHRONIZATION_V1_ERROR_DUPLICATE_RELEASE,
				       "second release");
		return;
	}
	surface->pending->release = release;
}

static const struct zwp_linux_surface_synchronization_v1_interface sync_impl = {
	.destroy = destroy_resource,
	.set_acquire_fence = sync_set_acquire_fence,
	.get_release = sync_get_release,
};

static void sync_handle_destroy(struct wl_resource *resource)
{
	struct fake_surface *surface = wl_resource_get_user_data(resource);

	if (surface)
		surface->sync = NULL;
}

static void explicit_get_synchronization(struct wl_client *client, struct wl_resource *resource,
					 uint32_t id, struct wl_resource *surface_resource)
{
	struct fake_surface *surface = wl_resource_get_user_data(surface_resource);
	struct wl_resource *sync =
		wl_resource_create(client, &zwp_linux_surface_synchronization_v1_interface,
				   wl_resource_get_version(resource), id);

	wl_resource_set_implementation(sync, &sync_impl, surface, sync_handle_destroy);
	surface->sync = sync;
}

static const struct zwp_linux_explicit_synchronization_v1_interface explicit_impl = {
	.destroy = destroy_resource,
	.get_synchronization = explicit_get_synchronization,
};

static void explicit_bind(struct wl_client *client, void *data, uint32_t version, uint32_t id)
{
	struct wl_resource *resource = wl_resource_create(
		client, &zwp_linux_explicit_synchronization_v1_interface, version, id);

	wl_resource_set_implementation(resource, &explicit_impl, data, NULL);
}

/* ---- main ---- */

static void handle_client_destroy(struct wl_listener *listener, void *data)
{
	struct fake *fake = wl_container_of(listener, fake, client_destroy);

	wl_display_terminate(fake->display);
}

static void handle_client_created(struct wl_listener *listener, void *data)
{
	struct fake *fake = wl_container_of(listener, fake, client_created);
	struct wl_client *client = data;

	if (fake->have_client)
		return;
	fake->have_client = true;
	fake->client_destroy.notify = handle_client_destroy;
	wl_client_add_destroy_listener(client, &fake->client_destroy);
}

int main(int argc, char *argv[])
{
	static const struct option options[] = {
		{"socket", required_argument, NULL, 's'},
		{"dmabuf-version", required_argument, NULL, 'v'},
		{"debug", no_argument, NULL, 'd'},
		{0},
	};
	struct fake fake = {.dmabuf_version = 4};
	const char *socket = "sb-fake-0";
	int opt;

	while ((opt = getopt_long(argc, argv, "d", options, NULL)) != -1) {
		if (opt == 's')
			socket = optarg;
		else if (opt == 'v')
			fake.dmabuf_version = (uint32_t)atoi(optarg);
		else if (opt == 'd')
			debug_enabled = true;
		else
			return 2;
	}
	fake.display = wl_display_create();
	fake.loop = wl_display_get_event_loop(fake.display);
	if (wl_display_add_socket(fake.display, socket) < 0) {
		fprintf(stderr, "sb-fake-compositor: cannot listen on %s: %s\n", socket,
			strerror(errno));
		return 1;
	}
	wl_display_init_shm(fake.display);
	wl_global_create(fake.display, &wl_compositor_interface, 4, &fake, compositor_bind);
	wl_global_create(fake.display, &xdg_wm_base_interface, 2, &fake, wm_base_bind);
	wl_global_create(fake.display, &wp_presentation_interface, 1, &fake, presentation_bind);
	wl_global_create(fake.display, &zwp_linux_dmabuf_v1_interface, (int)fake.dmabuf_version,
			 &fake, dmabuf_bind);
	wl_global_create(fake.display, &zwp_linux_explicit_synchronization_v1_interface, 2, &fake,
			 explicit_bind);
	fake.client_created.notify = handle_client_created;
	wl_display_add_client_created_listener(fake.display, &fake.client_created);
	wl_display_run(fake.display);
	wl_display_destroy_clients(fake.display);
	wl_display_destroy(fake.display);
	fprintf(stderr,
		"sb-fake-compositor: commits %" PRIu64 ", applied %" PRIu64
		", longest fence wait %.3f ms\n",
		fake.commits, fake.applied, (double)fake.max_wait_ns / 1e6);
	return 0;
}
