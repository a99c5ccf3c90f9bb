"""The demo presenter drawn with signed distance fields: anti-aliased, softly shaded shapes in
RGB, rendered once per layer or sprite and converted to I420 by ``face.py``.

Lengths are in units of the frame height, so one drawing serves every quality. ``head`` draws
in coordinates centred on the head, so the same function gives the whole head sprite and the
small eye and mouth patches that replace parts of it from frame to frame.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

Plane = npt.NDArray[np.floating[Any]]
Rgb = npt.NDArray[np.floating[Any]]  # (h, w, 3) in 0..1

# Where the presenter sits, in frame-height units from the top and from the centre line.
HEAD_Y = 0.43
BODY_TOP = 0.68

_SKIN = (0.93, 0.72, 0.58)
_SKIN_SHADE = (0.80, 0.55, 0.43)
_HAIR = (0.30, 0.18, 0.13)
_HAIR_LIGHT = (0.47, 0.30, 0.20)
_TOP = (0.18, 0.42, 0.50)  # a teal sweater
_LIP = (0.75, 0.36, 0.36)
_MOUTH_INSIDE = (0.32, 0.10, 0.12)
_TONGUE = (0.86, 0.44, 0.46)
_TEETH = (0.98, 0.98, 0.96)
_IRIS = (0.36, 0.24, 0.14)
_BROW = (0.26, 0.16, 0.11)


@dataclass(frozen=True)
class EyeState:
    gaze_x: float = 0.0  # -1..1, the viewer's left to right
    gaze_y: float = 0.0  # -1..1, up to down
    open: float = 1.0  # 1 open, 0 closed


@dataclass(frozen=True)
class MouthShape:
    half_width: float
    half_open: float  # 0: lips together
    smile: float = 0.006
    upper_teeth: float = 0.0  # how far the upper teeth show, frame-height units
    lower_teeth: float = 0.0
    tongue: bool = False
    lips: float = 0.0065  # lip thickness


def ellipse_sdf(x: Plane, y: Plane, rx: float, ry: float) -> Plane:
    """Signed distance (approximate, good near the edge) to an axis-aligned ellipse."""
    k0 = np.sqrt((x / rx) ** 2 + (y / ry) ** 2)
    k1 = np.sqrt((x / (rx * rx)) ** 2 + (y / (ry * ry)) ** 2) + 1e-9
    return np.asarray(k0 * (k0 - 1.0) / k1, dtype=np.float32)


def smooth_union(a: Plane, b: Plane, k: float) -> Plane:
    h = np.clip(0.5 + 0.5 * (b - a) / k, 0.0, 1.0)
    return np.asarray(b + (a - b) * h - k * h * (1.0 - h), dtype=np.float32)


def coverage(d: Plane, px: float, soft: float = 1.0) -> Plane:
    """How much of each pixel the shape ``d <= 0`` covers; ``soft`` widens the edge."""
    return np.asarray(np.clip(0.5 - d / (px * soft), 0.0, 1.0), dtype=np.float32)


def over(rgb: Rgb, alpha: Plane, color: tuple[float, float, float] | Rgb, cov: Plane) -> None:
    """Paints ``color`` with coverage ``cov`` over (rgb, alpha), in place."""
    c = cov[..., None]
    rgb *= 1.0 - c
    rgb += np.asarray(color, dtype=np.float32) * c
    alpha *= 1.0 - cov
    alpha += cov


def _shaded(color: tuple[float, float, float], light: Plane) -> Rgb:
    return np.asarray(np.asarray(color, np.float32) * light[..., None], dtype=np.float32)


def background(x: Plane, y: Plane) -> Rgb:
    """A soft studio backdrop: a vertical gradient, a warm light behind the head, out-of-focus
    lights, a vignette. ``x`` from the centre line, ``y`` from the top, frame-height units."""
    t = np.clip(y, 0.0, 1.0)[..., None]
    top, bottom = np.array([0.36, 0.52, 0.66], np.float32), np.array([0.16, 0.24, 0.36], np.float32)
    rgb = np.asarray(top * (1.0 - t) + bottom * t, dtype=np.float32)
    glow = np.exp(-((x / 0.55) ** 2 + ((y - 0.40) / 0.45) ** 2))[..., None]
    rgb += np.array([0.22, 0.17, 0.10], np.float32) * glow
    for bx, by, r, strength, tint in (
        (-0.62, 0.22, 0.09, 0.10, (1.0, 0.9, 0.7)),
        (-0.48, 0.62, 0.06, 0.07, (0.8, 0.9, 1.0)),
        (0.58, 0.30, 0.11, 0.08, (1.0, 0.85, 0.8)),
        (0.70, 0.70, 0.07, 0.06, (0.9, 1.0, 0.9)),
        (-0.75, 0.85, 0.10, 0.05, (1.0, 1.0, 1.0)),
        (0.40, 0.10, 0.05, 0.06, (1.0, 0.95, 0.85)),
    ):
        d = np.sqrt((x - bx) ** 2 + (y - by) ** 2) - r
        disc = np.clip(0.5 - d / 0.02, 0.0, 1.0) * (0.7 + 0.3 * np.clip(-d / r, 0.0, 1.0))
        rgb += np.asarray(tint, np.float32) * (strength * disc)[..., None]
    vignette = 1.0 - 0.35 * np.clip((x / 1.0) ** 2 + ((y - 0.45) / 0.8) ** 2, 0.0, 1.0)
    rgb *= vignette[..., None]
    return np.asarray(np.clip(rgb, 0.0, 1.0), dtype=np.float32)


def body(x: Plane, y: Plane, px: float) -> tuple[Rgb, Plane]:
    """Neck, shoulders and a V-neck sweater; ``y`` from the top of the frame."""
    h, w = x.shape
    rgb = np.zeros((h, w, 3), np.float32)
    alpha = np.zeros((h, w), np.float32)
    neck = np.maximum(np.abs(x) - 0.056, -(y - (HEAD_Y + 0.1)))
    neck_light = 0.74 + 0.16 * np.clip((y - (HEAD_Y + 0.2)) / 0.1, 0.0, 1.0) - 0.1 * (x / 0.056)
    over(rgb, alpha, _shaded(_SKIN, neck_light), coverage(neck, px))
    middle = BODY_TOP + 0.2  # an ellipse's upper half over straight sides
    shoulders = np.where(
        y < middle, ellipse_sdf(x, y - middle, 0.52, 0.19), np.abs(x) - np.float32(0.52)
    ).astype(np.float32)
    depth = BODY_TOP + 0.12  # the V's point
    v_neck = (np.abs(x) * 1.3 - (depth - y)) / 1.64
    sweater = np.maximum(shoulders, -v_neck)
    light = np.clip(1.0 - 0.3 * x - 0.15 * np.clip((y - BODY_TOP) / 0.25, 0.0, 1.0), 0.6, 1.15)
    rim = 0.8 + 0.2 * np.clip(-shoulders / 0.05, 0.0, 1.0)
    over(rgb, alpha, _shaded(_TOP, light * rim), coverage(sweater, px))
    trim = np.maximum(np.abs(v_neck + 0.007) - 0.007, shoulders)
    over(rgb, alpha, _shaded(_TOP, light * 0.75), coverage(trim, px))
    return rgb, alpha


def _face_sdf(x: Plane, y: Plane) -> Plane:
    cranium = ellipse_sdf(x, y + 0.02, 0.158, 0.19)
    jaw = ellipse_sdf(x, y - 0.07, 0.118, 0.14)
    return smooth_union(cranium, jaw, 0.05)


def _eye(rgb: Rgb, alpha: Plane, x: Plane, y: Plane, px: float, cx: float, state: EyeState) -> None:
    ex, ey = x - cx, y + 0.005
    rx, ry = 0.031, 0.019
    sclera = ellipse_sdf(ex, ey, rx, ry)
    arc = np.sqrt(np.clip(1.0 - (ex / rx) ** 2, 0.0, 1.0))
    lid_y = ry * (1.0 - 2.0 * state.open) * arc  # the upper lid's edge, top to bottom
    below_lid = lid_y - ey
    visible = np.maximum(sclera, below_lid)
    # the socket's soft shadow and the lid
    socket = ellipse_sdf(ex, ey - 0.002, rx * 1.25, ry * 1.6)
    over(rgb, alpha, _SKIN_SHADE, 0.25 * coverage(socket, px, soft=14.0))
    over(rgb, alpha, (0.97, 0.96, 0.95), coverage(visible, px))
    gx, gy = cx + state.gaze_x * 0.011, -0.005 + state.gaze_y * 0.006
    iris = np.sqrt((x - gx) ** 2 + (y - gy) ** 2)
    inside_eye = coverage(visible, px)
    iris_shade = 1.0 + 0.15 * np.clip((y - gy) / 0.016, -1.0, 1.0)  # lighter below
    over(rgb, alpha, _shaded(_IRIS, iris_shade), coverage(iris - 0.0155, px) * inside_eye)
    over(rgb, alpha, (0.06, 0.04, 0.04), coverage(iris - 0.0075, px) * inside_eye)
    glint = np.sqrt((x - gx + 0.005) ** 2 + (y - gy + 0.005) ** 2) - 0.0035
    over(rgb, alpha, (1.0, 1.0, 1.0), coverage(glint, px) * inside_eye)
    # the lash line along the lid, thicker at the outer corner
    outer = np.clip(np.sign(cx) * ex / rx, 0.0, 1.0)
    thickness = 0.0028 + 0.0022 * outer
    lash = np.maximum(np.abs(ey - lid_y) - thickness, np.abs(ex) - rx * 1.04)
    lash = np.minimum(lash, np.maximum(np.abs(ey - lid_y) - thickness, sclera - 0.002))
    over(rgb, alpha, (0.15, 0.09, 0.08), coverage(lash, px))


def _mouth(rgb: Rgb, alpha: Plane, x: Plane, y: Plane, px: float, m: MouthShape) -> None:
    my = y - 0.118 - m.smile * (1.0 - (x / m.half_width) ** 2)  # the corners turn up
    if m.half_open < 0.003:
        line = np.maximum(np.abs(my) - m.lips * 0.42, np.abs(x) - m.half_width)
        corners = np.sqrt((np.abs(x) - m.half_width) ** 2 + my**2) - m.lips * 0.42
        line = np.minimum(line, corners)
        lip = np.maximum(np.abs(my - 0.003) - m.lips * 0.9, np.abs(x) - m.half_width * 0.9)
        over(rgb, alpha, _LIP, 0.55 * coverage(lip, px, soft=3.0))
        over(rgb, alpha, (0.45, 0.16, 0.17), coverage(line, px))
        return
    opening = ellipse_sdf(x, my - m.half_open * 0.15, m.half_width, m.half_open)
    lips = opening - m.lips
    over(rgb, alpha, _shaded(_LIP, 1.0 - 0.15 * np.clip(my / 0.03, -1.0, 1.0)), coverage(lips, px))
    inside = coverage(opening, px)
    over(rgb, alpha, _MOUTH_INSIDE, inside)
    top = -m.half_open + m.half_open * 0.15
    if m.upper_teeth > 0:
        teeth = np.maximum(my - (top + m.upper_teeth), opening)
        over(rgb, alpha, _TEETH, coverage(teeth, px) * inside)
    if m.lower_teeth > 0:
        bottom = m.half_open * 1.15
        teeth = np.maximum((bottom - m.lower_teeth) - my, opening)
        over(rgb, alpha, (0.9, 0.9, 0.88), coverage(teeth, px) * inside)
    if m.tongue:
        tongue = ellipse_sdf(x, my - m.half_open * 1.05, m.half_width * 0.6, m.half_open * 0.45)
        over(rgb, alpha, _TONGUE, coverage(tongue, px) * inside)


def head(x: Plane, y: Plane, px: float, eyes: EyeState, mouth: MouthShape) -> tuple[Rgb, Plane]:
    """The head, hair and face, centred on (0, 0): ``y`` grows downwards."""
    h, w = x.shape
    rgb = np.zeros((h, w, 3), np.float32)
    alpha = np.zeros((h, w), np.float32)
    # hair behind the head: a bob down to the jaw
    back = smooth_union(
        ellipse_sdf(x, y + 0.03, 0.195, 0.215), ellipse_sdf(x, y - 0.09, 0.2, 0.1), 0.04
    )
    back = -smooth_union(-back, -(y - 0.12 - 0.8 * x * x), 0.03)
    hair_light = 0.85 + 0.25 * np.clip(-(x + y + 0.1) / 0.3, -0.5, 1.0)
    over(rgb, alpha, _shaded(_HAIR, hair_light), coverage(back, px))
    # ears
    for side in (-1.0, 1.0):
        ear = ellipse_sdf(x - side * 0.153, y - 0.01, 0.022, 0.036)
        over(rgb, alpha, (0.82, 0.63, 0.51), coverage(ear, px))
        inner = ellipse_sdf(x - side * 0.156, y - 0.01, 0.01, 0.022)
        over(rgb, alpha, _SKIN_SHADE, 0.5 * coverage(inner, px, soft=3.0))
    face = _face_sdf(x, y)
    light = 1.03 - 0.12 * np.clip((x + 0.05) / 0.18, -1.0, 1.0) - 0.06 * np.clip(y / 0.2, -1, 1)
    rim = 0.86 + 0.14 * np.clip(-face / 0.035, 0.0, 1.0)
    over(rgb, alpha, _shaded(_SKIN, light * rim), coverage(face, px))
    # cheeks and nose
    for side in (-1.0, 1.0):
        blush = ellipse_sdf(x - side * 0.085, y - 0.065, 0.03, 0.018)
        over(rgb, alpha, (0.95, 0.52, 0.50), 0.35 * coverage(blush, px, soft=30.0))
    nose_shadow = ellipse_sdf(x + 0.004, y - 0.072, 0.016, 0.009)
    over(rgb, alpha, _SKIN_SHADE, 0.55 * coverage(nose_shadow, px, soft=10.0))
    nose_tip = ellipse_sdf(x + 0.004, y - 0.066, 0.013, 0.01)
    over(rgb, alpha, (1.0, 0.82, 0.70), 0.45 * coverage(nose_tip, px, soft=8.0))
    ridge = np.maximum(np.abs(x + 0.010) - 0.003, np.abs(y - 0.035) - 0.028)
    over(rgb, alpha, _SKIN_SHADE, 0.22 * coverage(ridge, px, soft=8.0))
    for eye_x in (-0.062, 0.062):
        _eye(rgb, alpha, x, y, px, eye_x, eyes)
        # the brow: an arc, thick in the middle
        bx = x - eye_x
        arc_y = -0.048 - 0.012 * (1.0 - (bx / 0.038) ** 2)
        brow = np.maximum(
            np.abs(y - arc_y) - 0.0055 * (1.0 - 0.5 * (bx / 0.04) ** 2), np.abs(bx) - 0.036
        )
        over(rgb, alpha, _BROW, coverage(brow, px, soft=1.5))
    _mouth(rgb, alpha, x, y, px, mouth)
    # the fringe: the hair's cap minus the forehead, parted on one side
    cap = ellipse_sdf(x + 0.004, y + 0.045, 0.172, 0.185)
    forehead = ellipse_sdf(x - 0.022, y - 0.035, 0.148, 0.155) + 0.003 * np.sin(x * 60.0)
    fringe = np.maximum(cap, -forehead)
    fringe_light = 0.9 + 0.3 * np.clip(-(x * 0.7 + y + 0.12) / 0.12, -0.4, 1.0)
    over(rgb, alpha, _shaded(_HAIR, fringe_light), coverage(fringe, px))
    strands = np.abs(np.sin((x * 0.8 - y) * 140.0)) * coverage(fringe, px)
    over(rgb, alpha, _HAIR_LIGHT, 0.18 * strands * np.clip(-(y + 0.12) / 0.08, 0.0, 1.0))
    return rgb, alpha
