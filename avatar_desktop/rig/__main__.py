"""``python -m avatar_desktop.rig --host H --port P [--api-key K]``: the whole rig in one command.

Prints ``rig ready http://H:P`` once the LiveKit server, the emulator and the avatar machinery
accept connections; SIGINT/SIGTERM stop everything and leave no child process. With
``--exit-when-stdin-closes`` the end of stdin does the same: a parent that keeps the write end of
that pipe (the app's demo) takes the rig down with it however it dies, on every OS, since the
system closes a dead process's pipes.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import signal
import sys
import threading
from collections.abc import Awaitable, Callable
from pathlib import Path

from aiohttp import web

from .emulator import make_app
from .faults import Fault, FaultError
from .livekit_binary import LiveKitServerUnavailable
from .rig import JOIN_DELAYS, Rig, RigOptions, parse_join_delay

log = logging.getLogger("avatar_desktop.rig")
# After the lifeline closes, the clean shutdown gets this long before the rig kills its server
# and exits anyway (avatars follow on their own lifelines).
LIFELINE_GRACE_S = 10.0


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m avatar_desktop.rig", description=__doc__)
    parser.add_argument("--host", required=True, help="address to bind (not loopback: WebRTC)")
    parser.add_argument("--port", type=int, default=8780, help="HTTP API; LiveKit takes P+1..P+3")
    parser.add_argument("--api-key", default="demo-key", help="the HeyGen API key to accept")
    parser.add_argument("--faults", default="[]", help="JSON list of fault plans to start with")
    parser.add_argument("--session-idle-timeout", type=float, default=300.0, help="LiveAvatar")
    parser.add_argument(
        "--v1-idle-timeout", type=float, default=120.0, help="v1, when a session asks for none"
    )
    parser.add_argument(
        "--avatar-join-delay",
        type=parse_join_delay,
        default="normal",
        help=f"seconds until an avatar is in its room: {', '.join(JOIN_DELAYS)}, S or LOW-HIGH",
    )
    parser.add_argument("--seed", type=int, default=None, help="for the join delays' jitter")
    parser.add_argument(
        "--rate-limit",
        type=int,
        default=20,
        help="LiveAvatar calls per second, per caller and endpoint (0: none)",
    )
    parser.add_argument("--max-session-duration", type=float, default=3600.0)
    parser.add_argument("--sandbox-duration", type=float, default=60.0)
    parser.add_argument("--credits", type=float, default=1000.0, help="the account's balance")
    parser.add_argument("--credits-per-minute", type=float, default=2.0)
    parser.add_argument("--concurrent-limit", type=int, default=3)
    parser.add_argument(
        "--network-faults",
        action="store_true",
        help="allow iptables/tc faults (only in a network namespace made for the rig)",
    )
    parser.add_argument(
        "--stamp-frames",
        action="store_true",
        help="draw a frame counter and send time into the picture (tests and benchmarks)",
    )
    parser.add_argument(
        "--greet",
        action="store_true",
        help="the avatar greets the user, in the session's language, once it can be heard",
    )
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument(
        "--sync-markers",
        action="store_true",
        help="lip-sync markers: once a second a flagged frame stamp and a 12 kHz tone",
    )
    parser.add_argument(
        "--exit-when-stdin-closes",
        action="store_true",
        help="shut down as on SIGTERM when stdin reaches its end (what is written is ignored)",
    )
    return parser.parse_args(argv)


def watch_lifeline(loop: asyncio.AbstractEventLoop, on_closed: Callable[[], None]) -> bool:
    """Calls ``on_closed`` on ``loop`` once stdin reaches its end; False when there is no stdin.

    A thread reading the raw descriptor, not ``connect_read_pipe``: Windows' proactor loop
    cannot read a standard handle, and the raw read holds no lock that could stall shutdown.
    """
    if sys.stdin is None:
        return False
    fd = sys.stdin.fileno()

    def read_to_the_end() -> None:
        with contextlib.suppress(OSError):
            while os.read(fd, 4096):
                pass
        with contextlib.suppress(RuntimeError):  # the loop is already closed: nothing to do
            loop.call_soon_threadsafe(on_closed)

    threading.Thread(target=read_to_the_end, name="lifeline", daemon=True).start()
    return True


def _exit_if_still_running(rig: Rig, after_s: float) -> None:
    """The last resort after the lifeline closed: kill the server, then exit, if the clean
    shutdown has not finished by then (a stuck avatar, a server that ignores SIGTERM)."""

    def exit_now() -> None:
        log.warning("shutdown took over %.0f s: killing the server and exiting", after_s)
        rig.server.kill_now()
        os._exit(1)

    timer = threading.Timer(after_s, exit_now)
    timer.daemon = True
    timer.start()


def _stop_on_signals(loop: asyncio.AbstractEventLoop, stop: asyncio.Event) -> None:
    for sig in (signal.SIGINT, signal.SIGTERM):
        # Windows' loop has no signal handlers: there Ctrl+C and the lifeline stop the rig.
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)


async def _start_unless_stopped(start: Awaitable[None], stop: asyncio.Event) -> bool:
    """Runs ``start`` unless ``stop`` is set first (a signal or the lifeline, even mid-start);
    True once started. Whatever ``start`` raises comes through."""
    starting = asyncio.ensure_future(start)
    stopping = asyncio.ensure_future(stop.wait())
    await asyncio.wait({starting, stopping}, return_when=asyncio.FIRST_COMPLETED)
    stopping.cancel()
    if not starting.done():
        starting.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await starting
        return False
    starting.result()
    return True


async def _start(
    rig: Rig, runner: web.AppRunner, initial: list[Fault], host: str, port: int
) -> None:
    await rig.start()
    for fault in initial:
        await rig.apply_fault(fault)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()


async def run(args: argparse.Namespace) -> int:
    options = RigOptions(
        host=args.host,
        port=args.port,
        api_key=args.api_key,
        session_idle_timeout_s=args.session_idle_timeout,
        v1_idle_timeout_s=args.v1_idle_timeout,
        avatar_join_delay_s=args.avatar_join_delay,
        seed=args.seed,
        rate_limit_per_s=args.rate_limit,
        max_session_duration_s=args.max_session_duration,
        sandbox_duration_s=args.sandbox_duration,
        credits=args.credits,
        credits_per_minute=args.credits_per_minute,
        concurrent_limit=args.concurrent_limit,
        network_faults=args.network_faults,
        stamp_frames=args.stamp_frames,
        greet=args.greet,
        workdir=args.workdir,
        sync_markers=args.sync_markers,
    )
    try:
        rig = Rig(options)
        initial = [Fault.parse(item) for item in json.loads(args.faults)]
    except (LiveKitServerUnavailable, FaultError, json.JSONDecodeError) as exc:
        print(f"rig: {exc}", file=sys.stderr)
        return 2
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    _stop_on_signals(loop, stop)
    if args.exit_when_stdin_closes:

        def parent_gone() -> None:
            log.info("stdin closed (the parent is gone): shutting down")
            stop.set()
            _exit_if_still_running(rig, LIFELINE_GRACE_S)

        if not watch_lifeline(loop, parent_gone):
            log.warning("no stdin to watch: the rig will not end with its parent")
    runner = web.AppRunner(make_app(rig), access_log=None)
    try:
        if await _start_unless_stopped(_start(rig, runner, initial, args.host, args.port), stop):
            print(f"rig ready http://{args.host}:{args.port}", flush=True)
            await stop.wait()
    finally:
        await runner.cleanup()
        await rig.stop()
    return 0


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="rig %(levelname)s %(name)s: %(message)s")
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
    sys.exit(asyncio.run(run(parse_args())))


if __name__ == "__main__":
    main()
