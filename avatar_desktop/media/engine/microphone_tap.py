"""The recording's ear on the microphone: each block the microphone publishes (after echo
cancellation and the gate, muted blocks as silence: what the avatar heard) is also handed to the
recording that runs, at the time it was captured."""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np
from livekit import rtc

from ..microphone import FrameSink
from ..recording.recorder import Recorder


class MicrophoneTap:
    def __init__(
        self,
        source: FrameSink,
        recorder: Callable[[], Recorder | None],
        capture_lag_ms: Callable[[], float | None],
    ) -> None:
        """``recorder``: the recording now (None: none runs); ``capture_lag_ms``: how long a
        block takes from the microphone's ADC to here (the microphone measures it)."""
        self._source = source
        self._recorder = recorder
        self._capture_lag_ms = capture_lag_ms

    async def capture_frame(self, frame: rtc.AudioFrame) -> None:
        recorder = self._recorder()
        if recorder is not None:
            captured_at = time.monotonic() - (self._capture_lag_ms() or 0.0) / 1000
            recorder.microphone(np.frombuffer(frame.data, np.int16), captured_at)
        await self._source.capture_frame(frame)
