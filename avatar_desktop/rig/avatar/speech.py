"""Text to 48 kHz mono speech for the synthetic avatar: never silence.

libespeak-ng from the ``espeakng-loader`` wheel first, then the system library; when neither loads,
a clearly labelled synthetic babble whose length follows the text.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

log = logging.getLogger(__name__)

SAMPLE_RATE = 48_000
_AUDIO_OUTPUT_SYNCHRONOUS = 2
_ESPEAK_CHARS_UTF8 = 1
# Phoneme events, named in IPA: what the mouth's visemes come from.
_INITIALIZE_PHONEME_EVENTS_IPA = 0x0001 | 0x0002
_EVENT_LIST_TERMINATED, _EVENT_PHONEME = 0, 7


class _EventId(ctypes.Union):
    _fields_ = [("number", ctypes.c_int), ("name", ctypes.c_char_p), ("string", ctypes.c_char * 8)]


class _Event(ctypes.Structure):
    """speak_lib.h's espeak_EVENT."""

    _fields_ = [
        ("type", ctypes.c_int),
        ("unique_identifier", ctypes.c_uint),
        ("text_position", ctypes.c_int),
        ("length", ctypes.c_int),
        ("audio_position", ctypes.c_int),  # ms into the utterance's audio
        ("sample", ctypes.c_int),
        ("user_data", ctypes.c_void_p),
        ("id", _EventId),
    ]


_SYNTH_CALLBACK = ctypes.CFUNCTYPE(
    ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.POINTER(_Event)
)

Pcm = npt.NDArray[np.int16]


@dataclass(frozen=True)
class Speech:
    """Synthesized audio and, from espeak-ng, its phonemes: (ms into the audio, IPA name)."""

    pcm: Pcm
    phonemes: tuple[tuple[int, str], ...] = ()


def resample(
    samples: npt.NDArray[np.float32], rate_in: int, rate_out: int
) -> npt.NDArray[np.float32]:
    """Linear resampling: plenty for a test voice."""
    if rate_in == rate_out or samples.size == 0:
        return samples
    n_out = round(samples.size * rate_out / rate_in)
    positions = np.arange(n_out, dtype=np.float64) * (rate_in / rate_out)
    return np.interp(positions, np.arange(samples.size), samples).astype(np.float32)


class EspeakVoice:
    """libespeak-ng through ctypes, synthesising into memory (no sound device)."""

    def __init__(self, library: ctypes.CDLL, data_path: str | None) -> None:
        self._lib = library
        self._lock = threading.Lock()
        self._chunks: list[npt.NDArray[np.int16]] = []
        self._phonemes: list[tuple[int, str]] = []
        self._lib.espeak_Initialize.restype = ctypes.c_int
        rate = self._lib.espeak_Initialize(
            _AUDIO_OUTPUT_SYNCHRONOUS,
            0,
            data_path.encode() if data_path else None,
            _INITIALIZE_PHONEME_EVENTS_IPA,
        )
        if rate <= 0:
            raise OSError(f"espeak_Initialize failed ({rate})")
        self.rate = int(rate)
        self._callback = _SYNTH_CALLBACK(self._on_samples)
        self._lib.espeak_SetSynthCallback(self._callback)

    def _on_samples(
        self, wav: ctypes._Pointer[ctypes.c_short], count: int, events: ctypes._Pointer[_Event]
    ) -> int:
        if count > 0 and wav:
            self._chunks.append(np.ctypeslib.as_array(wav, shape=(count,)).copy())
        if events:
            i = 0
            while events[i].type != _EVENT_LIST_TERMINATED:
                event = events[i]
                if event.type == _EVENT_PHONEME:
                    name = event.id.string.decode("utf-8", errors="replace")
                    self._phonemes.append((int(event.audio_position), name))
                i += 1
        return 0

    def synthesize(self, text: str, language: str) -> Speech:
        with self._lock:
            self._chunks, self._phonemes = [], []
            voice = b"es" if language.startswith("es") else b"en"
            self._lib.espeak_SetVoiceByName(voice)
            data = text.encode("utf-8") + b"\0"
            self._lib.espeak_Synth(
                data, ctypes.c_size_t(len(data)), 0, 0, 0, _ESPEAK_CHARS_UTF8, None, None
            )
            self._lib.espeak_Synchronize()
            raw = np.concatenate(self._chunks) if self._chunks else np.zeros(0, np.int16)
            phonemes = tuple(self._phonemes)
        audio = resample(raw.astype(np.float32), self.rate, SAMPLE_RATE)
        return Speech(np.clip(audio, -32768, 32767).astype(np.int16), phonemes)


def babble(text: str, seconds_per_char: float = 0.065) -> Pcm:
    """A labelled stand-in voice: syllable-like tone bursts, as long as the text would take."""
    duration = max(0.5, len(text) * seconds_per_char)
    t = np.arange(int(duration * SAMPLE_RATE)) / SAMPLE_RATE
    envelope = 0.5 * (1 - np.cos(2 * np.pi * 4 * t)) * (0.6 + 0.4 * np.sin(2 * np.pi * 0.7 * t))
    pitch = 140 + 30 * np.sin(2 * np.pi * 1.3 * t)
    phase = 2 * np.pi * np.cumsum(pitch) / SAMPLE_RATE
    wave = np.sin(phase) + 0.5 * np.sin(2 * phase) + 0.25 * np.sin(3 * phase)
    return (wave * envelope * 6000).astype(np.int16)


@functools.cache
def _load_espeak() -> EspeakVoice | None:
    """Once per process: libespeak-ng is global state, and a second espeak_Initialize in the
    same process corrupts it (seen: garbage phonemes, near-empty audio)."""
    candidates: list[tuple[str, str | None]] = []
    try:
        import espeakng_loader

        candidates.append((espeakng_loader.get_library_path(), espeakng_loader.get_data_path()))
    except (ImportError, RuntimeError) as exc:
        log.info("espeakng-loader not usable: %s", exc)
    system = ctypes.util.find_library("espeak-ng")
    if system:
        candidates.append((system, None))
    for path, data in candidates:
        try:
            return EspeakVoice(ctypes.CDLL(path), data)
        except OSError as exc:
            log.warning("could not load espeak-ng from %s: %s", path, exc)
    return None


class SpeechSynthesizer:
    """Turns text into PCM; ``engine`` says which voice is in use ("espeak-ng" or "babble")."""

    def __init__(self, loader: Callable[[], EspeakVoice | None] = _load_espeak) -> None:
        self._voice = loader()
        self.engine = "espeak-ng" if self._voice is not None else "babble"
        if self._voice is None:
            log.warning("no espeak-ng library: the demo avatar speaks in synthetic babble")

    def synthesize(self, text: str, language: str = "en") -> Pcm:
        return self.speak(text, language).pcm

    def speak(self, text: str, language: str = "en") -> Speech:
        """The audio with its phonemes (none from the babble voice)."""
        if self._voice is not None:
            speech = self._voice.synthesize(text, language)
            if speech.pcm.size:
                return speech
        return Speech(babble(text))
