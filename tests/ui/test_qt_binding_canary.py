"""The Qt binding must not corrupt CPython's singletons.

PySide6 6.12.0 on CPython 3.11 dropped one reference to ``None`` on every call of a Qt method
that returns nothing; the window makes ~130 such calls a second, so ``None`` reached zero after
about two minutes and the interpreter aborted (``Fatal Python error: none_dealloc``). The probe
makes the window's void calls 10 000 times each and prints how far the reference counts of
``None``, ``True`` and ``False`` moved. It runs in its own process, so a binding that aborts the
interpreter fails this test instead of killing the test run.
"""

from __future__ import annotations

import gc
import json
import os
import subprocess
import sys

CALLS = 10_000
# Unrelated code may take or drop a handful of references meanwhile; the bug is one per call.
NOISE = 50


def _counts() -> list[int]:
    gc.collect()
    return [sys.getrefcount(None), sys.getrefcount(True), sys.getrefcount(False)]


def probe() -> list[int]:
    """Runs the void calls; returns the drift of None/True/False."""
    from PySide6.QtWidgets import QApplication, QLabel, QProgressBar, QPushButton, QWidget

    app = QApplication.instance() or QApplication([])
    holder = QWidget()
    label, bar, button = QLabel(holder), QProgressBar(holder), QPushButton(holder)
    bar.setRange(0, 100)
    before = _counts()
    for i in range(CALLS):
        label.setText("x" if i % 2 else "y")
        bar.setValue(i % 100)
        button.setEnabled(bool(i % 2))
        holder.update()
    after = _counts()
    del holder, app
    return [a - b for a, b in zip(after, before, strict=True)]


def test_void_qt_methods_leave_singleton_refcounts_unchanged() -> None:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    done = subprocess.run(
        [sys.executable, "-m", "tests.ui.test_qt_binding_canary"],
        capture_output=True, text=True, timeout=120, env=env,
    )  # fmt: skip
    assert done.returncode == 0, f"the probe died (exit {done.returncode}): {done.stderr[-2000:]}"
    drift = json.loads(done.stdout.strip().splitlines()[-1])
    assert all(abs(d) <= NOISE for d in drift), (
        f"refcount drift None/True/False = {drift} after {CALLS} calls of each void Qt method"
    )


if __name__ == "__main__":
    print(json.dumps(probe()), flush=True)
