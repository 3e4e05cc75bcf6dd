"""The event validators (``domain.events``) agree with the pydantic models they come from
(``domain.event_models``), in a checkout and from the compiled schemas an asset ships."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import pytest
from arrears.domain import event_models, event_types, events
from arrears.domain.core_schema import decode, encode
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel
from pydantic import ValidationError as PydanticValidationError
from pydantic_core import SchemaValidator, ValidationError

# pydantic's answer and the validators', for a class of domain.events: a dict of the fields,
# or the value-free description of every problem
Outcome = tuple[str, Any]

PAYMENT = {
    "event_id": "evt-1", "account_id": "acc-1", "obligation_id": "obl-1",
    "status": "OVERDUE", "amount_due": "1250.00", "amount_paid": "0.00", "currency": "CNY",
    "due_date": "2026-11-01", "occurred_at": "2026-11-02T01:00:00+08:00", "sequence": 7,
    "borrower": {"name": "B", "phone": "+8613800138000", "email": "b@example.com",
                 "locale": "zh-CN", "timezone": "Asia/Shanghai", "country": "CN"},
    "account": {"credit_limit": "5000.00", "opened_at": "2024-01-01", "prior_cures": 1},
    "principal": "1200.00", "interest": "30.00", "fees": "20.00",
}  # fmt: skip
REPLY = {"account_id": "acc-1", "channel": "sms", "text": "I will pay friday",
         "received_at": "2026-11-02T01:00:00Z", "event_id": "r-1"}  # fmt: skip
ACK = {"event_id": "ack-1", "case_id": "acc-1#1", "sequence": 3, "action": "freeze",
       "result": "applied", "occurred_at": "2026-11-02T01:00:00Z"}  # fmt: skip
ENVELOPE = {"id": "eb-1", "source": "wallet.payments", "detail-type": "PaymentStatusChanged",
            "time": "2026-11-02T01:00:00Z", "detail": {"a": 1}}  # fmt: skip
VALID = {
    "PaymentStatusChanged": PAYMENT,
    "BorrowerReplied": REPLY,
    "CreditLineAcknowledged": ACK,
    "Envelope": ENVELOPE,
}
PLAUSIBLE = sorted(
    {json.dumps(value) for example in VALID.values() for value in example.values()}
    | {json.dumps(value) for value in [*PAYMENT["borrower"].values(), *PAYMENT["account"].values()]}
)
PLAUSIBLE = [json.loads(value) for value in PLAUSIBLE]  # type: ignore[misc]
MODELS = {plain.__name__: model for model, plain in event_models.MODELS.items()}

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=6,
)


def fields_of(value: Any) -> Any:
    """An event (plain or pydantic) as nested dicts of its fields, to compare the two."""
    if isinstance(value, BaseModel):
        return {name: fields_of(getattr(value, name)) for name in type(value).model_fields}
    if isinstance(value, event_types.Record):
        return {name: fields_of(item) for name, item in value.__dict__.items()}
    return value


def outcome(validate: Callable[[Any], Any], data: Any) -> Outcome:
    try:
        return "valid", fields_of(validate(data))
    except (ValidationError, PydanticValidationError) as error:
        return "invalid", events.describe(error)


def compiled_validators() -> dict[str, SchemaValidator]:
    """What an asset validates with: the schemas through JSON text and back."""
    shipped = json.loads(json.dumps({n: encode(s) for n, s in event_models.core_schemas().items()}))
    return {name: SchemaValidator(decode(schema)) for name, schema in shipped.items()}


COMPILED = compiled_validators()


def assert_agree(name: str, data: Any) -> None:
    expected = outcome(MODELS[name].model_validate, copy.deepcopy(data))
    assert outcome(events._validators()[name].validate_python, copy.deepcopy(data)) == expected
    assert outcome(COMPILED[name].validate_python, copy.deepcopy(data)) == expected


def mutated(base: dict[str, Any], changes: dict[str, Any], dropped: list[str]) -> dict[str, Any]:
    data = copy.deepcopy(base)
    for path, value in changes.items():
        *parents, leaf = path.split(".")
        target = data
        for part in parents:
            target = target.setdefault(part, {}) if isinstance(target.get(part), dict) else target
        target[leaf] = value
    for key in dropped:
        data.pop(key, None)
    return data


def field_paths(base: dict[str, Any]) -> list[str]:
    paths = []
    for key, value in base.items():
        paths.append(key)
        if isinstance(value, dict):
            paths += [f"{key}.{inner}" for inner in value]
    return paths


@pytest.mark.parametrize("name", sorted(VALID))
def test_the_valid_examples_give_the_same_event(name: str) -> None:
    assert outcome(events._validators()[name].validate_python, VALID[name])[0] == "valid"
    assert_agree(name, VALID[name])


@pytest.mark.parametrize("name", sorted(VALID))
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_changed_fields_are_accepted_or_refused_alike(name: str, data: st.DataObject) -> None:
    base = VALID[name]
    paths = [*field_paths(base), "unknown", "borrower.unknown"]
    # any JSON value, or one that is valid somewhere in some event (so many pass)
    values = json_values | st.sampled_from(PLAUSIBLE)
    changes = data.draw(st.dictionaries(st.sampled_from(paths), values, max_size=3))
    dropped = data.draw(st.lists(st.sampled_from(sorted(base)), max_size=2))
    assert_agree(name, mutated(base, changes, dropped))


@pytest.mark.parametrize("name", sorted(VALID))
@settings(max_examples=60, deadline=None)
@given(value=json_values)
def test_anything_else_is_refused_alike(name: str, value: Any) -> None:
    assert_agree(name, value)


@pytest.mark.parametrize("name", sorted(VALID))
def test_events_copy_and_pickle_as_the_models_did(name: str) -> None:
    import pickle

    event = events._validators()[name].validate_python(copy.deepcopy(VALID[name]))
    for again in (copy.copy(event), copy.deepcopy(event), pickle.loads(pickle.dumps(event))):
        assert again == event and type(again) is type(event)
    with pytest.raises(AttributeError):
        event.source = "changed"  # still frozen


@pytest.mark.parametrize("model", sorted(event_models.MODELS, key=lambda m: m.__name__))
def test_each_plain_class_declares_the_fields_of_its_model(model: type[BaseModel]) -> None:
    # the rest of the code reads the plain class's annotations (mypy): a field added to the
    # model alone would be set on every event but typed nowhere
    from typing import get_type_hints

    plain = event_models.MODELS[model]
    assert set(get_type_hints(plain)) == set(model.model_fields)
