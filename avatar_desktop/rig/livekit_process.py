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
    """Linux: the server gets SIGKILL when the rig dies, even by SIGKILL (PR_SET_PDEATHSIG).

    The signal follows the thread that started the server: the loop's (main) thread here.
    """
    if not sys.platform.startswith("linux"):
        return None
    import ctypes

    prctl = ctypes.CDLL(None, use_errno=True).prctl  # looked up before the fork, not in the child
    pr_set_pdeathsig = 1

    def set_pdeathsig() -> None:
        prctl(pr_set_pdeathsig, signal.SIGKILL)

    return set_pdeathsig


_JOB_OBJECT_EXTENDED_LIMIT_INFORMATION = 9
_JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE = 0x2000
_PROCESS_SET_QUOTA = 0x0100
_PROCESS_TERMINATE = 0x0001

if sys.platform == "win32":
    import ctypes
    from ctypes import wintypes

    class _BasicLimits(ctypes.Structure):
        """JOBOBJECT_BASIC_LIMIT_INFORMATION"""

        _fields_ = [
            ("PerProcessUserTimeLimit", ctypes.c_int64),
            ("PerJobUserTimeLimit", ctypes.c_int64),
            ("LimitFlags", wintypes.DWORD),
            ("MinimumWorkingSetSize", ctypes.c_size_t),
            ("MaximumWorkingSetSize", ctypes.c_size_t),
            ("ActiveProcessLimit", wintypes.DWORD),
            ("Affinity", ctypes.c_size_t),
            ("PriorityClass", wintypes.DWORD),
            ("SchedulingClass", wintypes.DWORD),
        ]

    class _IoCounters(ctypes.Structure):
        """IO_COUNTERS"""

        _fields_ = [
            (name, ctypes.c_uint64)
            for name in ("Reads", "Writes", "Others", "ReadBytes", "WriteBytes", "OtherBytes")
        ]

    class _ExtendedLimits(ctypes.Structure):
        """JOBOBJECT_EXTENDED_LIMIT_INFORMATION"""

        _fields_ = [
            ("BasicLimitInformation", _BasicLimits),
            ("IoInfo", _IoCounters),
            ("ProcessMemoryLimit", ctypes.c_size_t),
            ("JobMemoryLimit", ctypes.c_size_t),
            ("PeakProcessMemoryUsed", ctypes.c_size_t),
            ("PeakJobMemoryUsed", ctypes.c_size_t),
        ]

    def _kernel32() -> ctypes.WinDLL:
        """kernel32 with the prototypes used here (handles are pointer-sized on 64-bit)."""
        k = ctypes.WinDLL("kernel32", use_last_error=True)
        k.CreateJobObjectW.argtypes = [ctypes.c_void_p, wintypes.LPCWSTR]
        k.CreateJobObjectW.restype = wintypes.HANDLE
        k.SetInformationJobObject.argtypes = [
            wintypes.HANDLE, ctypes.c_int, ctypes.c_void_p, wintypes.DWORD
        ]  # fmt: skip
        k.SetInformationJobObject.restype = wintypes.BOOL
        k.OpenProcess.argtypes = [wintypes.DWORD, wintypes.BOOL, wintypes.DWORD]
        k.OpenProcess.restype = wintypes.HANDLE
        k.AssignProcessToJobObject.argtypes = [wintypes.HANDLE, wintypes.HANDLE]
        k.AssignProcessToJobObject.restype = wintypes.BOOL
        k.CloseHandle.argtypes = [wintypes.HANDLE]
        k.CloseHandle.restype = wintypes.BOOL
        return k

    def _new_kill_on_close_job(k: ctypes.WinDLL) -> int:
        """A job whose processes die when its last handle closes (not inheritable: NULL
        security attributes), so only the rig holds it."""
        job = k.CreateJobObjectW(None, None)
        if not job:
            raise ctypes.WinError(ctypes.get_last_error())
        limits = _ExtendedLimits()
        limits.BasicLimitInformation.LimitFlags = _JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE
        info_class = _JOB_OBJECT_EXTENDED_LIMIT_INFORMATION
        if not k.SetInformationJobObject(
            job, info_class, ctypes.byref(limits), ctypes.sizeof(limits)
        ):
            raise ctypes.WinError(ctypes.get_last_error())
        return int(job)

    def _assign_to_job(k: ctypes.WinDLL, job: int, pid: int) -> None:
        process = k.OpenProcess(_PROCESS_SET_QUOTA | _PROCESS_TERMINATE, False, pid)
        if not process:
            raise ctypes.WinError(ctypes.get_last_error())
        try:
            if not k.AssignProcessToJobObject(job, process):
                raise ctypes.WinError(ctypes.get_last_error())
        finally:
            k.CloseHandle(process)


def _kill_on_close_job(pid: int, job: int | None) -> int | None:
    """Windows: puts ``pid`` in a Job Object (``job``, or a new one) that kills its processes
    when its last handle closes, and returns the job.

    The system closes the rig's handles when the rig dies, however it dies, so the server dies
    with it. None elsewhere: Linux has pdeathsig, and macOS nothing of the kind (there the rig
    kills the server on its way out, which a SIGKILL of the rig skips).
    """
    if sys.platform == "win32":
        k = _kernel32()
        if job is None:
            job = _new_kill_on_close_job(k)
        _assign_to_job(k, job, pid)
        return job
    return None


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
        self._job: int | None = None  # Windows: the Job Object that dies with the rig

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
        self._tie_to_the_rig(self._proc.pid)
        await self._wait_ready(ready_timeout)

    def _tie_to_the_rig(self, pid: int) -> None:
        """Windows: the server joins the rig's kill-on-close job (best effort: a rig whose own
        job forbids it still runs, and still stops the server on its way out)."""
        try:
            self._job = _kill_on_close_job(pid, self._job)
        except OSError as exc:
            log.warning("livekit-server is not tied to the rig's life: %s", exc)

    async def _wait_ready(self, limit_s: float) -> None:
        """Ready means a RoomService ListRooms call with our key succeeds."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + limit_s
        last_error: Exception | None = None
        while loop.time() < deadline:
            if not self.running:
                code = self._proc.returncode if self._proc else None
                raise RuntimeError(
                    f"livekit-server exited early ({code}); the end of {self._log_file}:\n"
                    + self._log_tail()
                )
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

    def _log_tail(self, lines: int = 12) -> str:
        """The server's last words: the rig's working directory (and the log in it) may be
        gone by the time anyone looks."""
        try:
            text = self._log_file.read_text(encoding="utf-8", errors="replace")
        except OSError as exc:
            return f"(no log: {exc})"
        return "\n".join(text.splitlines()[-lines:]) or "(the log is empty)"

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

    def kill_now(self) -> None:
        """SIGKILL without waiting, callable from any thread: a rig's last act before it exits
        when its clean shutdown takes too long."""
        proc = self._proc
        if proc is not None and proc.returncode is None:
            with contextlib.suppress(ProcessLookupError, OSError):
                proc.kill()

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self._log_file.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""
