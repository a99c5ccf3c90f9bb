"""The engine's loop-health counters: a blocked loop is counted as a stall, a collection timed."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import time

from avatar_desktop.media.engine.loop_health import LoopHealth


async def test_a_blocked_loop_is_a_stall_and_a_collection_is_timed() -> None:
    health = LoopHealth()
    watcher = asyncio.get_running_loop().create_task(health.watch())
    await asyncio.sleep(0.1)
    stalls = health.stalls
    time.sleep(0.08)  # noqa: ASYNC251 - the point: something on the loop holds it for 80 ms
    await asyncio.sleep(0.05)
    assert health.stalls > stalls and health.longest_stall_ms >= 50
    assert health.busy_stalls == 0  # asleep, not busy: waiting on something else
    busy = health.busy_stalls
    ends = time.monotonic() + 0.08
    while time.monotonic() < ends:  # busy on the loop this time
        pass
    await asyncio.sleep(0.05)
    assert health.busy_stalls == busy + 1
    gc.collect()
    assert health.longest_gc_ms > 0
    watcher.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await watcher
    assert health._on_gc not in gc.callbacks
