"""A signal reaches its Python handler while Qt's loop has no Python code to run."""

from __future__ import annotations

import os
import signal
import threading
import time
from types import FrameType

from PySide6.QtCore import QEventLoop, QObject, QTimer
from PySide6.QtWidgets import QApplication

from avatar_desktop.ui.signal_wakeup import SignalWakeup


def test_a_signal_is_handled_at_once_in_an_idle_qt_loop(qapp: QApplication) -> None:
    handled: list[float] = []

    def handler(_signum: int, _frame: FrameType | None) -> None:
        handled.append(time.monotonic())

    parent = QObject()
    previous = signal.signal(signal.SIGUSR1, handler)
    wakeup = SignalWakeup(parent)
    try:
        loop = QEventLoop()
        QTimer.singleShot(1500, loop.quit)  # a C++ slot: no Python runs until it fires
        sent: list[float] = []

        def send() -> None:
            sent.append(time.monotonic())
            os.kill(os.getpid(), signal.SIGUSR1)

        threading.Timer(0.2, send).start()
        loop.exec()
    finally:
        signal.signal(signal.SIGUSR1, previous)
        wakeup.close()
    assert handled and sent, "the handler never ran"
    assert handled[0] - sent[0] < 0.5, f"handled {handled[0] - sent[0]:.2f} s after the signal"
