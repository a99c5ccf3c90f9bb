"""Startup benchmark: process start → window shown (the offline demo, its rig included), for
``python -m avatar_desktop`` and, when built, the frozen app in dist/.

    python -m tests.perf.bench_startup [--runs 5] [--smoke]

Needs a display (Xvfb) and a non-loopback address for the demo rig (run it inside
scripts/in-test-netns.sh). Writes JSON (default artifacts/bench_startup.json).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from tests.perf.report import write_report

ROOT = Path(__file__).resolve().parents[2]
FROZEN = ROOT / "dist" / "avatar-desktop" / "avatar-desktop"


def time_to_window(command: list[str], host: str) -> float:
    home = tempfile.mkdtemp(prefix="avatar-startup-")
    cache = os.environ.get("XDG_CACHE_HOME", str(Path.home() / ".cache"))  # the built server
    env = dict(os.environ, AVATAR_DESKTOP_PROBE_STARTUP="1", HOME=home, XDG_CACHE_HOME=cache,
               XDG_CONFIG_HOME=f"{home}/.config", XDG_DATA_HOME=f"{home}/.local/share")  # fmt: skip
    started = time.monotonic()
    shown = None
    with subprocess.Popen([*command, "--demo", "--rig-host", host], stdout=subprocess.PIPE,
                          stderr=subprocess.DEVNULL, env=env, text=True) as proc:  # fmt: skip
        assert proc.stdout is not None
        for line in proc.stdout:
            if line.startswith("startup: window shown"):
                shown = time.monotonic() - started
                break
        proc.wait(60)
    if shown is None:
        raise RuntimeError(f"{command[0]} never showed its window")
    return shown


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--smoke", action="store_true", help="one run of the Python app only")
    parser.add_argument("--json", type=Path, default=Path("artifacts/bench_startup.json"))
    args = parser.parse_args(argv)
    host = os.environ.get("AVATAR_DESKTOP_CLIENT_HOST", "198.18.0.2")
    commands = {"python -m avatar_desktop": [sys.executable, "-m", "avatar_desktop"]}
    if FROZEN.exists() and not args.smoke:
        commands["frozen app"] = [str(FROZEN)]
    runs = 1 if args.smoke else args.runs
    results = {}
    for name, command in commands.items():
        times = [time_to_window(command, host) for _ in range(runs)]
        results[name] = {"runs": runs, "median_s": round(statistics.median(times), 2),
                         "min_s": round(min(times), 2), "max_s": round(max(times), 2)}  # fmt: skip
        print(json.dumps({name: results[name]}))
    return write_report("startup", args.smoke, results, args.json)


if __name__ == "__main__":
    main()
