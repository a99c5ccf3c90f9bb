"""Every child process ends when the app ends, however it ends (issue 14): the app is killed
with SIGKILL, as a native abort or the OOM killer would, and nothing it started may outlive it.
Each helper's lifeline is a pipe from its parent: the rig (and its LiveKit server and avatars)
and the media engine end when that pipe closes, in every phase of a session.

The processes are found by walking /proc from a parent's pid while it runs, then polled until
each one is gone (a zombie counts as gone: it holds no resources but its pid).
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import httpx
import pytest

from avatar_desktop.core.provider_port import SessionSettings
from avatar_desktop.media.engine.protocol import b64, decode, encode
from avatar_desktop.media.engine_client import engine_command
from avatar_desktop.providers.liveavatar import LiveAvatarProvider
from avatar_desktop.rig.livekit_binary import ENV_VAR, find_livekit_server
from avatar_desktop.rig.sessions import DEMO_AVATAR_EN
from tests.pulse_harness import Pulse
from tests.rig_harness import API_KEY, RIG_HOST, RIG_NETNS, RigHandle

pytestmark = pytest.mark.e2e
GONE_WITHIN_S = 15.0


@dataclass(frozen=True)
class Proc:
    """A process as /proc shows it; ``started`` (clock ticks after boot) tells a reused pid."""

    pid: int
    ppid: int
    started: int
    cmdline: str


def read_proc(pid: int) -> tuple[Proc, str] | None:
    """The process and its state letter, or None when there is no such process."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return None
    fields = stat[stat.rindex(")") + 2 :].split()
    cmdline = raw.replace(b"\0", b" ").decode(errors="replace").strip()
    return Proc(pid, int(fields[1]), int(fields[19]), cmdline), fields[0]


def descendants(root: int) -> list[Proc]:
    """Every living process below ``root`` (children, their children, ...)."""
    by_parent: dict[int, list[Proc]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (found := read_proc(int(entry.name))) is not None:
            proc, state = found
            if state != "Z":
                by_parent.setdefault(proc.ppid, []).append(proc)
    out: list[Proc] = []
    frontier = [root]
    while frontier:
        children = by_parent.get(frontier.pop(), [])
        out.extend(children)
        frontier.extend(child.pid for child in children)
    return out


def alive(proc: Proc) -> bool:
    found = read_proc(proc.pid)
    return found is not None and found[0].started == proc.started and found[1] != "Z"


def wait_gone(procs: list[Proc], limit_s: float = GONE_WITHIN_S) -> list[Proc]:
    """Polls until every process is gone or the limit passes; returns the ones still alive."""
    deadline = time.monotonic() + limit_s
    left = [p for p in procs if alive(p)]
    while left and time.monotonic() < deadline:
        time.sleep(0.1)
        left = [p for p in left if alive(p)]
    return left


def kill_all(procs: list[Proc]) -> None:
    """Leaves nothing behind for the next test, whatever this one found."""
    for proc in procs:
        if alive(proc):
            os.kill(proc.pid, signal.SIGKILL)


def describe(procs: list[Proc]) -> str:
    return "\n".join(f"{p.pid}: {p.cmdline[:160]}" for p in procs)


def assert_all_gone(procs: list[Proc], after: str) -> float:
    """Waits for every process to end; returns how long that took."""
    started = time.monotonic()
    left = wait_gone(procs)
    assert not left, f"still running {GONE_WITHIN_S:.0f} s after {after}:\n" + describe(left)
    return time.monotonic() - started


def kinds(procs: list[Proc]) -> set[str]:
    """Which helpers are among ``procs``, by what they run."""
    found = set()
    for proc in procs:
        if "livekit-server" in proc.cmdline:
            found.add("livekit-server")
        elif "avatar_desktop.rig.avatar" in proc.cmdline:
            found.add("avatar")
        elif "avatar_desktop.rig" in proc.cmdline:
            found.add("rig")
        elif "avatar_desktop.media.engine" in proc.cmdline:
            found.add("engine")
    return found


def private_home(tmp_path: Path) -> dict[str, str]:
    """The app's environment with no user settings, logs or keys from this machine."""
    return dict(
        os.environ,
        HOME=str(tmp_path / "home"),
        XDG_DATA_HOME=str(tmp_path / "data"),
        XDG_CONFIG_HOME=str(tmp_path / "config"),
        XDG_STATE_HOME=str(tmp_path / "state"),
        XDG_CACHE_HOME=str(tmp_path / "cache"),
        **{ENV_VAR: str(find_livekit_server())},  # the cache moved with HOME
    )


def wait_for_text(log: Path, text: str, app: subprocess.Popen[bytes], limit_s: float) -> None:
    deadline = time.monotonic() + limit_s
    while text not in log.read_text(errors="replace"):
        assert app.poll() is None, log.read_text(errors="replace")
        assert time.monotonic() < deadline, log.read_text(errors="replace")
        time.sleep(0.2)


def test_killed_app_leaves_no_process_behind(tmp_path: Path) -> None:
    host = os.environ.get("AVATAR_DESKTOP_CLIENT_HOST")
    if not host or not os.environ.get("DISPLAY"):
        pytest.skip("needs the client namespace and a display (scripts/run-tests.sh)")
    log = tmp_path / "app.log"
    procs: list[Proc] = []
    with log.open("wb") as out:
        app = subprocess.Popen(
            [sys.executable, "-m", "avatar_desktop", "--demo", "--rig-host", host],
            stdout=out, stderr=subprocess.STDOUT, env=private_home(tmp_path),
        )  # fmt: skip
        try:
            wait_for_text(log, "→ live", app, limit_s=90)
            procs = descendants(app.pid)
            assert kinds(procs) >= {"rig", "livekit-server", "avatar", "engine"}, describe(procs)
            app.kill()
            app.wait(10)
            assert_all_gone(procs, "the app was killed")
        finally:
            if app.poll() is None:
                app.kill()
                app.wait(10)
            kill_all(procs)
    logs = {path.name: path.read_text(errors="replace") for path in tmp_path.rglob("*.log")}
    assert "stdin closed (the parent is gone)" in logs["demo-rig.log"]
    assert "shutdown took over" not in logs["demo-rig.log"]  # the clean way, not the last resort
    assert "stdin closed (the app is gone)" in logs["media-engine.log"]
    assert "exiting now" not in logs["media-engine.log"]


# -- the rig on its own: its stdin is the lifeline ---------------------------------------------
LIFELINE_RIG_PORT = 8800  # beside the module rig (8780) in the rig namespace


@dataclass
class StartedRig:
    process: subprocess.Popen[bytes]
    base_url: str
    log: Path

    @property
    def stdin(self) -> IO[bytes]:
        assert self.process.stdin is not None
        return self.process.stdin

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")


@pytest.fixture
def rig_namespace() -> str:
    if not RIG_NETNS:
        pytest.skip("needs the test network namespaces: run through scripts/run-tests.sh")
    return RIG_NETNS


def spawn_rig(namespace: str, log: Path, *flags: str) -> subprocess.Popen[bytes]:
    """The rig as the frozen app starts it (``avatar_desktop --rig``), with a pipe as stdin."""
    command = [
        "ip", "netns", "exec", namespace, sys.executable, "-m", "avatar_desktop", "--rig",
        "--host", RIG_HOST, "--port", str(LIFELINE_RIG_PORT), "--api-key", API_KEY, *flags,
    ]  # fmt: skip
    with log.open("wb") as err:
        return subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=err)


@pytest.fixture
def lifeline_rig(rig_namespace: str, tmp_path: Path) -> Iterator[StartedRig]:
    """A rig started with ``--exit-when-stdin-closes``, ready; nothing of it outlives the test."""
    log = tmp_path / "rig.log"
    process = spawn_rig(rig_namespace, log, "--exit-when-stdin-closes")
    assert process.stdout is not None
    line = process.stdout.readline().decode()
    seen: list[Proc] = []
    try:
        assert line.startswith("rig ready "), log.read_text(errors="replace")
        yield StartedRig(process, line.removeprefix("rig ready ").strip(), log)
    finally:
        seen = descendants(process.pid)
        if process.poll() is None:
            process.kill()
        process.wait(10)
        kill_all(seen)
        for pipe in (process.stdin, process.stdout):
            if pipe is not None:
                pipe.close()


def start_session(base_url: str) -> str:
    """A LiveAvatar session through the rig's HTTP API: the rig sends an avatar into its room."""
    with httpx.Client(base_url=base_url, timeout=30) as http:
        body = {
            "mode": "FULL",
            "avatar_id": DEMO_AVATAR_EN,
            "avatar_persona": {},
            "is_sandbox": False,
        }
        token = http.post("/v1/sessions/token", headers={"X-API-KEY": API_KEY}, json=body)
        token.raise_for_status()
        data = token.json()["data"]
        bearer = {"Authorization": f"Bearer {data['session_token']}"}
        http.post("/v1/sessions/start", headers=bearer).raise_for_status()
        return str(data["session_id"])


def rig_with_a_session(rig: StartedRig) -> list[Proc]:
    """Starts a session and returns the rig's processes once its avatar has joined."""
    start_session(rig.base_url)
    deadline = time.monotonic() + 30
    while True:
        state = httpx.get(f"{rig.base_url}/rig/state", timeout=10).json()
        rooms = state["rooms"]
        if rooms and "heygen" in rooms[0].get("participants", []):
            break
        assert time.monotonic() < deadline, state
        time.sleep(0.2)
    procs = descendants(rig.process.pid)
    assert kinds(procs) >= {"livekit-server", "avatar"}, describe(procs)
    return procs


def test_rig_ends_with_its_server_and_avatars_when_stdin_closes(lifeline_rig: StartedRig) -> None:
    procs = rig_with_a_session(lifeline_rig)
    lifeline_rig.stdin.close()
    assert_all_gone(procs, "the rig's stdin closed")
    assert lifeline_rig.process.wait(GONE_WITHIN_S) == 0, lifeline_rig.log_text()
    assert "stdin closed" in lifeline_rig.log_text()


def test_killed_rig_takes_its_server_and_avatars(lifeline_rig: StartedRig) -> None:
    """Linux only by design: the server has PR_SET_PDEATHSIG, the avatars their stdin."""
    procs = rig_with_a_session(lifeline_rig)
    lifeline_rig.process.kill()
    assert_all_gone(procs, "the rig was killed")


def test_rig_stops_starting_when_stdin_closes(rig_namespace: str, tmp_path: Path) -> None:
    """The parent may die while the rig still starts its server: the rig gives up, cleanly."""
    log = tmp_path / "rig.log"
    process = spawn_rig(rig_namespace, log, "--exit-when-stdin-closes")
    assert process.stdin is not None and process.stdout is not None
    seen: list[Proc] = []
    try:
        process.stdin.close()
        deadline = time.monotonic() + GONE_WITHIN_S
        while process.poll() is None and time.monotonic() < deadline:
            seen.extend(p for p in descendants(process.pid) if p not in seen)
            time.sleep(0.05)
        assert process.wait(1) == 0, log.read_text(errors="replace")
        assert process.stdout.read() == b"", "the rig said it was ready"
        assert_all_gone(seen, "the rig ended")
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(10)
        kill_all(seen)
        process.stdout.close()


def test_without_the_flag_the_rig_ignores_its_stdin(rig_namespace: str, tmp_path: Path) -> None:
    """The tests' own rig (tests/rig_harness.py) keeps running whatever its stdin does."""
    log = tmp_path / "rig.log"
    process = spawn_rig(rig_namespace, log)
    assert process.stdin is not None and process.stdout is not None
    seen: list[Proc] = []
    try:
        assert process.stdout.readline().startswith(b"rig ready"), log.read_text(errors="replace")
        seen = descendants(process.pid)
        process.stdin.close()
        time.sleep(2)
        assert process.poll() is None, log.read_text(errors="replace")
        base_url = f"http://{RIG_HOST}:{LIFELINE_RIG_PORT}"
        assert httpx.get(f"{base_url}/rig/state", timeout=10).json()["server"]["running"]
        process.send_signal(signal.SIGTERM)
        assert process.wait(20) == 0
        assert_all_gone(seen, "SIGTERM")
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(10)
        kill_all(seen)
        process.stdout.close()


# -- the media engine: stdin is its command pipe and its lifeline ------------------------------
ENGINE_EXIT_S = 4.0  # below the engine's own last-resort exit (5 s): the clean path must do


class EngineProcess:
    """The media engine as the app starts it, with the app's pipes in this test's hands."""

    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc = proc
        self.events: list[dict[str, Any]] = []
        self._reader = asyncio.get_running_loop().create_task(self._read())

    @classmethod
    async def start(cls, log: Path) -> EngineProcess:
        with log.open("ab") as err:
            proc = await asyncio.create_subprocess_exec(
                *engine_command(f"avd-{secrets.token_hex(6)}"),
                stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=err,
                limit=8 * 1024 * 1024,
            )  # fmt: skip
        engine = cls(proc)
        await engine.wait_for("ready")
        return engine

    async def _read(self) -> None:
        assert self.proc.stdout is not None
        while line := await self.proc.stdout.readline():
            if (event := decode(line)) is not None:
                self.events.append(event)

    async def send(self, command: dict[str, Any]) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(encode(command))
        await self.proc.stdin.drain()

    async def wait_for(self, name: str, timeout_s: float = 20, **match: Any) -> dict[str, Any]:
        async with asyncio.timeout(timeout_s):
            while True:
                for event in self.events:
                    if event.get("event") == name and all(
                        event.get(k) == v for k, v in match.items()
                    ):
                        return event
                assert self.proc.returncode is None, f"engine ended: {self.events}"
                await asyncio.sleep(0.05)

    async def close_stdin_and_wait(self) -> tuple[int, float]:
        """What the app's death does to the engine: its stdin ends. Returns the engine's exit
        code and how long it took to exit."""
        assert self.proc.stdin is not None
        started = time.monotonic()
        self.proc.stdin.close()
        code = await asyncio.wait_for(self.proc.wait(), GONE_WITHIN_S)
        await self._reader
        return code, time.monotonic() - started

    async def kill(self) -> None:
        if self.proc.returncode is None:
            self.proc.kill()
            await self.proc.wait()
        if not self._reader.done():
            await self._reader


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[EngineProcess]:
    process = await EngineProcess.start(tmp_path / "engine.log")
    seen = descendants(process.proc.pid)  # the shared memory's resource tracker
    try:
        yield process
    finally:
        seen.extend(p for p in descendants(process.proc.pid) if p not in seen)
        await process.kill()
        kill_all(seen)


async def assert_engine_ends_cleanly(engine: EngineProcess, log: Path) -> None:
    helpers = descendants(engine.proc.pid)
    code, took = await engine.close_stdin_and_wait()
    text = await asyncio.to_thread(log.read_text, errors="replace")
    assert code == 0, text
    assert took < ENGINE_EXIT_S, f"took {took:.1f} s\n{text}"
    assert "exiting now" not in text
    assert_all_gone(helpers, "the engine ended")


async def test_idle_engine_ends_when_stdin_closes(engine: EngineProcess, tmp_path: Path) -> None:
    await assert_engine_ends_cleanly(engine, tmp_path / "engine.log")


@pytest.fixture
def black_hole() -> Iterator[str]:
    """A signalling URL that accepts the connection and never answers: connect hangs."""
    with socket.create_server(("127.0.0.1", 0)) as server:
        yield f"ws://127.0.0.1:{server.getsockname()[1]}"


async def test_connecting_engine_ends_when_stdin_closes(
    engine: EngineProcess, black_hole: str, tmp_path: Path
) -> None:
    await engine.send({"cmd": "connect", "url": black_hole, "token": "x", "gen": 1})
    await asyncio.sleep(1.5)
    assert not [e for e in engine.events if e.get("event") in ("connected", "connect_failed")]
    await assert_engine_ends_cleanly(engine, tmp_path / "engine.log")


@pytest.fixture
async def provider(rig: RigHandle) -> AsyncIterator[LiveAvatarProvider]:
    p = LiveAvatarProvider(rig.api_key, base_url=rig.base_url)
    yield p
    for session_id in await p.active_session_ids():
        await p.stop_session_by_id(session_id)
    await p.aclose()


async def test_live_engine_playing_audio_ends_when_stdin_closes(
    engine: EngineProcess, provider: LiveAvatarProvider, pulse: Pulse, tmp_path: Path
) -> None:
    grant = await provider.start_session(SessionSettings(avatar_id=DEMO_AVATAR_EN))
    await engine.send(
        {"cmd": "connect", "url": grant.livekit_url, "token": grant.livekit_token,
         "avatar_identity": grant.avatar_identity, "gen": 1, "microphone": {"enabled": True}}
    )  # fmt: skip
    await engine.wait_for("first_frame")
    await engine.wait_for("audio_output", available=True)
    await engine.wait_for("microphone", available=True)
    speak = {"event_type": "avatar.speak_text", "session_id": grant.session_id,
             "text": "I keep talking while the app goes away without a word."}  # fmt: skip
    await engine.send(
        {"cmd": "send_data", "data_b64": b64(json.dumps(speak).encode()), "topic": "agent-control"}
    )
    await engine.wait_for("data", topic="agent-response")
    await asyncio.sleep(0.5)  # mid-sentence
    await assert_engine_ends_cleanly(engine, tmp_path / "engine.log")


# -- the last resort: a process whose clean shutdown hangs still ends --------------------------
STUCK_AFTER = "import time; time.sleep(60)"
LAST_RESORTS = {
    "helper": (
        "import logging; logging.basicConfig(); "
        "from avatar_desktop.lifeline import exit_within; exit_within(0.3, 'the app')"
    ),
    "rig": (
        "import types; from avatar_desktop.rig.__main__ import _exit_if_still_running; "
        "server = types.SimpleNamespace(kill_now=lambda: print('server killed', flush=True)); "
        "_exit_if_still_running(types.SimpleNamespace(server=server), 0.3)"
    ),
}


@pytest.mark.parametrize("role", sorted(LAST_RESORTS))
def test_last_resort_exit_fires_while_the_main_thread_is_stuck(role: str) -> None:
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-c", f"{LAST_RESORTS[role]}; {STUCK_AFTER}"],
        capture_output=True, text=True, timeout=30,
    )  # fmt: skip
    assert done.returncode == 1, done.stderr
    assert time.monotonic() - started < 10
    assert "exiting" in done.stderr
    if role == "rig":
        assert "server killed" in done.stdout
