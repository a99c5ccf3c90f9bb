"""Draws the synthetic avatar's face as I420 frames: a face whose mouth follows its own speech
level, plus the stamp (frame counter and send time). Everything static is drawn once; each frame
only rewrites the mouth box and the stamp, in a buffer reused from frame to frame."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from .stamp import Stamp, write_stamp

MOUTH_LEVELS = 16

# Quality → frame size, as HeyGen's services map them.
QUALITY_SIZES: dict[str, tuple[int, int]] = {
    "low": (640, 360),
    "medium": (852, 480),
    "high": (1280, 720),
    "very_high": (1920, 1080),
}


def _ellipse(h: int, w: int, cy: float, cx: float, ry: float, rx: float) -> npt.NDArray[np.bool_]:
    yy, xx = np.mgrid[0:h, 0:w]
    return bool_array(((yy - cy) / max(ry, 0.5)) ** 2 + ((xx - cx) / max(rx, 0.5)) ** 2 <= 1.0)


def bool_array(a: npt.NDArray[np.bool_]) -> npt.NDArray[np.bool_]:
    return np.asarray(a, dtype=bool)


class FacePainter:
    """Owns one I420 buffer of ``width`` x ``height`` (both even) and paints frames into it."""

    def __init__(self, width: int, height: int) -> None:
        if width % 2 or height % 2:
            raise ValueError("I420 needs an even width and height")
        self.width, self.height = width, height
        y_size, c_size = width * height, (width // 2) * (height // 2)
        self.buffer = bytearray(y_size + 2 * c_size)
        view = np.frombuffer(self.buffer, dtype=np.uint8)
        self.y = view[:y_size].reshape(height, width)
        self.u = view[y_size : y_size + c_size].reshape(height // 2, width // 2)
        self.v = view[y_size + c_size :].reshape(height // 2, width // 2)
        self._draw_static()

    def _draw_static(self) -> None:
        h, w = self.height, self.width
        gradient = np.linspace(60, 110, h, dtype=np.float32)[:, None]
        self.y[:] = gradient.astype(np.uint8)
        self.u[:], self.v[:] = 150, 110  # a blue-grey backdrop
        stamp_rows = (2 * w // 64 + 2) // 2  # the stamp's two block rows stay black and white
        self.u[:stamp_rows, : (48 * w // 64) // 2 + 1] = 128
        self.v[:stamp_rows, : (48 * w // 64) // 2 + 1] = 128
        face = _ellipse(h, w, h * 0.52, w / 2, h * 0.36, h * 0.29)
        self.y[face] = 170
        face_c = face[::2, ::2]
        self.u[face_c], self.v[face_c] = 110, 150  # skin tone
        for ex in (w / 2 - h * 0.11, w / 2 + h * 0.11):
            eye = _ellipse(h, w, h * 0.42, ex, h * 0.035, h * 0.045)
            self.y[eye] = 30
            self.u[eye[::2, ::2]], self.v[eye[::2, ::2]] = 128, 128
        # The mouth box: what is behind the mouth, and one mask per opening level.
        mh, mw = int(h * 0.16) & ~1, int(h * 0.22) & ~1
        self._my, self._mx = int(h * 0.66) & ~1, int(w / 2 - mw / 2) & ~1
        self._mouth_bg = (
            self.y[self._my : self._my + mh, self._mx : self._mx + mw].copy(),
            self.u[
                self._my // 2 : (self._my + mh) // 2, self._mx // 2 : (self._mx + mw) // 2
            ].copy(),
            self.v[
                self._my // 2 : (self._my + mh) // 2, self._mx // 2 : (self._mx + mw) // 2
            ].copy(),
        )
        self._mouth_masks = [
            _ellipse(
                mh,
                mw,
                mh / 2,
                mw / 2,
                max(1.0, (mh / 2) * (0.08 + 0.92 * i / (MOUTH_LEVELS - 1))),
                mw / 2,
            )
            for i in range(MOUTH_LEVELS)
        ]

    def paint(self, stamp: Stamp, mouth_open: float) -> bytearray:
        """Paints one frame (mouth_open in 0..1) and returns the buffer (valid until next paint)."""
        level = min(MOUTH_LEVELS - 1, max(0, int(mouth_open * (MOUTH_LEVELS - 1) + 0.5)))
        mask = self._mouth_masks[level]
        bg_y, bg_u, bg_v = self._mouth_bg
        my, mx = self._my, self._mx
        mh, mw = bg_y.shape
        y_box = self.y[my : my + mh, mx : mx + mw]
        u_box = self.u[my // 2 : (my + mh) // 2, mx // 2 : (mx + mw) // 2]
        v_box = self.v[my // 2 : (my + mh) // 2, mx // 2 : (mx + mw) // 2]
        y_box[:], u_box[:], v_box[:] = bg_y, bg_u, bg_v
        y_box[mask] = 45
        u_box[mask[::2, ::2]], v_box[mask[::2, ::2]] = 120, 175
        write_stamp(self.y, stamp)
        return self.buffer
