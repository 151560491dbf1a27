// SPDX-License-Identifier: MIT
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <png.h>

#include <syncbridge/sync_file.h>

#include "kdev.h"
#include "tap.h"
#include "tc_buffer.h"
#include "tc_client.h"
#include "tc_surface.h"
#include "test_control.h"
#include "wl_client.h"

/* The next datagram on the control socket: its status, -ETIMEDOUT if none in timeout_ms. */
static int control_reply(struct sb_compositor *comp, int timeout_ms)
{
	struct pollfd pfd = {.fd = comp->control, .events = POLLIN};
	struct sb_test_control_reply reply;

	if (poll(&pfd, 1, timeout_ms) != 1 ||
	    recv(comp->control, &reply, sizeof(reply), MSG_DONTWAIT) != sizeof(reply))
		return -ETIMEDOUT;
	return reply.status;
}

static void control_close(struct sb_compositor *comp)
{
	if (comp->control >= 0)
		close(comp->control);
	comp->control = -1;
}

int sb_compositor_control(struct sb_compositor *comp, uint32_t op, int32_t x)
{
	struct sb_test_control_request req = {.op = op, .x = x};

	if (comp->control < 0)
		return -EBADF;
	if (send(comp->control, &req, sizeof(req), MSG_NOSIGNAL) != sizeof(req))
		return -errno;
	return control_reply(comp, 10000);
}

static bool compositor_start(struct sb_compositor *comp, const char *syncbridge,
			     const char *const *extra, bool controlled)
{
	static int serial;
	const char *tmp = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	const char *argv[32] = {syncbridge, "--backend", "headless", "--renderer", "pixman"};
	char path[400];
	int argc = 5;
	uint64_t deadline;
	int sv[2] = {-1, -1};

	comp->control = -1;
	if (controlled && socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return false;
	comp->control = sv[0];
	snprintf(comp->runtime_dir, sizeof(comp->runtime_dir), "%s/sb-gate-%d-%d", tmp, getpid(),
		 serial++);
	if (mkdir(comp->runtime_dir, 0700) < 0 && errno != EEXIST)
		goto err_socket;
	snprintf(comp->socket, sizeof(comp->socket), "sb-test");
	snprintf(comp->shot, sizeof(comp->shot), "%s/shot.png", comp->runtime_dir);
	argv[argc++] = "--socket";
	argv[argc++] = comp->socket;
	argv[argc++] = "--screenshot";
	argv[argc++] = comp->shot;
	for (int i = 0; extra && extra[i] && argc < 31; i++)
		argv[argc++] = extra[i];
	argv[argc] = NULL;
	comp->pid = fork();
	if (comp->pid < 0)
		goto err_socket;
	if (comp->pid == 0) {
		char fd[16];

		if (controlled) {
			/* The compositor's end, inherited: test_control.c sets O_CLOEXEC again. */
			snprintf(fd, sizeof(fd), "%d", sv[1]);
			fcntl(sv[1], F_SETFD, 0);
			setenv(SB_TEST_CONTROL_ENV, fd, 1);
		}
		setenv("XDG_RUNTIME_DIR", comp->runtime_dir, 1);
		setenv("XDG_CONFIG_HOME", comp->runtime_dir, 1);
		unsetenv("WAYLAND_DISPLAY");
		unsetenv("DISPLAY");
		execv(syncbridge, (char *const *)argv);
		_exit(127);
	}
	if (controlled) {
		close(sv[1]);
		/* READY: the Wayland socket and the outputs exist. */
		return control_reply(comp, 60000) == SB_TEST_CONTROL_READY;
	}
	/* Ready when its socket exists. Generous: an ASan build in an emulated CPU on a loaded host. */
	snprintf(path, sizeof(path), "%s/%s", comp->runtime_dir, comp->socket);
	deadline = tc_now_ms() + 60000;
	while (access(path, F_OK) != 0) {
		if (tc_now_ms() > deadline || !sb_compositor_alive(comp))
			return false;
		usleep(10000);
	}
	return true;

err_socket:
	if (controlled) {
		close(sv[0]);
		close(sv[1]);
		comp->control = -1;
	}
	return false;
}

bool sb_compositor_start(struct sb_compositor *comp, const char *syncbridge,
			 const char *const *extra)
{
	return compositor_start(comp, syncbridge, extra, false);
}

bool sb_compositor_start_controlled(struct sb_compositor *comp, const char *syncbridge,
				    const char *const *extra)
{
	return compositor_start(comp, syncbridge, extra, true);
}

bool sb_compositor_alive(const struct sb_compositor *comp)
{
	return comp->pid > 0 && waitpid(comp->pid, NULL, WNOHANG) == 0;
}

int sb_compositor_stop(struct sb_compositor *comp)
{
	/* An ASan exit scans for leaks: seconds under TCG. */
	uint64_t deadline = tc_now_ms() + 60000;
	int status;

	if (comp->pid <= 0)
		return -1;
	kill(comp->pid, SIGTERM);
	while (waitpid(comp->pid, &status, WNOHANG) == 0) {
		if (tc_now_ms() > deadline) {
			kill(comp->pid, SIGKILL);
			waitpid(comp->pid, &status, 0);
			comp->pid = 0;
			control_close(comp);
			return -1;
		}
		usleep(10000);
	}
	comp->pid = 0;
	/* Only now: closing it first would stop the compositor too, and hide how SIGTERM did. */
	control_close(comp);
	unlink(comp->shot);
	{
		char path[400];

		snprintf(path, sizeof(path), "%s/%s.lock", comp->runtime_dir, comp->socket);
		unlink(path);
	}
	rmdir(comp->runtime_dir);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

int sb_compositor_fd_count(const struct sb_compositor *comp)
{
	return sb_count_fds_of(comp->pid);
}

int sb_compositor_fd_count_settle(const struct sb_compositor *comp, int baseline, int ms)
{
	uint64_t end = tc_now_ms() + (uint64_t)ms;
	int now;

	while ((now = sb_compositor_fd_count(comp)) != baseline && tc_now_ms() < end)
		usleep(20000);
	return now;
}

long sb_compositor_pixel(struct sb_compositor *comp, int x, int y)
{
	png_image image = {.version = PNG_IMAGE_VERSION};
	uint64_t deadline = tc_now_ms() + 30000;
	uint8_t *pixels;
	long rgb = -1;

	unlink(comp->shot);
	kill(comp->pid, SIGUSR1);
	/* The compositor renames the finished file into place. */
	while (access(comp->shot, F_OK) != 0) {
		if (tc_now_ms() > deadline)
			return -1;
		usleep(5000);
	}
	if (!png_image_begin_read_from_file(&image, comp->shot))
		return -1;
	image.format = PNG_FORMAT_RGB;
	pixels = malloc(PNG_IMAGE_SIZE(image));
	if (pixels && png_image_finish_read(&image, NULL, pixels, 0, NULL) &&
	    x < (int)image.width && y < (int)image.height) {
		const uint8_t *p = pixels + 3 * ((size_t)y * image.width + (size_t)x);

		rgb = (long)p[0] << 16 | (long)p[1] << 8 | p[2];
	}
	png_image_free(&image);
	free(pixels);
	return rgb;
}

struct tc_client *sb_compositor_connect(const struct sb_compositor *comp, unsigned bind,
					unsigned need)
{
	struct tc_client *client;
	char path[400];

	snprintf(path, sizeof(path), "%s/%s", comp->runtime_dir, comp->socket);
	client = tc_client_connect(path, bind);
	if (client && !tc_client_require(client, need, path)) {
		tc_client_destroy(client);
		return NULL;
	}
	return client;
}

bool sb_dmabuf_add_sw_fence(int dmabuf_fd, int timeline, uint32_t value, enum sb_access access)
{
	struct sb_sync_file *fence = sb_sync_file_import(sb_sw_fence_create(timeline, value));
	bool ok = fence && sb_dmabuf_import_sync_file(dmabuf_fd, fence, access) == 0;

	sb_sync_file_destroy(fence);
	return ok;
}

bool sb_child_start(struct sb_child *child, bool (*hold)(void *data), void *data)
{
	char ok = 0;

	child->pid = -1;
	if (pipe2(child->ready, O_CLOEXEC) < 0) {
		child->ready[0] = child->ready[1] = -1;
		return false;
	}
	child->pid = fork();
	if (child->pid == 0) {
		ok = hold(data);
		if (write(child->ready[1], &ok, 1) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	return child->pid > 0 && read(child->ready[0], &ok, 1) == 1 && ok;
}

void sb_child_kill(struct sb_child *child)
{
	if (child->pid > 0) {
		kill(child->pid, SIGKILL);
		waitpid(child->pid, NULL, 0);
	}
	child->pid = -1;
	for (int i = 0; i < 2; i++) {
		if (child->ready[i] >= 0)
			close(child->ready[i]);
		child->ready[i] = -1;
	}
}

void sb_expect_child_death_frees_fds(struct sb_test_ctx *t, struct sb_compositor *comp,
				     bool (*hold)(void *data), void *data, int min_held,
				     const char *held_while)
{
	struct sb_child child = SB_CHILD_INIT;
	int baseline = sb_compositor_fd_count(comp), held, after;

	expect(t, sb_child_start(&child, hold, data));
	held = sb_compositor_fd_count(comp);
	/* The child dies mid-wait, destroying nothing: the kernel closes its socket. */
	sb_child_kill(&child);
	after = sb_compositor_fd_count_settle(comp, baseline, 5000);
	sb_diag("compositor fds: %d before, %d %s, %d after the client died", baseline, held,
		held_while, after);
	expect(t, held >= baseline + min_held);
	expect(t, after == baseline);
}

bool sb_other_client_start(struct sb_other_client *other, const struct sb_compositor *comp,
			   unsigned bind, int size)
{
	*other = (struct sb_other_client){0};
	other->client = sb_compositor_connect(comp, bind, SB_CLIENT_GLOBALS);
	if (!other->client)
		return false;
	other->window = tc_surface_create(other->client);
	other->green = tc_buffer_create_dmabuf(other->client, size, size, SB_GREEN);
	other->blue = tc_buffer_create_dmabuf(other->client, size, size, SB_BLUE);
	return other->window && other->green && other->blue;
}

void sb_other_client_finish(struct sb_other_client *other)
{
	tc_buffer_destroy(other->green);
	tc_buffer_destroy(other->blue);
	tc_surface_destroy(other->window);
	tc_client_destroy(other->client);
	*other = (struct sb_other_client){0};
}

int sb_other_client_frames(struct sb_other_client *other, int n, int each_ms)
{
	uint64_t start = tc_now_ms();
	int frames = 0;

	for (int i = 0; i < n; i++) {
		bool done = false;

		tc_surface_show(other->window, i % 2 ? other->blue : other->green, &done);
		if (tc_client_wait(other->client, &done, each_ms))
			frames++;
	}
	sb_diag("%d of %d frames, each within %d ms, in %llu ms", frames, n, each_ms,
		(unsigned long long)(tc_now_ms() - start));
	return frames;
}

int sb_other_client_frames_in(struct sb_other_client *other, int ms)
{
	return tc_surface_frames_in(other->window, other->green, ms);
}

void sb_expect_rate_kept(struct sb_test_ctx *t, const char *who, const char *stall, int baseline,
			 int during, int min_baseline)
{
	sb_diag("%s: %d frames/s alone, %d while %s", who, baseline, during, stall);
	expect(t, baseline >= min_baseline);
	expect(t, during * 2 >= baseline);
}

int sb_compositor_test_main(int argc, char *argv[], const char **syncbridge,
			    const struct sb_test *tests, size_t n_tests)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s SYNCBRIDGE\n", argv[0]);
		return 2;
	}
	*syncbridge = argv[1];
	return sb_test_main(tests, n_tests);
}
