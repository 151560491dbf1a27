/* SPDX-License-Identifier: MIT */
#ifndef SB_KMS_OUT_FENCE_H
#define SB_KMS_OUT_FENCE_H

#include <stdbool.h>

/*
 * Out-fences of the DRM backend's atomic commits (kms_out_fence.c). Off until enabled: only the
 * DRM backend's page flips ask for one.
 */
void kms_out_fence_enable(bool enable);
/*
 * The out-fence (a sync_file fd the caller owns) of the last atomic commit that lit a CRTC,
 * taken once; -1 if that commit had none.
 */
int kms_out_fence_take(void);

#endif
