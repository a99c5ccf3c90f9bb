"""What the Help menu opens: the keyboard shortcuts and the About box. Neither blocks the loop
(both are opened, not exec'd), so the session goes on behind them."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, Qt, qVersion
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QMessageBox,
    QVBoxLayout,
    QWidget,
)

from avatar_desktop import __version__


def _tr(text: str) -> str:
    return QCoreApplication.translate("HelpMenu", text)


class ShortcutsDialog(QDialog):
    """Two columns: the keys, and what they do (``rows``, in the order given)."""

    def __init__(self, rows: list[tuple[str, str]], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(_tr("Keyboard shortcuts"))
        self.rows = rows
        form = QFormLayout()
        for keys, does in rows:
            key_label = QLabel(f"<b>{_escaped(keys)}</b>")
            key_label.setTextFormat(Qt.TextFormat.RichText)
            form.addRow(key_label, QLabel(does))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(buttons)

    def text(self) -> str:
        """The list as plain text, one shortcut a line."""
        return "\n".join(f"{keys}: {does}" for keys, does in self.rows)


def about_box(parent: QWidget) -> QMessageBox:
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Information)
    box.setWindowTitle(_tr("About avatar-desktop"))
    box.setText(f"avatar-desktop {__version__}")
    box.setInformativeText(
        _tr(
            "Talk with a HeyGen real-time avatar in a window of its own, or with the offline "
            "demo avatar when no account is set up."
        )
        + "\n\n"
        + _tr("Built with Qt {0}.").format(qVersion())
    )
    return box


def _escaped(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
