// SPDX-License-Identifier: MIT
/*
 * The test control socket: lets an out-of-process harness (the wlcs integration module) add
 * clients on socketpairs, place windows and inject pointer and touch input. Every request is
 * checked; a bad one gets an error reply and never touches compositor state.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <wayland-server-core.h>
#include <wlr/types/wlr_cursor.h>
#include <wlr/types/wlr_output_layout.h>
#include <wlr/types/wlr_pointer.h>
#include <wlr/types/wlr_scene.h>
#include <wlr/types/wlr_seat.h>
#include <wlr/types/wlr_xdg_shell.h>
#include <wlr/util/box.h>
#include <wlr/util/log.h>

#include "bounded_sync.h"
#include "server.h"
#include "view.h"
#include "test_control.h"

#define MAX_TOUCH_POINTS 16

struct sb_test_client {
	struct wl_list link; /* sb_test_control.clients */
	uint32_t id;
	struct wl_client *client;
	struct wl_listener destroy;
};

struct sb_touch_point {
	bool down;
	uint32_t id;
	/* Layout position of the surface's origin at touch-down: wl_touch.motion is surface-local. */
	double origin_x, origin_y;
};

struct sb_test_control {
	struct sb_server *server;
	int fd;
	struct wl_event_source *source;
	struct wl_list clients; /* sb_test_client.link */
	uint32_t next_client_id;
	struct sb_touch_point touch[MAX_TOUCH_POINTS];
	struct wl_listener display_destroy;
};

static uint32_t now_msec(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (uint32_t)(now.tv_sec * 1000 + now.tv_nsec / 1000000);
}

static void test_client_destroy(struct sb_test_client *tc)
{
	wl_list_remove(&tc->link);
	wl_list_remove(&tc->destroy.link);
	free(tc);
}

static void handle_client_destroy(struct wl_listener *listener, void *data)
{
	struct sb_test_client *tc = wl_container_of(listener, tc, destroy);

	test_client_destroy(tc);
}

/* Takes ownership of fd: it becomes the client's connection, or is closed. */
static int add_client(struct sb_test_control *control, int fd, uint32_t *id)
{
	struct sb_test_client *tc = calloc(1, sizeof(*tc));

	if (!tc) {
		close(fd);
		return -ENOMEM;
	}
	/* wl_client_create does not close the fd when it fails. */
	tc->client = wl_client_create(control->server->display, fd);
	if (!tc->client) {
		close(fd);
		free(tc);
		return -ENOMEM;
	}
	tc->id = ++control->next_client_id;
	tc->destroy.notify = handle_client_destroy;
	wl_client_add_destroy_listener(tc->client, &tc->destroy);
	wl_list_insert(&control->clients, &tc->link);
	*id = tc->id;
	wlr_log(WLR_DEBUG, "test control: client %u", tc->id);
	return 0;
}

static struct wl_client *find_client(struct sb_test_control *control, uint32_t id)
{
	struct sb_test_client *tc;

	wl_list_for_each(tc, &control->clients, link) {
		if (tc->id == id)
			return tc->client;
	}
	return NULL;
}

static int position_surface(struct sb_test_control *control,
			    const struct sb_test_control_request *req)
{
	struct wl_client *client = find_client(control, req->client);
	struct wl_resource *resource;
	struct wlr_xdg_surface *xdg_surface;
	struct wlr_scene_node *node;

	if (!client)
		return -ESRCH;
	resource = wl_client_get_object(client, req->object);
	/* Every wl_surface here is wlr_compositor's, so the interface name is a safe check. */
	if (!resource || strcmp(wl_resource_get_class(resource), "wl_surface") != 0)
		return -ENOENT;
	if (!wlr_surface_is_xdg_surface(wlr_surface_from_resource(resource)))
		return -EINVAL;
	xdg_surface = wlr_xdg_surface_from_wlr_surface(wlr_surface_from_resource(resource));
	if (!xdg_surface || xdg_surface->role != WLR_XDG_SURFACE_ROLE_TOPLEVEL ||
	    !xdg_surface->data)
		return -EINVAL;
	/*
	 * xdg_shell.c keeps a toplevel's scene node in data, a child of its view's tree.
	 * xdg_surface.set_window_geometry: the window's top-left is the geometry's, and
	 * wlr_scene_xdg_surface already offsets the surface inside that node by -geometry, so the
	 * view goes exactly where the window should.
	 */
	node = xdg_surface->data;
	if (!node->parent || !node->parent->data)
		return -EINVAL;
	view_move(node->parent->data, req->x, req->y);
	return 0;
}

/*
 * Pointer input goes out on the cursor's own signals, as an attached pointer device's events
 * would: seat.c's handlers then apply the real focus policy (enter/leave, click to focus).
 */
static int pointer_motion_absolute(struct sb_test_control *control, double lx, double ly)
{
	struct wlr_cursor *cursor = control->server->cursor;
	struct wlr_box *box;
	struct wlr_event_pointer_motion_absolute event = {.time_msec = now_msec()};

	if (!cursor)
		return -ENODEV;
	box = wlr_output_layout_get_box(control->server->output_layout, NULL);
	if (!box || box->width <= 0 || box->height <= 0)
		return -ENODEV;
	/* wlr_event_pointer_motion_absolute is in 0..1 of the layout's box (no device mapping). */
	event.x = (lx - box->x) / box->width;
	event.y = (ly - box->y) / box->height;
	wl_signal_emit(&cursor->events.motion_absolute, &event);
	wl_signal_emit(&cursor->events.frame, cursor);
	return 0;
}

static int pointer_motion_relative(struct sb_test_control *control, double dx, double dy)
{
	struct wlr_cursor *cursor = control->server->cursor;
	struct wlr_event_pointer_motion event = {
		.time_msec = now_msec(),
		.delta_x = dx,
		.delta_y = dy,
		.unaccel_dx = dx,
		.unaccel_dy = dy,
	};

	if (!cursor)
		return -ENODEV;
	wl_signal_emit(&cursor->events.motion, &event);
	wl_signal_emit(&cursor->events.frame, cursor);
	return 0;
}

static int pointer_button(struct sb_test_control *control, uint32_t button, bool pressed)
{
	struct wlr_cursor *cursor = control->server->cursor;
	struct wlr_event_pointer_button event = {
		.time_msec = now_msec(),
		.button = button,
		.state = pressed ? WLR_BUTTON_PRESSED : WLR_BUTTON_RELEASED,
	};

	if (!cursor)
		return -ENODEV;
	wl_signal_emit(&cursor->events.button, &event);
	wl_signal_emit(&cursor->events.frame, cursor);
	return 0;
}

static struct sb_touch_point *touch_point(struct sb_test_control *control, uint32_t id)
{
	for (size_t i = 0; i < MAX_TOUCH_POINTS; i++) {
		if (control->touch[i].down && control->touch[i].id == id)
			return &control->touch[i];
	}
	return NULL;
}

static int touch_down(struct sb_test_control *control, uint32_t id, double lx, double ly)
{
	struct wlr_seat *seat = control->server->seat;
	struct sb_touch_point *point = NULL;
	struct wlr_surface *surface;
	double sx, sy;

	if (touch_point(control, id))
		return -EBUSY;
	for (size_t i = 0; i < MAX_TOUCH_POINTS && !point; i++) {
		if (!control->touch[i].down)
			point = &control->touch[i];
	}
	if (!point)
		return -ENOSPC;
	view_at(control->server, lx, ly, &surface, &sx, &sy);
	/* wl_touch.down goes to the surface under the point; over the background, to no one. */
	if (!surface)
		return 0;
	if (!wlr_seat_touch_notify_down(seat, surface, now_msec(), (int32_t)id, sx, sy))
		return 0;
	*point = (struct sb_touch_point){
		.down = true,
		.id = id,
		.origin_x = lx - sx,
		.origin_y = ly - sy,
	};
	wlr_seat_touch_notify_frame(seat);
	return 0;
}

static int touch_motion(struct sb_test_control *control, uint32_t id, double lx, double ly)
{
	struct sb_touch_point *point = touch_point(control, id);
	struct wlr_seat *seat = control->server->seat;

	/* A point that went down over the background has no surface: nothing to tell. */
	if (!point)
		return 0;
	/* wl_touch.motion: the point stays with the surface it went down on, in its coordinates. */
	wlr_seat_touch_notify_motion(seat, now_msec(), (int32_t)id, lx - point->origin_x,
				     ly - point->origin_y);
	wlr_seat_touch_notify_frame(seat);
	return 0;
}

static int touch_up(struct sb_test_control *control, uint32_t id)
{
	struct sb_touch_point *point = touch_point(control, id);
	struct wlr_seat *seat = control->server->seat;

	if (!point)
		return 0;
	point->down = false;
	/* The client may have destroyed the surface: wlroots then dropped the point already. */
	if (wlr_seat_touch_get_point(seat, (int32_t)id)) {
		wlr_seat_touch_notify_up(seat, now_msec(), (int32_t)id);
		wlr_seat_touch_notify_frame(seat);
	}
	return 0;
}

static int add_touch(struct sb_test_control *control)
{
	struct wlr_seat *seat = control->server->seat;

	/* wl_seat.capabilities: clients ask for a wl_touch only when the seat has one. */
	wlr_seat_set_capabilities(seat, seat->capabilities | WL_SEAT_CAPABILITY_TOUCH);
	return 0;
}

static int sync_skip_idle_check(struct sb_test_control *control, int32_t skip)
{
	if (!control->server->bounded_sync)
		return -ENODEV;
	if (skip != 0 && skip != 1)
		return -EINVAL;
	sb_bounded_sync_test_skip_idle_check(control->server->bounded_sync, skip);
	return 0;
}

static int sync_arm_delay(struct sb_test_control *control, int32_t usec)
{
	if (!control->server->bounded_sync)
		return -ENODEV;
	if (usec < 0 || usec > SB_TEST_CONTROL_SYNC_ARM_DELAY_MAX)
		return -EINVAL;
	sb_bounded_sync_test_arm_delay(control->server->bounded_sync, (uint32_t)usec);
	return 0;
}

static int handle_request(struct sb_test_control *control,
			  const struct sb_test_control_request *req, int fd, uint32_t *value)
{
	double x = wl_fixed_to_double(req->x), y = wl_fixed_to_double(req->y);

	if (req->op == SB_TEST_CONTROL_NEW_CLIENT)
		return fd >= 0 ? add_client(control, fd, value) : -EBADF;
	/* Only NEW_CLIENT carries an fd: any other is closed unused. */
	if (fd >= 0)
		close(fd);
	switch (req->op) {
	case SB_TEST_CONTROL_POSITION_SURFACE:
		return position_surface(control, req);
	case SB_TEST_CONTROL_POINTER_MOTION_ABSOLUTE:
		return pointer_motion_absolute(control, x, y);
	case SB_TEST_CONTROL_POINTER_MOTION_RELATIVE:
		return pointer_motion_relative(control, x, y);
	case SB_TEST_CONTROL_POINTER_BUTTON:
		return pointer_button(control, req->object, req->x != 0);
	case SB_TEST_CONTROL_TOUCH_DOWN:
		return touch_down(control, req->object, x, y);
	case SB_TEST_CONTROL_TOUCH_MOTION:
		return touch_motion(control, req->object, x, y);
	case SB_TEST_CONTROL_TOUCH_UP:
		return touch_up(control, req->object);
	case SB_TEST_CONTROL_ADD_TOUCH:
		return add_touch(control);
	case SB_TEST_CONTROL_SYNC_SKIP_IDLE_CHECK:
		return sync_skip_idle_check(control, req->x);
	case SB_TEST_CONTROL_SYNC_ARM_DELAY:
		return sync_arm_delay(control, req->x);
	default:
		return -EOPNOTSUPP;
	}
}

static bool send_reply(struct sb_test_control *control, int32_t status, uint32_t value)
{
	struct sb_test_control_reply reply = {.status = status, .value = value};

	/* MSG_NOSIGNAL: a harness that went away must not kill the compositor with SIGPIPE. */
	return send(control->fd, &reply, sizeof(reply), MSG_NOSIGNAL) == sizeof(reply);
}

/* Returns the fd passed with the message, or -1; closes any extra ones. */
static int received_fd(struct msghdr *msg)
{
	int fd = -1;

	for (struct cmsghdr *cmsg = CMSG_FIRSTHDR(msg); cmsg; cmsg = CMSG_NXTHDR(msg, cmsg)) {
		size_t n;
		int *fds;

		if (cmsg->cmsg_level != SOL_SOCKET || cmsg->cmsg_type != SCM_RIGHTS)
			continue;
		n = (cmsg->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		fds = (int *)CMSG_DATA(cmsg);
		for (size_t i = 0; i < n; i++) {
			if (fd < 0)
				fd = fds[i];
			else
				close(fds[i]);
		}
	}
	return fd;
}

static int handle_readable(int fd, uint32_t mask, void *data)
{
	struct sb_test_control *control = data;
	struct sb_test_control_request req;
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} cmsg = {0};
	struct iovec iov = {.iov_base = &req, .iov_len = sizeof(req)};
	struct msghdr msg = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = cmsg.buf,
		.msg_controllen = sizeof(cmsg.buf),
	};
	uint32_t value = 0;
	int32_t status;
	ssize_t n;
	int client_fd;

	n = recvmsg(fd, &msg, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return 0;
	if (n <= 0) {
		/* The harness is gone (it would stop us anyway): nobody is left to test for. */
		wlr_log(WLR_INFO, "test control socket closed: exiting");
		wl_event_source_remove(control->source);
		control->source = NULL;
		wl_display_terminate(control->server->display);
		return 0;
	}
	client_fd = received_fd(&msg);
	if (n != sizeof(req) || (msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC))) {
		if (client_fd >= 0)
			close(client_fd);
		status = -EPROTO;
	} else {
		status = handle_request(control, &req, client_fd, &value);
	}
	if (status < 0)
		wlr_log(WLR_ERROR, "test control: request %u failed: %s", req.op,
			strerror(-status));
	if (!send_reply(control, status, value))
		wlr_log_errno(WLR_ERROR, "test control: cannot reply");
	return 0;
}

static void handle_display_destroy(struct wl_listener *listener, void *data)
{
	struct sb_test_control *control = wl_container_of(listener, control, display_destroy);
	struct sb_test_client *tc, *tmp;

	wl_list_for_each_safe(tc, tmp, &control->clients, link)
		test_client_destroy(tc);
	if (control->source)
		wl_event_source_remove(control->source);
	close(control->fd);
	wl_list_remove(&control->display_destroy.link);
	free(control);
}

bool test_control_init(struct sb_server *server)
{
	const char *env = getenv(SB_TEST_CONTROL_ENV);
	struct sb_test_control *control;
	char *end;
	long fd;
	int type;
	socklen_t len = sizeof(type);

	if (!env)
		return true;
	fd = strtol(env, &end, 10);
	if (*env == '\0' || *end != '\0' || fd < 0 || fd > INT32_MAX ||
	    getsockopt((int)fd, SOL_SOCKET, SO_TYPE, &type, &len) < 0 || type != SOCK_SEQPACKET) {
		wlr_log(WLR_ERROR, "%s=%s is not a SOCK_SEQPACKET socket", SB_TEST_CONTROL_ENV,
			env);
		return false;
	}
	/* Neither --exec clients nor anything they start may inherit the harness's socket. */
	unsetenv(SB_TEST_CONTROL_ENV);
	if (fcntl((int)fd, F_SETFD, FD_CLOEXEC) < 0) {
		wlr_log_errno(WLR_ERROR, "test control: fcntl");
		return false;
	}
	control = calloc(1, sizeof(*control));
	if (!control) {
		close((int)fd);
		return false;
	}
	control->server = server;
	control->fd = (int)fd;
	wl_list_init(&control->clients);
	control->source = wl_event_loop_add_fd(server->loop, control->fd, WL_EVENT_READABLE,
					       handle_readable, control);
	if (!control->source) {
		close(control->fd);
		free(control);
		return false;
	}
	/*
	 * wl_seat.capabilities: a client binds wl_touch when it sees the capability, and a touch
	 * device made after it connected would find it without one. Offer touch from the start.
	 */
	add_touch(control);
	control->display_destroy.notify = handle_display_destroy;
	wl_display_add_destroy_listener(server->display, &control->display_destroy);
	if (!send_reply(control, SB_TEST_CONTROL_READY, 0)) {
		wlr_log_errno(WLR_ERROR, "test control: cannot send READY");
		return false;
	}
	wlr_log(WLR_INFO, "test control socket on fd %d", control->fd);
	return true;
}
