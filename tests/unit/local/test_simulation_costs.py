"""The simulation's cost model: hand-priced cases, currency conversion, and a bad cost file."""

from __future__ import annotations

import copy
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml
from arrears.local.simulation.costs import (
    CostConfig,
    CostConfigError,
    case_cost,
    load_cost_config,
    to_reporting,
)

# Round numbers so every cost below can be worked out by hand.
CONFIG: dict[str, Any] = {
    "reporting_currency": "USD",
    "rates": {"USD": "1", "GBP": "1.25", "EUR": "1.10"},
    "country_by_currency": {"GBP": "GB"},
    "stepfunctions": {"per_state_transition": "0.000025 USD"},
    "lambda": {
        "per_request": "0.0000002 USD",
        "per_gb_second": "0.0000166667 USD",
        "default": {"duration_ms": 200, "memory_mb": 512},
        "functions": {"arrears-letter": {"duration_ms": 500, "memory_mb": 1024}},
    },
    "dynamodb": {
        "per_write_unit": "0.000000625 USD",
        "per_read_unit": "0.000000125 USD",
        "write_units_per_invocation": 6,
        "write_units_per_ledger_entry": 6,
        "read_units_per_write_unit": "1",
    },
    "sms": {"per_message": {"GB": "0.0400 USD", "default": "0.0500 USD"}},
    "email": {"per_message": "0.0001 USD"},
    "letters": {"per_letter": {"GB": "0.80 GBP", "default": "1.50 USD"}},
}


def write_config(tmp_path: Path, document: Any) -> Path:
    path = tmp_path / "costs.yaml"
    path.write_text(yaml.safe_dump(document), encoding="utf-8")
    return path


@pytest.fixture
def config(tmp_path: Path) -> CostConfig:
    return load_cost_config(write_config(tmp_path, CONFIG))


def a_case(**overrides: Any) -> dict[str, Any]:
    """A GBP case: 28 states, 3 contact + 2 letter invocations, 2 SMS, 1 email, 1 letter
    contact, 1 blocked contact and 2 letters printed."""
    case: dict[str, Any] = {
        "case_id": "acc-gb-001#1",
        "account_id": "acc-gb-001",
        "currency": "GBP",
        "state_transitions": [
            {"state": f"S{i}", "entered_at": "2026-11-02T00:00:00Z", "execution": "e"}
            for i in range(28)
        ],
        "lambda_invocations": {
            "total": 5,
            "errors": 0,
            "by_function": {"arrears-contact": 3, "arrears-letter": 2},
        },
        "contacts": [
            {"channel": channel, "template": None, "sent_at": "2026-11-02T09:00:00Z"}
            for channel in ("sms", "sms", "email", "letter")
        ],
        "blocked": [{"channel": "sms", "decision": "deferred", "reason": "quiet_hours", "at": "x"}],
        "letters": [{"kind": "demand", "key": "k1"}, {"kind": "lawyer", "key": "k2"}],
    }
    case.update(overrides)
    return case


def test_a_case_is_priced_component_by_component(config: CostConfig):
    costs = case_cost(a_case(), config)

    # 28 transitions at $0.000025
    assert costs["stepfunctions"] == Decimal("0.0007")
    # 5 requests at $0.0000002, and 3 x 0.2 s x 0.5 GB + 2 x 0.5 s x 1 GB = 1.3 GB-s
    assert costs["lambda"] == Decimal("0.000001") + Decimal("1.3") * Decimal("0.0000166667")
    # (5 invocations + 5 ledger entries: 4 sent, 1 deferred) x 6 = 60 WRU, and 60 RRU
    assert costs["dynamodb"] == 60 * Decimal("0.000000625") + 60 * Decimal("0.000000125")
    # the GBP case is a GB borrower: 2 SMS at the GB price; the letter contact is no SMS
    assert costs["sms"] == Decimal("0.08")
    assert costs["email"] == Decimal("0.0001")
    # 2 letters at GBP 0.80, converted at 1.25
    assert costs["letters"] == Decimal("2.00")
    assert costs["total"] == Decimal("2.08086766671")
    assert set(costs) == {"stepfunctions", "lambda", "dynamodb", "sms", "email", "letters", "total"}


def test_a_country_on_the_case_wins_over_its_currency_and_an_unknown_one_pays_the_default(
    config: CostConfig,
):
    assert case_cost(a_case(country="GB", currency="EUR"), config)["sms"] == Decimal("0.08")
    french = case_cost(a_case(country="FR", currency="GBP"), config)
    assert french["sms"] == Decimal("0.10")  # 2 x the default $0.05
    assert french["letters"] == Decimal("3.00")  # 2 x the default $1.50


def test_a_case_whose_currency_names_no_country_pays_the_default_prices(config: CostConfig):
    for currency in ("EUR", None):
        costs = case_cost(a_case(currency=currency), config)
        assert costs["sms"] == Decimal("0.10")
        assert costs["letters"] == Decimal("3.00")


def test_an_empty_case_costs_nothing(config: CostConfig):
    empty = a_case(
        state_transitions=[],
        lambda_invocations={"total": 0, "errors": 0, "by_function": {}},
        contacts=[],
        blocked=[],
        letters=[],
    )
    assert set(case_cost(empty, config).values()) == {Decimal(0)}


def test_money_converts_at_the_configured_rate(config: CostConfig):
    assert to_reporting(Decimal("10.00"), "GBP", config) == Decimal("12.50")
    assert to_reporting(Decimal("3.00"), "EUR", config) == Decimal("3.30")
    assert to_reporting(Decimal("7.25"), "USD", config) == Decimal("7.25")
    with pytest.raises(CostConfigError, match="no rate for currency 'JPY' into USD"):
        to_reporting(Decimal("1"), "JPY", config)


def test_the_shipped_defaults_price_every_market_and_convert_every_demo_currency():
    shipped = load_cost_config()
    assert shipped.reporting_currency == "USD"
    assert {"USD", "CNY", "GBP", "INR", "AUD", "BRL", "MXN", "EUR", "IDR"} <= set(shipped.rates)
    for table in (shipped.sms_per_message, shipped.letters_per_letter):
        assert {"CN", "US", "GB", "IN", "AU", "BR", "MX", "default"} <= set(table)
    # GB-seconds follow from the sizes: the letter function is 0.5 s at 1 GB
    assert shipped.lambda_functions["arrears-letter"].gb_seconds == Decimal("0.5")


def test_the_config_written_out_reads_back_the_same(tmp_path: Path):
    shipped = load_cost_config()
    again = load_cost_config(write_config(tmp_path, shipped.as_strings()))
    assert again == shipped


def mutated(path: tuple[str, ...], value: Any) -> dict[str, Any]:
    """CONFIG with the field at ``path`` set to ``value`` (removed when value is ...)."""
    document = copy.deepcopy(CONFIG)
    parent = document
    for key in path[:-1]:
        parent = parent[key]
    if value is ...:
        del parent[path[-1]]
    else:
        parent[path[-1]] = value
    return document


@pytest.mark.parametrize(
    ("document", "message"),
    [
        (["not", "a", "mapping"], "the file: must be a mapping"),
        (mutated(("reporting_currency",), ...), "reporting_currency: missing"),
        (mutated(("reporting_currency",), ""), "reporting_currency: must be a non-empty string"),
        (mutated(("lamda",), {}), "lamda: unknown field"),
        (mutated(("rates", "USD"), "2"), "rates.USD: the reporting currency's own rate must be"),
        (mutated(("rates", "GBP"), "-1"), "rates.GBP: '-1' is not a non-negative decimal"),
        (mutated(("rates", "GBP"), "0"), "rates.GBP: a rate cannot be zero"),
        (mutated(("rates", "GBP"), 1.25), "rates.GBP: write the number as a quoted string"),
        (mutated(("country_by_currency", "GBP"), 44), "country_by_currency.GBP: must be a non-emp"),
        (mutated(("email",), "0.0001 USD"), "email: must be a mapping"),
        (
            mutated(("stepfunctions", "per_state_transition"), "0.000025"),
            "stepfunctions.per_state_transition: '0.000025' is not '<amount> <currency>'",
        ),
        (
            mutated(("stepfunctions", "per_state_transition"), "abc USD"),
            "stepfunctions.per_state_transition: 'abc' is not a non-negative decimal",
        ),
        (
            mutated(("email", "per_message"), "0.0001 JPY"),
            "email.per_message: currency 'JPY' has no entry under rates",
        ),
        (mutated(("lambda", "per_request"), ...), "lambda.per_request: missing"),
        (
            mutated(("lambda", "default", "memory_mb"), 0),
            "lambda.default.memory_mb: 0 is not a positive whole number",
        ),
        (
            mutated(("lambda", "functions", "arrears-letter", "cpu"), 2),
            "lambda.functions.arrears-letter.cpu: unknown field",
        ),
        (
            mutated(("dynamodb", "write_units_per_invocation"), "six"),
            "dynamodb.write_units_per_invocation: 'six' is not a non-negative whole number",
        ),
        (
            mutated(("dynamodb", "read_units_per_write_unit"), ...),
            "dynamodb.read_units_per_write_unit: missing",
        ),
        (mutated(("sms", "per_message", "default"), ...), "sms.per_message.default: missing"),
        (mutated(("letters", "per_letter", "GB"), None), "letters.per_letter.GB: missing"),
    ],
)
def test_a_bad_cost_file_is_refused_with_one_line_naming_the_field(
    tmp_path: Path, document: Any, message: str
):
    path = write_config(tmp_path, document)
    with pytest.raises(CostConfigError) as raised:
        load_cost_config(path)
    text = str(raised.value)
    assert text.startswith(f"cost file {path}: {message}")
    assert "\n" not in text


def test_an_unreadable_or_malformed_file_is_refused_in_one_line(tmp_path: Path):
    with pytest.raises(CostConfigError, match="cannot be read"):
        load_cost_config(tmp_path / "absent.yaml")
    broken = tmp_path / "broken.yaml"
    broken.write_text("rates: [unclosed\n", encoding="utf-8")
    with pytest.raises(CostConfigError, match=r"not valid YAML at line 2$"):
        load_cost_config(broken)
