#!/usr/bin/env bash
# Writes requirements.lock: every dependency of the app, its tests, its tools and its build,
# pinned with hashes for Linux, Windows and macOS (CPython 3.11+). bootstrap.sh installs from it.
# A new version comes in on purpose: edit the bounds in pyproject.toml (or pass
# --upgrade-package NAME), run this, then run the long-session tests before committing the lock.
set -euo pipefail
cd "$(dirname "$0")/.."
uv=".venv/bin/uv"
[ -x "$uv" ] || uv="uv"
"$uv" pip compile pyproject.toml --all-extras --universal --generate-hashes \
  --python-version 3.11 --no-header --quiet --output-file requirements.lock "$@"
echo "lock: requirements.lock written ($(grep -c '==' requirements.lock) pins)"
