// SPDX-License-Identifier: MIT
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include <linux/dma-buf.h>
#include <wlr/util/log.h>

#include "bounded_sync.h"

#define SYNC_BOUND_NS 2000000 /* 2 ms */
#define SYNC_SIGNAL (SIGRTMIN + 4)
/* SIGEV_THREAD_ID's field: glibc 2.36 has the member, but not the name the man page gives it. */
#ifndef sigev_notify_thread_id
#define sigev_notify_thread_id _sigev_un._tid
#endif

struct sb_bounded_sync {
	timer_t timer;
	pid_t tid;	 /* the thread the timer signals: START is only taken there */
	bool timer_gone; /* disarming failed, so the timer was deleted: no bound any more */
	/* Test hooks (test_control.c). */
	bool skip_idle_check;
	uint32_t arm_delay_us;
};

static void sync_signal_handler(int signo)
{
}

struct sb_bounded_sync *sb_bounded_sync_create(void)
{
	/*
	 * The signal must interrupt the ioctl: a handler without SA_RESTART (dma_resv's
	 * interruptible wait then fails with EINTR rather than restart), and unblocked.
	 */
	struct sigaction sa = {.sa_handler = sync_signal_handler};
	/* SIGEV_THREAD_ID: to this thread, which takes START, not to any thread of the process. */
	struct sigevent sev = {.sigev_notify = SIGEV_THREAD_ID, .sigev_signo = SYNC_SIGNAL};
	struct sb_bounded_sync *sync = calloc(1, sizeof(*sync));
	sigset_t set;

	if (!sync)
		return NULL;
	sync->tid = gettid();
	sev.sigev_notify_thread_id = sync->tid;
	sigemptyset(&sa.sa_mask);
	sigemptyset(&set);
	sigaddset(&set, SYNC_SIGNAL);
	if (sigaction(SYNC_SIGNAL, &sa, NULL) < 0 ||
	    pthread_sigmask(SIG_UNBLOCK, &set, NULL) != 0 ||
	    timer_create(CLOCK_MONOTONIC, &sev, &sync->timer) < 0) {
		wlr_log_errno(WLR_ERROR, "no timer to bound DMA_BUF_IOCTL_SYNC: CPU access to "
					 "dma-bufs goes without it");
		free(sync);
		return NULL;
	}
	return sync;
}

void sb_bounded_sync_destroy(struct sb_bounded_sync *sync)
{
	if (!sync)
		return;
	if (!sync->timer_gone)
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
 * Periodic, not one-shot: if the thread is preempted between arming and the ioctl for longer
 * than the bound, the first expiry's signal is delivered (and spent) before the ioctl sleeps;
 * the timer then fires again within one more period, and interrupts the wait.
 */
static bool timer_arm(struct sb_bounded_sync *sync)
{
	const struct itimerspec arm = {
		.it_value.tv_nsec = SYNC_BOUND_NS,
		.it_interval.tv_nsec = SYNC_BOUND_NS,
	};

	if (timer_settime(sync->timer, 0, &arm, NULL) == 0)
		return true;
	wlr_log_errno(WLR_ERROR, "timer_settime: no bound, DMA_BUF_IOCTL_SYNC(START) not taken");
	return false;
}

static void timer_disarm(struct sb_bounded_sync *sync)
{
	const struct itimerspec disarm = {0};

	if (timer_settime(sync->timer, 0, &disarm, NULL) == 0)
		return;
	/* Left running, it would interrupt the thread's every blocking call, for good. */
	wlr_log_errno(WLR_ERROR, "timer_settime: cannot disarm the DMA_BUF_IOCTL_SYNC bound");
	timer_delete(sync->timer);
	sync->timer_gone = true;
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
	int ret;

	/* On any other thread the signal would not interrupt the ioctl: no START there. */
	if (!sync || sync->timer_gone || gettid() != sync->tid)
		return false;
	if (!sync->skip_idle_check && sb_dmabuf_is_idle(dmabuf_fd, access) != 1)
		return false;
	if (!timer_arm(sync))
		return false;
	if (sync->arm_delay_us)
		sleep_after_arming(sync->arm_delay_us);
	/*
	 * EINTR is the bound expiring with a fence still pending: not retried, the buffer is not
	 * ready (a retry would wait again on the fence the client controls).
	 */
	ret = ioctl(dmabuf_fd, DMA_BUF_IOCTL_SYNC, &arg);
	timer_disarm(sync);
	return ret == 0;
}

void sb_bounded_sync_end(int dmabuf_fd, enum sb_access access)
{
	struct dma_buf_sync arg = {.flags = DMA_BUF_SYNC_END | sync_flags(access)};

	/* END never waits for a fence (dma_buf_end_cpu_access()): retrying it cannot block. */
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
