/* SPDX-License-Identifier: MIT */
#ifndef SB_LINUX_DMABUF_V1_H
#define SB_LINUX_DMABUF_V1_H

#include <stdbool.h>
#include <wayland-server-core.h>

struct sb_bounded_sync;
struct wlr_buffer;
struct wlr_renderer;

/*
 * zwp_linux_dmabuf_v1 (version 4, with feedback) for the pixman renderer, which wlroots 0.15's
 * own implementation cannot serve (it offers only the renderer's dma-buf texture formats, and
 * pixman has none). Buffers are linear single-plane dma-bufs (the 8-bit RGB orders, RGB565, the
 * 10-bit formats) that the compositor reads through mmap, bracketed by DMA_BUF_IOCTL_SYNC.
 */
struct sb_linux_dmabuf_v1;

/*
 * renderer: offered are the linear single-plane formats it reads from wl_shm (borrowed, only
 * asked here). drm_fd: the DRM backend's device, the feedback's main device (-1 without one: the
 * first KMS card node is). sync: the server's bounded DMA_BUF_IOCTL_SYNC (borrowed, may be NULL:
 * reads are unbracketed).
 */
struct sb_linux_dmabuf_v1 *sb_linux_dmabuf_v1_create(struct wl_display *display,
						     struct wlr_renderer *renderer, int drm_fd,
						     struct sb_bounded_sync *sync);

/* The dma-buf behind a buffer of ours, or NULL if it is another kind of wlr_buffer. */
bool sb_dmabuf_buffer_is(struct wlr_buffer *buffer);
/*
 * Whether a buffer of ours was created with zwp_linux_buffer_params_v1's Y_INVERT flag: its first
 * row in memory is the bottom of the picture. Whoever shows it must flip it.
 */
bool sb_dmabuf_buffer_y_inverted(struct wlr_buffer *buffer);
/* Whether any client has a dma-buf wl_buffer of ours. */
bool sb_dmabuf_buffers_alive(void);
/*
 * DMA_BUF_IOCTL_SYNC around a CPU read of the buffer: wlroots 0.15's pixman renderer keeps the
 * mapping from texture creation and reads it while rendering, so the output brackets each frame.
 */
void sb_dmabuf_buffer_begin_cpu_read(struct wlr_buffer *buffer);
void sb_dmabuf_buffer_end_cpu_read(struct wlr_buffer *buffer);

#endif
