// SPDX-License-Identifier: MIT
/*
 * zwp_linux_dmabuf_v1: what the compositor advertises, and the errors and failures the XML
 * gives for bad buffer parameters.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <drm_fourcc.h>

#include "fixture.h"
#include "linux-dmabuf-unstable-v1-client-protocol.h"

#define AREA "linux-dmabuf"

/* What the v3 format/modifier events or the v4 default feedback said. */
struct formats {
	bool xrgb8888_linear;
	/* v4 feedback */
	int table_fd;
	uint32_t table_size;
	bool main_device;
	int tranches;
	int tranche_formats;
	int bad_indices;
	bool tranche_device;
	bool done;
};

static void dmabuf_format(void *data, struct zwp_linux_dmabuf_v1 *dmabuf, uint32_t format)
{
}

static void dmabuf_modifier(void *data, struct zwp_linux_dmabuf_v1 *dmabuf, uint32_t format,
			    uint32_t hi, uint32_t lo)
{
	struct formats *f = data;
	uint64_t modifier = (uint64_t)hi << 32 | lo;

	if (format == DRM_FORMAT_XRGB8888 && modifier == DRM_FORMAT_MOD_LINEAR)
		f->xrgb8888_linear = true;
}

static const struct zwp_linux_dmabuf_v1_listener dmabuf_listener = {
	.format = dmabuf_format,
	.modifier = dmabuf_modifier,
};

static void feedback_done(void *data, struct zwp_linux_dmabuf_feedback_v1 *fb)
{
	struct formats *f = data;

	f->done = true;
}

static void feedback_format_table(void *data, struct zwp_linux_dmabuf_feedback_v1 *fb, int32_t fd,
				  uint32_t size)
{
	struct formats *f = data;

	if (f->table_fd >= 0)
		close(f->table_fd);
	f->table_fd = fd;
	f->table_size = size;
}

static void feedback_main_device(void *data, struct zwp_linux_dmabuf_feedback_v1 *fb,
				 struct wl_array *device)
{
	struct formats *f = data;

	/* The XML: a dev_t in the array. */
	f->main_device = device->size == sizeof(dev_t);
}

static void feedback_tranche_done(void *data, struct zwp_linux_dmabuf_feedback_v1 *fb)
{
	struct formats *f = data;

	f->tranches++;
}

static void feedback_tranche_target_device(void *data, struct zwp_linux_dmabuf_feedback_v1 *fb,
					   struct wl_array *device)
{
	struct formats *f = data;

	f->tranche_device = device->size == sizeof(dev_t);
}

/* Format table entries: 16 bytes, a u32 format, 4 bytes of padding, a u64 modifier. */
struct table_entry {
	uint32_t format;
	uint32_t pad;
	uint64_t modifier;
};

static void feedback_tranche_formats(void *data, struct zwp_linux_dmabuf_feedback_v1 *fb,
				     struct wl_array *indices)
{
	struct formats *f = data;
	const struct table_entry *table = NULL;
	uint32_t entries = f->table_size / sizeof(*table);
	const uint16_t *index;

	if (f->table_fd >= 0 && f->table_size > 0) {
		table = mmap(NULL, f->table_size, PROT_READ, MAP_PRIVATE, f->table_fd, 0);
		if (table == MAP_FAILED)
			table = NULL;
	}
	wl_array_for_each(index, indices) {
		f->tranche_formats++;
		if (!table || *index >= entries) {
			f->bad_indices++;
			continue;
		}
		if (table[*index].format == DRM_FORMAT_XRGB8888 &&
		    table[*index].modifier == DRM_FORMAT_MOD_LINEAR)
			f->xrgb8888_linear = true;
	}
	if (table)
		munmap((void *)table, f->table_size);
}

static void feedback_tranche_flags(void *data, struct zwp_linux_dmabuf_feedback_v1 *fb,
				   uint32_t flags)
{
}

static const struct zwp_linux_dmabuf_feedback_v1_listener feedback_listener = {
	.done = feedback_done,
	.format_table = feedback_format_table,
	.main_device = feedback_main_device,
	.tranche_done = feedback_tranche_done,
	.tranche_target_device = feedback_tranche_target_device,
	.tranche_formats = feedback_tranche_formats,
	.tranche_flags = feedback_tranche_flags,
};

/* Binds at the advertised version (up to 4) and collects what it says about formats. */
static bool collect_formats(struct sb_test_ctx *t, struct tc_client *client, struct formats *f,
			    uint32_t *version)
{
	struct zwp_linux_dmabuf_v1 *dmabuf;
	bool ok;

	*f = (struct formats){.table_fd = -1};
	dmabuf = tc_client_bind(client, &zwp_linux_dmabuf_v1_interface, 4);
	*version = wl_proxy_get_version((struct wl_proxy *)dmabuf);
	if (*version >= 4) {
		struct zwp_linux_dmabuf_feedback_v1 *fb =
			zwp_linux_dmabuf_v1_get_default_feedback(dmabuf);

		zwp_linux_dmabuf_feedback_v1_add_listener(fb, &feedback_listener, f);
		ok = tc_client_wait(client, &f->done, SC_SOON_MS);
		zwp_linux_dmabuf_feedback_v1_destroy(fb);
	} else {
		zwp_linux_dmabuf_v1_add_listener(dmabuf, &dmabuf_listener, f);
		ok = tc_client_roundtrip(client);
	}
	zwp_linux_dmabuf_v1_destroy(dmabuf);
	if (f->table_fd >= 0)
		close(f->table_fd);
	return expect(t, ok);
}

static void dmabuf_advertises_xrgb8888_linear(struct sb_test_ctx *t)
{
	struct sc_fixture f;
	struct formats formats;
	uint32_t version;

	if (sc_fixture_init(t, &f, 0) &&
	    sc_require_global(t, f.client, zwp_linux_dmabuf_v1_interface.name) &&
	    collect_formats(t, f.client, &formats, &version)) {
		printf("# bound version %u\n", version);
		expect(t, formats.xrgb8888_linear);
	}
	sc_fixture_finish(&f);
}

static void dmabuf_default_feedback_is_complete(struct sb_test_ctx *t)
{
	struct sc_fixture f;
	struct formats formats;
	uint32_t version;

	if (!sc_fixture_init(t, &f, 0) ||
	    !sc_require_global(t, f.client, zwp_linux_dmabuf_v1_interface.name))
		goto out;
	if (tc_client_global_version(f.client, zwp_linux_dmabuf_v1_interface.name) < 4) {
		sb_skip(t, "zwp_linux_dmabuf_v1 below version 4: no feedback");
		goto out;
	}
	if (!collect_formats(t, f.client, &formats, &version))
		goto out;
	/* linux-dmabuf v4: format_table, main_device and at least one whole tranche, then done. */
	expect(t, formats.done);
	expect(t, formats.table_size > 0 && formats.table_size % 16 == 0);
	expect(t, formats.main_device);
	expect(t, formats.tranches >= 1);
	expect(t, formats.tranche_device);
	expect(t, formats.tranche_formats > 0);
	expect(t, formats.bad_indices == 0);
out:
	sc_fixture_finish(&f);
}

static void add_plane(struct zwp_linux_buffer_params_v1 *params, int fd, uint32_t plane,
		      uint64_t modifier)
{
	zwp_linux_buffer_params_v1_add(params, fd, plane, 0, SC_SIZE * 4, modifier >> 32,
				       modifier & 0xffffffff);
}

struct create_result {
	bool created, failed;
	struct wl_buffer *buffer;
};

static void params_created(void *data, struct zwp_linux_buffer_params_v1 *params,
			   struct wl_buffer *buffer)
{
	struct create_result *r = data;

	r->created = true;
	r->buffer = buffer;
}

static void params_failed(void *data, struct zwp_linux_buffer_params_v1 *params)
{
	struct create_result *r = data;

	r->failed = true;
}

static const struct zwp_linux_buffer_params_v1_listener params_listener = {
	.created = params_created,
	.failed = params_failed,
};

/*
 * zwp_linux_buffer_params_v1.create: argument errors "may be indicated by fatal protocol
 * errors" (the XML), import failures come as the failed event. So a bad buffer must end in the
 * named error or in failed, and never in created.
 */
static bool create_rejected(struct sc_fixture *f, struct zwp_linux_buffer_params_v1 *params,
			    int32_t width, int32_t height, uint32_t format, uint32_t error)
{
	struct create_result r = {0};
	const char *iface;
	uint32_t code;
	bool ok;

	zwp_linux_buffer_params_v1_add_listener(params, &params_listener, &r);
	zwp_linux_buffer_params_v1_create(params, width, height, format, 0);
	if (tc_client_roundtrip(f->client) && !r.created && !r.failed)
		tc_client_roundtrip(f->client);
	code = tc_client_error(f->client, &iface);
	if (*iface) {
		ok = strcmp(iface, "zwp_linux_buffer_params_v1") == 0 && code == error;
		printf("# died of %s error %u (expected error %u or the failed event)\n", iface,
		       code, error);
	} else {
		ok = r.failed && !r.created;
		printf("# %s\n", r.created ? "created" : r.failed ? "failed event" : "no answer");
	}
	if (r.buffer)
		wl_buffer_destroy(r.buffer);
	return ok;
}

/* How a parameter case ends. */
enum params_end {
	END_AT_ADD,	   /* the last add is the error */
	END_ADD_AFTER_USE, /* create_immed, then one more add */
	END_CREATE,	   /* create, rejected by create_rejected's rule */
};

/*
 * A zwp_linux_buffer_params_v1 used wrong, on a 64x64 XRGB8888 dma-buf (or a memfd of its size),
 * and the error it must end in.
 */
struct params_error {
	int n_planes;
	uint32_t planes[2]; /* the plane index of each add, all at offset 0 */
	bool memfd; /* a memfd of the right size: only the import can tell it is no dma-buf */
	enum params_end end;
	int32_t width, height; /* of create */
	uint32_t error;
};

/* The XML: at most 4 planes. */
static const struct params_error dmabuf_add_plane_idx_too_large_is_error = {
	.n_planes = 1,
	.planes = {4},
	.end = END_AT_ADD,
	.error = ZWP_LINUX_BUFFER_PARAMS_V1_ERROR_PLANE_IDX,
};

static const struct params_error dmabuf_add_same_plane_twice_is_error = {
	.n_planes = 2,
	.planes = {0, 0},
	.end = END_AT_ADD,
	.error = ZWP_LINUX_BUFFER_PARAMS_V1_ERROR_PLANE_SET,
};

static const struct params_error dmabuf_params_reused_after_create_is_error = {
	.n_planes = 1,
	.end = END_ADD_AFTER_USE,
	.error = ZWP_LINUX_BUFFER_PARAMS_V1_ERROR_ALREADY_USED,
};

static const struct params_error dmabuf_create_without_planes_is_rejected = {
	.end = END_CREATE,
	.width = SC_SIZE,
	.height = SC_SIZE,
	.error = ZWP_LINUX_BUFFER_PARAMS_V1_ERROR_INCOMPLETE,
};

static const struct params_error dmabuf_create_zero_width_is_rejected = {
	.n_planes = 1,
	.end = END_CREATE,
	.height = SC_SIZE,
	.error = ZWP_LINUX_BUFFER_PARAMS_V1_ERROR_INVALID_DIMENSIONS,
};

/* 16 KiB of dma-buf; stride 256 x 4 * SC_SIZE rows needs 64 KiB. */
static const struct params_error dmabuf_create_past_buffer_end_is_rejected = {
	.n_planes = 1,
	.end = END_CREATE,
	.width = SC_SIZE,
	.height = SC_SIZE * 4,
	.error = ZWP_LINUX_BUFFER_PARAMS_V1_ERROR_OUT_OF_BOUNDS,
};

static const struct params_error dmabuf_create_of_non_dmabuf_fd_fails = {
	.n_planes = 1,
	.memfd = true,
	.end = END_CREATE,
	.width = SC_SIZE,
	.height = SC_SIZE,
	.error = ZWP_LINUX_BUFFER_PARAMS_V1_ERROR_INVALID_WL_BUFFER,
};

static int params_fd(bool memfd)
{
	int fd;

	if (!memfd)
		return tc_udmabuf_create_filled(SC_SIZE * SC_SIZE * 4, 0xff000000u | SC_RED);
	fd = memfd_create("sb-conform-not-dmabuf", MFD_CLOEXEC);
	if (fd >= 0 && ftruncate(fd, SC_SIZE * SC_SIZE * 4) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static void params_error_case(struct sb_test_ctx *t)
{
	const struct params_error *e = t->data;
	const char *iface = "zwp_linux_buffer_params_v1";
	struct zwp_linux_buffer_params_v1 *params;
	struct wl_buffer *buffer = NULL;
	struct sc_fixture f;
	int fd = -1;

	if (!sc_fixture_init(t, &f, SC_NEED_DMABUF))
		goto out;
	fd = params_fd(e->memfd);
	if (!expect(t, fd >= 0))
		goto out;
	params = zwp_linux_dmabuf_v1_create_params(f.client->dmabuf);
	for (int i = 0; i < e->n_planes; i++)
		add_plane(params, fd, e->planes[i], DRM_FORMAT_MOD_LINEAR);
	switch (e->end) {
	case END_AT_ADD:
		expect(t, tc_client_died_of(f.client, iface, e->error));
		break;
	case END_ADD_AFTER_USE:
		buffer = zwp_linux_buffer_params_v1_create_immed(params, SC_SIZE, SC_SIZE,
								 DRM_FORMAT_XRGB8888, 0);
		add_plane(params, fd, 1, DRM_FORMAT_MOD_LINEAR);
		expect(t, tc_client_died_of(f.client, iface, e->error));
		break;
	case END_CREATE:
		expect(t, create_rejected(&f, params, e->width, e->height, DRM_FORMAT_XRGB8888,
					  e->error));
		break;
	}
	if (buffer)
		wl_buffer_destroy(buffer);
	zwp_linux_buffer_params_v1_destroy(params);
out:
	if (fd >= 0)
		close(fd);
	sc_fixture_finish(&f);
}

static void dmabuf_unadvertised_modifier_is_error(struct sb_test_ctx *t)
{
	struct zwp_linux_buffer_params_v1 *params;
	struct zwp_linux_dmabuf_v1 *dmabuf;
	struct wl_buffer *buffer;
	struct sc_fixture f;
	int fd = -1;

	if (!sc_fixture_init(t, &f, SC_NEED_DMABUF))
		goto out;
	if (tc_client_global_version(f.client, zwp_linux_dmabuf_v1_interface.name) < 4) {
		sb_skip(t, "zwp_linux_dmabuf_v1 below version 4: invalid_format not required");
		goto out;
	}
	fd = tc_udmabuf_create_filled(SC_SIZE * SC_SIZE * 4, 0xff000000u | SC_RED);
	if (!expect(t, fd >= 0))
		goto out;
	dmabuf = tc_client_bind(f.client, &zwp_linux_dmabuf_v1_interface, 4);
	params = zwp_linux_dmabuf_v1_create_params(dmabuf);
	/* linux-dmabuf v4: a format + modifier pair that was not advertised is invalid_format. */
	add_plane(params, fd, 0, fourcc_mod_code(NONE, 0x00ffffffffff));
	buffer = zwp_linux_buffer_params_v1_create_immed(params, SC_SIZE, SC_SIZE,
							 DRM_FORMAT_XRGB8888, 0);
	expect(t, tc_client_died_of(f.client, "zwp_linux_buffer_params_v1",
				    ZWP_LINUX_BUFFER_PARAMS_V1_ERROR_INVALID_FORMAT));
	wl_buffer_destroy(buffer);
	zwp_linux_buffer_params_v1_destroy(params);
	zwp_linux_dmabuf_v1_destroy(dmabuf);
out:
	if (fd >= 0)
		close(fd);
	sc_fixture_finish(&f);
}

const struct sc_case sc_dmabuf_cases[] = {
	SC_CASE(AREA, dmabuf_advertises_xrgb8888_linear),
	SC_CASE(AREA, dmabuf_default_feedback_is_complete),
	SC_ROW(AREA, dmabuf_add_plane_idx_too_large_is_error, params_error_case),
	SC_ROW(AREA, dmabuf_add_same_plane_twice_is_error, params_error_case),
	SC_ROW(AREA, dmabuf_params_reused_after_create_is_error, params_error_case),
	SC_ROW(AREA, dmabuf_create_without_planes_is_rejected, params_error_case),
	SC_ROW(AREA, dmabuf_create_zero_width_is_rejected, params_error_case),
	SC_ROW(AREA, dmabuf_create_past_buffer_end_is_rejected, params_error_case),
	SC_ROW(AREA, dmabuf_create_of_non_dmabuf_fd_fails, params_error_case),
	SC_CASE(AREA, dmabuf_unadvertised_modifier_is_error),
};
const size_t sc_n_dmabuf_cases = sizeof(sc_dmabuf_cases) / sizeof(sc_dmabuf_cases[0]);
