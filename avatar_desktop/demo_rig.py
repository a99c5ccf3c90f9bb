"""The offline demo: the local avatar rig as a child process, and where to reach it.

Not a special code path: the app points the LiveAvatar provider at the rig and does what it
would do against HeyGen's service.

The rig's stdin is its lifeline: the app holds the write end and never writes to it. When the
app ends, however it ends (a native abort, SIGKILL, the task manager), the system closes that
pipe and the rig shuts down, taking its LiveKit server and avatars with it.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from pathlib import Path

from avatar_desktop.rig.host_address import own_address

DEMO_API_KEY = "demo-key"


class DemoRig:
    def __init__(
        self, host: str | None = None, port: int = 8780, log_dir: Path | None = None
    ) -> None:
        self.host = host
        self.port = port
        self.log_dir = log_dir
        self.base_url = ""
        self._proc: asyncio.subprocess.Process | None = None

    def command(self, host: str) -> list[str]:
        """The rig as the demo wants it: the avatar greets the user, and the picture carries
        no test stamp (``--stamp-frames`` is for tests and benchmarks)."""
        role = ["--rig"] if getattr(sys, "frozen", False) else ["-m", "avatar_desktop.rig"]
        return [
            sys.executable, *role, "--host", host, "--port", str(self.port),
            "--exit-when-stdin-closes", "--greet",
        ]  # fmt: skip

    async def start(self, ready_timeout_s: float = 600.0) -> str:
        """Starts the rig (the first run may build LiveKit's server) and returns its URL."""
        command = self.command(self.host or own_address())
        stderr = None
        if self.log_dir is not None:
            self.log_dir.mkdir(parents=True, exist_ok=True)
            stderr = (self.log_dir / "demo-rig.log").open("ab")
        self._proc = await asyncio.create_subprocess_exec(
            *command,
            stdout=asyncio.subprocess.PIPE,
            stderr=stderr,
            stdin=asyncio.subprocess.PIPE,  # the lifeline: kept open, never written
            start_new_session=True,  # Ctrl+C in a terminal is the app's to handle, not the rig's
        )
        assert self._proc.stdout is not None
        while True:
            line = await asyncio.wait_for(self._proc.stdout.readline(), ready_timeout_s)
            if not line:
                raise RuntimeError("the demo rig stopped while starting; see demo-rig.log")
            text = line.decode(errors="replace").strip()
            if text.startswith("rig ready "):
                self.base_url = text.removeprefix("rig ready ")
                return self.base_url

    async def stop(self) -> None:
        """Closes the lifeline (the rig stops its avatars and server, on every OS); kills the
        rig if it has not ended within 15 s, or at once while it is still starting: a first
        run's build of LiveKit's server needs no clean end (and the rig cannot hear its
        lifeline before the build is over)."""
        proc = self._proc
        if proc is None or proc.returncode is not None:
            return
        if proc.stdin is not None:
            proc.stdin.close()
        if self.base_url:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(proc.wait(), 15)
        if proc.returncode is None:
            _kill_with_its_children(proc.pid)
        # asyncio's wait() also waits for the rig's pipes to close, which a child it left
        # behind could hold open: bounded (its exit status is known by then).
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(proc.wait(), 5)


def _kill_with_its_children(pid: int) -> None:
    """The rig leads its own process group (``start_new_session``): a build it runs goes too."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        if hasattr(os, "killpg"):
            os.killpg(pid, signal.SIGKILL)
        else:
            os.kill(pid, signal.SIGTERM)  # Windows: TerminateProcess
