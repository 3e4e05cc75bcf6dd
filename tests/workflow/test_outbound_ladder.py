"""A never-paying case from day 0 to litigation, as the lender's consumers hear it, and
ops republishing its events (docs/integrations.md)."""

# ruff: noqa: F811 - the rt/outbox fixtures are imported from escalation_support

from __future__ import annotations

from datetime import timedelta

from arrears.domain.types import CaseStatus
from escalation_support import (  # noqa: F401 - fixtures
    case,
    open_overdue,
    ops,
    outbox,
    rt,
)


def _heard(rt, case_id: str) -> list[dict]:
    rt.advance(timedelta(seconds=1))  # the stream delivers after the write
    return [e for e in rt.outbound.events_out if e["case_id"] == case_id]


def test_a_never_paying_case_from_day_0_to_litigation(rt, outbox):
    start = rt.now
    case_id = open_overdue(rt, "acc-out-never")
    rt.advance(timedelta(days=61))
    ops(
        rt,
        {
            "action": "approve_litigation",
            "case_id": case_id,
            "approver": "counsel.wang",
            "reason": "no answer to the lawyer's letter",
        },
    )
    assert case(case_id).status is CaseStatus.LITIGATION
    heard = _heard(rt, case_id)
    timeline = [(e["sequence"], e["type"]) for e in heard]
    print("\nnever paying:")
    for event in heard:
        day = (_instant(event["detail"]["occurred_at"]).date() - case(case_id).due_date).days  # type: ignore[operator]
        detail = event["detail"]
        extra = detail.get("to_stage") or detail.get("to_bucket") or detail.get("action") or ""
        print(f"  {event['sequence']:>2} day {day:>3} {event['type']} {extra}")
    assert [s for s, _ in timeline] == list(range(1, len(timeline) + 1))
    types = [t for _, t in timeline]
    assert types[0] == "CaseOpened"
    assert types[-2:] == ["LitigationReferred", "CaseClosed"]
    stages = [e["detail"]["to_stage"] for e in heard if e["type"] == "CaseStageChanged"]
    assert stages == [
        "reminder",
        "follow_up",
        "agent_call",
        "demand_letter",
        "lawyer_letter",
        "legal_review",
    ]
    buckets = [e["detail"]["to_bucket"] for e in heard if e["type"] == "DelinquencyBucketChanged"]
    assert buckets == ["31-60", "61-90"]
    assert heard[0]["detail"]["occurred_at"] >= start.strftime("%Y-%m-%dT%H:%M:%SZ")
    # the referral names the litigation file: a zip with an index PDF a lawyer can open
    import io
    import json as json_
    import zipfile

    located = heard[-2]["detail"]["litigation_file"]
    stored = rt.client("s3").get_object(Bucket=located["bucket"], Key=located["key"])
    assert stored["ServerSideEncryption"] == "aws:kms"
    body = stored["Body"].read()
    import hashlib

    assert hashlib.sha256(body).hexdigest() == located["sha256"]
    archive = zipfile.ZipFile(io.BytesIO(body))
    assert archive.read("index.pdf").startswith(b"%PDF")
    index = json_.loads(archive.read("index.json"))
    assert [x["kind"] for x in index["letters"]] == ["demand_letter", "lawyer_letter"]
    assert all(len(x["sha256"]) == 64 for x in index["letters"])
    assert index["approval"]["approver"] == "counsel.wang"
    assert index["balance"]["total"] == format(case(case_id).balance, "f")
    assert [c["kind"] for c in index["contact_history"]].count("contact_sent") >= 2


def test_ops_republish_puts_events_again_with_their_ids(rt, outbox):
    case_id = open_overdue(rt, "acc-out-replay")
    rt.advance(timedelta(days=2))
    first = _heard(rt, case_id)
    assert len(first) >= 2
    # when ops republish the first event, then all of them
    outcome = ops(rt, {"action": "republish", "case_id": case_id, "sequences": [1]})
    assert outcome.succeeded, outcome.cause
    again = _heard(rt, case_id)[len(first) :]
    assert [(e["id"], e["detail"].get("republished")) for e in again] == [(first[0]["id"], True)]
    ops(rt, {"action": "republish", "case_id": case_id})
    everything = _heard(rt, case_id)[len(first) + 1 :]
    assert [e["id"] for e in everything] == [e["id"] for e in first]
    # a sequence the case does not have is refused, and nothing is put
    refused = ops(rt, {"action": "republish", "case_id": case_id, "sequences": [99]})
    assert not refused.succeeded and refused.error == "NothingToRepublish"
    assert len(_heard(rt, case_id)) == 2 * len(first) + 1


def _instant(text: str):  # type: ignore[no-untyped-def]
    from datetime import datetime

    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _ack(rt, case_id: str, sequence: int, action: str, event_id: str) -> None:
    rt.put_event(
        "wallet.credit",
        "CreditLineActionAcknowledged",
        {
            "event_id": event_id,
            "case_id": case_id,
            "sequence": sequence,
            "action": action,
            "result": "applied",
            "occurred_at": rt.now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        },
    )


def test_credit_line_requests_and_the_wallet_s_acknowledgements(rt, outbox):
    from arrears.adapters.cases import Repositories

    case_id = open_overdue(rt, "acc-out-credit")
    rt.advance(timedelta(days=47))
    requests = [e for e in _heard(rt, case_id) if e["type"] == "CreditLineActionRequested"]
    # freeze at 15 days past due, reduce to half the limit at 45 (the default policy)
    assert [(e["detail"]["action"], e["detail"]["days_past_due"]) for e in requests] == [
        ("freeze", 15),
        ("reduce", 45),
    ]
    assert requests[1]["detail"]["limit_share"] == "0.50"
    freeze, reduce = requests[0]["sequence"], requests[1]["sequence"]
    # when the wallet acknowledges the latest request, an old one, and one for no case
    _ack(rt, case_id, reduce, "reduce", "ack-1")
    _ack(rt, case_id, freeze, "freeze", "ack-2")
    _ack(rt, "acc-nobody#1", 1, "freeze", "ack-3")
    # then the latest lands on the timeline, and the others are kept with their reason
    kinds = [e.kind for e in Repositories.dynamo().timeline.list(case_id)]
    assert kinds.count("credit_line_acknowledged") == 1
    rejected = {r["event_id"]: r["reason"] for r in rt.report()["rejected_events"]}
    assert rejected["ack-2"] == "stale_sequence"
    assert rejected["ack-3"] == "unknown_case"
    assert "ack-1" not in rejected


def test_agency_placement_stops_contact_and_recall_resumes_the_ladder(rt, outbox):
    import json as json_

    case_id = open_overdue(rt, "acc-out-agency")
    rt.advance(timedelta(days=10))  # reminder and follow-up sent
    from arrears.adapters.cases import Repositories

    def audit() -> list[str]:
        return [e.kind for e in Repositories.dynamo().timeline.list(case_id)]

    entered_before = audit().count("stage_entered")
    placed = ops(
        rt,
        {
            "action": "place_with_agency",
            "case_id": case_id,
            "agency": "Northwind Recoveries",
            "reason": "no contact after the follow-up",
        },
    )
    assert placed.succeeded, placed.cause
    rt.advance(timedelta(days=40))  # the agent call and demand letter would be due
    # then Arrears acted on no stage (no contact, no letter) while the agency held the case
    assert entered_before >= 2
    assert audit().count("stage_entered") == entered_before
    assert case(case_id).status is CaseStatus.PAUSED
    heard = _heard(rt, case_id)
    (event,) = [e for e in heard if e["type"] == "CasePlacedWithAgency"]
    assert event["detail"]["agency"] == "Northwind Recoveries"
    assert event["detail"]["stage_before"] == "follow_up"
    location = event["detail"]["case_file"]
    # the case file is in S3, encrypted with KMS, and carries no contact data
    stored = rt.client("s3").get_object(Bucket=location["bucket"], Key=location["key"])
    assert stored["ServerSideEncryption"] == "aws:kms"
    case_file = json_.loads(stored["Body"].read())
    assert case_file["case"]["case_id"] == case_id and case_file["timeline"]
    assert "phone" not in json_.dumps(case_file) and "+86" not in json_.dumps(case_file)
    # when ops recall it, the ladder resumes where it left off: the agent call comes next
    recalled = ops(rt, {"action": "recall_from_agency", "case_id": case_id})
    assert recalled.succeeded, recalled.cause
    rt.advance(timedelta(days=2))
    after = _heard(rt, case_id)[len(heard) :]
    types = [e["type"] for e in after]
    assert types[0] == "CaseRecalledFromAgency"
    stages = [e["detail"]["to_stage"] for e in after if e["type"] == "CaseStageChanged"]
    assert stages[:1] == ["agent_call"]
    assert case(case_id).agency is None
