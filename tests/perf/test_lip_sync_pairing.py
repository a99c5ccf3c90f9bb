from __future__ import annotations

from tests.perf.lip_sync import Marker, pair_offsets


def test_a_voice_trailing_by_more_than_half_a_second_pairs_with_its_own_tone() -> None:
    markers = [Marker(15, pulled_at=10.03, sent_at=10.0), Marker(45, pulled_at=11.03, sent_at=11.0)]
    tones = [10.62, 11.63]  # each 0.6 s after its frame; the next marker's picture is nearer
    pairs = pair_offsets(markers, tones)
    assert [(m.frame_number, t) for m, t in pairs] == [(15, 10.62), (45, 11.63)]


def test_a_marker_whose_tone_was_not_heard_stays_unpaired() -> None:
    markers = [Marker(15, pulled_at=10.03, sent_at=10.0), Marker(45, pulled_at=11.03, sent_at=11.0)]
    pairs = pair_offsets(markers, [11.05])
    assert [(m.frame_number, t) for m, t in pairs] == [(45, 11.05)]
