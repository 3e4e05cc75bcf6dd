"""What a case costs, in one reporting currency (unit prices and rates from ``costs.yaml``).

A stand-in with the agreed interface (``load_cost_config``, ``case_cost``, ``to_reporting``):
AWS usage from the per-case report's state transitions and Lambda invocations, messages and
letters from its contacts.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import yaml

DEFAULT_FILE = Path(__file__).with_name("costs.yaml")
PRICES = (
    "state_transition", "lambda_invocation", "lambda_gb_second", "lambda_seconds_per_invocation",
    "lambda_memory_gb", "dynamodb_per_invocation", "sms", "email", "letter",
)  # fmt: skip


class CostConfigError(ValueError):
    """The cost file cannot be used; the message names the file and the field."""


@dataclass(frozen=True)
class CostConfig:
    reporting_currency: str
    prices: Mapping[str, Decimal]
    rates: Mapping[str, Decimal]


def load_cost_config(path: Path | None = None) -> CostConfig:
    where = path or DEFAULT_FILE
    try:
        raw = yaml.safe_load(where.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CostConfigError(f"cost file {where}: no such file") from None
    except (OSError, yaml.YAMLError) as exc:
        raise CostConfigError(f"cost file {where}: {exc}") from None
    if not isinstance(raw, dict) or not isinstance(raw.get("reporting_currency"), str):
        raise CostConfigError(f"cost file {where}: reporting_currency is required")
    prices = _decimals(where, raw, "prices")
    missing = [name for name in PRICES if name not in prices]
    if missing:
        raise CostConfigError(f"cost file {where}: prices.{missing[0]} is required")
    rates = _decimals(where, raw, "rates")
    currency = raw["reporting_currency"]
    if rates.get(currency) != Decimal(1):
        raise CostConfigError(f"cost file {where}: rates.{currency} must be 1")
    return CostConfig(reporting_currency=currency, prices=prices, rates=rates)


def case_cost(case: Mapping[str, Any], config: CostConfig) -> dict[str, Decimal]:
    p = config.prices
    invocations = Decimal(case["lambda_invocations"]["total"])
    channels = [contact["channel"] for contact in case["contacts"]]
    parts = {
        "stepfunctions": len(case["state_transitions"]) * p["state_transition"],
        "lambda": invocations
        * (
            p["lambda_invocation"]
            + p["lambda_gb_second"] * p["lambda_seconds_per_invocation"] * p["lambda_memory_gb"]
        ),
        "dynamodb": invocations * p["dynamodb_per_invocation"],
        "sms": channels.count("sms") * p["sms"],
        "email": channels.count("email") * p["email"],
        "letters": len(case["letters"]) * p["letter"],
    }
    parts["total"] = sum(parts.values(), Decimal(0))
    return parts


def to_reporting(amount: Decimal, currency: str, config: CostConfig) -> Decimal:
    rate = config.rates.get(currency)
    if rate is None:
        raise CostConfigError(f"no rate for {currency} in the cost file")
    return amount * rate


def _decimals(where: Path, raw: Mapping[str, Any], name: str) -> dict[str, Decimal]:
    values = raw.get(name)
    if not isinstance(values, dict):
        raise CostConfigError(f"cost file {where}: {name} must be a mapping")
    out: dict[str, Decimal] = {}
    for key, value in values.items():
        try:
            number = Decimal(str(value))
        except InvalidOperation:
            number = Decimal(-1)
        if isinstance(value, bool) or not number.is_finite() or number < 0:
            raise CostConfigError(f"cost file {where}: {name}.{key} must be a number >= 0")
        out[str(key)] = number
    return out
