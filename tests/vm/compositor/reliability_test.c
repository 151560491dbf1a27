// SPDX-License-Identifier: MIT
/*
 * Guest: syncbridge stays whole when clients die at any point of a sync cycle and when a
 * thousand surfaces wait on fences that never signal (issue #10: "Nothing leaks: fds, memory,
 * fences", "the compositor keeps serving every other client").
 *   reliability_test /path/to/syncbridge
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <syncbridge/dmabuf.h>

#include "kdev.h"
#include "reliability_client.h"
#include "tap.h"
#include "tc_buffer.h"
#include "tc_surface.h"
#include "wl_client.h"

#define SIZE 32
#define SOON_MS 10000

/*
 * Bounds. RSS is what the kernel counts (VmRSS): allocator caches, and under ASan its quarantine
 * (capped here, see start_compositor), come on top of what the compositor really holds.
 */
#if defined(__SANITIZE_ADDRESS__)
#define ASAN_EXTRA_KIB 16384
#else
#define ASAN_EXTRA_KIB 0
#endif
/* Growth of the compositor's RSS over the whole kill sweep, after one warm-up cycle. */
#define SWEEP_RSS_BOUND_KIB (2048 + ASAN_EXTRA_KIB)
/* A surface with a held commit: its gate wait, wlr_surface, xdg objects and scene node. */
#define HUNG_SURFACE_RSS_BOUND_KIB 24
/* A held commit costs the compositor one fd: the snapshot's sync_file (the waiter polls it). */
#define HUNG_SURFACE_FD_BOUND 1
/* A load client: its connection and the dma-bufs of its two buffers, plus one spare. */
#define LOAD_CLIENT_FD_BOUND 4
/* Each later commit a stuck surface queues behind its held one (a cached wlr_surface_state). */
#define LATER_COMMIT_RSS_BOUND_KIB 2
#define LOAD_CLIENTS 4
#define LOAD_SURFACES 1000
#define LATER_COMMITS 4

static const char *syncbridge;

/* VmRSS of pid in KiB, -1 if unreadable. */
static long rss_kib(pid_t pid)
{
	char path[64], line[256];
	long kib = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %ld kB", &kib) == 1)
			break;
	fclose(f);
	return kib;
}

/*
 * Under ASan every free goes to a quarantine of up to 256 MiB before it is reused, which RSS
 * would count as growth: the compositor gets a small one for these tests (use-after-free is the
 * other guest tests' business).
 */
static bool start_compositor(struct sb_compositor *comp)
{
	const char *old = getenv("ASAN_OPTIONS");
	char *saved = old ? strdup(old) : NULL;
	char opts[512];
	bool ok;

	snprintf(opts, sizeof(opts), "%s%squarantine_size_mb=8", old ? old : "", old ? ":" : "");
	setenv("ASAN_OPTIONS", opts, 1);
	ok = sb_compositor_start(comp, syncbridge, NULL);
	if (saved)
		setenv("ASAN_OPTIONS", saved, 1);
	else
		unsetenv("ASAN_OPTIONS");
	free(saved);
	return ok;
}

/* A client that commits on every frame callback, the one every test keeps watching. */
struct healthy {
	struct tc_client *client;
	struct tc_surface *window;
	struct tc_buffer *buffer;
	int frames;
	uint64_t max_gap_ms, last_ms;
};

static bool healthy_init(struct sb_test_ctx *t, struct healthy *h, struct sb_compositor *comp)
{
	*h = (struct healthy){0};
	h->client = sb_compositor_connect(comp, SB_CLIENT_GLOBALS, SB_CLIENT_GLOBALS);
	h->window = h->client ? tc_surface_create(h->client) : NULL;
	h->buffer = h->window ? tc_buffer_create_dmabuf(h->client, SIZE, SIZE, SB_GREEN) : NULL;
	h->last_ms = tc_now_ms();
	return expect(t, h->buffer != NULL);
}

static void healthy_finish(struct healthy *h)
{
	tc_buffer_destroy(h->buffer);
	tc_surface_destroy(h->window);
	tc_client_destroy(h->client);
}

/* One frame: commit, then the callback within SOON_MS. */
static bool healthy_frame(struct healthy *h)
{
	bool done = false;
	uint64_t now;

	tc_surface_show(h->window, h->buffer, &done);
	if (!tc_client_wait(h->client, &done, SOON_MS))
		return false;
	now = tc_now_ms();
	if (now - h->last_ms > h->max_gap_ms)
		h->max_gap_ms = now - h->last_ms;
	h->last_ms = now;
	h->frames++;
	return true;
}

/* Frames in ms milliseconds. */
static int healthy_frames_in(struct healthy *h, int ms)
{
	uint64_t end = tc_now_ms() + (uint64_t)ms;
	int frames = 0;

	while (tc_now_ms() < end && healthy_frame(h))
		frames++;
	return frames;
}

struct child_stop {
	int fd;
};

static void child_stop(const struct rc_report *report, void *data)
{
	const struct child_stop *stop = data;

	if (write(stop->fd, report, sizeof(*report)) != sizeof(*report))
		_exit(1);
	/* Dies as a crashed or killed client does: nothing destroyed, the kernel closes it all. */
	raise(SIGKILL);
	_exit(1);
}

/*
 * Runs the cycle in a child stopping after request stop_after (0: the whole cycle), keeps the
 * healthy client drawing while it runs. false if a healthy frame was missed.
 */
static bool run_child(struct sb_compositor *comp, struct healthy *h, int stop_after,
		      struct rc_report *report)
{
	int pipe_fds[2], timeline = sb_sw_timeline_create();
	bool frames_ok = true;
	ssize_t n;
	pid_t pid;

	*report = (struct rc_report){.failed = true};
	snprintf(report->failure, sizeof(report->failure), "the child did not report");
	if (timeline < 0)
		return false;
	if (pipe2(pipe_fds, O_CLOEXEC) < 0) {
		close(timeline);
		return false;
	}
	pid = fork();
	if (pid == 0) {
		struct child_stop stop = {.fd = pipe_fds[1]};
		struct rc_report r;

		close(pipe_fds[0]);
		rc_cycle_run(comp, timeline, stop_after, child_stop, &stop, &r);
		if (write(pipe_fds[1], &r, sizeof(r)) != sizeof(r))
			_exit(1);
		_exit(0);
	}
	close(pipe_fds[1]);
	while (pid > 0 && waitpid(pid, NULL, WNOHANG) == 0)
		if (!healthy_frame(h))
			frames_ok = false;
	if (pid > 0) {
		n = read(pipe_fds[0], report, sizeof(*report));
		if (n != sizeof(*report))
			*report = (struct rc_report){.failed = true};
	}
	close(pipe_fds[0]);
	/*
	 * Held until the compositor let go: fences still pending when it dropped the client's
	 * commits. Closing the timeline now signals them (with an error) for nobody.
	 */
	close(timeline);
	return frames_ok;
}

static void client_killed_at_every_request_leaves_nothing(struct sb_test_ctx *t)
{
	struct sb_compositor comp = {0};
	struct healthy h = {0};
	struct rc_report report;
	int baseline_fds, total, bad_fds = 0, bad_sent = 0, missed_frames = 0, max_fds = 0;
	long rss0, rss_max = 0, rss_end;
	uint64_t start, max_settle_ms = 0;

	if (!expect(t, start_compositor(&comp)) || !healthy_init(t, &h, &comp) ||
	    !expect(t, healthy_frame(&h)))
		goto out;
	baseline_fds = sb_compositor_fd_count(&comp);
	/* The whole cycle once: it works, and it tells the sweep its length. */
	expect(t, run_child(&comp, &h, 0, &report));
	if (!expect(t, report.completed && !report.failed)) {
		sb_diag("full cycle: %s (after %d requests, last %s)", report.failure, report.sent,
			report.step);
		goto out;
	}
	total = report.sent;
	expect(t, sb_compositor_fd_count_settle(&comp, baseline_fds, SOON_MS) == baseline_fds);
	rss0 = rss_kib(comp.pid);
	start = tc_now_ms();
	for (int n = 1; n <= total; n++) {
		uint64_t killed;
		int fds;
		long rss;

		if (!run_child(&comp, &h, n, &report))
			missed_frames++;
		killed = tc_now_ms();
		if (report.sent != n || report.failed) {
			bad_sent++;
			sb_diag("N=%d: the child reached request %d (%s): %s", n, report.sent,
				report.step, report.failed ? report.failure : "");
		}
		fds = sb_compositor_fd_count_settle(&comp, baseline_fds, SOON_MS);
		if (tc_now_ms() - killed > max_settle_ms)
			max_settle_ms = tc_now_ms() - killed;
		if (fds > max_fds)
			max_fds = fds;
		if (fds != baseline_fds) {
			bad_fds++;
			sb_diag("N=%d (killed after %s): compositor fds %d, baseline %d", n,
				report.step, fds, baseline_fds);
		}
		rss = rss_kib(comp.pid);
		if (rss > rss_max)
			rss_max = rss;
		/* Between two kills too, the other client draws. */
		if (!healthy_frame(&h))
			missed_frames++;
		if (!sb_compositor_alive(&comp))
			break;
	}
	rss_end = rss_kib(comp.pid);
	sb_diag("kill sweep: %d children, killed after request N = 1..%d of the cycle, in %.1f s",
		total, total, (double)(tc_now_ms() - start) / 1000);
	sb_diag("compositor fds: baseline %d, back to it after %d of %d kills (slowest %llu ms)",
		baseline_fds, total - bad_fds, total, (unsigned long long)max_settle_ms);
	sb_diag("compositor VmRSS: %ld KiB after the warm-up cycle, max %ld, end %ld (+%ld KiB, "
		"bound %d)",
		rss0, rss_max, rss_end, rss_max - rss0, SWEEP_RSS_BOUND_KIB);
	sb_diag("healthy client: %d frames, longest gap %llu ms, %d missed", h.frames,
		(unsigned long long)h.max_gap_ms, missed_frames);
	expect(t, sb_compositor_alive(&comp));
	expect(t, bad_sent == 0);
	expect(t, bad_fds == 0);
	expect(t, rss0 > 0 && rss_max - rss0 <= SWEEP_RSS_BOUND_KIB);
	expect(t, missed_frames == 0);
out:
	healthy_finish(&h);
	if (comp.pid > 0)
		expect(t, sb_compositor_stop(&comp) == 0);
}

/* LOAD_SURFACES toplevels over LOAD_CLIENTS connections, each commit held by a hung fence. */
struct load {
	struct tc_client *clients[LOAD_CLIENTS];
	struct tc_buffer *hung[LOAD_CLIENTS], *ready[LOAD_CLIENTS];
	struct tc_surface *windows[LOAD_SURFACES];
	bool frames[LOAD_SURFACES][1 + LATER_COMMITS];
	int made;
};

static struct tc_client *load_client(struct load *l, int i)
{
	return l->clients[i % LOAD_CLIENTS];
}

/* Every request so far handled: a client never outruns the compositor's reading. */
static bool load_roundtrip(struct load *l)
{
	for (int c = 0; c < LOAD_CLIENTS; c++)
		if (!l->clients[c] || !tc_client_roundtrip(l->clients[c]))
			return false;
	return true;
}

static bool load_create(struct sb_compositor *comp, struct load *l, int timeline)
{
	for (int c = 0; c < LOAD_CLIENTS; c++) {
		l->clients[c] = sb_compositor_connect(comp, SB_CLIENT_GLOBALS, SB_CLIENT_GLOBALS);
		if (!l->clients[c])
			return false;
		/* One buffer per client, shared by its surfaces: the client's fds stay few. */
		l->hung[c] = tc_buffer_create_dmabuf(l->clients[c], SIZE, SIZE, SB_RED);
		l->ready[c] = tc_buffer_create_dmabuf(l->clients[c], SIZE, SIZE, SB_BLUE);
		if (!l->hung[c] || !l->ready[c] ||
		    !sb_dmabuf_add_sw_fence(tc_buffer_dmabuf_fd(l->hung[c]), timeline, 1,
					    SB_ACCESS_WRITE))
			return false;
	}
	for (int i = 0; i < LOAD_SURFACES; i++) {
		l->windows[i] = tc_surface_create(load_client(l, i));
		if (!l->windows[i])
			return false;
		l->made++;
		tc_surface_show(l->windows[i], l->hung[i % LOAD_CLIENTS], &l->frames[i][0]);
	}
	return load_roundtrip(l);
}

static bool load_commit_later(struct load *l)
{
	for (int m = 1; m <= LATER_COMMITS; m++) {
		for (int i = 0; i < l->made; i++) {
			tc_surface_show(l->windows[i], l->ready[i % LOAD_CLIENTS],
					&l->frames[i][m]);
			/* libwayland's 4 KiB output buffer: a client that fills it is lost. */
			if (i % 64 == 63 && !load_roundtrip(l))
				return false;
		}
	}
	return load_roundtrip(l);
}

/* Surfaces that got a frame although their first commit waits on a fence that never signals. */
static int load_unheld(struct load *l)
{
	int n = 0;

	for (int c = 0; c < LOAD_CLIENTS; c++)
		if (l->clients[c])
			tc_client_wait(l->clients[c], NULL, 200);
	for (int i = 0; i < l->made; i++) {
		for (int m = 0; m <= LATER_COMMITS; m++) {
			if (!l->frames[i][m])
				continue;
			/* Where it starts tells which limit it was. */
			if (n++ < 3)
				sb_diag("surface %d (client %d): a frame for its commit %d", i,
					i % LOAD_CLIENTS, m);
			break;
		}
	}
	return n;
}

static int load_errors(struct load *l)
{
	int n = 0;

	for (int c = 0; c < LOAD_CLIENTS; c++) {
		const char *iface = "";
		uint32_t code = l->clients[c] ? tc_client_error(l->clients[c], &iface) : 0;

		if (!l->clients[c] || code || !tc_client_roundtrip(l->clients[c])) {
			n++;
			if (l->clients[c])
				sb_diag("load client %d died: error %u on %s (errno %d)", c, code,
					iface, errno);
		}
	}
	return n;
}

static void load_destroy(struct load *l)
{
	for (int i = 0; i < l->made; i++)
		tc_surface_destroy(l->windows[i]);
	for (int c = 0; c < LOAD_CLIENTS; c++) {
		tc_buffer_destroy(l->hung[c]);
		tc_buffer_destroy(l->ready[c]);
		tc_client_destroy(l->clients[c]);
	}
	memset(l, 0, sizeof(*l));
}

static void hung_fences_on_1000_surfaces_stay_bounded(struct sb_test_ctx *t)
{
	struct sb_compositor comp = {0};
	struct healthy h = {0};
	struct load *l = calloc(1, sizeof(*l));
	int timeline = sb_sw_timeline_create();
	int fps_alone = 0, fps_loaded = 0, fds0 = 0, fds_held = 0, fds_later = 0, fds_after = -1;
	int unheld = -1, dead = -1;
	long rss0 = 0, rss_held = 0, rss_later = 0, rss_after = 0, rss_again = 0;
	uint64_t t0;

	if (!expect(t, l && timeline >= 0) || !expect(t, start_compositor(&comp)) ||
	    !healthy_init(t, &h, &comp))
		goto out;
	fps_alone = healthy_frames_in(&h, 1000);
	fds0 = sb_compositor_fd_count(&comp);
	rss0 = rss_kib(comp.pid);
	t0 = tc_now_ms();
	expect(t, load_create(&comp, l, timeline));
	fds_held = sb_compositor_fd_count(&comp);
	rss_held = rss_kib(comp.pid);
	sb_diag("%d surfaces over %d clients made and committed in %.1f s", l->made, LOAD_CLIENTS,
		(double)(tc_now_ms() - t0) / 1000);
	sb_diag("compositor fds: %d alone, %d with %d held commits (%.2f/surface, bound %d)", fds0,
		fds_held, l->made, (double)(fds_held - fds0) / LOAD_SURFACES,
		HUNG_SURFACE_FD_BOUND);
	sb_diag("compositor VmRSS: %ld KiB alone, %ld with the held commits (%.1f KiB/surface, "
		"bound %d)",
		rss0, rss_held, (double)(rss_held - rss0) / LOAD_SURFACES,
		HUNG_SURFACE_RSS_BOUND_KIB);
	expect(t, load_commit_later(l));
	fds_later = sb_compositor_fd_count(&comp);
	rss_later = rss_kib(comp.pid);
	sb_diag("after %d later commits on each: %d fds, VmRSS %ld KiB (%.2f KiB/commit, bound %d)",
		LATER_COMMITS, fds_later, rss_later,
		(double)(rss_later - rss_held) / (LOAD_SURFACES * LATER_COMMITS),
		LATER_COMMIT_RSS_BOUND_KIB);
	fps_loaded = healthy_frames_in(&h, 1000);
	unheld = load_unheld(l);
	dead = load_errors(l);
	sb_diag("healthy client: %d frames/s alone, %d with the load; load: %d surfaces shown "
		"although held, %d clients disconnected",
		fps_alone, fps_loaded, unheld, dead);
	load_destroy(l);
	fds_after = sb_compositor_fd_count_settle(&comp, fds0, 30000);
	rss_after = rss_kib(comp.pid);
	sb_diag("load disconnected: %d fds (%d alone), VmRSS %ld KiB", fds_after, fds0, rss_after);
	/*
	 * The same load again: if the first one's memory was freed, it is reused. Only when the
	 * compositor is back where it was (libwayland's connect waits for it without a timeout).
	 */
	if (expect(t, fds_after == fds0) && expect(t, healthy_frame(&h))) {
		expect(t, load_create(&comp, l, timeline) && load_commit_later(l));
		rss_again = rss_kib(comp.pid);
		load_destroy(l);
		expect(t, sb_compositor_fd_count_settle(&comp, fds0, 30000) == fds0);
		sb_diag("the same load again: VmRSS %ld KiB at its peak (first: %ld)", rss_again,
			rss_later);
	}
	expect(t, unheld == 0);
	expect(t, dead == 0);
	expect(t, fds_held - fds0 <= HUNG_SURFACE_FD_BOUND * LOAD_SURFACES +
					     LOAD_CLIENT_FD_BOUND * LOAD_CLIENTS);
	expect(t, fds_later == fds_held);
	expect(t, rss_held - rss0 <= (long)HUNG_SURFACE_RSS_BOUND_KIB * LOAD_SURFACES);
	expect(t, rss_later - rss_held <=
			  (long)LATER_COMMIT_RSS_BOUND_KIB * LOAD_SURFACES * LATER_COMMITS +
				  ASAN_EXTRA_KIB);
	/* Freed, so reused: a second load takes no more than the first one's peak and a margin. */
	expect(t, rss_again <= rss_later + 2048 + ASAN_EXTRA_KIB);
	expect(t, fps_alone > 10);
	expect(t, fps_loaded * 10 >= fps_alone * 8);
	expect(t, sb_compositor_alive(&comp));
out:
	if (l)
		load_destroy(l);
	free(l);
	healthy_finish(&h);
	if (comp.pid > 0)
		expect(t, sb_compositor_stop(&comp) == 0);
	if (timeline >= 0)
		close(timeline);
}

int main(int argc, char *argv[])
{
	static const struct sb_test tests[] = {
		SB_TEST(client_killed_at_every_request_leaves_nothing),
		SB_TEST(hung_fences_on_1000_surfaces_stay_bounded),
	};

	return sb_compositor_test_main(argc, argv, &syncbridge, tests,
				       sizeof(tests) / sizeof(tests[0]));
}
