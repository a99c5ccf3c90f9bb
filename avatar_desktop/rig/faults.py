"""Fault plans: what the rig breaks, and how.

Two kinds. *Standing* faults shape what comes next (HTTP answers, how the next session's avatar
behaves) and may carry ``count``, the number of times they fire before they retire. *Network*
faults act at once on the real network of the rig's own namespace (iptables and tc, since this
kernel has no netem) and undo themselves after ``seconds``.
"""

from __future__ import annotations

import asyncio
import logging
import shutil
import subprocess
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger(__name__)

STANDING_KINDS = {
    "http",  # endpoint, status (401/429/500/...), delay_s, error (heygen error name)
    "join_late",  # seconds: the next session's avatar joins its room this late
    "tracks_late",  # seconds: the avatar joins, then publishes this late
    "tracks_never",
    "wrong_livekit_secret",
    "session_ends_after",  # seconds
}
NETWORK_KINDS = {"network_cut", "packet_loss", "reset_signalling", "bandwidth_cap"}
SERVER_KINDS = {"kill_server", "restart_server"}
SESSION_KINDS = {"remove_participant", "delete_room", "send_malformed", "end_session"}
ALL_KINDS = STANDING_KINDS | NETWORK_KINDS | SERVER_KINDS | SESSION_KINDS


class FaultError(ValueError):
    """A fault plan the rig cannot carry out; the message says why."""


@dataclass
class Fault:
    kind: str
    params: dict[str, Any] = field(default_factory=dict)
    remaining: int | None = None  # None: until cleared

    @classmethod
    def parse(cls, raw: object) -> Fault:
        if not isinstance(raw, dict) or not isinstance(raw.get("kind"), str):
            raise FaultError("a fault is an object with a string 'kind'")
        kind = raw["kind"]
        if kind not in ALL_KINDS:
            raise FaultError(f"unknown fault kind {kind!r}; known: {sorted(ALL_KINDS)}")
        count = raw.get("count")
        if count is not None and (not isinstance(count, int) or count < 1):
            raise FaultError("'count' must be a positive integer")
        params = {k: v for k, v in raw.items() if k not in ("kind", "count")}
        return cls(kind=kind, params=params, remaining=count)

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "count": self.remaining, **self.params}


class StandingFaults:
    """The standing faults in force, consumed as they fire."""

    def __init__(self) -> None:
        self._faults: list[Fault] = []

    def add(self, fault: Fault) -> None:
        self._faults.append(fault)

    def clear(self) -> None:
        self._faults.clear()

    def list(self) -> list[dict[str, Any]]:
        return [f.as_dict() for f in self._faults]

    def take(self, kind: str, **match: Any) -> Fault | None:
        """The first fault of ``kind`` whose params match; uses up one of its count."""
        for fault in self._faults:
            if fault.kind != kind:
                continue
            if any(fault.params.get(k) not in (None, v) for k, v in match.items()):
                continue
            if fault.remaining is not None:
                fault.remaining -= 1
                if fault.remaining <= 0:
                    self._faults.remove(fault)
            return fault
        return None


def _run(*args: str) -> None:
    proc = subprocess.run(args, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise FaultError(f"{' '.join(args)} failed: {proc.stderr.strip()}")


class NetworkFaults:
    """Real network faults inside the rig's own network namespace.

    Rules live in one chain of our own (``AVATAR_RIG``) hooked into INPUT and OUTPUT, so that
    clearing is a flush. Loopback and, unless the scope is "all", the emulator's HTTP port are
    spared, so the control API stays reachable while LiveKit's traffic suffers.
    """

    CHAIN = "AVATAR_RIG"

    def __init__(self, interface: str, http_port: int, signal_port: int) -> None:
        self.interface = interface
        self.http_port = http_port
        self.signal_port = signal_port
        self._installed = False
        self._timers: set[asyncio.TimerHandle] = set()
        self.active: list[dict[str, Any]] = []

    @staticmethod
    def available() -> bool:
        return shutil.which("iptables") is not None and shutil.which("tc") is not None

    def _ensure_chain(self) -> None:
        if self._installed:
            return
        subprocess.run(["iptables", "-N", self.CHAIN], capture_output=True, check=False)
        _run("iptables", "-F", self.CHAIN)
        for hook in ("INPUT", "OUTPUT"):
            probe = subprocess.run(
                ["iptables", "-C", hook, "-j", self.CHAIN], capture_output=True, check=False
            )
            if probe.returncode != 0:
                _run("iptables", "-I", hook, "1", "-j", self.CHAIN)
        self._installed = True

    def _spare(self, scope: str) -> None:
        _run("iptables", "-A", self.CHAIN, "-i", "lo", "-j", "RETURN")
        _run("iptables", "-A", self.CHAIN, "-o", "lo", "-j", "RETURN")
        if scope != "all":
            port = str(self.http_port)
            _run("iptables", "-A", self.CHAIN, "-p", "tcp", "--dport", port, "-j", "RETURN")
            _run("iptables", "-A", self.CHAIN, "-p", "tcp", "--sport", port, "-j", "RETURN")

    def apply(self, fault: Fault) -> None:
        self._ensure_chain()
        p = fault.params
        seconds = float(p.get("seconds", 0) or 0)
        if fault.kind == "network_cut":
            self._spare(str(p.get("scope", "livekit")))
            _run("iptables", "-A", self.CHAIN, "-j", "DROP")
        elif fault.kind == "packet_loss":
            probability = float(p.get("percent", 5)) / 100
            self._spare(str(p.get("scope", "livekit")))
            _run(
                "iptables", "-A", self.CHAIN, "-m", "statistic", "--mode", "random",
                "--probability", f"{probability:.4f}", "-j", "DROP",
            )  # fmt: skip
        elif fault.kind == "reset_signalling":
            # Every packet of the signalling connection now draws a TCP reset: the client's
            # WebSocket dies as it would behind a broken proxy. Cleared after `seconds`.
            seconds = seconds or 2.0
            _run(
                "iptables", "-A", self.CHAIN, "-p", "tcp", "--dport", str(self.signal_port),
                "-j", "REJECT", "--reject-with", "tcp-reset",
            )  # fmt: skip
            subprocess.run(
                ["ss", "-K", "sport", "=", f":{self.signal_port}"], capture_output=True, check=False
            )
        elif fault.kind == "bandwidth_cap":
            kbit = int(p.get("kbit", 2000))
            _run(
                "tc", "qdisc", "replace", "dev", self.interface, "root", "tbf",
                "rate", f"{kbit}kbit", "burst", "32kbit", "latency", "400ms",
            )  # fmt: skip
        else:
            raise FaultError(f"{fault.kind} is not a network fault")
        self.active.append(fault.as_dict())
        if seconds > 0:
            loop = asyncio.get_running_loop()
            handle = loop.call_later(seconds, self.clear)
            self._timers.add(handle)

    def clear(self) -> None:
        for handle in self._timers:
            handle.cancel()
        self._timers.clear()
        if self._installed:
            subprocess.run(["iptables", "-F", self.CHAIN], capture_output=True, check=False)
        subprocess.run(
            ["tc", "qdisc", "del", "dev", self.interface, "root"], capture_output=True, check=False
        )
        self.active.clear()

    def uninstall(self) -> None:
        self.clear()
        if self._installed:
            for hook in ("INPUT", "OUTPUT"):
                subprocess.run(["iptables", "-D", hook, "-j", self.CHAIN], capture_output=True)
            subprocess.run(["iptables", "-X", self.CHAIN], capture_output=True)
            self._installed = False
