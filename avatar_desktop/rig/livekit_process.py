"""The real LiveKit server as a child process of the rig: config, start, readiness, kill."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
import signal
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from livekit import api

log = logging.getLogger(__name__)


def _die_with_parent() -> Callable[[], None] | None:
    """On Linux, the server gets SIGKILL if the rig dies without cleaning up (no orphans)."""
    if not sys.platform.startswith("linux"):
        return None
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    pr_set_pdeathsig = 1

    def set_pdeathsig() -> None:
        libc.prctl(pr_set_pdeathsig, signal.SIGKILL)

    return set_pdeathsig


@dataclass(frozen=True)
class LiveKitPorts:
    """Signalling (HTTP + WebSocket), ICE/TCP and the single muxed ICE/UDP port."""

    signal: int
    rtc_tcp: int
    rtc_udp: int

    @classmethod
    def after(cls, http_port: int) -> LiveKitPorts:
        """The ports that follow the emulator's HTTP port, as the rig's CLI documents."""
        return cls(signal=http_port + 1, rtc_tcp=http_port + 2, rtc_udp=http_port + 3)


class LiveKitServer:
    """Runs ``livekit-server`` bound to one host address, with keys generated per run.

    Clients get no STUN or TURN server from outside: the server hands them a STUN address on the
    rig's own host where nothing answers, so nothing is ever tried beyond the rig.
    """

    def __init__(self, binary: Path, host: str, ports: LiveKitPorts, workdir: Path) -> None:
        self.binary = binary
        self.host = host
        self.ports = ports
        self.workdir = workdir
        self.api_key = "APIrig" + secrets.token_hex(6)
        self.api_secret = secrets.token_urlsafe(36)
        self._proc: asyncio.subprocess.Process | None = None
        self._log_file = workdir / "livekit-server.log"

    @property
    def ws_url(self) -> str:
        return f"ws://{self.host}:{self.ports.signal}"

    @property
    def http_url(self) -> str:
        return f"http://{self.host}:{self.ports.signal}"

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.returncode is None

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self.running and self._proc is not None else None

    def config(self) -> dict[str, object]:
        return {
            "port": self.ports.signal,
            "bind_addresses": [self.host],
            "rtc": {
                "tcp_port": self.ports.rtc_tcp,
                "udp_port": self.ports.rtc_udp,
                "node_ip": self.host,
                "use_external_ip": False,
                "stun_servers": [f"{self.host}:3478"],
            },
            "keys": {self.api_key: self.api_secret},
            "room": {"empty_timeout": 120, "departure_timeout": 10},
            "logging": {"level": "info", "pion_level": "error"},
        }

    def api_client(self) -> api.LiveKitAPI:
        """A RoomService client for this server; the caller closes it (``aclose``)."""
        return api.LiveKitAPI(url=self.http_url, api_key=self.api_key, api_secret=self.api_secret)

    async def start(self, ready_timeout: float = 30.0) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        config_path = self.workdir / "livekit.yaml"
        # JSON is YAML: no YAML writer needed.
        config_path.write_text(json.dumps(self.config(), indent=2))
        config_path.chmod(0o600)
        with self._log_file.open("ab") as out:
            self._proc = await asyncio.create_subprocess_exec(
                str(self.binary),
                "--config",
                str(config_path),
                stdout=out,
                stderr=asyncio.subprocess.STDOUT,
                stdin=asyncio.subprocess.DEVNULL,
                preexec_fn=_die_with_parent(),
            )
        log.info("livekit-server started, pid %s, %s", self._proc.pid, self.ws_url)
        await self._wait_ready(ready_timeout)

    async def _wait_ready(self, limit_s: float) -> None:
        """Ready means a RoomService ListRooms call with our key succeeds."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + limit_s
        last_error: Exception | None = None
        while loop.time() < deadline:
            if not self.running:
                code = self._proc.returncode if self._proc else None
                raise RuntimeError(f"livekit-server exited early ({code}); see {self._log_file}")
            lkapi = self.api_client()
            try:
                await lkapi.room.list_rooms(api.ListRoomsRequest())
                return
            except Exception as exc:  # noqa: BLE001 - any failure means "not ready yet"
                last_error = exc
            finally:
                await lkapi.aclose()
            await asyncio.sleep(0.2)
        raise TimeoutError(f"livekit-server not ready after {limit_s:.0f} s: {last_error}")

    async def stop(self) -> None:
        proc = self._proc
        if proc is None or proc.returncode is not None:
            return
        proc.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(proc.wait(), 5)
        except TimeoutError:
            proc.kill()
            await proc.wait()

    async def kill(self) -> None:
        """The 'server killed' fault: SIGKILL, no goodbye to anyone."""
        proc = self._proc
        if proc is not None and proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            await proc.wait()

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self._log_file.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""
