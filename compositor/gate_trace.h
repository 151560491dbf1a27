/* SPDX-License-Identifier: MIT */
#ifndef SB_GATE_TRACE_H
#define SB_GATE_TRACE_H

#include <stdbool.h>

#include "trace.h"

struct sb_commit_gate;

/*
 * --trace of a commit gate: on each surface's track, every commit (its buffer kind), the wait of
 * each held commit (with the fences it waits for) and acquire fences handed to KMS. The trace
 * subscribes to gate's events until the gate is destroyed; trace must outlive the gate. False
 * (logged) without memory. With -Dtrace=false there is no trace to subscribe.
 */
#if SB_TRACE
bool gate_trace_subscribe(struct sb_commit_gate *gate, struct sb_trace *trace);
#else
static inline bool gate_trace_subscribe(struct sb_commit_gate *gate, struct sb_trace *trace)
{
	return true;
}
#endif

#endif
