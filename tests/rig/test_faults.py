from __future__ import annotations

import pytest

from avatar_desktop.rig.faults import Fault, FaultError, StandingFaults


def test_standing_faults_fire_count_times_and_match_params() -> None:
    faults = StandingFaults()
    faults.add(Fault.parse({"kind": "http", "endpoint": "/a", "status": 500, "count": 2}))
    assert faults.take("http", endpoint="/b") is None
    assert faults.take("http", endpoint="/a") is not None
    assert faults.take("http", endpoint="/a") is not None
    assert faults.take("http", endpoint="/a") is None
    faults.add(Fault.parse({"kind": "tracks_never"}))
    assert faults.take("tracks_never") is not None
    assert faults.take("tracks_never") is not None  # no count: until cleared
    faults.clear()
    assert faults.list() == []


@pytest.mark.parametrize(
    "raw", [{"kind": "meteor"}, {"nokind": 1}, "network_cut", {"kind": "http", "count": 0}]
)
def test_bad_plans_are_refused_with_a_reason(raw: object) -> None:
    with pytest.raises(FaultError):
        Fault.parse(raw)
