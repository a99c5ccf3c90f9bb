#!/usr/bin/env bash
# Builds the Linux double-click app from this checkout and runs the BUILT binary headless (Xvfb)
# inside the test network namespaces: what a user double-clicks is what is tested.
#  1. its --self-test (first frame, the avatar's first words);
#  2. a long session: Live for AVATAR_DESKTOP_LONG_RUN_S seconds (default 180), memory sampled,
#     then File → Quit with Ctrl+Q (tests/long_run.py); fails on a crash, a state that left
#     Live, a session not stopped on the server or a non-zero exit, and prints the RSS figures.
set -euo pipefail
cd "$(dirname "$0")/.."
.venv/bin/python packaging/build.py
app=dist/avatar-desktop/avatar-desktop
xvfb=(xvfb-run -a -s "-screen 0 1280x800x24")

home=$(mktemp -d)  # a fresh user: no settings, no key, so the offline demo
bash scripts/in-test-netns.sh env HOME="$home" XDG_CONFIG_HOME="$home/.config" \
  XDG_DATA_HOME="$home/.local/share" "${xvfb[@]}" \
  "$app" --self-test --rig-host 198.18.0.2
rm -rf "$home"

# The harness makes its own fresh home for the app; the report goes to artifacts/.
bash scripts/in-test-netns.sh "${xvfb[@]}" .venv/bin/python -m tests.long_run \
  --seconds "${AVATAR_DESKTOP_LONG_RUN_S:-180}" --json artifacts/long_run_built_app.json \
  --app "$app" --demo --rig-host 198.18.0.2
