// SPDX-License-Identifier: MIT
#include <stddef.h>

#include <wlr/util/log.h>

#include "explicit_sync_v1.h"

/* Placeholder until the server lands: no global. */
struct sb_explicit_sync_v1 *sb_explicit_sync_v1_create(struct wl_display *display,
						       struct sb_commit_gate *gate)
{
	wlr_log(WLR_INFO, "zwp_linux_explicit_synchronization_v1: not served yet");
	return NULL;
}

void sb_explicit_sync_v1_destroy(struct sb_explicit_sync_v1 *explicit_sync_v1)
{
}
