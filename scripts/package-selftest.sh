#!/usr/bin/env bash
# Builds the Linux double-click app from this checkout and runs the BUILT binary's --self-test
# headless (Xvfb) inside the test network namespaces: what a user double-clicks is what is tested.
set -euo pipefail
cd "$(dirname "$0")/.."
.venv/bin/python packaging/build.py
home=$(mktemp -d)  # a fresh user: no settings, no key, so the offline demo
exec bash scripts/in-test-netns.sh env HOME="$home" XDG_CONFIG_HOME="$home/.config" \
  XDG_DATA_HOME="$home/.local/share" xvfb-run -a -s "-screen 0 1280x800x24" \
  dist/avatar-desktop/avatar-desktop --self-test --rig-host 198.18.0.2
