// SPDX-License-Identifier: MIT
/*
 * A program from outside the tree: built with nothing but `pkg-config syncbridge` against an
 * installed libsyncbridge (tests/install/out_of_tree_test.sh), it checks that the installed
 * headers, .pc file and shared library are enough and are the ones it runs with. TAP output.
 *
 *   consumer LIBDIR EXAMPLE            host: the API over pipes and eventfds (no dma-buf here)
 *   consumer LIBDIR EXAMPLE --guest    also: the worked example on real fences (sw_sync, a vgem
 *                                      dma-buf, a virtio-gpu syncobj point), in the project's VM
 *
 * LIBDIR is where the library must have been loaded from; EXAMPLE the installed example program.
 */
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <libdrm/drm.h> /* the DRM uapi as libdrm-dev installs it (a dependency of the -dev package) */

#include <syncbridge/dmabuf.h>
#include <syncbridge/log.h>
#include <syncbridge/sync_file.h>
#include <syncbridge/syncobj.h>
#include <syncbridge/waiter.h>

static int test_count, failures;
static const char *lib_dir, *example;

static void report(bool ok, const char *name, const char *why)
{
	test_count++;
	if (!ok)
		failures++;
	printf("%sok %d - %s%s%s\n", ok ? "" : "not ", test_count, name, why ? " # " : "",
	       why ? why : "");
	fflush(stdout);
}

static int count_fds(void)
{
	DIR *dir = opendir("/proc/self/fd");
	int n = 0;

	if (!dir)
		return -1;
	while (readdir(dir))
		n++;
	closedir(dir);
	return n;
}

static bool fd_is_closed(int fd)
{
	return fcntl(fd, F_GETFD) < 0 && errno == EBADF;
}

static void library_comes_from_the_installed_prefix(void)
{
	Dl_info info;
	char real_lib[4096], real_dir[4096];
	bool ok = dladdr((void *)sb_waiter_create, &info) && info.dli_fname &&
		  realpath(info.dli_fname, real_lib) && realpath(lib_dir, real_dir) &&
		  strncmp(real_lib, real_dir, strlen(real_dir)) == 0 &&
		  strstr(real_lib, "libsyncbridge.so.0");

	if (!ok)
		fprintf(stderr, "# loaded from %s, expected under %s\n",
			info.dli_fname ? info.dli_fname : "?", lib_dir);
	report(ok, "library_comes_from_the_installed_prefix", NULL);
}

static void test_hooks_are_not_exported(void)
{
	bool ok = dlsym(RTLD_DEFAULT, "sb_waiter_create") &&
		  !dlsym(RTLD_DEFAULT, "sb_test_fail_after") &&
		  !dlsym(RTLD_DEFAULT, "sb_test_fault_site_count") &&
		  !dlsym(RTLD_DEFAULT, "sb_fault_fires") && !dlsym(RTLD_DEFAULT, "sb_log_");

	report(ok, "test_hooks_are_not_exported", NULL);
}

static int logged;
static void count_log(enum sb_log_importance importance, const char *fmt, va_list args)
{
	logged++;
}

static void sync_file_import_rejects_a_pipe_and_closes_it(void)
{
	int p[2];
	bool ok = pipe2(p, O_CLOEXEC) == 0;

	sb_log_init(SB_DEBUG, count_log);
	errno = 0;
	ok = ok && !sb_sync_file_import(p[0]) && errno == EINVAL && fd_is_closed(p[0]);
	ok = ok && logged > 0; /* the log callback set through the installed API was called */
	sb_log_init(SB_ERROR, NULL);
	close(p[1]);
	report(ok, "sync_file_import_rejects_a_pipe_and_closes_it", NULL);
}

static void dmabuf_check_tells_an_eventfd_from_a_dmabuf(void)
{
	int efd = eventfd(0, EFD_CLOEXEC);
	bool ok = efd >= 0 && sb_dmabuf_check(efd) == 0;

	errno = 0;
	ok = ok && sb_dmabuf_check(-1) == -1 && errno == EBADF;
	close(efd);
	report(ok, "dmabuf_check_tells_an_eventfd_from_a_dmabuf", NULL);
}

static int done_calls, done_status = 1;
static void count_done(struct sb_waiter *waiter, int status, void *data)
{
	done_calls++;
	done_status = status;
}

static void waiter_rejects_non_fences_and_is_done_with_none(void)
{
	struct sb_waiter *waiter = sb_waiter_create(count_done, NULL);
	int efd = eventfd(0, EFD_CLOEXEC);
	bool ok = waiter && efd >= 0;

	errno = 0;
	ok = ok && sb_waiter_add_dmabuf(waiter, efd, SB_ACCESS_READ, 0) == -1 && errno == EINVAL;
	ok = ok && sb_waiter_pending(waiter) == 0 && sb_waiter_is_done(waiter);
	ok = ok && sb_waiter_dispatch(waiter) == 1 && done_calls == 1 && done_status == 0;
	sb_waiter_destroy(waiter);
	close(efd);
	report(ok, "waiter_rejects_non_fences_and_is_done_with_none", NULL);
}

/* Runs the example with argv; returns its pid, its stdout as *out_fd (non-blocking). */
static pid_t spawn_example(char *const argv[], int *out_fd)
{
	int p[2];
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) < 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		dup2(p[1], STDOUT_FILENO);
		execv(argv[0], argv);
		_exit(127);
	}
	close(p[1]);
	fcntl(p[0], F_SETFL, O_NONBLOCK);
	*out_fd = p[0];
	return pid;
}

/* Appends what the child printed so far to buf. */
static void read_output(int fd, char *buf, size_t size)
{
	size_t len = strlen(buf);
	ssize_t n;

	while (len + 1 < size && (n = read(fd, buf + len, size - 1 - len)) > 0)
		len += n;
	buf[len] = '\0';
}

/* Waits up to timeout_ms for the child; its exit status, or -1 if it is still running. */
static int wait_child(pid_t pid, int timeout_ms)
{
	int status;

	for (int waited = 0; waited <= timeout_ms; waited += 10) {
		if (waitpid(pid, &status, WNOHANG) == pid)
			return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
		usleep(10000);
	}
	return -1;
}

static void example_refuses_a_pipe_as_sync_file(void)
{
	int p[2], out = -1;
	char arg[16], buf[256] = "";
	bool ok = pipe2(p, 0) == 0; /* inherited by the example */

	snprintf(arg, sizeof(arg), "%d", p[0]);
	char *argv[] = {(char *)example, "--sync-file", arg, NULL};
	pid_t pid = ok ? spawn_example(argv, &out) : -1;
	ok = pid > 0 && wait_child(pid, 10000) == 1;
	if (out >= 0) {
		read_output(out, buf, sizeof(buf));
		close(out);
	}
	ok = ok && !strstr(buf, "signalled");
	close(p[0]);
	close(p[1]);
	report(ok, "example_refuses_a_pipe_as_sync_file", NULL);
}

/* -- real fences, in the guest -- */

struct sw_sync_create_fence_data {
	uint32_t value;
	char name[32];
	int32_t fence;
};
#define SW_SYNC_IOC_CREATE_FENCE _IOWR('W', 0, struct sw_sync_create_fence_data)
#define SW_SYNC_IOC_INC _IOW('W', 1, uint32_t)

struct drm_vgem_fence_attach {
	uint32_t handle;
	uint32_t flags;
	uint32_t out_fence;
	uint32_t pad;
};
struct drm_vgem_fence_signal {
	uint32_t fence;
	uint32_t flags;
};
#define VGEM_FENCE_WRITE 0x1
#define DRM_IOCTL_VGEM_FENCE_ATTACH DRM_IOWR(DRM_COMMAND_BASE + 0x1, struct drm_vgem_fence_attach)
#define DRM_IOCTL_VGEM_FENCE_SIGNAL DRM_IOW(DRM_COMMAND_BASE + 0x2, struct drm_vgem_fence_signal)

/* A /dev/dri/card* node whose driver is name (never by number), or -1. */
static int open_card(const char *name)
{
	char path[64], driver[32];

	for (int i = 0; i < 16; i++) {
		snprintf(path, sizeof(path), "/dev/dri/card%d", i);
		int fd = open(path, O_RDWR | O_CLOEXEC);
		if (fd < 0)
			continue;
		struct drm_version v = {.name = driver, .name_len = sizeof(driver) - 1};
		memset(driver, 0, sizeof(driver));
		if (ioctl(fd, DRM_IOCTL_VERSION, &v) == 0 && strcmp(driver, name) == 0)
			return fd;
		close(fd);
	}
	return -1;
}

struct real_fences {
	int timeline, sync_file; /* sw_sync */
	int vgem, dmabuf;	 /* vgem dumb buffer with a pending write fence */
	uint32_t vgem_fence;
	int gpu; /* virtio_gpu, for the syncobj */
	struct sb_syncobj *syncobj;
	int syncobj_fd;
};

static const char *make_real_fences(struct real_fences *f)
{
	struct sw_sync_create_fence_data create = {.value = 1, .name = "consumer"};
	struct drm_mode_create_dumb dumb = {.width = 64, .height = 64, .bpp = 32};
	struct drm_prime_handle prime = {.flags = DRM_CLOEXEC | DRM_RDWR};
	struct drm_vgem_fence_attach attach = {.flags = VGEM_FENCE_WRITE};

	f->timeline = open("/sys/kernel/debug/sync/sw_sync", O_RDWR | O_CLOEXEC);
	if (f->timeline < 0 || ioctl(f->timeline, SW_SYNC_IOC_CREATE_FENCE, &create) < 0)
		return "sw_sync fence";
	f->sync_file = create.fence;
	f->vgem = open_card("vgem");
	if (f->vgem < 0 || ioctl(f->vgem, DRM_IOCTL_MODE_CREATE_DUMB, &dumb) < 0)
		return "vgem dumb buffer";
	prime.handle = dumb.handle;
	attach.handle = dumb.handle;
	if (ioctl(f->vgem, DRM_IOCTL_PRIME_HANDLE_TO_FD, &prime) < 0 ||
	    ioctl(f->vgem, DRM_IOCTL_VGEM_FENCE_ATTACH, &attach) < 0)
		return "vgem dma-buf with a write fence";
	f->dmabuf = prime.fd;
	f->vgem_fence = attach.out_fence;
	f->gpu = open_card("virtio_gpu");
	f->syncobj = f->gpu >= 0 ? sb_syncobj_create(f->gpu) : NULL;
	f->syncobj_fd = f->syncobj ? sb_syncobj_export(f->syncobj) : -1;
	if (f->syncobj_fd < 0)
		return "virtio_gpu syncobj";
	return NULL;
}

/* Not signalled yet after 300 ms: the example is still waiting (and said what it waits on). */
static bool still_waiting(pid_t pid, int out, char *buf, size_t size)
{
	bool running = wait_child(pid, 300) == -1;

	read_output(out, buf, size);
	return running && strstr(buf, "waiting on 3 fence(s)") && !strstr(buf, "signalled");
}

static void example_waits_for_all_three_real_fences(void)
{
	struct real_fences f = {-1, -1, -1, -1, 0, -1, NULL, -1};
	const char *missing = make_real_fences(&f);
	char dmabuf_arg[16], sync_arg[16], syncobj_arg[48], buf[512] = "";
	int out = -1;
	uint32_t one = 1;
	pid_t pid = -1;
	bool ok = !missing;

	if (ok) {
		/* The example inherits duplicates without close-on-exec. */
		snprintf(dmabuf_arg, sizeof(dmabuf_arg), "%d", dup(f.dmabuf));
		snprintf(sync_arg, sizeof(sync_arg), "%d", dup(f.sync_file));
		snprintf(syncobj_arg, sizeof(syncobj_arg), "%d:%d:%d", dup(f.gpu),
			 dup(f.syncobj_fd), 1);
		char *argv[] = {(char *)example, "--dmabuf",  dmabuf_arg,  "--sync-file",
				sync_arg,	 "--syncobj", syncobj_arg, NULL};
		pid = spawn_example(argv, &out);
		int a, b, c, d;
		sscanf(syncobj_arg, "%d:%d", &c, &d);
		a = atoi(dmabuf_arg);
		b = atoi(sync_arg);
		close(a);
		close(b);
		close(c);
		close(d);
		ok = pid > 0;
	} else {
		fprintf(stderr, "# no %s in this guest\n", missing);
	}

	/* Each fence in turn: the example may finish only after the last. */
	ok = ok && still_waiting(pid, out, buf, sizeof(buf));
	report(ok, "example_waits_while_all_three_are_pending", NULL);
	ok = ok && ioctl(f.timeline, SW_SYNC_IOC_INC, &one) == 0;
	ok = ok && still_waiting(pid, out, buf, sizeof(buf));
	report(ok, "example_still_waits_after_the_sync_file_signals", NULL);
	struct drm_vgem_fence_signal signal = {.fence = f.vgem_fence};
	ok = ok && ioctl(f.vgem, DRM_IOCTL_VGEM_FENCE_SIGNAL, &signal) == 0;
	ok = ok && still_waiting(pid, out, buf, sizeof(buf));
	report(ok, "example_still_waits_after_the_dmabuf_fence_signals", NULL);
	ok = ok && sb_syncobj_signal_point(f.syncobj, 1) == 0;
	ok = ok && wait_child(pid, 20000) == 0;
	pid = ok ? -1 : pid;
	if (out >= 0)
		read_output(out, buf, sizeof(buf));
	ok = ok && strstr(buf, "dma-buf") && strstr(buf, "snapshot") &&
	     strstr(buf, "all fences signalled");
	if (!ok)
		fprintf(stderr, "# example said: %s\n", buf);
	report(ok, "example_finishes_when_the_syncobj_point_signals", NULL);

	if (pid > 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
	if (out >= 0)
		close(out);
	if (f.syncobj_fd >= 0)
		close(f.syncobj_fd);
	sb_syncobj_destroy(f.syncobj);
	int fds[] = {f.timeline, f.sync_file, f.dmabuf, f.vgem, f.gpu};
	for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++)
		if (fds[i] >= 0)
			close(fds[i]);
}

int main(int argc, char *argv[])
{
	if (argc < 3) {
		fprintf(stderr, "usage: %s LIBDIR EXAMPLE [--guest]\n", argv[0]);
		return 2;
	}
	lib_dir = argv[1];
	example = argv[2];
	bool guest = argc > 3 && strcmp(argv[3], "--guest") == 0;
	int fds = count_fds();

	printf("1..%d\n", guest ? 11 : 7);
	library_comes_from_the_installed_prefix();
	test_hooks_are_not_exported();
	sync_file_import_rejects_a_pipe_and_closes_it();
	dmabuf_check_tells_an_eventfd_from_a_dmabuf();
	waiter_rejects_non_fences_and_is_done_with_none();
	example_refuses_a_pipe_as_sync_file();
	if (guest)
		example_waits_for_all_three_real_fences();
	report(count_fds() == fds, "no_fd_left_open", NULL);
	return failures ? 1 : 0;
}
