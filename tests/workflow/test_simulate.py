"""`arrears simulate` end to end on a small synthetic portfolio (8 accounts, 35 days).

The command compares A, the default policy, with C, the default without the agent call and
with every letter 20 days later: a known change that must move the metrics the expected
way, and the same run on two workers must write a byte-identical simulation.json. Run
in-process twice on the default policy, the simulated borrowers show common random numbers
at work: the same borrowers make the same draws, so an identical policy changes nothing and
the bootstrap interval is [0, 0].
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
import yaml
from arrears.cli import main
from arrears.local.simulation.behaviour import DEFAULT_FILE, load_behaviour
from arrears.local.simulation.bootstrap import compare
from arrears.local.simulation.costs import load_cost_config
from arrears.local.simulation.metrics import case_facts, policy_metrics
from arrears.local.simulation.run import PolicyRun, ShardTask, run_shard, synthetic_portfolio

ROOT = Path(__file__).resolve().parents[2]
NO_CALL = Path(__file__).resolve().parent / "fixtures" / "simulate" / "no-call-late-letters.yaml"
SCHEMA = json.loads((ROOT / "docs" / "simulation.schema.json").read_text(encoding="utf-8"))
ARGS = [
    "simulate", "--portfolio", "synthetic:8", "--days", "35", "--seed", "7",
    "--policy", "default.yaml", "--policy", str(NO_CALL),
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


def test_shards_run_apart_and_merged_write_the_same_bytes(runs, tmp_path):
    folders = []
    for index in (1, 0):
        folder = tmp_path / f"shard{index}"
        assert main([*ARGS, "--shard", f"{index}/2", "--out", str(folder)]) == 0
        folders.append(str(folder))
    assert main(["simulate", "merge", *folders, "--out", str(tmp_path / "merged"), "--quiet"]) == 0
    merged = (tmp_path / "merged" / "simulation.json").read_bytes()
    assert merged == (runs[1] / "simulation.json").read_bytes()


def test_a_merge_of_an_incomplete_set_is_one_line_and_exit_2(tmp_path, capsys):
    folder = tmp_path / "shard0"
    args = ["simulate", "--portfolio", "synthetic:2", "--days", "1", "--policy", "default.yaml"]
    args += ["--policy", "default.yaml", "--letters", "none", "--quiet", "--shard", "0/2"]
    assert main([*args, "--out", str(folder)]) == 0
    assert main(["simulate", "merge", str(folder), "--out", str(tmp_path / "merged")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["arrears simulate: shard 1 of 2 is missing"]


def test_the_document_follows_its_schema(simulation, runs):
    jsonschema.validate(simulation, SCHEMA, cls=jsonschema.Draft202012Validator)
    assert simulation["partial"] is False
    assert simulation["virtual_days_completed"] == 35
    assert simulation["swaps"][0]["mode"] == "hash"
    assert [p["label"] for p in simulation["policies"]] == ["A", "B"]
    assert simulation["policies"][1]["policy_version"] == "test-no-call-late-letters-1"
    assert "<html" in (runs[1] / "report.html").read_text(encoding="utf-8")


def test_borrowers_pay_and_the_system_records_it(simulation):
    metrics = simulation["policies"][0]["metrics"]
    assert metrics["accounts"] == 8
    assert 0 < float(metrics["recovered_pct"]) < 1
    assert float(metrics["contacts_per_case"]["sms"]) > 0
    curve = [float(p["recovered_pct"]) for p in metrics["collection_curve"]]
    assert curve == sorted(curve)  # money once recovered stays recovered
    assert curve[-1] == float(metrics["recovered_pct"])


def test_an_identical_policy_changes_nothing():
    portfolio = synthetic_portfolio(8, seed=7)
    model = load_behaviour()

    def run() -> list:
        task = ShardTask(
            PolicyRun("A", "default.yaml"), 0, portfolio.openings, portfolio.start, 35, 7,
            model, "pdf",
        )  # fmt: skip
        return [case_facts(case, load_cost_config()) for case in run_shard(task).cases]

    first, second = run(), run()
    assert first == second  # every borrower did the same on both runs
    for comparison in compare(first, second, seed=7, resamples=200):
        assert comparison.difference in (0, None), comparison.metric
        assert (comparison.low, comparison.high) in ((0, 0), (None, None)), comparison.metric


def test_no_agent_call_and_later_letters_mean_no_calls_and_fewer_letters(simulation):
    a, c = simulation["policies"][0]["metrics"], simulation["policies"][1]["metrics"]
    assert float(a["contacts_per_case"]["call"]) > 0
    assert c["contacts_per_case"]["call"] == "0.0000"
    # the default's first letters go out from day 21; C's only from day 41
    assert float(c["contacts_per_case"]["letter"]) < float(a["contacts_per_case"]["letter"])
    by_metric = {x["metric"]: x for x in simulation["comparisons"]}
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


def test_every_response_the_model_draws_is_processed_by_the_real_system(tmp_path):
    # borrowers who answer nearly every contact, with every kind of answer: the events they
    # send go through ingest, the reply classifier, the delivery outcomes and the ops desk,
    # and the metrics count what the system recorded
    raw = yaml.safe_load(DEFAULT_FILE.read_text(encoding="utf-8"))
    raw["contact"] = {
        "pay_part": 0.15,
        "plan": 0.15,
        "dispute": 0.15,
        "opt_out": 0.2,
        "complaint": 0.3,
    }
    raw["quiet_day"] = {}
    path = tmp_path / "eager.yaml"
    path.write_text(yaml.safe_dump(raw), encoding="utf-8")
    portfolio = synthetic_portfolio(6, seed=3)
    task = ShardTask(
        PolicyRun("A", "default.yaml"), 0, portfolio.openings, portfolio.start, 30, 3,
        load_behaviour(path), "pdf",  # the letters mode is per process: keep this one's
    )  # fmt: skip
    result = run_shard(task)
    assert result.days_completed == 30
    facts = [case_facts(case, load_cost_config()) for case in result.cases]
    metrics = policy_metrics(facts, portfolio.start, 30)
    entries = [e for case in result.cases for e in case["timeline"]]
    timeline = [e["kind"] for e in entries]
    assert metrics["disputes"] > 0
    assert metrics["opt_outs"] > 0
    assert metrics["complaints"] > 0
    assert "plan_accepted" in timeline  # hardship reply, plan offered, "yes" accepted it
    # the simulated agents' calls woke their cases, those that reached the borrower too
    woken = {
        e["detail"].get("agent_outcome")
        for e in entries
        if e["kind"] == "wake_handled" and e["detail"].get("wake") == "AGENT_OUTCOME"
    }
    assert woken - {"no_answer", "wrong_number"}
    assert timeline.count("payment") > 0  # part payments and plan instalments
    assert float(metrics["recovered_pct"]) > 0


def test_ctrl_c_writes_a_partial_report(tmp_path):
    out = tmp_path / "out"
    command = [
        sys.executable, "-m", "arrears.cli", "simulate", "--portfolio", "synthetic:3",
        "--days", "300", "--policy", "default.yaml", "--policy", str(NO_CALL),
        "--letters", "none", "--resamples", "20", "--out", str(out),
    ]  # fmt: skip
    run = subprocess.Popen(command, stderr=subprocess.PIPE, text=True, start_new_session=True)
    assert run.stderr is not None
    # the first progress line: a run is under way, far from its 300 days
    while "case-days" not in run.stderr.readline():
        assert run.poll() is None, "the simulation ended before it could be interrupted"
    os.killpg(run.pid, signal.SIGINT)  # as Ctrl-C does: the whole process group
    _, err = run.communicate(timeout=120)
    assert run.returncode == 130, err
    assert "interrupted: partial report written" in err
    document = json.loads((out / "simulation.json").read_text(encoding="utf-8"))
    jsonschema.validate(document, SCHEMA, cls=jsonschema.Draft202012Validator)
    assert document["partial"] is True
    a, b = document["policies"]
    assert a["virtual_days_completed"] > 0
    assert a["metrics"]["accounts"] > 0  # what A ran is reported
    assert b["virtual_days_completed"] < 300  # B was stopped, or never started
    assert document["virtual_days_completed"] == b["virtual_days_completed"]
    assert document["comparisons"] == []  # B did not get as far as A
