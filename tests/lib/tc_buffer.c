// SPDX-License-Identifier: MIT
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include <drm_fourcc.h>
#include <wayland-client.h>

#include "kdev.h"
#include "linux-dmabuf-unstable-v1-client-protocol.h"
#include "tc_buffer.h"
#include "tc_client.h"

#define PAGE_ROUND(size) (((size) + 4095) & ~(size_t)4095)

static bool fill(int fd, size_t size, uint32_t value)
{
	uint32_t *map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);

	if (map == MAP_FAILED)
		return false;
	for (size_t i = 0; i < size / 4; i++)
		map[i] = value;
	munmap(map, size);
	return true;
}

int tc_memfd_create_filled(size_t size, uint32_t value)
{
	int fd = memfd_create("sb-test-shm", MFD_CLOEXEC);

	if (fd < 0)
		return -1;
	if (ftruncate(fd, (off_t)size) < 0 || !fill(fd, size, value)) {
		close(fd);
		return -1;
	}
	return fd;
}

int tc_udmabuf_create_filled(size_t size, uint32_t value)
{
	/* udmabuf: the memfd behind it is whole pages. */
	int fd = sb_udmabuf_create(PAGE_ROUND(size));

	if (fd < 0)
		return -1;
	if (!fill(fd, size, value)) {
		close(fd);
		return -1;
	}
	return fd;
}

struct wl_buffer *tc_dmabuf_wl_buffer_create(struct zwp_linux_dmabuf_v1 *dmabuf, int fd, int width,
					     int height, uint32_t stride, uint32_t fourcc)
{
	struct zwp_linux_buffer_params_v1 *params = zwp_linux_dmabuf_v1_create_params(dmabuf);
	struct wl_buffer *buffer;

	/* libwayland sends a duplicate of fd. */
	zwp_linux_buffer_params_v1_add(params, fd, 0, 0, stride, DRM_FORMAT_MOD_LINEAR >> 32,
				       DRM_FORMAT_MOD_LINEAR & 0xffffffff);
	buffer = zwp_linux_buffer_params_v1_create_immed(params, width, height, fourcc, 0);
	zwp_linux_buffer_params_v1_destroy(params);
	return buffer;
}

struct wl_buffer *tc_shm_wl_buffer_create(struct wl_shm *shm, int fd, size_t size, int width,
					  int height, uint32_t stride, uint32_t format)
{
	struct wl_shm_pool *pool = wl_shm_create_pool(shm, fd, (int32_t)size);
	struct wl_buffer *buffer =
		wl_shm_pool_create_buffer(pool, 0, width, height, (int32_t)stride, format);

	wl_shm_pool_destroy(pool);
	return buffer;
}

static void buffer_release(void *data, struct wl_buffer *wl_buffer)
{
	struct tc_buffer *buffer = data;

	buffer->released = true;
}

static const struct wl_buffer_listener buffer_listener = {.release = buffer_release};

struct tc_buffer *tc_shm_buffer_create(struct tc_client *client, int width, int height,
				       uint32_t shm_format, uint32_t stride, uint32_t fill)
{
	struct tc_buffer *buffer;

	if (!client->shm)
		return NULL;
	buffer = calloc(1, sizeof(*buffer));
	if (!buffer)
		return NULL;
	buffer->stride = stride;
	buffer->size = (size_t)stride * (size_t)height;
	buffer->fd = tc_memfd_create_filled(buffer->size, fill);
	if (buffer->fd < 0) {
		free(buffer);
		return NULL;
	}
	buffer->buffer = tc_shm_wl_buffer_create(client->shm, buffer->fd, buffer->size, width,
						 height, stride, shm_format);
	wl_buffer_add_listener(buffer->buffer, &buffer_listener, buffer);
	return buffer;
}

struct tc_buffer *tc_dmabuf_buffer_create(struct tc_client *client, int width, int height,
					  uint32_t fourcc, uint32_t fill)
{
	struct tc_buffer *buffer;

	if (!client->dmabuf)
		return NULL;
	buffer = calloc(1, sizeof(*buffer));
	if (!buffer)
		return NULL;
	buffer->dmabuf = true;
	buffer->stride = (uint32_t)width * 4;
	buffer->fd = tc_udmabuf_create_filled((size_t)buffer->stride * (size_t)height, fill);
	if (buffer->fd < 0) {
		free(buffer);
		return NULL;
	}
	buffer->size = PAGE_ROUND((size_t)buffer->stride * (size_t)height);
	buffer->buffer = tc_dmabuf_wl_buffer_create(client->dmabuf, buffer->fd, width, height,
						    buffer->stride, fourcc);
	wl_buffer_add_listener(buffer->buffer, &buffer_listener, buffer);
	return buffer;
}

struct tc_buffer *tc_buffer_create_shm(struct tc_client *client, int width, int height,
				       uint32_t rgb)
{
	return tc_shm_buffer_create(client, width, height, WL_SHM_FORMAT_XRGB8888,
				    (uint32_t)width * 4, 0xff000000u | rgb);
}

struct tc_buffer *tc_buffer_create_dmabuf(struct tc_client *client, int width, int height,
					  uint32_t rgb)
{
	return tc_dmabuf_buffer_create(client, width, height, DRM_FORMAT_XRGB8888,
				       0xff000000u | rgb);
}

void tc_buffer_destroy(struct tc_buffer *buffer)
{
	if (!buffer)
		return;
	wl_buffer_destroy(buffer->buffer);
	close(buffer->fd);
	free(buffer);
}

int tc_buffer_dmabuf_fd(const struct tc_buffer *buffer)
{
	return buffer->dmabuf ? buffer->fd : -1;
}

void tc_client_create_immed(struct tc_client *client, int fd, int width, int height,
			    uint32_t format, uint32_t stride)
{
	struct zwp_linux_buffer_params_v1 *params =
		zwp_linux_dmabuf_v1_create_params(client->dmabuf);

	zwp_linux_buffer_params_v1_add(params, fd, 0, 0, stride, DRM_FORMAT_MOD_LINEAR >> 32,
				       DRM_FORMAT_MOD_LINEAR & 0xffffffff);
	client->raw_params = params;
	client->raw_buffer =
		zwp_linux_buffer_params_v1_create_immed(params, width, height, format, 0);
	wl_display_flush(client->display);
}
