/* SPDX-License-Identifier: MIT */
#ifndef SB_TC_BUFFER_H
#define SB_TC_BUFFER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * A wl_buffer with its memory, filled with one value: a memfd through wl_shm, or a udmabuf
 * through zwp_linux_dmabuf_v1 create_immed (one LINEAR plane at offset 0).
 */
struct tc_client;
struct wl_buffer;
struct wl_shm;
struct zwp_linux_dmabuf_v1;

struct tc_buffer {
	struct wl_buffer *buffer;
	int fd;	     /* the memfd or udmabuf, owned */
	size_t size; /* what fd can map: a udmabuf is whole pages */
	uint32_t stride;
	bool dmabuf;
	bool released; /* a wl_buffer.release came since tc_surface_attach attached it */
};

/* width x height opaque XRGB8888 of colour rgb (0xRRGGBB). */
struct tc_buffer *tc_buffer_create_shm(struct tc_client *client, int width, int height,
				       uint32_t rgb);
struct tc_buffer *tc_buffer_create_dmabuf(struct tc_client *client, int width, int height,
					  uint32_t rgb);
/* Any wl_shm format and stride, every 32-bit word fill. */
struct tc_buffer *tc_shm_buffer_create(struct tc_client *client, int width, int height,
				       uint32_t shm_format, uint32_t stride, uint32_t fill);
/* Any 32 bpp fourcc, stride width * 4, every 32-bit word fill. */
struct tc_buffer *tc_dmabuf_buffer_create(struct tc_client *client, int width, int height,
					  uint32_t fourcc, uint32_t fill);
void tc_buffer_destroy(struct tc_buffer *buffer);
/* The udmabuf (owned by the buffer), -1 for wl_shm. */
int tc_buffer_dmabuf_fd(const struct tc_buffer *buffer);

/*
 * create_immed of fd (borrowed) as one LINEAR plane, for the error tests: the objects go to the
 * client's raw_params and raw_buffer.
 */
void tc_client_create_immed(struct tc_client *client, int fd, int width, int height,
			    uint32_t format, uint32_t stride);

/* A memfd of size bytes, every 32-bit word of it value; -1 on failure. */
int tc_memfd_create_filled(size_t size, uint32_t value);
/* A udmabuf of size bytes rounded up to whole pages, every 32-bit word of the first size bytes
 * value; -1 on failure. */
int tc_udmabuf_create_filled(size_t size, uint32_t value);
/* zwp_linux_dmabuf_v1 create_immed of fd (borrowed) as one LINEAR plane at offset 0. */
struct wl_buffer *tc_dmabuf_wl_buffer_create(struct zwp_linux_dmabuf_v1 *dmabuf, int fd, int width,
					     int height, uint32_t stride, uint32_t fourcc);
/* A wl_shm buffer at offset 0 of a pool of size bytes of fd (borrowed). */
struct wl_buffer *tc_shm_wl_buffer_create(struct wl_shm *shm, int fd, size_t size, int width,
					  int height, uint32_t stride, uint32_t format);

#endif
