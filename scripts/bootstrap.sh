#!/usr/bin/env bash
# Installs what avatar-desktop needs on a fresh Debian machine of ours: the Debian packages
# (when run as root) and a virtualenv in .venv with the app and its test/dev extras.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(
  libportaudio2 libpulse0 libegl1 libgl1 libfontconfig1 libdbus-1-3 libglib2.0-0
  xvfb xauth libxcb-cursor0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1 libxcb-randr0
  libxcb-render-util0 libxcb-shape0 libxcb-xinerama0 libxcb-xkb1 libxkbcommon-x11-0
  pulseaudio libasound2-plugins espeak-ng sox iptables iproute2 tcpdump imagemagick xdotool
)

missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
    echo "bootstrap: installing Debian packages: ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "bootstrap: please install these Debian packages: ${missing[*]}" >&2
  fi
fi

# The virtualenv holds exactly requirements.lock (scripts/lock.sh writes it): a venv made from
# another lock is made anew, so no stale version survives an upgrade or a downgrade.
lock_sum=$(sha256sum requirements.lock | cut -d' ' -f1)
if [ -x .venv/bin/python ] && [ "$(cat .venv/.lock-sha256 2>/dev/null)" != "$lock_sum" ]; then
  echo "bootstrap: requirements.lock changed: making .venv anew"
  rm -rf .venv
fi
if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
  .venv/bin/python -m pip install -q --disable-pip-version-check --require-hashes -r requirements.lock
  echo "$lock_sum" > .venv/.lock-sha256
fi
# The checkout itself, editable, with nothing new resolved (setuptools and wheel are in the lock).
.venv/bin/python -m pip install -q --disable-pip-version-check --no-deps --no-build-isolation -e .
echo "bootstrap: ready (.venv, $(.venv/bin/python -c 'import PySide6; print("PySide6", PySide6.__version__)'))"
