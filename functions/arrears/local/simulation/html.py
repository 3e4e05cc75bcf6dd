"""The HTML page of a simulation: a stand-in with the agreed interface (``render_report``),
a plain table of each policy's headline metrics and the comparisons."""

from __future__ import annotations

from collections.abc import Mapping
from html import escape
from typing import Any

HEADLINES = ("accounts", "recovered_pct", "cure_rate", "recovered_per_cost", "opt_outs",
             "disputes", "complaints", "litigation_referrals")  # fmt: skip


def render_report(simulation: Mapping[str, Any]) -> str:
    policies = simulation["policies"]
    head = "".join(f"<th>{escape(p['label'])}: {escape(p['file'])}</th>" for p in policies)
    rows = "".join(
        f"<tr><td>{escape(name)}</td>"
        + "".join(f"<td>{escape(str(p['metrics'][name]))}</td>" for p in policies)
        + "</tr>"
        for name in HEADLINES
    )
    comparisons = "".join(
        f"<tr><td>{escape(c['challenger'])} - {escape(c['baseline'])}</td>"
        f"<td>{escape(c['metric'])}</td><td>{escape(str(c['difference']))}</td>"
        f"<td>[{escape(str(c['ci95'][0]))}, {escape(str(c['ci95'][1]))}]</td></tr>"
        for c in simulation["comparisons"]
    )
    partial = "<p><strong>Partial run: interrupted.</strong></p>" if simulation["partial"] else ""
    return (
        "<!doctype html><html><head><meta charset='utf-8'><title>arrears simulate</title>"
        "</head><body><h1>arrears simulate</h1>"
        f"{partial}<p>{escape(simulation['portfolio']['source'])}, "
        f"{simulation['virtual_days_completed']} virtual days</p>"
        f"<table><tr><th>metric</th>{head}</tr>{rows}</table>"
        "<h2>Differences (95 % paired bootstrap)</h2>"
        f"<table><tr><th>policies</th><th>metric</th><th>difference</th><th>95 %</th></tr>"
        f"{comparisons}</table></body></html>\n"
    )
