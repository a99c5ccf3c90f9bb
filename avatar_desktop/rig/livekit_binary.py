"""Finds the LiveKit server binary the rig runs, building it once from the Go module proxy.

Order: ``$AVATAR_DESKTOP_LIVEKIT_SERVER``; a binary bundled beside a frozen app; a cached build in
the user's cache dir; else a build with the machine's Go of the version pinned by
``livekit_server/go.mod`` (whose go.sum records every dependency's checksum).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from importlib import resources
from pathlib import Path

import platformdirs

LIVEKIT_SERVER_MODULE = "github.com/livekit/livekit-server"
LIVEKIT_SERVER_VERSION = "v1.13.5"
ENV_VAR = "AVATAR_DESKTOP_LIVEKIT_SERVER"
_EXE = "livekit-server.exe" if sys.platform == "win32" else "livekit-server"


class LiveKitServerUnavailable(RuntimeError):
    """No binary was found and none could be built; the message says what to do."""


def cached_binary_path() -> Path:
    cache = Path(platformdirs.user_cache_dir("avatar-desktop", appauthor=False))
    return cache / f"livekit-server-{LIVEKIT_SERVER_VERSION}" / _EXE


def bundled_binary_path() -> Path | None:
    """The binary PyInstaller put beside a frozen app, if this is one."""
    base = getattr(sys, "_MEIPASS", None)
    if base is None:
        return None
    candidate = Path(base) / _EXE
    return candidate if candidate.is_file() else None


def find_livekit_server(progress: Callable[[str], None] = print) -> Path:
    """Returns an executable LiveKit server, building it when nothing else is there."""
    from_env = os.environ.get(ENV_VAR)
    if from_env:
        path = Path(from_env)
        if not path.is_file():
            raise LiveKitServerUnavailable(f"{ENV_VAR} names {path}, which does not exist")
        return path
    bundled = bundled_binary_path()
    if bundled is not None:
        return bundled
    on_path = path_binary()
    if on_path is not None:
        return on_path
    cached = cached_binary_path()
    if cached.is_file():
        return cached
    return build_livekit_server(cached, progress)


def needs_build() -> bool:
    """Whether finding the server means building it first (minutes): the app says so."""
    if os.environ.get(ENV_VAR) or bundled_binary_path() is not None:
        return False
    return path_binary() is None and not cached_binary_path().is_file()


def path_binary() -> Path | None:
    """A ``livekit-server`` on PATH whose version has the pinned major and minor (the rig's
    configuration is written for that line of releases)."""
    found = shutil.which("livekit-server")
    if found is None:
        return None
    try:
        out = subprocess.run(
            [found, "--version"], capture_output=True, text=True, timeout=10, check=False
        ).stdout
    except (OSError, subprocess.TimeoutExpired):
        return None
    match = re.search(r"(\d+)\.(\d+)\.\d+", out)
    pinned = re.search(r"(\d+)\.(\d+)", LIVEKIT_SERVER_VERSION)
    if match is None or pinned is None or match.groups() != pinned.groups():
        return None
    return Path(found)


def build_livekit_server(
    target: Path,
    progress: Callable[[str], None] = print,
    goos: str | None = None,
    goarch: str | None = None,
) -> Path:
    """Builds the pinned server with ``go build`` into ``target`` (atomically); ``goos`` and
    ``goarch`` cross-compile it (Linux and Windows from anywhere; macOS only on a Mac)."""
    go = shutil.which("go")
    if go is None:
        raise LiveKitServerUnavailable(
            "The offline demo needs LiveKit's server, and Go is not installed to build it. "
            f"Install Go 1.24 or newer, or set {ENV_VAR} to a livekit-server binary."
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    pin = resources.files("avatar_desktop.rig.livekit_server")
    started = time.monotonic()
    progress(
        f"Building LiveKit server {LIVEKIT_SERVER_VERSION} with {go} "
        "(once; a few minutes on a fresh machine)..."
    )
    with tempfile.TemporaryDirectory(prefix="avatar-desktop-lk-") as work:
        for name in ("go.mod", "go.sum"):
            (Path(work) / name).write_bytes(pin.joinpath(name).read_bytes())
        out = Path(work) / target.name
        # CGO off makes every target cross-compile from anywhere, except macOS: the server's
        # CPU statistics (go-osstat) need cgo there (seen: "undefined: cpu.Get" with CGO off),
        # so a macOS server is built on a Mac, with its C toolchain.
        darwin = (goos or ("darwin" if sys.platform == "darwin" else "")) == "darwin"
        env = dict(
            os.environ, CGO_ENABLED="1" if darwin else "0", GOFLAGS="-mod=readonly",
            GOTOOLCHAIN="local",
        )  # fmt: skip
        if goos:
            env["GOOS"] = goos
        if goarch:
            env["GOARCH"] = goarch
        proc = subprocess.run(
            [go, "build", "-trimpath", "-o", str(out), f"{LIVEKIT_SERVER_MODULE}/cmd/server"],
            cwd=work,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        if proc.returncode != 0:
            raise LiveKitServerUnavailable(
                f"Building LiveKit server {LIVEKIT_SERVER_VERSION} failed "
                f"(go build exit {proc.returncode}):\n{proc.stderr[-4000:]}"
            )
        partial = target.with_suffix(f".{os.getpid()}.partial")
        shutil.copy2(out, partial)
        os.replace(partial, target)
    progress(f"Built LiveKit server in {time.monotonic() - started:.0f} s: {target}")
    return target


if __name__ == "__main__":
    print(find_livekit_server())
