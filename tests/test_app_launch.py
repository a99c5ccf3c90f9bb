"""How the app opens, as a user starts it (a process under Xvfb): the saved backend is used, only
the offline demo starts a session by itself, the window appears at once and says which step
it is in, and a machine with no usable address gets plain words instead of a traceback."""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from avatar_desktop.app import Backend, parse_args, session_settings, should_start_on_open
from avatar_desktop.config import AppSettings
from tests.rig_harness import RigHandle

CLIENT_HOST = os.environ.get("AVATAR_DESKTOP_CLIENT_HOST", "")


def test_no_flag_keeps_the_saved_backend() -> None:
    assert parse_args([]).backend is None
    assert parse_args(["--backend", "demo"]).backend == "demo"


@pytest.mark.parametrize(
    ("demo", "start_on_open", "no_autostart", "starts"),
    [(True, False, False, True), (False, False, False, False), (False, True, False, True),
     (True, False, True, False)],
)  # fmt: skip
def test_only_the_demo_starts_by_itself_unless_the_user_asked(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    demo: bool,
    start_on_open: bool,
    no_autostart: bool,
    starts: bool,
) -> None:
    monkeypatch.setenv("LIVEAVATAR_API_KEY", "a-key-from-the-environment")
    backend = Backend(rig_host="198.18.0.2", log_dir=tmp_path)
    backend.choose(AppSettings(backend="demo" if demo else "liveavatar"))
    assert backend.demo is demo
    settings = AppSettings(start_on_open=start_on_open)
    args = argparse.Namespace(no_autostart=no_autostart)
    assert should_start_on_open(args, settings, backend) is starts


def test_the_demo_standing_in_for_a_paid_backend_uses_its_own_avatar() -> None:
    chosen = AppSettings(backend="liveavatar", avatar_id="6f1c2b9e-0000-4000-8000-000000000000",
                         voice_id="v", context_id="c")  # fmt: skip
    stand_in = session_settings(chosen, demo=True)
    assert (stand_in.avatar_id, stand_in.voice_id, stand_in.context_id) == ("", None, None)
    assert session_settings(chosen, demo=False).avatar_id == chosen.avatar_id
    demo_choice = AppSettings(backend="demo", avatar_id="7a2d3c0f-0000-4000-8000-000000000000")
    assert session_settings(demo_choice, demo=True).avatar_id == demo_choice.avatar_id


def _needs_display_and_namespace() -> None:
    if not CLIENT_HOST or not os.environ.get("DISPLAY"):
        pytest.skip("needs the client namespace and a display (scripts/run-tests.sh)")


def _home(tmp_path: Path, settings: dict[str, str] | None = None) -> dict[str, str]:
    """A fresh user: settings, data, cache and log dirs under tmp_path."""
    env = dict(os.environ, HOME=str(tmp_path), XDG_CONFIG_HOME=str(tmp_path / "config"))
    env.update(XDG_DATA_HOME=str(tmp_path / "data"), XDG_STATE_HOME=str(tmp_path / "state"))
    if settings:
        conf = tmp_path / "config" / "avatar-desktop" / "avatar-desktop.conf"
        conf.parent.mkdir(parents=True)
        conf.write_text("[General]\n" + "".join(f"{k}={v}\n" for k, v in settings.items()))
    return env


@contextmanager
def app_process(
    command: list[str], env: dict[str, str], log: Path
) -> Iterator[subprocess.Popen[bytes]]:
    with log.open("wb") as out:
        app = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env)
        try:
            yield app
        finally:
            if app.poll() is None:
                app.kill()
                app.wait()


def wait_for_text(log: Path, text: str, app: subprocess.Popen[bytes], timeout_s: float) -> str:
    deadline = time.monotonic() + timeout_s
    while text not in (content := log.read_text(errors="replace")):
        assert app.poll() is None, content
        assert time.monotonic() < deadline, content
        time.sleep(0.2)
    return content


def close_like_a_user(app: subprocess.Popen[bytes], log: Path) -> str:
    app.send_signal(signal.SIGTERM)  # the app closes its window the user's way
    assert app.wait(30) == 0, log.read_text(errors="replace")
    text = log.read_text(errors="replace")
    assert "Traceback" not in text and "Fatal" not in text, text
    return text


APP = [sys.executable, "-m", "avatar_desktop"]


@pytest.mark.e2e
def test_a_saved_paid_backend_opens_ready_and_starts_no_billed_session(
    tmp_path: Path, rig: RigHandle
) -> None:
    _needs_display_and_namespace()
    env = _home(tmp_path, {"backend": "liveavatar", "service_url": rig.base_url})
    env["LIVEAVATAR_API_KEY"] = rig.api_key
    with app_process(APP, env, tmp_path / "app.log") as app:
        text = wait_for_text(tmp_path / "app.log", "press Start", app, 30)
        assert "backend liveavatar" in text and "offline demo" not in text
        time.sleep(5)
        assert rig.state()["sessions"] == []  # nothing billed by opening the app
        close_like_a_user(app, tmp_path / "app.log")


@pytest.mark.e2e
def test_start_when_the_app_opens_uses_the_accounts_first_avatar(
    tmp_path: Path, rig: RigHandle
) -> None:
    _needs_display_and_namespace()
    env = _home(tmp_path, {"backend": "liveavatar", "service_url": rig.base_url,
                           "start_on_open": "true", "quality": "low"})  # fmt: skip
    env["LIVEAVATAR_API_KEY"] = rig.api_key
    with app_process(APP, env, tmp_path / "app.log") as app:
        text = wait_for_text(tmp_path / "app.log", "→ live", app, 60)
        assert "no avatar chosen: using the account's first" in text
        text = close_like_a_user(app, tmp_path / "app.log")
    assert "live → ending: user stopped" in text
    assert all(s["status"] != "active" for s in rig.state()["sessions"])


@pytest.mark.e2e
def test_no_usable_network_address_opens_the_window_with_plain_words(tmp_path: Path) -> None:
    _needs_display_and_namespace()
    if shutil.which("unshare") is None:
        pytest.skip("needs util-linux's unshare")
    # A network namespace of the test's own with nothing but a loopback that is down.
    command = ["unshare", "--net", *APP, "--demo"]
    with app_process(command, _home(tmp_path), tmp_path / "app.log") as app:
        text = wait_for_text(tmp_path / "app.log", "needs a network address", app, 30)
        assert "NoUsableAddress" not in text
        time.sleep(1)
        close_like_a_user(app, tmp_path / "app.log")


def _first_run(tmp_path: Path, go_script: str | None) -> dict[str, str]:
    """A fresh user with no LiveKit server built yet; ``go`` is the script given (or absent)."""
    env = _home(tmp_path)
    env["XDG_CACHE_HOME"] = str(tmp_path / "cache")
    env.pop("AVATAR_DESKTOP_LIVEKIT_SERVER", None)
    tools = tmp_path / "bin"
    tools.mkdir()
    if go_script is not None:
        go = tools / "go"
        go.write_text(f"#!/bin/sh\n{go_script}\n")
        go.chmod(0o755)
    env["PATH"] = f"{tools}:/usr/bin:/bin"
    return env


@pytest.mark.e2e
def test_first_run_shows_the_build_step_and_closes_at_once_meanwhile(tmp_path: Path) -> None:
    _needs_display_and_namespace()
    env = _first_run(tmp_path, "sleep 120; exit 1")  # a build that takes its time
    command = [*APP, "--demo", "--rig-host", CLIENT_HOST]
    with app_process(command, env, tmp_path / "app.log") as app:
        wait_for_text(tmp_path / "app.log", "building the local LiveKit server", app, 30)
        time.sleep(1)
        started = time.monotonic()
        close_like_a_user(app, tmp_path / "app.log")
        assert time.monotonic() - started < 25  # not after the build


@pytest.mark.e2e
def test_first_run_without_go_explains_that_the_demo_could_not_start(tmp_path: Path) -> None:
    _needs_display_and_namespace()
    env = _first_run(tmp_path, None)
    command = [*APP, "--demo", "--rig-host", CLIENT_HOST]
    with app_process(command, env, tmp_path / "app.log") as app:
        text = wait_for_text(tmp_path / "app.log", "could not start", app, 60)
        assert "building the local LiveKit server" in text
        close_like_a_user(app, tmp_path / "app.log")
