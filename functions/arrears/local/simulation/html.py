"""report.html of `arrears simulate`: one self-contained page for a collections manager.

``render_report`` turns a simulation.json document into HTML with inline CSS and inline
SVG charts (no script, no external resource, so it opens offline). The template is
autoescaped: policy file names and every other string of the document are escaped.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import jinja2

from arrears.local.simulation.charts import (
    Axis,
    Box,
    bar_length,
    plot_points,
    polyline,
    x_axis,
    y_axis,
)

TEMPLATE = "report.html.j2"
CURVE_BOX = Box(left=64, top=16, width=680, height=280)  # inside a 760 x 340 SVG
CURVE_MARKERS = 8  # markers per curve, so a line is told apart without its colour
BAR_AREA = Box(left=150, top=8, width=420, height=0)  # height follows the bar count
BAR_HEIGHT, BAR_GAP, GROUP_GAP = 16, 4, 14
HEAT_MAX_MIX = Decimal("0.7")  # the darkest cell keeps dark text readable (contrast ≥ 4.5)
HEAT_COLOUR = (0x1F, 0x4E, 0x9C)


@dataclass(frozen=True)
class PolicyStyle:
    colour: str  # each ≥ 4.5:1 against white
    dash: str  # stroke-dasharray; "" = solid
    marker: str  # circle, square, triangle or diamond


STYLES = (
    PolicyStyle("#1f4e9c", "", "circle"),
    PolicyStyle("#b3541e", "8 4", "square"),
    PolicyStyle("#2e7d32", "2 3", "triangle"),
    PolicyStyle("#6a1b9a", "10 3 2 3", "diamond"),
)

# Corners of each polygon marker, in units of its size, around its centre.
MARKER_CORNERS: dict[str, list[tuple[float, float]]] = {
    "square": [(-1, -1), (1, -1), (1, 1), (-1, 1)],
    "triangle": [(0, -1.2), (1.1, 0.9), (-1.1, 0.9)],
    "diamond": [(0, -1.3), (1.3, 0), (0, 1.3), (-1.3, 0)],
}

# How each compared metric is named and shown; another metric shows under its own key.
METRICS: dict[str, tuple[str, str]] = {
    "recovered_pct": ("Share of the balance recovered", "share"),
    "cure_rate": ("Cure rate (cases paid or resolved)", "share"),
    "contacts_per_case.sms": ("SMS per case", "amount"),
    "contacts_per_case.email": ("Emails per case", "amount"),
    "contacts_per_case.call": ("Agent calls per case", "amount"),
    "contacts_per_case.letter": ("Letters per case", "amount"),
    "cost_per_case.total": ("Cost per case", "money"),
    "recovered_per_cost": ("Recovered per unit of cost", "amount"),
    "opt_outs_per_case": ("Opt-outs per case", "number"),
    "disputes_per_case": ("Disputes per case", "number"),
    "complaints_per_case": ("Complaints per case", "number"),
    "litigation_referrals_per_case": ("Litigation referrals per case", "number"),
    "time_to_first_contact_hours.p50": ("Median hours to first contact", "hours"),
}
CHANNELS = ("sms", "email", "call", "letter")
COST_COMPONENTS = ("stepfunctions", "lambda", "dynamodb", "sms", "email", "letters", "total")
COMPONENT_LABELS = {
    "stepfunctions": "Step Functions",
    "lambda": "Lambda",
    "dynamodb": "DynamoDB",
    "sms": "SMS",
    "email": "Email",
    "letters": "Letters (print + post)",
    "total": "Total",
    "call": "Agent calls",
    "letter": "Letters",
}
NO_VALUE = "–"
# The summary tables: (row name, where the value is in a policy's metrics, how it is shown)
RECOVERY_ROWS = (
    ("Accounts", ("accounts",), "whole"),
    ("Balance owed", ("owed",), "money"),
    ("Recovered", ("recovered",), "money"),
    ("Share recovered", ("recovered_pct",), "share"),
    ("Cure rate", ("cure_rate",), "share"),
    ("Cost per case", ("cost_per_case", "total"), "money"),
    ("Recovered per unit of cost", ("recovered_per_cost",), "amount"),
)
EXPERIENCE_ROWS = (
    ("Hours to first contact, median", ("time_to_first_contact_hours", "p50"), "hours"),
    ("Hours to first contact, 90th percentile", ("time_to_first_contact_hours", "p90"), "hours"),
    ("Hours to first contact, mean", ("time_to_first_contact_hours", "mean"), "hours"),
    ("Cases contacted at all", ("time_to_first_contact_hours", "cases"), "whole"),
)
COUNTED = (  # counts, shown with their share of the accounts
    ("Opt-outs", "opt_outs"),
    ("Disputes", "disputes"),
    ("Complaints", "complaints"),
    ("Litigation referrals", "litigation_referrals"),
)
ENTERED = "entered"  # in a roll-rate row: cases that were ever in the bucket
BUCKET_ORDER = ("cured", "stay", "1-30", "31-60", "61-90", "90+")

_environment = jinja2.Environment(
    loader=jinja2.PackageLoader("arrears.local.simulation", "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


def render_report(simulation: Mapping[str, Any]) -> str:
    """The simulation.json document as one self-contained HTML page."""
    policies = list(simulation["policies"])
    styles = {p["label"]: STYLES[i % len(STYLES)] for i, p in enumerate(policies)}
    currency = str(simulation["reporting_currency"])
    metrics = {p["label"]: p["metrics"] for p in policies}
    return _environment.get_template(TEMPLATE).render(
        sim=simulation,
        policies=policies,
        styles=styles,
        currency=currency,
        curve=collection_curve(policies, styles, int(simulation["portfolio"]["days"])),
        summary=summary_rows(metrics, currency),
        comparisons=[comparison_row(c, currency) for c in simulation.get("comparisons", [])],
        roll_rates={label: roll_rate_table(m["roll_rates"]) for label, m in metrics.items()},
        contact_bars=bar_chart(metrics, "contacts_per_case", _channels(metrics), styles),
        cost_bars=bar_chart(metrics, "cost_per_case", COST_COMPONENTS, styles),
        compliance=compliance_rows(metrics),
        prices=flatten(simulation.get("cost_config", {})),
        marker_shape=marker_shape,
    )


@dataclass(frozen=True)
class CurveLine:
    label: str
    style: PolicyStyle
    points: str  # polyline points
    markers: list[tuple[float, float]]
    last_pct: str


@dataclass(frozen=True)
class Curve:
    box: Box
    x: Axis
    y: Axis
    lines: list[CurveLine]


def collection_curve(
    policies: Sequence[Mapping[str, Any]], styles: Mapping[str, PolicyStyle], days: int
) -> Curve:
    """Cumulative share recovered by day, one line per policy, on shared axes."""
    series = {
        p["label"]: [
            (float(point["day"]), float(Decimal(point["recovered_pct"])))
            for point in p["metrics"]["collection_curve"]
        ]
        for p in policies
    }
    highest = max((y for points in series.values() for _, y in points), default=0.0)
    last_day = max((x for points in series.values() for x, _ in points), default=0.0)
    x = x_axis(max(float(days), last_day), CURVE_BOX)
    y = y_axis(highest, CURVE_BOX)
    lines = []
    for label, points in series.items():
        placed = plot_points(points, x.top, y.top, CURVE_BOX)
        every = max(1, len(placed) // CURVE_MARKERS)
        last = points[-1][1] if points else 0.0
        lines.append(
            CurveLine(
                label, styles[label], polyline(placed), placed[::every], _share(Decimal(last))
            )
        )
    return Curve(CURVE_BOX, x, y, lines)


def marker_shape(shape: str, x: float, y: float, size: float = 4.5) -> str:
    """Polygon points of a curve marker centred on (x, y) (a circle is drawn as such)."""
    corners = MARKER_CORNERS[shape]
    return polyline([(round(x + dx * size, 1), round(y + dy * size, 1)) for dx, dy in corners])


@dataclass(frozen=True)
class Bar:
    label: str  # policy label
    style: PolicyStyle
    y: float
    length: float
    value: str


@dataclass(frozen=True)
class BarGroup:
    name: str
    label_y: float
    bars: list[Bar]


@dataclass(frozen=True)
class BarChart:
    box: Box
    height: float
    groups: list[BarGroup]


def bar_chart(
    metrics: Mapping[str, Mapping[str, Any]],
    field: str,
    categories: Sequence[str],
    styles: Mapping[str, PolicyStyle],
) -> BarChart:
    """Horizontal bars per category, one per policy, on one scale (the longest fills it)."""
    values = {
        label: {name: _decimal(m[field].get(name)) or Decimal(0) for name in categories}
        for label, m in metrics.items()
    }
    top = float(max((v for row in values.values() for v in row.values()), default=Decimal(0)))
    groups, y = [], BAR_AREA.top
    for name in categories:
        bars = []
        for label, row in values.items():
            value = row[name]
            shown = _money(value) if field == "cost_per_case" else f"{value:,.2f}"
            bars.append(
                Bar(label, styles[label], y, bar_length(float(value), top, BAR_AREA.width), shown)
            )
            y += BAR_HEIGHT + BAR_GAP
        groups.append(BarGroup(COMPONENT_LABELS.get(name, name), (bars[0].y + y) / 2, bars))
        y += GROUP_GAP
    return BarChart(BAR_AREA, y, groups)


def roll_rate_table(roll_rates: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """Rows (from bucket) by columns (where the cases went), each cell a share and a shade;
    ``entered`` (how many cases were ever in the bucket) is a count, shown on its own."""
    targets = sorted(
        {t for row in roll_rates.values() for t in row if t != ENTERED},
        key=lambda t: (BUCKET_ORDER.index(t) if t in BUCKET_ORDER else len(BUCKET_ORDER), t),
    )
    rows = []
    for bucket, row in roll_rates.items():
        entered = _decimal(row.get(ENTERED))
        cells = []
        for target in targets:
            # no case was ever in the bucket: its shares are 0 of 0, shown as none
            share = None if entered == 0 else _decimal(row.get(target))
            cells.append({"text": _share(share), "shade": heat(share)})
        rows.append({"bucket": bucket, "entered": _formatter("whole", "")(entered), "cells": cells})
    return {"targets": targets, "rows": rows}


def heat(share: Decimal | None) -> str:
    """Cell background: white for 0 to a mid blue for 1 (dark text stays readable)."""
    if share is None:
        return "#f4f4f4"
    mix = min(max(share, Decimal(0)), Decimal(1)) * HEAT_MAX_MIX
    channels = (round(255 - mix * (255 - c)) for c in HEAT_COLOUR)
    return "#" + "".join(f"{c:02x}" for c in channels)


def comparison_row(comparison: Mapping[str, Any], currency: str) -> dict[str, str]:
    """One compared metric in words: values, difference, 95 % interval and a verdict."""
    key = str(comparison["metric"])
    label, kind = METRICS.get(key, (key.replace("_", " ").replace(".", ": "), "number"))
    low, high = (_decimal(v) for v in comparison["ci95"])
    excludes_zero = low is not None and high is not None and (low > 0 or high < 0)
    if low is None or high is None:
        verdict = "No interval: too few cases had a value"
    elif low == high == 0:
        verdict = "No: no difference in any resample"
    elif low > 0:
        verdict = f"Yes: {comparison['challenger']} is higher"
    elif high < 0:
        verdict = f"Yes: {comparison['challenger']} is lower"
    else:
        verdict = "No: the difference may be chance"
    show = _formatter(kind, currency)
    diff = _formatter(kind, currency, signed=True)
    return {
        "metric": label,
        "pair": f"{comparison['challenger']} vs {comparison['baseline']}",
        "baseline": show(_decimal(comparison["baseline_value"])),
        "challenger": show(_decimal(comparison["challenger_value"])),
        "difference": diff(_decimal(comparison["difference"])),
        "interval": f"{diff(low)} to {diff(high)}",
        "excludes_zero": "yes" if excludes_zero else "no",
        "verdict": verdict,
        "resamples": str(comparison.get("resamples", "")),
    }


def summary_rows(
    metrics: Mapping[str, Mapping[str, Any]], currency: str
) -> dict[str, list[dict[str, Any]]]:
    """The headline figures, one row each with a column per policy: recovery and cost, and
    what the borrowers went through."""

    def row(name: str, path: tuple[str, ...], kind: str) -> dict[str, Any]:
        show = _formatter(kind, currency)
        return {"name": name, "values": [show(_decimal(_dig(m, path))) for m in metrics.values()]}

    def count(name: str, field: str) -> dict[str, Any]:
        return {
            "name": name,
            "values": [
                f"{m[field]} ({_share(Decimal(m[field]) / max(m['accounts'], 1))})"
                for m in metrics.values()
            ],
        }

    return {
        "recovery": [row(name, path, kind) for name, path, kind in RECOVERY_ROWS],
        "experience": [
            *(row(name, path, kind) for name, path, kind in EXPERIENCE_ROWS),
            *(count(name, field) for name, field in COUNTED),
        ],
    }


def flatten(tree: Mapping[str, Any], prefix: str = "") -> list[tuple[str, str]]:
    """A nested mapping as (dotted key, value) rows, in the document's order."""
    rows: list[tuple[str, str]] = []
    for key, value in tree.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            rows.extend(flatten(value, f"{name}."))
        else:
            rows.append((name, str(value)))
    return rows


def _channels(metrics: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """The four channels in their usual order, then any other a run reported."""
    seen = {channel for m in metrics.values() for channel in m["contacts_per_case"]}
    return [*CHANNELS, *sorted(seen - set(CHANNELS))]


def compliance_rows(metrics: Mapping[str, Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Deferrals and blocks by reason, a count per policy (0 where a policy had none)."""
    keys = sorted(
        {
            (decision, reason)
            for m in metrics.values()
            for decision, reasons in m["compliance"].items()
            for reason in reasons
        }
    )
    return [
        {
            "decision": decision,
            "reason": reason.replace("_", " "),
            "counts": [
                str(m["compliance"].get(decision, {}).get(reason, 0)) for m in metrics.values()
            ],
        }
        for decision, reason in keys
    ]


def _dig(metrics: Mapping[str, Any], path: tuple[str, ...]) -> Any:
    value: Any = metrics
    for key in path:
        value = value.get(key) if isinstance(value, Mapping) else None
    return value


def _decimal(value: Any) -> Decimal | None:
    """A number of the document (a decimal string or an integer); None stays None."""
    return None if value is None else Decimal(str(value))


def _formatter(kind: str, currency: str, *, signed: bool = False) -> Any:
    sign = "+" if signed else ""

    def show(value: Decimal | None) -> str:
        if value is None:
            return NO_VALUE
        if kind == "share":
            points = " pp" if signed else " %"
            return f"{value * 100:{sign}.1f}{points}"
        if kind == "money":
            return f"{_money(value, sign)} {currency}"
        if kind == "hours":
            return f"{value:{sign}.1f} h"
        if kind == "whole":
            return f"{value:{sign},.0f}"
        places = 2 if kind == "amount" else 3  # per-case rates of rare events need 3
        return f"{value:{sign},.{places}f}"

    return show


def _share(value: Decimal | None) -> str:
    return NO_VALUE if value is None else f"{value * 100:.1f} %"


def _money(value: Decimal, sign: str = "") -> str:
    """Two decimals for whole amounts; more for the fractions of a cent AWS costs per case."""
    size = abs(value)
    places = 2 if size >= 1 or size == 0 else 4 if size >= Decimal("0.01") else 6
    return f"{value:{sign},.{places}f}"
