#!/usr/bin/env python3
"""Side by side with sway 1.7 (issue #20): the globals each compositor advertises (wayland-info)
and which Debian desktop programs start and show something on each, both headless (pixman,
1280x720). Run as root (sway runs as nobody, /work/shared/PEERS.md). Writes OUT/globals.md and
OUT/programs.md (a Markdown table) and prints both.
  desktop_peers.py SYNCBRIDGE OUT

"drew" means grim's picture of the output changed after the program started (wlr-screencopy,
served by both); "runs" that it was still running after a few seconds; a check of its own
(a clipboard round trip, a mode change) where the program does not draw."""
import os
import shutil
import subprocess
import sys
import tempfile
import time

SYNCBRIDGE, OUT = os.path.realpath(sys.argv[1]), sys.argv[2]
HERE = os.path.dirname(os.path.realpath(__file__))
os.makedirs(OUT, exist_ok=True)
TMP = tempfile.mkdtemp(prefix="sb-desktop-peers-")
os.chmod(TMP, 0o755)

WAYBAR_CFG = os.path.join(TMP, "waybar.json")
with open(WAYBAR_CFG, "w") as f:
    f.write('{"layer": "top", "position": "top", "height": 30, "modules-right": ["clock"]}\n')
os.makedirs(os.path.join(TMP, "kanshi"))
with open(os.path.join(TMP, "kanshi", "config"), "w") as f:
    f.write("profile {\n  output HEADLESS-1 mode 1280x720\n}\n")
NOTIFY = ("gdbus call --session --dest org.freedesktop.Notifications --object-path "
          "/org/freedesktop/Notifications --method org.freedesktop.Notifications.Notify "
          'sb 0 "" summary body "[]" "{}" 5000')


class Compositor:
    def __init__(self, name):
        self.name = name
        self.xdg = os.path.join(TMP, name)
        os.makedirs(self.xdg, mode=0o700)
        self.log = open(os.path.join(self.xdg, "log.txt"), "w")
        if name == "syncbridge":
            cmd = [SYNCBRIDGE, "--backend", "headless", "--renderer", "pixman",
                   "--output-size", "1280x720", "--socket", "wayland-peer"]
            env = dict(os.environ, XDG_RUNTIME_DIR=self.xdg)
        else:
            cfg = os.path.join(self.xdg, "sway.config")
            with open(cfg, "w") as f:
                f.write("output HEADLESS-1 resolution 1280x720 position 0 0\n")
            shutil.chown(self.xdg, "nobody", "nogroup")
            shutil.chown(cfg, "nobody", "nogroup")
            cmd = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups",
                   "sway", "-c", cfg]
            env = {"PATH": "/usr/bin:/bin", "HOME": self.xdg, "XDG_RUNTIME_DIR": self.xdg,
                   "WLR_BACKENDS": "headless", "WLR_RENDERER": "pixman",
                   "WLR_LIBINPUT_NO_DEVICES": "1"}
        for k in ("WAYLAND_DISPLAY", "DISPLAY"):
            env.pop(k, None)
        self.proc = subprocess.Popen(cmd, env=env, stdout=self.log, stderr=subprocess.STDOUT)
        self.socket = None
        for _ in range(300):
            for s in sorted(os.listdir(self.xdg)):
                if s.startswith("wayland-") and not s.endswith(".lock"):
                    self.socket = s
            if self.socket:
                break
            time.sleep(0.1)
        time.sleep(1)
        self.env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY",)}
        self.env.update(XDG_RUNTIME_DIR=self.xdg, WAYLAND_DISPLAY=self.socket or "none",
                        HOME=self.xdg, XDG_CONFIG_HOME=os.path.join(self.xdg, "config"))

    def sh(self, cmd, timeout=20):
        try:
            return subprocess.run(["sh", "-c", cmd], env=self.env, capture_output=True,
                                  text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            return None

    def shot(self, name):
        path = os.path.join(self.xdg, name)
        p = self.sh(f"grim {path}")
        if not p or p.returncode != 0:
            return None
        with open(path, "rb") as f:
            return f.read()

    def alive(self):
        return self.proc.poll() is None

    def stop(self):
        if self.alive():
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


def try_drawing(comp, cmd, settle=3.0):
    """Starts cmd in its own process group; 'drew' if the output's picture changed."""
    before = comp.shot("before.png")
    p = subprocess.Popen(["sh", "-c", cmd], env=comp.env, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL, start_new_session=True)
    time.sleep(settle)
    after = comp.shot("after.png")
    running = p.poll() is None
    if running:
        os.killpg(p.pid, 15)
        try:
            p.wait(timeout=5)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, 9)
            p.wait()
    time.sleep(0.5)
    if before is None or after is None:
        return "no screenshot (grim failed)"
    if before != after:
        return "drew"
    return "ran, drew nothing" if running else f"exited ({p.returncode}), drew nothing"


def try_running(comp, cmd, settle=3.0):
    p = subprocess.Popen(["sh", "-c", cmd], env=comp.env, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL, start_new_session=True)
    time.sleep(settle)
    if p.poll() is None:
        os.killpg(p.pid, 15)
        p.wait()
        return "runs"
    return f"exited ({p.returncode})"


def try_check(comp, cmd, expect):
    p = comp.sh(cmd)
    if p is None:
        return "hung"
    return "works" if p.returncode == 0 and expect in p.stdout else \
        f"failed ({p.returncode}): {(p.stderr.strip().splitlines() or [''])[-1][:60]}"


PROGRAMS = [
    ("swaybg", "background (layer shell)",
     lambda c: try_drawing(c, "swaybg -c '#3366cc' -m solid_color")),
    ("waybar", "bar (layer shell, exclusive zone)",
     lambda c: try_drawing(c, f"waybar -c {WAYBAR_CFG}", settle=5)),
    ("foot", "terminal (xdg-shell)", lambda c: try_drawing(c, "foot -c /dev/null sleep 30")),
    ("fuzzel", "launcher (layer shell, keyboard)", lambda c: try_drawing(c, "fuzzel")),
    ("bemenu", "menu (layer shell)",
     lambda c: try_drawing(c, "echo one | BEMENU_BACKEND=wayland bemenu")),
    ("mako", "notifications (layer shell, D-Bus)",
     lambda c: try_drawing(c, f"dbus-run-session -- sh -c 'mako & sleep 1; {NOTIFY}; sleep 5'")),
    ("swaylock", "lock screen (input inhibitor / session lock)",
     lambda c: try_drawing(c, "swaylock -c 202020")),
    ("swayidle", "idle daemon (KDE idle)",
     lambda c: try_check(c, "swayidle -w timeout 1 'echo idle-fired' & sleep 3; kill $!",
                         "idle-fired")),
    ("kanshi", "output profiles (output management)",
     lambda c: try_running(c, f"XDG_CONFIG_HOME={TMP} kanshi")),
    ("wlsunset", "night light (gamma control)", lambda c: try_running(c, "wlsunset -t 4000")),
    ("wlr-randr", "output tool (output management)",
     lambda c: try_check(c, "wlr-randr --output HEADLESS-1 --pos 10,10 && wlr-randr",
                         "Position: 10,10")),
    ("wl-clipboard", "clipboard (data-control)",
     lambda c: try_check(c, "wl-copy peer-test </dev/null >/dev/null 2>&1; wl-paste -n",
                         "peer-test")),
    ("wtype", "virtual keyboard", lambda c: try_check(c, "wtype x && echo typed", "typed")),
    ("grim", "screenshot (screencopy)", lambda c: try_check(c, "grim - | head -c 4 | od -c",
                                                            "P   N   G")),
]


def globals_of(comp):
    p = comp.sh("wayland-info")
    if not p or p.returncode != 0:
        return set()
    return {line.split("'")[1] for line in p.stdout.splitlines()
            if line.startswith("interface: '")}


def main():
    results = {}
    glob = {}
    for name in ("syncbridge", "sway"):
        comp = Compositor(name)
        if not comp.socket:
            print(f"# {name} did not start; see {comp.xdg}/log.txt", file=sys.stderr)
            comp.stop()
            continue
        glob[name] = globals_of(comp)
        for prog, _, fn in PROGRAMS:
            binary = {"wl-clipboard": "wl-copy"}.get(prog, prog)
            if not shutil.which(binary):
                results[(name, prog)] = "not installed"
                continue
            results[(name, prog)] = fn(comp) if comp.alive() else "compositor died"
        results[(name, "alive at the end")] = "yes" if comp.alive() else "no"
        comp.stop()
    names = [n for n in ("syncbridge", "sway") if n in glob]
    every = sorted(set().union(*glob.values())) if glob else []
    lines = ["| global | " + " | ".join(names) + " |", "|---|" + "---|" * len(names)]
    for g in every:
        lines.append(f"| {g} | " + " | ".join("yes" if g in glob[n] else "-" for n in names)
                     + " |")
    with open(os.path.join(OUT, "globals.md"), "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))
    rows = ["| program | what | " + " | ".join(names) + " |", "|---|---|" + "---|" * len(names)]
    for prog, what, _ in PROGRAMS + [("alive at the end", "the compositor", None)]:
        rows.append(f"| {prog} | {what} | " +
                    " | ".join(results.get((n, prog), "?") for n in names) + " |")
    with open(os.path.join(OUT, "programs.md"), "w") as f:
        f.write("\n".join(rows) + "\n")
    print()
    print("\n".join(rows))
    shutil.rmtree(TMP, ignore_errors=True)


main()
