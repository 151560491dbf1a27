/* SPDX-License-Identifier: MIT */
#ifndef SB_KMS_OUT_FENCE_H
#define SB_KMS_OUT_FENCE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <xf86drmMode.h>

/*
 * Out-fences of the DRM backend's atomic commits (kms_out_fence.c), kept per CRTC for the output
 * of the connector it drives. Off until enabled: only the DRM backend's page flips ask for one.
 */
void kms_out_fence_enable(bool enable);
/*
 * The out-fence (a sync_file fd the caller owns) of the last atomic commit that lit the CRTC
 * connector drives on the DRM device of that number, taken once; -1 if there is none.
 */
int kms_out_fence_take(dev_t device, uint32_t connector);
/*
 * The number of the DRM device whose latest atomic commit that lit a CRTC bound connector to it;
 * false if none did. Asked right after an output's modeset, it names the output's own device:
 * connector ids repeat across devices, and wlroots 0.15 offers no leak-free way to the device
 * of a secondary GPU's output (wlr_backend_get_drm_fd() names its parent).
 */
bool kms_out_fence_device_of(uint32_t connector, dev_t *device);

typedef int (*kms_atomic_commit_fn)(int fd, drmModeAtomicReq *req, uint32_t flags, void *user_data);
/*
 * drmModeAtomicCommit() with OUT_FENCE_PTR on every CRTC req turns on, committed through commit
 * (libdrm's; a test's fake kernel).
 */
int kms_out_fence_commit(kms_atomic_commit_fn commit, int fd, drmModeAtomicReq *req, uint32_t flags,
			 void *user_data);

#endif
