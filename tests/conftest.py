"""Shared fixtures."""

from __future__ import annotations

import socket

import pytest


def _free_port_block(size: int = 4) -> int:
    """A port P such that P..P+size-1 look free on loopback (the rig takes P and the next ones)."""
    for _ in range(50):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            base = int(s.getsockname()[1])
        if base + size > 65535:
            continue
        try:
            for offset in range(1, size):
                with socket.socket() as probe:
                    probe.bind(("127.0.0.1", base + offset))
        except OSError:
            continue
        return base
    raise RuntimeError("no free block of ports")


@pytest.fixture
def free_port() -> int:
    return _free_port_block()
