"""Champion/challenger in the run report: per-case arm and policy version, totals by arm.

A real run on the real topology with the demo policy (30 % of accounts on the gentle
challenger), a few accounts picked so both arms are present.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import jsonschema
import pytest
from arrears import cli
from arrears import constants as c
from arrears.domain.policy import load_policy
from arrears.domain.scoring import assign_arm
from arrears.local.commands import DEMO_POLICY_FILE, policy_env
from arrears.local.events_file import parse_lines
from arrears.local.replay import run_entries
from arrears.local.report import render_summary

SCHEMA = json.loads(
    (Path(__file__).resolve().parents[2] / "docs" / "report.schema.json").read_text()
)
START = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)
DAYS = 12  # past both arms' day-1 reminders and the day-7 payments


def _accounts_in_each_arm(per_arm: int) -> dict[str, list[str]]:
    experiment = load_policy(DEMO_POLICY_FILE).experiment
    arms: dict[str, list[str]] = {"champion": [], "challenger": []}
    n = 0
    while min(len(v) for v in arms.values()) < per_arm:
        account = f"acc-arm-{n}"
        arm = assign_arm(account, experiment.challenger_share, experiment.name).value
        if len(arms[arm]) < per_arm:
            arms[arm].append(account)
        n += 1
    return arms


def _overdue(account: str, index: int) -> str:
    detail = {
        "event_id": f"evt-{account}", "account_id": account, "obligation_id": f"loan-{index}/1",
        "status": "OVERDUE", "amount_due": "400.00", "amount_paid": "0.00", "currency": "GBP",
        "due_date": "2026-11-01", "occurred_at": "2026-11-02T01:00:00Z", "sequence": 1,
        "borrower": _borrower(index),
    }  # fmt: skip
    return _line("2026-11-02T01:00:00Z", detail)


def _borrower(index: int) -> dict[str, str]:
    return {
        "name": "Sam Taylor", "phone": f"+4474001234{index:02d}",
        "email": f"b{index}@example.com", "locale": "en-GB", "timezone": "Europe/London",
        "country": "GB",
    }  # fmt: skip


def _paid(account: str, index: int) -> str:
    detail = {
        "event_id": f"evt-{account}-paid", "account_id": account,
        "obligation_id": f"loan-{index}/1", "status": "PAID", "amount_due": "400.00",
        "amount_paid": "400.00", "currency": "GBP", "due_date": "2026-11-01",
        "occurred_at": "2026-11-09T12:00:00Z", "sequence": 2, "borrower": _borrower(index),
    }  # fmt: skip
    return _line("2026-11-09T12:00:00Z", detail)


def _line(at: str, detail: dict[str, object]) -> str:
    event = {"Source": "wallet.payments", "DetailType": "PaymentStatusChanged", "Detail": detail}
    return json.dumps({"at": at, "event": event})


@pytest.fixture(scope="module")
def report() -> dict[str, object]:
    arms = _accounts_in_each_arm(per_arm=2)
    accounts = [*arms["champion"], *arms["challenger"]]
    lines = [_overdue(a, i) for i, a in enumerate(accounts)]
    # one borrower per arm pays in full, so each arm has an outcome and an amount recovered
    lines += [_paid(arms[arm][0], accounts.index(arms[arm][0])) for arm in arms]
    lines.sort(key=lambda line: json.loads(line)["at"])
    # ARREARS_POLICY_FILE (what --policy sets) is the only thing pointing at the demo file
    return run_entries(
        parse_lines(lines),
        start=START,
        end=START + timedelta(days=DAYS),
        seed=5,
        extra_env={c.ENV_POLICY_FILE: DEMO_POLICY_FILE},
    )


def test_each_case_records_its_arm_and_the_arms_policy_version(report):
    # given a run with accounts hashed into both arms of the demo experiment
    cases = report["cases"]
    # then every case carries the arm its account hashes to, and that arm's policy version
    experiment = load_policy(DEMO_POLICY_FILE).experiment
    versions = {
        "champion": load_policy(DEMO_POLICY_FILE).version,
        "challenger": load_policy(experiment.challenger_policy).version,
    }
    assert len(cases) == 4
    for case in cases:
        expected = assign_arm(case["account_id"], experiment.challenger_share, experiment.name)
        assert case["arm"] == expected.value
        assert case["policy_version"] == versions[case["arm"]]
    jsonschema.validate(report, SCHEMA)


def test_by_arm_totals_equal_what_the_per_case_entries_add_up_to(report):
    # given the per-case entries of the report
    cases = report["cases"]
    by_arm = report["totals"]["by_arm"]
    # then each arm's totals are exactly the sums over that arm's cases
    assert set(by_arm) == {"champion", "challenger"}
    for arm, totals in by_arm.items():
        members = [case for case in cases if case["arm"] == arm]
        recovered: Counter[str] = Counter()
        for case in members:
            if Decimal(case["amount_recovered"]):
                recovered[case["currency"]] += Decimal(case["amount_recovered"])  # type: ignore[assignment]
        transitions = sum(len(case["state_transitions"]) for case in members)
        assert totals["cases"] == len(members) == 2
        assert totals["cases_by_outcome"] == dict(
            Counter(case["outcome"] or "open" for case in members)
        )
        assert totals["amount_recovered"] == {k: f"{v:.2f}" for k, v in recovered.items()}
        assert totals["contacts"] == sum(len(case["contacts"]) for case in members)
        assert totals["letters"] == sum(len(case["letters"]) for case in members)
        assert totals["mean_state_transitions"] == round(transitions / len(members), 2)
        assert totals["policy_versions"] == sorted({case["policy_version"] for case in members})
    # and the arms add up to the overall totals
    assert sum(t["cases"] for t in by_arm.values()) == report["totals"]["cases"]
    assert sum(t["contacts"] for t in by_arm.values()) == report["totals"]["contacts"]


def test_the_arms_were_treated_differently(report):
    # given the gentle challenger sends its first reminder by SMS only
    first_contacts = {
        case["arm"]: {c["channel"] for c in case["contacts"] if c["sent_at"] < "2026-11-03"}
        for case in report["cases"]
        if case["contacts"]
    }
    # then the champion's day-1 reminder went by SMS and email, the challenger's by SMS alone
    assert first_contacts["champion"] == {"sms", "email"}
    assert first_contacts["challenger"] == {"sms"}


def test_summary_shows_a_by_arm_table(report):
    # when the summary is rendered
    text = render_summary(report)
    # then it has one row per arm with the arm's case count
    section = text.split("By arm:")[1].splitlines()
    rows = {line.split()[0]: line.split() for line in section[1:4] if line.strip()}
    assert rows["arm"][1] == "cases"
    assert rows["champion"][1] == "2"
    assert rows["challenger"][1] == "2"


def test_run_refuses_a_policy_file_that_does_not_validate(tmp_path, capsys):
    # given an events file and a policy name with no such file
    events = tmp_path / "events.jsonl"
    events.write_text(_overdue("acc-arm-0", 0) + "\n")
    # when `arrears run --policy` names it
    code = cli.main(["run", "--events", str(events), "--policy", "no-such-policy.yaml"])
    # then nothing runs: exit 2 and the error names the file
    assert code == 2
    assert "no-such-policy.yaml" in capsys.readouterr().err


def test_policy_option_sets_the_lambda_policy_environment():
    # given the demo policy / when the CLI turns --policy into the Lambda environment
    env = policy_env(DEMO_POLICY_FILE)
    # then it is ARREARS_POLICY_FILE (what settings.policy_file reads); no option, no override
    assert env == {c.ENV_POLICY_FILE: DEMO_POLICY_FILE}
    assert policy_env(None) == {}
