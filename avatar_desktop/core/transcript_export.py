"""The conversation written to a file: Markdown to read, JSON to keep (and read back), SRT to lay
over a recording of the session.

Language-neutral: the speaker names and the title come from the caller (the window translates
them). Times in Markdown are the wall clock; in JSON and SRT they count from the session's start.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from enum import Enum
from pathlib import Path
from typing import Any

from .conversation import Conversation, TranscriptLine
from .events import Speaker

JSON_FORMAT_NAME = "avatar-desktop transcript"
JSON_VERSION = 1
PARTIAL_MARK = "…"  # after a line the avatar or the user did not finish

# A subtitle stays up long enough to be read (the transcript knows when words arrived, not how
# long they were spoken), but never into the next cue.
_CUE_MIN_S = 1.0
_CUE_MAX_S = 7.0
_CUE_S_PER_CHARACTER = 0.06

_MARKDOWN_SPECIAL = set("\\`*_[]<>~#|")
# Not allowed (or troublesome) in a file name on Windows, macOS or Linux.
_FILENAME_UNSAFE = set('<>:"/\\|?*')
_FILENAME_NAME_BYTES = 120  # well inside the 255-byte limit of common file systems


class ExportFormat(Enum):
    MARKDOWN = "md"
    JSON = "json"
    SRT = "srt"

    @property
    def extension(self) -> str:
        return self.value


@dataclass(frozen=True)
class Transcript:
    """A snapshot of the conversation (later words do not change a file being written)."""

    started_at: float  # seconds since the epoch: the session's start
    avatar_name: str
    lines: tuple[TranscriptLine, ...]

    @classmethod
    def of(
        cls,
        conversation: Conversation,
        live_since: float | None,
        avatar_name: str,
        clock: Callable[[], float] = time.time,
    ) -> Transcript:
        """The start is the earlier of the session going live and the first line: the
        conversation outlives a session (it carries over to the next Start), and no time in
        the file may come before the start."""
        lines = tuple(dataclasses.replace(line) for line in conversation.lines)
        known = [t for t in (live_since, lines[0].at if lines else None) if t is not None]
        return cls(min(known, default=clock()), avatar_name, lines)


@dataclass(frozen=True)
class ExportWords:
    """The words of an export, in the user's language."""

    user: str
    avatar: str
    title: str  # "{0}": the avatar's name, "{1}": the session's date and time

    def speaker(self, speaker: Speaker) -> str:
        return self.user if speaker == "user" else self.avatar


def render(
    transcript: Transcript, fmt: ExportFormat, words: ExportWords, tz: tzinfo | None = None
) -> str:
    """The file's text. ``tz`` None: the computer's time zone."""
    if fmt is ExportFormat.MARKDOWN:
        return to_markdown(transcript, words, tz)
    if fmt is ExportFormat.JSON:
        return to_json(transcript, tz)
    return to_srt(transcript, words)


def to_markdown(transcript: Transcript, words: ExportWords, tz: tzinfo | None = None) -> str:
    started = _wall_clock(transcript.started_at, tz).strftime("%Y-%m-%d %H:%M")
    parts = [f"# {_markdown_escape(words.title.format(transcript.avatar_name, started))}"]
    for line in transcript.lines:
        said = _markdown_escape(" ".join(_shown_text(line).split()))
        when = _wall_clock(line.at, tz).strftime("%H:%M:%S")
        parts.append(f"**{_markdown_escape(words.speaker(line.speaker))}** ({when}): {said}")
    return "\n\n".join(parts) + "\n"


def to_json(transcript: Transcript, tz: tzinfo | None = None) -> str:
    started = _wall_clock(transcript.started_at, tz).isoformat(timespec="milliseconds")
    document = {
        "format": JSON_FORMAT_NAME,
        "version": JSON_VERSION,
        "started_at": started,
        "avatar": transcript.avatar_name,
        "lines": [
            {
                "speaker": line.speaker,
                "text": line.text,
                "start_s": _since_start(line.at, transcript),
                "end_s": _since_start(line.end, transcript),
                "final": line.final,
            }
            for line in transcript.lines
        ],
    }
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


def from_json(text: str) -> Transcript:
    """Reads what ``to_json`` wrote (times to the millisecond). Raises ValueError when the
    text is not such a transcript."""
    try:
        document = json.loads(text)
        if not isinstance(document, dict) or document.get("format") != JSON_FORMAT_NAME:
            raise ValueError("not an avatar-desktop transcript")
        if document.get("version") != JSON_VERSION:
            raise ValueError(f"unknown transcript version {document.get('version')!r}")
        started_at = datetime.fromisoformat(_expect(document, "started_at", str)).timestamp()
        lines = tuple(_line_from_json(item, started_at) for item in document["lines"])
        return Transcript(started_at, _expect(document, "avatar", str), lines)
    except (KeyError, TypeError) as exc:
        raise ValueError(f"not an avatar-desktop transcript: {exc!r}") from exc


def to_srt(transcript: Transcript, words: ExportWords) -> str:
    lines = transcript.lines
    cues = []
    for number, line in enumerate(lines, start=1):
        start = _since_start(line.at, transcript)
        following = lines[number] if number < len(lines) else None
        end = _cue_end(line, start, _since_start(following.at, transcript) if following else None)
        said = [part for part in _shown_text(line).splitlines() if part.strip()]
        said[0] = f"{words.speaker(line.speaker)}: {said[0]}"
        cue = [str(number), f"{_srt_time(start)} --> {_srt_time(end)}", *said]
        cues.append("\n".join(cue) + "\n")
    return "\n".join(cues)


def suggested_filename(
    started_at: float, avatar_name: str, extension: str, tz: tzinfo | None = None
) -> str:
    """E.g. ``2026-12-01 14-05 Demo avatar.md``: the session's start, then the avatar's name
    with whatever a file name cannot hold on Windows, macOS or Linux left out."""
    stamp = _wall_clock(started_at, tz).strftime("%Y-%m-%d %H-%M")
    kept = "".join(
        " " if c in _FILENAME_UNSAFE or unicodedata.category(c).startswith("C") else c
        for c in unicodedata.normalize("NFC", avatar_name)
    )
    name = " ".join(kept.split()).encode()[:_FILENAME_NAME_BYTES].decode("utf-8", "ignore")
    name = name.rstrip(" .")  # Windows drops trailing dots and spaces
    stem = f"{stamp} {name}" if name else stamp
    return f"{stem}.{extension.lstrip('.')}"


def with_extension(path: Path, fmt: ExportFormat) -> Path:
    """The path the format is written to: another export format's extension is replaced (the
    user switched the filter after the suggested name), any other suffix is kept and the
    format's added."""
    suffix = path.suffix.lower().lstrip(".")
    if suffix == fmt.extension:
        return path
    if suffix in {f.extension for f in ExportFormat}:
        return path.with_suffix(f".{fmt.extension}")
    return path.with_name(f"{path.name}.{fmt.extension}")


def write_transcript(path: Path, text: str) -> None:
    """Writes the whole file or nothing: on a failure (a full disk) an earlier file of that
    name is left as it was. Raises OSError."""
    partial = path.with_name(f".{path.name}.partial")
    try:
        with partial.open("w", encoding="utf-8", newline="\n") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        partial.replace(path)
    except BaseException:
        with contextlib.suppress(OSError):  # the error worth reporting is the one raised
            partial.unlink(missing_ok=True)
        raise


def _wall_clock(at: float, tz: tzinfo | None) -> datetime:
    return datetime.fromtimestamp(at, UTC).astimezone(tz)


def _since_start(at: float, transcript: Transcript) -> float:
    return round(max(0.0, at - transcript.started_at), 3)


def _shown_text(line: TranscriptLine) -> str:
    if line.final or line.text.endswith(PARTIAL_MARK):
        return line.text
    return f"{line.text} {PARTIAL_MARK}"


def _markdown_escape(text: str) -> str:
    return "".join(f"\\{c}" if c in _MARKDOWN_SPECIAL else c for c in text)


def _cue_end(line: TranscriptLine, start: float, next_start: float | None) -> float:
    reading = min(_CUE_MAX_S, max(_CUE_MIN_S, len(line.text) * _CUE_S_PER_CHARACTER))
    shown_until = start + reading
    if next_start is not None and next_start > start:
        shown_until = min(shown_until, next_start)
    return round(max(start + (line.end - line.at), shown_until), 3)


def _srt_time(seconds: float) -> str:
    ms = round(seconds * 1000)
    hours, ms = divmod(ms, 3_600_000)
    minutes, ms = divmod(ms, 60_000)
    secs, ms = divmod(ms, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d},{ms:03d}"


def _expect(document: dict[str, Any], key: str, kind: type[Any]) -> Any:
    value = document[key]
    if not isinstance(value, kind):
        raise ValueError(f"{key!r} is not a {kind.__name__}")
    return value


def _line_from_json(item: Any, started_at: float) -> TranscriptLine:
    if not isinstance(item, dict):
        raise ValueError("a line is not an object")
    speaker = _expect(item, "speaker", str)
    if speaker not in ("user", "avatar"):
        raise ValueError(f"unknown speaker {speaker!r}")
    start_s = _number(item, "start_s")
    end_s = _number(item, "end_s")
    return TranscriptLine(
        speaker="user" if speaker == "user" else "avatar",
        text=_expect(item, "text", str),
        at=started_at + start_s,
        final=_expect(item, "final", bool),
        ended_at=None if end_s == start_s else started_at + end_s,
    )


def _number(item: dict[str, Any], key: str) -> float:
    value = item[key]
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{key!r} is not a number")
    return float(value)
