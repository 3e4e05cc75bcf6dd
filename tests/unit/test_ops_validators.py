"""The ops actions' validator (``domain.ops``) agrees with the pydantic models it comes from
(``domain.ops_models``), in a checkout and from the compiled schema an asset ships: the same
actions accepted, the same fields, the same refusals with the same messages, the same JSON."""

from __future__ import annotations

import copy
import json
from typing import Annotated, Any, get_type_hints

import pytest
from arrears.domain import ops, ops_models
from arrears.domain.core_schema import decode, encode
from arrears.domain.record import replaced
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, Field, TypeAdapter
from pydantic_core import SchemaSerializer, SchemaValidator, ValidationError

BASE = {"case_id": "acc-1#1", "operator": "ana"}
VALID: dict[str, dict[str, Any]] = {
    "record_call_outcome": {"outcome": "promise_to_pay", "promise_date": "2026-12-10",
                            "promise_amount": "100.50", "note": "agreed"},
    "approve_litigation": {"approver": "lee", "reason": "no answer in 90 days"},
    "reject_litigation": {"approver": "lee", "reason": "hardship", "next_step": "hold"},
    "pause": {"until": "2026-12-01T08:00:00+08:00", "reason": "hospital"},
    "resume": {"reason": "back"},
    "opt_out": {"channel": "sms"},
    "cease_communication": {"reason": "letter received"},
    "close": {"reason": "settled", "note": "paid by cheque"},
    "add_note": {"note": "  called twice  "},
    "offer_plan": {"installments": 3, "accepted": True},
    "resolve_dispute": {"outcome": "upheld", "reason": "double charge"},
    "republish": {"sequences": "3, 4", "reason": "the bureau missed them"},
    "place_with_agency": {"agency": "Acme & Co", "case_file": "agency/acc-1#1/f.json"},
    "recall_from_agency": {},
    "reconcile_payment": {"outcome": "found", "reason": "seen in the bank file"},
}  # fmt: skip
assert set(VALID) == set(ops.ACTION_NAMES)
EXAMPLES = {name: {"action": name, **BASE, **fields} for name, fields in VALID.items()}
FIELDS = sorted({key for example in EXAMPLES.values() for key in example})
PLAUSIBLE = [
    json.loads(text)
    for text in sorted(
        {json.dumps(v) for example in EXAMPLES.values() for v in example.values()}
        | {json.dumps(v) for v in ("2026-12-10", "12.345", 500.1, "", "x" * 501, "1,2", [], 37)}
    )
]
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=6,
)
# the models' tagged union, as pydantic validates and dumps it
MODEL = TypeAdapter[Any](Annotated[ops_models.OpsAction, Field(discriminator="action")])
SHIPPED = json.loads(json.dumps({k: encode(s) for k, s in ops_models.core_schemas().items()}))
COMPILED = decode(SHIPPED[ops.COMPILED_KEY])  # what an asset validates and dumps with
Outcome = tuple[str, Any]


def fields_of(value: Any) -> Any:
    """An action (plain or pydantic) as a dict of its fields, to compare the two."""
    if isinstance(value, BaseModel):
        return {name: getattr(value, name) for name in type(value).model_fields}
    return dict(value.__dict__)


def outcome(validate: Any, dump: Any, data: Any) -> Outcome:
    try:
        action = validate(copy.deepcopy(data))
    except ValidationError as error:
        return "refused", ops._readable(error)
    return "valid", (fields_of(action), dump(action, mode="json", exclude_none=True))


def assert_agree(data: Any) -> Outcome:
    expected = outcome(MODEL.validate_python, MODEL.dump_python, data)
    in_checkout = ops._validator().validate_python, ops._serializer().to_python
    assert outcome(*in_checkout, data) == expected
    shipped = SchemaValidator(COMPILED).validate_python, SchemaSerializer(COMPILED).to_python
    assert outcome(*shipped, data) == expected
    return expected


def mutated(base: dict[str, Any], changes: dict[str, Any], dropped: list[str]) -> dict[str, Any]:
    data = {**base, **changes}
    for key in dropped:
        data.pop(key, None)
    return data


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_each_example_gives_the_same_action_and_json(name: str) -> None:
    verdict, found = assert_agree(EXAMPLES[name])
    assert verdict == "valid", found
    dumped = found[1]
    # and what is dumped reads back as the same action (the state machine carries it)
    assert ops.parse_action(dumped) == ops.parse_action(EXAMPLES[name])


@pytest.mark.parametrize("name", sorted(EXAMPLES))
@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_changed_fields_are_accepted_or_refused_alike(name: str, data: st.DataObject) -> None:
    base = EXAMPLES[name]
    values = json_values | st.sampled_from(PLAUSIBLE)
    changes = data.draw(st.dictionaries(st.sampled_from([*FIELDS, "unknown"]), values, max_size=3))
    dropped = data.draw(st.lists(st.sampled_from(sorted(base)), max_size=2))
    assert_agree(mutated(base, changes, dropped))


@settings(max_examples=60, deadline=None)
@given(value=json_values)
def test_anything_else_is_refused_alike(value: Any) -> None:
    assert_agree(value)


def test_refusals_name_the_action_and_never_the_value() -> None:
    raw = {**EXAMPLES["pause"], "until": "2026-12-01T00:00:00", "reason": "x" * 501}
    with pytest.raises(ops.InvalidOpsAction) as refused:
        ops.parse_action(raw)
    assert str(refused.value).startswith("pause: 'until' needs a UTC offset")
    assert "x" * 20 not in str(refused.value)


def test_a_changed_action_keeps_its_class_and_serializes() -> None:
    action = ops.parse_action(EXAMPLES["place_with_agency"])
    changed = replaced(action, case_file="agency/acc-1#1/g.json")
    assert type(changed) is type(action) and changed.case_file == "agency/acc-1#1/g.json"
    assert ops.dump_action(changed)["case_file"] == "agency/acc-1#1/g.json"
    with pytest.raises(TypeError):
        replaced(action, agencyy="typo")


@pytest.mark.parametrize("model", sorted(ops_models.MODELS, key=lambda m: m.__name__))
def test_each_plain_class_declares_the_fields_of_its_model(model: type[BaseModel]) -> None:
    # the code is type-checked against the plain classes' annotations: a field added to the
    # model alone would be set on every action but typed nowhere
    assert set(get_type_hints(ops_models.MODELS[model])) == set(model.model_fields)
