// SPDX-License-Identifier: MIT
/*
 * The test control socket (compositor/test_control.c) against bad input: whatever a harness
 * sends, syncbridge answers with an error and keeps running. usage: control_test SYNCBRIDGE
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <wayland-client.h>

#include "tap.h"
#include "test_control.h"

static const char *syncbridge_path;
static char runtime_dir[] = "/tmp/sb-control-test.XXXXXX";

struct compositor {
	pid_t pid;
	int control; /* our end of the control socketpair, -1 when closed */
};

static int reply(int fd, uint32_t *value)
{
	struct pollfd pfd = {.fd = fd, .events = POLLIN};
	struct sb_test_control_reply r;

	if (poll(&pfd, 1, 20000) != 1 || recv(fd, &r, sizeof(r), 0) != sizeof(r))
		return -ETIMEDOUT;
	if (value)
		*value = r.value;
	return r.status;
}

/* Sends len bytes of req (with fd in SCM_RIGHTS unless -1) and returns the reply's status. */
static int send_raw(struct compositor *c, const void *req, size_t len, int fd, uint32_t *value)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} cmsg = {0};
	struct iovec iov = {.iov_base = (void *)req, .iov_len = len};
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};

	if (fd >= 0) {
		struct cmsghdr *h;

		msg.msg_control = cmsg.buf;
		msg.msg_controllen = sizeof(cmsg.buf);
		h = CMSG_FIRSTHDR(&msg);
		h->cmsg_level = SOL_SOCKET;
		h->cmsg_type = SCM_RIGHTS;
		h->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(h), &fd, sizeof(int));
	}
	if (sendmsg(c->control, &msg, MSG_NOSIGNAL) != (ssize_t)len)
		return -errno;
	return reply(c->control, value);
}

static int send_request(struct compositor *c, uint32_t op, uint32_t client, uint32_t object)
{
	struct sb_test_control_request req = {.op = op, .client = client, .object = object};

	return send_raw(c, &req, sizeof(req), -1, NULL);
}

/* A request whose argument is x, a plain integer. */
static int send_x(struct compositor *c, uint32_t op, int32_t x)
{
	struct sb_test_control_request req = {.op = op, .x = x};

	return send_raw(c, &req, sizeof(req), -1, NULL);
}

static bool compositor_start(struct sb_test_ctx *t, struct compositor *c)
{
	int sv[2];
	char env[64];

	if (!expect(t, socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == 0))
		return false;
	snprintf(env, sizeof(env), "%d", sv[1]);
	c->pid = fork();
	if (c->pid == 0) {
		int null = open("/dev/null", O_WRONLY);

		fcntl(sv[1], F_SETFD, 0);
		dup2(null, STDERR_FILENO);
		setenv(SB_TEST_CONTROL_ENV, env, 1);
		execl(syncbridge_path, syncbridge_path, "--config", "/dev/null", "--backend",
		      "headless", "--renderer", "pixman", (char *)NULL);
		_exit(127);
	}
	close(sv[1]);
	c->control = sv[0];
	/* The first datagram is READY, once the Wayland socket exists. */
	return expect(t, c->pid > 0) && expect(t, reply(c->control, NULL) == 0);
}

/* Stops the compositor; true if it exited by itself with status 0 after SIGTERM. */
static bool compositor_stop(struct compositor *c)
{
	int status = 0;

	if (c->control >= 0)
		close(c->control);
	c->control = -1;
	if (c->pid <= 0)
		return false;
	kill(c->pid, SIGTERM);
	waitpid(c->pid, &status, 0);
	c->pid = 0;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

/* A wayland-client connection on a socketpair the compositor adopted as a client. */
static struct wl_display *connect_client(struct sb_test_ctx *t, struct compositor *c, uint32_t *id)
{
	struct sb_test_control_request req = {.op = SB_TEST_CONTROL_NEW_CLIENT};
	struct wl_display *display;
	int sv[2];

	if (!expect(t, socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0))
		return NULL;
	expect(t, send_raw(c, &req, sizeof(req), sv[1], id) == 0);
	close(sv[1]);
	/* Takes sv[0] even when it fails. */
	display = wl_display_connect_to_fd(sv[0]);
	expect(t, display != NULL);
	return display;
}

static void registry_global(void *data, struct wl_registry *registry, uint32_t name,
			    const char *interface, uint32_t version)
{
	struct wl_compositor **compositor = data;

	if (strcmp(interface, wl_compositor_interface.name) == 0)
		*compositor = wl_registry_bind(registry, name, &wl_compositor_interface, 4);
}

static void registry_global_remove(void *data, struct wl_registry *registry, uint32_t name)
{
}

static const struct wl_registry_listener registry_listener = {
	.global = registry_global,
	.global_remove = registry_global_remove,
};

static void position_rejects_unknown_clients_and_objects(struct sb_test_ctx *t)
{
	struct compositor c = {.control = -1};
	struct wl_compositor *compositor = NULL;
	struct wl_registry *registry;
	struct wl_surface *surface;
	struct wl_display *display;
	uint32_t id = 0;

	if (!compositor_start(t, &c) || !(display = connect_client(t, &c, &id))) {
		compositor_stop(&c);
		return;
	}
	registry = wl_display_get_registry(display);
	wl_registry_add_listener(registry, &registry_listener, &compositor);
	wl_display_roundtrip(display);
	expect(t, compositor != NULL);
	surface = compositor ? wl_compositor_create_surface(compositor) : NULL;
	wl_display_roundtrip(display);

	expect(t, send_request(&c, SB_TEST_CONTROL_POSITION_SURFACE, id + 100, 3) == -ESRCH);
	expect(t, send_request(&c, SB_TEST_CONTROL_POSITION_SURFACE, id, 9999) == -ENOENT);
	/* The registry is an object of the client's, but no wl_surface. */
	expect(t, send_request(&c, SB_TEST_CONTROL_POSITION_SURFACE, id,
			       wl_proxy_get_id((struct wl_proxy *)registry)) == -ENOENT);
	/* A wl_surface without the xdg_toplevel role is no window to place. */
	if (surface)
		expect(t, send_request(&c, SB_TEST_CONTROL_POSITION_SURFACE, id,
				       wl_proxy_get_id((struct wl_proxy *)surface)) == -EINVAL);
	/* The client was not disconnected by any of this. */
	expect(t, wl_display_roundtrip(display) >= 0);

	if (surface)
		wl_surface_destroy(surface);
	if (compositor)
		wl_compositor_destroy(compositor);
	wl_registry_destroy(registry);
	wl_display_disconnect(display);
	expect(t, compositor_stop(&c));
}

static void malformed_requests_get_errors(struct sb_test_ctx *t)
{
	struct compositor c = {.control = -1};
	struct sb_test_control_request req = {.op = SB_TEST_CONTROL_POSITION_SURFACE};
	int fds_before, pipefd[2];

	if (!compositor_start(t, &c)) {
		compositor_stop(&c);
		return;
	}
	expect(t, send_raw(&c, &req, sizeof(req) - 1, -1, NULL) == -EPROTO);
	expect(t, send_request(&c, 1000, 0, 0) == -EOPNOTSUPP);
	expect(t, send_request(&c, SB_TEST_CONTROL_NEW_CLIENT, 0, 0) == -EBADF);
	/* An fd that comes with any other request is closed, not kept. */
	fds_before = sb_count_fds_of(c.pid);
	if (expect(t, pipe2(pipefd, O_CLOEXEC) == 0)) {
		req.op = SB_TEST_CONTROL_POINTER_BUTTON;
		expect(t, send_raw(&c, &req, sizeof(req), pipefd[0], NULL) == 0);
		close(pipefd[0]);
		close(pipefd[1]);
	}
	expect(t, sb_count_fds_of(c.pid) == fds_before);
	/* Input with no window anywhere goes to no one, without error. */
	expect(t, send_request(&c, SB_TEST_CONTROL_TOUCH_UP, 7, 0) == 0);
	expect(t, send_request(&c, SB_TEST_CONTROL_TOUCH_DOWN, 7, 0) == 0);
	expect(t, send_request(&c, SB_TEST_CONTROL_POINTER_MOTION_ABSOLUTE, 0, 0) == 0);
	expect(t, compositor_stop(&c));
}

static void vanished_client_is_unknown(struct sb_test_ctx *t)
{
	struct compositor c = {.control = -1};
	struct wl_display *display;
	uint32_t id = 0;

	if (!compositor_start(t, &c) || !(display = connect_client(t, &c, &id))) {
		compositor_stop(&c);
		return;
	}
	wl_display_roundtrip(display);
	wl_display_disconnect(display);
	/* The hang-up reaches the compositor some time after: ask until it is seen. */
	for (int i = 0; i < 200; i++) {
		if (send_request(&c, SB_TEST_CONTROL_POSITION_SURFACE, id, 3) == -ESRCH)
			break;
		nanosleep(&(struct timespec){.tv_nsec = 10 * 1000 * 1000}, NULL);
	}
	expect(t, send_request(&c, SB_TEST_CONTROL_POSITION_SURFACE, id, 3) == -ESRCH);
	expect(t, compositor_stop(&c));
}

static void sync_hooks_take_only_values_in_range(struct sb_test_ctx *t)
{
	struct compositor c = {.control = -1};

	if (!compositor_start(t, &c)) {
		compositor_stop(&c);
		return;
	}
	expect(t, send_x(&c, SB_TEST_CONTROL_SYNC_SKIP_IDLE_CHECK, 2) == -EINVAL);
	expect(t, send_x(&c, SB_TEST_CONTROL_SYNC_SKIP_IDLE_CHECK, -1) == -EINVAL);
	expect(t, send_x(&c, SB_TEST_CONTROL_SYNC_SKIP_IDLE_CHECK, 1) == 0);
	expect(t, send_x(&c, SB_TEST_CONTROL_SYNC_SKIP_IDLE_CHECK, 0) == 0);
	expect(t, send_x(&c, SB_TEST_CONTROL_SYNC_ARM_DELAY, -1) == -EINVAL);
	expect(t, send_x(&c, SB_TEST_CONTROL_SYNC_ARM_DELAY,
			 SB_TEST_CONTROL_SYNC_ARM_DELAY_MAX + 1) == -EINVAL);
	expect(t,
	       send_x(&c, SB_TEST_CONTROL_SYNC_ARM_DELAY, SB_TEST_CONTROL_SYNC_ARM_DELAY_MAX) == 0);
	expect(t, send_x(&c, SB_TEST_CONTROL_SYNC_ARM_DELAY, 0) == 0);
	expect(t, compositor_stop(&c));
}

static void compositor_exits_when_control_socket_closes(struct sb_test_ctx *t)
{
	struct compositor c = {.control = -1};
	int status = -1;
	pid_t ret = 0;

	if (!compositor_start(t, &c)) {
		compositor_stop(&c);
		return;
	}
	close(c.control);
	c.control = -1;
	for (int i = 0; i < 2000 && ret == 0; i++) {
		ret = waitpid(c.pid, &status, WNOHANG);
		if (ret == 0)
			nanosleep(&(struct timespec){.tv_nsec = 10 * 1000 * 1000}, NULL);
	}
	if (expect(t, ret == c.pid)) {
		expect(t, WIFEXITED(status) && WEXITSTATUS(status) == 0);
		c.pid = 0;
	}
	compositor_stop(&c);
}

int main(int argc, char *argv[])
{
	static const struct sb_test tests[] = {
		SB_TEST(position_rejects_unknown_clients_and_objects),
		SB_TEST(malformed_requests_get_errors),
		SB_TEST(vanished_client_is_unknown),
		SB_TEST(sync_hooks_take_only_values_in_range),
		SB_TEST(compositor_exits_when_control_socket_closes),
	};
	int ret;

	if (argc != 2) {
		sb_diag("usage: %s SYNCBRIDGE", argv[0]);
		return 2;
	}
	syncbridge_path = argv[1];
	/* The compositors' Wayland sockets go in a directory of our own, removed at the end. */
	if (!mkdtemp(runtime_dir)) {
		sb_diag("mkdtemp: %s", strerror(errno));
		return 1;
	}
	setenv("XDG_RUNTIME_DIR", runtime_dir, 1);
	unsetenv("WAYLAND_DISPLAY");
	unsetenv("DISPLAY");
	ret = sb_test_main(tests, sizeof(tests) / sizeof(tests[0]));
	rmdir(runtime_dir);
	return ret;
}
