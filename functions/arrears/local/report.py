"""The run report: what happened to every case, read back from the tables and histories.

Shape documented by docs/report.schema.json (other tools read it). Everything here comes
from what the system itself recorded (Cases, Contact ledger, Timeline tables; execution
histories; the runtime's invocation log and delivery counters), never from the inputs, so
the report shows what Arrears did, not what a test expected. Random ids (execution ARNs,
message ids, task tokens) are left out so the same events and seed give the same report.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from arrears.local.runtime import LocalRuntime

SCHEMA_VERSION = "1.0"
_LEDGER_HEAD = "HEAD"


def build_report(rt: LocalRuntime) -> dict[str, Any]:
    topo = rt.topology
    tables = {spec.construct_id: spec.local_name for spec in topo.tables}
    cases = _scan(rt, tables.get("CasesTable"))
    ledger = _scan(rt, tables.get("ContactLedgerTable"))
    timeline = _scan(rt, tables.get("TimelineTable"))
    executions = _executions(rt)

    ledger_by_case: dict[str, list[dict[str, Any]]] = {}
    for item in ledger:
        if item.get("entry_key") == _LEDGER_HEAD or not item.get("case_id"):
            continue
        ledger_by_case.setdefault(str(item["case_id"]), []).append(item)
    timeline_by_case: dict[str, list[dict[str, Any]]] = {}
    for item in timeline:
        timeline_by_case.setdefault(str(item["case_id"]), []).append(item)
    invocations_by_case: dict[str, list[Any]] = {}
    for invocation in rt.invocations:
        if invocation.case_id:
            invocations_by_case.setdefault(invocation.case_id, []).append(invocation)

    case_ids = sorted(
        {str(c["case_id"]) for c in cases} | {e["case_id"] for e in executions if e["case_id"]}
    )
    cases_by_id = {str(c["case_id"]): c for c in cases}
    executions_by_case: dict[str, list[dict[str, Any]]] = {}
    for execution in executions:
        executions_by_case.setdefault(execution["case_id"], []).append(execution)
    report_cases = [
        _case_report(
            case_id,
            cases_by_id.get(case_id, {}),
            ledger_by_case.get(case_id, []),
            timeline_by_case.get(case_id, []),
            executions_by_case.get(case_id, []),
            invocations_by_case.get(case_id, []),
        )
        for case_id in case_ids
    ]
    outbound = getattr(rt, "outbound", None)
    for case in report_cases:
        # what the lender's consumers received on the bus about the case, in order
        case["events_out"] = outbound.for_case(case["case_id"]) if outbound else []
        case["delinquency"] = _delinquency(
            cases_by_id.get(case["case_id"], {}),
            timeline_by_case.get(case["case_id"], []),
            rt.now,
        )
    return {
        "schema_version": SCHEMA_VERSION,
        "seed": rt.seed,
        "generated_at": _iso(rt.now),
        "cases": report_cases,
        "executions_without_case": [_execution_summary(e) for e in executions if not e["case_id"]],
        "unsupported_ops_actions": list(rt.unsupported_ops_actions),
        "rejected_events": [_rejected(message) for message in rt.dlq_messages()],
        "totals": _totals(rt, report_cases, executions),
    }


def _delinquency(
    item: dict[str, Any], timeline: list[dict[str, Any]], now: datetime
) -> dict[str, Any]:
    """The case's bucket, its days past due now (open cases), and its bucket history."""
    from arrears.domain.delinquency import days_past_due

    due = item.get("due_date")
    is_open = item.get("status") not in _CLOSED_STATUSES and item.get("status") is not None
    history = [
        {
            "at": str(entry.get("at", ""))[:19] + "Z",
            "from_bucket": (entry.get("detail") or {}).get("from_bucket"),
            "to_bucket": (entry.get("detail") or {}).get("to_bucket"),
            "days_past_due": int((entry.get("detail") or {}).get("days_past_due") or 0),
            "direction": (entry.get("detail") or {}).get("direction"),
        }
        for entry in sorted(timeline, key=lambda i: str(i.get("entry_key", "")))
        if entry.get("kind") == "delinquency_bucket_changed"
    ]
    return {
        "bucket": item.get("dpd_bucket"),
        "days_past_due": days_past_due(date.fromisoformat(due), now.date())
        if due and is_open
        else None,
        "history": history,
    }


_CLOSED_STATUSES = ("PAID", "RESOLVED", "WRITTEN_OFF", "LITIGATION", "CLOSED")


def _rejected(message: dict[str, Any]) -> dict[str, Any]:
    """A dead-lettered event: which one, and the reason ingest gave (no borrower data)."""
    attributes = message.get("MessageAttributes") or {}
    try:
        envelope = json.loads(message.get("Body") or "")
    except ValueError:
        envelope = None
    detail = envelope.get("detail") if isinstance(envelope, dict) else None
    return {
        "event_id": detail.get("event_id") if isinstance(detail, dict) else None,
        "detail_type": envelope.get("detail-type") if isinstance(envelope, dict) else None,
        "reason": (attributes.get("error_reason") or {}).get("StringValue", "unknown"),
        "detail": (attributes.get("error_detail") or {}).get("StringValue", ""),
    }


# ---- per case -------------------------------------------------------------------------------


def _case_report(
    case_id: str,
    case: dict[str, Any],
    ledger: list[dict[str, Any]],
    timeline: list[dict[str, Any]],
    executions: list[dict[str, Any]],
    invocations: list[Any],
) -> dict[str, Any]:
    ledger = sorted(ledger, key=lambda i: (str(i.get("at", "")), str(i.get("entry_key", ""))))
    timeline = sorted(timeline, key=lambda i: str(i.get("entry_key", "")))
    contacts = [
        {
            "channel": item.get("channel"),
            "template": item.get("template"),
            "sent_at": item.get("at"),
            "local_time": item.get("local_time"),
        }
        for item in ledger
        if item.get("decision") == "sent"
    ]
    blocked = [
        {
            "channel": item.get("channel"),
            "decision": item.get("decision"),
            "reason": item.get("reason"),
            "at": item.get("at"),
            **({"not_before": item["not_before"]} if item.get("not_before") else {}),
        }
        for item in ledger
        # a failed send (the provider did not take it) is listed with its reason, as are
        # the gate's blocks and deferrals; a reserved one is neither sent nor failed yet
        if item.get("decision") in ("blocked", "deferred", "failed")
    ]
    letters = [
        {
            "kind": entry["detail"].get("kind"),
            "key": entry["detail"].get("key"),
            "sha256": entry["detail"].get("sha256"),
            "at": entry.get("at"),
        }
        for entry in timeline
        if entry.get("kind") == "letter_stored" and isinstance(entry.get("detail"), dict)
    ]
    transitions = [
        {"state": t["state"], "entered_at": t["at"], "execution": e["name"]}
        for e in executions
        for t in e["transitions"]
    ]
    by_function = Counter(i.function for i in invocations)
    opened_balance = next(
        (
            _decimal(entry["detail"].get("balance"))
            for entry in timeline
            if entry.get("kind") == "case_opened" and isinstance(entry.get("detail"), dict)
        ),
        None,
    )
    balance = _decimal(case.get("balance"))
    recovered = (
        max(opened_balance - balance, Decimal(0))
        if opened_balance is not None and balance is not None
        else Decimal(0)
    )
    return {
        "case_id": case_id,
        "account_id": case.get("account_id") or case_id.split("#", 1)[0],
        "cycle": case.get("cycle"),
        "status": case.get("status"),
        "stage": case.get("stage"),
        "segment": case.get("segment"),
        "outcome": case.get("outcome"),
        "queue": case.get("queue"),
        "language_fallback": _language_fallback(timeline),
        # champion/challenger (issue 6): the arm and the policy version the case was planned with
        "arm": case.get("arm"),
        "policy_version": case.get("policy_version"),
        "currency": case.get("currency"),
        "balance": _money(balance),
        "amount_recovered": _money(recovered),
        "opened_at": case.get("opened_at"),
        "closed_at": case.get("closed_at"),
        "plan": _plan_report(case.get("plan")),  # issue 9: repayment plan, if any
        "contacts": contacts,
        "blocked": blocked,
        "letters": letters,
        "state_transitions": transitions,
        "executions": [_execution_summary(e) for e in executions],
        "lambda_invocations": {
            "total": sum(by_function.values()),
            "errors": sum(1 for i in invocations if i.error),
            "by_function": dict(sorted(by_function.items())),
        },
        "timeline": [
            {
                "at": entry.get("at"),
                "kind": entry.get("kind"),
                "actor": entry.get("actor"),
                "detail": entry.get("detail") or {},
            }
            for entry in timeline
        ],
    }


def _plan_report(plan: Any) -> dict[str, Any] | None:
    """The case's repayment plan (arrears.domain.plans.to_item form), amounts as stored."""
    if isinstance(plan, str):  # an ops action stores it as JSON text until the next update
        try:
            plan = json.loads(plan)
        except ValueError:
            return None
    if not isinstance(plan, dict):
        return None
    keys = ("plan_id", "kind", "status", "currency", "total", "paid_total", "offered_at")
    report: dict[str, Any] = {key: str(plan.get(key, "")) for key in keys}
    report.update(
        {
            "accepted_at": plan.get("accepted_at"),
            "ended_at": plan.get("ended_at"),
            "resume_stage": plan.get("resume_stage"),
            "installments": [
                {
                    "number": int(item.get("number", 0)),
                    "due_date": str(item.get("due_date", "")),
                    "due_at": str(item.get("due_at", "")),
                    "amount": str(item.get("amount", "")),
                    "paid": str(item.get("paid", "")),
                    "status": str(item.get("status", "")),
                }
                for item in plan.get("installments") or []
                if isinstance(item, dict)
            ],
        }
    )
    return report


def _execution_summary(e: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": e["name"],
        "state_machine": e["state_machine"],
        "status": e["status"],
        "started_at": e["started_at"],
        "stopped_at": e["stopped_at"],
        "error": e["error"],
    }


# ---- totals ---------------------------------------------------------------------------------


def _totals(
    rt: LocalRuntime, cases: list[dict[str, Any]], executions: list[dict[str, Any]]
) -> dict[str, Any]:
    by_function = Counter(i.function for i in rt.invocations)
    delivery = rt.delivery
    return case_totals(cases) | {
        "executions_by_status": _sorted_counts(e["status"] for e in executions),
        "lambda_invocations": {
            "total": len(rt.invocations),
            "errors": sum(1 for i in rt.invocations if i.error),
            "by_function": dict(sorted(by_function.items())),
        },
        "events_published": delivery.events_published,
        "events_unmatched": delivery.events_unmatched,
        "sqs_batches": delivery.batches,
        "messages_delivered": delivery.messages_delivered,
        "message_failures": delivery.messages_failed,
        "dlq_messages": rt.dlq_count(),
        "unsupported_ops_actions": len(rt.unsupported_ops_actions),
    }


def case_totals(cases: list[dict[str, Any]]) -> dict[str, Any]:
    """The totals that are sums over the per-case reports."""
    contacts_by_channel = Counter(
        str(c["channel"]) for case in cases for c in case["contacts"] if c["channel"]
    )

    def blocked(decision: str) -> dict[str, int]:
        return _sorted_counts(
            str(b["reason"]) for case in cases for b in case["blocked"] if b["decision"] == decision
        )

    letters_by_kind = Counter(str(letter["kind"]) for case in cases for letter in case["letters"])
    return {
        "cases": len(cases),
        "cases_by_status": _sorted_counts(str(c["status"]) for c in cases),
        "cases_by_outcome": _sorted_counts(str(c["outcome"] or "open") for c in cases),
        "cases_by_queue": _sorted_counts(str(c["queue"]) for c in cases if c["queue"]),
        "language_fallbacks": _sorted_counts(
            f"{fallback['requested']} -> {fallback['served']}"
            for c in cases
            if (fallback := c["language_fallback"])
        ),
        "contacts": sum(contacts_by_channel.values()),
        "contacts_by_channel": dict(sorted(contacts_by_channel.items())),
        "blocked_by_reason": blocked("blocked"),
        "deferred_by_reason": blocked("deferred"),
        "failed_by_reason": blocked("failed"),
        "letters": sum(letters_by_kind.values()),
        "letters_by_kind": dict(sorted(letters_by_kind.items())),
        "amount_recovered": _recovered_by_currency(cases),
        "state_transitions": sum(len(c["state_transitions"]) for c in cases),
        "by_arm": _by_arm(cases),
    }


def merge_reports(reports: list[dict[str, Any]]) -> dict[str, Any]:
    """One report from the reports of runs over disjoint sets of accounts (shards): the
    cases side by side in case order, the case totals computed again over all of them, the
    runtime's own counters added up."""
    cases = sorted((c for r in reports for c in r["cases"]), key=lambda c: str(c["case_id"]))
    counters = (
        "events_published", "events_unmatched", "sqs_batches", "messages_delivered",
        "message_failures", "dlq_messages", "unsupported_ops_actions",
    )  # fmt: skip
    totals = [r["totals"] for r in reports]
    invocations = [t["lambda_invocations"] for t in totals]
    merged: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "seed": reports[0]["seed"],
        "generated_at": max(r["generated_at"] for r in reports),
        "cases": cases,
        "executions_without_case": sorted(
            (e for r in reports for e in r["executions_without_case"]),
            key=lambda e: (e["started_at"], e["state_machine"], e["name"]),
        ),
        "unsupported_ops_actions": [a for r in reports for a in r["unsupported_ops_actions"]],
        "rejected_events": sorted(
            (e for r in reports for e in r["rejected_events"]),
            key=lambda e: (str(e["event_id"]), str(e["reason"])),
        ),
        "totals": case_totals(cases)
        | {
            "executions_by_status": _summed(t["executions_by_status"] for t in totals),
            "lambda_invocations": {
                "total": sum(i["total"] for i in invocations),
                "errors": sum(i["errors"] for i in invocations),
                "by_function": _summed(i["by_function"] for i in invocations),
            },
        }
        | {name: sum(t[name] for t in totals) for name in counters},
    }
    faults = [r["faults_injected"] for r in reports if "faults_injected" in r]
    if faults:
        merged["faults_injected"] = _summed(faults)
    return merged


def _summed(counts: Iterable[dict[str, int]]) -> dict[str, int]:
    total: Counter[str] = Counter()
    for c in counts:
        total.update(c)
    return dict(sorted(total.items()))


UNASSIGNED_ARM = "unassigned"  # a case never assessed (no arm recorded)


def _recovered_by_currency(cases: list[dict[str, Any]]) -> dict[str, str | None]:
    recovered: dict[str, Decimal] = {}
    for case in cases:
        amount = _decimal(case["amount_recovered"]) or Decimal(0)
        if amount and case["currency"]:
            recovered[case["currency"]] = recovered.get(case["currency"], Decimal(0)) + amount
    return {k: _money(v) for k, v in sorted(recovered.items())}


def _by_arm(cases: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Champion/challenger comparison: the per-case figures summed within each arm."""
    arms: dict[str, list[dict[str, Any]]] = {}
    for case in cases:
        arms.setdefault(str(case["arm"] or UNASSIGNED_ARM), []).append(case)
    return {
        arm: {
            "cases": len(members),
            "policy_versions": sorted(
                {str(c["policy_version"]) for c in members if c["policy_version"]}
            ),
            "cases_by_outcome": _sorted_counts(str(c["outcome"] or "open") for c in members),
            "amount_recovered": _recovered_by_currency(members),
            "contacts": sum(len(c["contacts"]) for c in members),
            "letters": sum(len(c["letters"]) for c in members),
            "mean_state_transitions": round(
                sum(len(c["state_transitions"]) for c in members) / len(members), 2
            ),
        }
        for arm, members in sorted(arms.items())
    }


# ---- reading back -----------------------------------------------------------------------------


def _executions(rt: LocalRuntime) -> list[dict[str, Any]]:
    """Every execution with the states it entered, read from the emulated Step Functions'
    own records: one DescribeExecution and GetExecutionHistory call per case would make
    the report's cost grow with the portfolio twice over (moto finds an execution by a
    linear search and deep-copies its history)."""
    found: list[dict[str, Any]] = []
    for spec, execution in rt.execution_records():
        payload = execution.input_data
        case_id = payload.get("case_id") if isinstance(payload, dict) else None
        transitions = [
            {
                "state": event["stateEnteredEventDetails"]["name"],
                "at": _iso(_instant(event["timestamp"])),
            }
            for event in execution_events(execution)
            if event["type"].endswith("StateEntered")
        ]
        found.append(
            {
                "name": execution.name,
                "state_machine": spec.local_name,
                "case_id": case_id if isinstance(case_id, str) else None,
                "status": execution.status,
                "started_at": _iso(_instant(execution.start_date)),
                "stopped_at": _iso(_instant(execution.stop_date)) if execution.stop_date else None,
                "error": execution.error,
                "transitions": transitions,
            }
        )
    found.sort(key=lambda e: (e["started_at"], e["state_machine"], e["name"]))
    return found


def _instant(value: datetime | str) -> datetime:
    """A time as the API would have returned it: milliseconds, aware."""
    when = datetime.fromisoformat(value) if isinstance(value, str) else value
    when = when if when.tzinfo else when.replace(tzinfo=UTC)
    return when.replace(microsecond=when.microsecond // 1000 * 1000)


def execution_events(execution: Any) -> list[dict[str, Any]]:
    """An execution's history events as moto keeps them (read only, not copied)."""
    worker = execution.exec_worker
    env = worker.env if worker is not None else None
    return [] if env is None else env.event_manager._history_event_list


def _scan(rt: LocalRuntime, table: str | None) -> list[dict[str, Any]]:
    if not table:
        return []
    from boto3.dynamodb.types import TypeDeserializer

    deserializer = TypeDeserializer()
    if rt.dynamodb is not None:  # the in-memory engine: its items, without a Scan's copies
        raw_items: Iterable[dict[str, Any]] = rt.dynamodb.table(table).all_items()
    else:
        paginator = rt.client("dynamodb").get_paginator("scan")
        raw_items = (raw for page in paginator.paginate(TableName=table) for raw in page["Items"])
    return [{k: _plain(deserializer.deserialize(v)) for k, v in raw.items()} for raw in raw_items]


def _plain(value: Any) -> Any:
    """DynamoDB values as JSON values: numbers as int/str, sets as sorted lists."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else str(value)
    if isinstance(value, set | frozenset):
        return sorted(_plain(v) for v in value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, bytes | bytearray):
        return value.hex()
    return value


def _decimal(value: Any) -> Decimal | None:
    if value is None:
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def _money(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:.2f}"


def _sorted_counts(values: Iterable[str]) -> dict[str, int]:
    return dict(sorted(Counter(values).items()))


def _iso(value: datetime) -> str:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


# ---- human-readable views (the CLI prints these) -------------------------------------------


def render_summary(report: dict[str, Any]) -> str:
    totals = report["totals"]
    lines = ["", "Summary", "======="]

    def table(title: str, counts: dict[str, Any], unit: str = "") -> None:
        lines.append(f"{title}:")
        if not counts:
            lines.append("  (none)")
        width = max((len(k) for k in counts), default=0)
        for key, value in counts.items():
            lines.append(f"  {key:<{width}}  {value:>8}{unit}")

    lines.append(
        f"cases {totals['cases']}   contacts sent {totals['contacts']}   "
        f"letters {totals['letters']}   state transitions {totals['state_transitions']}"
    )
    table("Cases by outcome", totals["cases_by_outcome"])
    table("Cases by status", totals["cases_by_status"])
    table("Cases waiting for a person, by queue", totals.get("cases_by_queue") or {})
    table("Written in a fallback language", totals.get("language_fallbacks") or {})
    table("Contacts by channel", totals["contacts_by_channel"])
    table("Blocked contacts by reason", totals["blocked_by_reason"])
    table("Deferred contacts by reason", totals["deferred_by_reason"])
    table("Failed contacts by reason", totals.get("failed_by_reason") or {})
    table("Letters produced", totals["letters_by_kind"])
    table("Amount recovered", totals["amount_recovered"])
    _arm_table(lines, totals.get("by_arm") or {})
    invocations = totals["lambda_invocations"]
    lines.append(
        f"Events: {totals['events_published']} published, {totals['events_unmatched']} "
        f"matched no rule; SQS: {totals['sqs_batches']} batches, "
        f"{totals['message_failures']} failed deliveries, {totals['dlq_messages']} in DLQ"
    )
    lines.append(
        f"Lambda: {invocations['total']} invocations ({invocations['errors']} errors); "
        f"executions: " + ", ".join(f"{k} {v}" for k, v in totals["executions_by_status"].items())
    )
    if totals["unsupported_ops_actions"]:
        lines.append(f"Ops actions not run (no ops hook): {totals['unsupported_ops_actions']}")
    return "\n".join(lines)


def _arm_table(lines: list[str], by_arm: dict[str, dict[str, Any]]) -> None:
    """One row per champion/challenger arm, the columns the experiment is judged on."""
    lines.append("By arm:")
    if not by_arm:
        lines.append("  (none)")
        return
    outcomes = sorted({o for arm in by_arm.values() for o in arm["cases_by_outcome"]})
    header = ["arm", "cases", *outcomes, "contacts", "letters", "transitions/case"]
    rows = [
        [
            name,
            str(arm["cases"]),
            *(str(arm["cases_by_outcome"].get(o, 0)) for o in outcomes),
            str(arm["contacts"]),
            str(arm["letters"]),
            f"{arm['mean_state_transitions']:.2f}",
        ]
        for name, arm in by_arm.items()
    ]
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        cells = [
            row[0].ljust(widths[0]),
            *(v.rjust(w) for v, w in zip(row[1:], widths[1:], strict=True)),
        ]
        lines.append("  " + "  ".join(cells).rstrip())
    # amounts per currency vary in number, so they get a line per arm instead of columns
    for name, arm in by_arm.items():
        amounts = ", ".join(f"{v} {k}" for k, v in arm["amount_recovered"].items()) or "0"
        lines.append(f"  {name.ljust(widths[0])}  recovered {amounts}")


def render_timelines(report: dict[str, Any], labels: dict[str, str] | None = None) -> str:
    """One block per case: headline, then its timeline (or state transitions) in order."""
    labels = labels or {}
    blocks: list[str] = []
    for case in report["cases"]:
        label = labels.get(case["account_id"], "")
        head = (
            f"{case['case_id']}  {label}  -> {case['status'] or '?'}"
            f" (stage {case['stage'] or '?'}, outcome {case['outcome'] or 'open'})"
            f"  balance {case['balance'] or '?'} {case['currency'] or ''}"
            f"  recovered {case['amount_recovered'] or '0.00'}"
        )
        lines = [head.replace("   ", " ")]
        if case["timeline"]:
            for entry in case["timeline"]:
                lines.append(
                    f"    {_short_time(entry['at'])}  {entry['kind']:<18} "
                    f"{_detail_text(entry['detail'])}"
                )
        else:
            for transition in case["state_transitions"]:
                lines.append(
                    f"    {_short_time(transition['entered_at'])}  state  {transition['state']}"
                )
        for contact in case["contacts"]:
            lines.append(
                f"    {_short_time(contact['sent_at'])}  sent {contact['channel']:<5} "
                f"{contact['template'] or ''} (local {_short_time(contact['local_time'] or '')})"
            )
        blocks.append("\n".join(lines))
    return "\n\n".join(["Cases", "=====", *blocks])


def _language_fallback(timeline: list[dict[str, Any]]) -> dict[str, str] | None:
    """The language_fallback ingest noted when the case opened, if any."""
    for entry in timeline:
        detail = entry.get("detail")
        if entry.get("kind") == "language_fallback" and isinstance(detail, dict):
            return {"requested": str(detail["requested"]), "served": str(detail["served"])}
    return None


def _short_time(value: Any) -> str:
    text = str(value or "")
    return text[:16].replace("T", " ") if text else "?"


_DETAIL_KEYS = (
    "status",
    "stage",
    "channel",
    "template",
    "reason",
    "kind",
    "segment",
    "score",
    "amount_paid",
    "balance",
    "outcome",
    "wake",
    "decision",
    "action",
)


def _detail_text(detail: Any) -> str:
    if not isinstance(detail, dict):
        return ""
    parts = [f"{k}={detail[k]}" for k in _DETAIL_KEYS if detail.get(k) not in (None, "")]
    return " ".join(parts)[:110]
