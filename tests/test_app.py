"""The app as a user starts it: ``python -m avatar_desktop`` (offline demo) in a real window under
Xvfb; SIGTERM (like Ctrl+C) stops the session on the server before the process ends."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e


def test_demo_app_goes_live_and_stops_its_session_on_sigterm(tmp_path: Path) -> None:
    host = os.environ.get("AVATAR_DESKTOP_CLIENT_HOST")
    if not host or not os.environ.get("DISPLAY"):
        pytest.skip("needs the client namespace and a display (scripts/run-tests.sh)")
    env = dict(os.environ, XDG_DATA_HOME=str(tmp_path / "data"))
    log = tmp_path / "app.log"
    with log.open("wb") as out:
        app = subprocess.Popen(
            [sys.executable, "-m", "avatar_desktop", "--demo", "--rig-host", host],
            stdout=out, stderr=subprocess.STDOUT, env=env,
        )  # fmt: skip
        try:
            deadline = time.monotonic() + 60
            while "→ live" not in log.read_text(errors="replace"):
                assert app.poll() is None, log.read_text(errors="replace")
                assert time.monotonic() < deadline, log.read_text(errors="replace")
                time.sleep(0.2)
            app.send_signal(signal.SIGTERM)
            assert app.wait(30) == 0
        finally:
            if app.poll() is None:
                app.kill()
    text = log.read_text(errors="replace")
    assert '/v1/sessions/stop "HTTP/1.1 200 OK"' in text
    assert "live → ending: user stopped" in text
    assert "Traceback" not in text
