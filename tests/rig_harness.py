"""Starts the rig in its own network namespace for a test, and talks to its control API.

The test run lives in the client namespace (scripts/in-test-netns.sh); the rig runs in the rig
namespace through ``ip netns exec``, so faults act on a real link between two hosts.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx

RIG_NETNS = os.environ.get("AVATAR_DESKTOP_RIG_NETNS", "")
RIG_HOST = os.environ.get("AVATAR_DESKTOP_RIG_HOST", "198.18.0.1")
API_KEY = "test-key-not-secret"


@dataclass
class RigHandle:
    base_url: str
    api_key: str
    process: subprocess.Popen[str]

    def state(self) -> dict[str, Any]:
        return dict(httpx.get(f"{self.base_url}/rig/state", timeout=10).json())

    def fault(self, **plan: Any) -> dict[str, Any]:
        response = httpx.post(f"{self.base_url}/rig/faults", json=plan, timeout=30)
        response.raise_for_status()
        return dict(response.json())

    def clear_faults(self) -> None:
        httpx.delete(f"{self.base_url}/rig/faults", timeout=30).raise_for_status()

    def wait_until(self, predicate: Any, timeout_s: float = 15.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout_s
        state = self.state()
        while not predicate(state):
            if time.monotonic() > deadline:
                raise AssertionError(f"rig state never matched: {state}")
            time.sleep(0.2)
            state = self.state()
        return state

    def session(self, session_id: str) -> dict[str, Any]:
        for s in self.state()["sessions"]:
            if s["session_id"] == session_id:
                return dict(s)
        raise KeyError(session_id)


def _start_rig(command: list[str]) -> subprocess.Popen[str] | None:
    """The rig's process once it says it is ready; None (and nothing left open) if it does not.
    Its ports were checked free in the client's namespace, not in the rig's, and once in CI
    its LiveKit server stopped before it was ready: a second try costs seconds, a failed test
    a whole CI run."""
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, start_new_session=True)
    assert process.stdout is not None
    if process.stdout.readline().startswith("rig ready"):
        return process
    process.kill()
    process.wait()
    process.stdout.close()
    return None


@contextmanager
def running_rig(
    port: int = 8780, *extra: str, stamp_frames: bool = True, greet: bool = False
) -> Iterator[RigHandle]:
    """The rig as tests want it by default: stamped frames (latency and dropped-frame figures
    read them), no greeting (tests count what the avatar says)."""
    if not RIG_NETNS:
        raise RuntimeError("run the tests through scripts/run-tests.sh (needs the rig namespace)")
    command = [
        "ip", "netns", "exec", RIG_NETNS, sys.executable, "-m", "avatar_desktop.rig",
        "--host", RIG_HOST, "--port", str(port), "--api-key", API_KEY, "--network-faults",
        "--session-idle-timeout", "300", "--concurrent-limit", "3", *extra,
    ]  # fmt: skip
    command += ["--stamp-frames"] * stamp_frames + ["--greet"] * greet
    process = _start_rig(command)
    if process is None:
        print("rig: did not start; once more (its reasons are on stderr above)", file=sys.stderr)
        process = _start_rig(command)
    if process is None:
        raise RuntimeError("rig did not start twice; its reasons are on stderr")
    assert process.stdout is not None
    try:
        yield RigHandle(f"http://{RIG_HOST}:{port}", API_KEY, process)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        process.stdout.close()
