// SPDX-License-Identifier: MIT
/*
 * epoll_wait: the libsyncbridge worked example. A minimal event loop, plain epoll and no Wayland,
 * that waits for three fences in the three forms a compositor meets them in:
 *
 *   --dmabuf FD               the implicit fences of a dma-buf, as a snapshot taken now (a
 *                             reader's view: its pending writers; later writers do not count)
 *   --sync-file FD            an explicit fence, a sync_file (zwp_linux_explicit_synchronization_v1)
 *   --syncobj DRM_FD:SYNCOBJ_FD:POINT
 *                             a DRM syncobj timeline point (wp_linux_drm_syncobj_v1)
 *
 * The fds are inherited from the parent. One sb_waiter gathers them behind one fd; the loop polls
 * that fd beside its own (here a signalfd for SIGINT/SIGTERM, where a compositor would have its
 * Wayland socket and outputs) and calls sb_waiter_dispatch() when it is readable.
 *
 * Build: cc -o epoll_wait epoll_wait.c $(pkg-config --cflags --libs syncbridge)
 * Exit status: 0 when every fence signalled without error, 1 on an error, 2 for bad usage.
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <syncbridge/dmabuf.h>
#include <syncbridge/log.h>
#include <syncbridge/sync_file.h>
#include <syncbridge/syncobj.h>
#include <syncbridge/waiter.h>

struct loop {
	bool done;
	int status;
};

/* Called by sb_waiter_dispatch() once, when every fence is done. */
static void fences_done(struct sb_waiter *waiter, int status, void *data)
{
	struct loop *loop = data;

	loop->done = true;
	loop->status = status;
}

static int parse_fd(const char *s)
{
	char *end;
	long v = strtol(s, &end, 10);

	return (*s && *end == '\0' && v >= 0 && v <= 65535) ? (int)v : -1;
}

/* Adds one command-line fence to the waiter. Returns -1 with a message on failure. */
static int add_fence(struct sb_waiter *waiter, const char *opt, const char *arg,
		     struct sb_syncobj **syncobj)
{
	if (strcmp(opt, "--dmabuf") == 0) {
		/* 1: an exact EXPORT_SYNC_FILE snapshot; 0: the poll fallback of older kernels. */
		int exact = sb_waiter_add_dmabuf(waiter, parse_fd(arg), SB_ACCESS_READ, 0);
		if (exact < 0)
			return -1;
		printf("dma-buf %s: %s\n", arg, exact ? "snapshot" : "poll (no EXPORT_SYNC_FILE)");
		return 0;
	}
	if (strcmp(opt, "--sync-file") == 0) {
		/* The waiter takes ownership of the sb_sync_file, which holds a duplicate. */
		struct sb_sync_file *sync_file = sb_sync_file_import_dup(parse_fd(arg));
		if (!sync_file)
			return -1;
		return sb_waiter_add_sync_file(waiter, sync_file);
	}
	if (strcmp(opt, "--syncobj") == 0) {
		int drm_fd, syncobj_fd;
		uint64_t point;
		if (sscanf(arg, "%d:%d:%" SCNu64, &drm_fd, &syncobj_fd, &point) != 3) {
			errno = EINVAL;
			return -1;
		}
		/* Takes ownership of syncobj_fd; the DRM fd must stay open as long as the object. */
		*syncobj = sb_syncobj_import(drm_fd, syncobj_fd);
		if (!*syncobj)
			return -1;
		return sb_waiter_add_syncobj_point(waiter, *syncobj, point, 0);
	}
	errno = EINVAL;
	return -1;
}

int main(int argc, char *argv[])
{
	struct loop loop = {0};
	struct sb_syncobj *syncobj = NULL;
	struct epoll_event ev;
	sigset_t signals;
	int ret = 1, epfd = -1, sigfd = -1;

	if (argc < 3 || argc % 2 == 0) {
		fprintf(stderr,
			"usage: %s [--dmabuf FD] [--sync-file FD] "
			"[--syncobj DRM_FD:SYNCOBJ_FD:POINT] ...\n",
			argv[0]);
		return 2;
	}
	sb_log_init(SB_ERROR, NULL);

	struct sb_waiter *waiter = sb_waiter_create(fences_done, &loop);
	if (!waiter) {
		perror("sb_waiter_create");
		return 1;
	}
	for (int i = 1; i + 1 < argc; i += 2) {
		if (syncobj && strcmp(argv[i], "--syncobj") == 0) {
			fprintf(stderr, "one --syncobj only in this example\n");
			goto out;
		}
		if (add_fence(waiter, argv[i], argv[i + 1], &syncobj) < 0) {
			fprintf(stderr, "%s %s: %s\n", argv[i], argv[i + 1], strerror(errno));
			goto out;
		}
	}
	printf("waiting on %d fence(s)\n", sb_waiter_pending(waiter));
	fflush(stdout);

	sigemptyset(&signals);
	sigaddset(&signals, SIGINT);
	sigaddset(&signals, SIGTERM);
	sigprocmask(SIG_BLOCK, &signals, NULL);
	sigfd = signalfd(-1, &signals, SFD_CLOEXEC);
	epfd = epoll_create1(EPOLL_CLOEXEC);
	if (sigfd < 0 || epfd < 0) {
		perror("signalfd/epoll_create1");
		goto out;
	}
	/* Ask for the waiter's fd after the last add: it may change while fences are added. */
	ev = (struct epoll_event){.events = EPOLLIN, .data.ptr = waiter};
	if (epoll_ctl(epfd, EPOLL_CTL_ADD, sb_waiter_get_fd(waiter), &ev) < 0 ||
	    epoll_ctl(epfd, EPOLL_CTL_ADD, sigfd,
		      &(struct epoll_event){.events = EPOLLIN, .data.ptr = NULL}) < 0) {
		perror("epoll_ctl");
		goto out;
	}

	/* Nothing pending right after the adds: done at once, without a wake-up. */
	if (sb_waiter_is_done(waiter) && sb_waiter_dispatch(waiter) < 0)
		goto report;
	while (!loop.done) {
		struct epoll_event events[4];
		int n = epoll_wait(epfd, events, 4, -1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			perror("epoll_wait");
			goto out;
		}
		for (int i = 0; i < n; i++) {
			if (!events[i].data.ptr) {
				fprintf(stderr, "interrupted while waiting\n");
				goto out;
			}
			/* Never blocks: collects what signalled, calls fences_done at the end. */
			if (sb_waiter_dispatch(waiter) < 0)
				goto report;
		}
	}
report:
	if (loop.done && loop.status == 0) {
		printf("all fences signalled\n");
		ret = 0;
	} else {
		fprintf(stderr, "wait failed: %s\n", strerror(loop.done ? -loop.status : errno));
	}
out:
	if (epfd >= 0)
		close(epfd);
	if (sigfd >= 0)
		close(sigfd);
	sb_waiter_destroy(waiter);
	sb_syncobj_destroy(syncobj);
	return ret;
}
