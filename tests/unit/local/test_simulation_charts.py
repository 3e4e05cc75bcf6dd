"""SVG geometry of the simulation report: round ticks, and values placed in the plot box."""

from __future__ import annotations

import pytest
from arrears.local.simulation.charts import (
    Box,
    bar_length,
    nice_step,
    plot_points,
    polyline,
    x_axis,
    y_axis,
)


@pytest.mark.parametrize(
    ("raw", "step"),
    [(0.094, 0.1), (1.67, 2.0), (20.0, 20.0), (24.0, 50.0), (3.0, 5.0), (7.0, 10.0), (0.2, 0.2)],
)
def test_a_tick_step_is_the_next_round_number(raw: float, step: float):
    assert nice_step(raw) == pytest.approx(step)


def test_the_value_axis_ends_at_the_first_round_step_above_the_highest_value():
    box = Box(left=0, top=0, width=100, height=200)
    # 0.47 / 5 ticks = 0.094 -> a step of 0.1; five steps reach 0.5
    axis = y_axis(0.47, box)
    assert axis.top == 0.5
    assert [t.value for t in axis.ticks] == [0.0, 0.1, 0.2, 0.3, 0.4, 0.5]
    # SVG's y grows downwards: 0 sits on the bottom edge (200), 0.5 on the top (0)
    assert [t.position for t in axis.ticks] == [200.0, 160.0, 120.0, 80.0, 40.0, 0.0]


def test_an_empty_value_axis_still_has_a_top():
    axis = y_axis(0.0, Box(left=0, top=10, width=100, height=100))
    assert axis.top > 0
    assert axis.ticks[0].position == 110.0


def test_the_day_axis_spans_exactly_the_days_with_round_ticks_inside():
    # 120 days over 600 units from x = 10: a tick every 20 days, every 100 units
    axis = x_axis(120, Box(left=10, top=0, width=600, height=50))
    assert axis.top == 120
    assert [(t.value, t.position) for t in axis.ticks] == [
        (0.0, 10.0),
        (20.0, 110.0),
        (40.0, 210.0),
        (60.0, 310.0),
        (80.0, 410.0),
        (100.0, 510.0),
        (120.0, 610.0),
    ]
    # 45 days: a tick every 10, the last at 40 (45 itself is the axis end, not a tick)
    assert [t.value for t in x_axis(45, Box(0, 0, 90, 10)).ticks] == [0, 10, 20, 30, 40]


def test_points_are_scaled_into_the_plot_box():
    box = Box(left=50, top=20, width=400, height=100)  # bottom edge at y = 120
    points = plot_points([(0, 0.0), (5, 0.25), (10, 0.5), (2.5, 0.1)], 10, 0.5, box)
    # x = 50 + day / 10 * 400; y = 120 - share / 0.5 * 100
    assert points == [(50.0, 120.0), (250.0, 70.0), (450.0, 20.0), (150.0, 100.0)]


def test_a_polyline_writes_whole_numbers_plainly_and_others_to_a_tenth():
    assert polyline([(64.0, 296.0), (235.5, 12.25), (1200.0, 0.0)]) == "64,296 235.5,12.2 1200,0"


def test_a_bar_is_as_long_as_its_share_of_the_axis_and_never_negative():
    assert bar_length(2.1, 2.6, 420) == pytest.approx(339.2)  # 2.1 / 2.6 x 420 = 339.23
    assert bar_length(2.6, 2.6, 420) == 420
    assert bar_length(-1.0, 2.6, 420) == 0
    assert bar_length(1.0, 0.0, 420) == 0  # every value zero: no bar rather than a division
