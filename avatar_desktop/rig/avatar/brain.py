"""The offline demo avatar's brain: short spoken answers about avatar-desktop, English or Spanish.

It is a table of topics, not a model: each topic has keywords (matched whole-word, ignoring case,
accents and punctuation) and one answer per language. The first topic whose keyword appears in
the user's text answers; the order of ``_TOPICS`` is the priority. Everything is deterministic and
offline, so tests can assert on the answers and echo-cancellation tests get the same long answer
every time.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

# Unaccented spellings too: people often type Spanish without accents ("quien eres").
_SPANISH_HINTS = {
    "hola",
    "qué",
    "que",
    "cómo",
    "como",
    "estás",
    "estas",
    "gracias",
    "por",
    "favor",
    "eres",
    "dónde",
    "donde",
    "quién",
    "quien",
    "buenos",
    "buenas",
    "días",
    "dias",
    "tú",
    "tu",
    "yo",
    "el",
    "la",
    "los",
    "las",
    "una",
    "un",
    "es",
    "y",
    "de",
    "del",
    "en",
    "para",
    "mi",
    "cuenta",
    "puedo",
    "hablar",
    "pulsar",
    "conecto",
    "conectar",
    "interrumpir",
    "diagnostico",
    "cuentame",
    "historia",
    "adios",
    "hasta",
    "grabar",
    "explica",
    "explicame",
    "aplicacion",
}
_SPANISH_CHARACTERS = "ñ¿¡áéíóú"


def guess_language(text: str, default: str = "en") -> str:
    """Spanish or English, by telltale characters and common words; ``default`` when empty."""
    lowered = text.lower()
    words = re.findall(r"[\wáéíóúñü]+", lowered)
    if not words:
        return default
    spanish_words = sum(w in _SPANISH_HINTS for w in words)
    if any(ch in lowered for ch in _SPANISH_CHARACTERS) or spanish_words * 3 >= len(words):
        return "es"
    return "en"


def _normalize(text: str) -> str:
    """Lower case, no accents, words separated by single spaces: "¿Quién eres?" -> "quien eres"."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(re.findall(r"[a-z0-9]+", plain))


def _keyword_pattern(keyword: str) -> re.Pattern[str]:
    """A keyword is one or more whole words; a word ending in ``*`` matches any word it begins
    ("diagnos*" matches "diagnostics" and "diagnostico")."""
    parts = []
    for word in keyword.split():
        stem = _normalize(word)
        parts.append(re.escape(stem) + ("[a-z0-9]*" if word.endswith("*") else ""))
    return re.compile(r"\b" + " ".join(parts) + r"\b")


@dataclass(frozen=True)
class Topic:
    name: str
    keywords: tuple[str, ...]
    answers: dict[str, str]
    patterns: tuple[re.Pattern[str], ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "patterns", tuple(_keyword_pattern(k) for k in self.keywords))

    def matches(self, normalized: str) -> bool:
        return any(p.search(normalized) for p in self.patterns)


_LONG_ANSWER = Topic(
    "long_answer",
    (
        "story",
        "stories",
        "tell me more",
        "in detail",
        "explain everything",
        "long answer",
        "historia",
        "historias",
        "cuento",
        "cuentame mas",
        "cuentame algo",
        "en detalle",
        "con detalle",
        "detalladamente",
        "explicamelo todo",
    ),
    {
        "en": (
            "Here is the story of this app. "
            "avatar-desktop lets you talk with a HeyGen real-time avatar, a face that listens "
            "and answers out loud. "
            "You can type, or simply speak into your microphone. "
            "Right now you are talking to me, the offline demo, running on this computer with no "
            "account. "
            "For a real avatar, open Settings, choose LiveAvatar, and paste your key. "
            "If I talk for too long, press Escape to interrupt me. "
            "And if something breaks, the Diagnostics panel shows every step of the connection. "
            "That is the whole story."
        ),
        "es": (
            "Te cuento la historia de esta aplicación. "
            "avatar-desktop te deja hablar con un avatar de HeyGen en tiempo real, una cara que "
            "escucha y responde en voz alta. "
            "Puedes escribir, o simplemente hablar al micrófono. "
            "Ahora mismo hablas conmigo, la demostración sin conexión, que funciona en este "
            "ordenador sin cuenta. "
            "Para un avatar real, abre la Configuración, elige LiveAvatar y pega tu clave. "
            "Si hablo demasiado, pulsa Escape para interrumpirme. "
            "Y si algo falla, el panel de Diagnóstico muestra cada paso de la conexión. "
            "Esa es toda la historia."
        ),
    },
)

_TOPICS: tuple[Topic, ...] = (
    _LONG_ANSWER,
    Topic(
        "connect",
        (
            "connect*",
            "account",
            "api key",
            "my key",
            "sign in",
            "log in",
            "login",
            "real avatar",
            "conect*",
            "cuenta",
            "clave",
            "iniciar sesion",
            "avatar real",
            "avatar de verdad",
        ),
        {
            "en": (
                "Open Settings and choose LiveAvatar, HeyGen's current real-time avatar, with a "
                "key from app.liveavatar.com. "
                "For the older Interactive Avatar Streaming API, choose HeyGen Streaming v1 with "
                "a key from HeyGen. "
                "Either key is stored in your system keychain."
            ),
            "es": (
                "Abre la Configuración y elige LiveAvatar, el avatar en tiempo real actual de "
                "HeyGen, con una clave de app.liveavatar.com. "
                "Para la antigua Interactive Avatar Streaming API, elige HeyGen Streaming v1 con "
                "una clave de HeyGen. "
                "La clave se guarda en el llavero del sistema."
            ),
        },
    ),
    Topic(
        "push_to_talk",
        (
            "push to talk",
            "hold to talk",
            "ptt",
            "pulsar para hablar",
            "pulsa para hablar",
            "mantener para hablar",
            "manten para hablar",
        ),
        {
            "en": (
                "To use push-to-talk, tick Push to talk under the picture. "
                "Then hold the Space bar while the text box is not focused, or hold the Talk "
                "button, and the avatar listens only while you hold it."
            ),
            "es": (
                "Para usar pulsar para hablar, marca Pulsar para hablar bajo la imagen. "
                "Después mantén pulsada la barra espaciadora cuando el cuadro de texto no tenga "
                "el foco, o mantén pulsado el botón Hablar, y el avatar solo escucha mientras lo "
                "mantienes."
            ),
        },
    ),
    Topic(
        "interrupt",
        (
            "interrupt*",
            "stop talking",
            "stop you",
            "stop the avatar",
            "shut up",
            "be quiet",
            "cut you off",
            "interrump*",
            "callar*",
            "callate",
            "deja de hablar",
            "parar*",
            "detener*",
        ),
        {
            "en": (
                "To interrupt me mid-sentence, press Escape or the Interrupt button. "
                "Speaking over me works too."
            ),
            "es": (
                "Para interrumpirme a mitad de una frase, pulsa Escape o el botón Interrumpir. "
                "Hablar por encima de mí también funciona."
            ),
        },
    ),
    Topic(
        "diagnostics",
        (
            "diagnos*",
            "debug*",
            "log",
            "logs",
            "error",
            "errors",
            "not working",
            "problem*",
            "troubleshoot*",
            "registro*",
            "errores",
            "no funciona",
            "fallo",
            "falla",
            "problema*",
        ),
        {
            "en": (
                "Press Ctrl+D, or open View and then Diagnostics, to see each connection step "
                "with its timings and the service's raw errors. "
                "Your API key is never shown there."
            ),
            "es": (
                "Pulsa Ctrl+D, o abre Ver y luego Diagnóstico, para ver cada paso de la "
                "conexión con sus tiempos y los errores tal como los da el servicio. "
                "Tu clave nunca aparece ahí."
            ),
        },
    ),
    Topic(
        "recording",
        (
            "record*",
            "save the conversation",
            "save our conversation",
            "export*",
            "transcript*",
            "video file",
            "graba*",
            "guardar la conversacion",
            "exporta*",
            "transcripcion",
            "archivo de video",
        ),
        {
            "en": (
                "You can export the transcript from the File menu. "
                "Recording the session to a video file is planned."
            ),
            "es": (
                "Puedes exportar la transcripción desde el menú Archivo. "
                "Grabar la sesión en un archivo de vídeo está previsto."
            ),
        },
    ),
    Topic(
        "voice",
        (
            "voice",
            "microphone",
            "mic",
            "speak to you",
            "talk to you",
            "speak with you",
            "talk with you",
            "can you hear",
            "by voice",
            "voz",
            "microfono",
            "hablarte",
            "hablar contigo",
            "me oyes",
            "me escuchas",
        ),
        {
            "en": (
                "To talk by voice, just speak into your microphone, and the avatar answers when "
                "you stop. "
                "I'm only the offline demo, so I can't understand speech, but a real LiveAvatar "
                "session can."
            ),
            "es": (
                "Para hablar por voz, simplemente habla al micrófono, y el avatar contesta cuando "
                "terminas. "
                "Yo solo soy la demostración sin conexión y no entiendo la voz, pero una sesión "
                "real de LiveAvatar sí."
            ),
        },
    ),
    Topic(
        "app",
        (
            "this app",
            "the app",
            "this application",
            "this program",
            "avatar desktop",
            "what is this",
            "what does it do",
            "what can you do",
            "how does it work",
            "help",
            "aplicacion",
            "este programa",
            "que es esto",
            "que puedes hacer",
            "como funciona",
            "ayuda",
        ),
        {
            "en": (
                "This is avatar-desktop, a desktop app to talk with a HeyGen real-time avatar by "
                "typing or by voice. "
                "I'm its offline demo avatar, running on this computer: you need no account, and "
                "nothing leaves the machine."
            ),
            "es": (
                "Esto es avatar-desktop, una aplicación de escritorio para hablar con un avatar de "
                "HeyGen en tiempo real, escribiendo o por voz. "
                "Yo soy su avatar de demostración sin conexión y funciono en este ordenador: no "
                "necesitas cuenta y nada sale de la máquina."
            ),
        },
    ),
    Topic(
        "identity",
        (
            "who are you",
            "what are you",
            "your name",
            "who is this",
            "are you real",
            "are you a robot",
            "quien eres",
            "que eres",
            "como te llamas",
            "tu nombre",
            "eres real",
            "eres un robot",
        ),
        {
            "en": (
                "I'm the demo avatar of avatar-desktop, a synthetic face running offline on this "
                "computer. "
                "I answer a few questions about the app, so ask me how to connect your account or "
                "how push-to-talk works."
            ),
            "es": (
                "Soy el avatar de demostración de avatar-desktop, una cara sintética que funciona "
                "sin conexión en este ordenador. "
                "Respondo algunas preguntas sobre la aplicación, así que pregúntame cómo conectar "
                "tu cuenta o cómo funciona pulsar para hablar."
            ),
        },
    ),
    Topic(
        "thanks",
        (
            "thank*",
            "thx",
            "cheers",
            "gracias",
            "te lo agradezco",
        ),
        {
            "en": "You're welcome! Ask me anything else about the app whenever you like.",
            "es": "¡De nada! Pregúntame lo que quieras sobre la aplicación cuando te apetezca.",
        },
    ),
    Topic(
        "goodbye",
        (
            "bye",
            "goodbye",
            "good bye",
            "see you",
            "good night",
            "adios",
            "hasta luego",
            "hasta pronto",
            "hasta manana",
            "nos vemos",
            "chao",
            "buenas noches",
        ),
        {
            "en": "Goodbye! Press Stop when you are done, and come back any time.",
            "es": "¡Adiós! Pulsa Detener cuando termines, y vuelve cuando quieras.",
        },
    ),
    Topic(
        "greeting",
        (
            "hello",
            "hi",
            "hey",
            "good morning",
            "good afternoon",
            "good evening",
            "how are you",
            "hola",
            "buenos dias",
            "buenas tardes",
            "buenas",
            "que tal",
            "como estas",
        ),
        {
            "en": (
                "Hello! I'm the offline demo avatar of avatar-desktop, running on this computer. "
                "Ask me what this app is or how to connect your account."
            ),
            "es": (
                "¡Hola! Soy el avatar de demostración sin conexión de avatar-desktop, y funciono "
                "en este ordenador. "
                "Pregúntame qué es esta aplicación o cómo conectar tu cuenta."
            ),
        },
    ),
)

_GREETINGS = {
    "en": (
        "Hi, I'm the offline demo avatar, running right here on this computer. "
        "Type a message or just speak, and ask me about the app."
    ),
    "es": (
        "Hola, soy el avatar de demostración sin conexión y funciono aquí, en este ordenador. "
        "Escribe un mensaje o habla, y pregúntame sobre la aplicación."
    ),
}

_FALLBACK_QUOTE_WORDS = 8


def _pick(answers: dict[str, str], language: str) -> str:
    return answers["es" if language.startswith("es") else "en"]


def _topic_for(text: str) -> Topic | None:
    normalized = _normalize(text)
    return next((topic for topic in _TOPICS if topic.matches(normalized)), None)


def _fallback(text: str, language: str) -> str:
    """Quotes the start of the user's words (so they see they were heard) and says what to ask.
    Sentence punctuation is dropped from the quote so that the answer stays two sentences."""
    words = re.sub(r"[.!?¿¡;:\"«»]", " ", text).split()
    quote = " ".join(words[:_FALLBACK_QUOTE_WORDS])
    if len(words) > _FALLBACK_QUOTE_WORDS:
        quote += "…"
    if language == "es":
        if not quote:
            return "Te escucho. Pregúntame quién soy o cómo conectar tu cuenta."
        return (
            f"No sé responder a «{quote}»: solo soy la demostración sin conexión y únicamente "
            "conozco esta aplicación. "
            "Pregúntame quién soy, qué es esta aplicación o cómo conectar tu cuenta."
        )
    if not quote:
        return "I'm listening. Ask me who I am or how to connect your account."
    return (
        f'I cannot answer "{quote}": I am only the offline demo, and I know just this app. '
        "Ask me who I am, what this app is, or how to connect your account."
    )


def reply_to(text: str, session_language: str = "en") -> tuple[str, str]:
    """Returns (reply, language): the language is guessed from ``text``, falling back to the
    session's when the text gives no clue."""
    language = guess_language(text, "es" if session_language.startswith("es") else "en")
    topic = _topic_for(text)
    if topic is None:
        return _fallback(text, language), language
    return topic.answers[language], language


def long_answer(language: str) -> str:
    """About 30 seconds of speech in eight short sentences: echo-cancellation tests need the
    avatar to talk for a while."""
    return _pick(_LONG_ANSWER.answers, language)


def greeting(language: str) -> str:
    """What the avatar says when the session becomes Live."""
    return _pick(_GREETINGS, language)


def reply_to_speech(seconds: float, language: str) -> str:
    """The synthetic avatar hears that someone spoke, not what was said: it says so kindly."""
    if language.startswith("es"):
        return (
            f"Te he oído hablar durante {seconds:.1f} segundos. "
            "Soy la demostración sin conexión y no entiendo la voz, pero una sesión real de "
            "LiveAvatar sí: escríbeme una pregunta sobre la aplicación."
        )
    return (
        f"I heard you speak for {seconds:.1f} seconds. "
        "I'm the offline demo, so I can't understand speech, but a real LiveAvatar session can: "
        "type a question to ask me about the app."
    )
