"""The offline demo brain: a short reply built from the user's words, in the user's language."""

from __future__ import annotations

import re

_SPANISH_HINTS = {
    "hola",
    "qué",
    "que",
    "cómo",
    "como",
    "estás",
    "gracias",
    "por",
    "favor",
    "eres",
    "dónde",
    "quién",
    "buenos",
    "días",
    "tú",
    "yo",
    "el",
    "la",
    "los",
    "las",
    "una",
    "un",
    "es",
    "y",
}


def guess_language(text: str, default: str = "en") -> str:
    """Spanish or English, by telltale characters and common words; ``default`` when empty."""
    lowered = text.lower()
    words = re.findall(r"[\wáéíóúñü]+", lowered)
    if not words:
        return default
    spanish_words = sum(w in _SPANISH_HINTS for w in words)
    if any(ch in lowered for ch in "ñ¿¡áéíóú") or spanish_words * 3 >= len(words):
        return "es"
    return "en"


def reply_to(text: str, session_language: str = "en") -> tuple[str, str]:
    """Returns (reply, language)."""
    language = guess_language(text, "es" if session_language.startswith("es") else "en")
    quoted = " ".join(text.strip().split()[:12]).rstrip("?!.¿¡")
    if language == "es":
        if not quoted:
            return "Te escucho. ¿Qué quieres contarme?", language
        return f"Me dijiste: {quoted}. Es una buena idea; cuéntame más.", language
    if not quoted:
        return "I am listening. What would you like to tell me?", language
    return f"You said: {quoted}. That is a good thought; tell me more.", language


def reply_to_speech(seconds: float, language: str) -> str:
    if language.startswith("es"):
        return f"Te he oído hablar durante {seconds:.1f} segundos."
    return f"I heard you speak for {seconds:.1f} seconds."
