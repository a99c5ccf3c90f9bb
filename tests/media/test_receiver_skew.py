from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from avatar_desktop.media.engine.lip_sync import PictureDelay
from avatar_desktop.media.engine.receiver_skew import (
    MAX_SKEW_MS,
    ReceiverSkew,
    inbound_totals,
)


def _inbound(kind: str, delay_s: float, emitted: int) -> Any:
    """An ``RtcStats`` entry as the SDK gives it: only the fields read here."""
    inbound = SimpleNamespace(jitter_buffer_delay=delay_s, jitter_buffer_emitted_count=emitted)
    stats = SimpleNamespace(stream=SimpleNamespace(kind=kind), inbound=inbound)
    return SimpleNamespace(WhichOneof=lambda _group: "inbound_rtp", inbound_rtp=stats)


def _other() -> Any:
    return SimpleNamespace(WhichOneof=lambda _group: "candidate_pair")


def test_totals_per_kind_sum_the_tracks_and_skip_other_entries() -> None:
    entries = [_inbound("audio", 2.0, 100), _other(), _inbound("audio", 1.0, 50)]
    totals = inbound_totals([*entries, _inbound("video", 3.0, 9)])
    assert totals == {"audio": (3.0, 150), "video": (3.0, 9)}


def test_the_skew_is_the_voices_buffer_delay_less_the_pictures_over_the_last_poll() -> None:
    skew = ReceiverSkew()
    assert skew.update({"audio": (10.0, 480_000), "video": (2.0, 300)}) == 0.0  # a baseline
    # The figures the rig gave: 48,000 samples held 31.5 ms each, 30 frames 14 ms each.
    got = skew.update({"audio": (10.0 + 1512.0, 528_000), "video": (2.42, 330)})
    assert got == pytest.approx(31.5 - 14.0)
    assert skew.audio_ms == pytest.approx(31.5) and skew.video_ms == pytest.approx(14.0)


def test_a_noisy_poll_moves_it_halfway_and_a_restarted_track_is_a_new_baseline() -> None:
    skew = ReceiverSkew()
    skew.update({"audio": (0.0, 0), "video": (0.0, 0)})
    skew.update({"audio": (0.03 * 48_000, 48_000), "video": (0.01 * 30, 30)})  # 20 ms
    moved = skew.update({"audio": (0.03 * 48_000 + 0.06 * 48_000, 96_000),
                         "video": (0.01 * 60, 60)})  # fmt: skip
    assert moved == pytest.approx(20 + (50 - 20) / 2)
    # The audio track restarted (a reconnect): its totals go back; no figure from it.
    assert skew.update({"audio": (1.0, 100), "video": (0.01 * 90, 90)}) == pytest.approx(
        moved + (60 - 10 - moved) / 2
    )


def test_the_skew_is_bounded() -> None:
    skew = ReceiverSkew()
    skew.update({"audio": (0.0, 0), "video": (0.0, 0)})
    assert skew.update({"audio": (48_000.0, 48_000), "video": (0.3, 30)}) == MAX_SKEW_MS


def test_a_files_delay_may_be_negative_and_has_no_picture_path() -> None:
    delay = PictureDelay(picture_path_ms=0.0, floor_ms=-100.0)
    assert delay.update(-30.0) == -30.0
    assert delay.update(25.0) == -29.0  # then a millisecond a frame
