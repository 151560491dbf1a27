// SPDX-License-Identifier: MIT
/*
 * Fuzz target: the compositor's protocol servers as a client reaches them, over a real
 * wl_display. One persistent server (wlroots 0.15 headless backend, pixman renderer,
 * wl_compositor + wl_subcompositor, wl_shm, xdg_shell, and syncbridge's linux-dmabuf, explicit
 * sync, syncobj, fifo, commit-timing and presentation-time servers, the commit gate and the
 * wl_surface dispatcher); per input, a new wl_client on a socketpair whose other
 * end carries raw wire messages decoded from the input (protocol_fuzz.md in the README says how).
 * After the client is gone the server must hold no more fds than before and no held commit:
 * anything else is a leak, and a leak is a crash.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <xf86drm.h>

#include <wayland-server-core.h>
#include <wayland-server-protocol.h>
#include <wlr/backend/headless.h>
#include <wlr/render/pixman.h>
#include <wlr/render/wlr_renderer.h>
#include <wlr/types/wlr_compositor.h>
#include <wlr/types/wlr_scene.h>
#include <wlr/types/wlr_xdg_shell.h>
#include <wlr/util/log.h>

#include <syncbridge/log.h>
#include <syncbridge/syncobj.h>

#include "commit-timing-v1-protocol.h"
#include "commit_gate.h"
#include "commit_timing_v1.h"
#include "explicit_sync_v1.h"
#include "fifo-v1-protocol.h"
#include "fifo_v1.h"
#include "fuzz.h"
#include "gate_log.h"
#include "guards.h"
#include "kdev.h"
#include "linux-dmabuf-unstable-v1-protocol.h"
#include "linux-drm-syncobj-v1-protocol.h"
#include "linux-explicit-synchronization-unstable-v1-protocol.h"
#include "linux_dmabuf_v1.h"
#include "presentation-time-protocol.h"
#include "presentation_time.h"
#include "release.h"
#include "surface_dispatch.h"
#include "syncobj_v1.h"
#include "xdg-shell-protocol.h"

#define MAX_OBJECTS 256
#define MAX_GLOBALS 32
#define MAX_MESSAGE 1024
#define MAX_MESSAGE_FDS 4
#define POOL_SIZE 65536

/* Globals a record can bind, by index: the order of this table is the input format. */
static const struct wl_interface *const bindable[] = {
	&wl_compositor_interface,
	&wl_subcompositor_interface,
	&wl_shm_interface,
	&xdg_wm_base_interface,
	&zwp_linux_dmabuf_v1_interface,
	&zwp_linux_explicit_synchronization_v1_interface,
	&wp_linux_drm_syncobj_manager_v1_interface,
	&wp_fifo_manager_v1_interface,
	&wp_commit_timing_manager_v1_interface,
	&wp_presentation_interface,
};
#define N_BINDABLE (sizeof(bindable) / sizeof(bindable[0]))

/*
 * The fds a request can carry, by index: 0 is none at all (an 'h' argument with no fd is
 * libwayland's "file descriptor expected"; a closed number cannot be sent, SCM_RIGHTS refuses it
 * with EBADF). The sync_files and the dma-buf exist only where the kernel has sw_sync and
 * udmabuf (the VM), the syncobj where a DRM device has timelines (the VM); elsewhere their slots
 * stay -1 and send no fd either.
 */
enum pool_slot {
	POOL_NONE,
	POOL_MEMFD,
	POOL_PIPE_READ,
	POOL_PIPE_WRITE,
	POOL_EVENTFD,
	POOL_DEV_NULL,
	POOL_FENCE_PENDING,
	POOL_FENCE_SIGNALED,
	POOL_DMABUF,
	POOL_SYNCOBJ,
	POOL_COUNT,
};

struct global {
	uint32_t name, version;
	const struct wl_interface *interface;
};

struct fuzz_server {
	struct wl_display *display;
	struct wl_event_loop *loop;
	struct wlr_backend *backend;
	struct wlr_renderer *renderer;
	struct sb_commit_gate *gate;
	struct wlr_scene *scene;
	struct global globals[N_BINDABLE];
	int pool[POOL_COUNT];
	int sw_timeline;
	int drm_fd;
	struct sb_syncobj *syncobj;
	bool verbose;
};

struct object {
	uint32_t id;
	uint32_t version;
	const struct wl_interface *interface;
};

struct fuzz_client {
	struct wl_client *client;
	struct wl_listener destroy;
	bool alive;
	int fd; /* our end */
	uint32_t next_id;
	struct object objects[MAX_OBJECTS];
	int n_objects;
};

/* The input, read front to back; past its end every byte is 0. */
struct input {
	const uint8_t *data;
	size_t size, pos;
};

static struct fuzz_server *server;

static uint8_t next_byte(struct input *in)
{
	return in->pos < in->size ? in->data[in->pos++] : 0;
}

static bool input_done(const struct input *in)
{
	return in->pos >= in->size;
}

/* 0..0xfd as is; 0xfe: two bytes follow; 0xff: four bytes follow (little endian). */
static uint32_t next_u32(struct input *in)
{
	uint8_t b = next_byte(in);
	uint32_t v = 0;
	int n = b == 0xfe ? 2 : b == 0xff ? 4 : 0;

	if (n == 0)
		return b;
	for (int i = 0; i < n; i++)
		v |= (uint32_t)next_byte(in) << (8 * i);
	return v;
}

/* What each fd is, for the report of a leak. */
static void list_fds(void)
{
	DIR *dir = opendir("/proc/self/fd");
	struct dirent *entry;
	char path[300], target[256];

	while (dir && (entry = readdir(dir))) {
		ssize_t n;

		if (entry->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/self/fd/%s", entry->d_name);
		n = readlink(path, target, sizeof(target) - 1);
		target[n > 0 ? n : 0] = '\0';
		fprintf(stderr, "  fd %s -> %s\n", entry->d_name, target);
	}
	if (dir)
		closedir(dir);
}

static int count_fds(void)
{
	DIR *dir = opendir("/proc/self/fd");
	struct dirent *entry;
	int n = 0;

	if (!dir)
		__builtin_trap();
	while ((entry = readdir(dir)))
		if (entry->d_name[0] != '.')
			n++;
	closedir(dir);
	return n;
}

/* --- setup ------------------------------------------------------------------------------- */

/* A DRM render node with timeline syncobjs (DRM_CAP_SYNCOBJ_TIMELINE), or -1. */
static int open_timeline_device(void)
{
	for (int i = 128; i < 192; i++) {
		char path[32];
		uint64_t cap = 0;
		int fd;

		snprintf(path, sizeof(path), "/dev/dri/renderD%d", i);
		fd = open(path, O_RDWR | O_CLOEXEC);
		if (fd < 0)
			continue;
		if (drmGetCap(fd, DRM_CAP_SYNCOBJ_TIMELINE, &cap) == 0 && cap)
			return fd;
		close(fd);
	}
	return -1;
}

static void open_pool(struct fuzz_server *s)
{
	int pipe_fds[2];

	for (int i = 0; i < POOL_COUNT; i++)
		s->pool[i] = -1;
	s->pool[POOL_MEMFD] = memfd_create("fuzz-shm", MFD_CLOEXEC);
	if (s->pool[POOL_MEMFD] < 0 || ftruncate(s->pool[POOL_MEMFD], POOL_SIZE) < 0)
		__builtin_trap();
	if (pipe2(pipe_fds, O_CLOEXEC) < 0)
		__builtin_trap();
	s->pool[POOL_PIPE_READ] = pipe_fds[0];
	s->pool[POOL_PIPE_WRITE] = pipe_fds[1];
	s->pool[POOL_EVENTFD] = eventfd(0, EFD_CLOEXEC);
	s->pool[POOL_DEV_NULL] = open("/dev/null", O_RDWR | O_CLOEXEC);
	s->sw_timeline = sb_sw_timeline_create();
	if (s->sw_timeline >= 0) {
		/* Value 1 never comes: a commit that waits on it is held until its client goes. */
		s->pool[POOL_FENCE_PENDING] = sb_sw_fence_create(s->sw_timeline, 1);
		s->pool[POOL_FENCE_SIGNALED] = sb_sw_fence_create(s->sw_timeline, 0);
	}
	s->pool[POOL_DMABUF] = sb_udmabuf_create(POOL_SIZE);
	s->drm_fd = open_timeline_device();
	s->syncobj = s->drm_fd >= 0 ? sb_syncobj_create(s->drm_fd) : NULL;
	/* A timeline nothing signals: commits that wait on it are held until their client goes. */
	if (s->syncobj)
		s->pool[POOL_SYNCOBJ] = sb_syncobj_export(s->syncobj);
	if (s->verbose)
		fprintf(stderr, "protocol_fuzz: sync_files %s, dma-buf %s\n",
			s->sw_timeline >= 0 ? "from sw_sync" : "none (no sw_sync)",
			s->pool[POOL_DMABUF] >= 0 ? "from udmabuf" : "none (no udmabuf)");
	if (s->verbose)
		fprintf(stderr, "protocol_fuzz: syncobj %s\n",
			s->pool[POOL_SYNCOBJ] >= 0 ? "exported" : "none (no DRM timelines)");
}

/* Reads one wl_registry.global event from buf; returns its size, 0 if incomplete. */
static size_t parse_global(struct fuzz_server *s, const uint8_t *buf, size_t len)
{
	uint32_t header[2], name, slen, version;
	size_t size;

	if (len < 8)
		return 0;
	memcpy(header, buf, 8);
	size = header[1] >> 16;
	if (size < 8 || size > len)
		return 0;
	/* wl_registry (id 2).global (opcode 0): uint name, string interface, uint version. */
	if (header[0] != 2 || (header[1] & 0xffff) != 0 || size < 16)
		return size;
	memcpy(&name, buf + 8, 4);
	memcpy(&slen, buf + 12, 4);
	if (16 + ((slen + 3) & ~3u) + 4 > size)
		return size;
	memcpy(&version, buf + 16 + ((slen + 3) & ~3u), 4);
	for (size_t i = 0; i < N_BINDABLE; i++) {
		if (slen == 0 || strncmp((const char *)buf + 16, bindable[i]->name, slen) != 0)
			continue;
		s->globals[i] = (struct global){name, version, bindable[i]};
		if (s->verbose)
			fprintf(stderr, "protocol_fuzz: global %zu: %s v%u (name %u)\n", i,
				bindable[i]->name, version, name);
	}
	return size;
}

/* The registry as a client sees it, once: globals are persistent, so are their names. */
static void find_globals(struct fuzz_server *s)
{
	uint32_t get_registry[3] = {1, (12u << 16) | 1, 2};
	uint8_t buf[8192];
	size_t len = 0, off = 0;
	struct wl_client *client;
	int fds[2];
	ssize_t n;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) < 0)
		__builtin_trap();
	client = wl_client_create(s->display, fds[0]);
	if (!client || write(fds[1], get_registry, sizeof(get_registry)) != sizeof(get_registry))
		__builtin_trap();
	wl_event_loop_dispatch(s->loop, 0);
	wl_display_flush_clients(s->display);
	while ((n = recv(fds[1], buf + len, sizeof(buf) - len, MSG_DONTWAIT)) > 0)
		len += (size_t)n;
	while (off < len) {
		size_t size = parse_global(s, buf + off, len - off);

		if (size == 0)
			break;
		off += size;
	}
	wl_client_destroy(client);
	close(fds[1]);
}

static int handle_timer(void *data)
{
	return 0;
}

static struct fuzz_server *server_create(void)
{
	struct fuzz_server *s = calloc(1, sizeof(*s));
	struct wlr_compositor *compositor;
	struct wl_event_source *timer;

	if (!s)
		__builtin_trap();
	s->verbose = getenv("SB_FUZZ_VERBOSE") != NULL;
	wlr_log_init(s->verbose ? WLR_DEBUG : WLR_SILENT, NULL);
	sb_log_init(s->verbose ? SB_DEBUG : SB_SILENT, NULL);
	s->display = wl_display_create();
	s->loop = wl_display_get_event_loop(s->display);
	/*
	 * libwayland 1.21 keeps one timerfd for all of a loop's timers, made with the first one
	 * (xdg_wm_base's ping timer) and kept: made here, it is not counted as the client's.
	 */
	timer = wl_event_loop_add_timer(s->loop, handle_timer, NULL);
	if (!timer)
		__builtin_trap();
	wl_event_source_remove(timer);
	s->backend = wlr_headless_backend_create(s->display);
	s->renderer = wlr_pixman_renderer_create();
	if (!s->backend || !s->renderer || !wlr_renderer_init_wl_display(s->renderer, s->display))
		__builtin_trap();
	/*
	 * wlroots 0.15's wlr_compositor also serves wl_subcompositor. No bounded SYNC: nothing here
	 * renders, so no CPU read is ever bracketed.
	 */
	compositor = wlr_compositor_create(s->display, s->renderer);
	if (!compositor || !sb_surface_dispatch_create(compositor) ||
	    !wlr_xdg_shell_create(s->display) ||
	    !sb_linux_dmabuf_v1_create(s->display, s->renderer, -1, NULL))
		__builtin_trap();
	/* The compositor's guards against wlroots 0.15.1's own crashes, so that the regression
	 * inputs (regressions/protocol/) reach them: without a guard, its input crashes the run. */
	if (!sb_xdg_guard_create(s->display) || !sb_subsurface_guard_create(s->display))
		__builtin_trap();
	s->gate = commit_gate_create(s->display, SB_IMPLICIT_SNAPSHOT);
	if (!s->gate || !sb_release_hold_replaced(s->gate, s->loop) ||
	    !sb_explicit_sync_v1_create(s->display, s->gate))
		__builtin_trap();
	/* SB_FUZZ_VERBOSE: the gate's -d lines as the compositor logs them. */
	if (s->verbose && !gate_log_subscribe(s->gate))
		__builtin_trap();
	/* NULL without a DRM device with timelines (the host): the global is then not fuzzed. */
	sb_syncobj_v1_create(s->display, s->gate, -1);
	/*
	 * The gate's conditions and presentation feedback. The backend is not started: no output
	 * frame ever clears a fifo barrier or presents, so what the client leaves waiting must go
	 * with it.
	 */
	s->scene = wlr_scene_create();
	if (!s->scene || !sb_fifo_v1_create(s->display, s->backend, s->gate) ||
	    !sb_commit_timing_v1_create(s->display, s->backend, s->gate) ||
	    !sb_presentation_create(s->display, s->backend, s->scene, s->gate))
		__builtin_trap();
	open_pool(s);
	find_globals(s);
	return s;
}

/* --- the client ---------------------------------------------------------------------------- */

static void handle_client_destroy(struct wl_listener *listener, void *data)
{
	struct fuzz_client *c = wl_container_of(listener, c, destroy);

	c->alive = false;
	wl_list_remove(&c->destroy.link);
}

static void add_object(struct fuzz_client *c, const struct wl_interface *interface,
		       uint32_t version)
{
	uint32_t id = c->next_id++;

	if (c->n_objects == MAX_OBJECTS || !interface)
		return;
	c->objects[c->n_objects++] = (struct object){id, version, interface};
}

static void remove_object(struct fuzz_client *c, int index)
{
	memmove(&c->objects[index], &c->objects[index + 1],
		(size_t)(c->n_objects - index - 1) * sizeof(c->objects[0]));
	c->n_objects--;
}

/* An object of that interface (any if NULL), the (b % count)-th; 0 if there is none. */
static uint32_t pick_object(struct fuzz_client *c, const struct wl_interface *interface, uint8_t b)
{
	int matches[MAX_OBJECTS], n = 0;

	for (int i = 0; i < c->n_objects; i++)
		if (!interface || c->objects[i].interface == interface)
			matches[n++] = i;
	if (n == 0)
		return b; /* a number that is no such object */
	return c->objects[matches[b % n]].id;
}

/* Reads and drops what the server sent, closing the fds that came with it. */
static void drain(struct fuzz_client *c)
{
	char buf[4096];
	char control[CMSG_SPACE(sizeof(int) * 28)];

	for (;;) {
		struct iovec iov = {buf, sizeof(buf)};
		struct msghdr msg = {.msg_iov = &iov,
				     .msg_iovlen = 1,
				     .msg_control = control,
				     .msg_controllen = sizeof(control)};
		ssize_t n = recvmsg(c->fd, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);

		if (n <= 0)
			return;
		for (struct cmsghdr *cmsg = CMSG_FIRSTHDR(&msg); cmsg;
		     cmsg = CMSG_NXTHDR(&msg, cmsg)) {
			size_t nfds = (cmsg->cmsg_len - CMSG_LEN(0)) / sizeof(int);
			int *fds = (int *)CMSG_DATA(cmsg);

			if (cmsg->cmsg_level != SOL_SOCKET || cmsg->cmsg_type != SCM_RIGHTS)
				continue;
			for (size_t i = 0; i < nfds; i++)
				close(fds[i]);
		}
	}
}

/* Runs the server until it has read everything the client sent, and the client what it got. */
static void dispatch(struct fuzz_client *c)
{
	for (int round = 0; round < 16 && c->alive; round++) {
		int unread = 0;

		wl_event_loop_dispatch(server->loop, 0);
		wl_display_flush_clients(server->display);
		drain(c);
		if (!c->alive || ioctl(wl_client_get_fd(c->client), FIONREAD, &unread) < 0 ||
		    unread == 0)
			break;
	}
}

static void send_message(struct fuzz_client *c, const uint32_t *words, size_t size, const int *fds,
			 int n_fds)
{
	char control[CMSG_SPACE(sizeof(int) * MAX_MESSAGE_FDS)] = {0};
	struct iovec iov = {(void *)words, size};
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};

	if (n_fds > 0) {
		struct cmsghdr *cmsg;

		msg.msg_control = control;
		msg.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)n_fds);
		cmsg = CMSG_FIRSTHDR(&msg);
		cmsg->cmsg_level = SOL_SOCKET;
		cmsg->cmsg_type = SCM_RIGHTS;
		cmsg->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)n_fds);
		memcpy(CMSG_DATA(cmsg), fds, sizeof(int) * (size_t)n_fds);
	}
	/* EAGAIN (the server stopped reading) or EPIPE (it is gone): the input ends here. */
	if (sendmsg(c->fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
		return;
	dispatch(c);
}

/* A message as written: object, opcode, size, body bytes; any of them can be wrong. */
static void send_raw(struct fuzz_client *c, struct input *in)
{
	uint32_t words[2 + 64] = {0};
	uint32_t id = next_u32(in), opcode = next_byte(in), len = next_byte(in) % 64;
	int fd = server->pool[next_byte(in) % POOL_COUNT];

	for (uint32_t i = 0; i < len; i++)
		((uint8_t *)&words[2])[i] = next_byte(in);
	words[0] = id;
	/* The size field says whole words; the bytes sent are the same whole words. */
	words[1] = ((8 + ((len + 3) & ~3u)) << 16) | opcode;
	send_message(c, words, 8 + ((len + 3) & ~3u), &fd, fd >= 0 ? 1 : 0);
}

static void put_word(uint32_t *words, size_t *n, uint32_t v)
{
	if (*n < MAX_MESSAGE / 4)
		words[(*n)++] = v;
}

static void put_bytes(uint32_t *words, size_t *n, const uint8_t *bytes, uint32_t len)
{
	uint32_t padded = (len + 3) & ~3u;

	if (*n + padded / 4 > MAX_MESSAGE / 4)
		return;
	memset(&words[*n], 0, padded);
	memcpy(&words[*n], bytes, len);
	*n += padded / 4;
}

/* wl_registry.bind: one byte picks the global (bindable[]), one the version. */
static void send_bind(struct fuzz_client *c, const struct object *registry, struct input *in)
{
	const struct global *g = &server->globals[next_byte(in) % N_BINDABLE];
	uint32_t version = g->version ? 1 + next_byte(in) % g->version : 1;
	uint32_t words[32];
	size_t n = 2;
	uint32_t len;

	if (!g->interface)
		return;
	len = (uint32_t)strlen(g->interface->name) + 1;
	put_word(words, &n, g->name);
	put_word(words, &n, len);
	put_bytes(words, &n, (const uint8_t *)g->interface->name, len);
	put_word(words, &n, version);
	put_word(words, &n, c->next_id);
	words[0] = registry->id;
	words[1] = (uint32_t)(n * 4) << 16 | 0;
	add_object(c, g->interface, version);
	send_message(c, words, n * 4, NULL, 0);
}

static int message_since(const struct wl_message *m)
{
	int since = 0;

	for (const char *p = m->signature; *p >= '0' && *p <= '9'; p++)
		since = since * 10 + (*p - '0');
	return since ? since : 1;
}

/*
 * One request on one of the client's objects, with arguments decoded per the request's
 * signature: integers (next_u32), strings and arrays (a length byte, then the bytes; 0xff is a
 * null string), objects (an index among the live objects of the right interface; 0xff: null),
 * new ids (the next id, never from the input), fds (a pool index).
 */
static void send_request(struct fuzz_client *c, int index, struct input *in)
{
	struct object obj = c->objects[index];
	const struct wl_message *m;
	const struct wl_interface *new_interface = NULL;
	uint32_t words[MAX_MESSAGE / 4];
	int fds[MAX_MESSAGE_FDS], n_fds = 0, allowed = 0, arg = 0;
	size_t n = 2;
	uint8_t pick;

	/* Requests this version has (they come in order of their since). */
	while (allowed < obj.interface->method_count &&
	       message_since(&obj.interface->methods[allowed]) <= (int)obj.version)
		allowed++;
	if (allowed == 0)
		return;
	pick = next_byte(in);
	m = &obj.interface->methods[pick % allowed];
	if (obj.interface == &wl_registry_interface && m == &obj.interface->methods[0]) {
		send_bind(c, &obj, in);
		return;
	}
	for (const char *p = m->signature; *p; p++) {
		bool nullable = false;
		uint8_t b;

		if (*p >= '0' && *p <= '9')
			continue;
		if (*p == '?') {
			nullable = true;
			p++;
		}
		switch (*p) {
		case 'i':
		case 'u':
		case 'f':
			put_word(words, &n, next_u32(in));
			break;
		case 's':
		case 'a': {
			uint8_t bytes[64];
			uint32_t len;

			b = next_byte(in);
			if (*p == 's' && b == 0xff) {
				put_word(words, &n, 0);
				break;
			}
			len = b % 64;
			for (uint32_t i = 0; i < len; i++)
				bytes[i] = next_byte(in);
			/* A string's length counts its NUL; the input may put one anywhere. */
			if (*p == 's' && len > 0)
				bytes[len - 1] = '\0';
			put_word(words, &n, len);
			put_bytes(words, &n, bytes, len);
			break;
		}
		case 'o':
			b = next_byte(in);
			put_word(words, &n,
				 nullable && b == 0xff ? 0 : pick_object(c, m->types[arg], b));
			break;
		case 'n':
			new_interface = m->types[arg];
			put_word(words, &n, c->next_id);
			break;
		case 'h': {
			int fd = server->pool[next_byte(in) % POOL_COUNT];

			if (fd >= 0 && n_fds < MAX_MESSAGE_FDS)
				fds[n_fds++] = fd;
			break;
		}
		default:
			break;
		}
		arg++;
	}
	words[0] = obj.id;
	words[1] = (uint32_t)(n * 4) << 16 | (uint32_t)(m - obj.interface->methods);
	if (new_interface)
		add_object(c, new_interface, obj.version);
	/* A destructor: the id is gone for this client (it is never reused: ids only grow). */
	if (strcmp(m->name, "destroy") == 0 || strcmp(m->name, "release") == 0)
		remove_object(c, index);
	send_message(c, words, n * 4, fds, n_fds);
}

/* One record: an object byte (0xff: a raw message instead), then the request. */
static void run_record(struct fuzz_client *c, struct input *in)
{
	uint8_t b = next_byte(in);

	if (b == 0xff) {
		send_raw(c, in);
		return;
	}
	if (c->n_objects > 0)
		send_request(c, b % c->n_objects, in);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input in = {data, size, 0};
	struct fuzz_client c = {.next_id = 2};
	int fds[2], before;

	if (!server)
		server = server_create();
	before = count_fds();
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) < 0)
		__builtin_trap();
	c.client = wl_client_create(server->display, fds[0]);
	if (!c.client)
		__builtin_trap();
	c.fd = fds[1];
	c.alive = true;
	c.destroy.notify = handle_client_destroy;
	wl_client_add_destroy_listener(c.client, &c.destroy);
	c.objects[c.n_objects++] = (struct object){1, 1, &wl_display_interface};
	/* At most a few hundred requests: a longer input says no more than its prefix. */
	for (int records = 0; records < 512 && c.alive && !input_done(&in); records++)
		run_record(&c, &in);
	if (c.alive)
		wl_client_destroy(c.client);
	/* Idle sources the destruction queued (wlroots frees some state from them). */
	wl_event_loop_dispatch(server->loop, 0);
	close(c.fd);
	/* Everything the client made, the server has let go of: its fds, its held commits. */
	if (count_fds() != before) {
		fprintf(stderr, "protocol_fuzz: %d fds before the client, %d after\n", before,
			count_fds());
		list_fds();
		__builtin_trap();
	}
	if (commit_gate_pending(server->gate) != 0) {
		fprintf(stderr, "protocol_fuzz: %d commits held after their client left\n",
			commit_gate_pending(server->gate));
		__builtin_trap();
	}
	return 0;
}
