#!/usr/bin/env bash
# Runs the whole pytest suite inside the test network namespaces (scripts/in-test-netns.sh), so
# that every test talks only to the rig's private addresses and to loopback.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.venv/bin:$PATH"
# Build (or find) the LiveKit server before entering the namespace: the build needs the Go proxy.
.venv/bin/python -m avatar_desktop.rig.livekit_binary
# The window benchmark's yardstick: Chromium showing the same stream (apt and npm, so also out
# here). Where the tool is missing or cannot be prepared the benchmark says so and skips it.
viewer=../shared/tools/chromium-viewer/run-viewer.sh
if [ -f "$viewer" ]; then
  bash "$viewer" --prepare --headed >&2 || echo "chromium-viewer: not prepared" >&2
fi
exec bash scripts/in-test-netns.sh xvfb-run -a -s "-screen 0 1400x900x24" .venv/bin/python -m pytest "$@"
