#!/usr/bin/env bash
# A PNG of a syncbridge --trace file in Chromium's own trace viewer (the DevTools Performance
# panel of Debian's chromium, headless; scripts/trace-screenshot.js says why not chrome://tracing
# or Perfetto's UI). A documentation tool, not part of the tests: it needs Debian's chromium
# (`apt-get install chromium`) and node with npm, and installs playwright-core from npm into
# PLAYWRIGHT_DIR (default ~/.cache/syncbridge/playwright), outside the repository.
#   scripts/trace-screenshot.sh [TRACE.json [OUT.png [FROM TO]]]
# Defaults: out/trace.json (written by scripts/demo.sh), doc/trace-viewer.png, and the window
# from 30 % to 36 % of the trace's span (the demo's three clients all running).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
trace=$(realpath "${1:-$root/out/trace.json}")
out=$(realpath -m "${2:-$root/doc/trace-viewer.png}")
from=${3:-0.3}
to=${4:-0.36}
pw=${PLAYWRIGHT_DIR:-$HOME/.cache/syncbridge/playwright}
PLAYWRIGHT_VERSION=1.65.1

if [ ! -f "$trace" ]; then
	echo "trace-screenshot: no $trace (scripts/demo.sh writes out/trace.json)" >&2
	exit 2
fi
chromium=${CHROMIUM:-/usr/bin/chromium}
if [ ! -x "$chromium" ]; then
	echo "trace-screenshot: no $chromium: apt-get install chromium" >&2
	exit 2
fi
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
	echo "trace-screenshot: needs node and npm (apt-get install nodejs npm)" >&2
	exit 2
fi
if [ ! -f "$pw/node_modules/playwright-core/package.json" ]; then
	mkdir -p "$pw"
	# Only the driver: no browser download, the browser is Debian's chromium.
	npm install --prefix "$pw" --no-save --no-audit --no-fund \
		"playwright-core@$PLAYWRIGHT_VERSION" >&2
fi
CHROMIUM=$chromium NODE_PATH=$pw/node_modules node "$root/scripts/trace-screenshot.js" \
	"$trace" "$out" "$from" "$to"
