"""LiveAvatar's rate limits (contract.md §1.1, LAD core-concepts/rate-limits): per caller
(``X-API-KEY``, else the Bearer session token, else the client's address) and per endpoint
(path parameters ignored), in fixed one-second windows. Over the limit: HTTP 429 with
``Retry-After``; ``X-RateLimit-Reset`` (seconds left in the window) on success and rejection.
The per-endpoint numbers are not published (SILENT): one limit for all, a rig option."""

from __future__ import annotations

import math
import time
from collections.abc import Callable

WINDOW_S = 1.0


class RateLimiter:
    def __init__(self, per_window: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.per_window = per_window
        self._clock = clock
        self._windows: dict[tuple[str, str], tuple[float, int]] = {}

    def check(self, caller: str, endpoint: str) -> tuple[bool, float]:
        """Counts one call; (allowed, seconds left in the caller's window)."""
        now = self._clock()
        started, used = self._windows.get((caller, endpoint), (now, 0))
        if now - started >= WINDOW_S:
            started, used = now, 0
        left = WINDOW_S - (now - started)
        if used >= self.per_window:
            return False, left
        self._windows[(caller, endpoint)] = (started, used + 1)
        if len(self._windows) > 10_000:  # forget windows long closed
            self._windows = {k: v for k, v in self._windows.items() if now - v[0] < WINDOW_S}
        return True, left

    @staticmethod
    def header_seconds(left: float) -> str:
        """Whole seconds, rounded up, as HTTP headers carry them (never 0 while blocked)."""
        return str(max(1, math.ceil(left)))
