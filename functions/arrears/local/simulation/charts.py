"""SVG geometry for the simulation report: scales, axis ticks, points and bars.

Pure functions on numbers; the template draws what they return. SVG's y axis points
down, so a value is drawn at ``bottom - scaled`` inside its plot box.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

_STEPS = (1.0, 2.0, 5.0, 10.0)  # round tick steps, times a power of ten
_DIGITS = 1  # SVG coordinates are written to a tenth of a unit


@dataclass(frozen=True)
class Box:
    """The plot area inside an SVG, in SVG units."""

    left: float
    top: float
    width: float
    height: float

    @property
    def right(self) -> float:
        return self.left + self.width

    @property
    def bottom(self) -> float:
        return self.top + self.height


@dataclass(frozen=True)
class Tick:
    value: float
    position: float  # x for a horizontal axis, y for a vertical one


@dataclass(frozen=True)
class Axis:
    top: float  # the value at the far end of the axis
    ticks: tuple[Tick, ...]


def nice_step(raw: float) -> float:
    """The smallest of 1, 2, 5 or 10 times a power of ten that is at least ``raw``."""
    if raw <= 0:
        return 1.0
    magnitude = 10 ** math.floor(math.log10(raw))
    return next(step * magnitude for step in _STEPS if step * magnitude >= raw * (1 - 1e-9))


def scale(value: float, top: float, length: float) -> float:
    """``value`` of an axis running from 0 to ``top`` as a distance along ``length``."""
    return value / top * length if top else 0.0


def x_axis(top: float, box: Box, *, target_ticks: int = 6) -> Axis:
    """An axis from 0 to exactly ``top`` (days), ticked at round steps within it."""
    top = top or 1.0
    step = nice_step(top / target_ticks)
    count = int(top / step + 1e-9)
    ticks = tuple(
        Tick(_tidy(i * step), round(box.left + scale(i * step, top, box.width), _DIGITS))
        for i in range(count + 1)
    )
    return Axis(top, ticks)


def y_axis(maximum: float, box: Box, *, target_ticks: int = 5) -> Axis:
    """An axis from 0 up to the first round step at or above ``maximum``."""
    step = nice_step(maximum / target_ticks) if maximum > 0 else 0.2
    count = max(1, math.ceil(maximum / step - 1e-9))
    top = _tidy(count * step)
    ticks = tuple(
        Tick(_tidy(i * step), round(box.bottom - scale(i * step, top, box.height), _DIGITS))
        for i in range(count + 1)
    )
    return Axis(top, ticks)


def plot_points(
    points: Sequence[tuple[float, float]], x_top: float, y_top: float, box: Box
) -> list[tuple[float, float]]:
    """Data points (x, y) placed in ``box`` for axes running from 0 to x_top and y_top."""
    return [
        (
            round(box.left + scale(x, x_top, box.width), _DIGITS),
            round(box.bottom - scale(y, y_top, box.height), _DIGITS),
        )
        for x, y in points
    ]


def polyline(points: Sequence[tuple[float, float]]) -> str:
    """The ``points`` attribute of an SVG polyline."""
    return " ".join(f"{_number(x)},{_number(y)}" for x, y in points)


def bar_length(value: float, top: float, length: float) -> float:
    """How long a bar for ``value`` is on an axis from 0 to ``top`` drawn ``length`` long."""
    return round(scale(max(value, 0.0), top, length), _DIGITS)


def _tidy(value: float) -> float:
    """Drop the float noise of a multiplied step (3 x 0.2 = 0.6000000000000001)."""
    return round(value, 10)


def _number(value: float) -> str:
    return str(int(value)) if value == int(value) else f"{value:.{_DIGITS}f}"
