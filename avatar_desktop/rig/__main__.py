"""``python -m avatar_desktop.rig --host H --port P [--api-key K]``: the whole rig in one command.

Prints ``rig ready http://H:P`` once the LiveKit server, the emulator and the avatar machinery
accept connections; SIGINT/SIGTERM stop everything and leave no child process.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import signal
import sys
from pathlib import Path

from aiohttp import web

from .emulator import make_app
from .faults import Fault, FaultError
from .livekit_binary import LiveKitServerUnavailable
from .rig import Rig, RigOptions


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m avatar_desktop.rig", description=__doc__)
    parser.add_argument("--host", required=True, help="address to bind (not loopback: WebRTC)")
    parser.add_argument("--port", type=int, default=8780, help="HTTP API; LiveKit takes P+1..P+3")
    parser.add_argument("--api-key", default="demo-key", help="the HeyGen API key to accept")
    parser.add_argument("--faults", default="[]", help="JSON list of fault plans to start with")
    parser.add_argument("--session-idle-timeout", type=float, default=300.0)
    parser.add_argument("--max-session-duration", type=float, default=3600.0)
    parser.add_argument("--concurrent-limit", type=int, default=3)
    parser.add_argument(
        "--network-faults",
        action="store_true",
        help="allow iptables/tc faults (only in a network namespace made for the rig)",
    )
    parser.add_argument("--workdir", type=Path, default=None)
    return parser.parse_args(argv)


async def run(args: argparse.Namespace) -> int:
    options = RigOptions(
        host=args.host,
        port=args.port,
        api_key=args.api_key,
        session_idle_timeout_s=args.session_idle_timeout,
        max_session_duration_s=args.max_session_duration,
        concurrent_limit=args.concurrent_limit,
        network_faults=args.network_faults,
        workdir=args.workdir,
    )
    try:
        rig = Rig(options)
        initial = [Fault.parse(item) for item in json.loads(args.faults)]
    except (LiveKitServerUnavailable, FaultError, json.JSONDecodeError) as exc:
        print(f"rig: {exc}", file=sys.stderr)
        return 2
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    runner = web.AppRunner(make_app(rig), access_log=None)
    try:
        await rig.start()
        for fault in initial:
            await rig.apply_fault(fault)
        await runner.setup()
        await web.TCPSite(runner, args.host, args.port).start()
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
