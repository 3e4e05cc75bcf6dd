"""Handlers for the benchmark ladder: no I/O, so the runtime's own costs are measured."""

from __future__ import annotations

import os
from typing import Any

# days between stages on virtual time; the unmodified-moto baseline sets all to zero
GAPS_DAYS = (1, 6, 7, 16, 15, 15)
DEADLINE_DAYS = 3


def assess(event: dict[str, Any], context: Any) -> dict[str, Any]:
    if os.environ.get("BENCH_ZERO_WAITS") == "1":
        return {"gaps": [0] * len(GAPS_DAYS), "deadline_seconds": 1}
    return {
        "gaps": [d * 86400 for d in GAPS_DAYS],
        "deadline_seconds": DEADLINE_DAYS * 86400,
    }


def contact(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return {"sent": True, "stage": event["stage"]}


def record(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return {"ok": True}
