// SPDX-License-Identifier: MIT
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <wayland-server-core.h>
#include <wlr/types/wlr_buffer.h>
#include <wlr/types/wlr_surface.h>
#include <wlr/util/addon.h>
#include <wlr/util/log.h>

#include "trace.h"

#if !SB_TRACE

struct sb_trace *sb_trace_create(const char *path)
{
	wlr_log(WLR_ERROR, "--trace: this syncbridge was built with -Dtrace=false");
	return NULL;
}

#else

struct sb_trace {
	FILE *file;
	int pid;
	bool first;
	uint64_t next_track;
	struct wl_list surfaces; /* trace_surface.link */
};

/* Tracks 1..999 are the caller's (outputs); surfaces count from 1000. */
#define SURFACE_TRACK_BASE 1000

struct trace_surface {
	struct sb_trace *trace;
	struct wlr_surface *surface;
	uint64_t track;
	struct wlr_addon addon;
	struct wl_listener commit;
	struct wl_list buffers; /* trace_buffer.link: applied, not released yet */
	struct wl_list link;
};

/*
 * A client buffer of an applied state, until wlroots drops its last lock on it: then its
 * wl_buffer gets wl_buffer.release (linux_dmabuf_v1.c for dma-bufs, wlroots for wl_shm), if
 * the client has not destroyed it.
 */
struct trace_buffer {
	struct trace_surface *ts;
	struct wlr_buffer *buffer;
	uint32_t seq;	     /* the last applied commit that attached it */
	uint64_t applied_ns; /* when that commit was applied */
	struct wl_listener release;
	struct wl_listener destroy;
	struct wl_list link;
};

uint64_t sb_trace_now_ns(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (uint64_t)now.tv_sec * 1000000000ull + (uint64_t)now.tv_nsec;
}

struct sb_trace *sb_trace_create(const char *path)
{
	struct sb_trace *trace = calloc(1, sizeof(*trace));

	if (!trace)
		return NULL;
	trace->file = fopen(path, "we");
	if (!trace->file) {
		wlr_log_errno(WLR_ERROR, "--trace: cannot open %s", path);
		free(trace);
		return NULL;
	}
	trace->pid = (int)getpid();
	trace->first = true;
	trace->next_track = SURFACE_TRACK_BASE;
	wl_list_init(&trace->surfaces);
	/* displayTimeUnit only changes how viewers print times; ts stays in microseconds. */
	fprintf(trace->file,
		"{\"displayTimeUnit\":\"ms\",\"otherData\":{\"clock\":\"CLOCK_MONOTONIC\","
		"\"producer\":\"syncbridge\"},\"traceEvents\":[\n");
	fprintf(trace->file,
		"{\"ph\":\"M\",\"pid\":%d,\"tid\":0,\"name\":\"process_name\","
		"\"args\":{\"name\":\"syncbridge\"}}",
		trace->pid);
	trace->first = false;
	wlr_log(WLR_INFO, "tracing to %s", path);
	return trace;
}

static void trace_buffer_destroy(struct trace_buffer *tb)
{
	wl_list_remove(&tb->release.link);
	wl_list_remove(&tb->destroy.link);
	wl_list_remove(&tb->link);
	free(tb);
}

static void trace_surface_destroy(struct trace_surface *ts)
{
	struct trace_buffer *tb, *tmp;

	wl_list_for_each_safe(tb, tmp, &ts->buffers, link)
		trace_buffer_destroy(tb);
	wl_list_remove(&ts->commit.link);
	wlr_addon_finish(&ts->addon);
	wl_list_remove(&ts->link);
	free(ts);
}

static void trace_surface_addon_destroy(struct wlr_addon *addon)
{
	struct trace_surface *ts = wl_container_of(addon, ts, addon);

	trace_surface_destroy(ts);
}

static const struct wlr_addon_interface trace_surface_addon_impl = {
	.name = "syncbridge_trace",
	.destroy = trace_surface_addon_destroy,
};

/* The client's command line, for the track's name: /proc/PID/comm. */
static void client_comm(struct wl_client *client, int *pid, char *buf, size_t size)
{
	char path[64];
	FILE *f;
	pid_t p = 0;

	wl_client_get_credentials(client, &p, NULL, NULL);
	*pid = (int)p;
	snprintf(buf, size, "?");
	snprintf(path, sizeof(path), "/proc/%d/comm", (int)p);
	f = fopen(path, "re");
	if (!f)
		return;
	if (fgets(buf, (int)size, f))
		buf[strcspn(buf, "\n")] = '\0';
	fclose(f);
}

static void trace_buffer_released(struct trace_buffer *tb, uint64_t now_ns)
{
	sb_trace_instant_at(tb->ts->trace, tb->ts->track, now_ns, "wl_buffer.release",
			    "\"commit\":%u,\"held_ms\":%.3f", tb->seq,
			    (double)(now_ns - tb->applied_ns) / 1e6);
}

static void trace_buffer_handle_release(struct wl_listener *listener, void *data)
{
	struct trace_buffer *tb = wl_container_of(listener, tb, release);

	trace_buffer_released(tb, sb_trace_now_ns());
	trace_buffer_destroy(tb);
}

/* Destroyed without a release: the client destroyed the wl_buffer first, no event was sent. */
static void trace_buffer_handle_destroy(struct wl_listener *listener, void *data)
{
	struct trace_buffer *tb = wl_container_of(listener, tb, destroy);

	trace_buffer_destroy(tb);
}

/* Watches the client buffer of the state just applied until its release. */
static void trace_buffer_watch(struct trace_surface *ts, uint64_t now_ns)
{
	struct wlr_buffer *buffer = ts->surface->buffer ? ts->surface->buffer->source : NULL;
	struct trace_buffer *tb;

	if (!buffer || !(ts->surface->current.committed & WLR_SURFACE_STATE_BUFFER))
		return;
	wl_list_for_each(tb, &ts->buffers, link) {
		if (tb->buffer == buffer) {
			/* Attached again before its release: one wl_buffer.release for both. */
			tb->seq = ts->surface->current.seq;
			tb->applied_ns = now_ns;
			return;
		}
	}
	tb = calloc(1, sizeof(*tb));
	if (!tb)
		return;
	tb->ts = ts;
	tb->buffer = buffer;
	tb->seq = ts->surface->current.seq;
	tb->applied_ns = now_ns;
	/*
	 * Unlocked while the state was applied (a renderer that copied it): wlroots released it
	 * already, before this commit event.
	 */
	if (buffer->n_locks == 0) {
		trace_buffer_released(tb, now_ns);
		free(tb);
		return;
	}
	wl_list_insert(ts->buffers.prev, &tb->link);
	tb->release.notify = trace_buffer_handle_release;
	wl_signal_add(&buffer->events.release, &tb->release);
	tb->destroy.notify = trace_buffer_handle_destroy;
	wl_signal_add(&buffer->events.destroy, &tb->destroy);
}

/* wlr_surface's commit event: a state has become current (held ones included, when released). */
static void trace_surface_commit(struct wl_listener *listener, void *data)
{
	struct trace_surface *ts = wl_container_of(listener, ts, commit);
	uint64_t now_ns = sb_trace_now_ns();

	sb_trace_instant_at(ts->trace, ts->track, now_ns, "applied", "\"seq\":%u",
			    ts->surface->current.seq);
	trace_buffer_watch(ts, now_ns);
}

/*
 * One trace per process: its surface addons share one owner key, so that sb_trace_surface_find
 * can look a surface's track up without the trace.
 */
static const char trace_addon_owner;

uint64_t sb_trace_surface_track(struct sb_trace *trace, struct wlr_surface *surface)
{
	struct wlr_addon *addon;
	struct trace_surface *ts;
	char comm[64];
	int pid;

	if (!trace)
		return 0;
	addon = wlr_addon_find(&surface->addons, &trace_addon_owner, &trace_surface_addon_impl);
	if (addon) {
		ts = wl_container_of(addon, ts, addon);
		return ts->track;
	}
	ts = calloc(1, sizeof(*ts));
	if (!ts)
		return 0;
	ts->trace = trace;
	ts->surface = surface;
	ts->track = trace->next_track++;
	wl_list_init(&ts->buffers);
	ts->commit.notify = trace_surface_commit;
	wl_signal_add(&surface->events.commit, &ts->commit);
	wlr_addon_init(&ts->addon, &surface->addons, &trace_addon_owner, &trace_surface_addon_impl);
	wl_list_insert(&trace->surfaces, &ts->link);
	client_comm(wl_resource_get_client(surface->resource), &pid, comm, sizeof(comm));
	sb_trace_track_name(trace, ts->track, "surface %llu (%s, pid %d)",
			    (unsigned long long)(ts->track - SURFACE_TRACK_BASE), comm, pid);
	return ts->track;
}

struct sb_trace *sb_trace_surface_find(struct wlr_surface *surface, uint64_t *track)
{
	struct wlr_addon *addon =
		wlr_addon_find(&surface->addons, &trace_addon_owner, &trace_surface_addon_impl);
	struct trace_surface *ts;

	*track = 0;
	if (!addon)
		return NULL;
	ts = wl_container_of(addon, ts, addon);
	*track = ts->track;
	return ts->trace;
}

void sb_trace_destroy(struct sb_trace *trace)
{
	struct trace_surface *ts, *tmp;

	if (!trace)
		return;
	wl_list_for_each_safe(ts, tmp, &trace->surfaces, link)
		trace_surface_destroy(ts);
	fprintf(trace->file, "\n]}\n");
	if (fclose(trace->file) != 0)
		wlr_log_errno(WLR_ERROR, "--trace: writing the trace failed");
	free(trace);
}

const char *sb_trace_str(char *buf, size_t size, const char *s)
{
	size_t n = 0;

	if (size == 0)
		return buf;
	for (; s && *s && n + 7 < size; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\') {
			buf[n++] = '\\';
			buf[n++] = (char)c;
		} else if (c < 0x20) {
			n += (size_t)snprintf(buf + n, size - n, "\\u%04x", c);
		} else {
			buf[n++] = (char)c;
		}
	}
	buf[n] = '\0';
	return buf;
}

static void event_start(struct sb_trace *trace, char ph, uint64_t track, uint64_t when_ns,
			const char *name)
{
	char escaped[128];

	fprintf(trace->file,
		",\n{\"ph\":\"%c\",\"pid\":%d,\"tid\":%llu,\"ts\":%llu.%03u,\"name\":\"%s\"", ph,
		trace->pid, (unsigned long long)track, (unsigned long long)(when_ns / 1000),
		(unsigned)(when_ns % 1000), sb_trace_str(escaped, sizeof(escaped), name));
}

static void event_args(struct sb_trace *trace, const char *args, va_list ap)
{
	if (args) {
		fputs(",\"args\":{", trace->file);
		vfprintf(trace->file, args, ap);
		fputc('}', trace->file);
	}
	fputc('}', trace->file);
}

void sb_trace_track_name(struct sb_trace *trace, uint64_t track, const char *fmt, ...)
{
	char name[128], escaped[256];
	va_list ap;

	if (!trace)
		return;
	va_start(ap, fmt);
	vsnprintf(name, sizeof(name), fmt, ap);
	va_end(ap);
	fprintf(trace->file,
		",\n{\"ph\":\"M\",\"pid\":%d,\"tid\":%llu,\"name\":\"thread_name\","
		"\"args\":{\"name\":\"%s\"}}",
		trace->pid, (unsigned long long)track,
		sb_trace_str(escaped, sizeof(escaped), name));
}

void sb_trace_instant(struct sb_trace *trace, uint64_t track, const char *name, const char *args,
		      ...)
{
	va_list ap;

	if (!trace)
		return;
	event_start(trace, 'i', track, sb_trace_now_ns(), name);
	fputs(",\"s\":\"t\"", trace->file);
	va_start(ap, args);
	event_args(trace, args, ap);
	va_end(ap);
}

void sb_trace_instant_at(struct sb_trace *trace, uint64_t track, uint64_t when_ns, const char *name,
			 const char *args, ...)
{
	va_list ap;

	if (!trace)
		return;
	event_start(trace, 'i', track, when_ns, name);
	fputs(",\"s\":\"t\"", trace->file);
	va_start(ap, args);
	event_args(trace, args, ap);
	va_end(ap);
}

/* Async events ("b"/"e"): the only kind of interval allowed to overlap on one track. */
static void async_event(struct sb_trace *trace, char ph, uint64_t track, const char *name,
			uint64_t id, const char *args, va_list ap)
{
	event_start(trace, ph, track, sb_trace_now_ns(), name);
	fprintf(trace->file, ",\"cat\":\"sync\",\"id\":\"0x%llx\"", (unsigned long long)id);
	event_args(trace, args, ap);
}

void sb_trace_begin(struct sb_trace *trace, uint64_t track, const char *name, uint64_t id,
		    const char *args, ...)
{
	va_list ap;

	if (!trace)
		return;
	va_start(ap, args);
	async_event(trace, 'b', track, name, id, args, ap);
	va_end(ap);
}

void sb_trace_end(struct sb_trace *trace, uint64_t track, const char *name, uint64_t id,
		  const char *args, ...)
{
	va_list ap;

	if (!trace)
		return;
	va_start(ap, args);
	async_event(trace, 'e', track, name, id, args, ap);
	va_end(ap);
}

#endif /* SB_TRACE */
