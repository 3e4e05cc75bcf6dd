"""What a simulated case costs: AWS, messages and letters, in one reporting currency.

Unit prices and currency rates come from a YAML file (the shipped defaults are
``costs.yaml`` beside this module); ``case_cost`` prices one case of the local runtime's
report (docs/report.schema.json). The rates are configured values, never fetched.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, NoReturn

import yaml

DEFAULT_COST_FILE = Path(__file__).with_name("costs.yaml")
DEFAULT_PRICE_KEY = "default"  # the country-table entry for every country not listed
COMPONENTS = ("stepfunctions", "lambda", "dynamodb", "sms", "email", "letters")
_MB_PER_GB = Decimal(1024)
_MS_PER_S = Decimal(1000)


class CostConfigError(ValueError):
    """A cost file that cannot be used; the message is one line naming the field."""


@dataclass(frozen=True)
class Price:
    amount: Decimal
    currency: str

    def __str__(self) -> str:
        return f"{self.amount} {self.currency}"


@dataclass(frozen=True)
class FunctionSize:
    """Assumed average duration and memory of one Lambda invocation."""

    duration_ms: int
    memory_mb: int

    @property
    def gb_seconds(self) -> Decimal:
        return Decimal(self.duration_ms) / _MS_PER_S * Decimal(self.memory_mb) / _MB_PER_GB


@dataclass(frozen=True)
class CostConfig:
    reporting_currency: str
    rates: Mapping[str, Decimal]  # one unit of the currency, in the reporting currency
    country_by_currency: Mapping[str, str]
    stepfunctions_per_transition: Price
    lambda_per_request: Price
    lambda_per_gb_second: Price
    lambda_default: FunctionSize
    lambda_functions: Mapping[str, FunctionSize]
    dynamodb_per_write_unit: Price
    dynamodb_per_read_unit: Price
    dynamodb_write_units_per_invocation: int
    dynamodb_write_units_per_ledger_entry: int
    dynamodb_read_units_per_write_unit: Decimal
    sms_per_message: Mapping[str, Price]  # by country, with a "default" entry
    email_per_message: Price
    letters_per_letter: Mapping[str, Price]  # by country, with a "default" entry

    def as_strings(self) -> dict[str, Any]:
        """The prices and rates as JSON-ready strings, in the YAML file's layout."""

        def sizes(size: FunctionSize) -> dict[str, int]:
            return {"duration_ms": size.duration_ms, "memory_mb": size.memory_mb}

        return {
            "reporting_currency": self.reporting_currency,
            "rates": {code: str(rate) for code, rate in self.rates.items()},
            "country_by_currency": dict(self.country_by_currency),
            "stepfunctions": {"per_state_transition": str(self.stepfunctions_per_transition)},
            "lambda": {
                "per_request": str(self.lambda_per_request),
                "per_gb_second": str(self.lambda_per_gb_second),
                "default": sizes(self.lambda_default),
                "functions": {name: sizes(s) for name, s in self.lambda_functions.items()},
            },
            "dynamodb": {
                "per_write_unit": str(self.dynamodb_per_write_unit),
                "per_read_unit": str(self.dynamodb_per_read_unit),
                "write_units_per_invocation": self.dynamodb_write_units_per_invocation,
                "write_units_per_ledger_entry": self.dynamodb_write_units_per_ledger_entry,
                "read_units_per_write_unit": str(self.dynamodb_read_units_per_write_unit),
            },
            "sms": {"per_message": {k: str(p) for k, p in self.sms_per_message.items()}},
            "email": {"per_message": str(self.email_per_message)},
            "letters": {"per_letter": {k: str(p) for k, p in self.letters_per_letter.items()}},
        }


def load_cost_config(path: Path | None = None) -> CostConfig:
    """Read a cost file (None: the shipped defaults); CostConfigError names what is wrong."""
    source = path or DEFAULT_COST_FILE
    try:
        document = yaml.safe_load(source.read_text(encoding="utf-8"))
    except OSError as exc:
        raise CostConfigError(f"cost file {source}: cannot be read ({exc.strerror})") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise CostConfigError(f"cost file {source}: not valid YAML{where}") from None
    return _parse(_Fields(document, str(source), ""))


def to_reporting(amount: Decimal, currency: str, config: CostConfig) -> Decimal:
    """``amount`` of ``currency`` in the reporting currency, at the configured rate."""
    rate = config.rates.get(currency)
    if rate is None:
        raise CostConfigError(
            f"no rate for currency {currency!r} into {config.reporting_currency} in the cost config"
        )
    return amount * rate


def case_country(case: Mapping[str, Any], config: CostConfig) -> str | None:
    """The borrower's country: the case's own if it carries one, else its currency's."""
    country = case.get("country")
    if country:
        return str(country)
    return config.country_by_currency.get(str(case.get("currency") or ""))


def case_cost(case: Mapping[str, Any], config: CostConfig) -> dict[str, Decimal]:
    """One report case priced by component (and their total), in the reporting currency."""
    invocations = case["lambda_invocations"]
    calls = int(invocations["total"])
    gb_seconds = sum(
        (
            _function_size(name, config).gb_seconds * count
            for name, count in invocations["by_function"].items()
        ),
        Decimal(0),
    )
    channels = [str(contact["channel"]) for contact in case["contacts"]]
    ledger_entries = len(channels) + len(case["blocked"])
    write_units = (
        calls * config.dynamodb_write_units_per_invocation
        + ledger_entries * config.dynamodb_write_units_per_ledger_entry
    )
    read_units = write_units * config.dynamodb_read_units_per_write_unit
    country = case_country(case, config)

    def price(unit: Price, quantity: Decimal | int) -> Decimal:
        return to_reporting(unit.amount, unit.currency, config) * quantity

    costs = {
        "stepfunctions": price(config.stepfunctions_per_transition, len(case["state_transitions"])),
        "lambda": price(config.lambda_per_request, calls)
        + price(config.lambda_per_gb_second, gb_seconds),
        "dynamodb": price(config.dynamodb_per_write_unit, write_units)
        + price(config.dynamodb_per_read_unit, read_units),
        "sms": price(_by_country(config.sms_per_message, country), channels.count("sms")),
        "email": price(config.email_per_message, channels.count("email")),
        "letters": price(_by_country(config.letters_per_letter, country), len(case["letters"])),
    }
    costs["total"] = sum(costs.values(), Decimal(0))
    return costs


def _function_size(name: str, config: CostConfig) -> FunctionSize:
    return config.lambda_functions.get(name, config.lambda_default)


def _by_country(table: Mapping[str, Price], country: str | None) -> Price:
    return table.get(country or DEFAULT_PRICE_KEY, table[DEFAULT_PRICE_KEY])


class _Fields:
    """One mapping of the cost file, with its dotted path for error messages."""

    def __init__(self, value: Any, source: str, path: str) -> None:
        self.source = source
        self.path = path
        if not isinstance(value, dict):
            self.fail(path or "the file", "must be a mapping")
        self.value: dict[str, Any] = value

    def fail(self, field: str, problem: str) -> NoReturn:
        raise CostConfigError(f"cost file {self.source}: {field}: {problem}")

    def field(self, key: str) -> str:
        return f"{self.path}.{key}" if self.path else key

    def only(self, *keys: str) -> None:
        for key in self.value:
            if key not in keys:
                expected = ", ".join(keys)
                self.fail(self.field(str(key)), f"unknown field (expected one of {expected})")

    def get(self, key: str) -> Any:
        if key not in self.value or self.value[key] is None:
            self.fail(self.field(key), "missing")
        return self.value[key]

    def section(self, key: str) -> _Fields:
        return _Fields(self.get(key), self.source, self.field(key))

    def text(self, key: str) -> str:
        value = self.get(key)
        if not isinstance(value, str) or not value.strip():
            self.fail(self.field(key), "must be a non-empty string")
        return str(value).strip()

    def decimal(self, key: str) -> Decimal:
        value = self.get(key)
        if isinstance(value, float):
            # YAML floats lose digits: prices are written as quoted strings
            self.fail(self.field(key), f"write the number as a quoted string, e.g. '{value}'")
        try:
            number = Decimal(str(value))
        except InvalidOperation:
            number = Decimal("NaN")
        if not number.is_finite() or number < 0:
            self.fail(self.field(key), f"{value!r} is not a non-negative decimal")
        return number

    def count(self, key: str, *, positive: bool = False) -> int:
        value = self.get(key)
        if isinstance(value, bool) or not isinstance(value, int) or value < int(positive):
            kind = "a positive" if positive else "a non-negative"
            self.fail(self.field(key), f"{value!r} is not {kind} whole number")
        return int(value)

    def price(self, key: str, rates: Mapping[str, Decimal]) -> Price:
        value = self.get(key)
        parts = value.split() if isinstance(value, str) else []
        if len(parts) != 2:
            self.fail(self.field(key), f"{value!r} is not '<amount> <currency>', e.g. '0.0100 USD'")
        amount = _Fields({key: parts[0]}, self.source, self.path).decimal(key)
        if parts[1] not in rates:
            self.fail(self.field(key), f"currency {parts[1]!r} has no entry under rates")
        return Price(amount, parts[1])

    def prices_by_country(self, key: str, rates: Mapping[str, Decimal]) -> dict[str, Price]:
        table = self.section(key)
        table.get(DEFAULT_PRICE_KEY)
        return {str(country): table.price(str(country), rates) for country in table.value}

    def size(self, key: str) -> FunctionSize:
        sizes = self.section(key)
        sizes.only("duration_ms", "memory_mb")
        return FunctionSize(
            sizes.count("duration_ms", positive=True), sizes.count("memory_mb", positive=True)
        )


def _parse(doc: _Fields) -> CostConfig:
    doc.only(
        "reporting_currency",
        "rates",
        "country_by_currency",
        "stepfunctions",
        "lambda",
        "dynamodb",
        "sms",
        "email",
        "letters",
    )
    reporting = doc.text("reporting_currency")
    rate_fields = doc.section("rates")
    rates = {str(code): rate_fields.decimal(str(code)) for code in rate_fields.value}
    if rates.get(reporting) != 1:
        doc.fail(f"rates.{reporting}", "the reporting currency's own rate must be '1'")
    for code, rate in rates.items():
        if rate == 0:
            doc.fail(f"rates.{code}", "a rate cannot be zero")
    countries = doc.section("country_by_currency")
    country_by_currency = {str(code): countries.text(str(code)) for code in countries.value}

    stepfunctions = doc.section("stepfunctions")
    stepfunctions.only("per_state_transition")
    aws_lambda = doc.section("lambda")
    aws_lambda.only("per_request", "per_gb_second", "default", "functions")
    functions = aws_lambda.section("functions")
    dynamodb = doc.section("dynamodb")
    dynamodb.only(
        "per_write_unit",
        "per_read_unit",
        "write_units_per_invocation",
        "write_units_per_ledger_entry",
        "read_units_per_write_unit",
    )
    sms, email, letters = doc.section("sms"), doc.section("email"), doc.section("letters")
    sms.only("per_message")
    email.only("per_message")
    letters.only("per_letter")
    return CostConfig(
        reporting_currency=reporting,
        rates=rates,
        country_by_currency=country_by_currency,
        stepfunctions_per_transition=stepfunctions.price("per_state_transition", rates),
        lambda_per_request=aws_lambda.price("per_request", rates),
        lambda_per_gb_second=aws_lambda.price("per_gb_second", rates),
        lambda_default=aws_lambda.size("default"),
        lambda_functions={str(name): functions.size(str(name)) for name in functions.value},
        dynamodb_per_write_unit=dynamodb.price("per_write_unit", rates),
        dynamodb_per_read_unit=dynamodb.price("per_read_unit", rates),
        dynamodb_write_units_per_invocation=dynamodb.count("write_units_per_invocation"),
        dynamodb_write_units_per_ledger_entry=dynamodb.count("write_units_per_ledger_entry"),
        dynamodb_read_units_per_write_unit=dynamodb.decimal("read_units_per_write_unit"),
        sms_per_message=sms.prices_by_country("per_message", rates),
        email_per_message=email.price("per_message", rates),
        letters_per_letter=letters.prices_by_country("per_letter", rates),
    )
