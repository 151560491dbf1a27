/* SPDX-License-Identifier: MIT */
#ifndef SB_RELEASE_H
#define SB_RELEASE_H

#include <stdbool.h>

struct sb_release;
struct sb_sync_file;
struct wlr_buffer;

/*
 * The release path: tells an explicit-sync server when the compositor is done reading a buffer it
 * was given in a commit. That is when wlroots drops its last lock on the buffer (the renderer's
 * texture is gone: a newer buffer replaced it, or the surface or client went away).
 *
 * read_fence is what a writer of the buffer must still wait for at that moment: for a dma-buf,
 * the fences its implicit readers hold (EXPORT_SYNC_FILE with WRITE access: scanout, a screencopy
 * copy, or a reader the compositor imported a fence for), or NULL when nothing is pending (the
 * pixman renderer reads synchronously). The callback takes ownership of read_fence. The watch
 * frees itself after the callback; it never fires twice.
 *
 * With a loop, a release is answered from an idle source of it (the end of the loop iteration in
 * which wlroots dropped the buffer, before events are flushed); a destroyed buffer at once.
 */
typedef void (*sb_release_func_t)(struct sb_sync_file *read_fence, void *data);

struct wl_event_loop;
struct sb_release *sb_release_watch(struct wlr_buffer *buffer, struct wl_event_loop *loop,
				    sb_release_func_t func, void *data);
/* Forgets a watch that has not fired: the callback is never called. */
void sb_release_cancel(struct sb_release *release);

/*
 * The read_fence above, taken now, for a server that decides itself when a commit is done with a
 * buffer (zwp_linux_explicit_synchronization_v1 releases per commit, not per last lock). The
 * caller owns the result; NULL when nothing is pending.
 */
struct sb_sync_file *sb_release_read_fence(struct wlr_buffer *buffer);

/*
 * The buffer that a state the commit gate holds replaces is dropped at the end of the loop
 * iteration in which the gate applies the state, not inside the apply (release.c says why).
 * Subscribes to gate's events until the gate is destroyed; false (logged) without memory.
 */
struct sb_commit_gate;
bool sb_release_hold_replaced(struct sb_commit_gate *gate, struct wl_event_loop *loop);

#endif
