"""`arrears simulate` end to end on a small synthetic portfolio (12 accounts, 45 days).

One run compares three policies: A the default, B the default again, C the default without
the agent call and with every letter 20 days later. B against A shows common random
numbers at work (the same borrowers make the same draws, so an identical policy changes
nothing, interval [0, 0]); C against A shows a known change moving the metrics the
expected way. The same run on two workers must write a byte-identical simulation.json.
"""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from arrears.cli import main

ROOT = Path(__file__).resolve().parents[2]
NO_CALL = Path(__file__).resolve().parent / "fixtures" / "simulate" / "no-call-late-letters.yaml"
SCHEMA = json.loads((ROOT / "docs" / "simulation.schema.json").read_text(encoding="utf-8"))
ARGS = [
    "simulate", "--portfolio", "synthetic:12", "--days", "45", "--seed", "7",
    "--policy", "default.yaml", "--policy", "default.yaml", "--policy", str(NO_CALL),
    "--letters", "hash", "--resamples", "300", "--quiet",
]  # fmt: skip


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict[int, Path]:
    out = {}
    for workers in (1, 2):
        folder = tmp_path_factory.mktemp(f"workers{workers}")
        assert main([*ARGS, "--workers", str(workers), "--out", str(folder)]) == 0
        out[workers] = folder
    return out


@pytest.fixture(scope="module")
def simulation(runs) -> dict:
    return json.loads((runs[1] / "simulation.json").read_text(encoding="utf-8"))


def test_one_and_two_workers_write_the_same_bytes(runs):
    one = (runs[1] / "simulation.json").read_bytes()
    assert one == (runs[2] / "simulation.json").read_bytes()
    assert json.loads((runs[2] / "run.json").read_text(encoding="utf-8"))["workers"] == 2


def test_the_document_follows_its_schema(simulation, runs):
    jsonschema.validate(simulation, SCHEMA, cls=jsonschema.Draft202012Validator)
    assert simulation["partial"] is False
    assert simulation["virtual_days_completed"] == 45
    assert simulation["swaps"][0]["mode"] == "hash"
    assert [p["label"] for p in simulation["policies"]] == ["A", "B", "C"]
    assert simulation["policies"][2]["policy_version"] == "test-no-call-late-letters-1"
    assert "<html" in (runs[1] / "report.html").read_text(encoding="utf-8")


def test_borrowers_pay_and_the_system_records_it(simulation):
    metrics = simulation["policies"][0]["metrics"]
    assert metrics["accounts"] == 12
    assert 0 < float(metrics["recovered_pct"]) < 1
    assert float(metrics["contacts_per_case"]["sms"]) > 0
    curve = [float(p["recovered_pct"]) for p in metrics["collection_curve"]]
    assert curve == sorted(curve)  # money once recovered stays recovered
    assert curve[-1] == float(metrics["recovered_pct"])


def test_an_identical_policy_changes_nothing(simulation):
    a, b = (p["metrics"] for p in simulation["policies"][:2])
    assert a == b
    same = [c for c in simulation["comparisons"] if c["challenger"] == "B"]
    assert len(same) == 13
    for c in same:
        if c["difference"] is not None:
            assert c["difference"] == "0.0000", c["metric"]
            assert c["ci95"] == ["0.0000", "0.0000"], c["metric"]


def test_no_agent_call_and_later_letters_mean_no_calls_and_fewer_letters(simulation):
    a, c = simulation["policies"][0]["metrics"], simulation["policies"][2]["metrics"]
    assert float(a["contacts_per_case"]["call"]) > 0
    assert c["contacts_per_case"]["call"] == "0.0000"
    # the default's first letters go out from day 21; C's only from day 41
    assert float(c["contacts_per_case"]["letter"]) < float(a["contacts_per_case"]["letter"])
    by_metric = {x["metric"]: x for x in simulation["comparisons"] if x["challenger"] == "C"}
    call = by_metric["contacts_per_case.call"]
    assert float(call["difference"]) < 0
    assert float(call["ci95"][1]) < 0  # fewer calls on every resample


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (["--policy", "no-such-policy.yaml"], "no-such-policy.yaml"),
        (["--workers", "0"], "--workers must be at least 1"),
        (["--days", "0"], "--days must be at least 1"),
        (["--portfolio", "synthetic:0"], "the portfolio is empty"),
        (["--portfolio", "demo:12"], "--portfolio must be synthetic:N"),
        (["--behaviour", "BAD"], "behaviour file"),
        (["--costs", "BAD"], "cost file"),
        (["--events", "EMPTY"], "no OVERDUE PaymentStatusChanged event"),
    ],
)
def test_a_bad_input_is_one_line_and_exit_2(tmp_path, capsys, change, message):
    bad = tmp_path / "bad.yaml"
    bad.write_text("contact: {pay_full: 7}\nreporting_currency: 3\n", encoding="utf-8")
    empty = tmp_path / "empty.jsonl"
    empty.write_text("", encoding="utf-8")
    change = [{"BAD": str(bad), "EMPTY": str(empty)}.get(x, x) for x in change]
    args = {
        "--portfolio": "synthetic:3",
        "--days": "2",
        "--workers": "1",
        "--policy": "default.yaml",
    }
    argv = ["simulate", "--out", str(tmp_path / "out"), "--policy", "default.yaml"]
    for key, value in args.items():
        if key not in change and not (key == "--portfolio" and "--events" in change):
            argv += [key, value]
    argv += change
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    assert err[0].startswith("arrears simulate: ")
    assert message in err[0]
    assert not (tmp_path / "out").exists()
