/* SPDX-License-Identifier: MIT */
#ifndef SB_EXPLICIT_SYNC_V1_H
#define SB_EXPLICIT_SYNC_V1_H

#include <wayland-server-core.h>

struct sb_commit_gate;

/* zwp_linux_explicit_synchronization_v1 (version 2): acquire sync_files, fenced/immediate release. */
struct sb_explicit_sync_v1;

struct sb_explicit_sync_v1 *sb_explicit_sync_v1_create(struct wl_display *display,
						       struct sb_commit_gate *gate);
void sb_explicit_sync_v1_destroy(struct sb_explicit_sync_v1 *explicit_sync_v1);

#endif
