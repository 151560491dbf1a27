/* SPDX-License-Identifier: MIT */
#ifndef SB_COMMIT_GATE_H
#define SB_COMMIT_GATE_H

#include <wayland-server-core.h>

#include "config.h"

/*
 * The commit gate: a commit that attaches a dma-buf is held until the fences it must wait for
 * have signalled. The fences are taken at commit time (DMA_BUF_IOCTL_EXPORT_SYNC_FILE, READ), so
 * GPU work the client queues later cannot delay the frame; the surface state is held with
 * wlr_surface_lock_pending() and released from the event loop, which never blocks.
 */
struct sb_commit_gate;

struct sb_commit_gate *commit_gate_create(struct wl_display *display, enum sb_implicit_mode mode);
void commit_gate_destroy(struct sb_commit_gate *gate);

/* Commits held right now, over all surfaces. */
int commit_gate_pending(const struct sb_commit_gate *gate);

#endif
