// SPDX-License-Identifier: MIT
/*
 * sb_load: the client of the load benchmark (tests/bench/README.md, "Load").
 *
 * N connections in one process, each with one static xdg toplevel and M desynchronised
 * 32x32 sub-surfaces of it that commit new content at R Hz: driven by their frame callbacks when
 * R <= the output's refresh, else by one timer for all (a frame callback is then requested only
 * when none is pending). Sub-surfaces rather than M toplevels: weston 10, sway 1.7 and syncbridge
 * all composite desync sub-surfaces of a visible toplevel and send their frame callbacks, while
 * many toplevels would be tiled by sway (tiny, changing sizes) and stacked by weston.
 *
 * Per surface, the intervals between its frame callbacks (the compositor's done timestamp) are
 * measured during the measured window. A *missed frame* is an interval > 1.5 refresh periods while
 * the surface had committed new content in time (its first commit after the previous done was sent
 * within half a period of receiving it); an interval that long after a late commit counts as
 * *late* (the client's fault, not the compositor's). Buffers (-b): wl_shm; udmabuf with an implicit
 * sw_sync write fence (implicit); udmabuf with a zwp_linux_explicit_synchronization_v1 acquire
 * fence (explicit); or a third of each (mix).
 *
 * Output: one CSV line per surface (-o), and one summary line on stdout.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include <drm_fourcc.h>
#include <linux/dma-buf.h>
#include <linux/types.h>
#include <linux/udmabuf.h>
#include <wayland-client.h>

#include "linux-explicit-synchronization-unstable-v1-client-protocol.h"
#include "tc_buffer.h"
#include "tc_client.h"
#include "tc_surface.h"
#include "xdg-shell-client-protocol.h"

#define CELL 32
#define GRID_W 16
#define GRID_H 12
/*
 * The toplevel's own buffer: one transparent pixel, its window geometry the sub-surfaces' grid.
 * A full-size background would be composited under every damaged sub-surface, a cost that
 * depends on where each compositor places the windows (sway centres them all on one spot,
 * syncbridge cascades them, weston scatters them), not on the surfaces.
 */
#define BG_SIZE 4
#define N_BUFS 3
#define BUF_SIZE (CELL * CELL * 4)
/* Commits queued on one connection before a flush: libwayland 1.21's 4 KiB out buffer. */
#define FLUSH_EVERY 8
#define GAP_BINS 1000

/* Not uapi: drivers/dma-buf/sw_sync.c (Linux 6.12). */
struct sw_sync_create_fence_data {
	__u32 value;
	char name[32];
	__s32 fence;
};
#define SW_SYNC_IOC_CREATE_FENCE _IOWR('W', 0, struct sw_sync_create_fence_data)
#define SW_SYNC_IOC_INC _IOW('W', 1, __u32)

enum kind { KIND_SHM, KIND_IMPLICIT, KIND_EXPLICIT };
static const char *const kind_names[] = {"shm", "implicit", "explicit"};

struct buf {
	struct surf *surf;
	struct wl_buffer *wl_buffer;
	uint32_t *pixels;
	int dmabuf_fd; /* -1 for wl_shm */
	bool busy;     /* attached, not released */
	struct zwp_linux_buffer_release_v1 *release;
	int release_fence; /* fenced_release, -1 */
};

struct surf {
	struct conn *conn;
	int index;
	enum kind kind;
	struct wl_surface *wl_surface;
	struct wl_subsurface *subsurface;
	struct zwp_linux_surface_synchronization_v1 *sync;
	struct buf bufs[N_BUFS];
	struct wl_callback *frame_cb;
	bool want_commit; /* frame-driven, no free buffer at the done */
	uint32_t frame_number;
	bool have_prev;
	int64_t prev_done_us; /* the compositor's time of the previous done */
	int64_t prev_rx_us;   /* when we received it */
	int64_t first_commit_us;
	uint64_t commits, frames, expected, missed, late, no_buffer, max_gap_us;
};

struct conn {
	struct load *load;
	int index;
	struct tc_client *wl;
	struct tc_surface *bg; /* the toplevel */
	struct wl_buffer *bg_buffer;
	int pool_fd;
	void *pool_map;
	size_t pool_size;
	int timeline_fd;
	uint32_t point, signaled;
	struct surf *surfs;
	int unflushed;
};

struct load {
	int n_conns, per_conn;
	double rate, refresh;
	double warmup_s, measure_s;
	const char *buffers; /* -b: shm, mix, implicit or explicit */
	bool dmabuf;	     /* any but shm */
	const char *csv;
	const char *label;
	int64_t period_us;
	bool timer_driven;
	int udmabuf_fd;
	struct conn *conns;
	bool measuring;
	int64_t start_us, end_us;
	uint64_t iterations, slow_iterations, max_iteration_us, late_ticks, flush_stalls;
	uint64_t gap_hist[GAP_BINS];  /* frame intervals, 1 ms bins */
	int64_t cpu_start_us, cpu_us; /* our CPU time: is the client the bottleneck? */
};

static int64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int64_t cpu_time_us(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (int64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000 + ru.ru_utime.tv_usec +
	       ru.ru_stime.tv_usec;
}

static void die(const char *what)
{
	fprintf(stderr, "sb_load: %s: %s\n", what, strerror(errno));
	exit(2);
}

static void conn_flush(struct conn *conn)
{
	conn->unflushed = 0;
	while (wl_display_flush(conn->wl->display) < 0) {
		struct pollfd pfd = {wl_display_get_fd(conn->wl->display), POLLOUT, 0};

		if (errno != EAGAIN)
			die("wl_display_flush");
		/* The compositor is not reading: the client waits, which the stats show. */
		conn->load->flush_stalls++;
		if (poll(&pfd, 1, 5000) <= 0)
			die("compositor not reading (5 s)");
	}
}

static bool fd_ready(int fd, short events)
{
	struct pollfd pfd = {fd, events, 0};

	return poll(&pfd, 1, 0) == 1 && (pfd.revents & events);
}

static bool buf_free(struct buf *buf)
{
	if (buf->busy || buf->release)
		return false;
	if (buf->release_fence >= 0) {
		if (!fd_ready(buf->release_fence, POLLIN))
			return false;
		close(buf->release_fence);
		buf->release_fence = -1;
	}
	/* A dma-buf is writable once every fence in it (our write fence, the compositor's read
	 * fence) has signalled: poll(POLLOUT) on a dma-buf waits for all of them. */
	return buf->dmabuf_fd < 0 || fd_ready(buf->dmabuf_fd, POLLOUT);
}

static int timeline_fence(struct conn *conn)
{
	struct sw_sync_create_fence_data data = {.value = conn->point + 1};

	snprintf(data.name, sizeof(data.name), "sb_load-%u", data.value);
	if (ioctl(conn->timeline_fd, SW_SYNC_IOC_CREATE_FENCE, &data) < 0)
		die("SW_SYNC_IOC_CREATE_FENCE");
	conn->point = data.value;
	return data.fence;
}

static void conn_signal(struct conn *conn)
{
	__u32 inc = conn->point - conn->signaled;

	if (!inc)
		return;
	if (ioctl(conn->timeline_fd, SW_SYNC_IOC_INC, &inc) < 0)
		die("SW_SYNC_IOC_INC");
	conn->signaled = conn->point;
}

static const struct wl_callback_listener frame_listener;
static const struct zwp_linux_buffer_release_v1_listener release_listener;

static void surf_commit(struct surf *s)
{
	struct conn *conn = s->conn;
	struct buf *buf = NULL;

	for (int i = 0; i < N_BUFS && !buf; i++)
		if (buf_free(&s->bufs[i]))
			buf = &s->bufs[i];
	if (!buf) {
		if (conn->load->measuring)
			s->no_buffer++;
		s->want_commit = !conn->load->timer_driven;
		return;
	}
	s->want_commit = false;
	s->frame_number++;
	if (buf->dmabuf_fd >= 0) {
		struct dma_buf_sync sync = {DMA_BUF_SYNC_START | DMA_BUF_SYNC_WRITE};

		if (ioctl(buf->dmabuf_fd, DMA_BUF_IOCTL_SYNC, &sync) < 0)
			die("DMA_BUF_IOCTL_SYNC");
	}
	/* Premultiplied ARGB, not opaque: no compositor may cull one surface behind another. */
	uint32_t shade = (s->frame_number * 7 + (uint32_t)s->index * 13) & 0x7f;
	uint32_t pixel = 0x80000000u | shade << 16 | (0x7f - shade) << 8 | 0x40;

	for (int i = 0; i < CELL * CELL; i++)
		buf->pixels[i] = pixel;
	if (buf->dmabuf_fd >= 0) {
		struct dma_buf_sync sync = {DMA_BUF_SYNC_END | DMA_BUF_SYNC_WRITE};

		if (ioctl(buf->dmabuf_fd, DMA_BUF_IOCTL_SYNC, &sync) < 0)
			die("DMA_BUF_IOCTL_SYNC");
	}
	wl_surface_attach(s->wl_surface, buf->wl_buffer, 0, 0);
	wl_surface_damage_buffer(s->wl_surface, 0, 0, CELL, CELL);
	if (s->kind == KIND_IMPLICIT) {
		/* The "GPU write" of this frame: a write fence in the dma-buf, signalled after the
		 * commit is flushed (main loop). */
		struct dma_buf_import_sync_file imp = {DMA_BUF_SYNC_WRITE, timeline_fence(conn)};

		if (ioctl(buf->dmabuf_fd, DMA_BUF_IOCTL_IMPORT_SYNC_FILE, &imp) < 0)
			die("DMA_BUF_IOCTL_IMPORT_SYNC_FILE");
		close(imp.fd);
	} else if (s->kind == KIND_EXPLICIT) {
		int fence = timeline_fence(conn);

		zwp_linux_surface_synchronization_v1_set_acquire_fence(s->sync, fence);
		close(fence);
		buf->release = zwp_linux_surface_synchronization_v1_get_release(s->sync);
		zwp_linux_buffer_release_v1_add_listener(buf->release, &release_listener, buf);
	}
	if (!s->frame_cb) {
		s->frame_cb = wl_surface_frame(s->wl_surface);
		wl_callback_add_listener(s->frame_cb, &frame_listener, s);
	}
	wl_surface_commit(s->wl_surface);
	buf->busy = true;
	if (!s->first_commit_us)
		s->first_commit_us = now_us();
	if (conn->load->measuring)
		s->commits++;
	if (++conn->unflushed >= FLUSH_EVERY)
		conn_flush(conn);
}

/* One interval of gap_us ending at a done: counts its frames, missed or late. */
static void surf_account(struct surf *s, int64_t gap_us, bool in_time)
{
	struct load *load = s->conn->load;
	uint64_t periods = (uint64_t)((gap_us + load->period_us / 2) / load->period_us);

	if (periods < 1)
		periods = 1;
	s->expected += periods;
	if ((uint64_t)gap_us > s->max_gap_us)
		s->max_gap_us = (uint64_t)gap_us;
	if (gap_us * 2 <= load->period_us * 3)
		return;
	if (in_time)
		s->missed += periods - 1;
	else
		s->late += periods - 1;
}

static bool surf_in_time(const struct surf *s)
{
	return s->first_commit_us &&
	       s->first_commit_us - s->prev_rx_us <= s->conn->load->period_us / 2;
}

static void frame_done(void *data, struct wl_callback *cb, uint32_t ms)
{
	struct surf *s = data;
	struct load *load = s->conn->load;
	int64_t rx = now_us();
	/*
	 * The done timestamp is the compositor's time of the frame, not of our (possibly late)
	 * reading; only differences are used: weston's clock is CLOCK_MONOTONIC_RAW, the wlroots
	 * ones' CLOCK_MONOTONIC. A timestamp that went backwards or jumped: use our receipt.
	 */
	int64_t t = (int64_t)ms * 1000;

	wl_callback_destroy(cb);
	s->frame_cb = NULL;
	if (load->measuring) {
		int64_t gap = t - s->prev_done_us, gap_rx = rx - s->prev_rx_us;

		if (gap < 0 || gap > gap_rx + 1000000)
			gap = gap_rx;
		s->frames++;
		if (s->have_prev) {
			surf_account(s, gap, surf_in_time(s));
			load->gap_hist[gap / 1000 < GAP_BINS ? gap / 1000 : GAP_BINS - 1]++;
		}
		s->have_prev = true;
	}
	s->prev_done_us = t;
	s->prev_rx_us = rx;
	s->first_commit_us = 0;
	if (!load->timer_driven)
		surf_commit(s);
}

static const struct wl_callback_listener frame_listener = {.done = frame_done};

static void buf_released(struct buf *buf)
{
	buf->busy = false;
	if (buf->surf->want_commit)
		surf_commit(buf->surf);
}

static void buffer_release(void *data, struct wl_buffer *wl_buffer)
{
	struct buf *buf = data;

	/* For an explicit commit, zwp_linux_buffer_release_v1 says when: ignore this one. */
	if (!buf->release)
		buf_released(buf);
}

static const struct wl_buffer_listener buffer_listener = {.release = buffer_release};

static void release_fenced(void *data, struct zwp_linux_buffer_release_v1 *release, int32_t fd)
{
	struct buf *buf = data;

	buf->release_fence = fd;
	zwp_linux_buffer_release_v1_destroy(release);
	buf->release = NULL;
	buf_released(buf);
}

static void release_immediate(void *data, struct zwp_linux_buffer_release_v1 *release)
{
	struct buf *buf = data;

	zwp_linux_buffer_release_v1_destroy(release);
	buf->release = NULL;
	buf_released(buf);
}

static const struct zwp_linux_buffer_release_v1_listener release_listener = {
	.fenced_release = release_fenced,
	.immediate_release = release_immediate,
};

static void buf_init_dmabuf(struct conn *conn, struct buf *buf)
{
	struct udmabuf_create create = {.flags = UDMABUF_FLAGS_CLOEXEC, .size = BUF_SIZE};
	int memfd = memfd_create("sb_load", MFD_CLOEXEC | MFD_ALLOW_SEALING);

	if (memfd < 0 || ftruncate(memfd, BUF_SIZE) < 0)
		die("memfd");
	/* UDMABUF_CREATE requires F_SEAL_SHRINK and refuses F_SEAL_WRITE. */
	if (fcntl(memfd, F_ADD_SEALS, F_SEAL_SHRINK) < 0)
		die("F_ADD_SEALS");
	create.memfd = (__u32)memfd;
	buf->dmabuf_fd = ioctl(conn->load->udmabuf_fd, UDMABUF_CREATE, &create);
	close(memfd);
	if (buf->dmabuf_fd < 0)
		die("UDMABUF_CREATE");
	buf->pixels = mmap(NULL, BUF_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, buf->dmabuf_fd, 0);
	if (buf->pixels == MAP_FAILED)
		die("mmap(udmabuf)");
	buf->wl_buffer = tc_dmabuf_wl_buffer_create(conn->wl->dmabuf, buf->dmabuf_fd, CELL, CELL,
						    CELL * 4, DRM_FORMAT_ARGB8888);
}

static enum kind surface_kind(const struct load *load, int index)
{
	if (strcmp(load->buffers, "implicit") == 0)
		return KIND_IMPLICIT;
	if (strcmp(load->buffers, "explicit") == 0)
		return KIND_EXPLICIT;
	if (strcmp(load->buffers, "mix") == 0)
		return (enum kind)((index + 1) % 3);
	return KIND_SHM;
}

static void conn_setup(struct load *load, struct conn *conn, int index)
{
	struct wl_shm_pool *pool;
	size_t offset = 0;

	conn->load = load;
	conn->index = index;
	conn->timeline_fd = -1;
	conn->wl = tc_client_connect(NULL, TC_COMPOSITOR | TC_SUBCOMPOSITOR | TC_SHM | TC_WM_BASE |
						   TC_DMABUF | TC_EXPLICIT);
	if (!conn->wl)
		die("wl_display_connect");
	if (!tc_client_require(conn->wl, TC_COMPOSITOR | TC_SUBCOMPOSITOR | TC_SHM | TC_WM_BASE,
			       "sb_load")) {
		errno = ENOTSUP;
		die("needs wl_compositor 4, wl_subcompositor, wl_shm and xdg_wm_base");
	}
	if (load->dmabuf && !conn->wl->dmabuf) {
		errno = ENOTSUP;
		die("-b mix, implicit and explicit need zwp_linux_dmabuf_v1 3");
	}
	/* set_acquire_fence on a dma-buf is version 2. */
	if (strcmp(load->buffers, "mix") == 0 || strcmp(load->buffers, "explicit") == 0) {
		if (tc_client_global_version(
			    conn->wl, zwp_linux_explicit_synchronization_v1_interface.name) < 2) {
			errno = ENOTSUP;
			die("-b mix and explicit need zwp_linux_explicit_synchronization_v1 2");
		}
	}
	if (load->dmabuf) {
		/* Each open of sw_sync's debugfs file is a new timeline. */
		conn->timeline_fd = open("/sys/kernel/debug/sync/sw_sync", O_RDWR | O_CLOEXEC);
		if (conn->timeline_fd < 0)
			die("/sys/kernel/debug/sync/sw_sync");
	}

	conn->pool_size = BG_SIZE + (size_t)load->per_conn * N_BUFS * BUF_SIZE;
	conn->pool_fd = memfd_create("sb_load", MFD_CLOEXEC);
	if (conn->pool_fd < 0 || ftruncate(conn->pool_fd, (off_t)conn->pool_size) < 0)
		die("memfd");
	conn->pool_map =
		mmap(NULL, conn->pool_size, PROT_READ | PROT_WRITE, MAP_SHARED, conn->pool_fd, 0);
	if (conn->pool_map == MAP_FAILED)
		die("mmap");
	pool = wl_shm_create_pool(conn->wl->shm, conn->pool_fd, (int32_t)conn->pool_size);

	conn->bg = tc_surface_create(conn->wl);
	if (!conn->bg)
		die("waiting for configure");
	conn->bg->commit_on_configure = true;
	xdg_toplevel_set_app_id(conn->bg->toplevel, "sb-load");
	xdg_toplevel_set_title(conn->bg->toplevel, "sb-load");
	/* A memfd starts zeroed: the pixel is transparent. */
	conn->bg_buffer = wl_shm_pool_create_buffer(pool, 0, 1, 1, BG_SIZE, WL_SHM_FORMAT_ARGB8888);
	offset = BG_SIZE;
	/* Placement (weston, sway's floating windows) goes by the window geometry. */
	{
		int cols = load->per_conn < GRID_W ? load->per_conn : GRID_W;
		int rows = (load->per_conn + GRID_W - 1) / GRID_W;

		xdg_surface_set_window_geometry(conn->bg->xdg_surface, 0, 0, cols * CELL,
						(rows < GRID_H ? rows : GRID_H) * CELL);
	}

	conn->surfs = calloc((size_t)load->per_conn, sizeof(*conn->surfs));
	if (!conn->surfs)
		die("calloc");
	for (int i = 0; i < load->per_conn; i++) {
		struct surf *s = &conn->surfs[i];
		int cell = i % (GRID_W * GRID_H), layer = i / (GRID_W * GRID_H);

		s->conn = conn;
		s->index = i;
		s->kind = surface_kind(load, i);
		s->wl_surface = wl_compositor_create_surface(conn->wl->compositor);
		s->subsurface = wl_subcompositor_get_subsurface(conn->wl->subcompositor,
								s->wl_surface, conn->bg->surface);
		wl_subsurface_set_desync(s->subsurface);
		/* More than one grid: later layers overlap the first, shifted, still on the bg. */
		wl_subsurface_set_position(s->subsurface, cell % GRID_W * CELL + layer * 5 % CELL,
					   cell / GRID_W * CELL + layer * 3 % CELL);
		if (s->kind == KIND_EXPLICIT)
			s->sync = zwp_linux_explicit_synchronization_v1_get_synchronization(
				conn->wl->explicit_sync, s->wl_surface);
		for (int b = 0; b < N_BUFS; b++) {
			struct buf *buf = &s->bufs[b];

			buf->surf = s;
			buf->release_fence = -1;
			buf->dmabuf_fd = -1;
			if (s->kind == KIND_SHM) {
				buf->pixels = (uint32_t *)((char *)conn->pool_map + offset);
				buf->wl_buffer =
					wl_shm_pool_create_buffer(pool, (int32_t)offset, CELL, CELL,
								  CELL * 4, WL_SHM_FORMAT_ARGB8888);
				offset += BUF_SIZE;
			} else {
				buf_init_dmabuf(conn, buf);
			}
			wl_buffer_add_listener(buf->wl_buffer, &buffer_listener, buf);
		}
		surf_commit(s);
	}
	wl_shm_pool_destroy(pool);
	/* The sub-surfaces' positions apply with the parent's commit. */
	wl_surface_attach(conn->bg->surface, conn->bg_buffer, 0, 0);
	wl_surface_commit(conn->bg->surface);
	conn_flush(conn);
	conn_signal(conn);
}

static void conn_destroy(struct conn *conn)
{
	for (int i = 0; i < conn->load->per_conn; i++) {
		struct surf *s = &conn->surfs[i];

		for (int b = 0; b < N_BUFS; b++) {
			struct buf *buf = &s->bufs[b];

			if (buf->release)
				zwp_linux_buffer_release_v1_destroy(buf->release);
			wl_buffer_destroy(buf->wl_buffer);
			if (buf->release_fence >= 0)
				close(buf->release_fence);
			if (buf->dmabuf_fd >= 0) {
				munmap(buf->pixels, BUF_SIZE);
				close(buf->dmabuf_fd);
			}
		}
		if (s->frame_cb)
			wl_callback_destroy(s->frame_cb);
		if (s->sync)
			zwp_linux_surface_synchronization_v1_destroy(s->sync);
		wl_subsurface_destroy(s->subsurface);
		wl_surface_destroy(s->wl_surface);
	}
	free(conn->surfs);
	wl_buffer_destroy(conn->bg_buffer);
	tc_surface_destroy(conn->bg);
	munmap(conn->pool_map, conn->pool_size);
	close(conn->pool_fd);
	if (conn->timeline_fd >= 0)
		close(conn->timeline_fd);
	tc_client_destroy(conn->wl);
}

static void usage(FILE *f)
{
	fputs("usage: sb_load [-n CLIENTS] [-m SURFACES_PER_CLIENT] [-r HZ] [-R REFRESH_HZ]\n"
	      "               [-w WARMUP_S] [-t MEASURE_S] [-b shm|mix|implicit|explicit] [-o CSV] "
	      "[-l LABEL]\n"
	      "Connects to $WAYLAND_DISPLAY; prints one summary line; exit 0 if every surface\n"
	      "got a frame callback in the measured window, 1 if not, 2 on error.\n",
	      f);
}

static void parse(struct load *load, int argc, char **argv)
{
	int opt;

	*load = (struct load){.n_conns = 1,
			      .per_conn = 4,
			      .rate = 60,
			      .refresh = 60,
			      .warmup_s = 2,
			      .measure_s = 5,
			      .buffers = "shm",
			      .label = "-",
			      .udmabuf_fd = -1};
	while ((opt = getopt(argc, argv, "n:m:r:R:w:t:b:o:l:h")) != -1) {
		switch (opt) {
		case 'n':
			load->n_conns = atoi(optarg);
			break;
		case 'm':
			load->per_conn = atoi(optarg);
			break;
		case 'r':
			load->rate = atof(optarg);
			break;
		case 'R':
			load->refresh = atof(optarg);
			break;
		case 'w':
			load->warmup_s = atof(optarg);
			break;
		case 't':
			load->measure_s = atof(optarg);
			break;
		case 'b':
			load->buffers = optarg;
			break;
		case 'o':
			load->csv = optarg;
			break;
		case 'l':
			load->label = optarg;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			exit(2);
		}
	}
	if (load->n_conns < 1 || load->per_conn < 1 || load->rate <= 0 || load->refresh <= 0 ||
	    load->measure_s <= 0 || load->warmup_s < 0 ||
	    (strcmp(load->buffers, "shm") && strcmp(load->buffers, "mix") &&
	     strcmp(load->buffers, "implicit") && strcmp(load->buffers, "explicit"))) {
		usage(stderr);
		exit(2);
	}
	load->dmabuf = strcmp(load->buffers, "shm") != 0;
	load->period_us = (int64_t)(1e6 / load->refresh);
	/* Faster than the output: frame callbacks cannot pace it. */
	load->timer_driven = load->rate > load->refresh * 1.01;
}

static void raise_fd_limit(void)
{
	struct rlimit lim;

	/* Three udmabufs per surface (-b mix, implicit, explicit), with a few thousand surfaces. */
	if (getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur < lim.rlim_max) {
		lim.rlim_cur = lim.rlim_max;
		setrlimit(RLIMIT_NOFILE, &lim);
	}
}

static int timer_create_rate(double rate)
{
	int fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	long ns = (long)(1e9 / rate);
	struct itimerspec its = {{ns / 1000000000, ns % 1000000000},
				 {ns / 1000000000, ns % 1000000000}};

	if (fd < 0 || timerfd_settime(fd, 0, &its, NULL) < 0)
		die("timerfd");
	return fd;
}

static void tick(struct load *load, int timer_fd)
{
	uint64_t expirations = 0;

	if (read(timer_fd, &expirations, sizeof(expirations)) != sizeof(expirations))
		return;
	if (load->measuring && expirations > 1)
		load->late_ticks += expirations - 1;
	for (int c = 0; c < load->n_conns; c++)
		for (int i = 0; i < load->per_conn; i++)
			surf_commit(&load->conns[c].surfs[i]);
}

static void run(struct load *load)
{
	int n = load->n_conns;
	struct pollfd *pfds = calloc((size_t)n + 1, sizeof(*pfds));
	int timer_fd = load->timer_driven ? timer_create_rate(load->rate) : -1;
	int64_t warm_end = now_us() + (int64_t)(load->warmup_s * 1e6);

	if (!pfds)
		die("calloc");
	load->end_us = warm_end + (int64_t)(load->measure_s * 1e6);
	for (;;) {
		int64_t t0, now = now_us();

		if (!load->measuring && now >= warm_end) {
			load->measuring = true;
			load->start_us = now;
			load->cpu_start_us = cpu_time_us();
			/* For profilers that count over the same window (run-load-instructions.sh). */
			fprintf(stderr, "sb_load: measured window starts\n");
		}
		if (now >= load->end_us) {
			load->cpu_us = cpu_time_us() - load->cpu_start_us;
			fprintf(stderr, "sb_load: measured window ends\n");
			break;
		}
		for (int c = 0; c < n; c++) {
			struct conn *conn = &load->conns[c];

			if (wl_display_dispatch_pending(conn->wl->display) < 0)
				die("wl_display_dispatch_pending");
			conn_flush(conn);
			if (conn->timeline_fd >= 0)
				conn_signal(conn);
			pfds[c] = (struct pollfd){wl_display_get_fd(conn->wl->display), POLLIN, 0};
		}
		pfds[n] = (struct pollfd){timer_fd, POLLIN, 0};
		int64_t until = (load->measuring ? load->end_us : warm_end) - now;
		int ret = poll(pfds, (nfds_t)n + 1, (int)(until / 1000) + 1);

		if (ret < 0 && errno != EINTR)
			die("poll");
		t0 = now_us();
		if (timer_fd >= 0 && (pfds[n].revents & POLLIN))
			tick(load, timer_fd);
		for (int c = 0; c < n; c++) {
			if (pfds[c].revents & (POLLERR | POLLHUP)) {
				errno = ECONNRESET;
				die("compositor hung up");
			}
			if ((pfds[c].revents & POLLIN) &&
			    wl_display_dispatch(load->conns[c].wl->display) < 0)
				die("wl_display_dispatch");
		}
		if (load->measuring) {
			uint64_t took = (uint64_t)(now_us() - t0);

			load->iterations++;
			if (took > load->max_iteration_us)
				load->max_iteration_us = took;
			if ((int64_t)took * 2 > load->period_us)
				load->slow_iterations++;
		}
	}
	if (timer_fd >= 0)
		close(timer_fd);
	free(pfds);
}

/* The interval from each surface's last done to the end, as if a done came then. */
static void account_tail(struct load *load)
{
	for (int c = 0; c < load->n_conns; c++) {
		for (int i = 0; i < load->per_conn; i++) {
			struct surf *s = &load->conns[c].surfs[i];
			/* In our clock: the compositor's may be another one. */
			int64_t from = s->have_prev ? s->prev_rx_us : load->start_us;

			if (load->end_us - from > load->period_us)
				surf_account(s, load->end_us - from, surf_in_time(s));
		}
	}
}

static int report(struct load *load)
{
	FILE *csv = NULL;
	uint64_t commits = 0, frames = 0, expected = 0, missed = 0, late = 0, no_buffer = 0;
	uint64_t max_gap = 0;
	int starved = 0;
	uint64_t n_gaps = 0, seen = 0;
	int median_gap_ms = -1;

	if (load->csv) {
		csv = fopen(load->csv, "we");
		if (!csv)
			die(load->csv);
		fputs("label,client,surface,kind,rate_hz,commits,frames,expected,missed,late,"
		      "no_buffer,max_gap_us\n",
		      csv);
	}
	for (int c = 0; c < load->n_conns; c++) {
		for (int i = 0; i < load->per_conn; i++) {
			struct surf *s = &load->conns[c].surfs[i];

			if (csv)
				fprintf(csv, "%s,%d,%d,%s,%g,%lu,%lu,%lu,%lu,%lu,%lu,%lu\n",
					load->label, c, i, kind_names[s->kind], load->rate,
					s->commits, s->frames, s->expected, s->missed, s->late,
					s->no_buffer, s->max_gap_us);
			commits += s->commits;
			frames += s->frames;
			expected += s->expected;
			missed += s->missed;
			late += s->late;
			no_buffer += s->no_buffer;
			if (s->max_gap_us > max_gap)
				max_gap = s->max_gap_us;
			starved += s->frames == 0;
		}
	}
	for (int i = 0; i < GAP_BINS; i++)
		n_gaps += load->gap_hist[i];
	for (int i = 0; i < GAP_BINS && median_gap_ms < 0; i++) {
		seen += load->gap_hist[i];
		if (n_gaps && seen * 2 >= n_gaps)
			median_gap_ms = i;
	}
	if (csv && fclose(csv) != 0)
		die(load->csv);
	printf("label=%s surfaces=%d clients=%d rate_hz=%g seconds=%.3f commits=%lu frames=%lu "
	       "expected=%lu missed=%lu late=%lu no_buffer=%lu max_gap_us=%lu median_gap_ms=%d "
	       "starved=%d client_cpu_pct=%.1f iterations=%lu slow_iterations=%lu "
	       "max_iteration_us=%lu late_ticks=%lu "
	       "flush_stalls=%lu\n",
	       load->label, load->n_conns * load->per_conn, load->n_conns, load->rate,
	       (double)(load->end_us - load->start_us) / 1e6, commits, frames, expected, missed,
	       late, no_buffer, max_gap, median_gap_ms, starved,
	       100.0 * (double)load->cpu_us / (double)(load->end_us - load->start_us),
	       load->iterations, load->slow_iterations, load->max_iteration_us, load->late_ticks,
	       load->flush_stalls);
	return starved ? 1 : 0;
}

int main(int argc, char **argv)
{
	struct load load;
	int status;

	parse(&load, argc, argv);
	raise_fd_limit();
	if (load.dmabuf) {
		load.udmabuf_fd = open("/dev/udmabuf", O_RDWR | O_CLOEXEC);
		if (load.udmabuf_fd < 0)
			die("/dev/udmabuf");
	}
	load.conns = calloc((size_t)load.n_conns, sizeof(*load.conns));
	if (!load.conns)
		die("calloc");
	for (int c = 0; c < load.n_conns; c++)
		conn_setup(&load, &load.conns[c], c);
	run(&load);
	account_tail(&load);
	status = report(&load);
	for (int c = 0; c < load.n_conns; c++)
		conn_destroy(&load.conns[c]);
	free(load.conns);
	if (load.udmabuf_fd >= 0)
		close(load.udmabuf_fd);
	return status;
}
