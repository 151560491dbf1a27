/* SPDX-License-Identifier: MIT */
#ifndef SB_GATE_LOG_H
#define SB_GATE_LOG_H

#include <stdbool.h>

struct sb_commit_gate;

/*
 * -d: one WLR_DEBUG line per commit the gate takes fences for (held, applied at once, handed to
 * KMS) and per held commit applied, with the times tests/bench/ splits the apply into. Subscribes
 * to gate's events until the gate is destroyed; false (logged) without memory. Subscribed, it
 * makes the gate read the clock at each step: only for -d.
 */
bool gate_log_subscribe(struct sb_commit_gate *gate);

#endif
