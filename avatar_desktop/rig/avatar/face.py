"""Paints the synthetic avatar as I420 frames: the presenter of ``portrait.py`` breathing,
swaying, blinking and glancing (``motion.py``), the mouth following the speech
(``visemes.py``), and, when tests or benchmarks ask for it, the stamp (frame counter and send
time).

Everything is rendered ahead as I420: the background once, each pose of the body and head the
first time it is needed, and small eye and mouth patches per state. A frame then only copies
what changed into the reused buffer: the person's rectangle when the pose moves, the eye and
mouth patches, the stamp. Offsets and patches sit on even pixels, so chroma (half size) moves
with luma.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from . import portrait
from .motion import BREATH_LEVELS, LID_LEVELS, SWAY_LEVELS, Gaze, IdleMotion, Pose
from .stamp import Stamp, block_width, write_stamp
from .visemes import AMOUNTS, REST, VISEMES, Mouth, shape

# Quality → frame size, as HeyGen's services map them.
QUALITY_SIZES: dict[str, tuple[int, int]] = {
    "low": (640, 360),
    "medium": (852, 480),
    "high": (1280, 720),
    "very_high": (1920, 1080),
}

_STEP = 2  # pixels per sway or breath level: even, for chroma
# The rectangles that change with the eyes and with the mouth, in head units (x0, y0, x1, y1).
_EYES_BOX = (-0.105, -0.034, 0.105, 0.024)
_MOUTH_BOX = (-0.072, 0.072, 0.072, 0.172)
# What the head sprite covers around the head's centre, in head units.
_HEAD_BOX = (-0.23, -0.27, 0.23, 0.26)

U8 = npt.NDArray[np.uint8]
_LOOKING_AHEAD = Gaze()


@dataclass(frozen=True)
class Planes:
    """An I420 picture or piece of one; y is (h, w), u and v (h/2, w/2)."""

    y: U8
    u: U8
    v: U8


def to_i420(rgb: portrait.Rgb) -> Planes:
    """BT.601 limited range; chroma is the mean of each 2x2 block."""
    r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    y = 16.0 + 65.481 * r + 128.553 * g + 24.966 * b
    u = 128.0 - 37.797 * r - 74.203 * g + 112.0 * b
    v = 128.0 + 112.0 * r - 93.786 * g - 18.214 * b
    h, w = y.shape

    def half(p: portrait.Plane) -> U8:
        quads = np.asarray(p.reshape(h // 2, 2, w // 2, 2).mean(axis=(1, 3)))
        return np.clip(quads + 0.5, 0, 255).astype(np.uint8)

    return Planes(np.clip(y + 0.5, 0, 255).astype(np.uint8), half(u), half(v))


def _even(value: float) -> int:
    return round(value / 2.0) * 2


def warmed_painter(width: int, height: int, seed: int = 0) -> FacePainter:
    painter = FacePainter(width, height, seed)
    painter.warm()
    return painter


class FacePainter:
    """Owns one I420 buffer of ``width`` x ``height`` (both even) and paints frames into it."""

    def __init__(self, width: int, height: int, seed: int = 0) -> None:
        if width % 2 or height % 2:
            raise ValueError("I420 needs an even width and height")
        self.width, self.height = width, height
        y_size, c_size = width * height, (width // 2) * (height // 2)
        self.buffer = bytearray(y_size + 2 * c_size)
        view = np.frombuffer(self.buffer, dtype=np.uint8)
        self.y = view[:y_size].reshape(height, width)
        self.u = view[y_size : y_size + c_size].reshape(height // 2, width // 2)
        self.v = view[y_size + c_size :].reshape(height // 2, width // 2)
        self.motion = IdleMotion(seed)
        self._px = 1.0 / height
        self._centre = _even(width / 2)
        margin = (SWAY_LEVELS + BREATH_LEVELS + 1) * _STEP
        # The person's rectangle: every pose of head and body stays inside it.
        self._head_h, self._head_w = self._size(_HEAD_BOX)
        head_top = _even(portrait.HEAD_Y * height) + self._units(_HEAD_BOX[1])
        self._top = max(0, head_top - margin)
        half_width = min(_even(0.56 * height) + margin, self._centre)
        self._left, self._right = self._centre - half_width, self._centre + half_width
        backdrop = self._render_background()
        self._background = to_i420(backdrop)
        self._bg_rgb = backdrop[self._top :, self._left : self._right].copy()
        self._body_rgb, self._body_alpha = self._render_body()
        self._head_rgb, self._head_alpha = self._render_head(_HEAD_BOX)
        self._poses: dict[Pose, Planes] = {}
        self._eyes: dict[Gaze, Planes] = {}
        self._mouths: dict[Mouth, Planes] = {}
        self._eyes_at = self._offset(_EYES_BOX)
        self._mouth_at = self._offset(_MOUTH_BOX)
        self._shown: tuple[Pose, Gaze, Mouth] | None = None
        band_rows = _even(2 * block_width(width) + 1)
        self._band = (band_rows, min(width, _even(48 * block_width(width) + 1)))
        self._stamped = False
        self.y[:], self.u[:], self.v[:] = self._background.y, self._background.u, self._background.v

    # -- rendering ahead ---------------------------------------------------------------------
    def _units(self, value: float) -> int:
        return _even(value * self.height)

    def _size(self, box: tuple[float, float, float, float]) -> tuple[int, int]:
        return self._units(box[3]) - self._units(box[1]), self._units(box[2]) - self._units(box[0])

    def _offset(self, box: tuple[float, float, float, float]) -> tuple[int, int]:
        """Where ``box`` starts inside the head sprite (rows, columns)."""
        return (
            self._units(box[1]) - self._units(_HEAD_BOX[1]),
            self._units(box[0]) - self._units(_HEAD_BOX[0]),
        )

    def _grid(
        self, rows: int, cols: int, top: int, left: int
    ) -> tuple[portrait.Plane, portrait.Plane]:
        yy, xx = np.mgrid[0:rows, 0:cols].astype(np.float32)
        return (xx + left + 0.5) * self._px, (yy + top + 0.5) * self._px

    def _render_background(self) -> portrait.Rgb:
        """Drawn at half size and doubled: it has no sharp edge, and it is the biggest layer."""
        rows, cols = self.height // 2, self.width // 2
        yy, xx = np.mgrid[0:rows, 0:cols].astype(np.float32)
        x, y = (xx * 2 + 1 - self._centre) * self._px, (yy * 2 + 1) * self._px
        half = portrait.background(x, y)
        return np.asarray(half.repeat(2, axis=0).repeat(2, axis=1), dtype=np.float32)

    def _render_body(self) -> tuple[portrait.Rgb, portrait.Plane]:
        """The body over the person's rectangle, with spare rows below for the breath."""
        rows = self.height - self._top + BREATH_LEVELS * _STEP
        x, y = self._grid(rows, self._right - self._left, self._top, self._left - self._centre)
        return portrait.body(x, y, self._px)

    def _render_head(
        self,
        box: tuple[float, float, float, float],
        gaze: Gaze = _LOOKING_AHEAD,
        mouth: Mouth = REST,
    ) -> tuple[portrait.Rgb, portrait.Plane]:
        rows, cols = self._size(box)
        x, y = self._grid(rows, cols, self._units(box[1]), self._units(box[0]))
        eyes = portrait.EyeState(gaze.x, gaze.y, gaze.lid / LID_LEVELS)
        return portrait.head(x, y, self._px, eyes, shape(mouth.viseme, mouth.amount))

    def _pose(self, pose: Pose) -> Planes:
        """The person's rectangle in ``pose``: background, body lifted by the breath, head."""
        planes = self._poses.get(pose)
        if planes is not None:
            return planes
        rows = self._bg_rgb.shape[0]
        lift = pose.breath * _STEP
        body_alpha = self._body_alpha[lift : lift + rows, :, None]
        rgb = self._bg_rgb * (1.0 - body_alpha) + self._body_rgb[lift : lift + rows]
        r0, c0 = self._head_origin(pose)
        r0, c0 = r0 - self._top, c0 - self._left
        window = rgb[r0 : r0 + self._head_h, c0 : c0 + self._head_w]
        window *= 1.0 - self._head_alpha[..., None]
        window += self._head_rgb
        planes = to_i420(rgb)
        self._poses[pose] = planes
        return planes

    def _head_origin(self, pose: Pose) -> tuple[int, int]:
        """The head sprite's top-left corner in the frame for ``pose``."""
        row = _even(portrait.HEAD_Y * self.height) + self._units(_HEAD_BOX[1])
        col = self._centre + self._units(_HEAD_BOX[0])
        return row - pose.breath * _STEP, col + pose.sway * _STEP

    def _eyes_patch(self, gaze: Gaze) -> Planes:
        planes = self._eyes.get(gaze)
        if planes is None:
            planes = self._eyes[gaze] = self._opaque(self._render_head(_EYES_BOX, gaze=gaze))
        return planes

    def _mouth_patch(self, mouth: Mouth) -> Planes:
        planes = self._mouths.get(mouth)
        if planes is None:
            planes = self._mouths[mouth] = self._opaque(self._render_head(_MOUTH_BOX, mouth=mouth))
        return planes

    @staticmethod
    def _opaque(layer: tuple[portrait.Rgb, portrait.Plane]) -> Planes:
        rgb, alpha = layer
        if float(alpha.min()) < 0.999:
            raise ValueError("a patch reaches past the face: it cannot be copied opaque")
        return to_i420(rgb)

    def warm(self) -> None:
        """Renders every pose, eye state and mouth now (about a second at 720p, two at 1080p),
        so that no frame waits for one: a frame late in the avatar's loop delays its voice."""
        for sway in range(-SWAY_LEVELS, SWAY_LEVELS + 1):
            for breath in range(BREATH_LEVELS + 1):
                self._pose(Pose(sway, breath))
        for gx, gy, lid in itertools.product((-1, 0, 1), (-1, 0, 1), range(LID_LEVELS + 1)):
            self._eyes_patch(Gaze(gx, gy, lid))
        self._mouth_patch(REST)
        for viseme, amount in itertools.product(VISEMES, range(1, AMOUNTS + 1)):
            self._mouth_patch(Mouth(viseme, amount))

    # -- per frame ---------------------------------------------------------------------------
    def _put(self, planes: Planes, row: int, col: int) -> None:
        h, w = planes.y.shape
        self.y[row : row + h, col : col + w] = planes.y
        r, c = row // 2, col // 2
        self.u[r : r + h // 2, c : c + w // 2] = planes.u
        self.v[r : r + h // 2, c : c + w // 2] = planes.v

    def paint(self, stamp: Stamp | None, mouth: Mouth, at_s: float) -> bytearray:
        """Paints the frame at ``at_s`` seconds of the avatar's life; the stamp only when one
        is given. Returns the buffer (valid until the next paint)."""
        pose, gaze = self.motion.pose(at_s), self.motion.gaze(at_s)
        shown = self._shown
        if shown is None or shown[0] != pose:
            self._put(self._pose(pose), self._top, self._left)
            shown = None
        row, col = self._head_origin(pose)
        if shown is None or shown[1] != gaze:
            eyes = self._eyes_patch(gaze)
            self._put(eyes, row + self._eyes_at[0], col + self._eyes_at[1])
        if shown is None or shown[2] != mouth:
            lips = self._mouth_patch(mouth)
            self._put(lips, row + self._mouth_at[0], col + self._mouth_at[1])
        self._shown = (pose, gaze, mouth)
        self._paint_stamp(stamp)
        return self.buffer

    def _paint_stamp(self, stamp: Stamp | None) -> None:
        rows, cols = self._band
        if stamp is not None:
            # grey under the blocks, so that they read black and white in any channel
            self.u[: rows // 2, : cols // 2] = 128
            self.v[: rows // 2, : cols // 2] = 128
            write_stamp(self.y, stamp)
            self._stamped = True
        elif self._stamped:
            bg = self._background
            self.y[:rows, :cols] = bg.y[:rows, :cols]
            self.u[: rows // 2, : cols // 2] = bg.u[: rows // 2, : cols // 2]
            self.v[: rows // 2, : cols // 2] = bg.v[: rows // 2, : cols // 2]
            self._stamped = False
