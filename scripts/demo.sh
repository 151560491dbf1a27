#!/usr/bin/env bash
# The main job. Until the compositor lands: what the running kernel offers for explicit and
# implicit sync (the bridge's capability report).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/deps.sh"
"$root/scripts/build.sh"
exec "$root/build/bridge/sb-probe" "$@"
