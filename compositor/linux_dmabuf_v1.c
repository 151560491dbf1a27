// SPDX-License-Identifier: MIT
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <drm_fourcc.h>
#include <xf86drm.h>
#include <xf86drmMode.h>
#include <wlr/render/dmabuf.h>
#include <wlr/render/wlr_renderer.h>
#include <wlr/types/wlr_buffer.h>
#include <wlr/util/log.h>

#include <syncbridge/dmabuf.h>

#include "bounded_sync.h"
#include "linux-dmabuf-unstable-v1-protocol.h"
#include "linux_dmabuf_v1.h"

#define LINUX_DMABUF_VERSION 4

/*
 * The single-plane formats a CPU reader can take from a linear dma-buf, with their bytes per
 * pixel. Offered are those of them that the renderer also reads from wl_shm (its texture from a
 * data pointer is the same code for both): wlroots 0.15.1's pixman renderer takes all of these.
 */
static const struct linear_format {
	uint32_t format;
	uint32_t bytes_per_pixel;
} linear_formats[] = {
	{DRM_FORMAT_XRGB8888, 4},    {DRM_FORMAT_ARGB8888, 4},	  {DRM_FORMAT_XBGR8888, 4},
	{DRM_FORMAT_ABGR8888, 4},    {DRM_FORMAT_RGBX8888, 4},	  {DRM_FORMAT_RGBA8888, 4},
	{DRM_FORMAT_BGRX8888, 4},    {DRM_FORMAT_BGRA8888, 4},	  {DRM_FORMAT_RGB565, 2},
	{DRM_FORMAT_BGR565, 2},	     {DRM_FORMAT_XRGB2101010, 4}, {DRM_FORMAT_ARGB2101010, 4},
	{DRM_FORMAT_XBGR2101010, 4}, {DRM_FORMAT_ABGR2101010, 4},
};

#define N_LINEAR_FORMATS (sizeof(linear_formats) / sizeof(linear_formats[0]))

struct sb_linux_dmabuf_v1 {
	struct wl_global *global;
	struct sb_bounded_sync *sync; /* the server's, for the CPU read brackets */
	int table_fd;		      /* the format table, shared by every feedback object */
	size_t table_size;
	dev_t main_device;
	/* Offered, in format-table order: linear_formats entries the renderer reads from wl_shm. */
	const struct linear_format *formats[N_LINEAR_FORMATS];
	size_t n_formats;
	struct wl_listener display_destroy;
};

struct sb_dmabuf_buffer {
	struct wlr_buffer base;
	struct wl_resource *resource;
	struct wlr_dmabuf_attributes attribs; /* owns the fd */
	void *map;
	size_t map_size;
	struct sb_bounded_sync *sync; /* the server's: outlives every buffer */
	int cpu_access;		      /* nesting of CPU read brackets */
	bool synced;		      /* the outermost bracket took DMA_BUF_IOCTL_SYNC */
	bool y_inverted;	      /* zwp_linux_buffer_params_v1.flags: Y_INVERT */
	struct wl_listener release;
};

struct params {
	struct sb_linux_dmabuf_v1 *dmabuf;
	struct wl_resource *resource;
	struct wlr_dmabuf_attributes attribs;
	bool plane_set[WLR_DMABUF_MAX_PLANES];
	uint64_t modifier;
	bool used;
};

static const struct wlr_buffer_impl buffer_impl;

/* Buffers of ours alive, over every client: output frames skip their walk when there are none. */
static unsigned long buffers_alive;

static struct sb_dmabuf_buffer *buffer_from_wlr(struct wlr_buffer *buffer)
{
	struct sb_dmabuf_buffer *b = wl_container_of(buffer, b, base);

	return b;
}

bool sb_dmabuf_buffers_alive(void)
{
	return buffers_alive > 0;
}

bool sb_dmabuf_buffer_is(struct wlr_buffer *buffer)
{
	return buffer && buffer->impl == &buffer_impl;
}

bool sb_dmabuf_buffer_y_inverted(struct wlr_buffer *buffer)
{
	return sb_dmabuf_buffer_is(buffer) && buffer_from_wlr(buffer)->y_inverted;
}

/*
 * DMA_BUF_IOCTL_SYNC brackets CPU reads for cache coherency, but SYNC_START also waits, with no
 * timeout, for every write fence the buffer has *now* (dma_buf_begin_cpu_access). The gate has
 * already waited for the fences that were there at commit; a writer the client added later must
 * not stall the compositor: bounded_sync.c takes the bracket only when no writer is pending, under
 * a bound, and otherwise the read goes ahead without it. END only follows a START taken.
 */
static void dmabuf_cpu_read_begin(struct sb_dmabuf_buffer *buffer)
{
	if (buffer->cpu_access++ > 0)
		return;
	buffer->synced = sb_bounded_sync_start(buffer->sync, buffer->attribs.fd[0],
					       SB_ACCESS_READ | SB_ACCESS_CHECKED);
	if (!buffer->synced)
		wlr_log(WLR_DEBUG,
			"dma-buf %p: read without SYNC_START (writer pending, or no bound)",
			(void *)buffer);
}

static void dmabuf_cpu_read_end(struct sb_dmabuf_buffer *buffer)
{
	if (buffer->cpu_access == 0 || --buffer->cpu_access > 0 || !buffer->synced)
		return;
	sb_bounded_sync_end(buffer->attribs.fd[0], SB_ACCESS_READ);
}

void sb_dmabuf_buffer_begin_cpu_read(struct wlr_buffer *buffer)
{
	dmabuf_cpu_read_begin(buffer_from_wlr(buffer));
}

void sb_dmabuf_buffer_end_cpu_read(struct wlr_buffer *buffer)
{
	dmabuf_cpu_read_end(buffer_from_wlr(buffer));
}

static void buffer_destroy(struct wlr_buffer *wlr_buffer)
{
	struct sb_dmabuf_buffer *buffer = buffer_from_wlr(wlr_buffer);

	if (buffer->resource)
		wl_resource_set_user_data(buffer->resource, NULL);
	wl_list_remove(&buffer->release.link);
	munmap(buffer->map, buffer->map_size);
	wlr_dmabuf_attributes_finish(&buffer->attribs);
	free(buffer);
	buffers_alive--;
}

static bool buffer_get_dmabuf(struct wlr_buffer *wlr_buffer, struct wlr_dmabuf_attributes *attribs)
{
	*attribs = buffer_from_wlr(wlr_buffer)->attribs;
	return true;
}

static bool buffer_begin_data_ptr_access(struct wlr_buffer *wlr_buffer, uint32_t flags, void **data,
					 uint32_t *format, size_t *stride)
{
	struct sb_dmabuf_buffer *buffer = buffer_from_wlr(wlr_buffer);

	/* Client buffers are mapped read-only: the compositor never writes them. */
	if (flags & WLR_BUFFER_DATA_PTR_ACCESS_WRITE)
		return false;
	/*
	 * No DMA_BUF_IOCTL_SYNC here. wlroots 0.15 calls this in two places: the pixman
	 * renderer's composite, which only runs inside output_frame() or a screenshot, both of
	 * which bracket every visible client dma-buf first (output_bracket_cpu_reads(): this
	 * nests inside it), and pixman_texture_from_buffer(), which only takes the pointer while
	 * a new state is applied. Bracketing that would put a poll, two timer_settime and two
	 * SYNC ioctls into every gated commit's apply for a read that does not happen.
	 */
	*data = (uint8_t *)buffer->map + buffer->attribs.offset[0];
	*format = buffer->attribs.format;
	*stride = buffer->attribs.stride[0];
	return true;
}

static void buffer_end_data_ptr_access(struct wlr_buffer *wlr_buffer)
{
}

static const struct wlr_buffer_impl buffer_impl = {
	.destroy = buffer_destroy,
	.get_dmabuf = buffer_get_dmabuf,
	.begin_data_ptr_access = buffer_begin_data_ptr_access,
	.end_data_ptr_access = buffer_end_data_ptr_access,
};

static void wl_buffer_handle_destroy(struct wl_client *client, struct wl_resource *resource)
{
	wl_resource_destroy(resource);
}

static const struct wl_buffer_interface wl_buffer_impl = {
	.destroy = wl_buffer_handle_destroy,
};

static void wl_buffer_resource_destroy(struct wl_resource *resource)
{
	struct sb_dmabuf_buffer *buffer = wl_resource_get_user_data(resource);

	if (!buffer)
		return;
	buffer->resource = NULL;
	wlr_buffer_drop(&buffer->base);
}

static bool buffer_is_instance(struct wl_resource *resource)
{
	return wl_resource_instance_of(resource, &wl_buffer_interface, &wl_buffer_impl);
}

static struct wlr_buffer *buffer_from_resource(struct wl_resource *resource)
{
	struct sb_dmabuf_buffer *buffer = wl_resource_get_user_data(resource);

	return &buffer->base;
}

static const struct wlr_buffer_resource_interface buffer_resource_interface = {
	.name = "syncbridge_dmabuf",
	.is_instance = buffer_is_instance,
	.from_resource = buffer_from_resource,
};

static void buffer_handle_release(struct wl_listener *listener, void *data)
{
	struct sb_dmabuf_buffer *buffer = wl_container_of(listener, buffer, release);

	if (buffer->resource)
		wl_buffer_send_release(buffer->resource);
}

static const struct linear_format *offered_format(const struct sb_linux_dmabuf_v1 *dmabuf,
						  uint32_t format)
{
	for (size_t i = 0; i < dmabuf->n_formats; i++)
		if (dmabuf->formats[i]->format == format)
			return dmabuf->formats[i];
	return NULL;
}

static struct params *params_from_resource(struct wl_resource *resource)
{
	return wl_resource_get_user_data(resource);
}

static void params_handle_destroy(struct wl_client *client, struct wl_resource *resource)
{
	wl_resource_destroy(resource);
}

static void params_handle_add(struct wl_client *client, struct wl_resource *resource, int32_t fd,
			      uint32_t plane_idx, uint32_t offset, uint32_t stride,
			      uint32_t modifier_hi, uint32_t modifier_lo)
{
	struct params *params = params_from_resource(resource);
	uint64_t modifier = ((uint64_t)modifier_hi << 32) | modifier_lo;

	if (params->used) {
		wl_resource_post_error(resource, ZWP_LINUX_BUFFER_PARAMS_V1_ERROR_ALREADY_USED,
				       "params was already used to create a wl_buffer");
		goto err_close;
	}
	if (plane_idx >= WLR_DMABUF_MAX_PLANES) {
		wl_resource_post_error(resource, ZWP_LINUX_BUFFER_PARAMS_V1_ERROR_PLANE_IDX,
				       "plane index %u is not below %d", plane_idx,
				       WLR_DMABUF_MAX_PLANES);
		goto err_close;
	}
	if (params->plane_set[plane_idx]) {
		wl_resource_post_error(resource, ZWP_LINUX_BUFFER_PARAMS_V1_ERROR_PLANE_SET,
				       "plane %u was already set", plane_idx);
		goto err_close;
	}
	if (params->attribs.n_planes > 0 && params->modifier != modifier) {
		wl_resource_post_error(resource, ZWP_LINUX_BUFFER_PARAMS_V1_ERROR_INVALID_FORMAT,
				       "planes have different modifiers");
		goto err_close;
	}
	params->plane_set[plane_idx] = true;
	params->modifier = modifier;
	params->attribs.fd[plane_idx] = fd;
	params->attribs.offset[plane_idx] = offset;
	params->attribs.stride[plane_idx] = stride;
	params->attribs.n_planes++;
	return;

err_close:
	close(fd);
}

/*
 * Checks what linux-dmabuf says must be checked, posting its errors; then whether this
 * compositor can read the buffer (a reason to fail, not a protocol error). Returns the mapped
 * size, 0 for "cannot import", or -1 after a protocol error.
 */
static ssize_t params_validate(struct params *params, int32_t width, int32_t height,
			       uint32_t format, uint32_t flags, const char **why)
{
	struct wlr_dmabuf_attributes *attribs = &params->attribs;
	const struct linear_format *linear = offered_format(params->dmabuf, format);
	uint64_t end;
	off_t size;

	if (!params->plane_set[0]) {
		wl_resource_post_error(params->resource,
				       ZWP_LINUX_BUFFER_PARAMS_V1_ERROR_INCOMPLETE,
				       "plane 0 was not set");
		return -1;
	}
	if (!linear || attribs->n_planes != 1) {
		wl_resource_post_error(params->resource,
				       ZWP_LINUX_BUFFER_PARAMS_V1_ERROR_INVALID_FORMAT,
				       "format 0x%08x with %d plane(s) is not supported (one plane "
				       "of a format in the feedback's format table)",
				       format, attribs->n_planes);
		return -1;
	}
	if (width < 1 || height < 1) {
		wl_resource_post_error(params->resource,
				       ZWP_LINUX_BUFFER_PARAMS_V1_ERROR_INVALID_DIMENSIONS,
				       "invalid size %dx%d", width, height);
		return -1;
	}
	size = lseek(attribs->fd[0], 0, SEEK_END);
	end = (uint64_t)attribs->offset[0] + (uint64_t)attribs->stride[0] * (uint64_t)height;
	if (attribs->stride[0] < (uint64_t)width * linear->bytes_per_pixel ||
	    (size >= 0 && end > (uint64_t)size)) {
		wl_resource_post_error(params->resource,
				       ZWP_LINUX_BUFFER_PARAMS_V1_ERROR_OUT_OF_BOUNDS,
				       "offset %u + stride %u x height %d is outside the %lld-byte "
				       "dma-buf, or the stride is under %u x width",
				       attribs->offset[0], attribs->stride[0], height,
				       (long long)size, linear->bytes_per_pixel);
		return -1;
	}
	if (params->modifier != DRM_FORMAT_MOD_LINEAR &&
	    params->modifier != DRM_FORMAT_MOD_INVALID) {
		/* linux-dmabuf v4: a format/modifier pair that was not advertised is invalid_format. */
		if (wl_resource_get_version(params->resource) >= 4) {
			wl_resource_post_error(
				params->resource, ZWP_LINUX_BUFFER_PARAMS_V1_ERROR_INVALID_FORMAT,
				"modifier 0x%016llx was not advertised (only LINEAR)",
				(unsigned long long)params->modifier);
			return -1;
		}
		*why = "only linear buffers can be read";
		return 0;
	}
	if (size < 0 || sb_dmabuf_check(attribs->fd[0]) != 1) {
		*why = "the fd is not a dma-buf";
		return 0;
	}
	/*
	 * Y_INVERT: the renderer flips the buffer where it composes it (renderer.c) and the output
	 * never scans it out (output.c). Interlaced and bottom-first field orders, and bits the
	 * protocol does not define, have no meaning for a progressive output: the protocol's way
	 * to refuse a buffer is failed (create) or invalid_wl_buffer (create_immed).
	 */
	if (flags & ~(uint32_t)ZWP_LINUX_BUFFER_PARAMS_V1_FLAGS_Y_INVERT) {
		*why = "interlaced and bottom-first buffers are not supported (only y_invert)";
		return 0;
	}
	return (ssize_t)size;
}

static void params_create_common(struct wl_client *client, struct wl_resource *params_resource,
				 uint32_t buffer_id, int32_t width, int32_t height, uint32_t format,
				 uint32_t flags)
{
	struct params *params = params_from_resource(params_resource);
	struct sb_dmabuf_buffer *buffer = NULL;
	const char *why = "out of memory";
	ssize_t size;
	void *map;

	if (params->used) {
		wl_resource_post_error(params_resource,
				       ZWP_LINUX_BUFFER_PARAMS_V1_ERROR_ALREADY_USED,
				       "params was already used to create a wl_buffer");
		return;
	}
	params->used = true;
	size = params_validate(params, width, height, format, flags, &why);
	if (size < 0)
		return;
	if (size == 0)
		goto err_failed;
	map = mmap(NULL, (size_t)size, PROT_READ, MAP_SHARED, params->attribs.fd[0], 0);
	if (map == MAP_FAILED) {
		why = "the dma-buf cannot be mapped for reading";
		goto err_failed;
	}
	buffer = calloc(1, sizeof(*buffer));
	if (!buffer) {
		munmap(map, (size_t)size);
		goto err_failed;
	}
	buffers_alive++;
	buffer->map = map;
	buffer->map_size = (size_t)size;
	buffer->sync = params->dmabuf->sync;
	buffer->attribs = params->attribs;
	buffer->attribs.width = width;
	buffer->attribs.height = height;
	buffer->attribs.format = format;
	buffer->attribs.modifier = DRM_FORMAT_MOD_LINEAR;
	buffer->y_inverted = flags & ZWP_LINUX_BUFFER_PARAMS_V1_FLAGS_Y_INVERT;
	params->attribs.n_planes = 0; /* the buffer owns the fd now */
	params->plane_set[0] = false;
	wlr_buffer_init(&buffer->base, &buffer_impl, width, height);
	buffer->release.notify = buffer_handle_release;
	wl_signal_add(&buffer->base.events.release, &buffer->release);
	buffer->resource = wl_resource_create(client, &wl_buffer_interface, 1, buffer_id);
	if (!buffer->resource) {
		wl_client_post_no_memory(client);
		wlr_buffer_drop(&buffer->base);
		return;
	}
	wl_resource_set_implementation(buffer->resource, &wl_buffer_impl, buffer,
				       wl_buffer_resource_destroy);
	if (buffer_id == 0)
		zwp_linux_buffer_params_v1_send_created(params_resource, buffer->resource);
	return;

err_failed:
	wlr_log(WLR_DEBUG, "linux-dmabuf: cannot import a %dx%d buffer: %s", width, height, why);
	if (buffer_id == 0) {
		zwp_linux_buffer_params_v1_send_failed(params_resource);
	} else {
		/* create_immed: the protocol's way to refuse is the invalid_wl_buffer error. */
		wl_resource_post_error(params_resource,
				       ZWP_LINUX_BUFFER_PARAMS_V1_ERROR_INVALID_WL_BUFFER,
				       "cannot import the buffer: %s", why);
	}
}

static void params_handle_create(struct wl_client *client, struct wl_resource *resource,
				 int32_t width, int32_t height, uint32_t format, uint32_t flags)
{
	params_create_common(client, resource, 0, width, height, format, flags);
}

static void params_handle_create_immed(struct wl_client *client, struct wl_resource *resource,
				       uint32_t buffer_id, int32_t width, int32_t height,
				       uint32_t format, uint32_t flags)
{
	params_create_common(client, resource, buffer_id, width, height, format, flags);
}

static const struct zwp_linux_buffer_params_v1_interface params_impl = {
	.destroy = params_handle_destroy,
	.add = params_handle_add,
	.create = params_handle_create,
	.create_immed = params_handle_create_immed,
};

static void params_resource_destroy(struct wl_resource *resource)
{
	struct params *params = params_from_resource(resource);

	for (int i = 0; i < WLR_DMABUF_MAX_PLANES; i++)
		if (params->plane_set[i])
			close(params->attribs.fd[i]);
	free(params);
}

static void feedback_handle_destroy(struct wl_client *client, struct wl_resource *resource)
{
	wl_resource_destroy(resource);
}

static const struct zwp_linux_dmabuf_feedback_v1_interface feedback_impl = {
	.destroy = feedback_handle_destroy,
};

/* One tranche with every format we read, on the main device: all a CPU reader can say. */
static void send_feedback(struct sb_linux_dmabuf_v1 *dmabuf, struct wl_resource *resource)
{
	size_t n = dmabuf->n_formats;
	struct wl_array device, indices;

	wl_array_init(&device);
	wl_array_init(&indices);
	zwp_linux_dmabuf_feedback_v1_send_format_table(resource, dmabuf->table_fd,
						       (uint32_t)dmabuf->table_size);
	if (wl_array_add(&device, sizeof(dev_t)))
		memcpy(device.data, &dmabuf->main_device, sizeof(dev_t));
	zwp_linux_dmabuf_feedback_v1_send_main_device(resource, &device);
	zwp_linux_dmabuf_feedback_v1_send_tranche_target_device(resource, &device);
	for (size_t i = 0; i < n; i++) {
		uint16_t *index = wl_array_add(&indices, sizeof(*index));

		if (index)
			*index = (uint16_t)i;
	}
	zwp_linux_dmabuf_feedback_v1_send_tranche_formats(resource, &indices);
	zwp_linux_dmabuf_feedback_v1_send_tranche_flags(resource, 0);
	zwp_linux_dmabuf_feedback_v1_send_tranche_done(resource);
	zwp_linux_dmabuf_feedback_v1_send_done(resource);
	wl_array_release(&device);
	wl_array_release(&indices);
}

static void create_feedback(struct wl_resource *dmabuf_resource, uint32_t id)
{
	struct sb_linux_dmabuf_v1 *dmabuf = wl_resource_get_user_data(dmabuf_resource);
	struct wl_resource *resource = wl_resource_create(
		wl_resource_get_client(dmabuf_resource), &zwp_linux_dmabuf_feedback_v1_interface,
		wl_resource_get_version(dmabuf_resource), id);

	if (!resource) {
		wl_resource_post_no_memory(dmabuf_resource);
		return;
	}
	wl_resource_set_implementation(resource, &feedback_impl, NULL, NULL);
	send_feedback(dmabuf, resource);
}

static void dmabuf_handle_destroy(struct wl_client *client, struct wl_resource *resource)
{
	wl_resource_destroy(resource);
}

static void dmabuf_handle_create_params(struct wl_client *client, struct wl_resource *resource,
					uint32_t id)
{
	struct params *params = calloc(1, sizeof(*params));

	if (!params) {
		wl_resource_post_no_memory(resource);
		return;
	}
	params->dmabuf = wl_resource_get_user_data(resource);
	params->resource = wl_resource_create(client, &zwp_linux_buffer_params_v1_interface,
					      wl_resource_get_version(resource), id);
	if (!params->resource) {
		free(params);
		wl_resource_post_no_memory(resource);
		return;
	}
	wl_resource_set_implementation(params->resource, &params_impl, params,
				       params_resource_destroy);
}

static void dmabuf_handle_get_default_feedback(struct wl_client *client,
					       struct wl_resource *resource, uint32_t id)
{
	create_feedback(resource, id);
}

static void dmabuf_handle_get_surface_feedback(struct wl_client *client,
					       struct wl_resource *resource, uint32_t id,
					       struct wl_resource *surface)
{
	create_feedback(resource, id);
}

static const struct zwp_linux_dmabuf_v1_interface dmabuf_impl = {
	.destroy = dmabuf_handle_destroy,
	.create_params = dmabuf_handle_create_params,
	.get_default_feedback = dmabuf_handle_get_default_feedback,
	.get_surface_feedback = dmabuf_handle_get_surface_feedback,
};

static void dmabuf_bind(struct wl_client *client, void *data, uint32_t version, uint32_t id)
{
	struct sb_linux_dmabuf_v1 *dmabuf = data;
	struct wl_resource *resource =
		wl_resource_create(client, &zwp_linux_dmabuf_v1_interface, (int)version, id);

	if (!resource) {
		wl_client_post_no_memory(client);
		return;
	}
	wl_resource_set_implementation(resource, &dmabuf_impl, dmabuf, NULL);
	/* Version 4 clients learn formats from feedback; older ones from these events. */
	for (size_t i = 0; version < 4 && i < dmabuf->n_formats; i++) {
		uint32_t format = dmabuf->formats[i]->format;

		if (version >= 3)
			zwp_linux_dmabuf_v1_send_modifier(resource, format,
							  DRM_FORMAT_MOD_LINEAR >> 32,
							  DRM_FORMAT_MOD_LINEAR & 0xffffffff);
		else
			zwp_linux_dmabuf_v1_send_format(resource, format);
	}
}

/* zwp_linux_dmabuf_feedback_v1.format_table: a sealed memfd of {u32 format, u32 pad, u64 mod}. */
static int create_format_table(const struct sb_linux_dmabuf_v1 *dmabuf, size_t *size)
{
	struct format_table_entry {
		uint32_t format;
		uint32_t pad;
		uint64_t modifier;
	} table[N_LINEAR_FORMATS];
	size_t bytes = dmabuf->n_formats * sizeof(table[0]);
	int fd = memfd_create("syncbridge-dmabuf-formats", MFD_CLOEXEC | MFD_ALLOW_SEALING);

	if (fd < 0)
		return -1;
	for (size_t i = 0; i < dmabuf->n_formats; i++)
		table[i] = (struct format_table_entry){.format = dmabuf->formats[i]->format,
						       .modifier = DRM_FORMAT_MOD_LINEAR};
	if (write(fd, table, bytes) != (ssize_t)bytes ||
	    fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) < 0) {
		close(fd);
		return -1;
	}
	*size = bytes;
	return fd;
}

/* The linear formats the renderer also reads from wl_shm, in linear_formats' order. */
static void find_formats(struct sb_linux_dmabuf_v1 *dmabuf, struct wlr_renderer *renderer)
{
	size_t n_shm = 0;
	const uint32_t *shm = wlr_renderer_get_shm_texture_formats(renderer, &n_shm);

	for (size_t i = 0; i < N_LINEAR_FORMATS; i++)
		for (size_t j = 0; shm && j < n_shm; j++)
			if (shm[j] == linear_formats[i].format)
				dmabuf->formats[dmabuf->n_formats++] = &linear_formats[i];
}

/*
 * Whether a client can allocate on the DRM node at path with Mesa's GBM when the device has no GPU
 * driver of its own (kms_swrast): through dumb buffers, which the kernel gives on primary (card)
 * nodes only (DRM_IOCTL_MODE_CREATE_DUMB is not DRM_RENDER_ALLOW). want_kms: only a device with
 * CRTCs (vkms, virtio-gpu), where Mesa loads kms_swrast directly; vgem works too, after Mesa
 * fails to load a "vgem" driver and falls back.
 */
static bool can_allocate_on(const char *path, bool want_kms, dev_t *dev)
{
	int fd = open(path, O_RDWR | O_CLOEXEC);
	drmModeRes *res = NULL;
	uint64_t dumb = 0;
	struct stat st;
	bool ok;

	if (fd < 0)
		return false;
	ok = drmGetCap(fd, DRM_CAP_DUMB_BUFFER, &dumb) == 0 && dumb && fstat(fd, &st) == 0;
	if (ok && want_kms) {
		res = drmModeGetResources(fd);
		ok = res && res->count_crtcs > 0;
		drmModeFreeResources(res);
	}
	if (ok)
		*dev = st.st_rdev;
	close(fd);
	return ok;
}

/*
 * The device clients should allocate on (main device and tranche target device): the DRM
 * backend's own device when it has one (its card node), else the first card node of a KMS device,
 * else of any device with dumb buffers. Render nodes are never named: GBM on them fails without a
 * GPU driver (no dumb buffers there). With no device at all, 0.
 */
static dev_t find_main_device(int drm_fd)
{
	struct stat st;
	char path[32];
	dev_t dev;

	if (drm_fd >= 0 && fstat(drm_fd, &st) == 0)
		return st.st_rdev;
	for (int kms = 1; kms >= 0; kms--) {
		for (int i = 0; i < 16; i++) {
			snprintf(path, sizeof(path), "/dev/dri/card%d", i);
			if (can_allocate_on(path, kms, &dev))
				return dev;
		}
	}
	return 0;
}

static void handle_display_destroy(struct wl_listener *listener, void *data)
{
	struct sb_linux_dmabuf_v1 *dmabuf = wl_container_of(listener, dmabuf, display_destroy);

	wl_list_remove(&dmabuf->display_destroy.link);
	wl_global_destroy(dmabuf->global);
	close(dmabuf->table_fd);
	free(dmabuf);
}

struct sb_linux_dmabuf_v1 *sb_linux_dmabuf_v1_create(struct wl_display *display,
						     struct wlr_renderer *renderer, int drm_fd,
						     struct sb_bounded_sync *sync)
{
	struct sb_linux_dmabuf_v1 *dmabuf = calloc(1, sizeof(*dmabuf));

	if (!dmabuf)
		return NULL;
	find_formats(dmabuf, renderer);
	if (dmabuf->n_formats == 0) {
		wlr_log(WLR_ERROR, "linux-dmabuf: the renderer reads none of the linear formats");
		goto err_free;
	}
	dmabuf->table_fd = create_format_table(dmabuf, &dmabuf->table_size);
	if (dmabuf->table_fd < 0)
		goto err_free;
	dmabuf->main_device = find_main_device(drm_fd);
	dmabuf->sync = sync;
	dmabuf->global = wl_global_create(display, &zwp_linux_dmabuf_v1_interface,
					  LINUX_DMABUF_VERSION, dmabuf, dmabuf_bind);
	if (!dmabuf->global)
		goto err_table;
	wlr_buffer_register_resource_interface(&buffer_resource_interface);
	dmabuf->display_destroy.notify = handle_display_destroy;
	wl_display_add_destroy_listener(display, &dmabuf->display_destroy);
	wlr_log(WLR_INFO,
		"linux-dmabuf v%d: %zu linear formats read through mmap; main device %u:%u",
		LINUX_DMABUF_VERSION, dmabuf->n_formats, major(dmabuf->main_device),
		minor(dmabuf->main_device));
	return dmabuf;

err_table:
	close(dmabuf->table_fd);
err_free:
	free(dmabuf);
	return NULL;
}
