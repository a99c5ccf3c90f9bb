"""The rig's pure rules: LiveAvatar's one-second rate-limit windows and the avatar join delays."""

from __future__ import annotations

import pytest

from avatar_desktop.rig.rate_limits import RateLimiter
from avatar_desktop.rig.rig import JOIN_DELAYS, parse_join_delay


def test_a_window_allows_its_calls_then_refuses_until_it_closes() -> None:
    now = [100.0]
    limiter = RateLimiter(2, clock=lambda: now[0])
    assert limiter.check("key", "GET /v1/x") == (True, 1.0)
    now[0] += 0.25
    assert limiter.check("key", "GET /v1/x") == (True, 0.75)
    allowed, left = limiter.check("key", "GET /v1/x")
    assert not allowed and left == pytest.approx(0.75)
    assert limiter.check("key", "GET /v1/y")[0] and limiter.check("other", "GET /v1/x")[0]
    now[0] += 0.8  # the window opened at 100.0 has closed
    assert limiter.check("key", "GET /v1/x") == (True, 1.0)
    assert RateLimiter.header_seconds(0.01) == "1" and RateLimiter.header_seconds(1.5) == "2"


@pytest.mark.parametrize(
    ("text", "bounds"),
    [("normal", JOIN_DELAYS["normal"]), ("slow-region", (10.0, 25.0)), ("0", (0.0, 0.0)),
     ("2.5", (2.5, 2.5)), ("1-3", (1.0, 3.0))],
)  # fmt: skip
def test_join_delays_are_plans_numbers_or_ranges(text: str, bounds: tuple[float, float]) -> None:
    assert parse_join_delay(text) == bounds


@pytest.mark.parametrize("text", ["soon", "3-1", "-2", "1-x"])
def test_a_wrong_join_delay_says_what_is_expected(text: str) -> None:
    with pytest.raises(ValueError, match="join delay"):
        parse_join_delay(text)
