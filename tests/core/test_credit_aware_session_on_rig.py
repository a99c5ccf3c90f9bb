"""Credits are the user's money: the session waits for a slow avatar in the same session, rejoins
before it pays for another, never retries what the service ended for good, and backs off as
the service asks. The controller on the real provider and media engine against the rig."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import pytest

from avatar_desktop.core.errors import ErrorKind
from avatar_desktop.core.media_port import MediaEvent, MediaPort
from avatar_desktop.core.provider_port import SessionSettings
from avatar_desktop.core.retry import RetryPolicy
from avatar_desktop.core.session_controller import SessionController, Timing
from avatar_desktop.core.session_state import SessionState
from avatar_desktop.media.engine_client import MediaEngine
from avatar_desktop.providers.liveavatar import LiveAvatarProvider
from avatar_desktop.rig.sessions import SANDBOX_AVATAR_ID
from tests.core.test_session_controller_on_rig import HAPPY, Harness
from tests.rig_harness import RigHandle, running_rig

pytestmark = pytest.mark.e2e
S = SessionState
# The app's own rule (Timing's defaults): 30 s for the avatar, one rejoin at 12 s.
APP_RULE = Timing(keep_alive_s=20)


@asynccontextmanager
async def controller_on(
    rig: RigHandle, settings: SessionSettings, retry: RetryPolicy | None = None
) -> AsyncIterator[Harness]:
    provider = LiveAvatarProvider(rig.api_key, base_url=rig.base_url, timeout_s=5)

    def media_factory(on_event: Callable[[MediaEvent], None]) -> MediaPort:
        return MediaEngine(on_event)

    controller = SessionController(
        provider, media_factory, settings, timing=APP_RULE,
        retry=retry or RetryPolicy(base_delay_s=0.05, max_delay_s=0.1, max_attempts=4),
    )  # fmt: skip
    harness = Harness(controller)
    try:
        yield harness
    finally:
        await controller.close()
        await provider.aclose()


def sessions_created(rig: RigHandle) -> int:
    return len(rig.state()["sessions"])


@pytest.mark.parametrize("join_s", [6, 20])
async def test_a_slow_avatar_goes_live_in_the_one_session_it_started(
    rig: RigHandle, join_s: int
) -> None:
    before = sessions_created(rig)
    rig.fault(kind="tracks_late", seconds=join_s, count=1)
    async with controller_on(rig, SessionSettings(quality="low")) as h:
        await h.controller.start()
        await h.until_state(S.LIVE, timeout_s=40)
        assert h.states == HAPPY  # no failure, no new session on the way
        assert sessions_created(rig) - before == 1
        rejoined = any("rejoining the same room" in e.text for e in h.controller.journal.entries)
        assert rejoined == (join_s > 12)
        await h.controller.stop()


@pytest.mark.parametrize(
    ("reason", "kind"),
    [("NO_CREDITS", ErrorKind.NO_CREDITS), ("MAX_DURATION_REACHED", ErrorKind.SESSION_LIMIT)],
)
async def test_a_session_ended_for_good_is_said_and_never_paid_for_again(
    rig: RigHandle, reason: str, kind: ErrorKind
) -> None:
    before = sessions_created(rig)
    async with controller_on(rig, SessionSettings(quality="low")) as h:
        await h.controller.start()
        await h.until_state(S.LIVE)
        rig.fault(kind="end_session", reason=reason)
        await h.until(lambda: not h.controller.running, 20)
        view = h.controller.view()
        assert view.state is S.FAILED and view.error is kind and not view.retrying
        assert h.controller.status.message  # the words the window shows
        await asyncio.sleep(2)
        assert sessions_created(rig) - before == 1  # zero new sessions


async def test_the_sandbox_minute_ends_the_session_for_good(free_port: int) -> None:
    with running_rig(free_port, "--sandbox-duration", "8") as sandbox_rig:
        settings = SessionSettings(avatar_id=SANDBOX_AVATAR_ID, quality="low", sandbox=True)
        async with controller_on(sandbox_rig, settings) as h:
            await h.controller.start()
            await h.until_state(S.LIVE)
            await h.until(lambda: not h.controller.running, 30)
            assert h.controller.view().error is ErrorKind.SESSION_LIMIT
            assert h.states == [*HAPPY, S.ENDING, S.FAILED]
            assert sessions_created(sandbox_rig) == 1


async def test_a_429_burst_is_waited_out_as_the_service_asks(rig: RigHandle) -> None:
    rig.fault(kind="http", endpoint="/v1/sessions/token", status=429, count=2)
    async with controller_on(rig, SessionSettings(quality="low")) as h:
        await h.controller.start()
        await h.until_state(S.LIVE, timeout_s=40)
        creating = [c.at for c in h.changes if c.new is S.CREATING_SESSION]
        assert len(creating) == 3  # two refused, the third went through
        gaps = [b - a for a, b in itertools.pairwise(creating)]
        assert all(gap >= 0.95 for gap in gaps), gaps  # Retry-After: 1, not our 50 ms
        await h.controller.stop()
