"""Small per-case reports (docs/report.schema.json shape) for the simulation's unit tests."""

from __future__ import annotations

import tempfile
from decimal import Decimal
from pathlib import Path
from typing import Any

from arrears.local.simulation.costs import CostConfig, load_cost_config

# only SMS (1 USD) and letters (10 USD) cost anything, so costs add up by hand; a GBP is 2 USD
COSTS_YAML = """
reporting_currency: USD
rates: {USD: "1", GBP: "2"}
country_by_currency: {}
stepfunctions: {per_state_transition: "0 USD"}
lambda:
  per_request: "0 USD"
  per_gb_second: "0 USD"
  default: {duration_ms: 200, memory_mb: 512}
  functions: {}
dynamodb:
  per_write_unit: "0 USD"
  per_read_unit: "0 USD"
  write_units_per_invocation: 6
  write_units_per_ledger_entry: 6
  read_units_per_write_unit: "1"
sms: {per_message: {default: "1 USD"}}
email: {per_message: "0 USD"}
letters: {per_letter: {default: "10 USD"}}
"""


def _config() -> CostConfig:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "costs.yaml"
        path.write_text(COSTS_YAML, encoding="utf-8")
        return load_cost_config(path)


CONFIG = _config()


def entry(at: str, kind: str, **detail: Any) -> dict[str, Any]:
    return {"at": at, "kind": kind, "actor": "system:test", "detail": detail}


def contact(channel: str, at: str) -> dict[str, Any]:
    return {"channel": channel, "template": "reminder", "sent_at": at, "local_time": None}


def case(
    account_id: str,
    *,
    owed: str,
    due: str,
    opened: str,
    currency: str = "USD",
    balance: str | None = None,
    status: str = "OPEN",
    closed: str | None = None,
    outcome: str | None = None,
    contacts: list[dict[str, Any]] | None = None,
    blocked: list[dict[str, Any]] | None = None,
    letters: int = 0,
    timeline: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    balance = balance if balance is not None else owed
    return {
        "case_id": f"{account_id}#1",
        "account_id": account_id,
        "status": status,
        "stage": "reminder",
        "outcome": outcome,
        "currency": currency,
        "balance": balance,
        "amount_recovered": f"{Decimal(owed) - Decimal(balance):.2f}",
        "opened_at": opened,
        "closed_at": closed,
        "contacts": contacts or [],
        "blocked": blocked or [],
        "letters": [{"kind": "demand_letter", "key": "k", "sha256": None}] * letters,
        "state_transitions": [],
        "lambda_invocations": {"total": 0, "errors": 0, "by_function": {}},
        "timeline": [
            entry(opened, "case_opened", balance=owed, currency=currency, due_date=due),
            *(timeline or []),
        ],
    }
