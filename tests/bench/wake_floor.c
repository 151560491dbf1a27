// SPDX-License-Identifier: MIT
/*
 * The floor for the commit-gate benchmark: how long the kernel takes to wake one process when
 * another one signals it, with nothing else in between.
 *
 *   wake_floor N CSV [SLEEP_MS]
 *
 * Two processes. The child blocks in epoll_wait() on one fd, as the compositor's event loop does;
 * the parent waits SLEEP_MS (default 2; the child is asleep that long), reads CLOCK_MONOTONIC
 * (t0) and signals the fd.
 * The child reads the clock as soon as epoll_wait() returns (t1) and writes one byte to a unix
 * socket the parent is blocked on in poll(); the parent reads the clock when that returns (t2).
 * Per sample: wake_ns = t1 - t0 (one wakeup), roundtrip_ns = t2 - t0 (signal, wake, send, wake:
 * the same two hops as a client that signals its fence and waits for wl_buffer.release).
 *
 * Kinds: "eventfd" (write(2) on an eventfd), "sync_file" (SW_SYNC_IOC_INC on a sw_sync
 * timeline; the child waits on a new fence's sync_file each time, received with SCM_RIGHTS) and
 * "syncobj" (the same sw_sync fence imported into a point of a DRM timeline syncobj on the
 * guest's virtio-gpu; the child waits on DRM_IOCTL_SYNCOBJ_EVENTFD's eventfd for the point to
 * signal, as the commit gate does for a wp_linux_drm_syncobj_v1 acquire point; the kernel's
 * timeline fence chain adds its own step).
 * Writes "kind,sample,wake_ns,roundtrip_ns" lines to CSV and TAP on stdout.
 *
 * How long the child has slept matters: in the TCG guest the median wake grows from ~160 µs
 * after 2 ms asleep to ~250 µs after 10 ms and ~350-500 µs after 35 ms (the idle vCPU, and the
 * host thread behind it, take longer to come back). So the commit-gate benchmark measures its
 * floor with the child asleep as long as the compositor is when the fence signals.
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <syncbridge/sync_file.h>
#include <syncbridge/syncobj.h>

#include "kdev.h"

#define SLEEP_MS_DEFAULT 2 /* the child must be asleep in epoll_wait() before the signal */

static uint64_t sleep_ns_before_signal = SLEEP_MS_DEFAULT * 1000000ull;

enum kind { KIND_EVENTFD, KIND_SYNC_FILE, KIND_SYNCOBJ };

static const char *const kind_names[] = {"eventfd", "sync_file", "syncobj"};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void sleep_ns(uint64_t ns)
{
	struct timespec ts = {.tv_sec = (time_t)(ns / 1000000000u),
			      .tv_nsec = (long)(ns % 1000000000u)};

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static int send_fd(int sock, int fd)
{
	char byte = 'f';
	struct iovec iov = {.iov_base = &byte, .iov_len = 1};
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int))];
	} control = {0};
	struct msghdr msg = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = control.buf,
		.msg_controllen = sizeof(control.buf),
	};
	struct cmsghdr *cmsg = CMSG_FIRSTHDR(&msg);

	cmsg->cmsg_level = SOL_SOCKET;
	cmsg->cmsg_type = SCM_RIGHTS;
	cmsg->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cmsg), &fd, sizeof(int));
	return sendmsg(sock, &msg, MSG_NOSIGNAL) == 1 ? 0 : -1;
}

static int recv_fd(int sock)
{
	char byte;
	struct iovec iov = {.iov_base = &byte, .iov_len = 1};
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int))];
	} control;
	struct msghdr msg = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = control.buf,
		.msg_controllen = sizeof(control.buf),
	};
	struct cmsghdr *cmsg;
	int fd;

	if (recvmsg(sock, &msg, MSG_CMSG_CLOEXEC) != 1)
		return -1;
	cmsg = CMSG_FIRSTHDR(&msg);
	if (!cmsg || cmsg->cmsg_type != SCM_RIGHTS)
		return -1;
	memcpy(&fd, CMSG_DATA(cmsg), sizeof(int));
	return fd;
}

/* The child: wait on the fd it is given (or the eventfd), record t1, answer on the socket. */
static int child_run(enum kind kind, int sock, int efd, int n, uint64_t *t1)
{
	int ep = epoll_create1(EPOLL_CLOEXEC);

	if (ep < 0)
		return 1;
	for (int i = 0; i < n; i++) {
		struct epoll_event ev = {.events = EPOLLIN};
		int fd = kind == KIND_EVENTFD ? efd : recv_fd(sock);
		char byte = 'r';
		uint64_t count;

		if (fd < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0)
			return 1;
		if (write(sock, &byte, 1) != 1) /* ready */
			return 1;
		while (epoll_wait(ep, &ev, 1, -1) != 1)
			;
		t1[i] = now_ns();
		if (write(sock, &byte, 1) != 1) /* woken */
			return 1;
		epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL);
		if (kind == KIND_EVENTFD) {
			if (read(efd, &count, sizeof(count)) != sizeof(count))
				return 1;
		} else {
			close(fd);
		}
	}
	close(ep);
	return 0;
}

static int read_byte(int sock)
{
	char byte;

	return read(sock, &byte, 1) == 1 ? 0 : -1;
}

/* One kind, n samples into t0/t1/t2. Returns 0 or -1. */
static int measure(enum kind kind, int n, uint64_t *t0, uint64_t *t1, uint64_t *t2)
{
	int sv[2], efd = -1, timeline = -1, drm_fd = -1, status, ret = -1;
	struct sb_syncobj *syncobj = NULL;
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return -1;
	if (kind == KIND_EVENTFD)
		efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	else
		timeline = sb_sw_timeline_create();
	if (kind == KIND_SYNCOBJ && timeline >= 0) {
		drm_fd = sb_drm_open_by_name("virtio_gpu");
		syncobj = drm_fd >= 0 ? sb_syncobj_create(drm_fd) : NULL;
		if (!syncobj) {
			close(timeline);
			timeline = -1;
		}
	}
	if (efd < 0 && timeline < 0) {
		fprintf(stderr, "wake_floor: %s: %s\n", kind_names[kind], strerror(errno));
		goto out;
	}
	pid = fork();
	if (pid < 0)
		goto out;
	if (pid == 0) {
		close(sv[0]);
		_exit(child_run(kind, sv[1], efd, n, t1));
	}
	close(sv[1]);
	sv[1] = -1;
	for (int i = 0; i < n; i++) {
		struct pollfd pfd = {.fd = sv[0], .events = POLLIN};
		uint64_t one = 1;

		if (kind == KIND_SYNC_FILE) {
			int fence = sb_sw_fence_create(timeline, (uint32_t)i + 1);

			if (fence < 0 || send_fd(sv[0], fence) < 0)
				goto reap;
			close(fence);
		} else if (kind == KIND_SYNCOBJ) {
			struct sb_sync_file *fence =
				sb_sync_file_import(sb_sw_fence_create(timeline, (uint32_t)i + 1));
			int point_fd = -1;

			if (fence && sb_syncobj_import_point(syncobj, (uint64_t)i + 1, fence) == 0)
				point_fd = sb_syncobj_eventfd(syncobj, (uint64_t)i + 1, false);
			sb_sync_file_destroy(fence);
			if (point_fd < 0 || send_fd(sv[0], point_fd) < 0) {
				if (point_fd >= 0)
					close(point_fd);
				goto reap;
			}
			close(point_fd);
		}
		if (read_byte(sv[0]) < 0)
			goto reap;
		sleep_ns(sleep_ns_before_signal);
		t0[i] = now_ns();
		if (kind == KIND_EVENTFD ? write(efd, &one, sizeof(one)) != sizeof(one)
					 : sb_sw_timeline_inc(timeline, 1) < 0)
			goto reap;
		while (poll(&pfd, 1, -1) != 1)
			;
		t2[i] = now_ns();
		if (read_byte(sv[0]) < 0)
			goto reap;
	}
	ret = 0;
reap:
	close(sv[0]);
	sv[0] = -1;
	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
		ret = -1;
out:
	if (sv[0] >= 0)
		close(sv[0]);
	if (sv[1] >= 0)
		close(sv[1]);
	if (efd >= 0)
		close(efd);
	if (timeline >= 0)
		close(timeline);
	sb_syncobj_destroy(syncobj);
	if (drm_fd >= 0)
		close(drm_fd);
	return ret;
}

static int compare_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

/* Nearest-rank percentile of sorted values. */
static uint64_t percentile(const uint64_t *sorted, int n, int p)
{
	int k = (p * n + 99) / 100;

	return sorted[k > 0 ? k - 1 : 0];
}

int main(int argc, char **argv)
{
	uint64_t *t0, *t1, *t2, *wake, *round;
	FILE *csv;
	int n, failed = 0;

	if ((argc != 3 && argc != 4) || (n = atoi(argv[1])) < 10 ||
	    (argc == 4 && (atoi(argv[3]) < 1 || atoi(argv[3]) > 1000))) {
		fprintf(stderr,
			"usage: wake_floor N CSV [SLEEP_MS]   (N >= 10, 1 <= SLEEP_MS <= 1000)\n");
		return 2;
	}
	if (argc == 4)
		sleep_ns_before_signal = (uint64_t)atoi(argv[3]) * 1000000ull;
	/* t1 is written by the child: shared. */
	t1 = mmap(NULL, (size_t)n * sizeof(*t1), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
		  -1, 0);
	t0 = calloc((size_t)n, sizeof(*t0));
	t2 = calloc((size_t)n, sizeof(*t2));
	wake = calloc((size_t)n, sizeof(*wake));
	round = calloc((size_t)n, sizeof(*round));
	csv = fopen(argv[2], "we");
	if (t1 == MAP_FAILED || !t0 || !t2 || !wake || !round || !csv) {
		perror("wake_floor");
		return 1;
	}
	fputs("kind,sample,wake_ns,roundtrip_ns\n", csv);
	printf("1..3\n");
	for (int k = KIND_EVENTFD; k <= KIND_SYNCOBJ; k++) {
		if (measure((enum kind)k, n, t0, t1, t2) < 0) {
			printf("not ok %d - %s wakeup floor: measurement failed\n", k + 1,
			       kind_names[k]);
			failed = 1;
			continue;
		}
		for (int i = 0; i < n; i++) {
			wake[i] = t1[i] - t0[i];
			round[i] = t2[i] - t0[i];
			fprintf(csv, "%s,%d,%" PRIu64 ",%" PRIu64 "\n", kind_names[k], i, wake[i],
				round[i]);
		}
		qsort(wake, (size_t)n, sizeof(*wake), compare_u64);
		qsort(round, (size_t)n, sizeof(*round), compare_u64);
		printf("ok %d - %s wakeup floor, %d ms asleep: wake median %.1f us p90 %.1f us, "
		       "round trip median %.1f us p90 %.1f us (n=%d)\n",
		       k + 1, kind_names[k], (int)(sleep_ns_before_signal / 1000000),
		       (double)percentile(wake, n, 50) / 1e3, (double)percentile(wake, n, 90) / 1e3,
		       (double)percentile(round, n, 50) / 1e3,
		       (double)percentile(round, n, 90) / 1e3, n);
	}
	if (fclose(csv) != 0)
		failed = 1;
	free(t0);
	free(t2);
	free(wake);
	free(round);
	munmap(t1, (size_t)n * sizeof(*t1));
	return failed;
}
