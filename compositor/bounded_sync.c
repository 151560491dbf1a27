// SPDX-License-Identifier: MIT
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <time.h>

#include <linux/dma-buf.h>
#include <wlr/util/log.h>

#include "bounded_sync.h"

#define SYNC_BOUND_NS 2000000 /* 2 ms */
#define SYNC_SIGNAL (SIGRTMIN + 4)

struct sb_bounded_sync {
	timer_t timer;
	/* Test hooks (test_control.c). */
	bool skip_idle_check;
	uint32_t arm_delay_us;
};

static void sync_signal_handler(int signo)
{
}

struct sb_bounded_sync *sb_bounded_sync_create(void)
{
	/* The signal must interrupt the ioctl: a handler without SA_RESTART, and unblocked. */
	struct sigaction sa = {.sa_handler = sync_signal_handler};
	struct sigevent sev = {.sigev_notify = SIGEV_SIGNAL, .sigev_signo = SYNC_SIGNAL};
	struct sb_bounded_sync *sync = calloc(1, sizeof(*sync));
	sigset_t set;

	if (!sync)
		return NULL;
	sigemptyset(&sa.sa_mask);
	sigemptyset(&set);
	sigaddset(&set, SYNC_SIGNAL);
	if (sigaction(SYNC_SIGNAL, &sa, NULL) < 0 || sigprocmask(SIG_UNBLOCK, &set, NULL) < 0 ||
	    timer_create(CLOCK_MONOTONIC, &sev, &sync->timer) < 0) {
		wlr_log_errno(WLR_ERROR, "no timer to bound DMA_BUF_IOCTL_SYNC");
		free(sync);
		return NULL;
	}
	return sync;
}

void sb_bounded_sync_destroy(struct sb_bounded_sync *sync)
{
	if (!sync)
		return;
	timer_delete(sync->timer);
	free(sync);
}

static __u64 sync_flags(enum sb_access access)
{
	__u64 flags = 0;

	if (access & SB_ACCESS_READ)
		flags |= DMA_BUF_SYNC_READ;
	if (access & SB_ACCESS_WRITE)
		flags |= DMA_BUF_SYNC_WRITE;
	return flags;
}

/*
 * Test hook: the thread held up between arming the bound and the ioctl, as a preemption would
 * hold it. The timer's signals meanwhile are taken (EINTR) and the sleep goes on to its end.
 */
static void sleep_after_arming(uint32_t usec)
{
	struct timespec until;

	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += usec / 1000000;
	until.tv_nsec += (long)(usec % 1000000) * 1000;
	if (until.tv_nsec >= 1000000000) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000;
	}
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &until, NULL) == EINTR)
		;
}

bool sb_bounded_sync_start(struct sb_bounded_sync *sync, int dmabuf_fd, enum sb_access access)
{
	struct dma_buf_sync arg = {.flags = DMA_BUF_SYNC_START | sync_flags(access)};
	struct itimerspec arm = {.it_value.tv_nsec = SYNC_BOUND_NS}, disarm = {0};
	int ret;

	if (!sync)
		return false;
	if (!sync->skip_idle_check && sb_dmabuf_is_idle(dmabuf_fd, access) != 1)
		return false;
	timer_settime(sync->timer, 0, &arm, NULL);
	if (sync->arm_delay_us)
		sleep_after_arming(sync->arm_delay_us);
	ret = ioctl(dmabuf_fd, DMA_BUF_IOCTL_SYNC, &arg);
	timer_settime(sync->timer, 0, &disarm, NULL);
	return ret == 0;
}

void sb_bounded_sync_end(int dmabuf_fd, enum sb_access access)
{
	struct dma_buf_sync arg = {.flags = DMA_BUF_SYNC_END | sync_flags(access)};

	while (ioctl(dmabuf_fd, DMA_BUF_IOCTL_SYNC, &arg) < 0 &&
	       (errno == EINTR || errno == EAGAIN))
		;
}

void sb_bounded_sync_test_skip_idle_check(struct sb_bounded_sync *sync, bool skip)
{
	sync->skip_idle_check = skip;
}

void sb_bounded_sync_test_arm_delay(struct sb_bounded_sync *sync, uint32_t usec)
{
	sync->arm_delay_us = usec;
}
