"""Soak benchmark: the real window Live on the rig for a long time (default 30 minutes), a text
message to the avatar ("Ask the avatar") every 30 s. Every second it samples the memory (RSS) of
this GUI process and of its media engine (and of the rig's processes, for reference); a periodic
asyncio timer measures its own lateness (event-loop lag) all along.

Reports minutes, sessions created (the controller's state changes and the rig's /rig/state),
RSS start/end per process, loop lag p50/p99/max, replies received (and how long each took to
start), and every state change after the first Live.

    python -m tests.perf.bench_soak [--seconds 1800] [--message-every 30] [--smoke]

Run inside the test namespaces under Xvfb (scripts/in-test-netns.sh xvfb-run -a ...). Writes
JSON (default artifacts/bench_soak.json).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import qasync
from PySide6.QtWidgets import QApplication

from avatar_desktop.app import EngineHolder
from avatar_desktop.core.conversation import TranscriptLine
from avatar_desktop.core.provider_port import SessionSettings
from avatar_desktop.core.session_controller import SessionController
from avatar_desktop.core.session_state import SessionState, StateChange
from avatar_desktop.providers.liveavatar import LiveAvatarProvider
from avatar_desktop.ui.main_window import MainWindow
from tests.long_run import Sample, rss_summary, sample
from tests.perf.report import percentile, write_report
from tests.rig_harness import RigHandle, running_rig

QUESTIONS = [
    "How are you today?",
    "What is the weather like where you are?",
    "Tell me something about the sea.",
    "¿Qué tal estás hoy?",
    "What should I cook for dinner tonight?",
    "Can you recommend a good book?",
]


class LoopLag:
    """A timer every ``period_s`` on the event loop that notes how late it fired (ms)."""

    def __init__(self, period_s: float) -> None:
        self.period_s = period_s
        self.late_ms: list[float] = []
        self.at: list[float] = []  # loop time of each measurement
        self._handle: asyncio.TimerHandle | None = None

    def start(self) -> None:
        loop = asyncio.get_running_loop()
        self._schedule(loop, loop.time() + self.period_s)

    def _schedule(self, loop: asyncio.AbstractEventLoop, at: float) -> None:
        self._handle = loop.call_at(at, self._fired, loop, at)

    def _fired(self, loop: asyncio.AbstractEventLoop, due: float) -> None:
        now = loop.time()
        self.late_ms.append(max(0.0, (now - due) * 1000))
        self.at.append(now)
        following = due + self.period_s
        while following <= now:  # a stall skips the ticks it swallowed (measured once)
            following += self.period_s
        self._schedule(loop, following)

    def stop(self) -> None:
        if self._handle is not None:
            self._handle.cancel()

    def worst(self, since: float, count: int = 5) -> list[tuple[float, float]]:
        """The ``count`` latest-firing ticks: (seconds since ``since``, ms late), worst first."""
        ranked = sorted(zip(self.at, self.late_ms, strict=True), key=lambda p: -p[1])[:count]
        return [(round(at - since, 1), round(ms, 1)) for at, ms in ranked]


@dataclass
class Exchange:
    text: str
    sent_at: float  # monotonic
    send_error: str = ""
    reply_after_s: float | None = None  # first words of the avatar's reply
    reply: str = ""


@dataclass
class Watch:
    """What the controller and the conversation told us while the soak ran."""

    changes: list[StateChange] = field(default_factory=list)
    exchanges: list[Exchange] = field(default_factory=list)
    avatar_lines: int = 0

    def on_controller(self, kind: str, payload: Any) -> None:
        if kind == "state" and isinstance(payload, StateChange):
            self.changes.append(payload)

    def on_line(self, line: TranscriptLine, is_new: bool) -> None:
        if line.speaker != "avatar":
            return
        if is_new:
            self.avatar_lines += 1
        pending = self.exchanges[-1] if self.exchanges else None
        if pending is not None and pending.reply_after_s is None and not pending.send_error:
            pending.reply_after_s = round(time.monotonic() - pending.sent_at, 2)
        if pending is not None and line.text:
            pending.reply = line.text[:120]


async def soak(
    rig: RigHandle,
    seconds: float,
    message_every_s: float,
    sample_every_s: float,
    lag_period_s: float,
    quality: str,
) -> dict[str, Any]:
    provider = LiveAvatarProvider(rig.api_key, base_url=rig.base_url)
    engines = EngineHolder(None)
    controller = SessionController(provider, engines.factory, SessionSettings(quality=quality))
    watch = Watch()
    controller.subscribe(watch.on_controller)
    controller.conversation.subscribe(watch.on_line)
    window = MainWindow(controller, engines, "rig", secrets=(rig.api_key,))
    window.resize(1280, 760)
    window.show()
    lag = LoopLag(lag_period_s)
    samples: list[Sample] = []
    seen: dict[tuple[int, int], str] = {}
    sessions_before = len(rig.state()["sessions"])
    try:
        clicked = time.monotonic()
        window.start_action.trigger()
        async with asyncio.timeout(120):
            while controller.state is not SessionState.LIVE:  # noqa: ASYNC110 - polling
                await asyncio.sleep(0.05)
        live_after_s = time.monotonic() - clicked
        initial_changes = len(watch.changes)
        lag.start()
        started, loop_started = time.monotonic(), asyncio.get_running_loop().time()
        next_sample, next_message = started, started + min(5.0, message_every_s)
        while (now := time.monotonic()) - started < seconds:
            if now >= next_sample:
                samples.append(sample(os.getpid(), now - started, seen))
                next_sample += sample_every_s
            if now >= next_message:
                next_message += message_every_s
                text = QUESTIONS[len(watch.exchanges) % len(QUESTIONS)]
                exchange = Exchange(text, time.monotonic())
                watch.exchanges.append(exchange)
                try:
                    await controller.send_text(text, "talk")
                except Exception as exc:  # noqa: BLE001 - reported, the soak goes on
                    exchange.send_error = f"{type(exc).__name__}: {exc}"
            await asyncio.sleep(max(0.0, min(next_sample, next_message) - time.monotonic()))
        elapsed = time.monotonic() - started
        await asyncio.sleep(min(5.0, message_every_s))  # the last reply's first words
        samples.append(sample(os.getpid(), time.monotonic() - started, seen))
        lag.stop()
        state_at_end = controller.state.value
        changes_at_end = len(watch.changes)
    finally:
        lag.stop()
        window.close()
        while controller.has_work:  # noqa: ASYNC110 - the window closes in its own task
            await asyncio.sleep(0.05)
        await provider.aclose()
        window.deleteLater()
    rig_sessions = rig.state()["sessions"][sessions_before:]
    live_at = watch.changes[initial_changes - 1].at
    replies = [e.reply_after_s for e in watch.exchanges if e.reply_after_s is not None]
    return {
        "minutes": round(elapsed / 60, 2),
        "quality": quality,
        "live_after_s": round(live_after_s, 2),
        "sessions_created": sum(1 for c in watch.changes if c.new is SessionState.CONNECTING),
        "rig_sessions_created": len(rig_sessions),
        "state_at_end": state_at_end,
        "rss_mb": rss_summary(samples),  # "gui" is this process
        "rss_samples": len(samples),
        "loop_lag_ms_p50": _round(percentile(lag.late_ms, 0.5)),
        "loop_lag_ms_p99": _round(percentile(lag.late_ms, 0.99)),
        "loop_lag_ms_max": _round(max(lag.late_ms, default=None)),
        "loop_lag_samples": len(lag.late_ms),
        "loop_lag_over_50_ms": sum(1 for ms in lag.late_ms if ms > 50),
        "loop_lag_worst_s_ms": lag.worst(loop_started),
        "loop_lag_period_ms": round(lag_period_s * 1000),
        "messages_sent": sum(1 for e in watch.exchanges if not e.send_error),
        "message_times_s": [round(e.sent_at - started, 1) for e in watch.exchanges],
        "send_errors": [e.send_error for e in watch.exchanges if e.send_error],
        "replies_received": len(replies),
        "reply_after_s_p50": percentile(replies, 0.5),
        "reply_after_s_max": max(replies, default=None),
        "avatar_lines": watch.avatar_lines,
        "last_reply": next((e.reply for e in reversed(watch.exchanges) if e.reply), ""),
        "state_changes_after_live": [
            f"{c.at - live_at:.0f} s: {c.old.value} → {c.new.value}: {c.cause}"
            for c in watch.changes[initial_changes:changes_at_end]
        ],
    }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=1800)
    parser.add_argument("--message-every", type=float, default=30)
    parser.add_argument("--sample-every", type=float, default=1)
    parser.add_argument("--lag-period", type=float, default=0.1, help="the lag timer's period")
    parser.add_argument("--quality", default="high", choices=["low", "medium", "high", "very_high"])
    parser.add_argument("--smoke", action="store_true", help="40 s, a message every 10 s")
    parser.add_argument("--json", type=Path, default=Path("artifacts/bench_soak.json"))
    parser.add_argument("--port", type=int, default=8870)
    args = parser.parse_args(argv)
    seconds, every = (40.0, 10.0) if args.smoke else (args.seconds, args.message_every)
    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication([])
    app.setQuitOnLastWindowClosed(False)
    loop = qasync.QEventLoop(app)
    try:
        with running_rig(args.port) as rig:
            result = loop.run_until_complete(
                soak(rig, seconds, every, args.sample_every, args.lag_period, args.quality)
            )
    finally:
        loop.close()
    print(json.dumps(result, indent=2), file=sys.stdout, flush=True)
    return write_report("soak", args.smoke, result, args.json)


if __name__ == "__main__":
    main()
