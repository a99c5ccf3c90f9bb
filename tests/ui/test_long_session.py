"""The source app as a user runs it, Live for three minutes, then File → Quit (Ctrl+Q).

PySide6 6.12.0 aborted the window after ~2 minutes Live (``Fatal Python error: none_dealloc``)
and at exit after any session longer than 20 s, while every shorter test passed: this one holds
the session long enough to catch that kind of failure (tests/long_run.py does the work)."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

from tests.long_run import run_long_session

pytestmark = pytest.mark.e2e

HOLD_S = 180
RSS_GROWTH_LIMIT_MB = 200  # generous: a leak of a frame or two per second would pass it


@pytest.mark.timeout(HOLD_S + 420)
def test_source_app_stays_live_three_minutes_and_quits_with_ctrl_q(tmp_path: Path) -> None:
    host = os.environ.get("AVATAR_DESKTOP_CLIENT_HOST")
    if not host or not os.environ.get("DISPLAY"):
        pytest.skip("needs the client namespace and a display (scripts/run-tests.sh)")
    app = [sys.executable, "-m", "avatar_desktop", "--demo", "--rig-host", host]
    report = run_long_session(app, HOLD_S, workdir=tmp_path, progress=False)
    summary = {k: v for k, v in report.as_dict().items() if k != "samples"}
    print("\nlong session (source app):", json.dumps(summary, indent=2))
    log = Path(report.log_path).read_text(errors="replace")
    assert report.live_after_s is not None, f"{report.problems}\n{log}"
    assert report.held_live_s is not None and report.held_live_s >= HOLD_S, report.problems
    assert report.exit_code == 0, f"{report.problems}\n{log[-4000:]}"
    assert "Fatal" not in log and "Traceback" not in log, log[-4000:]
    assert report.left_live == [], "the state left Live while held"
    assert report.session_stopped_on_server, log[-4000:]
    assert report.close_method.startswith("xdotool"), report.close_method
    for role, figures in report.rss.items():
        if role != "total":
            assert figures["growth_mb"] < RSS_GROWTH_LIMIT_MB, (role, figures)
    assert report.ok, report.problems
