"""v1's voice-chat websocket from the client's side: its URL and its messages."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from avatar_desktop.core.events import SpeechActivity
from avatar_desktop.providers.v1_voice_chat import voice_chat_event, voice_chat_url


def test_the_url_is_the_official_sdks_for_heygen_and_keeps_a_local_port() -> None:
    url = voice_chat_url("https://api.heygen.com", "sid-1", "tok", push_to_talk=True)
    parts = urlsplit(url)
    assert (parts.scheme, parts.netloc, parts.path) == (
        "wss", "api.heygen.com", "/v1/ws/streaming.chat",
    )  # fmt: skip
    assert parse_qs(parts.query) == {
        "session_id": ["sid-1"], "session_token": ["tok"], "arch_version": ["v2"],
        "silence_response": ["false"], "push_to_talk": ["true"],
    }  # fmt: skip
    local = urlsplit(voice_chat_url("http://198.18.0.1:8780", "s", "t", push_to_talk=False))
    assert (local.scheme, local.netloc) == ("ws", "198.18.0.1:8780")
    assert "push_to_talk=false" in local.query


@pytest.mark.parametrize(
    ("message", "event"),
    [
        ('{"event_type": "user_start"}', SpeechActivity("user", True)),
        ('{"event_type": "user_stop"}', SpeechActivity("user", False)),
        ('{"event_type": "user_silence", "silence_times": 1, "count_down": 5}', None),
        ('{"event_type": 5}', None),
        ("[1, 2]", None),
        ("not json", None),
        ('"user_start"', None),
    ],
)
def test_messages_become_events_and_junk_is_ignored(message: str, event: object) -> None:
    assert voice_chat_event(message) == event
