"""How late the engine's loop runs what is due, and how long the garbage collector stops it.

The avatar's voice reaches the playout buffer through this loop, 10 ms a frame; a loop busy
for longer than the buffer's depth (40 ms) is an underrun. Counting the stalls here and the
collector's pauses says whether a late frame was the loop's doing or came late from WebRTC.
"""

from __future__ import annotations

import asyncio
import gc
import time
from typing import Any

PERIOD_S = 0.02
STALL_MS = 30.0
GC_PAUSE_MS = 10.0


class LoopHealth:
    def __init__(self) -> None:
        self.stalls = 0  # wake-ups more than STALL_MS late
        # ... of which the loop's thread spent most running Python or native code (something
        # on the loop took that long), not waiting for the GIL or a core.
        self.busy_stalls = 0
        self.longest_stall_ms = 0.0
        self.gc_pauses = 0  # collections longer than GC_PAUSE_MS
        self.longest_gc_ms = 0.0
        self._gc_started: float | None = None

    async def watch(self) -> None:
        """Runs until cancelled: a timer that notes how late it wakes."""
        gc.callbacks.append(self._on_gc)
        try:
            due = time.monotonic() + PERIOD_S
            cpu = time.thread_time()
            while True:
                await asyncio.sleep(max(0.0, due - time.monotonic()))
                now, cpu_now = time.monotonic(), time.thread_time()
                self._late(now - due, cpu_now - cpu)
                due, cpu = max(due + PERIOD_S, now), cpu_now
        finally:
            gc.callbacks.remove(self._on_gc)

    def _late(self, late_s: float, cpu_s: float) -> None:
        """``cpu_s``: the thread's CPU time since its last wake-up (``PERIOD_S + late_s`` ago)."""
        late_ms = late_s * 1000
        self.longest_stall_ms = max(self.longest_stall_ms, late_ms)
        if late_ms > STALL_MS:
            self.stalls += 1
            if cpu_s > 0.5 * (PERIOD_S + late_s):
                self.busy_stalls += 1

    def _on_gc(self, phase: str, _info: dict[str, Any]) -> None:
        if phase == "start":
            self._gc_started = time.perf_counter()
        elif self._gc_started is not None:
            pause_ms = (time.perf_counter() - self._gc_started) * 1000
            self._gc_started = None
            self.longest_gc_ms = max(self.longest_gc_ms, pause_ms)
            if pause_ms > GC_PAUSE_MS:
                self.gc_pauses += 1

    def stats(self) -> dict[str, float | int]:
        return {
            "engine_loop_stalls": self.stalls,
            "engine_loop_busy_stalls": self.busy_stalls,
            "engine_loop_longest_stall_ms": round(self.longest_stall_ms, 1),
            "engine_gc_pauses": self.gc_pauses,
            "engine_gc_longest_ms": round(self.longest_gc_ms, 1),
        }
