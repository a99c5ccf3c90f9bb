"""The idle avatar's motion as a pure function of time: breathing, a slow sway, blinks every
2-6 s and glances, all drawn from a seeded generator, so a given seed always moves the same way
(tests can rely on it) while nothing repeats on a short period (people can see that it lives).

Everything comes out quantized to the few poses and eye states the painter pre-renders.
"""

from __future__ import annotations

import bisect
import math
import random
from dataclasses import dataclass

SWAY_LEVELS = 3  # the head sways -3..3 steps
BREATH_LEVELS = 2  # the chest rises 0..2 steps
LID_LEVELS = 3  # eyelids 0 (closed) ..3 (open)
_BREATH_HZ = 0.25
_BLINK_S = 0.2
# How far the lid is open at each moment of a blink: fast down, slower up.
_BLINK_PROFILE = ((0.04, 2), (0.1, 0), (0.15, 1), (_BLINK_S, 2))


@dataclass(frozen=True)
class Pose:
    sway: int = 0  # -SWAY_LEVELS..SWAY_LEVELS
    breath: int = 0  # 0..BREATH_LEVELS


@dataclass(frozen=True)
class Gaze:
    x: int = 0  # -1, 0, 1: the viewer's left, centre, right
    y: int = 0  # -1, 0, 1: up, centre, down
    lid: int = LID_LEVELS


class IdleMotion:
    def __init__(self, seed: int = 0) -> None:
        rng = random.Random(seed)
        self._phases = (rng.uniform(0, math.tau), rng.uniform(0, math.tau))
        self._blink_rng = random.Random(rng.getrandbits(32))
        self._glance_rng = random.Random(rng.getrandbits(32))
        self._blinks: list[float] = []
        self._glances: list[tuple[float, float, int, int]] = []  # start, end, x, y

    def pose(self, t: float) -> Pose:
        sway = 0.65 * math.sin(math.tau * 0.09 * t + self._phases[0]) + 0.35 * math.sin(
            math.tau * 0.037 * t + self._phases[1]
        )
        breath = 0.5 - 0.5 * math.cos(math.tau * _BREATH_HZ * t)
        return Pose(round(sway * SWAY_LEVELS), round(breath * BREATH_LEVELS))

    def gaze(self, t: float) -> Gaze:
        return Gaze(*self._glance_at(t), lid=self._lid_at(t))

    def blink_times(self, until_s: float) -> list[float]:
        """When blinks start, from 0 up to ``until_s``."""
        self._extend_blinks(until_s)
        return [b for b in self._blinks if b <= until_s]

    def _extend_blinks(self, t: float) -> None:
        while not self._blinks or self._blinks[-1] <= t:
            last = self._blinks[-1] if self._blinks else 0.0
            self._blinks.append(last + self._blink_rng.uniform(2.0, 6.0))
            if self._blink_rng.random() < 0.15:  # now and then a double blink
                self._blinks.append(self._blinks[-1] + 0.32)

    def _lid_at(self, t: float) -> int:
        self._extend_blinks(t)
        i = bisect.bisect_right(self._blinks, t) - 1
        if i < 0:
            return LID_LEVELS
        into = t - self._blinks[i]
        for until, lid in _BLINK_PROFILE:
            if into < until:
                return lid
        return LID_LEVELS

    def _glance_at(self, t: float) -> tuple[int, int]:
        while not self._glances or self._glances[-1][0] <= t:
            last_end = self._glances[-1][1] if self._glances else 0.0
            start = last_end + self._glance_rng.uniform(2.5, 7.0)
            end = start + self._glance_rng.uniform(0.6, 1.8)
            x, y = self._glance_rng.choice([(-1, 0), (1, 0), (-1, -1), (1, -1), (0, 1), (1, 1)])
            self._glances.append((start, end, x, y))
        i = bisect.bisect_right(self._glances, (t, math.inf, 2, 2)) - 1
        if i >= 0 and self._glances[i][0] <= t < self._glances[i][1]:
            return self._glances[i][2], self._glances[i][3]
        return 0, 0
