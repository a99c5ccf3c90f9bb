"""Real-audio fixtures: one PulseAudio daemon with virtual devices for the whole test run."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.pulse_harness import Pulse, running_pulse


@pytest.fixture(scope="session")
def pulse() -> Iterator[Pulse]:
    with running_pulse() as daemon:
        yield daemon
