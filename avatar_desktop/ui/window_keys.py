"""The window's keys that QAction shortcuts cannot express: Space held to talk in push-to-talk
mode (a press and a release, as call apps have it), and the window's own shortcuts winning over
a text box's editing keys (some platforms give a line edit Ctrl+E, "end of line").

The filter sits on the window and on each of its widgets that can take the focus, because a key
goes to the focused widget before the window sees it: a focused checkbox would toggle on Space,
a focused text box would eat Ctrl+E. Not on the application: there it ran for every event of the
app (each paint, timer and posted asyncio callback), 16 % of the GUI thread's busy time at 30
frames a second (py-spy).
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QKeyEvent, QKeySequence
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QLineEdit,
    QPlainTextEdit,
    QTextEdit,
    QWidget,
)

_PRESS, _RELEASE = QEvent.Type.KeyPress, QEvent.Type.KeyRelease
_OVERRIDE = QEvent.Type.ShortcutOverride


def takes_text(widget: QWidget | None) -> bool:
    """Whether keys typed into ``widget`` become text (Space must stay a space there)."""
    if isinstance(widget, QLineEdit | QTextEdit | QPlainTextEdit):
        return not widget.isReadOnly()
    if isinstance(widget, QComboBox):
        return widget.isEditable()
    if isinstance(widget, QAbstractSpinBox):
        return True
    return widget is not None and widget.testAttribute(Qt.WidgetAttribute.WA_InputMethodEnabled)


class WindowKeys(QObject):
    """``talk(True)`` when Space goes down, ``talk(False)`` when it comes up; auto-repeat is
    neither. Only while ``can_talk()`` and no text box of the window has the focus; a release
    always ends a press, wherever the focus went meanwhile, and so does leaving the window."""

    talk = Signal(bool)

    def __init__(
        self,
        window: QWidget,
        can_talk: Callable[[], bool],
        window_shortcuts: Callable[[], list[QKeySequence]],
    ) -> None:
        super().__init__(window)
        self._window = window
        self._can_talk = can_talk
        self._window_shortcuts = window_shortcuts
        self.talking = False
        window.installEventFilter(self)
        for widget in window.findChildren(QWidget):
            if widget.focusPolicy() != Qt.FocusPolicy.NoFocus:
                widget.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        kind = event.type()
        if kind == QEvent.Type.WindowDeactivate and watched is self._window:
            self._let_go()
            return False
        if kind not in (_PRESS, _RELEASE, _OVERRIDE) or not isinstance(event, QKeyEvent):
            return False
        if not isinstance(watched, QWidget) or watched.window() is not self._window:
            return False  # another window (a dialog), or the Qt window behind the widgets
        if kind == _OVERRIDE:
            return self._shortcut_first(watched, event)
        if event.key() != Qt.Key.Key_Space:
            return False
        if self.talking:  # held: its auto-repeats are nobody's, its release ends the talk
            if kind == _RELEASE and not event.isAutoRepeat():
                self._let_go()
            return True
        if kind == _RELEASE or watched is not (QApplication.focusWidget() or self._window):
            return False  # not ours; or the same key on its way up to a parent, decided already
        if event.modifiers() != Qt.KeyboardModifier.NoModifier or takes_text(watched):
            return False
        if not self._can_talk():
            return False
        if not event.isAutoRepeat():
            self.talking = True
            self.talk.emit(True)
        return True

    def _shortcut_first(self, watched: QWidget, event: QKeyEvent) -> bool:
        if not takes_text(watched):
            return False
        pressed = QKeySequence(event.keyCombination())
        if any(pressed.matches(s) == QKeySequence.SequenceMatch.ExactMatch
               for s in self._window_shortcuts()):  # fmt: skip
            event.ignore()  # not the text box's: the shortcut runs
            return True
        return False

    def _let_go(self) -> None:
        if self.talking:
            self.talking = False
            self.talk.emit(False)
