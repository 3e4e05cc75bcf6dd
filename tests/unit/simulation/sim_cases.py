"""Small per-case reports (docs/report.schema.json shape) for the simulation's unit tests."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from arrears.local.simulation.costs import CostConfig

# only SMS and letters cost anything, so costs are easy to add up by hand
PRICES = {
    "state_transition": "0", "lambda_invocation": "0", "lambda_gb_second": "0",
    "lambda_seconds_per_invocation": "0", "lambda_memory_gb": "0",
    "dynamodb_per_invocation": "0", "sms": "1", "email": "0", "letter": "10",
}  # fmt: skip
CONFIG = CostConfig(
    reporting_currency="USD",
    prices={k: Decimal(v) for k, v in PRICES.items()},
    rates={"USD": Decimal(1), "GBP": Decimal(2)},
)


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
