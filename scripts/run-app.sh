#!/usr/bin/env bash
# Runs avatar-desktop. With no account configured it is the offline demo: the app starts the
# local avatar rig itself. On a desktop the window opens on your display. On our headless root
# machines (no DISPLAY) it runs in a private network namespace (WebRTC needs a non-loopback
# address, and nothing may leave the machine) under Xvfb, with a screenshot every 10 s.
set -euo pipefail
cd "$(dirname "$0")/.."
.venv/bin/python -m avatar_desktop.rig.livekit_binary >/dev/null
if [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ] && [ "$(id -u)" -eq 0 ]; then
  mkdir -p artifacts
  echo "No display: running headless under Xvfb; screenshots in artifacts/window.png. Ctrl+C stops."
  exec bash scripts/in-test-netns.sh xvfb-run -a -s "-screen 0 1280x760x24" bash -c '
    .venv/bin/python -m avatar_desktop --rig-host "$AVATAR_DESKTOP_CLIENT_HOST" "$@" &
    app=$!
    trap "kill -TERM $app; wait $app" INT TERM
    while kill -0 $app 2>/dev/null; do
      sleep 10
      import -window root artifacts/window.png 2>/dev/null || true
    done
    wait $app' bash "$@"
fi
exec .venv/bin/python -m avatar_desktop "$@"
