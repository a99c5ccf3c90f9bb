"""A helper process's lifeline to its parent: its stdin pipe. The parent holds the write end
and never writes to it; when the parent ends, however it ends, the system closes the pipe on
every OS, the helper reads end-of-file and shuts down, and ``exit_within`` makes sure it does.

Shared by the media engine and the rig's avatar (it imports nothing of the app).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sys
import threading

log = logging.getLogger(__name__)


def stdin_reader(loop: asyncio.AbstractEventLoop) -> asyncio.StreamReader:
    """stdin as a stream, fed by a thread: Windows' proactor loop cannot read a standard
    handle (``connect_read_pipe`` fails there), and a thread reads it the same on every OS."""
    reader = asyncio.StreamReader()
    fd = sys.stdin.fileno()

    def pump() -> None:
        with contextlib.suppress(OSError, RuntimeError):  # RuntimeError: the loop has closed
            while chunk := os.read(fd, 65536):
                loop.call_soon_threadsafe(reader.feed_data, chunk)
        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(reader.feed_eof)

    threading.Thread(target=pump, name="stdin", daemon=True).start()
    return reader


def exit_within(grace_s: float, parent: str = "the parent") -> None:
    """Ends the process after ``grace_s`` whatever still runs (a room that will not close, the
    native core's own shutdown): ``parent`` is gone and nobody waits for a goodbye."""

    def exit_now() -> None:
        log.warning("still running %.0f s after %s went away: exiting now", grace_s, parent)
        os._exit(1)

    timer = threading.Timer(grace_s, exit_now)
    timer.daemon = True
    timer.start()
