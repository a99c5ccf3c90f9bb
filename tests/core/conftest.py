"""Fast core tests: any exception that reaches the loop's handler (a callback or a task nobody
awaited) fails the test that caused it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest


@pytest.fixture
async def strict_loop() -> AsyncIterator[asyncio.AbstractEventLoop]:
    loop = asyncio.get_running_loop()
    problems: list[dict[str, Any]] = []
    previous = loop.get_exception_handler()
    loop.set_exception_handler(lambda _loop, context: problems.append(context))
    yield loop
    await asyncio.sleep(0.01)  # let pending callbacks run before judging
    loop.set_exception_handler(previous)
    assert not problems, f"unhandled in the loop: {[p.get('message') for p in problems]}"
