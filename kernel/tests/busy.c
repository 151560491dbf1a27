// SPDX-License-Identifier: MIT
/*
 * Busy pages in the guest's CMA area, for the fail-fast test and the benchmark: a FUSE file
 * system served by a thread of the calling process, whose READ replies it holds back (the page
 * cache pages being read stay locked meanwhile), and anonymous memory that pushes movable
 * allocations into the CMA area.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include <linux/fuse.h>

#include "busy.h"
#include "kheap.h"

#define PAGE 4096u

static void fuse_reply(int fd, uint64_t unique, int error, const void *data, size_t len)
{
	struct fuse_out_header out = {
		.len = (uint32_t)(sizeof(out) + len), .error = -error, .unique = unique};
	struct iovec iov[2] = {{&out, sizeof(out)}, {(void *)data, len}};

	if (writev(fd, iov, len ? 2 : 1) < 0 && errno != ENOENT)
		perror("sb_fuse: reply");
}

static void fuse_fill_attr(uint64_t node, struct fuse_attr *attr)
{
	*attr = (struct fuse_attr){.ino = node, .nlink = 1, .blksize = PAGE};
	if (node == FUSE_ROOT_ID) {
		attr->mode = S_IFDIR | 0755;
	} else {
		attr->mode = S_IFREG | 0444;
		attr->size = SB_FUSE_FILE_SIZE;
		attr->blocks = SB_FUSE_FILE_SIZE / 512;
	}
}

static void fuse_handle(struct sb_fuse_server *s, const struct fuse_in_header *in, const char *body)
{
	switch (in->opcode) {
	case FUSE_INIT: {
		struct fuse_init_out out = {
			.major = FUSE_KERNEL_VERSION, .minor = 31, .max_readahead = 128 * 1024,
			.max_background = 16, .congestion_threshold = 12, .max_write = 128 * 1024};

		fuse_reply(s->fd, in->unique, 0, &out, sizeof(out));
		break;
	}
	case FUSE_LOOKUP: {
		struct fuse_entry_out out = {.nodeid = 2, .generation = 1, .entry_valid = 3600,
					     .attr_valid = 3600};

		if (in->nodeid != FUSE_ROOT_ID || strcmp(body, "data") != 0) {
			fuse_reply(s->fd, in->unique, ENOENT, NULL, 0);
			break;
		}
		fuse_fill_attr(2, &out.attr);
		fuse_reply(s->fd, in->unique, 0, &out, sizeof(out));
		break;
	}
	case FUSE_GETATTR: {
		struct fuse_attr_out out = {.attr_valid = 3600};

		fuse_fill_attr(in->nodeid, &out.attr);
		fuse_reply(s->fd, in->unique, 0, &out, sizeof(out));
		break;
	}
	case FUSE_OPEN:
	case FUSE_OPENDIR: {
		struct fuse_open_out out = {.fh = 1};

		fuse_reply(s->fd, in->unique, 0, &out, sizeof(out));
		break;
	}
	case FUSE_READ: {
		const struct fuse_read_in *rd = (const void *)body;
		static char data[256 * 1024];
		uint32_t size = rd->size < sizeof(data) ? rd->size : sizeof(data);
		bool hold;

		pthread_mutex_lock(&s->lock);
		hold = s->hold_all || !s->hold_start_ns;
		if (hold) {
			s->hold_start_ns = sb_now_ns();
			s->held++;
		}
		pthread_mutex_unlock(&s->lock);
		if (hold) {
			struct timespec ts = {(time_t)(s->hold_ns / 1000000000),
					      (long)(s->hold_ns % 1000000000)};

			nanosleep(&ts, NULL);
		}
		memset(data, 0x5a, size);
		if (rd->offset >= SB_FUSE_FILE_SIZE)
			size = 0;
		fuse_reply(s->fd, in->unique, 0, data, size);
		break;
	}
	case FUSE_FORGET:
	case FUSE_BATCH_FORGET:
	case FUSE_INTERRUPT:
		break; /* no reply */
	case FUSE_FLUSH:
	case FUSE_RELEASE:
	case FUSE_RELEASEDIR:
	case FUSE_DESTROY:
		fuse_reply(s->fd, in->unique, 0, NULL, 0);
		break;
	default:
		fuse_reply(s->fd, in->unique, ENOSYS, NULL, 0);
		break;
	}
}

static void *fuse_serve(void *arg)
{
	struct sb_fuse_server *s = arg;
	size_t size = FUSE_MIN_READ_BUFFER + 1024 * 1024;
	char *buf = malloc(size);

	while (buf) {
		ssize_t n = read(s->fd, buf, size);

		if (n < 0 && (errno == EINTR || errno == EAGAIN || errno == ENOENT))
			continue;
		if (n < (ssize_t)sizeof(struct fuse_in_header))
			break; /* ENODEV: unmounted */
		fuse_handle(s, (const void *)buf, buf + sizeof(struct fuse_in_header));
	}
	free(buf);
	return NULL;
}

bool sb_fuse_start(struct sb_fuse_server *s, uint64_t hold_ns, bool hold_all)
{
	const char *tmp = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	char opts[128];

	*s = (struct sb_fuse_server){.fd = -1, .hold_ns = hold_ns, .hold_all = hold_all};
	pthread_mutex_init(&s->lock, NULL);
	snprintf(s->dir, sizeof(s->dir), "%s/sb-fuse-busy", tmp);
	mkdir(s->dir, 0755);
	snprintf(s->path, sizeof(s->path), "%s/data", s->dir);
	s->fd = open("/dev/fuse", O_RDWR | O_CLOEXEC);
	if (s->fd < 0)
		return false;
	snprintf(opts, sizeof(opts), "fd=%d,rootmode=40000,user_id=0,group_id=0", s->fd);
	if (mount("sbfusebusy", s->dir, "fuse", MS_NOSUID | MS_NODEV, opts) != 0) {
		close(s->fd);
		return false;
	}
	if (pthread_create(&s->thread, NULL, fuse_serve, s) != 0) {
		umount2(s->dir, MNT_DETACH);
		close(s->fd);
		return false;
	}
	return true;
}

void sb_fuse_stop(struct sb_fuse_server *s)
{
	umount2(s->dir, MNT_DETACH);
	pthread_join(s->thread, NULL);
	close(s->fd);
	rmdir(s->dir);
}

/*
 * Anonymous memory, 8 MiB at a time, until free normal memory is well below free CMA memory:
 * the page allocator then serves movable allocations (page cache included) from the CMA area
 * first. Stops early rather than getting near OOM.
 */
int sb_eat_normal_memory(void **chunks, int max, long floor_kb)
{
	int n = 0;

	while (n < max) {
		long free_kb = sb_proc_kb("/proc/meminfo", "MemFree");
		long cma_kb = sb_proc_kb("/proc/meminfo", "CmaFree");
		void *p;

		if (free_kb < floor_kb || 2 * (free_kb - cma_kb) < cma_kb)
			break;
		p = mmap(NULL, SB_EAT_STEP, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
		if (p == MAP_FAILED)
			break;
		chunks[n++] = p;
	}
	return n;
}


int sb_pin_normal_memory(int *pipes, int max, long normal_floor_kb)
{
	static char data[SB_PIPE_BYTES];
	int n = 0;

	memset(data, 0x3c, sizeof(data));
	while (n < max) {
		long free_kb = sb_proc_kb("/proc/meminfo", "MemFree");
		long cma_kb = sb_proc_kb("/proc/meminfo", "CmaFree");
		int fds[2];

		if (free_kb - cma_kb < normal_floor_kb)
			break;
		if (pipe2(fds, O_CLOEXEC | O_NONBLOCK) != 0)
			break;
		if (fcntl(fds[1], F_SETPIPE_SZ, SB_PIPE_BYTES) < SB_PIPE_BYTES ||
		    write(fds[1], data, sizeof(data)) != (ssize_t)sizeof(data)) {
			close(fds[0]);
			close(fds[1]);
			break;
		}
		pipes[2 * n] = fds[0];
		pipes[2 * n + 1] = fds[1];
		n++;
	}
	return n;
}
