"""Benchmark of the conversation panel in a long session: the time to show a new line and to
grow a partial one, with the transcript already N lines long (what the GUI thread spends per
transcript event; a video frame waits behind it).

    QT_QPA_PLATFORM=offscreen .venv/bin/python -m tests.perf.bench_transcript \
        [--lines 500 --lines 3000] [--events 30] [--smoke] [--json artifacts/bench_transcript.json]

The bubbles' sizes are kept on their items: without that, each new line cost as much as laying
the whole transcript out again in Python (measured: 37 s to fill 1000 lines, against 2.5 s).
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QApplication

from avatar_desktop.core.conversation import Conversation
from avatar_desktop.core.events import TranscriptPiece
from avatar_desktop.ui.chat_panel import ChatPanel
from tests.perf.report import write_report

ANSWER = "An answer long enough to wrap over two or three lines of the panel, as most do. " * 2


def measure(lines: int, events: int) -> dict[str, Any]:
    conversation = Conversation()
    panel = ChatPanel()
    conversation.subscribe(panel.show_line)
    panel.resize(440, 640)
    panel.show()
    began = time.perf_counter()
    for n in range(lines // 2):
        conversation.said_by_user(f"Question {n}: how does push-to-talk work here?")
        conversation.add(TranscriptPiece("avatar", ANSWER, final=True))
    QApplication.processEvents()
    fill_s = time.perf_counter() - began

    def each(act: Any) -> list[float]:
        spent = []
        for k in range(events):
            start = time.perf_counter()
            act(k)
            QApplication.processEvents()
            spent.append((time.perf_counter() - start) * 1000)
        return spent

    conversation.said_by_user("And now?")
    partial = each(lambda k: conversation.add(TranscriptPiece("avatar", f"word{k}", final=False)))
    new_line = each(lambda k: conversation.said_by_user(f"Line {k}"))
    panel.close()
    return {
        "lines": panel.transcript.count(),
        "fill_s": round(fill_s, 2),
        "partial_word_ms_median": round(statistics.median(partial), 2),
        "new_line_ms_median": round(statistics.median(new_line), 2),
        "new_line_ms_max": round(max(new_line), 2),
    }


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lines", type=int, action="append")
    parser.add_argument("--events", type=int, default=30)
    parser.add_argument("--smoke", action="store_true", help="200 lines, 5 events")
    parser.add_argument("--json", type=Path, default=Path("artifacts/bench_transcript.json"))
    args = parser.parse_args(argv)
    if QApplication.instance() is None:
        QApplication([])
    sizes = [200] if args.smoke else (args.lines or [500, 3000])
    events = 5 if args.smoke else args.events
    results = [measure(n, events) for n in sizes]
    for result in results:
        print(result)
    return write_report("bench_transcript", args.smoke, results, args.json)


if __name__ == "__main__":
    main()
