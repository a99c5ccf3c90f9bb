"""The transcript as files: each format's exact text on a hand-made conversation (Spanish words,
a line the avatar did not finish), the JSON read back, safe file names, empty conversations."""

from __future__ import annotations

import errno
import json
import os
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from avatar_desktop.core.conversation import Conversation, TranscriptLine
from avatar_desktop.core.events import TranscriptPiece
from avatar_desktop.core.transcript_export import (
    ExportFormat,
    ExportWords,
    Transcript,
    from_json,
    render,
    suggested_filename,
    to_json,
    to_markdown,
    to_srt,
    with_extension,
    write_transcript,
)

START = datetime(2026, 12, 1, 14, 5, tzinfo=UTC).timestamp()
WORDS = ExportWords(user="Tú", avatar="Avatar", title="Conversación con {0}, {1}")


def conversation_lines() -> tuple[TranscriptLine, ...]:
    return (
        TranscriptLine("user", "Hola, ¿qué tal?", at=START + 3.25, final=True),
        TranscriptLine(
            "avatar", "¡Muy bien! Gracias por *preguntar*.", at=START + 5.5, final=True,
            ended_at=START + 7.125,
        ),
        TranscriptLine("user", "¿Qué es pulsar para hablar?", at=START + 9, final=True),
        TranscriptLine(
            "avatar", "Mantienes pulsado el botón y", at=START + 10, ended_at=START + 10.8
        ),
    )  # fmt: skip


TRANSCRIPT = Transcript(START, "Avatar de demostración", conversation_lines())


def test_markdown() -> None:
    assert to_markdown(TRANSCRIPT, WORDS, UTC) == (
        "# Conversación con Avatar de demostración, 2026-12-01 14:05\n"
        "\n"
        "**Tú** (14:05:03): Hola, ¿qué tal?\n"
        "\n"
        "**Avatar** (14:05:05): ¡Muy bien! Gracias por \\*preguntar\\*.\n"
        "\n"
        "**Tú** (14:05:09): ¿Qué es pulsar para hablar?\n"
        "\n"
        "**Avatar** (14:05:10): Mantienes pulsado el botón y …\n"
    )


def test_markdown_times_are_the_wall_clock_of_the_zone_given() -> None:
    madrid_winter = timezone(timedelta(hours=1))
    text = to_markdown(TRANSCRIPT, WORDS, madrid_winter)
    assert text.startswith("# Conversación con Avatar de demostración, 2026-12-01 15:05\n")
    assert "**Tú** (15:05:03)" in text


def test_json() -> None:
    assert json.loads(to_json(TRANSCRIPT, UTC)) == {
        "format": "avatar-desktop transcript",
        "version": 1,
        "started_at": "2026-12-01T14:05:00.000+00:00",
        "avatar": "Avatar de demostración",
        "lines": [
            {"speaker": "user", "text": "Hola, ¿qué tal?", "start_s": 3.25, "end_s": 3.25,
             "final": True},
            {"speaker": "avatar", "text": "¡Muy bien! Gracias por *preguntar*.",
             "start_s": 5.5, "end_s": 7.125, "final": True},
            {"speaker": "user", "text": "¿Qué es pulsar para hablar?", "start_s": 9.0,
             "end_s": 9.0, "final": True},
            {"speaker": "avatar", "text": "Mantienes pulsado el botón y", "start_s": 10.0,
             "end_s": 10.8, "final": False},
        ],
    }  # fmt: skip
    assert '"text": "Hola, ¿qué tal?"' in to_json(TRANSCRIPT, UTC)  # readable, not \u escapes


def test_srt() -> None:
    assert to_srt(TRANSCRIPT, WORDS) == (
        "1\n"
        "00:00:03,250 --> 00:00:04,250\n"
        "Tú: Hola, ¿qué tal?\n"
        "\n"
        "2\n"
        "00:00:05,500 --> 00:00:07,600\n"
        "Avatar: ¡Muy bien! Gracias por *preguntar*.\n"
        "\n"
        "3\n"
        "00:00:09,000 --> 00:00:10,000\n"
        "Tú: ¿Qué es pulsar para hablar?\n"
        "\n"
        "4\n"
        "00:00:10,000 --> 00:00:11,680\n"
        "Avatar: Mantienes pulsado el botón y …\n"
    )


def test_srt_cues_past_an_hour_keep_their_words_and_never_run_into_the_next() -> None:
    lines = (
        TranscriptLine("avatar", "Una respuesta muy larga " * 10, at=START + 3723.5, final=True),
        TranscriptLine("user", "Vale.\n\nGracias.", at=START + 3725, final=True),
    )
    text = to_srt(Transcript(START, "A", lines), WORDS)
    assert "01:02:03,500 --> 01:02:05,000\nAvatar: Una respuesta" in text
    assert text.endswith("01:02:05,000 --> 01:02:06,000\nTú: Vale.\nGracias.\n")


def test_json_reads_back_as_the_same_lines() -> None:
    again = from_json(to_json(TRANSCRIPT, UTC))
    assert again == TRANSCRIPT
    assert to_json(again, UTC) == to_json(TRANSCRIPT, UTC)


def test_json_reading_refuses_what_is_not_a_transcript() -> None:
    for text in (
        "not json",
        "[]",
        '{"format": "something else"}',
        '{"format": "avatar-desktop transcript", "version": 2}',
        to_json(TRANSCRIPT, UTC).replace('"avatar",', '"robot",', 1),
        to_json(TRANSCRIPT, UTC).replace('"start_s": 3.25', '"start_s": "3.25"'),
        to_json(TRANSCRIPT, UTC).replace('"final": true', '"final": 1', 1),
        to_json(TRANSCRIPT, UTC).replace('"lines": [', '"lines": [7,'),
    ):
        with pytest.raises(ValueError):
            from_json(text)


def test_an_empty_conversation() -> None:
    empty = Transcript(START, "Demo avatar", ())
    words = ExportWords("You", "Avatar", "Conversation with {0}, {1}")
    assert render(empty, ExportFormat.MARKDOWN, words, UTC) == (
        "# Conversation with Demo avatar, 2026-12-01 14:05\n"
    )
    assert json.loads(render(empty, ExportFormat.JSON, words, UTC))["lines"] == []
    assert from_json(render(empty, ExportFormat.JSON, words, UTC)) == empty
    assert render(empty, ExportFormat.SRT, words) == ""


def test_the_start_is_the_earlier_of_going_live_and_the_first_line() -> None:
    clock = iter([START + 30.0, START + 31.5, START + 32.0])
    conversation = Conversation(clock=lambda: next(clock))
    conversation.said_by_user("Hola")
    conversation.add(TranscriptPiece("avatar", "Buenas", final=False))
    conversation.add(TranscriptPiece("avatar", "tardes", final=False))
    snapshot = Transcript.of(conversation, START + 20, "Demo avatar")
    assert snapshot.started_at == START + 20
    assert [(ln.text, ln.at, ln.ended_at) for ln in snapshot.lines] == [
        ("Hola", START + 30, None),
        ("Buenas tardes", START + 31.5, START + 32),
    ]
    conversation.lines[1].text = "later words"
    assert snapshot.lines[1].text == "Buenas tardes"  # a snapshot: the file is what was shown
    # A second session goes live after the first one's lines: the start stays the first line.
    assert Transcript.of(conversation, START + 90, "Demo avatar").started_at == START + 30
    assert Transcript.of(Conversation(), None, "D", clock=lambda: START).started_at == START


def test_suggested_filename() -> None:
    assert suggested_filename(START, "Demo avatar", "md", UTC) == "2026-12-01 14-05 Demo avatar.md"
    assert suggested_filename(START, "Avatar de demostración", ".srt", UTC) == (
        "2026-12-01 14-05 Avatar de demostración.srt"
    )
    assert suggested_filename(START, "", "json", UTC) == "2026-12-01 14-05.json"


@pytest.mark.parametrize(
    "name",
    ['Dr. Who: "AC/DC" | <b>*?', "..\\..\\etc\\passwd", "tab\there\nnew\u202eline\x00", " . . "],
)
def test_suggested_filenames_are_safe_on_every_system(name: str) -> None:
    filename = suggested_filename(START, name, "md", UTC)
    stem = filename.removesuffix(".md")
    assert stem.startswith("2026-12-01 14-05")
    assert not set(stem) & set('<>:"/\\|?*'), filename
    assert all(c.isprintable() for c in stem), filename
    assert not stem.endswith((" ", ".")), filename
    assert "  " not in stem


def test_long_names_are_cut_within_the_file_systems_limit() -> None:
    name = "Ñandú " * 100
    filename = suggested_filename(START, name, "json", UTC)
    assert len(filename.encode()) <= 150  # common file systems allow 255 bytes
    kept = filename.removeprefix("2026-12-01 14-05 ").removesuffix(".json")
    assert len(kept) > 20 and name.startswith(kept)  # cut between characters, not inside one


def test_the_chosen_format_decides_the_extension() -> None:
    md, srt = ExportFormat.MARKDOWN, ExportFormat.SRT
    assert with_extension(Path("/d/2026-12-01 14-05 Demo.md"), md) == Path(
        "/d/2026-12-01 14-05 Demo.md"
    )
    assert with_extension(Path("/d/x.MD"), md) == Path("/d/x.MD")
    assert with_extension(Path("/d/x.md"), srt) == Path("/d/x.srt")
    assert with_extension(Path("/d/Dr. Who"), srt) == Path("/d/Dr. Who.srt")
    assert with_extension(Path("/d/notes"), ExportFormat.JSON) == Path("/d/notes.json")


def test_a_failed_write_leaves_the_earlier_file_and_no_partial_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "t.md"
    write_transcript(target, "primera versión\n")
    assert target.read_text(encoding="utf-8") == "primera versión\n"

    def disk_full(_fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    with monkeypatch.context() as patch:
        patch.setattr(os, "fsync", disk_full)
        with pytest.raises(OSError, match="No space left"):
            write_transcript(target, "segunda versión, a medias")
    assert target.read_text(encoding="utf-8") == "primera versión\n"
    with pytest.raises(OSError):
        write_transcript(tmp_path / "no such folder" / "t.md", "x")
    (tmp_path / "a folder.md").mkdir()
    with pytest.raises(OSError):
        write_transcript(tmp_path / "a folder.md", "x")  # written, then not put in place
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a folder.md", "t.md"]
