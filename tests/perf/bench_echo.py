"""Benchmark of echo cancellation in simulated rooms (tests/acoustic_room.py) on the rig: per
room and coupling, ERLE over the avatar's speech, the residual echo that left the microphone
(dBFS), the canceller's convergence time, false user turns while only the avatar spoke, and
how soon the user talking over the avatar was heard.

    python -m tests.perf.bench_echo [--smoke] [--rooms office,kitchen] [--couplings -12,0]

Run inside the test namespaces (scripts/in-test-netns.sh). Writes JSON (default
artifacts/bench_echo.json).
"""

from __future__ import annotations

import argparse
import asyncio
import json
from pathlib import Path
from typing import Any

from tests.acoustic_room import ROOMS
from tests.echo_scenario import EchoCase, run_case
from tests.perf.report import write_report
from tests.pulse_harness import Pulse, running_pulse
from tests.rig_harness import RigHandle, running_rig

COLUMNS = (
    ("room", 8), ("coupling_db", 6), ("erle_db", 6), ("erle_aec_db", 6), ("residual_dbfs", 8),
    ("converged_s", 6),
    ("false_starts", 6), ("false_segments", 6), ("barge_in_heard_s", 7),
    ("avatar_interrupted", 6), ("true_segments", 5), ("mic_delay_ms", 6), ("echo_delay_ms", 6),
    ("gated_frames", 6), ("mic_dropped", 6), ("room_delay_ms", 6), ("room_missed_ms", 6),
)  # fmt: skip


def table(cases: list[EchoCase]) -> str:
    head = " ".join(name[:width].rjust(width) for name, width in COLUMNS)
    rows = [" ".join(str(c.row()[name]).rjust(width) for name, width in COLUMNS) for c in cases]
    return "\n".join([head, *rows])


async def measure(
    rig: RigHandle,
    pulse: Pulse,
    rooms: list[str],
    couplings: list[float],
    silent_s: float,
    agc: bool = True,
) -> list[EchoCase]:
    cases = []
    for room in (r for r in ROOMS if r.name in rooms):
        for coupling in couplings:
            spec = room.with_coupling(coupling)
            case = await run_case(rig, pulse, spec, silent_s, agc=agc)
            print(json.dumps(case.row()), flush=True)
            cases.append(case)
    return cases


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--smoke", action="store_true", help="one room at -12 dB, 6 s")
    parser.add_argument("--rooms", default=",".join(r.name for r in ROOMS))
    parser.add_argument("--couplings", default="-12,0")
    parser.add_argument("--silent-seconds", type=float, default=12.0)
    parser.add_argument("--no-agc", action="store_true", help="the microphone's AGC off")
    parser.add_argument("--json", type=Path, default=Path("artifacts/bench_echo.json"))
    parser.add_argument("--port", type=int, default=8880)
    args = parser.parse_args(argv)
    rooms = ["office"] if args.smoke else args.rooms.split(",")
    couplings = [-12.0] if args.smoke else [float(c) for c in args.couplings.split(",")]
    silent_s = 6.0 if args.smoke else args.silent_seconds
    with running_pulse() as pulse, running_rig(args.port) as rig:
        cases = asyncio.run(measure(rig, pulse, rooms, couplings, silent_s, not args.no_agc))
    print(table(cases))
    return write_report("echo", args.smoke, [c.row() for c in cases], args.json)


if __name__ == "__main__":
    main()
