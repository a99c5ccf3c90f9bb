"""The e2e fixture: one rig per test module in its namespace; after each test it must be clean."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.rig_harness import RIG_NETNS, RigHandle, running_rig


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
