/* SPDX-License-Identifier: MIT */
#ifndef SB_TEST_RELIABILITY_CLIENT_H
#define SB_TEST_RELIABILITY_CLIENT_H

#include <stdbool.h>

/*
 * One client's whole sync cycle, request by request, for the kill sweep of the reliability
 * tests: three toplevels, one per sync form (an implicit write fence in a udmabuf,
 * zwp_linux_explicit_synchronization_v1 set_acquire_fence + get_release, wp_linux_drm_syncobj_v1
 * acquire/release points on a timeline of the guest's virtio_gpu), each commit held by a sw_sync
 * fence; then the fence signals, the frames come, the buffers are released and everything is
 * destroyed. Every request is counted and flushed on its own, so that the cycle can stop right
 * after any one of them.
 */
struct sb_compositor;

struct rc_report {
	int sent;	/* cycle requests sent and flushed */
	bool completed; /* the cycle ran to its end */
	bool failed;	/* something the cycle waits for did not come (failure says what) */
	char step[64];	/* the last request sent */
	char failure[160];
};

/*
 * Called once the compositor has handled request number stop_after (a wl_display.sync, which
 * changes no state, confirms it): it must not return (write the report, then die).
 */
typedef void (*rc_stop_func_t)(const struct rc_report *report, void *data);

/*
 * Runs the cycle against comp. timeline is a sw_sync timeline (borrowed) at 0 whose point 1 is
 * every acquire fence; the cycle signals it itself, after its third commit. Returns when the cycle
 * is done (report->completed) or could not go on (report->failed); stop is called instead at
 * request stop_after (stop_after <= 0: never).
 */
void rc_cycle_run(const struct sb_compositor *comp, int timeline, int stop_after,
		  rc_stop_func_t stop, void *data, struct rc_report *report);

#endif
