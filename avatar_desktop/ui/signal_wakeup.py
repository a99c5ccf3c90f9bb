"""Ctrl+C and SIGTERM reach the window even while Qt waits with nothing for Python to do.

CPython only runs a signal's handler when the main thread next executes Python code; inside
Qt's event loop that may be never (an idle window, a first run waiting on a two-minute build:
seen in CI, a SIGTERM unanswered for 30 s). The signal's C handler writes a byte to a socket
(``signal.set_wakeup_fd``); Qt watches the other end, and the slot it calls is Python code, so
the handler runs at once.
"""

from __future__ import annotations

import contextlib
import signal
import socket

from PySide6.QtCore import QObject, QSocketNotifier


class SignalWakeup(QSocketNotifier):
    """Watches the wake-up socket (made on the GUI thread; ``parent`` owns it)."""

    def __init__(self, parent: QObject) -> None:
        self._reader, self._writer = socket.socketpair()
        self._reader.setblocking(False)
        self._writer.setblocking(False)
        super().__init__(self._reader.fileno(), QSocketNotifier.Type.Read, parent)
        signal.set_wakeup_fd(self._writer.fileno(), warn_on_full_buffer=False)
        self.activated.connect(self._drain)

    def _drain(self) -> None:
        with contextlib.suppress(BlockingIOError):
            while self._reader.recv(64):
                pass

    def close(self) -> None:
        """Signals go back to waiting for Python's next bytecode; the sockets are closed."""
        self.setEnabled(False)
        signal.set_wakeup_fd(-1)
        self._reader.close()
        self._writer.close()
