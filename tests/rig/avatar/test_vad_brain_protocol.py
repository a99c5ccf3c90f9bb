from __future__ import annotations

import numpy as np
import numpy.typing as npt

from avatar_desktop.rig.avatar.brain import guess_language, reply_to
from avatar_desktop.rig.avatar.protocol import parse_command
from avatar_desktop.rig.avatar.speech import SAMPLE_RATE, SpeechSynthesizer, babble
from avatar_desktop.rig.avatar.vad import VoiceActivityDetector


def frames(pcm: npt.NDArray[np.int16]) -> list[npt.NDArray[np.int16]]:
    return [pcm[i : i + 480] for i in range(0, pcm.size - 479, 480)]


def test_vad_finds_one_segment_of_the_right_length() -> None:
    tone = (np.sin(np.arange(SAMPLE_RATE * 3) * 2 * np.pi * 200 / SAMPLE_RATE) * 8000).astype(
        np.int16
    )
    pcm = np.concatenate([np.zeros(SAMPLE_RATE, np.int16), tone, np.zeros(SAMPLE_RATE, np.int16)])
    vad = VoiceActivityDetector()
    changes = [c for f in frames(pcm) if (c := vad.feed(f))]
    assert changes == ["started", "ended"]
    assert abs(vad.segments[0].duration_s - 3.0) < 0.05


def test_vad_ignores_faint_noise() -> None:
    noise = (np.random.default_rng(1).standard_normal(SAMPLE_RATE * 2) * 50).astype(np.int16)
    vad = VoiceActivityDetector()
    assert [c for f in frames(noise) if (c := vad.feed(f))] == []


def test_speech_is_audible_and_as_long_as_the_text() -> None:
    short = SpeechSynthesizer().synthesize("Hi.")
    long = SpeechSynthesizer().synthesize("This is a much longer sentence for the avatar to say.")
    assert long.size > 2 * short.size
    assert float(np.sqrt(np.mean(long.astype(np.float32) ** 2))) > 500
    assert babble("twelve chars").size > SAMPLE_RATE // 2


def test_brain_answers_in_the_users_language() -> None:
    assert guess_language("Hola, ¿qué tal?") == "es"
    assert guess_language("Hello there, how are you?") == "en"
    reply, lang = reply_to("¿Dónde está la biblioteca?")
    assert lang == "es" and "Dónde está la biblioteca" in reply and "aplicación" in reply
    reply, lang = reply_to("What is the weather like?")
    assert lang == "en" and "What is the weather like" in reply and "app" in reply
    reply, lang = reply_to("¿Quién eres?", "en")
    assert lang == "es" and "avatar de demostración" in reply


def test_commands_are_parsed_and_garbage_is_not() -> None:
    ok = b'{"event_type": "avatar.speak_text", "text": "hi"}'
    assert parse_command(ok, "agent-control", "liveavatar") == {
        "event_type": "avatar.speak_text",
        "text": "hi",
    }
    assert parse_command(ok, "other-topic", "liveavatar") is None
    assert parse_command(b"\xff\xfe", "agent-control", "liveavatar") is None
    assert parse_command(b"[1,2]", "agent-control", "liveavatar") is None
    assert parse_command(b'"push_to_talk:start"', "", "v1") == {
        "event_type": "user.start_push_to_talk"
    }
