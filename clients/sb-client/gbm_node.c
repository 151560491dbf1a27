// SPDX-License-Identifier: MIT
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <drm_fourcc.h>
#include <gbm.h>
#include <xf86drm.h>

#include "gbm_node.h"
#include "util.h"

/* One way of asking GBM for a linear bo; drivers differ in which they accept. */
struct bo_recipe {
	const char *name;
	bool modifiers; /* gbm_bo_create_with_modifiers2 with the one modifier LINEAR */
	uint32_t flags;
};

static const struct bo_recipe recipes[] = {
	{"gbm_bo_create_with_modifiers2(LINEAR, RENDERING)", true, GBM_BO_USE_RENDERING},
	{"gbm_bo_create(LINEAR | RENDERING)", false, GBM_BO_USE_LINEAR | GBM_BO_USE_RENDERING},
	{"gbm_bo_create(LINEAR)", false, GBM_BO_USE_LINEAR},
};

struct gbm_node {
	int fd;
	struct gbm_device *device;
	const struct bo_recipe *recipe; /* the first that worked for the probe; used from then on */
	bool by_handle;			/* export with PRIME from the GEM handle, not GBM */
	char path[32];
};

static struct gbm_bo *bo_create(struct gbm_node *node, const struct bo_recipe *recipe,
				uint32_t format, uint32_t width, uint32_t height)
{
	static const uint64_t linear = DRM_FORMAT_MOD_LINEAR;

	if (recipe->modifiers)
		return gbm_bo_create_with_modifiers2(node->device, width, height, format, &linear,
						     1, recipe->flags);
	return gbm_bo_create(node->device, width, height, format, recipe->flags);
}

/* PRIME export of the bo's GEM handle: handles belong to the open file, which Mesa shares. */
static int export_by_handle(struct gbm_node *node, struct gbm_bo *bo)
{
	int fd;

	if (drmPrimeHandleToFD(node->fd, gbm_bo_get_handle_for_plane(bo, 0).u32,
			       DRM_CLOEXEC | DRM_RDWR, &fd) < 0) {
		log_errno(SB_DEBUG, "%s: DRM_IOCTL_PRIME_HANDLE_TO_FD", node->path);
		return -1;
	}
	return fd;
}

/* NULL if the fd is fit for mmap(PROT_WRITE, MAP_SHARED) and not inherited, else why not. */
static const char *unfit_fd(int fd)
{
	int fl = fcntl(fd, F_GETFL), fdfl = fcntl(fd, F_GETFD);

	if (fl < 0 || fdfl < 0)
		return "fcntl failed";
	if ((fl & O_ACCMODE) != O_RDWR)
		return "not O_RDWR";
	if (!(fdfl & FD_CLOEXEC))
		return "not O_CLOEXEC";
	return NULL;
}

/*
 * Decides, on a bo of its own, how this node's bos are exported. mmap(PROT_WRITE, MAP_SHARED)
 * of a dma-buf needs a file opened for writing, and Mesa's kms_swrast exports with DRM_CLOEXEC
 * alone (read-only). Exporting again cannot fix that bo: the drm_file's PRIME cache hands back
 * the same read-only dma-buf for the handle. So when GBM's fd is unfit, every later bo is
 * exported from its GEM handle with DRM_RDWR before anyone else exports it.
 */
static void choose_export(struct gbm_node *node, struct gbm_bo *bo)
{
	int fd = gbm_bo_get_fd_for_plane(bo, 0);
	const char *why = fd < 0 ? "failed" : unfit_fd(fd);

	node->by_handle = why != NULL;
	if (why)
		log_msg(SB_DEBUG,
			"%s: gbm_bo_get_fd_for_plane: %s: exporting GEM handles with "
			"DRM_RDWR",
			node->path, why);
	if (fd >= 0)
		close(fd);
}

static int export_plane(struct gbm_node *node, struct gbm_bo *bo)
{
	const char *why;
	int fd;

	if (node->by_handle)
		return export_by_handle(node, bo);
	fd = gbm_bo_get_fd_for_plane(bo, 0);
	if (fd < 0)
		return -1;
	why = unfit_fd(fd);
	if (why) {
		log_msg(SB_ERROR, "--buffer gbm: %s: gbm_bo_get_fd_for_plane: %s", node->path, why);
		close(fd);
		errno = EACCES;
		return -1;
	}
	return fd;
}

int gbm_node_alloc(struct gbm_node *node, uint32_t format, uint32_t width, uint32_t height,
		   struct gbm_node_buffer *out)
{
	*out = (struct gbm_node_buffer){.fd = -1};
	out->bo = bo_create(node, node->recipe, format, width, height);
	if (!out->bo) {
		log_errno(SB_ERROR, "--buffer gbm: %s: %s %ux%u", node->path, node->recipe->name,
			  width, height);
		return -1;
	}
	if (gbm_bo_get_plane_count(out->bo) != 1) {
		log_msg(SB_ERROR, "--buffer gbm: %s: a linear %.4s bo with %d planes", node->path,
			(const char *)&format, gbm_bo_get_plane_count(out->bo));
		errno = EINVAL;
		goto err;
	}
	out->stride = gbm_bo_get_stride_for_plane(out->bo, 0);
	out->offset = gbm_bo_get_offset(out->bo, 0);
	out->modifier = gbm_bo_get_modifier(out->bo);
	/*
	 * A driver without modifiers reports DRM_FORMAT_MOD_INVALID ("implicit"); the bo was made
	 * with GBM_BO_USE_LINEAR, so its layout is DRM_FORMAT_MOD_LINEAR, which is what the
	 * compositor has to be told (linux-dmabuf: INVALID is not a format it advertised here).
	 */
	if (out->modifier == DRM_FORMAT_MOD_INVALID && !node->recipe->modifiers)
		out->modifier = DRM_FORMAT_MOD_LINEAR;
	if (out->modifier != DRM_FORMAT_MOD_LINEAR) {
		log_msg(SB_ERROR, "--buffer gbm: %s: asked for a linear bo, got modifier 0x%llx",
			node->path, (unsigned long long)out->modifier);
		errno = EINVAL;
		goto err;
	}
	out->fd = export_plane(node, out->bo);
	if (out->fd < 0) {
		log_errno(SB_ERROR, "--buffer gbm: %s: cannot export the bo as a writable dma-buf",
			  node->path);
		goto err;
	}
	return 0;

err:
	gbm_node_free(out);
	return -1;
}

void gbm_node_free(struct gbm_node_buffer *buffer)
{
	if (buffer->fd >= 0)
		close(buffer->fd);
	if (buffer->bo)
		gbm_bo_destroy(buffer->bo);
	*buffer = (struct gbm_node_buffer){.fd = -1};
}

void gbm_node_destroy(struct gbm_node *node)
{
	if (!node)
		return;
	if (node->device)
		gbm_device_destroy(node->device);
	close(node->fd);
	free(node);
}

static const char *kernel_driver(int fd, char *name, size_t size)
{
	drmVersionPtr version = drmGetVersion(fd);

	snprintf(name, size, "%s", version && version->name ? version->name : "?");
	drmFreeVersion(version);
	return name;
}

/* The node, if its GBM device can make (and export) a buffer like the ones to come. */
static struct gbm_node *node_try(const char *path, uint32_t format, uint32_t width, uint32_t height)
{
	struct gbm_node *node = calloc(1, sizeof(*node));
	struct gbm_node_buffer probe;
	char driver[64];
	struct gbm_bo *bo;
	void *map;
	size_t i;

	if (!node)
		return NULL;
	snprintf(node->path, sizeof(node->path), "%s", path);
	node->fd = open(path, O_RDWR | O_CLOEXEC);
	if (node->fd < 0) {
		log_errno(SB_DEBUG, "--buffer gbm: open %s", path);
		free(node);
		return NULL;
	}
	node->device = gbm_create_device(node->fd);
	if (!node->device) {
		log_errno(SB_DEBUG, "--buffer gbm: %s (%s): gbm_create_device", path,
			  kernel_driver(node->fd, driver, sizeof(driver)));
		goto err;
	}
	for (i = 0; i < sizeof(recipes) / sizeof(recipes[0]); i++) {
		bo = bo_create(node, &recipes[i], format, width, height);
		if (bo) {
			choose_export(node, bo);
			gbm_bo_destroy(bo);
			break;
		}
		log_errno(SB_DEBUG, "--buffer gbm: %s: %s", path, recipes[i].name);
	}
	if (i == sizeof(recipes) / sizeof(recipes[0]))
		goto err;
	node->recipe = &recipes[i];
	if (gbm_node_alloc(node, format, width, height, &probe) < 0)
		goto err;
	/* The buffers are painted through a mapping: a node whose dma-bufs cannot be is no use. */
	map = mmap(NULL, (size_t)probe.stride * height, PROT_READ | PROT_WRITE, MAP_SHARED,
		   probe.fd, 0);
	if (map == MAP_FAILED) {
		log_errno(SB_DEBUG, "--buffer gbm: %s: mmap of the dma-buf", path);
		gbm_node_free(&probe);
		goto err;
	}
	munmap(map, (size_t)probe.stride * height);
	log_msg(SB_INFO,
		"--buffer gbm: %s (kernel driver %s, GBM backend %s): %s, modifier 0x%llx, %s",
		path, kernel_driver(node->fd, driver, sizeof(driver)),
		gbm_device_get_backend_name(node->device), node->recipe->name,
		(unsigned long long)gbm_bo_get_modifier(probe.bo),
		node->by_handle ? "exported from the GEM handle with DRM_RDWR"
				: "exported with gbm_bo_get_fd_for_plane");
	gbm_node_free(&probe);
	return node;

err:
	gbm_node_destroy(node);
	return NULL;
}

struct gbm_node *gbm_node_open(const char *path, uint32_t format, uint32_t width, uint32_t height)
{
	/* Render nodes first, where GPU drivers allocate; card nodes also offer dumb buffers. */
	static const struct {
		const char *prefix;
		int first;
	} nodes[] = {{"/dev/dri/renderD", 128}, {"/dev/dri/card", 0}};
	struct gbm_node *node;
	char name[32];

	if (path) {
		node = node_try(path, format, width, height);
		if (!node) {
			log_msg(SB_ERROR, "--buffer gbm: %s: no linear %.4s bo from GBM (-d: why)",
				path, (const char *)&format);
			errno = ENODEV;
		}
		return node;
	}
	for (size_t n = 0; n < sizeof(nodes) / sizeof(nodes[0]); n++) {
		for (int i = nodes[n].first; i < nodes[n].first + 64; i++) {
			snprintf(name, sizeof(name), "%s%d", nodes[n].prefix, i);
			if (access(name, F_OK) < 0)
				continue;
			node = node_try(name, format, width, height);
			if (node)
				return node;
		}
	}
	log_msg(SB_ERROR,
		"--buffer gbm: no DRM node in /dev/dri where Mesa's GBM makes a linear %.4s bo "
		"(-d: why)",
		(const char *)&format);
	errno = ENODEV;
	return NULL;
}
