"""Builds the double-click app for the OS it runs on (PyInstaller cannot cross-build):

    .venv/bin/python packaging/build.py            # dist/avatar-desktop/ (+ a tarball on Linux)
    .venv/bin/python packaging/build.py --check-cross   # also cross-compile LiveKit's server
                                                        # for every OS, to prove they build

Prints the build time and the bundle size, and writes build/package-report.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tarfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from avatar_desktop.rig.livekit_binary import (  # noqa: E402 - after the path is set
    LIVEKIT_SERVER_VERSION,
    build_livekit_server,
    find_livekit_server,
)

GO_TARGETS = {
    ("linux", "x86_64"): ("linux", "amd64"),
    ("linux", "aarch64"): ("linux", "arm64"),
    ("darwin", "arm64"): ("darwin", "arm64"),
    ("darwin", "x86_64"): ("darwin", "amd64"),
    ("win32", "AMD64"): ("windows", "amd64"),
}


def server_for_this_os(build: Path) -> Path:
    """The demo's LiveKit server for the OS being packaged (the cached build when it fits)."""
    goos, goarch = GO_TARGETS[(sys.platform, platform.machine())]
    if sys.platform.startswith("linux") and goarch == "amd64":
        return find_livekit_server()
    name = "livekit-server.exe" if goos == "windows" else "livekit-server"
    return build_livekit_server(build / f"{goos}-{goarch}" / name, goos=goos, goarch=goarch)


def check_cross(build: Path) -> dict[str, str]:
    results = {}
    for goos, goarch in sorted(set(GO_TARGETS.values())):
        if goos == "darwin" and sys.platform != "darwin":
            results[f"{goos}/{goarch}"] = "skipped: needs cgo, so a Mac"
            continue
        name = "livekit-server.exe" if goos == "windows" else "livekit-server"
        try:
            out = build_livekit_server(build / "cross" / f"{goos}-{goarch}" / name, goos=goos,
                                       goarch=goarch)  # fmt: skip
            results[f"{goos}/{goarch}"] = f"ok, {out.stat().st_size // 1_000_000} MB"
        except RuntimeError as exc:
            results[f"{goos}/{goarch}"] = f"failed: {exc}"
    return results


def folder_size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check-cross", action="store_true")
    args = parser.parse_args()
    build, dist = ROOT / "build", ROOT / "dist"
    started = time.monotonic()
    server = server_for_this_os(build)
    env = dict(os.environ, AVATAR_DESKTOP_LIVEKIT_SERVER_BUILD=str(server))
    subprocess.run(
        [sys.executable, "-m", "PyInstaller", "--noconfirm", "--clean", "--log-level", "WARN",
         "--distpath", str(dist), "--workpath", str(build / "pyinstaller"),
         str(ROOT / "packaging" / "avatar-desktop.spec")],
        check=True, env=env, cwd=ROOT,
    )  # fmt: skip
    app = dist / "avatar-desktop"
    bundle_bytes = folder_size(app)
    report: dict[str, object] = {
        "os": sys.platform,
        "livekit_server": LIVEKIT_SERVER_VERSION,
        "build_seconds": round(time.monotonic() - started, 1),
        "bundle_bytes": bundle_bytes,
    }
    if sys.platform.startswith("linux"):
        shutil.copy(ROOT / "packaging" / "linux" / "avatar-desktop.desktop", app)
        shutil.copy(
            ROOT / "resources" / "icons" / "avatar-desktop-256.png", app / "avatar-desktop.png"
        )
        tarball = dist / f"avatar-desktop-linux-{platform.machine()}.tar.gz"
        with tarfile.open(tarball, "w:gz") as tar:
            tar.add(app, arcname="avatar-desktop")
        report["tarball_bytes"] = tarball.stat().st_size
    if args.check_cross:
        report["livekit_server_cross_builds"] = check_cross(build)
    report["total_seconds"] = round(time.monotonic() - started, 1)
    (build / "package-report.json").write_text(json.dumps(report, indent=2))
    mb = bundle_bytes / 1e6
    print(f"package: built in {report['build_seconds']} s, bundle {mb:.0f} MB: {app}")
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
