"""The two hand-offs from audio threads to the loop: in order and whole for the echo
canceller's streams, bounded and drop-oldest for what waits on the track."""

from __future__ import annotations

import asyncio
import threading

from avatar_desktop.media.thread_bridge import InOrderOnLoop, ThreadToLoop


async def test_two_threads_interleave_in_the_order_they_posted_and_none_is_lost() -> None:
    loop = asyncio.get_running_loop()
    seen: list[tuple[str, int]] = []
    order: list[tuple[str, int]] = []
    lock = threading.Lock()
    all_seen = asyncio.Event()

    def handle(item: tuple[str, int]) -> None:
        seen.append(item)
        if len(seen) == 4000:
            all_seen.set()

    bridge: InOrderOnLoop[tuple[str, int]] = InOrderOnLoop(loop, handle)

    def stream(name: str) -> None:
        for k in range(2000):
            with lock:  # the order of posting, as the loop's queue gets it
                order.append((name, k))
                bridge.post((name, k))

    threads = [threading.Thread(target=stream, args=(n,)) for n in ("played", "captured")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    await asyncio.wait_for(all_seen.wait(), 10)
    assert seen == order
    assert bridge.posted == 4000


async def test_the_track_queue_keeps_the_newest_and_counts_what_it_dropped() -> None:
    bridge: ThreadToLoop[int] = ThreadToLoop(asyncio.get_running_loop(), capacity=3)
    for k in range(5):
        bridge.put(k)
    assert [await bridge.get() for _ in range(3)] == [2, 3, 4]
    assert bridge.dropped == 2
