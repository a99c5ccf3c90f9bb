"""Sessions not confirmed stopped on the service: kept on disk (the ledger) so that none is left
open, and stopped again in the background as soon as the service answers, not only at the next
launch. Orphaned sessions bill the user and trip the concurrent-session limit."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from .errors import AvatarServiceError, ErrorKind
from .ledger import SessionLedger
from .provider_port import AvatarProvider

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class StopRetryPolicy:
    first_delay_s: float = 2.0
    max_delay_s: float = 60.0
    max_attempts: int = 30  # with the cap, about half an hour of trying


class UnstoppedSessions:
    def __init__(
        self,
        ledger: SessionLedger | None,
        report: Callable[[str], None],
        *,
        policy: StopRetryPolicy | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.ledger = ledger
        self.policy = policy or StopRetryPolicy()
        self._report = report
        self._sleep = sleep
        self._retrying: dict[str, tuple[AvatarProvider, asyncio.Task[None]]] = {}
        self.stopped_later = 0

    def opened(self, provider: AvatarProvider, session_id: str) -> None:
        if self.ledger is not None:
            self.ledger.opened(provider.name, session_id)

    def confirmed(self, session_id: str) -> None:
        if self.ledger is not None:
            self.ledger.closed(session_id)

    @property
    def pending(self) -> int:
        """How many sessions are still waiting to be confirmed stopped (shown in diagnostics)."""
        return len(self._retrying)

    def unconfirmed(self, provider: AvatarProvider, session_id: str) -> None:
        """The stop failed: keep trying in the background until the service confirms it."""
        if session_id in self._retrying:
            return
        task = asyncio.get_running_loop().create_task(
            self._retry(provider, session_id), name=f"stop-{session_id}"
        )
        self._retrying[session_id] = (provider, task)
        task.add_done_callback(lambda _t: self._forget(session_id, task))

    def _forget(self, session_id: str, task: asyncio.Task[None]) -> None:
        entry = self._retrying.get(session_id)
        if entry is not None and entry[1] is task:
            del self._retrying[session_id]

    async def _retry(self, provider: AvatarProvider, session_id: str) -> None:
        delay = self.policy.first_delay_s
        for attempt in range(1, self.policy.max_attempts + 1):
            await self._sleep(delay)
            if await self.stop_one(provider, session_id, attempt=attempt):
                self.stopped_later += 1
                return
            delay = min(self.policy.max_delay_s, delay * 2)
        self._report(f"gave up stopping session {session_id}; it stays in the ledger")

    async def stop_one(self, provider: AvatarProvider, session_id: str, attempt: int = 0) -> bool:
        """One try; True when the session is known to be gone (stopped, or unknown there)."""
        try:
            await provider.stop_session_by_id(session_id)
        except AvatarServiceError as exc:
            gone = exc.kind is ErrorKind.BAD_RESPONSE or exc.status in (400, 404)
            if not gone:
                log.info("session %s still not stopped (try %d): %s", session_id, attempt, exc)
                return False
        self.confirmed(session_id)
        self._report(f"session {session_id} left open earlier is now stopped")
        return True

    async def sweep(self, provider: AvatarProvider) -> None:
        """Stops what the ledger holds for this provider (at the start of a run); what still
        fails is retried in the background."""
        if self.ledger is None:
            return
        for session_id in self.ledger.pending(provider.name):
            if session_id in self._retrying:
                continue
            if not await self.stop_one(provider, session_id):
                self.unconfirmed(provider, session_id)

    async def close(self, budget_s: float = 3.0) -> None:
        """At exit: one last bounded try for each, then the ledger keeps the rest for next time."""
        waiting = list(self._retrying.items())
        self._retrying.clear()
        for _provider, task in (entry for _sid, entry in waiting):
            task.cancel()
        try:
            async with asyncio.timeout(budget_s):
                for session_id, (provider, _task) in waiting:
                    await self.stop_one(provider, session_id)
        except TimeoutError:
            log.info("sessions left for the next launch: %d", len(waiting))
