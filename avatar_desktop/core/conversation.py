"""The transcript of both sides, built from typed pieces as they arrive."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from .events import Speaker, TranscriptPiece


@dataclass
class TranscriptLine:
    """One turn of one side. ``at`` is when its first piece arrived, ``ended_at`` when its last
    one did (None: none came after the first); ``final`` is False while more may come;
    ``reply_ms``, on an avatar's line, how long the avatar took to start saying it."""

    speaker: Speaker
    text: str
    at: float = field(default_factory=time.time)
    final: bool = False
    ended_at: float | None = None
    reply_ms: int | None = None

    @property
    def end(self) -> float:
        return self.at if self.ended_at is None else self.ended_at


class Conversation:
    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self.lines: list[TranscriptLine] = []
        self._clock = clock
        self._listeners: list[Callable[[TranscriptLine, bool], None]] = []
        self._turn_ended_at = 0  # lines before this index came before the user's last turn end
        self._pending_reply_ms: int | None = None

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

    def turn_ended(self) -> None:
        """The user's turn ended (a message sent, their speech over): the avatar's next line
        is the answer to it."""
        self._turn_ended_at = len(self.lines)
        self._pending_reply_ms = None

    def replied_in(self, ms: int) -> None:
        """The avatar started answering ``ms`` after the user's turn ended: said on its answer's
        line, or on the next line it opens when its words come after its voice."""
        for line in self.lines[self._turn_ended_at :]:
            if line.speaker == "avatar" and line.reply_ms is None:
                line.reply_ms = ms
                self._notify(line, False)
                return
        self._pending_reply_ms = ms

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
            if piece.speaker == "avatar" and self._pending_reply_ms is not None:
                line.reply_ms, self._pending_reply_ms = self._pending_reply_ms, None
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
