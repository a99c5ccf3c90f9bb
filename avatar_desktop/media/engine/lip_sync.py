"""Keeps the avatar's lips with its voice: the picture is held back by as long as the voice
takes from arrival to the speaker (the playout buffer plus the sound card's own delay, from
PortAudio's DAC timestamps) and by how much later than the picture the receiver let the voice
out (receiver_skew.py), less what the picture takes on its own way to the screen.

Unheld, the voice trailed the lips by 75 ms (p50, 90 ms p95), past the 40 ms a viewer
tolerates. The hold moves by at most 1 ms a frame, so held frames never overtake one another and
a changing delay is not seen as judder, except when the voice skipped a backlog: then the
picture skips too (the frames still held are dropped, none is shown out of order). A recording
uses the same slewing with no path of its own and a hold that may be negative (a file's
timestamps can move the picture earlier) and that follows five times faster: a file shows no
judder of a few milliseconds a frame, and the receiver's skew, unknown until the first second's
statistics, is 50-90 ms on a loaded machine (seen in CI: the first three seconds of a file
+83…+124 ms while a millisecond a frame caught up).
"""

from __future__ import annotations

# Scaling in the engine, the view's pull (a 60 Hz timer: 8 ms on average) and the paint.
PICTURE_PATH_MS = 10.0
MAX_HOLD_MS = 300.0
STEP_MS = 1.0
RECORDING_STEP_MS = 5.0
# The voice's path shorter by this much at once is the playout buffer skipping a backlog
# (audio_output.py): the picture skips with it (frames still held are then not shown).
JUMP_MS = 50.0


class PictureDelay:
    def __init__(
        self,
        picture_path_ms: float = PICTURE_PATH_MS,
        floor_ms: float = 0.0,
        step_ms: float = STEP_MS,
    ) -> None:
        self.hold_ms = 0.0
        self._step_ms = step_ms
        self._path_ms = picture_path_ms
        self._floor_ms = floor_ms
        self._started = False

    def update(self, voice_path_ms: float | None) -> float:
        """The hold for the frame that just arrived, given the voice's path now (None: no
        voice is played, nothing to wait for)."""
        target = 0.0 if voice_path_ms is None else voice_path_ms - self._path_ms
        target = min(MAX_HOLD_MS, max(self._floor_ms, target))
        if not self._started or target < self.hold_ms - JUMP_MS:
            self._started, self.hold_ms = True, target
        else:
            self.hold_ms += min(self._step_ms, max(-self._step_ms, target - self.hold_ms))
        return self.hold_ms
