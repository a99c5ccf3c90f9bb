#!/usr/bin/env bash
# Runs avatar-desktop. With no account configured it is the offline demo: the app starts the
# local avatar rig itself. On a desktop the window opens on your display. On our headless root
# machines (no DISPLAY) it runs in a private network namespace (WebRTC needs a non-loopback
# address, and nothing may leave the machine) under Xvfb, with a screenshot every 10 s.
# Ctrl+C closes the window the user's way (the session is stopped on the server) and exits.
set -euo pipefail
cd "$(dirname "$0")/.."
.venv/bin/python -m avatar_desktop.rig.livekit_binary >/dev/null
if [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ] && [ "$(id -u)" -eq 0 ]; then
  mkdir -p artifacts
  echo "No display: running headless under Xvfb; screenshots in artifacts/window.png. Ctrl+C stops."
  # Xvfb runs in a session of its own: the terminal's Ctrl+C must reach the app (which then
  # closes its window and stops the session), not take the display away under it.
  exec bash scripts/in-test-netns.sh bash -c '
    n=99
    while [ -e "/tmp/.X11-unix/X$n" ] || [ -e "/tmp/.X$n-lock" ]; do n=$((n + 1)); done
    setsid Xvfb ":$n" -screen 0 1280x760x24 -nolisten tcp >/dev/null 2>&1 &
    xvfb=$!
    for _ in $(seq 50); do [ -e "/tmp/.X11-unix/X$n" ] && break; sleep 0.1; done
    export DISPLAY=":$n"
    .venv/bin/python -m avatar_desktop --rig-host "$AVATAR_DESKTOP_CLIENT_HOST" "$@" &
    app=$!
    trap "kill -TERM $app 2>/dev/null" INT TERM
    while kill -0 $app 2>/dev/null; do
      sleep 10 & wait $! || true
      import -window root artifacts/window.png 2>/dev/null || true
    done
    rc=0
    wait $app || rc=$?
    kill $xvfb 2>/dev/null || true
    exit $rc' bash "$@"
fi
exec .venv/bin/python -m avatar_desktop "$@"
