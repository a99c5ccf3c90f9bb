# ruff: noqa: RUF001 - IPA letters are what espeak-ng names its phonemes with
"""Mouth shapes from speech: espeak-ng's phoneme events (IPA names, with their positions in the
audio) become a timeline of a few visemes; without phonemes (the babble voice) the loudness
picks how open the mouth is."""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass

from .portrait import MouthShape

AMOUNTS = 3  # how open a viseme is drawn: 1..AMOUNTS

# The mouth at rest and per viseme, frame-height units (portrait.MouthShape).
SHAPES: dict[str, MouthShape] = {
    "rest": MouthShape(half_width=0.036, half_open=0.0),
    "closed": MouthShape(half_width=0.032, half_open=0.0, smile=0.003, lips=0.009),
    "open": MouthShape(half_width=0.037, half_open=0.025, upper_teeth=0.008, tongue=True),
    "wide": MouthShape(half_width=0.046, half_open=0.013, upper_teeth=0.009, lower_teeth=0.005),
    "round": MouthShape(half_width=0.024, half_open=0.024, smile=0.0, lips=0.008, tongue=True),
    "pucker": MouthShape(half_width=0.016, half_open=0.011, smile=0.0, lips=0.009),
    "teeth": MouthShape(half_width=0.036, half_open=0.009, upper_teeth=0.009, smile=0.004),
    "mid": MouthShape(half_width=0.038, half_open=0.014, upper_teeth=0.006, smile=0.005),
}
VISEMES = tuple(SHAPES)

_BY_FIRST_SOUND = {
    **dict.fromkeys("pbm", "closed"),
    **dict.fromkeys("fvʋ", "teeth"),
    **dict.fromkeys("aɑæɐʌɒ", "open"),
    **dict.fromkeys("eɛiɪjɘɨ", "wide"),
    **dict.fromkeys("oɔøœ", "round"),
    **dict.fromkeys("uʊwʍyʉ", "pucker"),
}
_MARKS = "ˈˌːˑ̃"  # stress and length marks, nasalisation


def viseme_for(phoneme: str) -> str:
    """The viseme of one espeak-ng phoneme (IPA): "" is a pause; consonants not listed are
    said with the mouth a little open ("mid")."""
    sounds = phoneme.strip(_MARKS)
    if not sounds:
        return "rest"
    if sounds.startswith("əʊ"):  # English "go": the lips round
        return "round"
    return _BY_FIRST_SOUND.get(sounds[0], "mid")


def shape(viseme: str, amount: int) -> MouthShape:
    """A viseme drawn ``amount``/AMOUNTS of the way from rest (lips together stay together)."""
    full, rest = SHAPES[viseme], SHAPES["rest"]
    k = max(1, min(AMOUNTS, amount)) / AMOUNTS
    return MouthShape(
        half_width=rest.half_width + (full.half_width - rest.half_width) * k,
        half_open=full.half_open * k,
        smile=rest.smile + (full.smile - rest.smile) * k,
        upper_teeth=full.upper_teeth * k,
        lower_teeth=full.lower_teeth * k,
        tongue=full.tongue and amount >= 2,
        lips=rest.lips + (full.lips - rest.lips) * k,
    )


@dataclass(frozen=True)
class Mouth:
    """What the painter draws: a viseme and how open (1..AMOUNTS)."""

    viseme: str = "rest"
    amount: int = AMOUNTS


REST = Mouth()


def from_level(level: float) -> Mouth:
    """The loudness fallback: how open the mouth is follows the voice's level (0..1)."""
    if level < 0.08:
        return REST
    return Mouth("open", min(AMOUNTS, 1 + int(level * AMOUNTS)))


@dataclass(frozen=True)
class VisemeTrack:
    """Visemes against time in the utterance: each holds from its start to the next one's."""

    starts_ms: tuple[int, ...]
    visemes: tuple[str, ...]

    @classmethod
    def from_phonemes(cls, phonemes: Sequence[tuple[int, str]]) -> VisemeTrack:
        """From (audio position ms, IPA name) events in order; repeats merge."""
        starts: list[int] = []
        names: list[str] = []
        for at_ms, phoneme in sorted(phonemes, key=lambda p: p[0]):
            viseme = viseme_for(phoneme)
            if starts and starts[-1] == at_ms:
                names[-1] = viseme  # the later event at the same moment wins
            elif not names or names[-1] != viseme:
                starts.append(at_ms)
                names.append(viseme)
        return cls(tuple(starts), tuple(names))

    def at(self, ms: float) -> str:
        i = bisect.bisect_right(self.starts_ms, ms) - 1
        return self.visemes[i] if i >= 0 else "rest"


def mouth_for(viseme: str | None, level: float) -> Mouth:
    """The viseme, drawn more open when the voice is louder; by the level alone without one."""
    if viseme is None:
        return from_level(level)
    if viseme in ("rest", "closed"):
        return Mouth(viseme)
    return Mouth(viseme, min(AMOUNTS, 1 + int(level * 1.6 * AMOUNTS)))
