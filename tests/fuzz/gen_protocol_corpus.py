#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Writes the seed inputs of the protocol fuzz target (tests/fuzz/protocol_fuzz.c) into
tests/fuzz/corpus/protocol/: one file per request sequence worth starting from, each reaching
one request or protocol error of the sync servers, the gate or linux-dmabuf. The input format is
protocol_fuzz.c's decoder; this file mirrors it (object table, opcodes, argument encoding).

    tests/fuzz/gen_protocol_corpus.py [DIR]
"""
import os
import struct
import sys

# protocol_fuzz.c's bindable[] and pool slots, in their order.
BINDABLE = ["wl_compositor", "wl_subcompositor", "wl_shm", "xdg_wm_base", "zwp_linux_dmabuf_v1",
            "zwp_linux_explicit_synchronization_v1", "wp_linux_drm_syncobj_manager_v1",
            "wp_fifo_manager_v1", "wp_commit_timing_manager_v1", "wp_presentation"]
FD_NONE, FD_MEMFD, FD_PIPE_R, FD_PIPE_W, FD_EVENTFD, FD_DEV_NULL = range(6)
FD_FENCE_PENDING, FD_FENCE_SIGNALED, FD_DMABUF, FD_SYNCOBJ = 6, 7, 8, 9

XRGB8888 = 0x34325258
ARGB8888 = 0x34325241


def u32(v):
    """next_u32(): small values in one byte, else a 0xfe/0xff prefix."""
    v &= 0xffffffff
    if v < 0xfe:
        return bytes([v])
    if v < 0x10000:
        return bytes([0xfe]) + struct.pack("<H", v)
    return bytes([0xff]) + struct.pack("<I", v)


class Seq:
    def __init__(self):
        self.objects = [("wl_display", "display")]  # (interface, label), creation order
        self.data = b""

    def index(self, label):
        return [o[1] for o in self.objects].index(label)

    def obj_arg(self, label):
        """An 'o' argument: the index among live objects of the same interface."""
        iface = self.objects[self.index(label)][0]
        return bytes([[o[1] for o in self.objects if o[0] == iface].index(label)])

    def req(self, label, opcode, args=b"", new=None, destroy=False):
        self.data += bytes([self.index(label), opcode]) + args
        if new:
            self.objects.append(new)
        if destroy:
            del self.objects[self.index(label)]
        return self

    def raw(self, obj_id, opcode, body, fd=FD_NONE):
        self.data += bytes([0xff]) + u32(obj_id) + bytes([opcode, len(body), fd]) + body
        return self

    # Helpers for the usual start.
    def registry(self):
        return self.req("display", 1, new=("wl_registry", "registry"))

    def bind(self, iface, version, label=None):
        self.data += bytes([self.index("registry"), 0, BINDABLE.index(iface), version - 1])
        self.objects.append((iface, label or iface))
        return self

    def surface(self, label="surface"):
        return self.req("wl_compositor", 0, new=("wl_surface", label))

    def shm_buffer(self, label="buffer", w=16, h=16):
        if "pool" not in [o[1] for o in self.objects]:
            self.req("wl_shm", 0, bytes([FD_MEMFD]) + u32(65536), new=("wl_shm_pool", "pool"))
        # wl_shm_pool.create_buffer: new_id, offset, width, height, stride, format (0: ARGB8888).
        return self.req("pool", 0, u32(0) + u32(w) + u32(h) + u32(w * 4) + u32(0),
                        new=("wl_buffer", label))

    def dmabuf_buffer(self, label="dmabuf", fd=FD_DMABUF, w=64, h=64, fmt=XRGB8888, mod=(0, 0)):
        self.req("zwp_linux_dmabuf_v1", 1, new=("zwp_linux_buffer_params_v1", label + "-params"))
        self.req(label + "-params", 1, bytes([fd]) + u32(0) + u32(0) + u32(w * 4) + u32(mod[0]) +
                 u32(mod[1]))
        return self.req(label + "-params", 3, u32(w) + u32(h) + u32(fmt) + u32(0),
                        new=("wl_buffer", label))

    def attach(self, surface, buffer):
        return self.req(surface, 1, (self.obj_arg(buffer) if buffer else b"\xff") + u32(0) +
                        u32(0))

    def commit(self, surface="surface"):
        return self.req(surface, 6)

    def explicit(self, surface="surface", label="sync"):
        if "zwp_linux_explicit_synchronization_v1" not in [o[0] for o in self.objects]:
            self.bind("zwp_linux_explicit_synchronization_v1", 2)
        return self.req("zwp_linux_explicit_synchronization_v1", 1, self.obj_arg(surface),
                        new=("zwp_linux_surface_synchronization_v1", label))


def base(*globals_):
    s = Seq().registry()
    for g, v in globals_:
        s.bind(g, v)
    return s


def seeds():
    sync = [("wl_compositor", 4), ("wl_shm", 1), ("zwp_linux_explicit_synchronization_v1", 2)]
    dmabuf = [("wl_compositor", 4), ("zwp_linux_dmabuf_v1", 4),
              ("zwp_linux_explicit_synchronization_v1", 2)]
    out = {}

    out["registry-bind-all"] = Seq().registry()
    for g in BINDABLE:
        out["registry-bind-all"].bind(g, 1)
    out["shm-commit-frame"] = base(*sync[:2]).surface().shm_buffer().attach(
        "surface", "buffer").req("surface", 3, new=("wl_callback", "frame")).commit()

    # zwp_linux_explicit_synchronization_v1
    s = base(*sync).surface().explicit().req("sync", 1, bytes([FD_FENCE_SIGNALED]))
    out["explicit-fence-no-buffer"] = s.commit()
    s = base(*sync).surface().shm_buffer().explicit().req("sync", 1, bytes([FD_FENCE_PENDING]))
    out["explicit-fence-on-shm"] = s.attach("surface", "buffer").commit()
    s = base(*sync).surface().explicit().req("sync", 1, bytes([FD_PIPE_R]))
    out["explicit-fence-not-sync-file"] = s
    s = base(*sync).surface().explicit().req("sync", 1, bytes([FD_NONE]))
    out["explicit-fence-missing-fd"] = s
    s = base(*sync).surface().explicit()
    out["explicit-fence-duplicate"] = s.req("sync", 1, bytes([FD_FENCE_SIGNALED])).req(
        "sync", 1, bytes([FD_FENCE_SIGNALED]))
    s = base(*sync).surface().explicit()
    out["explicit-release-duplicate"] = s.req(
        "sync", 2, new=("zwp_linux_buffer_release_v1", "r1")).req(
        "sync", 2, new=("zwp_linux_buffer_release_v1", "r2"))
    s = base(*sync).surface().explicit().explicit(label="sync2")
    out["explicit-synchronization-exists"] = s
    s = base(*sync).surface().shm_buffer().explicit()
    for i in range(3):
        s.req("sync", 2, new=("zwp_linux_buffer_release_v1", "r%d" % i)).attach(
            "surface", "buffer").commit()
    out["explicit-release-three-commits"] = s.req("surface", 0, destroy=True)
    s = base(*sync).surface().shm_buffer().explicit().req(
        "sync", 2, new=("zwp_linux_buffer_release_v1", "r")).req("sync", 0, destroy=True)
    out["explicit-release-after-sync-destroy"] = s.attach("surface", "buffer").commit()
    s = base(*sync).surface().explicit().req("surface", 0, destroy=True)
    out["explicit-surface-destroyed"] = s.req("sync", 1, bytes([FD_FENCE_SIGNALED])).req(
        "sync", 2, new=("zwp_linux_buffer_release_v1", "r"))
    s = base(*sync).surface().explicit().req(
        "sync", 2, new=("zwp_linux_buffer_release_v1", "r")).req("sync", 0, destroy=True)
    out["explicit-release-no-buffer-after-destroy"] = s.commit()
    s = base(*dmabuf).surface().dmabuf_buffer().explicit().req(
        "sync", 1, bytes([FD_FENCE_PENDING])).req(
        "sync", 2, new=("zwp_linux_buffer_release_v1", "r"))
    out["explicit-dmabuf-pending-fence"] = s.attach("surface", "dmabuf").commit()
    s = base(*dmabuf).surface().dmabuf_buffer().explicit()
    for fence in (FD_FENCE_SIGNALED, FD_FENCE_PENDING, FD_FENCE_SIGNALED):
        s.req("sync", 1, bytes([fence])).req(
            "sync", 2, new=("zwp_linux_buffer_release_v1", "r%d" % fence)).attach(
            "surface", "dmabuf").commit()
    out["explicit-dmabuf-held-commits"] = s

    # linux-dmabuf and the gate's implicit path
    d = [("wl_compositor", 4), ("zwp_linux_dmabuf_v1", 4)]
    out["dmabuf-implicit-commit"] = base(*d).surface().dmabuf_buffer().attach(
        "surface", "dmabuf").commit().attach("surface", None).commit()
    out["dmabuf-memfd-refused"] = base(*d).dmabuf_buffer(fd=FD_MEMFD)
    s = base(*d).req("zwp_linux_dmabuf_v1", 1, new=("zwp_linux_buffer_params_v1", "p"))
    out["dmabuf-params-errors"] = s.req(
        "p", 1, bytes([FD_MEMFD]) + u32(7) + u32(0) + u32(256) + u32(0) + u32(0))
    s = base(*d).req("zwp_linux_dmabuf_v1", 1, new=("zwp_linux_buffer_params_v1", "p"))
    out["dmabuf-plane-set-twice"] = s.req(
        "p", 1, bytes([FD_MEMFD]) + u32(0) * 5).req("p", 1, bytes([FD_EVENTFD]) + u32(0) * 5)
    s = base(*d).req("zwp_linux_dmabuf_v1", 1, new=("zwp_linux_buffer_params_v1", "p"))
    out["dmabuf-create-incomplete"] = s.req("p", 2, u32(64) + u32(64) + u32(XRGB8888) + u32(0))
    out["dmabuf-out-of-bounds"] = base(*d).dmabuf_buffer(fd=FD_MEMFD, w=4096, h=4096)
    out["dmabuf-bad-modifier"] = base(*d).dmabuf_buffer(mod=(0x01000000, 1))
    out["dmabuf-bad-format"] = base(*d).dmabuf_buffer(fmt=0x3231564e)
    s = base(*d).dmabuf_buffer()
    out["dmabuf-params-reused"] = s.req("dmabuf-params", 2, u32(64) + u32(64) +
                                        u32(XRGB8888) + u32(0))
    s = base(*d).surface().req("zwp_linux_dmabuf_v1", 2, new=("zwp_linux_dmabuf_feedback_v1",
                                                               "f1"))
    out["dmabuf-feedback"] = s.req("zwp_linux_dmabuf_v1", 3, b"\x00",
                                   new=("zwp_linux_dmabuf_feedback_v1", "f2"))
    out["dmabuf-v3-create"] = base(("zwp_linux_dmabuf_v1", 3)).req(
        "zwp_linux_dmabuf_v1", 1, new=("zwp_linux_buffer_params_v1", "p")).req(
        "p", 1, bytes([FD_DMABUF]) + u32(0) + u32(0) + u32(256) + u32(0) + u32(0)).req(
        "p", 2, u32(64) + u32(64) + u32(ARGB8888) + u32(0))

    # wp_linux_drm_syncobj_v1 (only where a DRM device has timelines)
    so = [("wl_compositor", 4), ("zwp_linux_dmabuf_v1", 4), ("wp_linux_drm_syncobj_manager_v1", 1)]
    s = base(*so).surface().req("wp_linux_drm_syncobj_manager_v1", 1, b"\x00",
                                new=("wp_linux_drm_syncobj_surface_v1", "ss"))
    s.req("wp_linux_drm_syncobj_manager_v1", 2, bytes([FD_EVENTFD]),
          new=("wp_linux_drm_syncobj_timeline_v1", "t"))
    s.req("ss", 1, b"\x00" + u32(0) + u32(1)).req("ss", 2, b"\x00" + u32(0) + u32(2))
    out["syncobj-eventfd-refused"] = s
    s = base(*so).surface().req("wp_linux_drm_syncobj_manager_v1", 1, b"\x00",
                                new=("wp_linux_drm_syncobj_surface_v1", "ss"))
    s.req("wp_linux_drm_syncobj_manager_v1", 2, bytes([FD_SYNCOBJ]),
          new=("wp_linux_drm_syncobj_timeline_v1", "t"))
    s.req("ss", 1, b"\x00" + u32(0) + u32(1)).req("ss", 2, b"\x00" + u32(0) + u32(2))
    out["syncobj-points-commit"] = s.dmabuf_buffer().attach("surface", "dmabuf").commit()
    s = base(*so).surface().req("wp_linux_drm_syncobj_manager_v1", 1, b"\x00",
                                new=("wp_linux_drm_syncobj_surface_v1", "ss"))
    s.req("wp_linux_drm_syncobj_manager_v1", 2, bytes([FD_SYNCOBJ]),
          new=("wp_linux_drm_syncobj_timeline_v1", "t"))
    s.dmabuf_buffer().req("ss", 1, b"\x00" + u32(0) + u32(5)).req(
        "ss", 2, b"\x00" + u32(0) + u32(5)).attach("surface", "dmabuf")
    out["syncobj-conflicting-points"] = s.commit()
    s = base(*so).surface().req("wp_linux_drm_syncobj_manager_v1", 1, b"\x00",
                                new=("wp_linux_drm_syncobj_surface_v1", "ss"))
    s.req("wp_linux_drm_syncobj_manager_v1", 2, bytes([FD_SYNCOBJ]),
          new=("wp_linux_drm_syncobj_timeline_v1", "t"))
    s.req("ss", 1, b"\x00" + u32(0) + u32(1)).req("t", 0, destroy=True)
    out["syncobj-timeline-destroyed-no-buffer"] = s.commit()
    s = base(*so).surface().req("wp_linux_drm_syncobj_manager_v1", 1, b"\x00",
                                new=("wp_linux_drm_syncobj_surface_v1", "ss"))
    out["syncobj-surface-exists"] = s.req("wp_linux_drm_syncobj_manager_v1", 1, b"\x00",
                                          new=("wp_linux_drm_syncobj_surface_v1", "ss2"))

    # shells and subsurfaces around the gate
    x = [("wl_compositor", 4), ("xdg_wm_base", 2), ("wl_shm", 1)]
    s = base(*x).surface().req("xdg_wm_base", 2, b"\x00", new=("xdg_surface", "xs"))
    out["xdg-toplevel-commit"] = s.req("xs", 1, new=("xdg_toplevel", "top")).commit().shm_buffer(
    ).attach("surface", "buffer").commit()
    s = base(("wl_compositor", 4), ("wl_subcompositor", 1), ("wl_shm", 1)).surface().surface(
        "child")
    out["subsurface-commit"] = s.req("wl_subcompositor", 1, b"\x01\x00",
                                     new=("wl_subsurface", "sub")).shm_buffer().attach(
        "child", "buffer").commit("child").commit()

    # wp_fifo_v1: barriers no output frame clears here (the backend is not started)
    ff = [("wl_compositor", 4), ("wl_shm", 1), ("wp_fifo_manager_v1", 1)]

    def fifo(s, label="fifo", surface="surface"):
        return s.req("wp_fifo_manager_v1", 1, s.obj_arg(surface), new=("wp_fifo_v1", label))
    s = fifo(base(*ff).surface()).shm_buffer()
    out["fifo-barrier-then-wait"] = s.req("fifo", 0).attach("surface", "buffer").commit().req(
        "fifo", 1).attach("surface", "buffer").commit()
    s = fifo(base(*ff).surface()).shm_buffer().req("fifo", 0).commit()
    for i in range(3):
        s.req("fifo", 1).attach("surface", "buffer").commit()
    out["fifo-waits-queued-then-disconnect"] = s
    out["fifo-exists"] = fifo(fifo(base(*ff).surface()), "fifo2")
    s = fifo(base(*ff).surface()).req("surface", 0, destroy=True)
    out["fifo-surface-destroyed"] = s.req("fifo", 0)
    s = fifo(base(*ff).surface()).shm_buffer().req("fifo", 0).commit().req("fifo", 1)
    out["fifo-destroyed-before-commit"] = s.req("fifo", 2, destroy=True).attach(
        "surface", "buffer").commit()

    # wp_commit_timing_v1: targets in the past, the far future and invalid
    ct = [("wl_compositor", 4), ("wl_shm", 1), ("wp_commit_timing_manager_v1", 1)]

    def timer(s, label="timer", surface="surface"):
        return s.req("wp_commit_timing_manager_v1", 1, s.obj_arg(surface),
                     new=("wp_commit_timer_v1", label))
    s = timer(base(*ct).surface()).shm_buffer()
    out["timing-past-target"] = s.req("timer", 0, u32(0) + u32(1) + u32(0)).attach(
        "surface", "buffer").commit()
    s = timer(base(*ct).surface()).shm_buffer()
    out["timing-far-future-then-disconnect"] = s.req(
        "timer", 0, u32(1) + u32(0) + u32(0)).attach("surface", "buffer").commit()
    s = timer(base(*ct).surface())
    out["timing-invalid-nsec"] = s.req("timer", 0, u32(0) + u32(1) + u32(1000000000))
    s = timer(base(*ct).surface())
    out["timing-timestamp-twice"] = s.req("timer", 0, u32(0) + u32(1) + u32(0)).req(
        "timer", 0, u32(0) + u32(2) + u32(0))
    out["timing-timer-exists"] = timer(timer(base(*ct).surface()), "timer2")
    s = timer(base(*ct).surface()).req("surface", 0, destroy=True)
    out["timing-surface-destroyed"] = s.req("timer", 0, u32(0) + u32(1) + u32(0))

    # wp_presentation: feedback that no output frame presents
    pt = [("wl_compositor", 4), ("wl_shm", 1), ("wp_presentation", 1)]
    s = base(*pt).surface().shm_buffer()
    out["presentation-feedback-commit"] = s.req(
        "wp_presentation", 1, s.obj_arg("surface"),
        new=("wp_presentation_feedback", "fb")).attach("surface", "buffer").commit()
    s = base(*pt).surface()
    out["presentation-feedback-surface-destroyed"] = s.req(
        "wp_presentation", 1, s.obj_arg("surface"),
        new=("wp_presentation_feedback", "fb")).req("surface", 0, destroy=True)

    # the wl_surface dispatcher: every request, a NULL buffer and a negative scale
    s = base(("wl_compositor", 4), ("wl_shm", 1)).surface().shm_buffer()
    s.req("wl_compositor", 1, new=("wl_region", "region"))
    s.attach("surface", "buffer").req("surface", 2, u32(0) + u32(0) + u32(8) + u32(8))
    s.req("surface", 3, new=("wl_callback", "cb")).req("surface", 4, s.obj_arg("region"))
    s.req("surface", 5, s.obj_arg("region")).req("surface", 7, u32(1)).req("surface", 8, u32(1))
    s.req("surface", 9, u32(0) + u32(0) + u32(4) + u32(4)).commit().attach("surface", None)
    out["surface-every-request"] = s.commit().req("surface", 8, u32(0xffffffff)).commit()

    # raw messages libwayland must refuse
    out["raw-bad-opcode"] = Seq().registry().raw(2, 9, b"\x00" * 8)
    out["raw-short-string"] = Seq().registry().raw(2, 0, b"\x01\x00\x00\x00\xff\x00\x00\x00")
    return out


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    out_dir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "corpus", "protocol")
    os.makedirs(out_dir, exist_ok=True)
    for name, seq in sorted(seeds().items()):
        with open(os.path.join(out_dir, name), "wb") as f:
            f.write(seq.data)
    print("%d seeds in %s" % (len(seeds()), out_dir))


if __name__ == "__main__":
    main()
