"""The video stage's overlays: the step card (kinds, its spinner running only while a step is in
progress) and the speaking pill (only while someone speaks), as the window drives them."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator

import pytest
import qasync
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from avatar_desktop.core.media_port import Frame
from avatar_desktop.core.preparation import Preparation
from avatar_desktop.core.provider_port import SessionSettings
from avatar_desktop.core.reply_latency import ReplyLatency
from avatar_desktop.core.session_controller import SessionController
from avatar_desktop.providers.liveavatar import LiveAvatarProvider
from avatar_desktop.ui.main_window import MainWindow
from avatar_desktop.ui.stage_overlays import StepCard
from avatar_desktop.ui.video_view import VideoView, elapsed_text
from tests.core.fakes import MediaFactory
from tests.ui.test_shortcuts_and_export import NoFrames


@pytest.fixture
def window(qloop: qasync.QEventLoop) -> Iterator[MainWindow]:
    provider = LiveAvatarProvider("unused", base_url="http://127.0.0.1:9")
    controller = SessionController(provider, MediaFactory(), SessionSettings())
    shown = MainWindow(controller, NoFrames(), "test")
    shown.show()
    yield shown
    shown.close()
    shown.deleteLater()
    qloop.run_until_complete(provider.aclose())
    qloop.run_until_complete(asyncio.sleep(0.01))


def test_the_card_says_each_step_and_spins_only_while_one_is_in_progress(
    window: MainWindow,
) -> None:
    video = window.video
    card = video.step_card
    assert card is not None and card.kind == "idle" and "Press Start" in card.title
    assert not video.animating, "an idle window runs no timer"
    window.set_preparing(Preparation.BUILDING_SERVER)
    card = video.step_card
    assert card is not None and card.kind == "progress" and card.since is not None
    assert "building the local LiveKit server" in card.title and video.animating
    window.set_preparing(Preparation.NO_ADDRESS)
    card = video.step_card
    assert card is not None and card.kind == "failed" and "network address" in card.title
    assert not video.animating
    window.set_preparing(None)
    assert not video.animating and not video.pulling


def test_the_pill_shows_only_while_someone_speaks(qloop: qasync.QEventLoop) -> None:
    video = VideoView()
    video.resize(640, 360)
    video.show()
    video.set_step(None, show_picture=True)  # live
    assert video.speaking is None and not video.animating
    video.set_speaking("avatar")
    assert video.speaking == "avatar" and video.animating
    video.set_speaking("user")
    assert video.speaking == "user"
    video.set_step(StepCard("Reconnecting…", since=time.time()), show_picture=False)
    assert video.speaking is None, "no pill once the picture has gone"
    video.set_step(None, show_picture=True)
    video.set_speaking(None)
    assert not video.animating
    video.close()


def test_the_last_reply_time_is_in_the_status_bar(window: MainWindow) -> None:
    status = window.controller.status
    status.reply = ReplyLatency(512, "speech")
    window.bridge.status_changed.emit(status)
    assert "Last reply 512 ms" in window.network_label.text()


def test_elapsed_time_reads_like_a_call_timer() -> None:
    assert [elapsed_text(s) for s in (0, 7.9, 65, 600)] == ["0:00", "0:07", "1:05", "10:00"]


class OneFrame:
    """A source with one frame of ``width`` by ``height`` (what the engine scaled to)."""

    def __init__(self, width: int, height: int) -> None:
        self.width, self.height = width, height

    def latest(self) -> Frame | None:
        pixels = bytes(self.width * self.height * 4)
        now_us = int(time.time() * 1e6)
        w, h = self.width, self.height
        return Frame(seq=1, width=w, height=h, received_us=now_us, pixels=pixels, stride=w * 4)

    def request_size(self, width: int, height: int) -> None:
        pass


@pytest.mark.parametrize(("view_w", "frame"), [(641, (640, 360)), (640, (640, 360))])
def test_an_even_frame_in_an_odd_stage_is_still_painted_one_to_one(
    qapp: QApplication, view_w: int, frame: tuple[int, int]
) -> None:
    video = VideoView()
    video.resize(view_w, 420)
    video.set_source(OneFrame(*frame))
    video.show()
    assert QTest.qWaitForWindowExposed(video)
    video.set_step(None, show_picture=True)
    video._pull()
    video.repaint()
    QApplication.processEvents()
    assert video.stats.frames_painted >= 1
    assert video.stats.scaled_paints == 0, "the 1-pixel difference was painted scaled"
    video.close()
