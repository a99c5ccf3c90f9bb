"""Bootstrap: arguments, logging, the Qt application on a qasync loop, and the wiring of core,
providers, media and window. No logic of its own."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import logging.handlers
import os
import signal
import sys
import time
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import platformdirs

from avatar_desktop.config import AppSettings, KeySource, default_keys
from avatar_desktop.core.journal import redact
from avatar_desktop.core.ledger import SessionLedger
from avatar_desktop.core.media_port import Frame, MediaEvent, MediaPort
from avatar_desktop.core.preparation import PREPARATION_TEXT, Preparation
from avatar_desktop.core.provider_port import AvatarProvider, SessionSettings
from avatar_desktop.core.session_controller import SessionController, Timing
from avatar_desktop.demo_rig import DEMO_API_KEY, DemoRig
from avatar_desktop.media.engine_client import MediaEngine
from avatar_desktop.providers import heygen_streaming, liveavatar
from avatar_desktop.providers.heygen_streaming import HeygenStreamingProvider
from avatar_desktop.providers.liveavatar import LiveAvatarProvider
from avatar_desktop.rig.host_address import NoUsableAddress, own_address
from avatar_desktop.rig.livekit_binary import needs_build

if TYPE_CHECKING:
    from avatar_desktop.ui.main_window import MainWindow

log = logging.getLogger("avatar_desktop")
ShowStep = Callable[[Preparation | None], None]
T = TypeVar("T")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="avatar-desktop")
    parser.add_argument("--demo", action="store_true", help="the offline demo avatar")
    parser.add_argument(
        "--backend",
        choices=["demo", "liveavatar", "heygen_streaming"],
        help="the backend for this run (default: the one chosen in Settings)",
    )
    parser.add_argument("--service-url", help="the backend's base URL (default: HeyGen's)")
    parser.add_argument("--rig-host", help="address for the demo rig (default: this machine's)")
    parser.add_argument("--no-autostart", action="store_true", help="wait for Start")
    parser.add_argument(
        "--self-test",
        action="store_true",
        help="start the offline demo, wait for the first video frame and one avatar speech "
        "event, print one line, exit 0 on success (non-zero names the failing step)",
    )
    return parser.parse_args(argv)


class RedactingFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


def setup_logging(log_dir: Path) -> None:
    log_dir.mkdir(parents=True, exist_ok=True)
    handler = logging.handlers.RotatingFileHandler(
        log_dir / "avatar-desktop.log", maxBytes=2_000_000, backupCount=3
    )
    handler.setFormatter(RedactingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    console = logging.StreamHandler()
    console.setFormatter(RedactingFormatter("%(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=logging.INFO, handlers=[handler, console])


class EngineHolder:
    """Makes media engines for the controller and gives the window the current one's frames."""

    def __init__(self, log_dir: Path | None) -> None:
        self.current: MediaEngine | None = None
        self._log_dir = log_dir
        self._frame_size = (0, 0)

    def factory(self, on_event: Callable[[MediaEvent], None]) -> MediaPort:
        self.current = MediaEngine(on_event, self._log_dir)
        self.current.request_frame_size(*self._frame_size)
        return self.current

    def latest(self) -> Frame | None:
        """The window's frame source (core.media_port.FrameSource): the current engine's."""
        return self.current.latest_frame() if self.current is not None else None

    def request_size(self, width: int, height: int) -> None:
        self._frame_size = (width, height)
        if self.current is not None:
            self.current.request_frame_size(width, height)


def make_provider(backend: str, api_key: str, base_url: str | None) -> AvatarProvider:
    if backend == "heygen_streaming":
        return HeygenStreamingProvider(api_key, base_url or heygen_streaming.DEFAULT_BASE_URL)
    return LiveAvatarProvider(api_key, base_url or liveavatar.DEFAULT_BASE_URL)


def session_settings(settings: AppSettings, demo: bool) -> SessionSettings:
    """What a session asks for. The demo standing in for a backend with no key ignores the
    avatar, voice and context chosen for that backend: they are not the demo's."""
    own = not demo or settings.backend == "demo"
    return SessionSettings(
        avatar_id=settings.avatar_id if own else "",  # empty: the account's first avatar
        voice_id=(settings.voice_id or None) if own else None,
        context_id=(settings.context_id or None) if own else None,
        language=settings.avatar_language,
        quality=settings.quality,
        sandbox=settings.sandbox,
        push_to_talk=False,
    )


class Backend:
    """The provider in use and, for the offline demo, the rig it talks to.

    Choosing is instant (the demo rig's address is known before it runs), so the window opens
    at once; bringing the rig up may take minutes on a first run (LiveKit's server is built
    once), and the window shows that step meanwhile.
    """

    def __init__(self, rig_host: str | None, log_dir: Path) -> None:
        self.rig_host = rig_host
        self.log_dir = log_dir
        self.rig: DemoRig | None = None
        self.provider: AvatarProvider | None = None
        self.name = ""
        self.secret = ""
        self.notice = ""
        self.problem: Preparation | None = None  # why the backend cannot run, or None
        self._rig_up = False

    def choose(self, settings: AppSettings, force_demo: bool = False) -> AvatarProvider:
        """Builds the provider the settings ask for; the demo when there is no key for it."""
        backend = "demo" if force_demo else settings.backend
        api_key = None if backend == "demo" else default_keys().get(backend)
        self.notice, self.problem = "", None
        if backend != "demo" and api_key is None:
            self.notice = f"No API key stored for {backend}: showing the offline demo avatar."
            backend = "demo"
        if backend == "demo":
            self.provider = self._demo_provider()
            self.name, self.secret = "Demo (offline)", DEMO_API_KEY
        else:
            assert api_key is not None
            self.provider = make_provider(backend, api_key, settings.service_url or None)
            self.name, self.secret = backend, api_key
        return self.provider

    def _rig_address(self) -> str | None:
        """Where the demo rig listens; None (said in the log) when this machine has no
        address but loopback, which WebRTC does not use."""
        try:
            return self.rig_host or own_address()
        except NoUsableAddress:
            self.problem = Preparation.NO_ADDRESS
            log.error("offline demo: %s", PREPARATION_TEXT[Preparation.NO_ADDRESS])
            return None

    def _demo_provider(self) -> AvatarProvider:
        if self.rig is None:
            self.rig = DemoRig(host=self._rig_address(), log_dir=self.log_dir)
        # With no address yet nothing answers there; bring_up looks again before any start.
        host = self.rig.host or "127.0.0.1"
        return LiveAvatarProvider(DEMO_API_KEY, f"http://{host}:{self.rig.port}")

    async def bring_up(self, show_step: ShowStep) -> bool:
        """Starts what the backend needs here (the demo rig), showing the step; False, with the
        step shown and the reason in ``problem``, when it cannot run."""
        rig = self.rig
        if rig is not None and not self._rig_up and rig.host is None:
            rig.host = self._rig_address()  # none when the app opened: the network may be up
            if rig.host is None:
                show_step(Preparation.NO_ADDRESS)
                return False
            if self.provider is not None:
                await self.provider.aclose()
            self.provider = self._demo_provider()
        self.problem = None
        if self.rig is None or self._rig_up:
            show_step(None)
            return True
        step = Preparation.BUILDING_SERVER if needs_build() else Preparation.STARTING_DEMO
        show_step(step)
        log.info("offline demo: %s", PREPARATION_TEXT[step])
        try:
            await self.rig.start()
        except (OSError, RuntimeError, TimeoutError) as exc:
            self.problem = Preparation.DEMO_FAILED
            log.error("the offline demo could not start: %r", exc)
            show_step(Preparation.DEMO_FAILED)
            return False
        self._rig_up = True
        show_step(None)
        return True

    async def switch(self, settings: AppSettings, show_step: ShowStep) -> AvatarProvider:
        """Another backend, chosen in Settings while no session runs."""
        if self.provider is not None:
            await self.provider.aclose()
        wanted_demo = settings.backend == "demo" or default_keys().get(settings.backend) is None
        if not wanted_demo and self.rig is not None:
            await self.rig.stop()
            self.rig, self._rig_up = None, False
        self.choose(settings)
        await self.bring_up(show_step)  # may replace the provider (an address found at last)
        assert self.provider is not None
        return self.provider

    @property
    def demo(self) -> bool:
        return self.rig is not None

    async def close(self) -> None:
        if self.provider is not None:
            await self.provider.aclose()
        if self.rig is not None:
            await self.rig.stop()


async def run_window(args: argparse.Namespace, quit_event: asyncio.Event) -> int:
    from PySide6.QtCore import QSettings

    from avatar_desktop.ui.main_window import MainWindow, SettingsHooks, SettingsOutcome
    from avatar_desktop.ui.signal_wakeup import SignalWakeup

    data_dir = Path(platformdirs.user_data_dir("avatar-desktop", appauthor=False))
    log_dir = Path(platformdirs.user_log_dir("avatar-desktop", appauthor=False))
    store = QSettings("avatar-desktop", "avatar-desktop")
    settings = AppSettings.load(store)
    if args.backend:  # a flag overrides the saved choice for this run only
        settings.backend = args.backend
    if args.service_url:
        settings.service_url = args.service_url
    backend = Backend(args.rig_host, log_dir)
    provider = backend.choose(settings, force_demo=args.demo or args.self_test)
    engines = EngineHolder(log_dir)
    controller = SessionController(
        provider,
        engines.factory,
        session_settings(settings, backend.demo),
        timing=Timing(first_frame_deadline_s=settings.first_frame_deadline_s),
        ledger=SessionLedger(data_dir / "open-sessions.json"),
    )
    window = MainWindow(controller, engines, backend.name, secrets=(backend.secret,))

    async def apply_settings(
        new: AppSettings, api_key: str | None, this_run_only: bool
    ) -> tuple[SettingsOutcome, KeySource | None]:
        """Saves what the dialog chose; switches backend now when no session runs."""
        new.save(store)
        where = None
        if api_key is not None and new.backend != "demo":
            where = default_keys().store(new.backend, api_key, this_run_only=this_run_only)
        if controller.running:
            return "after_stop", where
        controller.provider = await backend.switch(new, window.set_preparing)
        controller.settings = session_settings(new, backend.demo)
        controller.timing = Timing(first_frame_deadline_s=new.first_frame_deadline_s)
        window.backend_name, window.secrets = backend.name, (backend.secret,)
        return ("no_key" if backend.notice else "applied"), where

    window.enable_settings(
        SettingsHooks(
            current=lambda: (AppSettings.load(store), default_keys()), apply=apply_settings
        )
    )
    window.show()
    if os.environ.get("AVATAR_DESKTOP_PROBE_STARTUP") == "1":
        # For the startup benchmark: say when the window is up, then leave.
        from PySide6.QtWidgets import QApplication

        QApplication.processEvents()
        print("startup: window shown", flush=True)
        window.close()
    if backend.notice:
        window.statusBar().showMessage(backend.notice, 15000)
    # Ctrl+C and SIGTERM close the window the user's way: the session is stopped on the server.
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: window.close())
    wakeup = SignalWakeup(window)

    async def prepare() -> bool:
        ready = await backend.bring_up(window.set_preparing)
        assert backend.provider is not None
        controller.provider = backend.provider
        return ready

    window.set_prepare_hook(prepare)
    ready = await until_quit(prepare(), quit_event)
    result = 0
    if ready is None:  # closed while the demo was being prepared (a first run builds for minutes)
        log.info("closed while the offline demo was being prepared")
    elif args.self_test:
        result = await self_test(controller, window) if ready else _self_test_failed(backend)
        window.close()
    elif ready and should_start_on_open(args, settings, backend):
        log.info("backend %s: starting a session", backend.name)
        await controller.start()
    else:
        log.info("backend %s: the window is ready; press Start", backend.name)
    await quit_event.wait()
    await controller.close()
    await backend.close()
    wakeup.close()
    log.info("the window is closed and the backend stopped: exiting")
    return result


async def until_quit(work: Coroutine[Any, Any, T], quit_event: asyncio.Event) -> T | None:
    """``work``'s result, or None when the user quit first (``work`` is then cancelled)."""
    task = asyncio.ensure_future(work)
    quitting = asyncio.ensure_future(quit_event.wait())
    await asyncio.wait({task, quitting}, return_when=asyncio.FIRST_COMPLETED)
    quitting.cancel()
    if task.done():
        return task.result()
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    return None


def should_start_on_open(args: argparse.Namespace, settings: AppSettings, backend: Backend) -> bool:
    """Only the offline demo starts by itself: a paid backend's session costs the user credits,
    so it waits for Start unless the user asked for it to start when the app opens."""
    if args.no_autostart:
        return False
    return backend.demo or settings.start_on_open


def _self_test_failed(backend: Backend) -> int:
    why = PREPARATION_TEXT[backend.problem] if backend.problem else "unknown"
    print(f"self-test FAILED while preparing the offline demo: {why}", flush=True)
    return 1


async def self_test(controller: SessionController, window: MainWindow, limit_s: float = 90) -> int:
    """Start → first frame painted → the avatar speaks; one line on stdout either way."""
    from avatar_desktop.core.session_state import SessionState

    started = time.monotonic()
    step = "starting the session"

    async def until(predicate: Callable[[], bool]) -> None:
        while not predicate():
            if controller.state is SessionState.FAILED and not controller.running:
                raise RuntimeError(controller.status.message or "the session failed")
            await asyncio.sleep(0.05)

    try:
        async with asyncio.timeout(limit_s):
            await controller.start()
            step = "waiting for the first video frame"
            await until(lambda: window.video.stats.frames_painted > 0)
            first_frame_s = time.monotonic() - started
            step = "waiting for the avatar to speak"
            await controller.send_text("This is the self test.", "repeat")
            await until(lambda: controller.status.avatar_speaking)
            speech_s = time.monotonic() - started
    except (TimeoutError, RuntimeError) as exc:
        detail = str(exc) or "timed out"
        print(f"self-test FAILED while {step}: {detail}", flush=True)
        return 1
    print(f"self-test OK: first frame after {first_frame_s:.1f} s, avatar speaking after "
          f"{speech_s:.1f} s", flush=True)  # fmt: skip
    return 0


def app_icon_path() -> Path:
    """The icon beside a frozen app, or in the checkout's resources/."""
    base = Path(getattr(sys, "_MEIPASS", Path(__file__).resolve().parent.parent))
    return base / "resources" / "icons" / "avatar-desktop-256.png"


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    os.environ.setdefault("QT_API", "pyside6")
    import qasync
    from PySide6.QtWidgets import QApplication

    setup_logging(Path(platformdirs.user_log_dir("avatar-desktop", appauthor=False)))
    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication(sys.argv)
    app.setApplicationName("avatar-desktop")
    app.setDesktopFileName("avatar-desktop")
    from PySide6.QtGui import QIcon

    icon = app_icon_path()
    if icon.is_file():
        app.setWindowIcon(QIcon(str(icon)))
    from PySide6.QtCore import QSettings

    from avatar_desktop.ui.translations import install_translator

    language = AppSettings.load(QSettings("avatar-desktop", "avatar-desktop")).ui_language
    install_translator(app, language or None)
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    quit_event = asyncio.Event()
    # The window stops its session before it goes; Qt must not end the loop under it.
    app.setQuitOnLastWindowClosed(False)
    app.lastWindowClosed.connect(quit_event.set)
    with loop:
        try:
            return int(loop.run_until_complete(run_window(args, quit_event)))
        except RuntimeError as exc:
            if "stopped before Future completed" not in str(exc):
                raise
            # Qt ended its loop under us: the display went away (an X server that died).
            log.error(
                "the display went away; an open session is stopped at the next start "
                "(it is in the ledger of unstopped sessions)"
            )
            return 1
