// SPDX-License-Identifier: MIT
/*
 * sb_timing: the commit-timing benchmark's client (tests/bench/README.md, "Commit timing"). One
 * toplevel shows N frames, each meant for a target time on the presentation clock (RATE Hz, not
 * a multiple of the refresh), and records when wp_presentation says it was presented:
 *   timed      commits LEAD ms before the target with wp_commit_timer_v1.set_timestamp(target)
 *   at-target  no commit-timing: sleeps until the target, then commits
 *   ahead      no commit-timing: commits LEAD ms before the target, as the timed client does
 * One CSV row per frame: mode,frame,target_ns,commit_ns,presented_ns,error_ns,refresh_ns,seq,
 * flags,discarded (error = presented - target; empty when discarded).
 *   sb_timing --mode MODE [--frames N] [--rate HZ] [--lead-ms MS] [--csv FILE] [--display SOCK]
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <wayland-client.h>

#include "commit-timing-v1-client-protocol.h"
#include "presentation-time-client-protocol.h"
#include "tc_buffer.h"
#include "tc_client.h"
#include "tc_surface.h"

#define N_BUFFERS 4
#define SIZE 256

enum mode { MODE_TIMED, MODE_AT_TARGET, MODE_AHEAD };
static const char *const mode_names[] = {"timed", "at-target", "ahead"};

struct frame {
	struct wp_presentation_feedback *feedback;
	uint64_t target_ns, commit_ns, presented_ns, refresh_ns, seq;
	uint32_t flags;
	bool presented, discarded;
};

struct bench {
	struct tc_client *client;
	struct wp_presentation *presentation;
	clockid_t clock;
	bool has_clock;
	int done;
};

static struct bench bench;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(bench.clock, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void clock_id(void *data, struct wp_presentation *presentation, uint32_t clk_id)
{
	bench.clock = (clockid_t)clk_id;
	bench.has_clock = true;
}

static const struct wp_presentation_listener presentation_listener = {.clock_id = clock_id};

static void feedback_sync_output(void *data, struct wp_presentation_feedback *feedback,
				 struct wl_output *output)
{
}

static void feedback_presented(void *data, struct wp_presentation_feedback *feedback,
			       uint32_t sec_hi, uint32_t sec_lo, uint32_t nsec, uint32_t refresh,
			       uint32_t seq_hi, uint32_t seq_lo, uint32_t flags)
{
	struct frame *f = data;

	f->presented = true;
	f->presented_ns = (((uint64_t)sec_hi << 32) | sec_lo) * 1000000000ull + nsec;
	f->refresh_ns = refresh;
	f->seq = ((uint64_t)seq_hi << 32) | seq_lo;
	f->flags = flags;
	wp_presentation_feedback_destroy(feedback);
	f->feedback = NULL;
	bench.done++;
}

static void feedback_discarded(void *data, struct wp_presentation_feedback *feedback)
{
	struct frame *f = data;

	f->discarded = true;
	wp_presentation_feedback_destroy(feedback);
	f->feedback = NULL;
	bench.done++;
}

static const struct wp_presentation_feedback_listener feedback_listener = {
	.sync_output = feedback_sync_output,
	.presented = feedback_presented,
	.discarded = feedback_discarded,
};

/* Dispatches events until the presentation clock reaches until_ns; false if the connection died. */
static bool dispatch_until(uint64_t until_ns)
{
	struct wl_display *display = bench.client->display;

	for (;;) {
		uint64_t now = now_ns();
		struct pollfd pfd = {wl_display_get_fd(display), POLLIN, 0};
		struct timespec timeout;
		int ret;

		if (now >= until_ns)
			return true;
		while (wl_display_prepare_read(display) != 0)
			if (wl_display_dispatch_pending(display) < 0)
				return false;
		if (wl_display_flush(display) < 0 && errno != EAGAIN) {
			wl_display_cancel_read(display);
			return false;
		}
		timeout.tv_sec = (time_t)((until_ns - now) / 1000000000ull);
		timeout.tv_nsec = (long)((until_ns - now) % 1000000000ull);
		ret = ppoll(&pfd, 1, &timeout, NULL);
		if (ret > 0) {
			if (wl_display_read_events(display) < 0)
				return false;
		} else {
			wl_display_cancel_read(display);
			if (ret < 0 && errno != EINTR)
				return false;
		}
		if (wl_display_dispatch_pending(display) < 0)
			return false;
	}
}

static const char usage[] =
	"usage: sb_timing --mode timed|at-target|ahead [--frames N] [--rate HZ] [--lead-ms MS]\n"
	"                 [--csv FILE] [--display SOCKET]\n";

int main(int argc, char *argv[])
{
	static const struct option options[] = {
		{"mode", required_argument, NULL, 'm'}, {"frames", required_argument, NULL, 'n'},
		{"rate", required_argument, NULL, 'r'}, {"lead-ms", required_argument, NULL, 'l'},
		{"csv", required_argument, NULL, 'c'},	{"display", required_argument, NULL, 'd'},
		{"help", no_argument, NULL, 'h'},	{0},
	};
	int mode = -1, n = 240, opt, status = 1;
	double rate = 24.0, lead_ms = 30.0;
	const char *csv_path = NULL, *socket = NULL;
	struct wp_commit_timing_manager_v1 *manager = NULL;
	struct wp_commit_timer_v1 *timer = NULL;
	struct tc_buffer *buffers[N_BUFFERS] = {0};
	struct tc_surface *window = NULL;
	struct frame *frames = NULL;
	uint64_t start, period, lead;
	FILE *csv = stdout;
	int presented = 0;

	while ((opt = getopt_long(argc, argv, "m:n:r:l:c:d:h", options, NULL)) != -1) {
		switch (opt) {
		case 'm':
			for (int i = 0; i < 3; i++)
				if (strcmp(optarg, mode_names[i]) == 0)
					mode = i;
			break;
		case 'n':
			n = atoi(optarg);
			break;
		case 'r':
			rate = atof(optarg);
			break;
		case 'l':
			lead_ms = atof(optarg);
			break;
		case 'c':
			csv_path = optarg;
			break;
		case 'd':
			socket = optarg;
			break;
		default:
			fputs(usage, opt == 'h' ? stdout : stderr);
			return opt == 'h' ? 0 : 2;
		}
	}
	if (mode < 0 || n <= 0 || rate <= 0 || lead_ms < 0) {
		fputs(usage, stderr);
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	frames = calloc((size_t)n, sizeof(*frames));
	bench.client = tc_client_connect(socket, TC_COMPOSITOR | TC_SHM | TC_WM_BASE);
	if (!frames || !bench.client ||
	    !tc_client_require(bench.client, TC_COMPOSITOR | TC_SHM | TC_WM_BASE, "sb_timing"))
		goto out;
	bench.presentation = tc_client_bind(bench.client, &wp_presentation_interface, 1);
	if (!bench.presentation) {
		fprintf(stderr, "sb_timing: no wp_presentation\n");
		goto out;
	}
	wp_presentation_add_listener(bench.presentation, &presentation_listener, NULL);
	if (mode == MODE_TIMED) {
		manager = tc_client_bind(bench.client, &wp_commit_timing_manager_v1_interface, 1);
		if (!manager) {
			fprintf(stderr, "sb_timing: no wp_commit_timing_manager_v1\n");
			goto out;
		}
	}
	window = tc_surface_create(bench.client);
	if (!window || !tc_client_roundtrip(bench.client) || !bench.has_clock)
		goto out;
	for (int i = 0; i < N_BUFFERS; i++)
		if (!(buffers[i] = tc_buffer_create_shm(bench.client, SIZE, SIZE,
							0x202020u * (uint32_t)(i + 1))))
			goto out;
	if (manager)
		timer = wp_commit_timing_manager_v1_get_timer(manager, window->surface);
	/* Mapped and shown once before the first target. */
	if (tc_surface_frames_in(window, buffers[0], 300) <= 0) {
		fprintf(stderr, "sb_timing: the window was never shown\n");
		goto out;
	}
	period = (uint64_t)(1e9 / rate);
	lead = (uint64_t)(lead_ms * 1e6);
	start = now_ns() + 200000000ull;
	for (int i = 0; i < n; i++) {
		struct frame *f = &frames[i];

		f->target_ns = start + (uint64_t)i * period;
		if (!dispatch_until(mode == MODE_AT_TARGET ? f->target_ns : f->target_ns - lead))
			goto out;
		if (timer) {
			uint64_t sec = f->target_ns / 1000000000ull;

			wp_commit_timer_v1_set_timestamp(timer, (uint32_t)(sec >> 32),
							 (uint32_t)sec,
							 (uint32_t)(f->target_ns % 1000000000ull));
		}
		f->feedback = wp_presentation_feedback(bench.presentation, window->surface);
		wp_presentation_feedback_add_listener(f->feedback, &feedback_listener, f);
		tc_surface_attach(window, buffers[1 + i % (N_BUFFERS - 1)]);
		f->commit_ns = now_ns();
		wl_surface_commit(window->surface);
		wl_display_flush(bench.client->display);
	}
	/* The last feedbacks: within a second of the last target. */
	if (!dispatch_until(frames[n - 1].target_ns + 1000000000ull))
		goto out;
	if (csv_path && !(csv = fopen(csv_path, "we"))) {
		perror(csv_path);
		goto out;
	}
	fprintf(csv, "mode,frame,target_ns,commit_ns,presented_ns,error_ns,refresh_ns,seq,flags,"
		     "discarded\n");
	for (int i = 0; i < n; i++) {
		struct frame *f = &frames[i];

		fprintf(csv, "%s,%d,%" PRIu64 ",%" PRIu64 ",", mode_names[mode], i, f->target_ns,
			f->commit_ns);
		if (f->presented)
			fprintf(csv, "%" PRIu64 ",%" PRId64 ",%" PRIu64 ",%" PRIu64 ",%u,0\n",
				f->presented_ns, (int64_t)(f->presented_ns - f->target_ns),
				f->refresh_ns, f->seq, f->flags);
		else
			fprintf(csv, ",,,,,%d\n", f->discarded ? 1 : 0);
		presented += f->presented;
	}
	printf("sb_timing: %s: %d of %d frames presented\n", mode_names[mode], presented, n);
	status = presented > 0 ? 0 : 1;
out:
	if (csv && csv != stdout)
		fclose(csv);
	for (int i = 0; frames && i < n; i++)
		if (frames[i].feedback)
			wp_presentation_feedback_destroy(frames[i].feedback);
	if (timer)
		wp_commit_timer_v1_destroy(timer);
	if (manager)
		wp_commit_timing_manager_v1_destroy(manager);
	tc_surface_destroy(window);
	for (int i = 0; i < N_BUFFERS; i++)
		tc_buffer_destroy(buffers[i]);
	if (bench.presentation)
		wp_presentation_destroy(bench.presentation);
	tc_client_destroy(bench.client);
	free(frames);
	return status;
}
