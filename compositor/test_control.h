/* SPDX-License-Identifier: MIT */
#ifndef SB_TEST_CONTROL_H
#define SB_TEST_CONTROL_H

#include <stdbool.h>
#include <stdint.h>

/*
 * The test control socket: a test harness (tests/wlcs/integration.c) that started syncbridge
 * hands it one end of a SOCK_SEQPACKET socketpair, named by SYNCBRIDGE_TEST_CONTROL_FD. Each
 * datagram is one sb_test_control_request; the compositor answers each with exactly one
 * sb_test_control_reply, in order. Without the variable none of this exists.
 */
#define SB_TEST_CONTROL_ENV "SYNCBRIDGE_TEST_CONTROL_FD"

enum sb_test_control_op {
	/* Sent by the compositor, unasked, once its Wayland socket and outputs exist. */
	SB_TEST_CONTROL_READY = 0,
	/* One fd in SCM_RIGHTS becomes a wl_client; reply value: its client id. */
	SB_TEST_CONTROL_NEW_CLIENT = 1,
	/* client, object (a wl_surface id in that client), x, y: put its toplevel there. */
	SB_TEST_CONTROL_POSITION_SURFACE = 2,
	/* x, y: layout coordinates in wl_fixed. */
	SB_TEST_CONTROL_POINTER_MOTION_ABSOLUTE = 3,
	/* x, y: a delta in wl_fixed. */
	SB_TEST_CONTROL_POINTER_MOTION_RELATIVE = 4,
	/* object: a button code (BTN_*), x: 1 pressed, 0 released. */
	SB_TEST_CONTROL_POINTER_BUTTON = 5,
	/* object: a touch point id; x, y: layout coordinates in wl_fixed. */
	SB_TEST_CONTROL_TOUCH_DOWN = 6,
	SB_TEST_CONTROL_TOUCH_MOTION = 7,
	/* object: a touch point id. */
	SB_TEST_CONTROL_TOUCH_UP = 8,
	/* Gives the seat the touch capability, so that clients can get a wl_touch. */
	SB_TEST_CONTROL_ADD_TOUCH = 9,
	/*
	 * Test hooks of the bounded DMA_BUF_IOCTL_SYNC(START) (bounded_sync.h); x is a plain
	 * integer here, not wl_fixed. SYNC_SKIP_IDLE_CHECK, x: 1 to take START without checking
	 * first that no fence is pending, so that the bound itself is what a test exercises; 0 to
	 * check again. SYNC_ARM_DELAY, x: microseconds (up to 1 s) to sleep between arming the
	 * bound and the ioctl, as a preemption in that window would; 0 for none. -ENODEV if the
	 * compositor has no bound (no timer).
	 */
	SB_TEST_CONTROL_SYNC_SKIP_IDLE_CHECK = 10,
	SB_TEST_CONTROL_SYNC_ARM_DELAY = 11,
};

#define SB_TEST_CONTROL_SYNC_ARM_DELAY_MAX 1000000

struct sb_test_control_request {
	uint32_t op;
	uint32_t client;
	uint32_t object;
	int32_t x, y;
};

struct sb_test_control_reply {
	int32_t status; /* 0, or a negative errno */
	uint32_t value;
};

struct sb_server;

/*
 * Serves the test control socket if SYNCBRIDGE_TEST_CONTROL_FD names one (and sends READY), else
 * does nothing. Returns false only when the variable is set but unusable. The state goes with the
 * display: a wl_display destroy listener frees it and closes the socket.
 */
bool test_control_init(struct sb_server *server);

#endif
