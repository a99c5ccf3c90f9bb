"""Shared fixtures: free ports, and the rig (one per module, clean after each test)."""

from __future__ import annotations

import os
import random
import socket
from collections.abc import Iterator

import pytest

from tests.pulse_harness import Pulse, running_pulse
from tests.rig_harness import RIG_NETNS, RigHandle, running_rig

# Below Linux's ephemeral range (32768-60999): the rig's LiveKit server binds its UDP port in the
# rig's namespace, where the synthetic avatar's WebRTC sockets take ephemeral ports; a block
# probed free here, in the client's namespace, could be taken there (CI saw it once: the server
# stopped at once, "bind: address already in use").
_PORTS = range(20000, 32700)


def _free_port_block(size: int = 4) -> int:
    """A port P such that P..P+size-1 look free on loopback, TCP and UDP (the rig takes P and
    the next ones), outside the range the kernel hands out on its own."""
    for _ in range(200):
        base = random.randrange(_PORTS.start, _PORTS.stop - size)
        try:
            for offset in range(size):
                for kind in (socket.SOCK_STREAM, socket.SOCK_DGRAM):
                    with socket.socket(socket.AF_INET, kind) as probe:
                        probe.bind(("127.0.0.1", base + offset))
        except OSError:
            continue
        return base
    raise RuntimeError("no free block of ports")


@pytest.fixture
def free_port() -> int:
    return _free_port_block()


@pytest.fixture(scope="module")
def rig_module() -> Iterator[RigHandle]:
    if not RIG_NETNS:
        if os.environ.get("CI"):
            pytest.fail("e2e tests must run inside the test namespaces (scripts/run-tests.sh)")
        pytest.skip("needs the test network namespaces: run through scripts/run-tests.sh")
    with running_rig() as handle:
        yield handle


@pytest.fixture
def rig(rig_module: RigHandle) -> Iterator[RigHandle]:
    yield rig_module
    rig_module.clear_faults()
    state = rig_module.wait_until(
        lambda s: s["active_sessions"] == 0 and not s["rooms"] and s["server"]["running"],
        timeout_s=20,
    )
    assert state["active_sessions"] == 0


@pytest.fixture(scope="session")
def pulse() -> Iterator[Pulse]:
    """One PulseAudio daemon with virtual devices for the whole run (real-audio tests)."""
    with running_pulse() as daemon:
        yield daemon
