/* SPDX-License-Identifier: MIT */
#ifndef SB_CONFORM_FIXTURE_H
#define SB_CONFORM_FIXTURE_H

#include <stdbool.h>
#include <stdint.h>

#include "tc_buffer.h"
#include "tc_client.h"
#include "tc_surface.h"
#include "conform.h"

/*
 * What most cases start from: a connection, a mapped toplevel, and on request linux-dmabuf
 * (bound at version 3: create_immed and XRGB8888 LINEAR) and a sw_sync timeline. init records a
 * skip with the reason when a global or device is missing and returns false then, or on failure.
 */
enum sc_need {
	SC_NEED_WINDOW = 1 << 0,
	SC_NEED_DMABUF = 1 << 1,  /* zwp_linux_dmabuf_v1 and /dev/udmabuf */
	SC_NEED_SW_SYNC = 1 << 2, /* a sw_sync timeline */
};

struct sc_fixture {
	struct tc_client *client;
	struct tc_surface *window;
	int timeline;
};

bool sc_fixture_init(struct sb_test_ctx *t, struct sc_fixture *f, unsigned need);
/* Adds what init did not set up yet: cases check their protocol's global first, so that its
 * absence is the skip reason, then ask for devices. */
bool sc_fixture_need(struct sb_test_ctx *t, struct sc_fixture *f, unsigned need);
void sc_fixture_finish(struct sc_fixture *f);

/* Commits buffer on the fixture's window with a frame callback; true when it fires soon. */
bool sc_fixture_show(struct sb_test_ctx *t, struct sc_fixture *f, struct tc_buffer *buffer);

#define SC_RED 0xff0000
#define SC_GREEN 0x00ff00
#define SC_BLUE 0x0000ff
#define SC_SIZE 64

/* A sw_sync fence at value on timeline: a sync_file fd, or -1. */
int sc_sw_fence(int timeline, uint32_t value);
/* Adds a sw_sync fence at value to dmabuf_fd's implicit fences, as a writer or a reader. */
bool sc_add_implicit_fence(int dmabuf_fd, int timeline, uint32_t value, bool write);

#endif
