"""The monthly credit bureau report (domain/bureau.py, steps/bureau.py, adapters/bureau.py):
the fields, the per-country mapping, the dispute flag, and once per case per month."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any

import boto3
import pytest
from arrears.domain import bureau
from arrears.domain.case import BorrowerRecord, CaseRecord, TimelineEntry
from arrears.domain.compliance import load_pack
from arrears.domain.types import CaseStatus, Stage
from arrears.steps.bureau import report_month
from moto import mock_aws

from tests.support.aws import REGION, create_tables, use_fake_credentials
from tests.support.cases import a_case as shared_case

DEC_1 = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)
US = load_pack("US").bureau


def a_case(**changes: Any) -> CaseRecord:
    return replace(
        shared_case(
            stage=Stage.FOLLOW_UP,
            currency="USD",
            opened_at=datetime(2026, 10, 2, tzinfo=UTC),
            due_date=date(2026, 10, 1),
        ),
        **changes,
    )


def test_the_us_pack_maps_to_metro2_codes() -> None:
    assert US is not None and US.format == "metro2"
    fields = bureau.report(a_case(), "2026-11", US, "US", disputed=False)
    # 60 days past due on 30 November: Metro 2 account status 78 (60-89 days)
    assert (fields["days_past_due"], fields["account_state"], fields["status_code"]) == (
        60,
        "dpd_60",
        "78",
    )
    assert fields["date_of_first_delinquency"] == "2026-10-02"
    assert fields["amount_past_due"] == "1250.00"
    assert "compliance_condition_code" not in fields


def test_a_dispute_marks_the_report_and_a_paid_case_reports_paid() -> None:
    disputed = bureau.report(a_case(), "2026-11", US, "US", disputed=True)  # type: ignore[arg-type]
    assert disputed["dispute_flag"] is True and disputed["compliance_condition_code"] == "XB"
    paid = a_case(status=CaseStatus.PAID, closed_at=datetime(2026, 11, 20, tzinfo=UTC))
    fields = bureau.report(paid, "2026-11", US, "US", disputed=False)  # type: ignore[arg-type]
    assert (fields["status_code"], fields["amount_past_due"]) == ("13", "0")
    assert fields["date_closed"] == "2026-11-20"


def test_who_is_reported_for_a_month() -> None:
    mapping = bureau.BureauMapping(recently_closed_days=30)
    assert bureau.is_due(a_case(), "2026-11", mapping)
    assert not bureau.is_due(a_case(bureau_period="2026-11"), "2026-11", mapping)
    closed_long_ago = a_case(status=CaseStatus.PAID, closed_at=datetime(2026, 10, 5, tzinfo=UTC))
    assert not bureau.is_due(closed_long_ago, "2026-11", mapping)
    closed_lately = a_case(status=CaseStatus.PAID, closed_at=datetime(2026, 11, 5, tzinfo=UTC))
    assert bureau.is_due(closed_lately, "2026-11", mapping)
    opened_later = a_case(opened_at=datetime(2026, 12, 1, tzinfo=UTC))
    assert not bureau.is_due(opened_later, "2026-11", mapping)


def test_a_mapping_must_code_every_state() -> None:
    with pytest.raises(ValueError, match="missing"):
        bureau.BureauMapping(status_codes={"current": "11"})


@pytest.fixture
def repos(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    from arrears.adapters.cases import Repositories
    from arrears.adapters.models import bind_tables

    use_fake_credentials(monkeypatch)
    with mock_aws():
        create_tables(boto3.client("dynamodb", region_name=REGION))
        bind_tables({})
        yield Repositories.dynamo()


def _outbox(case_id: str) -> list[dict[str, Any]]:
    return boto3.client("dynamodb", region_name=REGION).query(
        TableName="arrears-outbox",
        KeyConditionExpression="case_id = :c",
        ExpressionAttributeValues={":c": {"S": case_id}},
    )["Items"]


def test_each_case_is_reported_once_a_month_however_often_it_runs(repos: Any) -> None:
    from arrears.adapters.bureau import DynamoBureau

    repos.cases.create(a_case())
    repos.borrowers.save_profile(BorrowerRecord(account_id="acc-42", country="US"))
    store = DynamoBureau(boto3.client("dynamodb", region_name=REGION))
    # a dispute opened during November marks November's report
    repos.timeline.append(
        TimelineEntry("acc-42#1", datetime(2026, 11, 9, tzinfo=UTC), "dispute_opened", "x", {})
    )
    assert report_month(repos.cases, store, DEC_1) == {"reported": 1}
    # the run repeated (the next day's catch-up, a retried Lambda) reports nothing again
    assert report_month(repos.cases, store, DEC_1.replace(day=2)) == {}
    (item,) = _outbox("acc-42#1")
    detail = json.loads(item["detail"]["S"])
    assert item["type"]["S"] == "CreditBureauReportDue"
    assert (detail["period"], detail["status_code"], detail["dispute_flag"]) == (
        "2026-11",
        "78",
        True,
    )
    assert repos.cases.get("acc-42#1").bureau_period == "2026-11"
    # not on other days of the month
    assert report_month(repos.cases, store, datetime(2026, 12, 15, tzinfo=UTC)) == {}


def test_a_case_that_moved_since_it_was_read_is_not_reported_twice(repos: Any) -> None:
    from arrears.adapters.bureau import DynamoBureau
    from arrears.domain import outbound

    repos.cases.create(a_case())
    store = DynamoBureau(boto3.client("dynamodb", region_name=REGION))
    case = repos.cases.get("acc-42#1")
    fact = outbound.Fact(outbound.CREDIT_BUREAU_REPORT_DUE, "monthly_report", {"period": "x"})
    (event,) = outbound.number(case, [fact], 1, DEC_1)
    assert store.record(case, "2026-11", event)
    # a second run that read the case before the first wrote: refused, nothing written
    assert not store.record(case, "2026-11", event)
    assert len(_outbox("acc-42#1")) == 1


@pytest.mark.parametrize(
    ("kind", "detail", "at", "disputed"),
    [
        ("dispute_opened", {"via": "portal"}, datetime(2026, 11, 9, tzinfo=UTC), True),
        ("disputed", {}, datetime(2026, 11, 30, 23, tzinfo=UTC), True),
        ("agent_outcome", {"outcome": "dispute"}, datetime(2026, 11, 2, tzinfo=UTC), True),
        ("agent_outcome", {"outcome": "promise"}, datetime(2026, 11, 2, tzinfo=UTC), False),
        ("message_sent", {"outcome": "dispute"}, datetime(2026, 11, 2, tzinfo=UTC), False),
        ("dispute_opened", {"via": "reply"}, datetime(2026, 10, 31, 23, tzinfo=UTC), False),
    ],
)
def test_what_counts_as_a_dispute_in_the_month(
    repos: Any, kind: str, detail: dict[str, str], at: datetime, disputed: bool
) -> None:
    from arrears.adapters.bureau import DynamoBureau

    # given a case's timeline with ordinary entries and one entry of this kind
    repos.cases.create(a_case())
    for day in (3, 12, 20):
        repos.timeline.append(
            TimelineEntry("acc-42#1", datetime(2026, 11, day, tzinfo=UTC), "message_sent", "x", {})
        )
    repos.timeline.append(TimelineEntry("acc-42#1", at, kind, "x", detail))
    store = DynamoBureau(boto3.client("dynamodb", region_name=REGION))
    # then November's report is flagged disputed only for a dispute made during November
    november = datetime(2026, 11, 1, tzinfo=UTC)
    assert store.disputed_since("acc-42#1", november) is disputed
