"""How long the avatar took to answer: from the moment the user's turn ended (a text sent, or
the end of their speech as the service heard it) to the avatar's first speaking event. Measured
on a monotonic clock, so a change of the wall clock cannot make a reply look slow or negative."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

TurnEnd = Literal["message", "speech"]


@dataclass(frozen=True)
class ReplyLatency:
    ms: int
    after: TurnEnd  # what the user did last: sent a message, or stopped speaking


class ReplyTimer:
    """The user's last turn end, waiting for the avatar's answer. A newer turn end replaces an
    older one (the answer is to the latest); the avatar speaking with no turn pending (a
    greeting, a second sentence) measures nothing."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._since: float | None = None
        self._after: TurnEnd = "message"

    def turn_ended(self, after: TurnEnd) -> None:
        self._since, self._after = self._clock(), after

    def avatar_started(self) -> ReplyLatency | None:
        since, self._since = self._since, None
        if since is None:
            return None
        return ReplyLatency(max(0, round((self._clock() - since) * 1000)), self._after)

    def forget(self) -> None:
        """The session ended: a turn of the old one is never answered by the next."""
        self._since = None
