/* SPDX-License-Identifier: MIT */
#ifndef SB_CLIENT_DMABUF_FORMATS_H
#define SB_CLIENT_DMABUF_FORMATS_H

#include <stdbool.h>
#include <stdint.h>

struct zwp_linux_dmabuf_v1;

/*
 * The (format, modifier) pairs a zwp_linux_dmabuf_v1 global offers: from the modifier events
 * up to version 3, from the default feedback's format table and tranches in version 4 (which no
 * longer sends modifier events). Complete after a roundtrip.
 */
struct dmabuf_formats;

struct dmabuf_formats *dmabuf_formats_create(struct zwp_linux_dmabuf_v1 *dmabuf, uint32_t version);
void dmabuf_formats_destroy(struct dmabuf_formats *formats);

/* False until the events have arrived (v4: the feedback's done event). */
bool dmabuf_formats_complete(const struct dmabuf_formats *formats);
bool dmabuf_formats_has(const struct dmabuf_formats *formats, uint32_t format, uint64_t modifier);

#endif
