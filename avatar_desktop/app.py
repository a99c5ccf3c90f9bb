"""Bootstrap: arguments, logging, the Qt application on a qasync loop, and the wiring of core,
providers, media and window. No logic of its own."""

from __future__ import annotations

import argparse
import asyncio
import logging
import logging.handlers
import os
import signal
import sys
from collections.abc import Callable
from pathlib import Path

import platformdirs

from avatar_desktop.core.journal import redact
from avatar_desktop.core.ledger import SessionLedger
from avatar_desktop.core.media_port import MediaEvent, MediaPort
from avatar_desktop.core.session_controller import SessionController
from avatar_desktop.demo_rig import DEMO_API_KEY, DemoRig
from avatar_desktop.media.engine_client import MediaEngine
from avatar_desktop.media.frame_buffer import Frame
from avatar_desktop.providers import heygen_streaming, liveavatar
from avatar_desktop.providers.base import AvatarProvider, SessionSettings
from avatar_desktop.providers.heygen_streaming import HeygenStreamingProvider
from avatar_desktop.providers.liveavatar import LiveAvatarProvider

log = logging.getLogger("avatar_desktop")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="avatar-desktop")
    parser.add_argument("--demo", action="store_true", help="the offline demo avatar")
    parser.add_argument(
        "--backend", choices=["liveavatar", "heygen_streaming"], default="liveavatar"
    )
    parser.add_argument("--service-url", help="the backend's base URL (default: HeyGen's)")
    parser.add_argument("--rig-host", help="address for the demo rig (default: this machine's)")
    parser.add_argument("--no-autostart", action="store_true", help="wait for Start")
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

    def factory(self, on_event: Callable[[MediaEvent], None]) -> MediaPort:
        self.current = MediaEngine(on_event, self._log_dir)
        return self.current

    def latest_frame(self) -> Frame | None:
        return self.current.latest_frame() if self.current is not None else None


def make_provider(backend: str, api_key: str, base_url: str | None) -> AvatarProvider:
    if backend == "heygen_streaming":
        return HeygenStreamingProvider(api_key, base_url or heygen_streaming.DEFAULT_BASE_URL)
    return LiveAvatarProvider(api_key, base_url or liveavatar.DEFAULT_BASE_URL)


async def run_window(args: argparse.Namespace, quit_event: asyncio.Event) -> int:
    from avatar_desktop.config import load_api_key
    from avatar_desktop.ui.main_window import MainWindow

    data_dir = Path(platformdirs.user_data_dir("avatar-desktop", appauthor=False))
    log_dir = Path(platformdirs.user_log_dir("avatar-desktop", appauthor=False))
    api_key = None if args.demo else load_api_key(args.backend)
    rig: DemoRig | None = None
    backend, base_url = args.backend, args.service_url
    if api_key is None:
        rig = DemoRig(host=args.rig_host, log_dir=log_dir)
        log.info("no API key configured: starting the offline demo avatar")
        base_url = await rig.start()
        api_key, backend = DEMO_API_KEY, "liveavatar"
    provider = make_provider(backend, api_key, base_url)
    engines = EngineHolder(log_dir)
    controller = SessionController(
        provider,
        engines.factory,
        SessionSettings(),
        ledger=SessionLedger(data_dir / "open-sessions.json"),
    )
    name = "Demo (offline)" if rig is not None else backend
    window = MainWindow(controller, engines.latest_frame, name, secrets=(api_key,))
    window.show()
    # Ctrl+C and SIGTERM close the window the user's way: the session is stopped on the server.
    # (Python runs the handler between the window's timer ticks.)
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: window.close())
    if not args.no_autostart:
        await controller.start()
    await quit_event.wait()
    await controller.close()
    await provider.aclose()
    if rig is not None:
        await rig.stop()
    return 0


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    os.environ.setdefault("QT_API", "pyside6")
    import qasync
    from PySide6.QtWidgets import QApplication

    setup_logging(Path(platformdirs.user_log_dir("avatar-desktop", appauthor=False)))
    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication(sys.argv)
    app.setApplicationName("avatar-desktop")
    from avatar_desktop.ui.translations import install_translator

    install_translator(app)
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    quit_event = asyncio.Event()
    # The window stops its session before it goes; Qt must not end the loop under it.
    app.setQuitOnLastWindowClosed(False)
    app.lastWindowClosed.connect(quit_event.set)
    with loop:
        return int(loop.run_until_complete(run_window(args, quit_event)))
