"""The transcript of both sides, built from typed pieces as they arrive."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from .events import Speaker, TranscriptPiece


@dataclass
class TranscriptLine:
    """One turn of one side. ``at`` is when its first piece arrived, ``ended_at`` when its last
    one did (None: none came after the first); ``final`` is False while more may come."""

    speaker: Speaker
    text: str
    at: float = field(default_factory=time.time)
    final: bool = False
    ended_at: float | None = None

    @property
    def end(self) -> float:
        return self.at if self.ended_at is None else self.ended_at


class Conversation:
    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self.lines: list[TranscriptLine] = []
        self._clock = clock
        self._listeners: list[Callable[[TranscriptLine, bool], None]] = []

    def subscribe(self, listener: Callable[[TranscriptLine, bool], None]) -> None:
        """``listener(line, is_new)``: a new line, or more words on the last one."""
        self._listeners.append(listener)

    def _notify(self, line: TranscriptLine, is_new: bool) -> None:
        for listener in self._listeners:
            listener(line, is_new)

    def said_by_user(self, text: str) -> TranscriptLine:
        line = TranscriptLine("user", text, at=self._clock(), final=True)
        self.lines.append(line)
        self._notify(line, True)
        return line

    def add(self, piece: TranscriptPiece) -> None:
        last = self.lines[-1] if self.lines else None
        open_line = (
            last if last is not None and last.speaker == piece.speaker and not last.final else None
        )
        if open_line is None:
            if not piece.text.strip():
                return  # an empty piece opens no line (an empty final one closes nothing)
            line = TranscriptLine(
                piece.speaker, piece.text.strip(), at=self._clock(), final=piece.final
            )
            self.lines.append(line)
            self._notify(line, True)
            return
        if piece.final:
            # A final piece carries the whole utterance when it has text; else it only closes.
            if piece.text.strip():
                open_line.text = piece.text.strip()
            open_line.final = True
        else:
            open_line.text = f"{open_line.text} {piece.text.strip()}".strip()
        open_line.ended_at = self._clock()
        self._notify(open_line, False)
