/* SPDX-License-Identifier: MIT */
#ifndef SB_TEST_WL_CLIENT_H
#define SB_TEST_WL_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <syncbridge/dmabuf.h>

#include "tc_client.h"

struct sb_test;
struct sb_test_ctx;

/*
 * What the compositor guest tests need of a compositor under test: start syncbridge on its own
 * socket (the test control socket too, if asked), connect a tc_client to it, read screenshots and
 * its fd count. The clients themselves are tests/lib's.
 */
struct sb_compositor {
	pid_t pid;
	int control; /* the test control socket (compositor/test_control.h), or -1 */
	char runtime_dir[256];
	char socket[64];
	char shot[320];
};

/* Starts syncbridge headless with pixman and the extra arguments (NULL-terminated). */
bool sb_compositor_start(struct sb_compositor *comp, const char *syncbridge,
			 const char *const *extra);
/* The same, and serving the test control socket: true once it said READY there. */
bool sb_compositor_start_controlled(struct sb_compositor *comp, const char *syncbridge,
				    const char *const *extra);
/*
 * One request on the control socket (x a plain integer where the op says so): the reply's status,
 * 0 or a negative errno; -ETIMEDOUT if no reply came in 10 s.
 */
int sb_compositor_control(struct sb_compositor *comp, uint32_t op, int32_t x);
/* SIGTERM, then waits; returns the exit status, or -1 if it had to be killed. */
int sb_compositor_stop(struct sb_compositor *comp);
int sb_compositor_fd_count(const struct sb_compositor *comp);
bool sb_compositor_alive(const struct sb_compositor *comp);
/* Polls (up to ms) until the compositor's open fds are back to baseline; the last count. */
int sb_compositor_fd_count_settle(const struct sb_compositor *comp, int baseline, int ms);
/* SIGUSR1 screenshot; the pixel at (x, y) as 0xRRGGBB, or -1. */
long sb_compositor_pixel(struct sb_compositor *comp, int x, int y);

/* The colours the tests draw, 0xRRGGBB as sb_compositor_pixel reads them. */
#define SB_RED 0xff0000
#define SB_GREEN 0x00ff00
#define SB_BLUE 0x0000ff
/* A test toplevel's size. The first sits at the output's origin: (SB_PX, SB_PY) is inside it. */
#define SB_SIZE 64
#define SB_PX 10
#define SB_PY 10

/* What the clients of gate, capture and reliability tests draw with: toplevels, sub-surfaces,
 * udmabuf buffers. */
#define SB_CLIENT_GLOBALS (TC_COMPOSITOR | TC_SUBCOMPOSITOR | TC_WM_BASE | TC_DMABUF)

/*
 * A sw_sync fence at value on timeline, added to the dma-buf's reservation as access does
 * (SB_ACCESS_WRITE: a writer, as implicit sync sees a GPU render): false if either step failed.
 */
bool sb_dmabuf_add_sw_fence(int dmabuf_fd, int timeline, uint32_t value, enum sb_access access);

/*
 * A client in a child process that dies mid-wait, destroying nothing, as a crashed client does:
 * the kernel closes its socket and the compositor must let go of all it held for it.
 */
struct sb_child {
	pid_t pid;
	int ready[2]; /* the child says on ready[1] whether its requests are in */
};

#define SB_CHILD_INIT                          \
	{                                      \
		.pid = -1, .ready = { -1, -1 } \
	}

/*
 * Forks; the child runs hold(data) (it connects and makes the requests the compositor is to
 * hold; true when they are in), says so and pauses. True once it said its requests are in.
 */
bool sb_child_start(struct sb_child *child, bool (*hold)(void *data), void *data);
/* SIGKILL, then reaps the child and closes the pipe (also after a failed start). */
void sb_child_kill(struct sb_child *child);
/*
 * A client in a child (sb_child_start(hold, data)) killed once its requests are in: expects the
 * compositor to hold at least min_held more fds than before meanwhile, and to be back to its count
 * from before within 5 s of the death. The three counts in a diag line, held_while saying when
 * the second was taken.
 */
void sb_expect_child_death_frees_fds(struct sb_test_ctx *t, struct sb_compositor *comp,
				     bool (*hold)(void *data), void *data, int min_held,
				     const char *held_while);

/*
 * A tc_client (tests/lib/tc_client.h) on comp's socket with the globals in bind (enum tc_globals)
 * bound: NULL, saying which are missing, if one of need is not advertised.
 */
struct tc_client *sb_compositor_connect(const struct sb_compositor *comp, unsigned bind,
					unsigned need);

/*
 * The client that watches whether a stall elsewhere (a hung fence, a waiting capture) holds up
 * everyone else: a toplevel of its own, size x size, with a green and a blue udmabuf buffer.
 */
struct sb_other_client {
	struct tc_client *client;
	struct tc_surface *window;
	struct tc_buffer *green, *blue;
};

/* Connects with bind (enum tc_globals, SB_CLIENT_GLOBALS at least); false if any part failed. */
bool sb_other_client_start(struct sb_other_client *other, const struct sb_compositor *comp,
			   unsigned bind, int size);
/* Destroys what start made; harmless on a zeroed or half-started one. */
void sb_other_client_finish(struct sb_other_client *other);
/*
 * n commits, green and blue in turn (new content with damage: every frame is rendered), each
 * waiting up to each_ms for its frame; the frames that came in time, in a diag line.
 */
int sb_other_client_frames(struct sb_other_client *other, int n, int each_ms);
/* Frames of green in ms milliseconds, committing on every frame callback. */
int sb_other_client_frames_in(struct sb_other_client *other, int ms);
/*
 * The frame rate other frames kept while something elsewhere stalled (stall says what): at least
 * min_baseline frames alone, and at least half of that during the stall. A compositor that waited
 * for the stall would serve no frame at all in that second; half the rate leaves room for a
 * loaded emulated CPU (seen: 73-77 % under load).
 */
void sb_expect_rate_kept(struct sb_test_ctx *t, const char *who, const char *stall, int baseline,
			 int during, int min_baseline);

/*
 * main() of a compositor guest test run as `test SYNCBRIDGE`: the path goes into *syncbridge,
 * then sb_test_main runs the tests; 2 with a usage line for any other arguments.
 */
int sb_compositor_test_main(int argc, char *argv[], const char **syncbridge,
			    const struct sb_test *tests, size_t n_tests);

#endif
