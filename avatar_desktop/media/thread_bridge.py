"""The one place where data from other threads (sounddevice callbacks) enters asyncio.

The audio thread only copies its block and posts it; the loop side keeps a bounded queue that
drops the oldest block when full and counts what it dropped, so a stalled loop costs freshness,
never an unbounded backlog or a blocked audio thread.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class ThreadToLoop(Generic[T]):
    def __init__(self, loop: asyncio.AbstractEventLoop, capacity: int = 50) -> None:
        self._loop = loop
        self._items: collections.deque[T] = collections.deque(maxlen=capacity)
        self._ready = asyncio.Event()
        self.dropped = 0
        self.posted = 0

    def post(self, item: T) -> None:
        """Called on any thread: never blocks."""
        with contextlib.suppress(RuntimeError):  # the loop closed: the stream is going away
            self._loop.call_soon_threadsafe(self.put, item)

    def put(self, item: T) -> None:
        """Called on the loop's thread."""
        if len(self._items) == self._items.maxlen:
            self.dropped += 1
        self._items.append(item)
        self.posted += 1
        self._ready.set()

    async def get(self) -> T:
        while not self._items:
            self._ready.clear()
            await self._ready.wait()
        return self._items.popleft()


class InOrderOnLoop(Generic[T]):
    """Hands each item posted from any thread to ``handle`` on the loop, in the order posted
    and none dropped: for work that must see every block of two streams in their real
    interleaving (the echo canceller's played and captured audio), never awaits, and costs
    far less than the blocks' period. Both streams go through the loop's one queue of
    callbacks, so a stalled loop delays them together; it cannot reorder or thin one of them
    (what a drop-oldest queue per stream did: the capture's dropped blocks moved the echo
    against the reference by 10 ms each)."""

    def __init__(self, loop: asyncio.AbstractEventLoop, handle: Callable[[T], None]) -> None:
        self._loop = loop
        self._handle = handle
        self.posted = 0

    def post(self, item: T) -> None:
        """Called on any thread: never blocks."""
        with contextlib.suppress(RuntimeError):  # the loop closed: the stream is going away
            self._loop.call_soon_threadsafe(self._arrived, item)

    def _arrived(self, item: T) -> None:
        self.posted += 1
        self._handle(item)
