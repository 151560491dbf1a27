/* SPDX-License-Identifier: MIT */
#ifndef SB_CONFORM_CONFORM_H
#define SB_CONFORM_CONFORM_H

#include <stdbool.h>
#include <stddef.h>

#include "tap.h"

/*
 * One named conformance case. It connects on its own (tc_client_connect), checks what it needs
 * (sc_require_*: a skip with the reason when a global or a device is missing) and asserts what
 * the protocol XML or the kernel uapi says, with tap.h's expect().
 */
struct sc_case {
	const char *name;
	const char *area; /* the protocol or behaviour, the table groups by it */
	void (*run)(struct sb_test_ctx *t);
	const void *data; /* the case's row, for run (t->data) */
};

#define SC_CASE(case_area, fn)                            \
	{                                                 \
		.name = #fn, .area = case_area, .run = fn \
	}
/* A case that is a row of a table: the row is an object named after the case. */
#define SC_ROW(case_area, row, body)                                       \
	{                                                                  \
		.name = #row, .area = case_area, .run = body, .data = &row \
	}

extern const struct sc_case sc_dmabuf_cases[];
extern const size_t sc_n_dmabuf_cases;
extern const struct sc_case sc_implicit_cases[];
extern const size_t sc_n_implicit_cases;
extern const struct sc_case sc_explicit_cases[];
extern const size_t sc_n_explicit_cases;
extern const struct sc_case sc_syncobj_cases[];
extern const size_t sc_n_syncobj_cases;
extern const struct sc_case sc_frame_cases[];
extern const size_t sc_n_frame_cases;
extern const struct sc_case sc_timing_cases[];
extern const size_t sc_n_timing_cases;

/*
 * How long "held" is watched for (many frames at 60 Hz, even in an emulated CPU), and how long a
 * commit whose fences have signalled may take to show.
 */
#define SC_HELD_MS 500
#define SC_SOON_MS 5000

/*
 * Set by --devices-required (the guest run): a missing sw_sync, udmabuf or DRM device is then a
 * failure instead of a skip, because the test VM's kernel has them all.
 */
extern bool sc_devices_required;
/* Set by --globals-required (syncbridge's run): a global the suite knows that is not advertised
 * fails instead of skipping, since syncbridge serves them all. */
extern bool sc_globals_required;

/* Records "name not advertised" as the skip reason, or fails; false when the global is missing. */
struct tc_client;
bool sc_require_global(struct sb_test_ctx *t, struct tc_client *client, const char *iface);
/* A device the case needs: skip (or fail under --devices-required) with "no what in reach". */
bool sc_require_device(struct sb_test_ctx *t, bool present, const char *what);

#endif
