/* SPDX-License-Identifier: MIT */
#ifndef SB_CLIENT_LOOP_H
#define SB_CLIENT_LOOP_H

#include <stdint.h>

/*
 * The client's event loop: poll(2) over watched fds, and one-shot timers at absolute
 * CLOCK_MONOTONIC deadlines multiplexed on a single timerfd (ns precision, unlike poll's timeout).
 * No callback ever blocks. The loop never closes a watched fd: its owner does.
 */
struct loop;
struct loop_fd;
struct loop_timer;

typedef void (*loop_fd_func_t)(int fd, short revents, void *data);
/* The timer is freed before its callback runs: the owner drops its pointer there. */
typedef void (*loop_timer_func_t)(void *data);

struct loop *loop_create(void);
/* Frees every watch and timer still registered. */
void loop_destroy(struct loop *loop);

struct loop_fd *loop_add_fd(struct loop *loop, int fd, short events, loop_fd_func_t func,
			    void *data);
void loop_fd_set_events(struct loop_fd *watch, short events);
/* Safe from inside any callback, including the watch's own. */
void loop_fd_remove(struct loop_fd *watch);

struct loop_timer *loop_add_timer(struct loop *loop, uint64_t deadline_ns, loop_timer_func_t func,
				  void *data);
void loop_timer_cancel(struct loop_timer *timer);

/* One poll(2) and the callbacks of what is ready. 0, or -1 with errno (EINTR is not an error). */
int loop_dispatch(struct loop *loop, int timeout_ms);

#endif
