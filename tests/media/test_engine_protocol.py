"""The engine's messages are parsed once into typed events; anything malformed is dropped and
counted, and a failing handler never takes the event reader down (pure logic, no process)."""

from __future__ import annotations

import pytest

from avatar_desktop.core.media_port import (
    DataReceived,
    Disconnected,
    MediaEvent,
    MediaStats,
    TrackChanged,
)
from avatar_desktop.media.engine.protocol import Reply, encode, parse_event
from avatar_desktop.media.engine_client import MediaEngine


def test_known_events_become_typed_events_with_their_generation() -> None:
    track = parse_event({"event": "track", "identity": "heygen", "kind": "video",
                         "subscribed": True, "gen": 3})  # fmt: skip
    assert track == TrackChanged(gen=3, identity="heygen", kind="video", subscribed=True)
    data = parse_event({"event": "data", "identity": "a", "topic": "t", "data_b64": "aGk="})
    assert isinstance(data, DataReceived) and data.data == b"hi" and data.gen is None
    stats = parse_event({"event": "stats", "fps": 29.5, "underruns": 0, "gen": 1})
    assert isinstance(stats, MediaStats) and stats.fps == 29.5 and stats.counters["underruns"] == 0
    assert parse_event({"event": "reply", "id": 7, "ok": False, "error": "x"}) == Reply(
        7, False, "x"
    )
    assert parse_event({"event": "disconnected", "gen": 2}) == Disconnected(gen=2, reason="")


@pytest.mark.parametrize(
    "message",
    [
        {"event": "data", "topic": "t", "data_b64": "not base64!"},
        {"event": "data", "topic": "t"},
        {"event": "track", "identity": "x", "kind": "smell"},
        {"event": "reply", "id": "seven"},
        {"event": "first_frame", "width": "wide"},
        {"event": "mic_level", "dbfs": "loud"},
        {"event": "no such event"},
        {},
    ],
)
def test_malformed_messages_are_dropped(message: dict[str, object]) -> None:
    assert parse_event(message) is None


def test_a_failing_handler_does_not_stop_the_reader_and_junk_is_counted() -> None:
    seen: list[MediaEvent] = []

    def handler(event: MediaEvent) -> None:
        seen.append(event)
        if len(seen) == 1:
            raise RuntimeError("a bug in a handler")

    engine = MediaEngine(handler)
    engine._handle_line(encode({"event": "connected", "gen": 0}))
    engine._handle_line(b"{not json\n")
    engine._handle_line(encode({"event": "video_resumed", "gen": 0}))
    assert [e.name for e in seen] == ["connected", "video_resumed"]
    assert engine.handler_errors == 1 and engine.malformed_events == 1
