// SPDX-License-Identifier: MIT
/*
 * The GLES2 renderer's reads of client buffers end asynchronously, on the GPU: the frame's read
 * fence is an EGL_ANDROID_native_fence_sync fence made after the frame's commands, and it goes
 * into every client dma-buf the frame sampled as a READ fence (DMA_BUF_IOCTL_IMPORT_SYNC_FILE).
 * Releases then carry it: the release path exports what a writer must wait for (release.c), so
 * release points, fenced releases and implicit writers all wait for the GPU's reads.
 *
 * Where EGL has no native fences, the reads are made synchronous instead (glFinish): the buffers
 * hold no fence of the compositor's, and a release is an already-signalled one. The pixman
 * renderer reads on the CPU within the frame and needs neither.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <EGL/egl.h>
#include <EGL/eglext.h>
#include <GLES2/gl2.h>

#include <wlr/render/egl.h>
#include <wlr/render/gles2.h>
#include <wlr/types/wlr_buffer.h>
#include <wlr/types/wlr_scene.h>
#include <wlr/types/wlr_surface.h>
#include <wlr/util/log.h>

#include <syncbridge/dmabuf.h>
#include <syncbridge/sync_file.h>

#include "render_fence.h"

struct sb_render_fence {
	struct wlr_egl *egl;
	PFNEGLCREATESYNCKHRPROC create_sync;
	PFNEGLDESTROYSYNCKHRPROC destroy_sync;
	PFNEGLDUPNATIVEFENCEFDANDROIDPROC dup_fence_fd;
	bool native; /* EGL_ANDROID_native_fence_sync */
};

static bool has_extension(const char *list, const char *name)
{
	size_t len = strlen(name);

	for (const char *p = list; p && (p = strstr(p, name)); p += len) {
		if ((p == list || p[-1] == ' ') && (p[len] == ' ' || p[len] == '\0'))
			return true;
	}
	return false;
}

struct sb_render_fence *render_fence_create(struct wlr_renderer *renderer)
{
	struct sb_render_fence *rf;
	const char *exts;

	if (!wlr_renderer_is_gles2(renderer))
		return NULL;
	rf = calloc(1, sizeof(*rf));
	if (!rf)
		return NULL;
	rf->egl = wlr_gles2_renderer_get_egl(renderer);
	exts = eglQueryString(rf->egl->display, EGL_EXTENSIONS);
	if (has_extension(exts, "EGL_ANDROID_native_fence_sync") &&
	    has_extension(exts, "EGL_KHR_fence_sync")) {
		rf->create_sync = (PFNEGLCREATESYNCKHRPROC)eglGetProcAddress("eglCreateSyncKHR");
		rf->destroy_sync = (PFNEGLDESTROYSYNCKHRPROC)eglGetProcAddress("eglDestroySyncKHR");
		rf->dup_fence_fd = (PFNEGLDUPNATIVEFENCEFDANDROIDPROC)eglGetProcAddress(
			"eglDupNativeFenceFDANDROID");
		rf->native = rf->create_sync && rf->destroy_sync && rf->dup_fence_fd;
	}
	if (rf->native)
		wlr_log(WLR_INFO,
			"renderer: GLES2 reads of client buffers end with a native fence "
			"(EGL_ANDROID_native_fence_sync): imported into them as read fences");
	else
		wlr_log(WLR_INFO,
			"renderer: GLES2 without EGL_ANDROID_native_fence_sync: each frame's "
			"reads are finished (glFinish) before buffers are released");
	return rf;
}

void render_fence_destroy(struct sb_render_fence *rf)
{
	free(rf);
}

bool render_fence_is_native(const struct sb_render_fence *rf)
{
	return rf && rf->native;
}

/* The frame's native fence, as a sync_file; NULL on failure. The context is current. */
static struct sb_sync_file *frame_fence(struct sb_render_fence *rf)
{
	const EGLint attribs[] = {EGL_SYNC_NATIVE_FENCE_FD_ANDROID, EGL_NO_NATIVE_FENCE_FD_ANDROID,
				  EGL_NONE};
	EGLSyncKHR sync = rf->create_sync(rf->egl->display, EGL_SYNC_NATIVE_FENCE_ANDROID, attribs);
	int fd;

	if (sync == EGL_NO_SYNC_KHR)
		return NULL;
	/* The fence exists once the commands before it are flushed to the kernel. */
	glFlush();
	fd = rf->dup_fence_fd(rf->egl->display, sync);
	rf->destroy_sync(rf->egl->display, sync);
	return fd >= 0 ? sb_sync_file_import(fd) : NULL;
}

static void import_read_fence(struct wlr_surface *surface, int sx, int sy, void *data)
{
	const struct sb_sync_file *fence = data;
	struct wlr_dmabuf_attributes attribs;

	if (!surface->buffer || !wlr_buffer_get_dmabuf(&surface->buffer->base, &attribs))
		return;
	for (int i = 0; i < attribs.n_planes; i++) {
		if (i > 0 && attribs.fd[i] == attribs.fd[i - 1])
			continue;
		if (sb_dmabuf_import_sync_file(attribs.fd[i], fence, SB_ACCESS_READ) < 0)
			wlr_log_errno(WLR_DEBUG, "surface %p: read fence not imported",
				      (void *)surface);
	}
}

void render_fence_frame_done(struct sb_render_fence *rf, struct wlr_scene_output *scene_output)
{
	struct sb_sync_file *fence = NULL;

	if (!rf || !wlr_egl_make_current(rf->egl))
		return;
	if (rf->native)
		fence = frame_fence(rf);
	if (fence) {
		wlr_scene_output_for_each_surface(scene_output, import_read_fence, fence);
		sb_sync_file_destroy(fence);
	} else {
		/* No fence to hand on: the reads end here, before any buffer can be released. */
		glFinish();
	}
	wlr_egl_unset_current(rf->egl);
}
