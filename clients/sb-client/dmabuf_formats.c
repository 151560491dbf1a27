// SPDX-License-Identifier: MIT
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include <wayland-client.h>

#include "dmabuf_formats.h"
#include "linux-dmabuf-unstable-v1-client-protocol.h"
#include "util.h"

struct format_pair {
	uint32_t format;
	uint64_t modifier;
};

/* linux-dmabuf-unstable-v1 v4, format_table: 16-byte entries. */
struct format_table_entry {
	uint32_t format;
	uint32_t padding;
	uint64_t modifier;
};

struct dmabuf_formats {
	struct format_pair *pairs;
	size_t n, capacity;
	uint32_t version;
	bool complete;
	struct zwp_linux_dmabuf_feedback_v1 *feedback;
	const struct format_table_entry *table;
	size_t table_size;
};

static void add_pair(struct dmabuf_formats *formats, uint32_t format, uint64_t modifier)
{
	struct format_pair *pairs;

	if (dmabuf_formats_has(formats, format, modifier))
		return;
	if (formats->n == formats->capacity) {
		size_t capacity = formats->capacity ? formats->capacity * 2 : 32;
		pairs = realloc(formats->pairs, capacity * sizeof(*pairs));
		if (!pairs) {
			log_errno(SB_ERROR, "realloc");
			return;
		}
		formats->pairs = pairs;
		formats->capacity = capacity;
	}
	formats->pairs[formats->n++] = (struct format_pair){format, modifier};
}

static void dmabuf_handle_format(void *data, struct zwp_linux_dmabuf_v1 *dmabuf, uint32_t format)
{
	/* Superseded by the modifier event from version 3 on; carries no modifier. */
}

static void dmabuf_handle_modifier(void *data, struct zwp_linux_dmabuf_v1 *dmabuf, uint32_t format,
				   uint32_t modifier_hi, uint32_t modifier_lo)
{
	struct dmabuf_formats *formats = data;

	add_pair(formats, format, (uint64_t)modifier_hi << 32 | modifier_lo);
}

static const struct zwp_linux_dmabuf_v1_listener dmabuf_listener = {
	.format = dmabuf_handle_format,
	.modifier = dmabuf_handle_modifier,
};

static void feedback_handle_done(void *data, struct zwp_linux_dmabuf_feedback_v1 *feedback)
{
	struct dmabuf_formats *formats = data;

	formats->complete = true;
	log_msg(SB_DEBUG, "zwp_linux_dmabuf_v1 v4 default feedback: %zu format/modifier pairs",
		formats->n);
}

static void feedback_handle_format_table(void *data, struct zwp_linux_dmabuf_feedback_v1 *feedback,
					 int32_t fd, uint32_t size)
{
	struct dmabuf_formats *formats = data;
	void *table;

	if (formats->table)
		munmap((void *)formats->table, formats->table_size);
	formats->table = NULL;
	formats->table_size = 0;
	/* The table must be mapped MAP_PRIVATE: the compositor may share it read-only. */
	table = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (table == MAP_FAILED) {
		log_errno(SB_ERROR, "mmap of the dma-buf format table (%u bytes)", size);
		return;
	}
	formats->table = table;
	formats->table_size = size;
}

static void feedback_handle_main_device(void *data, struct zwp_linux_dmabuf_feedback_v1 *feedback,
					struct wl_array *device)
{
}

static void feedback_handle_tranche_done(void *data, struct zwp_linux_dmabuf_feedback_v1 *feedback)
{
}

static void feedback_handle_tranche_target_device(void *data,
						  struct zwp_linux_dmabuf_feedback_v1 *feedback,
						  struct wl_array *device)
{
}

static void feedback_handle_tranche_formats(void *data,
					    struct zwp_linux_dmabuf_feedback_v1 *feedback,
					    struct wl_array *indices)
{
	struct dmabuf_formats *formats = data;
	size_t entries = formats->table_size / sizeof(struct format_table_entry);
	uint16_t *index;

	wl_array_for_each(index, indices) {
		if (*index >= entries) {
			log_msg(SB_ERROR,
				"dma-buf feedback: format index %u beyond the table (%zu)", *index,
				entries);
			continue;
		}
		add_pair(formats, formats->table[*index].format, formats->table[*index].modifier);
	}
}

static void feedback_handle_tranche_flags(void *data, struct zwp_linux_dmabuf_feedback_v1 *feedback,
					  uint32_t flags)
{
}

static const struct zwp_linux_dmabuf_feedback_v1_listener feedback_listener = {
	.done = feedback_handle_done,
	.format_table = feedback_handle_format_table,
	.main_device = feedback_handle_main_device,
	.tranche_done = feedback_handle_tranche_done,
	.tranche_target_device = feedback_handle_tranche_target_device,
	.tranche_formats = feedback_handle_tranche_formats,
	.tranche_flags = feedback_handle_tranche_flags,
};

struct dmabuf_formats *dmabuf_formats_create(struct zwp_linux_dmabuf_v1 *dmabuf, uint32_t version)
{
	struct dmabuf_formats *formats = calloc(1, sizeof(*formats));

	if (!formats)
		return NULL;
	formats->version = version;
	zwp_linux_dmabuf_v1_add_listener(dmabuf, &dmabuf_listener, formats);
	if (version >= ZWP_LINUX_DMABUF_V1_GET_DEFAULT_FEEDBACK_SINCE_VERSION) {
		formats->feedback = zwp_linux_dmabuf_v1_get_default_feedback(dmabuf);
		zwp_linux_dmabuf_feedback_v1_add_listener(formats->feedback, &feedback_listener,
							  formats);
	}
	return formats;
}

void dmabuf_formats_destroy(struct dmabuf_formats *formats)
{
	if (!formats)
		return;
	if (formats->feedback)
		zwp_linux_dmabuf_feedback_v1_destroy(formats->feedback);
	if (formats->table)
		munmap((void *)formats->table, formats->table_size);
	free(formats->pairs);
	free(formats);
}

bool dmabuf_formats_complete(const struct dmabuf_formats *formats)
{
	/* Up to v3 the modifier events follow the bind: a roundtrip after it has them all. */
	return formats->feedback ? formats->complete : true;
}

bool dmabuf_formats_has(const struct dmabuf_formats *formats, uint32_t format, uint64_t modifier)
{
	for (size_t i = 0; i < formats->n; i++) {
		if (formats->pairs[i].format == format && formats->pairs[i].modifier == modifier)
			return true;
	}
	return false;
}
