// SPDX-License-Identifier: MIT
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "client.h"
#include "frame.h"
#include "report.h"
#include "util.h"
#include "window.h"

static const char csv_header[] =
	"surface,frame,buffer,commit_ns,acquire_signal_ns,later_import_ns,later_signal_ns,"
	"frame_done_ns,feedback,presented_ns,presented_flags,refresh_ns,msc,release_ns,"
	"explicit_release_ns,explicit_release,syncobj_release_ns\n";

static const char *const feedback_names[] = {
	[FEEDBACK_NONE] = "none",
	[FEEDBACK_PENDING] = "pending",
	[FEEDBACK_PRESENTED] = "presented",
	[FEEDBACK_DISCARDED] = "discarded",
};

/* 0 is "did not happen": CLOCK_MONOTONIC is never 0 once the system is up. */
static void put_time(FILE *f, uint64_t ns)
{
	if (ns)
		fprintf(f, "%" PRIu64, ns);
	fputc(',', f);
}

static void write_frame(FILE *f, const struct window *window, const struct frame *frame)
{
	bool presented = frame->feedback_state == FEEDBACK_PRESENTED;

	fprintf(f, "%d,%" PRIu64 ",%d,", window->index, frame->number, frame->buffer_index);
	put_time(f, frame->commit_ns);
	put_time(f, frame->acquire_signal_ns);
	put_time(f, frame->later_import_ns);
	put_time(f, frame->later_signal_ns);
	put_time(f, frame->frame_done_ns);
	fprintf(f, "%s,", feedback_names[frame->feedback_state]);
	put_time(f, frame->presented_ns);
	if (presented)
		fprintf(f, "0x%x,%" PRIu32 ",%" PRIu64 ",", frame->presented_flags,
			frame->refresh_ns, frame->msc);
	else
		fputs(",,,", f);
	put_time(f, frame->release_ns);
	put_time(f, frame->explicit_release_ns);
	if (frame->explicit_release_ns)
		fputs(frame->explicit_release_fenced ? "fenced" : "immediate", f);
	fputc(',', f);
	if (frame->syncobj_release_ns)
		fprintf(f, "%" PRIu64, frame->syncobj_release_ns);
	fputc('\n', f);
}

int report_write_csv(const struct client *client, const char *path)
{
	const struct window *window;
	FILE *f = fopen(path, "we");

	if (!f) {
		log_errno(SB_ERROR, "--csv: cannot create %s", path);
		return -1;
	}
	fputs(csv_header, f);
	wl_list_for_each(window, &client->windows, link) {
		for (size_t i = 0; i < window->n_frames; i++)
			write_frame(f, window, window->frames[i]);
	}
	if (ferror(f) | fclose(f)) {
		log_errno(SB_ERROR, "--csv: cannot write %s", path);
		return -1;
	}
	return 0;
}

static int compare_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

void report_print_summary(const struct client *client)
{
	const struct options *opts = client->opts;
	const struct window *window;
	uint64_t committed = 0, presented = 0, discarded = 0, skipped = 0;
	uint64_t *latencies, n = 0;
	double sum = 0;

	wl_list_for_each(window, &client->windows, link) {
		committed += window->n_frames;
		skipped += window->skipped_ticks;
	}
	latencies = calloc(committed ? committed : 1, sizeof(*latencies));
	if (!latencies)
		return;
	wl_list_for_each(window, &client->windows, link) {
		for (size_t i = 0; i < window->n_frames; i++) {
			const struct frame *frame = window->frames[i];
			if (frame->feedback_state == FEEDBACK_DISCARDED)
				discarded++;
			if (frame->feedback_state != FEEDBACK_PRESENTED)
				continue;
			presented++;
			/* A clock conversion can put a presentation a hair before its commit. */
			uint64_t latency = frame->presented_ns > frame->commit_ns
						   ? frame->presented_ns - frame->commit_ns
						   : 0;
			latencies[n++] = latency;
			sum += (double)latency;
		}
	}
	printf("sb-client: %d surface%s, %s %ux%u: committed %" PRIu64 ", presented %" PRIu64
	       ", discarded %" PRIu64,
	       opts->surfaces, opts->surfaces > 1 ? "s" : "", options_buffer_name(opts->buffer),
	       opts->width, opts->height, committed, presented, discarded);
	if (opts->rate_hz > 0)
		printf(", ticks skipped %" PRIu64, skipped);
	if (!client->presentation) {
		printf("; commit->present n/a (no wp_presentation)\n");
	} else if (n == 0) {
		printf("; commit->present n/a (nothing presented)\n");
	} else {
		qsort(latencies, n, sizeof(*latencies), compare_u64);
		/* Nearest rank: the smallest value with at least 99% of the samples at or below it. */
		size_t rank = (size_t)ceil(0.99 * (double)n);
		printf("; commit->present mean %.3f ms, p99 %.3f ms\n", sum / (double)n / 1e6,
		       (double)latencies[rank - 1] / 1e6);
	}
	fflush(stdout);
	free(latencies);
}
