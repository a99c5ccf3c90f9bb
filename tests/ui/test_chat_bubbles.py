"""The conversation as bubbles: who and when above each, the reply time on an answer, words
still arriving shown lighter and replaced in place by the final text."""

from __future__ import annotations

import time

from PySide6.QtWidgets import QApplication

from avatar_desktop.core.conversation import Conversation
from avatar_desktop.core.events import TranscriptPiece
from avatar_desktop.ui.chat_bubbles import FINAL, META, SPEAKER, TEXT
from avatar_desktop.ui.chat_panel import ChatPanel


def panel_for(conversation: Conversation) -> ChatPanel:
    panel = ChatPanel()
    conversation.subscribe(panel.show_line)
    panel.resize(420, 500)
    panel.show()
    return panel


def test_partial_words_are_replaced_in_place_by_the_final_text(qapp: QApplication) -> None:
    conversation = Conversation()
    panel = panel_for(conversation)
    conversation.said_by_user("What is push-to-talk?")
    conversation.turn_ended()
    conversation.replied_in(712)
    conversation.add(TranscriptPiece("avatar", "You hold", final=False))
    conversation.add(TranscriptPiece("avatar", "the button", final=False))
    view = panel.transcript
    assert view.count() == 2
    partial = view.item(1)
    assert partial.data(SPEAKER) == "avatar" and partial.data(FINAL) is False
    assert partial.data(TEXT) == "You hold the button"
    conversation.add(TranscriptPiece("avatar", "You hold the button while you talk.", final=True))
    assert view.count() == 2 and view.item(1) is partial  # the same bubble, not a new one
    assert partial.data(FINAL) is True
    assert panel.lines() == ["You: What is push-to-talk?",
                             "Avatar: You hold the button while you talk."]  # fmt: skip
    hhmm = time.strftime("%H:%M", time.localtime(conversation.lines[1].at))
    assert partial.data(META) == f"Avatar · {hhmm} · replied in 712 ms"
    assert view.item(0).data(META).startswith("You · ")
    panel.close()


def test_the_avatars_name_is_over_its_bubbles_and_sizes_follow_the_words(
    qapp: QApplication,
) -> None:
    conversation = Conversation()
    panel = panel_for(conversation)
    conversation.add(TranscriptPiece("avatar", "Hi", final=True))
    panel.set_avatar_name("Anna")
    item = panel.transcript.item(0)
    assert str(item.data(META)).startswith("Anna · ")
    QApplication.processEvents()
    short = panel.transcript.visualItemRect(item).height()
    conversation.add(TranscriptPiece("avatar", "word " * 80, final=True))
    QApplication.processEvents()
    long = panel.transcript.visualItemRect(panel.transcript.item(1)).height()
    assert long > 3 * short  # the long answer wraps over many lines, in one bubble
    panel.close()


def test_bubbles_wrap_again_when_the_panel_narrows(qapp: QApplication) -> None:
    conversation = Conversation()
    panel = panel_for(conversation)
    conversation.add(TranscriptPiece("avatar", "word " * 40, final=True))
    QApplication.processEvents()
    item = panel.transcript.item(0)
    wide = item.sizeHint().height()
    panel.resize(260, 500)
    QApplication.processEvents()
    assert item.sizeHint().width() == panel.transcript.viewport().width()
    assert item.sizeHint().height() > wide
    panel.close()
