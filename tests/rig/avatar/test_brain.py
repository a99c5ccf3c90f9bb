"""The offline demo brain answers by topic, in the user's language, briefly enough to be spoken."""

from __future__ import annotations

import re

import pytest

from avatar_desktop.rig.avatar.brain import (
    greeting,
    guess_language,
    long_answer,
    reply_to,
    reply_to_speech,
)

# topic: (questions, words every answer to them contains), per language
TOPICS: dict[str, dict[str, tuple[tuple[str, ...], tuple[str, ...]]]] = {
    "identity": {
        "en": (("Who are you?", "what are you", "WHAT ARE YOU?!", "What's your name?"),
               ("demo avatar", "synthetic face")),
        "es": (("¿Quién eres?", "quien eres", "¿¡QUIÉN ERES!?", "Hola, ¿quién eres?",
                "¿Cómo te llamas?"),
               ("avatar de demostración", "cara sintética")),
    },
    "greeting": {
        "en": (("Hello", "hi!", "Good morning, avatar", "Hey, how are you?"), ("Hello!",)),
        "es": (("Hola", "¡Buenos días!", "buenos dias", "¿Qué tal estás?"), ("¡Hola!",)),
    },
    "app": {
        "en": (("What is this app?", "what can you do", "What is avatar-desktop?"),
               ("desktop app", "HeyGen", "nothing leaves the machine")),
        "es": (("¿Qué es esta aplicación?", "que es esto", "¿Qué puedes hacer?"),
               ("aplicación de escritorio", "HeyGen", "nada sale de la máquina")),
    },
    "connect": {
        "en": (("How do I connect my account?", "Where do I put my API key?",
                "can I use a real avatar"),
               ("Settings", "app.liveavatar.com", "HeyGen Streaming v1", "keychain")),
        "es": (("¿Cómo conecto mi cuenta?", "como conecto mi cuenta", "¿Dónde pongo mi clave?"),
               ("Configuración", "app.liveavatar.com", "HeyGen Streaming v1", "llavero")),
    },
    "push_to_talk": {
        "en": (("push to talk", "How does Push-to-talk work?", "what is PTT"),
               ("push-to-talk", "Space", "Talk button")),
        "es": (("pulsar para hablar", "¿Cómo funciona pulsar para hablar?"),
               ("pulsar para hablar", "barra espaciadora", "botón Hablar")),
    },
    "interrupt": {
        "en": (("How do I interrupt you?", "Can I stop the avatar?"),
               ("Escape", "Interrupt button", "Speaking over me")),
        "es": (("interrumpir", "¿Cómo te interrumpo?", "¿Puedo interrumpirte?"),
               ("Escape", "botón Interrumpir", "Hablar por encima")),
    },
    "diagnostics": {
        "en": (("diagnostics", "Where are the logs?", "It is not working"),
               ("Ctrl+D", "Diagnostics", "API key is never shown")),
        "es": (("diagnóstico", "diagnostico", "¿Dónde veo los errores?"),
               ("Ctrl+D", "Diagnóstico", "clave nunca aparece")),
    },
    "recording": {
        "en": (("Can I record the session?", "How do I export the transcript?"),
               ("export the transcript from the File menu", "video file is planned")),
        "es": (("¿Puedo grabar la sesión?", "¿Cómo exporto la transcripción?"),
               ("exportar la transcripción desde el menú Archivo", "vídeo está previsto")),
    },
    "voice": {
        "en": (("Can I talk to you with my voice?", "How do I use the microphone?"),
               ("microphone", "answers when you stop")),
        "es": (("¿Puedo usar la voz?", "¿Cómo uso el micrófono?"),
               ("micrófono", "contesta cuando terminas")),
    },
    "thanks": {
        "en": (("Thanks!", "thank you very much"), ("You're welcome",)),
        "es": (("¡Gracias!", "muchas gracias"), ("De nada",)),
    },
    "goodbye": {
        "en": (("Bye!", "Goodbye, see you"), ("Goodbye",)),
        "es": (("¡Adiós!", "adios", "hasta luego"), ("Adiós",)),
    },
}  # fmt: skip
CASES = [
    pytest.param(question, language, words, id=f"{topic}-{language}-{question}")
    for topic, by_language in TOPICS.items()
    for language, (questions, words) in by_language.items()
    for question in questions
]
LONG_REQUESTS = [
    ("Tell me a story", "en"),
    ("tell me more", "en"),
    ("Can you explain in detail?", "en"),
    ("Cuéntame una historia", "es"),
    ("cuentame mas", "es"),
    ("Explícamelo en detalle", "es"),
]


def sentences(text: str) -> list[str]:
    """Split after . ! ? or … followed by a space: "app.liveavatar.com" and "1.4" stay whole."""
    return [s for s in re.split(r"(?<=[.!?…])\s+", text.strip()) if s]


@pytest.mark.parametrize(("question", "language", "words"), CASES)
def test_every_topic_answers_in_the_users_language(
    question: str, language: str, words: tuple[str, ...]
) -> None:
    other = "es" if language == "en" else "en"
    reply, reply_language = reply_to(question, other)
    assert reply_language == language
    for word in words:
        assert word in reply
    assert 1 <= len(sentences(reply)) <= 3, reply
    # The rig's "talk" command speaks the reply in the language guessed from the reply itself.
    assert guess_language(reply, other) == language


@pytest.mark.parametrize(("request_text", "language"), LONG_REQUESTS)
def test_a_story_or_more_detail_gets_the_long_answer(request_text: str, language: str) -> None:
    reply, reply_language = reply_to(request_text)
    assert reply_language == language
    assert reply == long_answer(language)


@pytest.mark.parametrize("language", ["en", "es"])
def test_the_long_answer_is_long_and_in_its_language(language: str) -> None:
    answer = long_answer(language)
    assert 6 <= len(sentences(answer)) <= 8
    assert len(answer.split()) >= 80  # about 30 seconds of espeak-ng
    assert guess_language(answer, "es" if language == "en" else "en") == language
    assert long_answer(f"{language}-XX") == answer


def test_the_greeting_introduces_the_demo_and_suggests_typing_or_speaking() -> None:
    english, spanish = greeting("en"), greeting("es")
    assert "offline demo avatar" in english and "Type" in english and "speak" in english
    assert "avatar de demostración" in spanish and "Escribe" in spanish and "habla" in spanish
    assert guess_language(english, "es") == "en" and guess_language(spanish, "en") == "es"
    assert all(1 <= len(sentences(g)) <= 2 for g in (english, spanish))
    assert greeting("es-ES") == spanish


def test_anything_else_gets_a_friendly_answer_that_says_what_to_ask() -> None:
    reply, language = reply_to("What do you like to do on weekends?")
    assert language == "en"
    assert "What do you like to do on weekends" in reply
    assert "You said" not in reply and "good thought" not in reply
    assert "how to connect your account" in reply
    assert len(sentences(reply)) == 2
    reply, language = reply_to("¿Dónde está la biblioteca?")
    assert language == "es"
    assert "«Dónde está la biblioteca»" in reply and "Me dijiste" not in reply
    assert "cómo conectar tu cuenta" in reply
    assert len(sentences(reply)) == 2


def test_the_fallback_quotes_only_a_few_words_and_no_sentences() -> None:
    reply, _ = reply_to("One. Two! Three? Four five six seven eight nine ten eleven twelve")
    assert '"One Two Three Four five six seven eight…"' in reply
    assert len(sentences(reply)) == 2


@pytest.mark.parametrize(
    ("session_language", "expected"), [("en", "en"), ("es", "es"), ("es-ES", "es")]
)
def test_no_words_falls_back_to_the_session_language(session_language: str, expected: str) -> None:
    for text in ("", "   ", "¿?"):
        reply, language = reply_to(text, session_language)
        assert language == expected
        assert reply and len(sentences(reply)) <= 3


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Hola, ¿qué tal?", "es"),
        ("quien eres", "es"),
        ("pulsar para hablar", "es"),
        ("interrumpir", "es"),
        ("como conecto mi cuenta", "es"),
        ("Hello there, how are you?", "en"),
        ("Tell me more", "en"),
        ("push to talk", "en"),
        ("How do I connect my account?", "en"),
    ],
)
def test_guess_language(text: str, expected: str) -> None:
    assert guess_language(text) == expected
    assert guess_language(text, "es" if expected == "en" else "en") == expected


def test_guess_language_uses_the_default_without_words() -> None:
    assert guess_language("", "es") == "es"
    assert guess_language("?!", "en") == "en"


def test_the_heard_speech_is_acknowledged_with_its_duration() -> None:
    english = reply_to_speech(1.43, "en")
    spanish = reply_to_speech(2.0, "es-ES")
    assert "1.4 seconds" in english and "type a question" in english
    assert "2.0 segundos" in spanish and "escríbeme una pregunta" in spanish
    assert all(len(sentences(r)) <= 3 for r in (english, spanish))


def test_the_same_words_always_get_the_same_answer() -> None:
    for text in ("Who are you?", "What do you like to do on weekends?", "Cuéntame una historia"):
        assert reply_to(text) == reply_to(text)
