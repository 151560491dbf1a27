// SPDX-License-Identifier: MIT
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <wayland-util.h>

#include "loop.h"
#include "util.h"

struct loop_fd {
	struct loop *loop;
	int fd;
	short events;
	loop_fd_func_t func;
	void *data;
	bool removed; /* freed by the next loop_reap(): a dispatch may still hold it */
	struct wl_list link;
};

struct loop_timer {
	uint64_t deadline_ns;
	loop_timer_func_t func;
	void *data;
	struct wl_list link; /* loop.timers, earliest first */
};

struct loop {
	int timer_fd;
	struct loop_fd *timer_watch;
	struct wl_list fds;
	struct wl_list timers;
	struct pollfd *pollfds;
	struct loop_fd **polled;
	size_t capacity;
};

static void loop_arm(struct loop *loop)
{
	struct itimerspec its = {0};
	struct loop_timer *first;

	if (!wl_list_empty(&loop->timers)) {
		first = wl_container_of(loop->timers.next, first, link);
		/* A zero it_value disarms; any past absolute time fires at once. */
		uint64_t deadline = first->deadline_ns ? first->deadline_ns : 1;
		its.it_value.tv_sec = deadline / 1000000000u;
		its.it_value.tv_nsec = deadline % 1000000000u;
	}
	if (timerfd_settime(loop->timer_fd, TFD_TIMER_ABSTIME, &its, NULL) < 0)
		log_errno(SB_ERROR, "timerfd_settime");
}

static void loop_run_timers(int fd, short revents, void *data)
{
	struct loop *loop = data;
	struct loop_timer *timer;
	uint64_t expirations;
	uint64_t now = now_ns();

	/* Non-blocking: EAGAIN when the timer was re-armed after it fired. */
	if (read(fd, &expirations, sizeof(expirations)) < 0 && errno != EAGAIN)
		log_errno(SB_ERROR, "read(timerfd)");
	while (!wl_list_empty(&loop->timers)) {
		timer = wl_container_of(loop->timers.next, timer, link);
		if (timer->deadline_ns > now)
			break;
		loop_timer_func_t func = timer->func;
		void *timer_data = timer->data;
		wl_list_remove(&timer->link);
		free(timer);
		func(timer_data);
	}
	loop_arm(loop);
}

struct loop *loop_create(void)
{
	struct loop *loop = calloc(1, sizeof(*loop));

	if (!loop)
		return NULL;
	wl_list_init(&loop->fds);
	wl_list_init(&loop->timers);
	loop->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (loop->timer_fd < 0) {
		log_errno(SB_ERROR, "timerfd_create");
		goto err_free;
	}
	loop->timer_watch = loop_add_fd(loop, loop->timer_fd, POLLIN, loop_run_timers, loop);
	if (!loop->timer_watch)
		goto err_close;
	return loop;

err_close:
	close(loop->timer_fd);
err_free:
	free(loop);
	return NULL;
}

static void loop_reap(struct loop *loop)
{
	struct loop_fd *watch, *tmp;

	wl_list_for_each_safe(watch, tmp, &loop->fds, link) {
		if (watch->removed) {
			wl_list_remove(&watch->link);
			free(watch);
		}
	}
}

void loop_destroy(struct loop *loop)
{
	struct loop_fd *watch;
	struct loop_timer *timer, *tmp;

	if (!loop)
		return;
	wl_list_for_each(watch, &loop->fds, link)
		watch->removed = true;
	loop_reap(loop);
	wl_list_for_each_safe(timer, tmp, &loop->timers, link) {
		wl_list_remove(&timer->link);
		free(timer);
	}
	close(loop->timer_fd);
	free(loop->pollfds);
	free(loop->polled);
	free(loop);
}

struct loop_fd *loop_add_fd(struct loop *loop, int fd, short events, loop_fd_func_t func,
			    void *data)
{
	struct loop_fd *watch = calloc(1, sizeof(*watch));

	if (!watch) {
		log_errno(SB_ERROR, "calloc");
		return NULL;
	}
	watch->loop = loop;
	watch->fd = fd;
	watch->events = events;
	watch->func = func;
	watch->data = data;
	wl_list_insert(loop->fds.prev, &watch->link);
	return watch;
}

void loop_fd_set_events(struct loop_fd *watch, short events)
{
	watch->events = events;
}

void loop_fd_remove(struct loop_fd *watch)
{
	if (watch)
		watch->removed = true;
}

struct loop_timer *loop_add_timer(struct loop *loop, uint64_t deadline_ns, loop_timer_func_t func,
				  void *data)
{
	struct loop_timer *timer = calloc(1, sizeof(*timer));
	struct loop_timer *pos;

	if (!timer) {
		log_errno(SB_ERROR, "calloc");
		return NULL;
	}
	timer->deadline_ns = deadline_ns;
	timer->func = func;
	timer->data = data;
	/* After the timers with the same deadline: equal deadlines run in the order they were added. */
	wl_list_for_each_reverse(pos, &loop->timers, link) {
		if (pos->deadline_ns <= deadline_ns)
			break;
	}
	wl_list_insert(&pos->link, &timer->link);
	loop_arm(loop);
	return timer;
}

void loop_timer_cancel(struct loop_timer *timer)
{
	if (!timer)
		return;
	wl_list_remove(&timer->link);
	free(timer);
	/* The timerfd may now fire early for nothing: loop_run_timers re-arms it then. */
}

static int loop_reserve(struct loop *loop, size_t n)
{
	struct pollfd *pollfds;
	struct loop_fd **polled;

	if (n <= loop->capacity)
		return 0;
	pollfds = realloc(loop->pollfds, n * sizeof(*pollfds));
	if (!pollfds)
		return -1;
	loop->pollfds = pollfds;
	polled = realloc(loop->polled, n * sizeof(*polled));
	if (!polled)
		return -1;
	loop->polled = polled;
	loop->capacity = n;
	return 0;
}

int loop_dispatch(struct loop *loop, int timeout_ms)
{
	struct loop_fd *watch;
	size_t n = 0;
	int ret;

	loop_reap(loop);
	if (loop_reserve(loop, (size_t)wl_list_length(&loop->fds)) < 0)
		return -1;
	wl_list_for_each(watch, &loop->fds, link) {
		loop->pollfds[n] = (struct pollfd){.fd = watch->fd, .events = watch->events};
		loop->polled[n++] = watch;
	}
	ret = poll(loop->pollfds, n, timeout_ms);
	if (ret < 0)
		return errno == EINTR ? 0 : -1;
	for (size_t i = 0; i < n; i++) {
		watch = loop->polled[i];
		/* A callback earlier in this round may have removed it. */
		if (watch->removed || !loop->pollfds[i].revents)
			continue;
		watch->func(watch->fd, loop->pollfds[i].revents, watch->data);
	}
	loop_reap(loop);
	return 0;
}
