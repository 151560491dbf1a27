/* SPDX-License-Identifier: MIT */
#ifndef SB_CLIENT_REPORT_H
#define SB_CLIENT_REPORT_H

struct client;

/*
 * --csv: a header, then one line per committed frame, surfaces in order, frames in commit order.
 * Times are CLOCK_MONOTONIC ns; an empty field means "did not happen". Returns 0 or -1.
 */
int report_write_csv(const struct client *client, const char *path);
/* One line on stdout: frames committed, presented, and commit->present mean and p99. */
void report_print_summary(const struct client *client);

#endif
