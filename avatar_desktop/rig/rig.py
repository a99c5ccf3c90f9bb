"""The rig: LiveKit server + HTTP emulator + one synthetic avatar per session + fault plans."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from livekit import api

from .avatar.face import QUALITY_SIZES
from .avatar.participant import AVATAR_IDENTITY, AvatarConfig
from .avatar_process import AvatarProcess
from .faults import (
    NETWORK_KINDS,
    SERVER_KINDS,
    SESSION_KINDS,
    Fault,
    FaultError,
    NetworkFaults,
    StandingFaults,
)
from .livekit_binary import find_livekit_server
from .livekit_process import LiveKitPorts, LiveKitServer
from .rate_limits import RateLimiter
from .sessions import Session, SessionRegistry
from .tokens import SessionTokens, livekit_token
from .v1_voice_chat import relay_user_speech

log = logging.getLogger(__name__)


# How long the avatar takes to join its room after a session starts, in seconds (low, high).
# Real avatars take seconds (the official LiveAvatar SDK waits up to 30 s for them, contract.md
# §2.1); a far-away region takes longer. Each session draws its own delay in the range.
JOIN_DELAYS: dict[str, tuple[float, float]] = {
    "instant": (0.0, 0.0),
    "normal": (1.0, 4.0),
    "slow-region": (10.0, 25.0),
}


def parse_join_delay(text: str) -> tuple[float, float]:
    """A plan name of ``JOIN_DELAYS``, one number of seconds, or a range ``LOW-HIGH``."""
    if text in JOIN_DELAYS:
        return JOIN_DELAYS[text]
    low, _, high = text.partition("-")
    try:
        bounds = (float(low), float(high or low))
    except ValueError:
        known = ", ".join(sorted(JOIN_DELAYS))
        raise ValueError(f"{text!r} is not a join delay ({known}, S or LOW-HIGH)") from None
    if not 0 <= bounds[0] <= bounds[1]:
        raise ValueError(f"join delay {text!r}: need 0 <= LOW <= HIGH")
    return bounds


@dataclass
class RigOptions:
    host: str
    port: int
    api_key: str = "demo-key"
    session_idle_timeout_s: float = 300.0  # LiveAvatar's 5 minutes (contract.md §3)
    v1_idle_timeout_s: float = 120.0  # v1's activity_idle_timeout default (§4.8)
    avatar_join_delay_s: tuple[float, float] = JOIN_DELAYS["normal"]
    seed: int | None = None  # for the join delays' jitter
    rate_limit_per_s: int = 20  # per caller and endpoint; the real numbers are SILENT (§1.1)
    max_session_duration_s: float = 3600.0
    sandbox_duration_s: float = 60.0  # "ends after about a minute" (contract.md §3)
    credits: float = 1000.0  # the account's balance
    credits_per_minute: float = 2.0  # what FULL costs (contract.md §3); tests speed it up
    concurrent_limit: int = 3
    network_faults: bool = False  # only inside a namespace made for the rig
    stamp_frames: bool = False  # frame counter and send time in the picture: tests, benchmarks
    greet: bool = False  # avatars greet the user once it hears them: the demo
    workdir: Path | None = None
    sync_markers: bool = False  # lip-sync markers in every avatar's picture and voice


def interface_for(address: str) -> str | None:
    """The network interface that holds ``address`` in this namespace."""
    out = subprocess.run(["ip", "-o", "addr"], capture_output=True, text=True, check=False).stdout
    for line in out.splitlines():
        parts = line.split()
        if len(parts) > 3 and parts[3].split("/")[0] == address:
            return parts[1]
    return None


class Rig:
    def __init__(self, options: RigOptions) -> None:
        self.options = options
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        if options.workdir is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="avatar-rig-")
            self.workdir = Path(self._tmp.name)
        else:
            self.workdir = options.workdir
        self.ports = LiveKitPorts.after(options.port)
        self.server = LiveKitServer(
            find_livekit_server(), options.host, self.ports, self.workdir / "livekit"
        )
        self.sessions = SessionRegistry()
        self.tokens = SessionTokens()
        self.faults = StandingFaults()
        self.used_v1_tokens: set[str] = set()
        self.network: NetworkFaults | None = None
        if options.network_faults:
            iface = interface_for(options.host)
            if iface is None:
                raise FaultError(f"no interface holds {options.host}: cannot make network faults")
            self.network = NetworkFaults(iface, options.port, self.ports.signal)
        self._tasks: set[asyncio.Task[Any]] = set()
        self._server_lock = asyncio.Lock()
        self._jitter = random.Random(options.seed)
        self.rate_limiter = (
            RateLimiter(options.rate_limit_per_s) if options.rate_limit_per_s > 0 else None
        )

    # -- lifecycle -----------------------------------------------------------------------------
    async def start(self) -> None:
        await self.server.start()
        self._spawn(self._watch_sessions(), "watch-sessions")

    async def stop(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        for session in self.sessions.open_sessions():
            with contextlib.suppress(Exception):
                await self.stop_session(session, "USER_CLOSED", status="stopped")
        if self.network is not None:
            self.network.uninstall()
        await self.server.stop()
        if self._tmp is not None:
            self._tmp.cleanup()

    def _spawn(self, coro: Any, name: str) -> None:
        task = asyncio.get_running_loop().create_task(coro, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # -- sessions ------------------------------------------------------------------------------
    def create_session(self, flavor: Any, request: dict[str, Any]) -> Session:
        return self.sessions.add(Session(flavor=flavor, request=request))

    def _livekit_secret_for_client(self) -> str:
        if self.faults.take("wrong_livekit_secret") is not None:
            return "wrong-secret-" + "x" * 32
        return self.server.api_secret

    async def open_room(self, session: Session) -> None:
        """Creates the session's room and mints its tokens, as HeyGen's backend does."""
        lk = self.server
        lkapi = lk.api_client()
        try:
            await lkapi.room.create_room(
                api.CreateRoomRequest(name=session.room, empty_timeout=60, departure_timeout=10)
            )
        finally:
            await lkapi.aclose()
        session.client_token = livekit_token(
            lk.api_key, self._livekit_secret_for_client(), session.room, session.client_identity
        )
        session.agent_token = livekit_token(
            lk.api_key, lk.api_secret, session.room, session.agent_identity
        )

    async def start_session(self, session: Session) -> None:
        """Sends the avatar into the session's room: it joins after this session's join
        delay, and the clock of a billed session starts."""
        config = self._avatar_config(session)

        def on_report(report: dict[str, Any]) -> None:
            if report.get("event") == "user_speech":
                relay_user_speech(session, bool(report.get("speaking")))
            elif report.get("event") == "said" and isinstance(report.get("text"), str):
                session.said(str(report.get("role", "avatar")), report["text"])

        session.avatar = AvatarProcess(config, self.workdir / "avatars", on_report)
        await session.avatar.start()
        session.status = "active"
        session.started_at = time.time()
        session.touch()
        ends = self.faults.take("session_ends_after")
        if ends is not None:
            session.ends_at = time.monotonic() + float(ends.params.get("seconds", 10))

    def _join_delay(self) -> float:
        late = self.faults.take("join_late")
        if late is not None:
            return float(late.params.get("seconds", 10))
        low, high = self.options.avatar_join_delay_s
        return round(self._jitter.uniform(low, high), 2)

    def _avatar_config(self, session: Session) -> AvatarConfig:
        req = session.request
        lk = self.server
        if session.flavor == "liveavatar":
            quality = str((req.get("video_settings") or {}).get("quality", "high"))
            # LiveAvatar encodes H264 unless asked for VP8 (contract.md §1.3).
            codec = str((req.get("video_settings") or {}).get("encoding", "H264"))
            persona = req.get("avatar_persona") or {}
            language = str(persona.get("language") or "en")
            ptt = req.get("interactivity_type") == "PUSH_TO_TALK"
            room_microphone = True
        else:
            quality = str(req.get("quality", "high"))
            codec = str(req.get("video_encoding", "VP8"))  # v1's documented default (§4.2)
            language = str(req.get("language") or "en")
            ptt = False  # v1 asks for push-to-talk on the voice-chat websocket (§4.4)
            # The microphone reaches v1 over LiveKit only when the session asked for that
            # transport; otherwise it comes as audio frames on the websocket (§4.5).
            room_microphone = req.get("ia_is_livekit_transport") is True
        width, height = QUALITY_SIZES.get(quality, QUALITY_SIZES["high"])
        late = self.faults.take("tracks_late")
        never = self.faults.take("tracks_never")
        return AvatarConfig(
            session_id=session.session_id,
            flavor=session.flavor,
            ws_url=lk.ws_url,
            avatar_token=livekit_token(lk.api_key, lk.api_secret, session.room, AVATAR_IDENTITY),
            agent_token=session.agent_token if session.flavor == "liveavatar" else None,
            width=width,
            height=height,
            codec=codec,
            language=language,
            push_to_talk=ptt,
            room_microphone=room_microphone,
            join_delay_s=self._join_delay(),
            tracks_delay_s=float(late.params.get("seconds", 3)) if late else 0.0,
            tracks_never=never is not None,
            stamp=self.options.stamp_frames,
            greet=self.options.greet,
            sync_markers=self.options.sync_markers,
        )

    async def stop_session(self, session: Session, reason: str, status: str = "stopped") -> None:
        """Ends a session: tells the client (``session.stopped``), removes the avatar and deletes
        the room, so the client sees LiveKit's own disconnect."""
        if not session.open:
            return
        session.status = "stopped" if status == "stopped" else "expired"
        session.stop_reason = reason
        session.ended_at = time.time()
        avatar = session.avatar
        if avatar is not None and avatar.alive and reason != "USER_CLOSED":
            with contextlib.suppress(ConnectionError, TimeoutError):
                await avatar.command("session_stopped", reason=reason, wait_s=3)
        await self._delete_room(session.room)
        if avatar is not None:
            await avatar.stop()

    async def _delete_room(self, room: str) -> None:
        if not self.server.running:
            return
        lkapi = self.server.api_client()
        try:
            await lkapi.room.delete_room(api.DeleteRoomRequest(room=room))
        except api.TwirpError as exc:
            log.info("delete room %s: %s", room, exc)
        finally:
            await lkapi.aclose()

    async def _watch_sessions(self) -> None:
        """Expires idle sessions, ends sessions at their limit or fault time, and notices rooms
        that vanished with a killed server."""
        while True:
            await asyncio.sleep(0.5)
            now = time.monotonic()
            for session in self.sessions.open_sessions():
                idle = now - session.last_activity
                if session.status != "active":
                    if idle > self.idle_timeout(session):  # created, never started
                        await self.stop_session(session, "IDLE_TIMEOUT", status="expired")
                    continue
                if session.ends_at is not None and now >= session.ends_at:
                    await self.stop_session(session, "SERVER_ERROR")
                elif idle > self.idle_timeout(session):
                    await self.stop_session(session, "IDLE_TIMEOUT", status="expired")
                elif (
                    session.started_at is not None
                    and time.time() - session.started_at > self._duration_limit(session)
                ):
                    await self.stop_session(session, "MAX_DURATION_REACHED", status="expired")
                elif not session.sandbox and self.credits_left() <= 0:
                    await self.stop_session(session, "NO_CREDITS", status="expired")
                elif session.avatar is not None and not session.avatar.alive:
                    await self.stop_session(session, "SERVER_ERROR")

    def idle_timeout(self, session: Session) -> float:
        """LiveAvatar's fixed 5 minutes; v1's ``activity_idle_timeout`` or its default."""
        if session.flavor == "v1":
            asked = session.request.get("activity_idle_timeout")
            return float(asked) if isinstance(asked, int) else self.options.v1_idle_timeout_s
        return self.options.session_idle_timeout_s

    def _duration_limit(self, session: Session) -> float:
        if session.sandbox:
            return min(self.options.sandbox_duration_s, self.options.max_session_duration_s)
        return self.options.max_session_duration_s

    def credits_left(self) -> float:
        """The balance less what the LiveAvatar sessions spent (sandbox ones spend nothing)."""
        return self.options.credits - sum(
            self.credits_consumed(s) for s in self.sessions.all() if s.flavor == "liveavatar"
        )

    def credits_consumed(self, session: Session) -> float:
        return self.options.credits_per_minute * session.billed_seconds / 60.0

    # -- faults --------------------------------------------------------------------------------
    async def apply_fault(self, fault: Fault) -> dict[str, Any]:
        if fault.kind in NETWORK_KINDS:
            if self.network is None:
                raise FaultError(
                    "network faults need the rig in a network namespace of its own "
                    "(start it with --network-faults inside one)"
                )
            self.network.apply(fault)
            return {"applied": fault.as_dict()}
        if fault.kind in SERVER_KINDS:
            return await self._server_fault(fault)
        if fault.kind in SESSION_KINDS:
            return await self._session_fault(fault)
        self.faults.add(fault)
        return {"standing": fault.as_dict()}

    async def _server_fault(self, fault: Fault) -> dict[str, Any]:
        async with self._server_lock:
            if fault.kind == "kill_server":
                await self.server.kill()
                restart_after = fault.params.get("restart_after_s")
                if restart_after is not None:
                    self._spawn(self._restart_later(float(restart_after)), "restart-server")
            elif not self.server.running:
                await self.server.start()
        return {"server_running": self.server.running}

    async def _restart_later(self, delay_s: float) -> None:
        await asyncio.sleep(delay_s)
        async with self._server_lock:
            if not self.server.running:
                await self.server.start()

    def _target_session(self, fault: Fault) -> Session:
        wanted = fault.params.get("session_id")
        open_sessions = [s for s in self.sessions.open_sessions() if s.status == "active"]
        for session in open_sessions:
            if wanted in (None, session.session_id):
                return session
        raise FaultError(f"no active session {wanted or ''} for {fault.kind}".replace("  ", " "))

    async def _session_fault(self, fault: Fault) -> dict[str, Any]:
        session = self._target_session(fault)
        if fault.kind == "send_malformed":
            if session.avatar is None:
                raise FaultError("the session has no avatar")
            reply = await session.avatar.command("send_malformed")
            return {"sent": reply.get("sent", [])}
        if fault.kind == "end_session":
            await self.stop_session(session, str(fault.params.get("reason", "SERVER_ERROR")))
            return {"ended": session.session_id}
        lkapi = self.server.api_client()
        try:
            if fault.kind == "remove_participant":
                identity = str(fault.params.get("identity", session.client_identity))
                await lkapi.room.remove_participant(
                    api.RoomParticipantIdentity(room=session.room, identity=identity)
                )
            else:
                await lkapi.room.delete_room(api.DeleteRoomRequest(room=session.room))
        finally:
            await lkapi.aclose()
        return {"done": fault.kind, "room": session.room}

    async def clear_faults(self) -> None:
        self.faults.clear()
        if self.network is not None:
            self.network.clear()
        for session in self.sessions.open_sessions():
            if session.avatar is not None and session.avatar.alive:
                with contextlib.suppress(ConnectionError, TimeoutError):
                    await session.avatar.command("publish_tracks")

    # -- state ---------------------------------------------------------------------------------
    async def state(self) -> dict[str, Any]:
        rooms: list[dict[str, Any]] = []
        if self.server.running:
            lkapi = self.server.api_client()
            try:
                listed = await lkapi.room.list_rooms(api.ListRoomsRequest())
                for room in listed.rooms:
                    people = await lkapi.room.list_participants(
                        api.ListParticipantsRequest(room=room.name)
                    )
                    rooms.append(
                        {
                            "name": room.name,
                            "participants": [p.identity for p in people.participants],
                        }
                    )
            except Exception as exc:  # noqa: BLE001 - state must answer even mid-fault
                rooms.append({"error": repr(exc)})
            finally:
                await lkapi.aclose()
        sessions = [
            {**s.summary(), "idle_timeout_s": self.idle_timeout(s)} for s in self.sessions.all()
        ]
        return {
            "server": {
                "running": self.server.running,
                "url": self.server.ws_url,
                "pid": self.server.pid,
            },
            "sessions": sessions,
            "active_sessions": sum(1 for s in self.sessions.all() if s.open),
            "rooms": rooms,
            "faults": self.faults.list(),
            "network_faults": self.network.active if self.network is not None else [],
        }
