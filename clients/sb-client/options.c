// SPDX-License-Identifier: MIT
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <drm_fourcc.h>

#include "linux-dmabuf-unstable-v1-client-protocol.h"
#include "options.h"
#include "pixel_format.h"
#include "util.h"

static const char usage[] =
	"usage: sb-client [options]\n"
	"A Wayland client (xdg-shell toplevels) that commits frames from buffers and fences it\n"
	"controls and records when each frame was committed, signalled, shown and released.\n"
	"\n"
	"Buffers and content:\n"
	"  --buffer shm|udmabuf|heap|vgem|gbm  where buffers come from (default shm)\n"
	"  --heap NAME                 dma-buf heap for --buffer heap (default system)\n"
	"  --gbm-device PATH           DRM node for --buffer gbm (default: the first render\n"
	"                              node, else card node, where Mesa's GBM allocates)\n"
	"  --format NAME               xrgb8888 (default), argb8888, xbgr8888, abgr8888,\n"
	"                              rgbx8888, rgba8888, bgrx8888, bgra8888, rgb565, bgr565,\n"
	"                              xrgb2101010, argb2101010, xbgr2101010, abgr2101010\n"
	"  --size WxH                  buffer and window size (default 256x256)\n"
	"  --fullscreen                xdg_toplevel.set_fullscreen before the first commit;\n"
	"                              buffers take the size of the configure that answers it\n"
	"                              (--size when it suggests none)\n"
	"  --color RRGGBB|AARRGGBB     (default 3366cc, opaque)\n"
	"  --color-from N:RRGGBB       paint frames N and later in that colour instead\n"
	"  --pattern solid|counter|edges  counter: a band that moves and the frame number in\n"
	"                              bits; edges: the top eighth white, the bottom eighth\n"
	"                              the colour's inverse (which way up it is shown)\n"
	"  --y-invert                  dma-buf rows stored bottom first, with linux-dmabuf's\n"
	"                              y_invert flag: shown the same as without it\n"
	"  --dmabuf-flags N            zwp_linux_buffer_params_v1 flags as sent, any bits\n"
	"                              (interlaced 2, bottom_first 4: for the refusal tests)\n"
	"  --label TEXT                TEXT in the window's bottom-left corner, lines split at\n"
	"                              '|' (the first drawn larger): says who is who in a picture\n"
	"  --title TEXT                the xdg_toplevel title (default sb-client)\n"
	"  --buffers N                 buffers per surface, 1-16 (default 3)\n"
	"  --surfaces N                toplevel windows, 1-64 (default 1)\n"
	"Pacing and length:\n"
	"  --rate HZ                   commit on a timer (default: on frame callbacks)\n"
	"  --frames N                  frames per surface (default: no limit)\n"
	"  --duration S                stop committing after S seconds (default: no limit)\n"
	"  --drain MS                  after the last commit, wait up to MS for callbacks,\n"
	"                              feedback and fences (default 1000)\n"
	"Fences (dma-buf buffers):\n"
	"  --fence-delay MS|never      acquire fence before each commit, signalled MS after it\n"
	"  --fence-from N              no acquire fence before frame N (default 0)\n"
	"  --later-fence-delay MS|never  a write fence imported right after each commit\n"
	"  --fence sw_sync|vgem        fence source (default sw_sync; vgem needs --buffer vgem)\n"
	"  --explicit                  acquire fence by zwp_linux_explicit_synchronization_v1,\n"
	"                              release by zwp_linux_buffer_release_v1\n"
	"  --syncobj                   acquire and release points on a DRM syncobj timeline\n"
	"                              (wp_linux_drm_syncobj_v1); --fence-delay signals the\n"
	"                              acquire point's sw_sync fence MS after the commit\n"
	"  --syncobj-late              with --syncobj: no fence for the acquire point until\n"
	"                              --fence-delay passes (then signalled from the CPU)\n"
	"  --dmabuf-version 3|4        zwp_linux_dmabuf_v1 version (default: highest, up to 4)\n"
	"  --dmabuf-create immed|async create_immed, or create + created/failed (default immed)\n"
	"Output and errors:\n"
	"  --csv FILE                  one line per frame (CLOCK_MONOTONIC ns)\n"
	"  --expect-error IFACE:CODE   exit 0 on that protocol error, 1 without it\n"
	"  --misbehave KIND            unconfigured-buffer, invalid-fence, duplicate-fence,\n"
	"                              duplicate-release, fence-on-shm\n"
	"  --display NAME              Wayland display (default $WAYLAND_DISPLAY)\n"
	"  -d, --debug                 per-commit and per-event logs to stderr\n"
	"  -h, --help\n"
	"Exit status: 0 ok, 1 failure or protocol error, 2 bad options, 77 a global, device or\n"
	"kernel interface the options need is missing.\n";

enum option_id {
	OPT_BUFFER = 256,
	OPT_HEAP,
	OPT_GBM_DEVICE,
	OPT_FORMAT,
	OPT_SIZE,
	OPT_FULLSCREEN,
	OPT_Y_INVERT,
	OPT_DMABUF_FLAGS,
	OPT_COLOR,
	OPT_COLOR_FROM,
	OPT_PATTERN,
	OPT_LABEL,
	OPT_TITLE,
	OPT_BUFFERS,
	OPT_SURFACES,
	OPT_RATE,
	OPT_FRAMES,
	OPT_DURATION,
	OPT_DRAIN,
	OPT_FENCE_DELAY,
	OPT_FENCE_FROM,
	OPT_LATER_FENCE_DELAY,
	OPT_FENCE,
	OPT_EXPLICIT,
	OPT_SYNCOBJ,
	OPT_SYNCOBJ_LATE,
	OPT_DMABUF_VERSION,
	OPT_DMABUF_CREATE,
	OPT_CSV,
	OPT_EXPECT_ERROR,
	OPT_MISBEHAVE,
	OPT_DISPLAY,
};

static const struct option long_options[] = {
	{"buffer", required_argument, NULL, OPT_BUFFER},
	{"heap", required_argument, NULL, OPT_HEAP},
	{"gbm-device", required_argument, NULL, OPT_GBM_DEVICE},
	{"format", required_argument, NULL, OPT_FORMAT},
	{"size", required_argument, NULL, OPT_SIZE},
	{"fullscreen", no_argument, NULL, OPT_FULLSCREEN},
	{"y-invert", no_argument, NULL, OPT_Y_INVERT},
	{"dmabuf-flags", required_argument, NULL, OPT_DMABUF_FLAGS},
	{"color", required_argument, NULL, OPT_COLOR},
	{"color-from", required_argument, NULL, OPT_COLOR_FROM},
	{"pattern", required_argument, NULL, OPT_PATTERN},
	{"label", required_argument, NULL, OPT_LABEL},
	{"title", required_argument, NULL, OPT_TITLE},
	{"buffers", required_argument, NULL, OPT_BUFFERS},
	{"surfaces", required_argument, NULL, OPT_SURFACES},
	{"rate", required_argument, NULL, OPT_RATE},
	{"frames", required_argument, NULL, OPT_FRAMES},
	{"duration", required_argument, NULL, OPT_DURATION},
	{"drain", required_argument, NULL, OPT_DRAIN},
	{"fence-delay", required_argument, NULL, OPT_FENCE_DELAY},
	{"fence-from", required_argument, NULL, OPT_FENCE_FROM},
	{"later-fence-delay", required_argument, NULL, OPT_LATER_FENCE_DELAY},
	{"fence", required_argument, NULL, OPT_FENCE},
	{"explicit", no_argument, NULL, OPT_EXPLICIT},
	{"syncobj", no_argument, NULL, OPT_SYNCOBJ},
	{"syncobj-late", no_argument, NULL, OPT_SYNCOBJ_LATE},
	{"dmabuf-version", required_argument, NULL, OPT_DMABUF_VERSION},
	{"dmabuf-create", required_argument, NULL, OPT_DMABUF_CREATE},
	{"csv", required_argument, NULL, OPT_CSV},
	{"expect-error", required_argument, NULL, OPT_EXPECT_ERROR},
	{"misbehave", required_argument, NULL, OPT_MISBEHAVE},
	{"display", required_argument, NULL, OPT_DISPLAY},
	{"debug", no_argument, NULL, 'd'},
	{"help", no_argument, NULL, 'h'},
	{0},
};

static const char *const buffer_names[] = {
	[BUFFER_SHM] = "shm",	[BUFFER_UDMABUF] = "udmabuf", [BUFFER_HEAP] = "heap",
	[BUFFER_VGEM] = "vgem", [BUFFER_GBM] = "gbm",
};

static const char *const misbehave_names[] = {
	[MISBEHAVE_NONE] = "none",
	[MISBEHAVE_UNCONFIGURED_BUFFER] = "unconfigured-buffer",
	[MISBEHAVE_INVALID_FENCE] = "invalid-fence",
	[MISBEHAVE_DUPLICATE_FENCE] = "duplicate-fence",
	[MISBEHAVE_DUPLICATE_RELEASE] = "duplicate-release",
	[MISBEHAVE_FENCE_ON_SHM] = "fence-on-shm",
};

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

static int bad(const char *option, const char *value, const char *expected)
{
	log_msg(SB_ERROR, "--%s %s: expected %s", option, value, expected);
	return -1;
}

static int pick(const char *value, const char *const *names, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (names[i] && strcmp(value, names[i]) == 0)
			return (int)i;
	}
	return -1;
}

/* A finite number in [min, max], the whole string. */
static int parse_double(const char *s, double min, double max, double *out)
{
	char *end;

	errno = 0;
	*out = strtod(s, &end);
	if (errno || end == s || *end || !isfinite(*out) || *out < min || *out > max)
		return -1;
	return 0;
}

static int parse_int(const char *s, long min, long max, long *out)
{
	char *end;

	errno = 0;
	*out = strtol(s, &end, 10);
	if (errno || end == s || *end || *out < min || *out > max)
		return -1;
	return 0;
}

static int parse_delay(const char *s, struct delay *delay)
{
	double ms;

	delay->set = true;
	if (strcmp(s, "never") == 0) {
		delay->never = true;
		return 0;
	}
	if (parse_double(s, 0, 3600e3, &ms) < 0)
		return -1;
	delay->never = false;
	delay->ns = (uint64_t)llround(ms * 1e6);
	return 0;
}

static int parse_size(const char *s, uint32_t *width, uint32_t *height)
{
	unsigned long w, h;
	char *end;

	errno = 0;
	w = strtoul(s, &end, 10);
	if (errno || end == s || *end != 'x')
		return -1;
	s = end + 1;
	h = strtoul(s, &end, 10);
	if (errno || end == s || *end || w < 1 || h < 1 || w > 16384 || h > 16384)
		return -1;
	*width = (uint32_t)w;
	*height = (uint32_t)h;
	return 0;
}

static int parse_color(const char *s, uint32_t *color)
{
	size_t len = strlen(s);
	unsigned long value;
	char *end;

	if (len != 6 && len != 8)
		return -1;
	errno = 0;
	value = strtoul(s, &end, 16);
	if (errno || *end)
		return -1;
	*color = len == 6 ? 0xff000000u | (uint32_t)value : (uint32_t)value;
	return 0;
}

/* N:RRGGBB or N:AARRGGBB */
static int parse_color_from(struct options *opts, const char *s)
{
	const char *colon = strchr(s, ':');
	char frame[24];
	long n;

	if (!colon || colon == s || (size_t)(colon - s) >= sizeof(frame))
		return -1;
	memcpy(frame, s, (size_t)(colon - s));
	frame[colon - s] = '\0';
	if (parse_int(frame, 0, 100000000, &n) < 0 || parse_color(colon + 1, &opts->color_from) < 0)
		return -1;
	opts->color_from_set = true;
	opts->color_from_frame = (uint64_t)n;
	return 0;
}

static int parse_expect_error(struct options *opts, const char *s)
{
	const char *colon = strrchr(s, ':');
	long code;

	if (!colon || colon == s || parse_int(colon + 1, 0, UINT32_MAX, &code) < 0)
		return -1;
	opts->expect_error = true;
	opts->expect_interface = strndup(s, (size_t)(colon - s));
	if (!opts->expect_interface)
		return -1;
	opts->expect_code = (uint32_t)code;
	return 0;
}

static int parse_one(struct options *opts, int opt, const char *arg)
{
	double d;
	long n;
	int i;

	switch (opt) {
	case OPT_BUFFER:
		if ((i = pick(arg, buffer_names, ARRAY_LEN(buffer_names))) < 0)
			return bad("buffer", arg, "shm, udmabuf, heap, vgem or gbm");
		opts->buffer = (enum buffer_kind)i;
		return 0;
	case OPT_HEAP:
		if (!*arg || strchr(arg, '/'))
			return bad("heap", arg, "a name in /dev/dma_heap");
		opts->heap = arg;
		return 0;
	case OPT_GBM_DEVICE:
		if (!*arg)
			return bad("gbm-device", arg, "a DRM node such as /dev/dri/renderD128");
		opts->gbm_device = arg;
		return 0;
	case OPT_FORMAT: {
		const struct pixel_format *format = pixel_format_by_name(arg);

		if (!format)
			return bad("format", arg, pixel_format_names());
		opts->format = format->fourcc;
		return 0;
	}
	case OPT_SIZE:
		if (parse_size(arg, &opts->width, &opts->height) < 0)
			return bad("size", arg, "WxH, each 1-16384");
		return 0;
	case OPT_Y_INVERT:
		opts->dmabuf_flags |= ZWP_LINUX_BUFFER_PARAMS_V1_FLAGS_Y_INVERT;
		return 0;
	case OPT_DMABUF_FLAGS: {
		char *end;
		unsigned long flags = strtoul(arg, &end, 0);

		if (*arg == '\0' || *end != '\0' || flags > UINT32_MAX)
			return bad("dmabuf-flags", arg, "a 32-bit number");
		opts->dmabuf_flags = (uint32_t)flags;
		return 0;
	}
	case OPT_FULLSCREEN:
		opts->fullscreen = true;
		return 0;
	case OPT_COLOR:
		if (parse_color(arg, &opts->color) < 0)
			return bad("color", arg, "RRGGBB or AARRGGBB in hex");
		return 0;
	case OPT_COLOR_FROM:
		if (parse_color_from(opts, arg) < 0)
			return bad("color-from", arg, "FRAME:RRGGBB or FRAME:AARRGGBB");
		return 0;
	case OPT_PATTERN:
		if (strcmp(arg, "solid") == 0)
			opts->pattern = PATTERN_SOLID;
		else if (strcmp(arg, "counter") == 0)
			opts->pattern = PATTERN_COUNTER;
		else if (strcmp(arg, "edges") == 0)
			opts->pattern = PATTERN_EDGES;
		else
			return bad("pattern", arg, "solid, counter or edges");
		return 0;
	case OPT_LABEL:
		opts->label = arg;
		return 0;
	case OPT_TITLE:
		opts->title = arg;
		return 0;
	case OPT_BUFFERS:
		if (parse_int(arg, 1, 16, &n) < 0)
			return bad("buffers", arg, "1-16");
		opts->buffers = (int)n;
		return 0;
	case OPT_SURFACES:
		if (parse_int(arg, 1, 64, &n) < 0)
			return bad("surfaces", arg, "1-64");
		opts->surfaces = (int)n;
		return 0;
	case OPT_RATE:
		if (parse_double(arg, 0.01, 10000, &d) < 0)
			return bad("rate", arg, "a rate in Hz, 0.01-10000");
		opts->rate_hz = d;
		return 0;
	case OPT_FRAMES:
		if (parse_int(arg, 1, 100000000, &n) < 0)
			return bad("frames", arg, "1-100000000");
		opts->frames = (uint64_t)n;
		return 0;
	case OPT_DURATION:
		if (parse_double(arg, 0.001, 86400, &d) < 0)
			return bad("duration", arg, "seconds, 0.001-86400");
		opts->duration_ns = (uint64_t)llround(d * 1e9);
		return 0;
	case OPT_DRAIN:
		if (parse_double(arg, 0, 3600e3, &d) < 0)
			return bad("drain", arg, "milliseconds");
		opts->drain_ns = (uint64_t)llround(d * 1e6);
		return 0;
	case OPT_FENCE_DELAY:
		if (parse_delay(arg, &opts->fence_delay) < 0)
			return bad("fence-delay", arg, "milliseconds or never");
		return 0;
	case OPT_FENCE_FROM:
		if (parse_int(arg, 0, 100000000, &n) < 0)
			return bad("fence-from", arg, "a frame number, 0-100000000");
		opts->fence_from = (uint64_t)n;
		return 0;
	case OPT_LATER_FENCE_DELAY:
		if (parse_delay(arg, &opts->later_fence_delay) < 0)
			return bad("later-fence-delay", arg, "milliseconds or never");
		return 0;
	case OPT_FENCE:
		if (strcmp(arg, "sw_sync") == 0)
			opts->fence = FENCE_SW_SYNC;
		else if (strcmp(arg, "vgem") == 0)
			opts->fence = FENCE_VGEM;
		else
			return bad("fence", arg, "sw_sync or vgem");
		return 0;
	case OPT_EXPLICIT:
		opts->explicit_sync = true;
		return 0;
	case OPT_SYNCOBJ:
		opts->syncobj = true;
		return 0;
	case OPT_SYNCOBJ_LATE:
		opts->syncobj_late = true;
		return 0;
	case OPT_DMABUF_VERSION:
		if (parse_int(arg, 3, 4, &n) < 0)
			return bad("dmabuf-version", arg, "3 or 4");
		opts->dmabuf_version = (uint32_t)n;
		return 0;
	case OPT_DMABUF_CREATE:
		if (strcmp(arg, "immed") == 0)
			opts->dmabuf_create = DMABUF_CREATE_IMMED;
		else if (strcmp(arg, "async") == 0)
			opts->dmabuf_create = DMABUF_CREATE_ASYNC;
		else
			return bad("dmabuf-create", arg, "immed or async");
		return 0;
	case OPT_CSV:
		opts->csv = arg;
		return 0;
	case OPT_EXPECT_ERROR:
		if (opts->expect_error || parse_expect_error(opts, arg) < 0)
			return bad("expect-error", arg, "INTERFACE:CODE, once");
		return 0;
	case OPT_MISBEHAVE:
		if ((i = pick(arg, misbehave_names, ARRAY_LEN(misbehave_names))) < 0)
			return bad("misbehave", arg,
				   "unconfigured-buffer, invalid-fence, duplicate-fence, "
				   "duplicate-release or fence-on-shm");
		opts->misbehave = (enum misbehave)i;
		return 0;
	case OPT_DISPLAY:
		opts->display = arg;
		return 0;
	case 'd':
		opts->debug = true;
		return 0;
	default:
		return -1;
	}
}

static int conflict(const char *what)
{
	log_msg(SB_ERROR, "%s", what);
	return -1;
}

/* Combinations that cannot work, refused before anything is opened. */
static int options_check(struct options *opts)
{
	bool dmabuf = options_dmabuf(opts);
	bool fences = opts->fence_delay.set || opts->later_fence_delay.set;

	/* The buffers of a --fullscreen window are made after the first configure. */
	if (opts->fullscreen && opts->misbehave == MISBEHAVE_UNCONFIGURED_BUFFER)
		return conflict(
			"--misbehave unconfigured-buffer has no buffer before the configure "
			"with --fullscreen");
	switch (opts->misbehave) {
	case MISBEHAVE_INVALID_FENCE:
	case MISBEHAVE_DUPLICATE_RELEASE:
		opts->explicit_sync = true;
		break;
	case MISBEHAVE_DUPLICATE_FENCE:
		opts->explicit_sync = true;
		if (!opts->fence_delay.set)
			opts->fence_delay = (struct delay){.set = true};
		break;
	case MISBEHAVE_FENCE_ON_SHM:
		if (opts->buffer != BUFFER_SHM)
			return conflict("--misbehave fence-on-shm needs --buffer shm");
		opts->explicit_sync = true;
		if (!opts->fence_delay.set)
			opts->fence_delay = (struct delay){.set = true};
		return 0;
	default:
		break;
	}
	/* zwp_linux_buffer_params_v1.flags: wl_shm has no such flag. */
	if (opts->dmabuf_flags && !dmabuf)
		return conflict("--y-invert and --dmabuf-flags need a dma-buf buffer (--buffer "
				"udmabuf, heap, vgem or gbm)");
	/* An implicit fence lives in a dma-buf's dma_resv: a wl_shm buffer has none. */
	if (fences && !dmabuf)
		return conflict("--fence-delay and --later-fence-delay need a dma-buf buffer "
				"(--buffer udmabuf, heap, vgem or gbm)");
	/* linux-explicit-synchronization-unstable-v1: unsupported_buffer for non-dma-buf buffers. */
	if (opts->explicit_sync && !dmabuf && opts->misbehave == MISBEHAVE_NONE)
		return conflict(
			"--explicit needs a dma-buf buffer (--buffer udmabuf, heap, vgem or gbm)");
	/* linux-drm-syncobj-v1: unsupported_buffer for non-dma-buf buffers. */
	if (opts->syncobj && !dmabuf)
		return conflict(
			"--syncobj needs a dma-buf buffer (--buffer udmabuf, heap, vgem or gbm)");
	if (opts->syncobj && opts->explicit_sync)
		return conflict(
			"--syncobj and --explicit are two ways of doing the same: pick one");
	if (opts->syncobj_late && !opts->syncobj)
		return conflict("--syncobj-late needs --syncobj");
	if (opts->syncobj && opts->fence == FENCE_VGEM && opts->fence_delay.set &&
	    !opts->syncobj_late)
		return conflict("--syncobj imports a sync_file into the acquire point: use --fence "
				"sw_sync or --syncobj-late");
	if (opts->fence_from && !opts->fence_delay.set)
		return conflict("--fence-from needs --fence-delay");
	if (opts->fence_from && opts->syncobj_late)
		return conflict("--fence-from and --syncobj-late: pick one");
	if (opts->gbm_device && opts->buffer != BUFFER_GBM)
		return conflict("--gbm-device needs --buffer gbm");
	if (opts->fence == FENCE_VGEM && opts->buffer != BUFFER_VGEM)
		return conflict("--fence vgem needs --buffer vgem: vgem fences attach to a vgem "
				"buffer object");
	if (opts->fence == FENCE_VGEM && opts->explicit_sync)
		return conflict("--explicit sends a sync_file: use --fence sw_sync");
	/*
	 * DRM_IOCTL_VGEM_FENCE_ATTACH refuses a write fence (EBUSY) while any fence on the buffer
	 * is pending, so a later vgem fence cannot join a pending acquire fence.
	 */
	if (opts->fence == FENCE_VGEM && opts->fence_delay.set && opts->later_fence_delay.set)
		return conflict("--fence vgem cannot add a later fence while the acquire fence is "
				"pending (vgem: EBUSY): use --fence sw_sync");
	return 0;
}

int options_parse(struct options *opts, int argc, char *argv[])
{
	int opt;

	*opts = (struct options){
		.buffer = BUFFER_SHM,
		.heap = "system",
		.width = 256,
		.height = 256,
		.format = DRM_FORMAT_XRGB8888,
		.color = 0xff3366cc,
		.pattern = PATTERN_SOLID,
		.buffers = 3,
		.surfaces = 1,
		.fence = FENCE_SW_SYNC,
		.dmabuf_create = DMABUF_CREATE_IMMED,
		.drain_ns = 1000000000u,
	};
	while ((opt = getopt_long(argc, argv, "dh", long_options, NULL)) != -1) {
		if (opt == 'h') {
			fputs(usage, stdout);
			return 1;
		}
		if (opt == '?' || parse_one(opts, opt, optarg) < 0) {
			fputs("Try 'sb-client --help'.\n", stderr);
			return -1;
		}
	}
	if (optind < argc) {
		log_msg(SB_ERROR, "unexpected argument '%s'", argv[optind]);
		return -1;
	}
	return options_check(opts);
}

void options_finish(struct options *opts)
{
	free((char *)opts->expect_interface);
	opts->expect_interface = NULL;
}

bool options_dmabuf(const struct options *opts)
{
	return opts->buffer != BUFFER_SHM;
}

const char *options_buffer_name(enum buffer_kind kind)
{
	return buffer_names[kind];
}
