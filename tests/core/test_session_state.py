from __future__ import annotations

import itertools
import random

import pytest

from avatar_desktop.core.errors import ErrorKind
from avatar_desktop.core.retry import RetryPolicy
from avatar_desktop.core.session_state import IllegalTransition, SessionState, check_transition

S = SessionState


def test_the_happy_path_and_reconnect_are_transitions() -> None:
    path = [S.IDLE, S.CREATING_SESSION, S.CONNECTING, S.WAITING_FOR_AVATAR, S.LIVE,
            S.RECONNECTING, S.LIVE, S.ENDING, S.IDLE]  # fmt: skip
    for old, new in itertools.pairwise(path):
        check_transition(old, new)


@pytest.mark.parametrize("state", [S.CREATING_SESSION, S.CONNECTING, S.WAITING_FOR_AVATAR,
                                   S.LIVE, S.RECONNECTING])  # fmt: skip
def test_every_active_state_can_fail_end_or_retry(state: SessionState) -> None:
    check_transition(state, S.FAILED)
    check_transition(state, S.ENDING)
    if state is not S.CREATING_SESSION:
        check_transition(state, S.CREATING_SESSION)


@pytest.mark.parametrize(
    ("old", "new"),
    [(S.IDLE, S.LIVE), (S.CONNECTING, S.LIVE), (S.FAILED, S.LIVE), (S.IDLE, S.ENDING)],
)
def test_shortcuts_are_refused(old: SessionState, new: SessionState) -> None:
    with pytest.raises(IllegalTransition):
        check_transition(old, new)


def test_backoff_grows_with_jitter_and_is_capped() -> None:
    policy = RetryPolicy(base_delay_s=1, factor=2, max_delay_s=5, max_attempts=4, jitter=0.5,
                         rng=random.Random(7))  # fmt: skip
    assert policy.delay_before(1) == 0
    delays = [policy.delay_before(n) for n in range(2, 7)]
    nominal = [1, 2, 4, 5, 5]
    for delay, top in zip(delays, nominal, strict=True):
        assert top * 0.5 <= delay <= top
    assert policy.allows(4) and not policy.allows(5)


def test_what_another_session_would_not_fix_is_terminal() -> None:
    """Account problems, answers we cannot act on, our own bugs, and the service ending the
    session for a reason a new (billed) session would meet again."""
    terminal = {k for k in ErrorKind if k.terminal}
    assert terminal == {ErrorKind.BAD_API_KEY, ErrorKind.AVATAR_NOT_FOUND, ErrorKind.NO_CREDITS,
                        ErrorKind.CONCURRENT_LIMIT, ErrorKind.INTERNAL, ErrorKind.BAD_RESPONSE,
                        ErrorKind.INVALID_SETTINGS, ErrorKind.REFUSED, ErrorKind.SESSION_LIMIT,
                        ErrorKind.IDLE_ENDED, ErrorKind.CLOSED_ELSEWHERE}  # fmt: skip
    retried = set(ErrorKind) - terminal
    assert retried == {ErrorKind.RATE_LIMITED, ErrorKind.SERVER_ERROR, ErrorKind.NETWORK,
                       ErrorKind.TIMEOUT, ErrorKind.SESSION_ENDED, ErrorKind.NO_VIDEO,
                       ErrorKind.CONNECT_FAILED, ErrorKind.MEDIA_ENGINE}  # fmt: skip
