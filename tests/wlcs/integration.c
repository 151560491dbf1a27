// SPDX-License-Identifier: MIT
/*
 * The wlcs integration module: wlcs loads it and drives syncbridge through it. syncbridge's
 * wlroots state is global and single-threaded, so instead of running it in wlcs's process each
 * test starts it as a child (headless backend, pixman renderer) and talks to it over the test
 * control socket (compositor/test_control.h): clients, window placement, pointer and touch.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <wayland-client-core.h>
#include <wlcs/display_server.h>
#include <wlcs/pointer.h>
#include <wlcs/touch.h>

#include "test_control.h"

#ifndef SB_SYNCBRIDGE_PATH
#error "SB_SYNCBRIDGE_PATH must name the syncbridge executable"
#endif

/* The compositor's start-up under ASan and a loaded 2-core machine can take seconds. */
#define READY_TIMEOUT_MS 20000
#define REPLY_TIMEOUT_MS 10000
#define STOP_TIMEOUT_MS 10000

extern char **environ;

/* A client socket wlcs holds, and the compositor's id for the client on its other end. */
struct client_entry {
	int fd;
	uint32_t id;
};

struct sb_wlcs_server {
	WlcsDisplayServer base;
	pthread_mutex_t lock; /* one request and its reply at a time on control_fd */
	pid_t pid;
	int control_fd;
	struct client_entry *clients;
	size_t n_clients, cap_clients;
	uint32_t next_touch_id;
};

struct sb_wlcs_pointer {
	WlcsPointer base;
	struct sb_wlcs_server *server;
};

struct sb_wlcs_touch {
	WlcsTouch base;
	struct sb_wlcs_server *server;
	uint32_t id;
};

/* One line on wlcs's stderr; report.py counts the "compositor crashed" ones as failures. */
static void report(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void report(const char *fmt, ...)
{
	va_list args;

	fputs("sb-wlcs: ", stderr);
	va_start(args, fmt);
	vfprintf(stderr, fmt, args);
	va_end(args);
	fputc('\n', stderr);
}

static const WlcsExtensionDescriptor extensions[] = {
	/* Checked with wayland-info against syncbridge --backend headless --renderer pixman. */
	{"wl_compositor", 4},
	{"wl_subcompositor", 1},
	{"wl_shm", 1},
	{"wl_data_device_manager", 3},
	{"wl_seat", 7},
	{"wl_output", 4},
	{"xdg_wm_base", 2},
	{"zxdg_output_manager_v1", 3},
	{"wp_viewporter", 1},
	{"wp_presentation", 1},
	{"zwp_linux_dmabuf_v1", 4},
	{"zwlr_screencopy_manager_v1", 3},
	{"zwp_virtual_keyboard_manager_v1", 1},
	{"zwlr_virtual_pointer_manager_v1", 2},
	{"zwp_linux_explicit_synchronization_v1", 2},
};

static const WlcsIntegrationDescriptor descriptor = {
	.version = 1,
	.num_extensions = sizeof(extensions) / sizeof(extensions[0]),
	.supported_extensions = extensions,
};

static int wait_readable(int fd, int timeout_ms)
{
	struct pollfd pfd = {.fd = fd, .events = POLLIN};
	int ret;

	do {
		ret = poll(&pfd, 1, timeout_ms);
	} while (ret < 0 && errno == EINTR);
	if (ret == 0)
		return -ETIMEDOUT;
	return ret < 0 ? -errno : 0;
}

static int read_reply(int fd, int timeout_ms, uint32_t *value)
{
	struct sb_test_control_reply reply;
	ssize_t n;
	int ret = wait_readable(fd, timeout_ms);

	if (ret < 0)
		return ret;
	n = recv(fd, &reply, sizeof(reply), 0);
	if (n < 0)
		return -errno;
	if (n != sizeof(reply))
		return -EPIPE;
	if (value)
		*value = reply.value;
	return reply.status;
}

/* One request (with send_fd, if not -1, in SCM_RIGHTS) and its reply; a negative errno. */
static int request(struct sb_wlcs_server *server, const struct sb_test_control_request *req,
		   int send_fd, uint32_t *value)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} cmsg = {0};
	struct iovec iov = {.iov_base = (void *)req, .iov_len = sizeof(*req)};
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
	int ret;

	if (send_fd >= 0) {
		struct cmsghdr *c;

		msg.msg_control = cmsg.buf;
		msg.msg_controllen = sizeof(cmsg.buf);
		c = CMSG_FIRSTHDR(&msg);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &send_fd, sizeof(int));
	}
	pthread_mutex_lock(&server->lock);
	if (server->control_fd < 0)
		ret = -ENOTCONN;
	else if (sendmsg(server->control_fd, &msg, MSG_NOSIGNAL) != sizeof(*req))
		ret = -errno;
	else
		ret = read_reply(server->control_fd, REPLY_TIMEOUT_MS, value);
	pthread_mutex_unlock(&server->lock);
	if (ret < 0)
		report("request %u failed: %s", req->op, strerror(-ret));
	return ret;
}

static void reap(struct sb_wlcs_server *server)
{
	int status = 0;
	pid_t ret = 0;

	for (int waited = 0; waited < STOP_TIMEOUT_MS; waited += 10) {
		ret = waitpid(server->pid, &status, WNOHANG);
		if (ret != 0)
			break;
		nanosleep(&(struct timespec){.tv_nsec = 10 * 1000 * 1000}, NULL);
	}
	if (ret == 0) {
		report("compositor crashed: pid %d ignored SIGTERM for %d ms", server->pid,
		       STOP_TIMEOUT_MS);
		kill(server->pid, SIGKILL);
		waitpid(server->pid, &status, 0);
	} else if (ret < 0) {
		report("waitpid: %s", strerror(errno));
	} else if (WIFSIGNALED(status)) {
		report("compositor crashed: killed by signal %d", WTERMSIG(status));
	} else if (WEXITSTATUS(status) != 0) {
		/* ASan and UBSan (halt_on_error) exit non-zero on a report. */
		report("compositor crashed: exit status %d", WEXITSTATUS(status));
	}
	server->pid = 0;
}

static char **child_environment(int fd)
{
	static const char prefix[] = SB_TEST_CONTROL_ENV "=";
	size_t n = 0, j = 0;
	char **env;

	while (environ[n])
		n++;
	env = calloc(n + 2, sizeof(*env));
	if (!env)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		if (strncmp(environ[i], prefix, sizeof(prefix) - 1) != 0)
			env[j++] = environ[i];
	}
	/* Freed by the caller with env[j]: the only string this function allocates. */
	if (asprintf(&env[j], "%s%d", prefix, fd) < 0) {
		free(env);
		return NULL;
	}
	return env;
}

static void free_environment(char **env)
{
	size_t n = 0;

	while (env[n + 1])
		n++;
	free(env[n]);
	free(env);
}

static void server_start(WlcsDisplayServer *base)
{
	struct sb_wlcs_server *server = (struct sb_wlcs_server *)base;
	const char *path =
		getenv("SB_WLCS_SYNCBRIDGE") ? getenv("SB_WLCS_SYNCBRIDGE") : SB_SYNCBRIDGE_PATH;
	const char *log = getenv("SB_WLCS_LOG");
	char *const argv[] = {(char *)path, "--config",	  "/dev/null", "--backend",
			      "headless",   "--renderer", "pixman",    NULL};
	char **env = NULL;
	int sv[2] = {-1, -1}, log_fd = -1, ret;
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		report("socketpair: %s", strerror(errno));
		return;
	}
	log_fd = open(log ? log : "/dev/null", O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	env = child_environment(sv[1]);
	if (log_fd < 0 || !env) {
		report("cannot prepare the compositor's log or environment");
		goto out;
	}
	/* Only async-signal-safe calls between fork and exec: wlcs's process has threads. */
	pid = fork();
	if (pid < 0) {
		report("fork: %s", strerror(errno));
		goto out;
	}
	if (pid == 0) {
		sigset_t set;

		/* A wlcs that dies must not leave compositors behind. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		sigemptyset(&set);
		sigprocmask(SIG_SETMASK, &set, NULL);
		/* The control end is the one fd syncbridge must inherit. */
		if (fcntl(sv[1], F_SETFD, 0) < 0 || dup2(log_fd, STDOUT_FILENO) < 0 ||
		    dup2(log_fd, STDERR_FILENO) < 0)
			_exit(126);
		execve(path, argv, env);
		_exit(127);
	}
	server->pid = pid;
	server->control_fd = sv[0];
	sv[0] = -1;
	ret = read_reply(server->control_fd, READY_TIMEOUT_MS, NULL);
	if (ret < 0) {
		report("compositor crashed: no READY from %s: %s", path, strerror(-ret));
		close(server->control_fd);
		server->control_fd = -1;
		kill(server->pid, SIGTERM);
		reap(server);
	}
out:
	if (env)
		free_environment(env);
	if (log_fd >= 0)
		close(log_fd);
	if (sv[0] >= 0)
		close(sv[0]);
	close(sv[1]);
}

static void server_stop(WlcsDisplayServer *base)
{
	struct sb_wlcs_server *server = (struct sb_wlcs_server *)base;

	if (server->pid <= 0)
		return;
	pthread_mutex_lock(&server->lock);
	kill(server->pid, SIGTERM);
	reap(server);
	if (server->control_fd >= 0)
		close(server->control_fd);
	server->control_fd = -1;
	server->n_clients = 0;
	pthread_mutex_unlock(&server->lock);
}

static int server_create_client_socket(WlcsDisplayServer *base)
{
	struct sb_wlcs_server *server = (struct sb_wlcs_server *)base;
	struct sb_test_control_request req = {.op = SB_TEST_CONTROL_NEW_CLIENT};
	struct client_entry *entry = NULL;
	uint32_t id;
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return -1;
	/* The compositor gets its own copy of sv[1] through SCM_RIGHTS. */
	if (request(server, &req, sv[1], &id) < 0) {
		close(sv[0]);
		close(sv[1]);
		return -1;
	}
	close(sv[1]);
	/* wlcs closes its sockets itself: a number it closed may come back for a new client. */
	pthread_mutex_lock(&server->lock);
	for (size_t i = 0; i < server->n_clients; i++) {
		if (server->clients[i].fd == sv[0])
			entry = &server->clients[i];
	}
	if (!entry && server->n_clients == server->cap_clients) {
		size_t cap = server->cap_clients ? 2 * server->cap_clients : 16;
		struct client_entry *clients = realloc(server->clients, cap * sizeof(*clients));

		if (clients) {
			server->clients = clients;
			server->cap_clients = cap;
		}
	}
	if (!entry && server->n_clients < server->cap_clients)
		entry = &server->clients[server->n_clients++];
	if (entry)
		*entry = (struct client_entry){.fd = sv[0], .id = id};
	pthread_mutex_unlock(&server->lock);
	if (!entry) {
		close(sv[0]);
		return -1;
	}
	return sv[0];
}

static void server_position_window_absolute(WlcsDisplayServer *base, struct wl_display *client,
					    struct wl_surface *surface, int x, int y)
{
	struct sb_wlcs_server *server = (struct sb_wlcs_server *)base;
	/* wl_display_connect_to_fd keeps the fd it was given: that names the client. */
	int fd = wl_display_get_fd(client);
	struct sb_test_control_request req = {
		.op = SB_TEST_CONTROL_POSITION_SURFACE,
		.object = wl_proxy_get_id((struct wl_proxy *)surface),
		.x = x,
		.y = y,
	};
	bool found = false;

	pthread_mutex_lock(&server->lock);
	for (size_t i = 0; i < server->n_clients; i++) {
		if (server->clients[i].fd == fd) {
			req.client = server->clients[i].id;
			found = true;
		}
	}
	pthread_mutex_unlock(&server->lock);
	if (!found) {
		report("position_window_absolute: fd %d is no client of ours", fd);
		return;
	}
	request(server, &req, -1, NULL);
}

static void pointer_move_absolute(WlcsPointer *base, wl_fixed_t x, wl_fixed_t y)
{
	struct sb_wlcs_pointer *pointer = (struct sb_wlcs_pointer *)base;
	struct sb_test_control_request req = {
		.op = SB_TEST_CONTROL_POINTER_MOTION_ABSOLUTE, .x = x, .y = y};

	request(pointer->server, &req, -1, NULL);
}

static void pointer_move_relative(WlcsPointer *base, wl_fixed_t dx, wl_fixed_t dy)
{
	struct sb_wlcs_pointer *pointer = (struct sb_wlcs_pointer *)base;
	struct sb_test_control_request req = {
		.op = SB_TEST_CONTROL_POINTER_MOTION_RELATIVE, .x = dx, .y = dy};

	request(pointer->server, &req, -1, NULL);
}

static void pointer_button(WlcsPointer *base, int button, bool pressed)
{
	struct sb_wlcs_pointer *pointer = (struct sb_wlcs_pointer *)base;
	struct sb_test_control_request req = {
		.op = SB_TEST_CONTROL_POINTER_BUTTON, .object = (uint32_t)button, .x = pressed};

	request(pointer->server, &req, -1, NULL);
}

static void pointer_button_up(WlcsPointer *pointer, int button)
{
	pointer_button(pointer, button, false);
}

static void pointer_button_down(WlcsPointer *pointer, int button)
{
	pointer_button(pointer, button, true);
}

static void pointer_destroy(WlcsPointer *pointer)
{
	free(pointer);
}

static WlcsPointer *server_create_pointer(WlcsDisplayServer *base)
{
	struct sb_wlcs_pointer *pointer = calloc(1, sizeof(*pointer));

	if (!pointer)
		return NULL;
	pointer->base = (WlcsPointer){
		.version = 1,
		.move_absolute = pointer_move_absolute,
		.move_relative = pointer_move_relative,
		.button_up = pointer_button_up,
		.button_down = pointer_button_down,
		.destroy = pointer_destroy,
	};
	pointer->server = (struct sb_wlcs_server *)base;
	return &pointer->base;
}

/*
 * WlcsTouch's x and y are declared wl_fixed_t, but wlcs 1.5's Touch::down_at and move_to pass
 * plain pixels (its Pointer converts with wl_fixed_from_int; its Touch does not).
 */
static void touch_request(WlcsTouch *base, uint32_t op, int x, int y)
{
	struct sb_wlcs_touch *touch = (struct sb_wlcs_touch *)base;
	struct sb_test_control_request req = {.op = op,
					      .object = touch->id,
					      .x = wl_fixed_from_int(x),
					      .y = wl_fixed_from_int(y)};

	request(touch->server, &req, -1, NULL);
}

static void touch_down(WlcsTouch *touch, wl_fixed_t x, wl_fixed_t y)
{
	touch_request(touch, SB_TEST_CONTROL_TOUCH_DOWN, x, y);
}

static void touch_move(WlcsTouch *touch, wl_fixed_t x, wl_fixed_t y)
{
	touch_request(touch, SB_TEST_CONTROL_TOUCH_MOTION, x, y);
}

static void touch_up(WlcsTouch *touch)
{
	touch_request(touch, SB_TEST_CONTROL_TOUCH_UP, 0, 0);
}

static void touch_destroy(WlcsTouch *touch)
{
	free(touch);
}

static WlcsTouch *server_create_touch(WlcsDisplayServer *base)
{
	struct sb_wlcs_server *server = (struct sb_wlcs_server *)base;
	struct sb_test_control_request req = {.op = SB_TEST_CONTROL_ADD_TOUCH};
	struct sb_wlcs_touch *touch;

	if (request(server, &req, -1, NULL) < 0)
		return NULL;
	touch = calloc(1, sizeof(*touch));
	if (!touch)
		return NULL;
	touch->base = (WlcsTouch){
		.version = 1,
		.touch_down = touch_down,
		.touch_move = touch_move,
		.touch_up = touch_up,
		.destroy = touch_destroy,
	};
	touch->server = server;
	/* wl_touch ids: one point per WlcsTouch, unique within the compositor's lifetime. */
	touch->id = server->next_touch_id++;
	return &touch->base;
}

static const WlcsIntegrationDescriptor *server_get_descriptor(const WlcsDisplayServer *server)
{
	return &descriptor;
}

static WlcsDisplayServer *create_server(int argc, const char **argv)
{
	struct sb_wlcs_server *server = calloc(1, sizeof(*server));

	if (!server)
		return NULL;
	server->base = (WlcsDisplayServer){
		.version = 3,
		.start = server_start,
		.stop = server_stop,
		.create_client_socket = server_create_client_socket,
		.position_window_absolute = server_position_window_absolute,
		.create_pointer = server_create_pointer,
		.create_touch = server_create_touch,
		.get_descriptor = server_get_descriptor,
	};
	pthread_mutex_init(&server->lock, NULL);
	server->control_fd = -1;
	return &server->base;
}

static void destroy_server(WlcsDisplayServer *base)
{
	struct sb_wlcs_server *server = (struct sb_wlcs_server *)base;

	server_stop(base);
	pthread_mutex_destroy(&server->lock);
	free(server->clients);
	free(server);
}

__attribute__((visibility("default"))) const WlcsServerIntegration wlcs_server_integration = {
	.version = 1,
	.create_server = create_server,
	.destroy_server = destroy_server,
};
