/* SPDX-License-Identifier: MIT */
#ifndef SB_CLIENT_OPTIONS_H
#define SB_CLIENT_OPTIONS_H

#include <stdbool.h>
#include <stdint.h>

enum buffer_kind {
	BUFFER_SHM,
	BUFFER_UDMABUF,
	BUFFER_HEAP,
	BUFFER_VGEM,
	BUFFER_GBM,
};

enum fence_kind {
	FENCE_SW_SYNC,
	FENCE_VGEM,
};

enum pattern_kind {
	PATTERN_SOLID,
	PATTERN_COUNTER,
	PATTERN_EDGES,
};

enum dmabuf_create {
	DMABUF_CREATE_IMMED,
	DMABUF_CREATE_ASYNC,
};

/* Deliberate protocol violations, for tests of a compositor's error handling. */
enum misbehave {
	MISBEHAVE_NONE,
	MISBEHAVE_UNCONFIGURED_BUFFER, /* attach + commit before the first configure */
	MISBEHAVE_INVALID_FENCE,       /* set_acquire_fence with a memfd */
	MISBEHAVE_DUPLICATE_FENCE,     /* set_acquire_fence twice in one commit */
	MISBEHAVE_DUPLICATE_RELEASE,   /* get_release twice in one commit */
	MISBEHAVE_FENCE_ON_SHM,	       /* set_acquire_fence on a commit of a wl_shm buffer */
};

/* A delay after wl_surface.commit; "never" leaves the fence unsignalled (a hung fence). */
struct delay {
	bool set;
	bool never;
	uint64_t ns;
};

struct options {
	enum buffer_kind buffer;
	const char *heap;
	const char *gbm_device; /* NULL: the first node that can allocate */
	uint32_t width, height;
	uint32_t format; /* DRM fourcc */
	uint32_t color;	 /* ARGB */
	/* --color-from N:RRGGBB: frames from color_from_frame on are painted color_from */
	bool color_from_set;
	uint64_t color_from_frame;
	uint32_t color_from;
	enum pattern_kind pattern;
	const char *label; /* --label: drawn in the window, NULL for none */
	const char *title; /* --title: the xdg_toplevel title, NULL for "sb-client" */
	int buffers;
	int surfaces;
	uint64_t frames;      /* per surface; 0: no limit */
	uint64_t duration_ns; /* 0: no limit */
	double rate_hz;	      /* 0: driven by frame callbacks */
	struct delay fence_delay;
	uint64_t fence_from; /* --fence-delay applies from this frame on */
	struct delay later_fence_delay;
	enum fence_kind fence;
	bool explicit_sync;
	bool syncobj;		 /* wp_linux_drm_syncobj_v1 acquire and release points */
	bool syncobj_late;	 /* the acquire point has no fence until --fence-delay passes */
	uint32_t dmabuf_version; /* 0: the highest the compositor offers, up to 4 */
	enum dmabuf_create dmabuf_create;
	const char *csv;
	bool expect_error;
	const char *expect_interface;
	uint32_t expect_code;
	enum misbehave misbehave;
	uint64_t drain_ns;
	const char *display;
	uint32_t dmabuf_flags; /* zwp_linux_buffer_params_v1 flags; Y_INVERT: rows bottom first */
	bool fullscreen;       /* sized by the configure of xdg_toplevel.set_fullscreen */
	bool debug;
};

/* Returns -1 (after a message) on bad options: exit EXIT_USAGE. 1 after --help: exit 0. */
int options_parse(struct options *opts, int argc, char *argv[]);

/* Frees what options_parse allocated. */
void options_finish(struct options *opts);

bool options_dmabuf(const struct options *opts);
const char *options_buffer_name(enum buffer_kind kind);

#endif
