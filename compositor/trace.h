/* SPDX-License-Identifier: MIT */
#ifndef SB_TRACE_H
#define SB_TRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * -Dtrace=false (meson_options.txt) builds with SB_TRACE 0: every hook below is an empty inline
 * function the compiler removes, and --trace is refused. Files built outside the compositor's
 * meson target (the fuzz targets) get the default.
 */
#ifndef SB_TRACE
#define SB_TRACE 1
#endif

/*
 * `syncbridge --trace FILE.json`: a Chrome trace-event file (Perfetto's UI, chrome://tracing).
 * Timestamps are CLOCK_MONOTONIC in microseconds, the clock the kernel's ftrace uses with
 * trace_clock=mono, so tools/trace-merge.py can put the guest kernel's dma_fence events beside
 * them. One track (a "thread") per surface and per output. With tracing off, every call is one
 * NULL check: the trace is NULL and the functions return at once.
 */
struct sb_trace;

/* Opens path and writes the header; NULL (logged) on failure, and always with -Dtrace=false. */
struct sb_trace *sb_trace_create(const char *path);

#if SB_TRACE
/* Writes the closing bracket, so that the file is valid JSON; flushes and closes. */
void sb_trace_destroy(struct sb_trace *trace);

/* Names a track, e.g. "surface 3 (weston-simple-shm)"; track ids are the caller's. */
void sb_trace_track_name(struct sb_trace *trace, uint64_t track, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * An instant event on a track at now. args is NULL or a printf format for the inside of a JSON
 * object, e.g. "\"commit\":%u", whose strings the caller has passed through sb_trace_str().
 */
void sb_trace_instant(struct sb_trace *trace, uint64_t track, const char *name, const char *args,
		      ...) __attribute__((format(printf, 4, 5)));
/* The same at a given CLOCK_MONOTONIC time in ns (a presentation time, a fence's timestamp). */
void sb_trace_instant_at(struct sb_trace *trace, uint64_t track, uint64_t when_ns, const char *name,
			 const char *args, ...) __attribute__((format(printf, 5, 6)));

/*
 * An interval that may overlap others on the same track (waits of several held commits): begin
 * and end are matched by (name, id).
 */
void sb_trace_begin(struct sb_trace *trace, uint64_t track, const char *name, uint64_t id,
		    const char *args, ...) __attribute__((format(printf, 5, 6)));
void sb_trace_end(struct sb_trace *trace, uint64_t track, const char *name, uint64_t id,
		  const char *args, ...) __attribute__((format(printf, 5, 6)));

/* Escapes s for a JSON string into buf (truncating); returns buf. */
const char *sb_trace_str(char *buf, size_t size, const char *s);

uint64_t sb_trace_now_ns(void);

struct wlr_surface;
/*
 * The track of a surface: numbered in order of first use and named after the client's pid and
 * command, on first use. 0 when tracing is off.
 */
uint64_t sb_trace_surface_track(struct sb_trace *trace, struct wlr_surface *surface);

/*
 * For the protocol servers, which are not handed the trace: the trace in which surface has a
 * track, and that track (*track); NULL when it has none. The trace's subscriber to the commit
 * gate gives every surface a track at the gate's commit event, before the gate asks the servers
 * about the commit (gate_trace.c), so a server may call this from its sb_gate_source.commit.
 */
struct sb_trace *sb_trace_surface_find(struct wlr_surface *surface, uint64_t *track);

#else /* !SB_TRACE: nothing is recorded, and nothing is left to cost anything. */

struct wlr_surface;

static inline void sb_trace_destroy(struct sb_trace *trace)
{
}

/* The formats are checked in the build with the trace (-Dtrace=true, the default). */
static inline void sb_trace_track_name(struct sb_trace *trace, uint64_t track, const char *fmt, ...)
{
}

static inline void sb_trace_instant(struct sb_trace *trace, uint64_t track, const char *name,
				    const char *args, ...)
{
}

static inline void sb_trace_instant_at(struct sb_trace *trace, uint64_t track, uint64_t when_ns,
				       const char *name, const char *args, ...)
{
}

static inline void sb_trace_begin(struct sb_trace *trace, uint64_t track, const char *name,
				  uint64_t id, const char *args, ...)
{
}

static inline void sb_trace_end(struct sb_trace *trace, uint64_t track, const char *name,
				uint64_t id, const char *args, ...)
{
}

static inline const char *sb_trace_str(char *buf, size_t size, const char *s)
{
	if (size)
		buf[0] = '\0';
	return buf;
}

static inline uint64_t sb_trace_now_ns(void)
{
	return 0;
}

static inline uint64_t sb_trace_surface_track(struct sb_trace *trace, struct wlr_surface *surface)
{
	return 0;
}

static inline struct sb_trace *sb_trace_surface_find(struct wlr_surface *surface, uint64_t *track)
{
	*track = 0;
	return NULL;
}

#endif /* SB_TRACE */

#endif
