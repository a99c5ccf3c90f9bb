# ruff: noqa: RUF001 - IPA letters are what espeak-ng names its phonemes with
"""The mouth's timeline from espeak-ng's phoneme events, and the voice that plays it."""

from __future__ import annotations

import numpy as np
import pytest

from avatar_desktop.rig.avatar.speech import SAMPLE_RATE, SpeechSynthesizer
from avatar_desktop.rig.avatar.visemes import VisemeTrack, mouth_for, viseme_for
from avatar_desktop.rig.avatar.voice import Utterance, Voice


def test_phonemes_map_to_visemes() -> None:
    assert viseme_for("") == "rest"
    assert viseme_for("m") == viseme_for("b") == "closed"
    assert viseme_for("ˈaɪ") == viseme_for("ɑː") == "open"
    assert viseme_for("iː") == viseme_for("ˈɛ") == "wide"
    assert viseme_for("ˈo") == viseme_for("ˈəʊ") == "round"
    assert viseme_for("uː") == viseme_for("w") == "pucker"
    assert viseme_for("f") == viseme_for("v") == "teeth"
    assert viseme_for("t") == viseme_for("ɾ") == "mid"


def test_the_track_holds_each_viseme_until_the_next() -> None:
    track = VisemeTrack.from_phonemes([(0, "h"), (60, "ə"), (120, "l"), (220, "əʊ"), (400, "")])
    assert track.at(-5) == "rest"
    assert track.at(30) == "mid"
    assert track.at(130) == "mid"  # ə and l merge: both "mid"
    assert track.at(300) == "round"
    assert track.at(10_000) == "rest"
    assert mouth_for("closed", 1.0).viseme == "closed"
    assert mouth_for("open", 0.1).amount < mouth_for("open", 0.9).amount


@pytest.fixture(scope="module")
def synth() -> SpeechSynthesizer:
    synth = SpeechSynthesizer()
    if synth.engine != "espeak-ng":
        pytest.skip("espeak-ng is not loadable here")
    return synth


@pytest.mark.parametrize(
    ("text", "language"),
    [("Hello, I am the demo avatar. Nice to meet you!", "en"), ("Hola, ¿cómo estás?", "es")],
)
def test_espeak_gives_phonemes_across_the_audio(
    synth: SpeechSynthesizer, text: str, language: str
) -> None:
    speech = synth.speak(text, language)
    duration_ms = speech.pcm.size * 1000 / SAMPLE_RATE
    positions = [at for at, _ in speech.phonemes]
    assert len(speech.phonemes) > len(text) / 3
    assert positions == sorted(positions)
    assert 0.6 * duration_ms < positions[-1] <= duration_ms + 20
    track = VisemeTrack.from_phonemes(speech.phonemes)
    assert {"open", "round"} <= set(track.visemes) or {"open", "wide"} <= set(track.visemes)
    # the same text, the same mouth (espeak-ng's timing wobbles: 8 ms seen in CI)
    again = VisemeTrack.from_phonemes(synth.speak(text, language).phonemes)
    assert again.visemes == track.visemes
    assert max(abs(a - b) for a, b in zip(again.starts_ms, track.starts_ms, strict=True)) <= 20


def test_the_voice_plays_the_visemes_with_the_samples(synth: SpeechSynthesizer) -> None:
    speech = synth.speak("Mama made a movie.", "en")
    track = VisemeTrack.from_phonemes(speech.phonemes)
    voice = Voice()
    voice.enqueue(Utterance("Mama made a movie.", speech.pcm, "en", visemes=track))
    seen = []
    for n in range(speech.pcm.size // 480):
        frame = voice.next_frame()
        seen.append(frame.viseme)
        assert frame.viseme == track.at(n * 10 + 5)
    assert "closed" in seen and "open" in seen
    babble = Voice()
    babble.enqueue(Utterance("x", np.ones(4800, np.int16), "en"))
    assert babble.next_frame().viseme is None
