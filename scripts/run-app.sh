#!/usr/bin/env bash
# Runs avatar-desktop. With no account configured it is the offline demo: the local avatar rig.
# On our headless root machines the demo runs inside private network namespaces (WebRTC needs a
# non-loopback link and nothing may leave the machine); on a desktop it runs directly.
set -euo pipefail
cd "$(dirname "$0")/.."
.venv/bin/python -m avatar_desktop.rig.livekit_binary >/dev/null
if [ "$(id -u)" -eq 0 ] && [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ]; then
  exec bash scripts/in-test-netns.sh bash -c \
    'ip netns exec "$AVATAR_DESKTOP_RIG_NETNS" .venv/bin/python -m avatar_desktop.rig --host "$AVATAR_DESKTOP_RIG_HOST" --port 8780'
fi
exec .venv/bin/python -m avatar_desktop "$@"
