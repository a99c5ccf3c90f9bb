"""The microphone's warm-up, on its own (no device): the canceller's reverse stream drives it."""

from __future__ import annotations

import asyncio

import numpy as np
from livekit import rtc

from avatar_desktop.media.microphone import FRAME, WARMUP_S, Microphone, ProcessingOptions


class _Nowhere:
    async def capture_frame(self, frame: rtc.AudioFrame) -> None:
        pass


def _voice(blocks: int) -> list[np.ndarray]:
    t = np.arange(blocks * FRAME) / 48_000
    tone = (8000 * np.sin(2 * np.pi * 220 * t)).astype(np.int16)
    return list(tone.reshape(blocks, FRAME))


async def test_a_speaker_underflow_sets_the_warm_up_going_again() -> None:
    mic = Microphone(_Nowhere(), ProcessingOptions(), level=lambda _dbfs: None)
    now = asyncio.get_running_loop().time()
    for block in _voice(int(WARMUP_S * 100) + 20):
        mic.play_reference(block, None)
    assert mic.reference_heard_s >= WARMUP_S and not mic._warming_up(now)
    mic.play_reference(_voice(1)[0], None, underflowed=True)
    assert mic.echo_path_breaks == 1
    assert mic._warming_up(asyncio.get_running_loop().time())


async def test_an_underflow_before_the_avatar_spoke_changes_nothing() -> None:
    mic = Microphone(_Nowhere(), ProcessingOptions(), level=lambda _dbfs: None)
    mic.play_reference(np.zeros(FRAME, np.int16), None, underflowed=True)
    assert mic.echo_path_breaks == 0
