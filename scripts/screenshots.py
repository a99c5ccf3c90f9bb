"""The README's pictures, taken from the real app: each scene starts ``python -m avatar_desktop``
as a new user would (fresh settings, data and log folders; the offline demo), drives it with the
keyboard through X (xdotool), breaks the rig where a scene needs it (its fault API), and grabs
the window (ImageMagick's ``import``) into ``docs/screenshots/``.

    sudo .venv/bin/python scripts/screenshots.py [--only live-en,reconnecting] [--out DIR]

Needs root (the app and its demo rig run in a private network namespace: WebRTC needs an address
other than loopback, and nothing may leave the machine), Xvfb, xdotool and ImageMagick. Without
the namespace it re-runs itself through scripts/in-test-netns.sh. Rerunnable: every scene starts
from nothing and overwrites its picture.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
SCREEN = "1400x900x24"
RIG_PORT = 8780  # the demo rig's port (avatar_desktop.demo_rig)


class SceneFailed(RuntimeError):
    pass


@dataclass
class App:
    process: subprocess.Popen[bytes]
    log: Path
    display: str

    def text(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_for(self, needle: str, timeout_s: float, after: int = 0) -> int:
        """Waits until ``needle`` is in the app's output past offset ``after``; its offset."""
        deadline = time.monotonic() + timeout_s
        while True:
            found = self.text().find(needle, after)
            if found >= 0:
                return found
            if self.process.poll() is not None:
                raise SceneFailed(f"the app ended before {needle!r}:\n{self.tail()}")
            if time.monotonic() > deadline:
                raise SceneFailed(f"no {needle!r} within {timeout_s:.0f} s:\n{self.tail()}")
            time.sleep(0.2)

    def tail(self, lines: int = 30) -> str:
        return "\n".join(self.text().splitlines()[-lines:])

    def xdo(self, *args: str) -> str:
        env = dict(os.environ, DISPLAY=self.display)
        done = subprocess.run(
            ["xdotool", *args], env=env, capture_output=True, text=True, check=False, timeout=30
        )
        if done.returncode != 0:
            raise SceneFailed(f"xdotool {' '.join(args)}: {done.stderr.strip()}")
        return done.stdout.strip()

    def window(self) -> str:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with contextlib.suppress(SceneFailed):
                found = self.xdo("search", "--onlyvisible", "--name", "^avatar-desktop$")
                if found:
                    return found.splitlines()[0]
            time.sleep(0.3)
        raise SceneFailed("the window never showed")

    def type_and_send(self, text: str) -> None:
        window = self.window()
        self.xdo("windowfocus", "--sync", window)
        self.map_keys(text)
        self.xdo("type", "--delay", "30", text)  # through XTEST, to the focused message box
        self.xdo("key", "Return")

    def map_keys(self, text: str) -> None:
        """Gives each character outside the keymap (¿, é) a key of its own first. Left to
        xdotool, it remaps a key for each such character as it types, and the app may read the
        key before it has seen the new map: the character is lost or another one comes."""
        env = dict(os.environ, DISPLAY=self.display)
        keymap = subprocess.run(
            ["xmodmap", "-pke"], env=env, capture_output=True, text=True, check=True
        ).stdout
        mapped = set(keymap.split())
        free = [line.split()[1] for line in keymap.splitlines() if line.strip().endswith("=")]
        wanted = [f"U{ord(c):04X}" for c in sorted(set(text)) if not c.isascii()]
        changes = []
        for keysym in wanted:
            if keysym not in mapped and free:
                changes.append(f"keycode {free.pop()} = {keysym} {keysym}")
        if changes:
            arguments = [part for change in changes for part in ("-e", change)]
            subprocess.run(["xmodmap", *arguments], env=env, check=True)
            time.sleep(0.5)  # the app reads the new map

    def grab(self, target: Path) -> None:
        window = self.window()
        env = dict(os.environ, DISPLAY=self.display)
        target.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(["import", "-window", window, str(target)], env=env, check=True)
        print(f"wrote {target.relative_to(ROOT) if target.is_relative_to(ROOT) else target}")

    def quit(self) -> None:
        """Ctrl+Q, as a user quits; the app must stop its session and exit 0."""
        window = self.window()
        self.xdo("windowfocus", "--sync", window)
        self.xdo("key", "ctrl+q")
        try:
            code = self.process.wait(40)
        except subprocess.TimeoutExpired as exc:
            raise SceneFailed(f"the app did not quit on Ctrl+Q:\n{self.tail()}") from exc
        if code != 0:
            raise SceneFailed(f"the app exited with {code}:\n{self.tail()}")


def fresh_home(base: Path, settings: dict[str, str]) -> dict[str, str]:
    """A new user: settings, data, state and log folders of its own."""
    env = dict(os.environ, HOME=str(base), XDG_CONFIG_HOME=str(base / "config"))
    env.update(XDG_DATA_HOME=str(base / "data"), XDG_STATE_HOME=str(base / "state"))
    env.update(PYTHONPATH=str(ROOT), LANG="C.UTF-8", LC_ALL="C.UTF-8")
    conf = base / "config" / "avatar-desktop" / "avatar-desktop.conf"
    conf.parent.mkdir(parents=True, exist_ok=True)
    conf.write_text("[General]\n" + "".join(f"{k}={v}\n" for k, v in settings.items()))
    return env


@contextlib.contextmanager
def app(
    home: Path, display: str, settings: dict[str, str], command: list[str] | None = None,
    env_change: Callable[[dict[str, str]], None] | None = None,
) -> Iterator[App]:  # fmt: skip
    env = fresh_home(home, settings)
    env["DISPLAY"] = display
    if env_change is not None:
        env_change(env)
    host = os.environ["AVATAR_DESKTOP_CLIENT_HOST"]
    argv = command or [PYTHON, "-m", "avatar_desktop", "--demo", "--rig-host", host]
    log = home / "app.log"
    with log.open("wb") as out:
        process = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=ROOT)
    running = App(process, log, display)
    try:
        yield running
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def settle(seconds: float) -> None:
    """Lets what the scene shows come to rest (a spinner turning, the avatar's mouth open)."""
    time.sleep(seconds)


def rig_fault(plan: dict[str, object]) -> None:
    host = os.environ["AVATAR_DESKTOP_CLIENT_HOST"]
    request = urllib.request.Request(
        f"http://{host}:{RIG_PORT}/rig/faults",
        data=json.dumps(plan).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=30) as answer:
        answer.read()


def avatar_silent(timeout_s: float) -> None:
    """Until no avatar of the rig is speaking (its counters, reported twice a second)."""
    host = os.environ["AVATAR_DESKTOP_CLIENT_HOST"]
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with urllib.request.urlopen(f"http://{host}:{RIG_PORT}/rig/state", timeout=10) as answer:
            state = json.load(answer)
        active = [s for s in state["sessions"] if s.get("status") == "active"]
        if active and not any((s.get("avatar") or {}).get("speaking") for s in active):
            return
        time.sleep(0.3)
    raise SceneFailed(f"the avatar was still speaking after {timeout_s:.0f} s")


def converse(running: App, messages: list[str], shot: Path | None) -> None:
    """Sends each message once the previous answer has begun; grabs while the avatar speaks
    the last answer (its pill on the picture, the reply time on its bubble)."""
    offset = running.wait_for("→ live", 90)
    settle(2.5)  # the first frames painted, the message box focused, the greeting begun
    for message in messages:
        # A question asked over the greeting or an answer waits for it to end: its reply time
        # would count that wait.
        avatar_silent(60)
        settle(0.8)
        running.type_and_send(message)
        offset = running.wait_for("reply latency", 30, offset) + 1
        settle(1.5)  # the rig's counters have seen the answer begin
    settle(1.2)
    if shot is not None:
        running.grab(shot)


def live_en(home: Path, display: str, out: Path) -> None:
    settings = {"ui_language": "en", "avatar_language": "en"}
    with app(home, display, settings) as running:
        converse(running, ["Hello! Who are you?", "What do you like to do on weekends?"],
                 out / "live-en.png")  # fmt: skip
        running.quit()


def live_es(home: Path, display: str, out: Path) -> None:
    sys.path.insert(0, str(ROOT))
    from avatar_desktop.rig.sessions import DEMO_AVATAR_ES

    settings = {"ui_language": "es", "avatar_language": "es", "avatar_id": DEMO_AVATAR_ES}
    with app(home, display, settings) as running:
        converse(running, ["¡Hola! ¿Quién eres?", "¿Qué te gusta hacer los fines de semana?"],
                 out / "live-es.png")  # fmt: skip
        running.quit()


def reconnecting(home: Path, display: str, out: Path) -> None:
    settings = {"ui_language": "en", "avatar_language": "en"}
    with app(home, display, settings) as running:
        converse(running, ["Hello! Who are you?"], None)
        settle(4)
        offset = len(running.text())
        rig_fault({"kind": "kill_server", "restart_after_s": 4})  # LiveKit's server goes away
        running.wait_for("→ reconnecting", 30, offset)
        settle(2.3)  # the card's clock has moved
        running.grab(out / "reconnecting.png")
        running.wait_for("→ live", 90, offset)
        running.quit()


def first_run(home: Path, display: str, out: Path) -> None:
    """A first run: no LiveKit server built yet, and a build that takes its time."""
    tools = home / "bin"
    tools.mkdir(parents=True, exist_ok=True)
    go = tools / "go"
    go.write_text("#!/bin/sh\nsleep 300\nexit 1\n")
    go.chmod(0o755)

    def no_server_yet(env: dict[str, str]) -> None:
        env["XDG_CACHE_HOME"] = str(home / "cache")
        env.pop("AVATAR_DESKTOP_LIVEKIT_SERVER", None)
        env["PATH"] = f"{tools}:/usr/bin:/bin"

    with app(home, display, {"ui_language": "en"}, env_change=no_server_yet) as running:
        running.wait_for("building the local LiveKit server", 60)
        settle(4.3)
        running.grab(out / "first-run-building-server.png")
        running.quit()


def no_network(home: Path, display: str, out: Path) -> None:
    """A machine with no address but loopback: plain words instead of a traceback."""
    command = ["unshare", "--net", PYTHON, "-m", "avatar_desktop", "--demo"]
    with app(home, display, {"ui_language": "en"}, command=command) as running:
        running.wait_for("needs a network address", 60)
        settle(1.5)
        running.grab(out / "no-network-address.png")
        running.quit()


SCENES: dict[str, Callable[[Path, str, Path], None]] = {
    "live-en": live_en,
    "live-es": live_es,
    "reconnecting": reconnecting,
    "first-run": first_run,
    "no-network": no_network,
}


@contextlib.contextmanager
def xvfb() -> Iterator[str]:
    number = 81
    while Path(f"/tmp/.X11-unix/X{number}").exists() or Path(f"/tmp/.X{number}-lock").exists():
        number += 1
    display = f":{number}"
    server = subprocess.Popen(
        ["Xvfb", display, "-screen", "0", SCREEN, "-nolisten", "tcp"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    try:
        for _ in range(100):
            if Path(f"/tmp/.X11-unix/X{number}").exists():
                break
            time.sleep(0.1)
        else:
            raise SceneFailed("Xvfb did not start")
        yield display
    finally:
        server.terminate()
        server.wait(10)


@contextlib.contextmanager
def virtual_audio() -> Iterator[None]:
    """A speaker and a (silent) microphone, as a user's machine has: without them the window
    rightly says that there is neither, which is not the picture a README wants."""
    if shutil.which("pulseaudio") is None:
        print("screenshots: no PulseAudio: the window will say there is no speaker")
        yield
        return
    sys.path.insert(0, str(ROOT))
    from tests.pulse_harness import running_pulse

    with running_pulse():
        yield


def livekit_server() -> str:
    """Found (or built) once, before the scenes, as scripts/run-app.sh does."""
    done = subprocess.run(
        [PYTHON, "-m", "avatar_desktop.rig.livekit_binary"],
        capture_output=True, text=True, check=True, cwd=ROOT,
        env=dict(os.environ, PYTHONPATH=str(ROOT)),
    )  # fmt: skip
    return done.stdout.strip().splitlines()[-1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", help="comma-separated scenes: " + ", ".join(SCENES))
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    args = parser.parse_args()
    if not os.environ.get("AVATAR_DESKTOP_CLIENT_HOST"):
        script = ROOT / "scripts" / "in-test-netns.sh"
        os.execvp("bash", ["bash", str(script), PYTHON, __file__, *sys.argv[1:]])
    for tool in ("Xvfb", "xdotool", "import"):
        if shutil.which(tool) is None:
            print(f"screenshots: needs {tool}", file=sys.stderr)
            return 2
    wanted = args.only.split(",") if args.only else list(SCENES)
    unknown = [name for name in wanted if name not in SCENES]
    if unknown:
        parser.error(f"unknown scenes: {', '.join(unknown)}")
    os.environ["AVATAR_DESKTOP_LIVEKIT_SERVER"] = livekit_server()
    failed: list[str] = []
    with (
        xvfb() as display,
        virtual_audio(),
        tempfile.TemporaryDirectory(prefix="screenshots-") as scratch,
    ):
        for name in wanted:
            print(f"scene {name}…", flush=True)
            try:
                SCENES[name](Path(scratch) / name, display, args.out.resolve())
            except (SceneFailed, subprocess.CalledProcessError, OSError) as exc:
                print(f"scene {name} FAILED: {exc}", file=sys.stderr)
                failed.append(name)
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
