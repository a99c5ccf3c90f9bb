"""The real window on a qasync loop, wired to the rig like the app wires it."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

import pytest
import qasync
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from avatar_desktop.app import EngineHolder
from avatar_desktop.core.provider_port import SessionSettings
from avatar_desktop.core.retry import RetryPolicy
from avatar_desktop.core.session_controller import SessionController, Timing
from avatar_desktop.providers.liveavatar import LiveAvatarProvider
from avatar_desktop.ui.main_window import MainWindow
from tests.rig_harness import RigHandle

T = TypeVar("T")


@pytest.fixture(scope="session")
def qloop(qapp: QApplication) -> Iterator[qasync.QEventLoop]:
    qapp.setQuitOnLastWindowClosed(False)  # the loop must outlive each test's window
    loop = qasync.QEventLoop(qapp)
    asyncio.set_event_loop(loop)
    yield loop
    asyncio.set_event_loop(None)
    loop.close()


@dataclass
class UiHarness:
    window: MainWindow
    controller: SessionController
    engines: EngineHolder
    loop: qasync.QEventLoop

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        result: T = self.loop.run_until_complete(coro)
        return result

    def until(self, predicate: Callable[[], bool], timeout_s: float = 30) -> None:
        async def wait() -> None:
            async with asyncio.timeout(timeout_s):
                while not predicate():  # noqa: ASYNC110 - polling a Qt view
                    await asyncio.sleep(0.05)

        try:
            self.run(wait())
        except TimeoutError:
            journal = "\n".join(e.text for e in list(self.controller.journal.entries)[-30:])
            raise AssertionError(f"timed out; state {self.controller.state}; {journal}") from None


@pytest.fixture
def ui(qtbot: QtBot, qloop: qasync.QEventLoop, rig: RigHandle) -> Iterator[UiHarness]:
    provider = LiveAvatarProvider(rig.api_key, base_url=rig.base_url, timeout_s=5)
    engines = EngineHolder(None)
    controller = SessionController(
        provider, engines.factory, SessionSettings(quality="low"),
        timing=Timing(first_frame_deadline_s=10),  # the avatar joins in 1-4 s
        retry=RetryPolicy(base_delay_s=0.5, max_delay_s=2, max_attempts=4),
    )  # fmt: skip
    window = MainWindow(controller, engines, "rig", secrets=(rig.api_key,))
    window.show()  # not given to qtbot: its teardown closes windows without a running loop
    harness = UiHarness(window, controller, engines, qloop)
    yield harness
    window.close()  # the user's way out: stops the session, then the window goes
    harness.until(lambda: not window.isVisible() and not controller.has_work, 20)
    harness.run(provider.aclose())
    window.deleteLater()
