"""The rig's handle on one synthetic avatar process: spawn, command, read its reports."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
import sys
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

from .avatar.participant import AvatarConfig

log = logging.getLogger(__name__)


def avatar_command(config_json: str) -> list[str]:
    """How to start an avatar: a module of this Python, or the frozen app in its avatar role."""
    if getattr(sys, "frozen", False):
        return [sys.executable, "--rig-avatar", config_json]
    return [sys.executable, "-m", "avatar_desktop.rig.avatar", config_json]


class AvatarProcess:
    def __init__(
        self,
        config: AvatarConfig,
        log_dir: Path,
        on_report: Callable[[dict[str, Any]], None] | None = None,
    ) -> None:
        self.config = config
        self._on_report = on_report
        self.counters: dict[str, Any] = {}
        self.events: list[dict[str, Any]] = []
        self._log_path = log_dir / f"avatar-{config.session_id}.log"
        self._proc: asyncio.subprocess.Process | None = None
        self._ids = itertools.count(1)
        self._pending: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self._reader: asyncio.Task[None] | None = None
        self.joined = asyncio.Event()

    @property
    def alive(self) -> bool:
        return self._proc is not None and self._proc.returncode is None

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self.alive and self._proc is not None else None

    async def start(self) -> None:
        self._log_path.parent.mkdir(parents=True, exist_ok=True)
        with self._log_path.open("ab") as err:
            self._proc = await asyncio.create_subprocess_exec(
                *avatar_command(json.dumps(asdict(self.config))),
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=err,
            )
        self._reader = asyncio.get_running_loop().create_task(self._read_reports())

    async def _read_reports(self) -> None:
        assert self._proc is not None and self._proc.stdout is not None
        while line := await self._proc.stdout.readline():
            try:
                report = json.loads(line)
            except json.JSONDecodeError:
                continue
            kind = report.get("event")
            if kind == "counters":
                self.counters = {k: v for k, v in report.items() if k != "event"}
            elif kind == "reply":
                future = self._pending.pop(report.get("reply_to", -1), None)
                if future is not None and not future.done():
                    future.set_result(report)
            else:
                if kind == "joined":
                    self.joined.set()
                self.events.append(report)
                if self._on_report is not None:
                    self._on_report(report)
        for future in self._pending.values():
            if not future.done():
                future.set_exception(ConnectionError("avatar process ended"))

    async def command(self, cmd: str, wait_s: float = 10.0, **fields: Any) -> dict[str, Any]:
        """Sends a command and waits for its reply."""
        if not self.alive or self._proc is None or self._proc.stdin is None:
            raise ConnectionError("avatar process is not running")
        ident = next(self._ids)
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._pending[ident] = future
        self._proc.stdin.write((json.dumps({"cmd": cmd, "id": ident, **fields}) + "\n").encode())
        await self._proc.stdin.drain()
        return await asyncio.wait_for(future, wait_s)

    async def stop(self) -> None:
        proc = self._proc
        if proc is None:
            return
        if proc.returncode is None:
            with contextlib.suppress(ConnectionError, TimeoutError, OSError):
                await self.command("quit", wait_s=2)
            try:
                await asyncio.wait_for(proc.wait(), 5)
            except TimeoutError:
                proc.kill()
                await proc.wait()
        if self._reader is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader
