/* SPDX-License-Identifier: MIT */
#ifndef SB_CLIENT_GBM_NODE_H
#define SB_CLIENT_GBM_NODE_H

#include <stdint.h>

struct gbm_bo;

/*
 * A DRM node opened with Mesa's GBM: linear XRGB/ARGB8888 buffer objects, exported as dma-bufs
 * the client maps for writing. Which Mesa driver does the work depends on the node (a render
 * node needs a hardware or virgl driver; a card node can fall back to kms_swrast's dumb buffers).
 */
struct gbm_node;

/*
 * Opens path, or (path NULL) the first render node, then the first card node, whose GBM device
 * can create and export a width x height bo of format. NULL with errno (ENODEV: none could),
 * after a message.
 */
struct gbm_node *gbm_node_open(const char *path, uint32_t format, uint32_t width, uint32_t height);
void gbm_node_destroy(struct gbm_node *node);

/* One allocation: the bo, and its plane 0 as a dma-buf (O_RDWR | O_CLOEXEC) the caller owns. */
struct gbm_node_buffer {
	struct gbm_bo *bo;
	int fd;
	uint32_t stride;
	uint32_t offset;
	uint64_t modifier;
};

int gbm_node_alloc(struct gbm_node *node, uint32_t format, uint32_t width, uint32_t height,
		   struct gbm_node_buffer *out);
/* Closes the dma-buf fd (if still >= 0) and destroys the bo. */
void gbm_node_free(struct gbm_node_buffer *buffer);

#endif
