// SPDX-License-Identifier: MIT
/*
 * The control socket: a line protocol on a Unix stream socket (control_socket.h) through which a
 * script takes pictures of the running compositor, now or when a capture trigger fires. Every
 * line is checked; a bad one gets "error ..." and changes nothing. A connection handles one
 * command at a time: lines sent while a wait is pending are read after its reply.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <wlr/types/wlr_scene.h>
#include <wlr/types/wlr_seat.h>
#include <wlr/types/wlr_xdg_shell.h>
#include <wlr/util/box.h>
#include <wlr/util/log.h>

#include "capture_trigger.h"
#include "capture_window.h"
#include "control_socket.h"
#include "server.h"
#include "view.h"

#define LINE_MAX_BYTES 4096
#define MAX_ARGS 16

struct sb_control_socket {
	struct sb_server *server;
	char *path;
	int fd;
	struct wl_event_source *source;
	struct wl_list connections; /* control_connection.link */
};

struct control_connection {
	struct wl_list link;
	struct sb_control_socket *control;
	int fd;
	struct wl_event_source *source;
	char in[LINE_MAX_BYTES];
	size_t in_len;
	/* A pending wait: its trigger, and the line its spec's strings point into. */
	struct sb_capture_trigger *wait;
	char *wait_line;
	const char *wait_shot;
};

static void connection_destroy(struct control_connection *conn)
{
	capture_trigger_destroy(conn->wait);
	free(conn->wait_line);
	wl_event_source_remove(conn->source);
	close(conn->fd);
	wl_list_remove(&conn->link);
	free(conn);
}

static void reply(struct control_connection *conn, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void reply(struct control_connection *conn, const char *fmt, ...)
{
	char buf[1024];
	va_list args;
	int n;

	va_start(args, fmt);
	n = vsnprintf(buf, sizeof(buf) - 1, fmt, args);
	va_end(args);
	if (n < 0)
		return;
	if ((size_t)n > sizeof(buf) - 2)
		n = sizeof(buf) - 2;
	buf[n++] = '\n';
	/* MSG_NOSIGNAL: a script that went away must not kill the compositor with SIGPIPE. */
	if (send(conn->fd, buf, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT) != n)
		wlr_log(WLR_ERROR, "control: cannot reply to a connection");
}

/* Splits line in place into at most MAX_ARGS words; "double quotes" group spaces. */
static int split(char *line, char **argv)
{
	int argc = 0;
	char *p = line;

	while (*p) {
		char *word;

		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p)
			break;
		if (argc == MAX_ARGS)
			return -1;
		if (*p == '"') {
			word = ++p;
			p = strchr(p, '"');
			if (!p)
				return -1;
		} else {
			word = p;
			p += strcspn(p, " \t");
		}
		if (*p)
			*p++ = '\0';
		argv[argc++] = word;
	}
	return argc;
}

/* key=value arguments into spec (and *shot, *timeout); false with err set on a bad one. */
static bool parse_options(int argc, char **argv, struct sb_capture_spec *spec, const char **shot,
			  char *err, size_t err_size)
{
	for (int i = 0; i < argc; i++) {
		char *value = strchr(argv[i], '=');

		if (!value) {
			snprintf(err, err_size, "'%s' is not key=value", argv[i]);
			return false;
		}
		*value++ = '\0';
		if (strcmp(argv[i], "window") == 0) {
			spec->window = value;
		} else if (strcmp(argv[i], "output") == 0) {
			spec->output = value;
		} else if (strcmp(argv[i], "crop") == 0 &&
			   (strcmp(value, "window") == 0 || strcmp(value, "output") == 0)) {
			spec->crop_window = strcmp(value, "window") == 0;
		} else if (strcmp(argv[i], "shot") == 0 && shot && *value == '/') {
			*shot = value;
		} else if (strcmp(argv[i], "timeout") == 0 && shot) {
			char *end;
			long ms = strtol(value, &end, 10);

			if (*value == '\0' || *end != '\0' || ms <= 0 || ms > 3600000) {
				snprintf(err, err_size, "timeout=%s: 1 to 3600000 ms", value);
				return false;
			}
			spec->timeout_ms = (uint32_t)ms;
		} else {
			snprintf(err, err_size,
				 "%s=%s: not an option here (window=, output=, "
				 "crop=window|output%s)",
				 argv[i], value, shot ? ", timeout=MS, shot=/ABSOLUTE/PATH" : "");
			return false;
		}
	}
	return true;
}

static void command_shot(struct control_connection *conn, int argc, char **argv)
{
	struct sb_server *server = conn->control->server;
	struct sb_capture_spec spec = {0};
	struct sb_capture_window *window = NULL;
	char err[256];
	int width, height;

	if (argc < 2 || argv[1][0] != '/') {
		reply(conn, "error usage: shot /ABSOLUTE/FILE.png [window=MATCH] "
			    "[crop=window|output] [output=NAME]");
		return;
	}
	if (!parse_options(argc - 2, argv + 2, &spec, NULL, err, sizeof(err))) {
		reply(conn, "error %s", err);
		return;
	}
	if ((spec.window || spec.crop_window) &&
	    !(window = capture_window_find(server, spec.window))) {
		reply(conn, "error no mapped window %s", spec.window ? spec.window : "at all");
		return;
	}
	if (!capture_shoot(server, &spec, window, argv[1], &width, &height)) {
		reply(conn, "error cannot write %s (the compositor's log says why)", argv[1]);
		return;
	}
	reply(conn, "ok %s %dx%d", argv[1], width, height);
}

static void process_input(struct control_connection *conn);

static void wait_fired(struct sb_capture_trigger *trigger, struct sb_capture_window *window,
		       void *data)
{
	struct control_connection *conn = data;
	struct sb_server *server = conn->control->server;
	char what[256];
	int width, height;

	capture_trigger_describe(trigger, window, what, sizeof(what));
	/* The spec's strings live in wait_line: used before it is freed below. */
	if (!window) {
		reply(conn, "error %s", what);
	} else if (!conn->wait_shot) {
		reply(conn, "ok %s", what);
	} else {
		if (capture_shoot(server, capture_trigger_spec(trigger), window, conn->wait_shot,
				  &width, &height))
			reply(conn, "ok %s %dx%d: %s", conn->wait_shot, width, height, what);
		else
			reply(conn, "error cannot write %s (the compositor's log says why)",
			      conn->wait_shot);
	}
	capture_trigger_destroy(conn->wait);
	conn->wait = NULL;
	free(conn->wait_line);
	conn->wait_line = NULL;
	conn->wait_shot = NULL;
	/* Lines that came while it waited. */
	process_input(conn);
}

static void command_wait(struct control_connection *conn, char *line)
{
	struct sb_server *server = conn->control->server;
	struct sb_capture_spec spec = {0};
	const char *shot = NULL;
	char *argv[MAX_ARGS], err[256];
	int argc;

	conn->wait_line = strdup(line);
	argc = conn->wait_line ? split(conn->wait_line, argv) : -1;
	if (argc < 2) {
		reply(conn, "error usage: wait mapped|settled[:N]|frame:N|after:MS [window=MATCH] "
			    "[timeout=MS] [shot=/ABSOLUTE/FILE.png] [crop=window|output]");
		goto err;
	}
	if (!capture_spec_parse_when(&spec, argv[1], err, sizeof(err)) ||
	    !parse_options(argc - 2, argv + 2, &spec, &shot, err, sizeof(err))) {
		reply(conn, "error %s", err);
		goto err;
	}
	if (spec.when == SB_CAPTURE_EXIT) {
		reply(conn, "error wait exit: only --capture-when takes exit");
		goto err;
	}
	conn->wait_shot = shot;
	conn->wait = capture_trigger_create(server, &spec, wait_fired, conn);
	if (!conn->wait) {
		reply(conn, "error out of memory");
		goto err;
	}
	return;
err:
	free(conn->wait_line);
	conn->wait_line = NULL;
	conn->wait_shot = NULL;
}

/* move X Y [window=MATCH]: puts the window's top-left (its geometry's) at layout (X, Y). */
static void command_move(struct control_connection *conn, int argc, char **argv)
{
	struct sb_server *server = conn->control->server;
	struct sb_capture_spec spec = {0};
	struct sb_capture_window *window;
	char err[256], *end_x, *end_y;
	long x, y;

	if (argc < 3) {
		reply(conn, "error usage: move X Y [window=MATCH]");
		return;
	}
	x = strtol(argv[1], &end_x, 10);
	y = strtol(argv[2], &end_y, 10);
	if (*argv[1] == '\0' || *end_x || *argv[2] == '\0' || *end_y || labs(x) > 100000 ||
	    labs(y) > 100000) {
		reply(conn, "error move %s %s: X and Y are integers (layout coordinates)", argv[1],
		      argv[2]);
		return;
	}
	if (!parse_options(argc - 3, argv + 3, &spec, NULL, err, sizeof(err))) {
		reply(conn, "error %s", err);
		return;
	}
	window = capture_window_find(server, spec.window);
	if (!window) {
		reply(conn, "error no mapped window %s", spec.window ? spec.window : "at all");
		return;
	}
	view_move(window->view, (int)x, (int)y);
	reply(conn, "ok %s at %ld,%ld", capture_window_name(window), x, y);
}

/*
 * close|maximize|fullscreen [window=MATCH] [off]: what the keybindings do, to a named window.
 * close asks the client (xdg_toplevel.close, WM_DELETE_WINDOW); it unmaps when it agrees.
 */
static void command_window_state(struct control_connection *conn, int argc, char **argv)
{
	struct sb_server *server = conn->control->server;
	struct sb_capture_spec spec = {0};
	struct sb_capture_window *window;
	bool off = argc > 1 && strcmp(argv[argc - 1], "off") == 0;
	char err[256];

	if (off && strcmp(argv[0], "close") == 0) {
		reply(conn, "error usage: close [window=MATCH]");
		return;
	}
	if (!parse_options(argc - 1 - off, argv + 1, &spec, NULL, err, sizeof(err))) {
		reply(conn, "error %s", err);
		return;
	}
	window = capture_window_find(server, spec.window);
	if (!window) {
		reply(conn, "error no mapped window %s", spec.window ? spec.window : "at all");
		return;
	}
	if (strcmp(argv[0], "close") == 0)
		view_close(window->view);
	else if (strcmp(argv[0], "maximize") == 0)
		view_set_maximized(window->view, !off);
	else
		view_set_fullscreen(window->view, !off, NULL);
	reply(conn, "ok %s %s%s", argv[0], capture_window_name(window), off ? " off" : "");
}

static void command_windows(struct control_connection *conn)
{
	struct sb_server *server = conn->control->server;
	struct sb_capture_window *window;
	char buf[900];
	size_t len = 0;

	buf[0] = '\0';
	wl_list_for_each(window, &server->capture_windows, link) {
		struct sb_view *view = window->view;
		bool focused = view->surface &&
			       view->surface == server->seat->keyboard_state.focused_surface;
		struct wlr_box box = {0};
		int n;

		if (!window->mapped)
			continue;
		capture_window_box(window, &box);
		n = snprintf(buf + len, sizeof(buf) - len,
			     "%s\"%s\" \"%s\" %dx%d+%d+%d frames=%u %s%s%s", len ? "; " : "",
			     view_app_id(view), view_title(view), box.width, box.height, box.x,
			     box.y, window->presented, view->impl->kind, focused ? " focused" : "",
			     view->fullscreen  ? " fullscreen"
			     : view->maximized ? " maximized"
					       : "");
		if (n < 0 || (size_t)n >= sizeof(buf) - len)
			break;
		len += (size_t)n;
	}
	reply(conn, "ok %s", len ? buf : "(no mapped window)");
}

static void handle_line(struct control_connection *conn, char *line)
{
	char copy[LINE_MAX_BYTES], *argv[MAX_ARGS];
	int argc;

	snprintf(copy, sizeof(copy), "%s", line);
	argc = split(copy, argv);
	if (argc < 0) {
		reply(conn, "error more than %d words, or an unclosed quote", MAX_ARGS);
		return;
	}
	if (argc == 0)
		return;
	wlr_log(WLR_DEBUG, "control: %s", line);
	if (strcmp(argv[0], "shot") == 0) {
		command_shot(conn, argc, argv);
	} else if (strcmp(argv[0], "wait") == 0) {
		command_wait(conn, line);
	} else if (strcmp(argv[0], "move") == 0) {
		command_move(conn, argc, argv);
	} else if (strcmp(argv[0], "close") == 0 || strcmp(argv[0], "maximize") == 0 ||
		   strcmp(argv[0], "fullscreen") == 0) {
		command_window_state(conn, argc, argv);
	} else if (strcmp(argv[0], "windows") == 0 && argc == 1) {
		command_windows(conn);
	} else if (strcmp(argv[0], "quit") == 0 && argc == 1) {
		reply(conn, "ok");
		wl_display_terminate(conn->control->server->display);
	} else {
		reply(conn,
		      "error unknown command '%s' (shot, wait, move, close, maximize, fullscreen, "
		      "windows, quit)",
		      argv[0]);
	}
}

/* Handles the complete lines received, up to a wait. */
static void process_input(struct control_connection *conn)
{
	char *nl;

	while (!conn->wait && (nl = memchr(conn->in, '\n', conn->in_len))) {
		size_t used = (size_t)(nl - conn->in) + 1;
		char line[LINE_MAX_BYTES];

		memcpy(line, conn->in, used - 1);
		line[used - 1] = '\0';
		memmove(conn->in, conn->in + used, conn->in_len - used);
		conn->in_len -= used;
		handle_line(conn, line);
	}
}

static int connection_readable(int fd, uint32_t mask, void *data)
{
	struct control_connection *conn = data;
	ssize_t n;

	if (mask & (WL_EVENT_HANGUP | WL_EVENT_ERROR)) {
		connection_destroy(conn);
		return 0;
	}
	/* Full of lines sent behind a pending wait: a script that floods is cut off. */
	if (conn->in_len == sizeof(conn->in)) {
		reply(conn, "error more than %d bytes of commands sent while waiting",
		      LINE_MAX_BYTES);
		connection_destroy(conn);
		return 0;
	}
	n = recv(fd, conn->in + conn->in_len, sizeof(conn->in) - conn->in_len, MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return 0;
	if (n <= 0) {
		connection_destroy(conn);
		return 0;
	}
	conn->in_len += (size_t)n;
	if (conn->in_len == sizeof(conn->in) && !memchr(conn->in, '\n', conn->in_len)) {
		reply(conn, "error line longer than %d bytes", LINE_MAX_BYTES - 1);
		connection_destroy(conn);
		return 0;
	}
	process_input(conn);
	return 0;
}

static int control_acceptable(int fd, uint32_t mask, void *data)
{
	struct sb_control_socket *control = data;
	struct control_connection *conn;
	int client = accept4(fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);

	if (client < 0) {
		wlr_log_errno(WLR_ERROR, "control: accept");
		return 0;
	}
	conn = calloc(1, sizeof(*conn));
	if (!conn) {
		close(client);
		return 0;
	}
	conn->control = control;
	conn->fd = client;
	conn->source = wl_event_loop_add_fd(control->server->loop, client, WL_EVENT_READABLE,
					    connection_readable, conn);
	if (!conn->source) {
		close(client);
		free(conn);
		return 0;
	}
	wl_list_insert(&control->connections, &conn->link);
	return 0;
}

struct sb_control_socket *control_socket_create(struct sb_server *server, const char *path)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	struct sb_control_socket *control;
	struct stat st;
	mode_t mask;
	int ret;

	if (strlen(path) >= sizeof(addr.sun_path)) {
		wlr_log(WLR_ERROR, "control: socket path too long: %s", path);
		return NULL;
	}
	/* Only a socket left by an earlier run is replaced, never another kind of file. */
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			wlr_log(WLR_ERROR, "control: %s exists and is not a socket", path);
			return NULL;
		}
		unlink(path);
	}
	control = calloc(1, sizeof(*control));
	if (!control)
		return NULL;
	control->server = server;
	wl_list_init(&control->connections);
	control->path = strdup(path);
	control->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (!control->path || control->fd < 0)
		goto err;
	strcpy(addr.sun_path, path);
	mask = umask(0077);
	ret = bind(control->fd, (struct sockaddr *)&addr, sizeof(addr));
	umask(mask);
	if (ret < 0 || listen(control->fd, 8) < 0) {
		wlr_log_errno(WLR_ERROR, "control: cannot listen on %s", path);
		goto err_unlink;
	}
	control->source = wl_event_loop_add_fd(server->loop, control->fd, WL_EVENT_READABLE,
					       control_acceptable, control);
	if (!control->source)
		goto err_unlink;
	setenv(SB_CONTROL_ENV, path, 1);
	wlr_log(WLR_INFO, "control socket: %s", path);
	return control;

err_unlink:
	if (ret == 0)
		unlink(path);
err:
	if (control->fd >= 0)
		close(control->fd);
	free(control->path);
	free(control);
	return NULL;
}

void control_socket_destroy(struct sb_control_socket *control)
{
	struct control_connection *conn, *tmp;

	if (!control)
		return;
	wl_list_for_each_safe(conn, tmp, &control->connections, link)
		connection_destroy(conn);
	wl_event_source_remove(control->source);
	close(control->fd);
	unlink(control->path);
	free(control->path);
	free(control);
}
