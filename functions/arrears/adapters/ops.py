"""DynamoDB side of ops actions: read the case, write a plan atomically, audit it.

The plan (``domain.ops.OpsPlan``) touches attributes only ops actions own (promise,
pause, litigation decision, ...) besides status, queue and the borrower's opt-outs, so
the write is a low-level TransactWriteItems rather than a pynamodb model save. It is
conditioned on the case's ``version`` and ``task_token`` as read, so a case that moved
between read and write is re-read and re-decided, never overwritten; and it stamps
``last_ops_execution`` so a retried Lambda invocation does not apply one action twice.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from botocore.exceptions import ClientError

from arrears.adapters.cases import DynamoTimeline, case_from_item, outbox_item
from arrears.adapters.models import (
    BorrowerModel,
    CaseModel,
    OutboxModel,
    TimelineModel,
)
from arrears.adapters.queue_counts import count_waiting
from arrears.domain import outbound
from arrears.domain.case import (
    CaseRecord,
    TimelineEntry,
    iso_utc,
    iso_utc_micro,
    parse_iso_utc,
)
from arrears.domain.errors import ConcurrentUpdate
from arrears.domain.ops import Applied, CaseSnapshot, OpsFacts, OpsPlan
from arrears.domain.outbound import OutboundEvent
from arrears.domain.types import CaseStatus

# Attempts to write a plan when the case keeps moving under it (each re-reads and re-plans).
WRITE_ATTEMPTS = 3
# How far back the call the escalation claimed for an agent outcome is looked for.
CLAIMED_CALL_LOOKBACK = timedelta(days=14)


@cache
def _dynamodb() -> Any:
    """The DynamoDB client every table model already sends through
    (``models.shared_connection``): a client of its own would parse DynamoDB's service
    model again on the first invocation (tens of milliseconds)."""
    return CaseModel._get_connection().connection.client


def _s(value: str) -> dict[str, str]:
    return {"S": value}


class OpsStore:
    """Reads and writes for the ops handler (DynamoDB through boto3's low-level client)."""

    def __init__(self, client: Any | None = None) -> None:
        self._client = client or _dynamodb()

    # ---- reads ---------------------------------------------------------------------

    def snapshot(self, case_id: str) -> CaseSnapshot:
        response = self._client.get_item(
            TableName=CaseModel.Meta.table_name, Key={"case_id": _s(case_id)}, ConsistentRead=True
        )
        item = response.get("Item")
        if item is None:
            return CaseSnapshot(case=None, facts=OpsFacts())
        case = case_from_item(CaseModel.from_raw_data(item))
        before = _text(item, "status_before_pause")
        paused_until = _text(item, "paused_until")
        result = _text(item, "last_ops_result")
        return CaseSnapshot(
            case=case,
            facts=OpsFacts(
                status_before_pause=CaseStatus(before) if before else None,
                paused_until=parse_iso_utc(paused_until) if paused_until else None,
            ),
            last_ops_execution=_text(item, "last_ops_execution"),
            last_ops_result=json.loads(result) if result else None,
        )

    # ---- the write -----------------------------------------------------------------

    def apply(
        self,
        case_id: str,
        execution_id: str,
        now: datetime,
        decide: Callable[[CaseSnapshot], OpsPlan],
    ) -> Applied:
        """Read, decide (may raise a domain error: nothing written), write; retry on a race.

        A retried invocation of the same execution gets what the first one applied.
        """
        for _ in range(WRITE_ATTEMPTS):
            snapshot = self.snapshot(case_id)
            if snapshot.last_ops_execution == execution_id and snapshot.last_ops_result:
                stored = snapshot.last_ops_result
                case = snapshot.case
                return Applied(
                    task_token=case.task_token if case and stored["wake"] else None,
                    wake=stored["wake"],
                    timeline_kind=stored["timeline_kind"],
                    timeline_detail=stored["timeline_detail"],
                    applied_at=stored["applied_at"],
                    repeated=True,
                )
            plan = decide(snapshot)
            assert snapshot.case is not None  # decide() refuses a missing case
            applied = Applied(
                task_token=snapshot.case.task_token if plan.wake else None,
                wake=plan.wake,
                timeline_kind=plan.timeline_kind,
                timeline_detail=plan.timeline_detail,
                applied_at=iso_utc_micro(now),
            )
            events = _outbound(snapshot.case, plan, now)
            try:
                self._client.transact_write_items(
                    TransactItems=self._transaction(
                        snapshot.case, plan, applied, execution_id, events
                    )
                )
            except ClientError as error:
                if error.response["Error"]["Code"] == "TransactionCanceledException":
                    continue  # the case moved: re-read, decide again
                raise
            return applied
        raise ConcurrentUpdate(
            f"case {case_id} kept changing while the action was applied; nothing was changed, "
            "start the action again"
        )

    def _transaction(
        self,
        case: CaseRecord,
        plan: OpsPlan,
        applied: Applied,
        execution_id: str,
        events: tuple[OutboundEvent, ...] = (),
    ) -> list[dict[str, Any]]:
        now = parse_iso_utc(applied.applied_at)
        names: dict[str, str] = {}
        values: dict[str, Any] = {}

        def name(attribute: str) -> str:
            for placeholder, known in names.items():
                if known == attribute:
                    return placeholder
            placeholder = f"#a{len(names)}"
            names[placeholder] = attribute
            return placeholder

        def value(data: Any) -> str:
            placeholder = f":v{len(values)}"
            values[placeholder] = data
            return placeholder

        sets = dict(plan.case.set)
        sets["last_ops_execution"] = execution_id
        sets["last_ops_result"] = applied.stored()
        sets["updated_at"] = iso_utc(now)
        set_clause_extra = ""
        if events:
            # numbered after the out_seq read with this version (the condition below)
            set_clause_extra = f", {name('out_seq')} = {value({'N': str(events[-1].sequence)})}"
        set_clause = ", ".join(f"{name(k)} = {value(_s(v))}" for k, v in sets.items())
        set_clause += set_clause_extra
        expression = f"SET {set_clause} ADD {name('version')} {value({'N': '1'})}"
        if plan.case.remove:
            expression += " REMOVE " + ", ".join(name(k) for k in plan.case.remove)

        # the case as it was read: same version (no lifecycle write since) and same wait
        version = name("version")
        same_version = f"{version} = {value({'N': str(case.version)})}"
        if case.version == 0:  # an item written without a version reads as 0
            same_version = f"(attribute_not_exists({version}) OR {same_version})"
        condition = f"attribute_exists({name('case_id')}) AND {same_version}"
        token = name("task_token")
        if case.task_token:
            condition += f" AND {token} = {value(_s(case.task_token))}"
        else:
            condition += f" AND attribute_not_exists({token})"

        items: list[dict[str, Any]] = [
            {
                "Update": {
                    "TableName": CaseModel.Meta.table_name,
                    "Key": {"case_id": _s(case.case_id)},
                    "UpdateExpression": expression,
                    "ConditionExpression": condition,
                    "ExpressionAttributeNames": names,
                    "ExpressionAttributeValues": values,
                }
            }
        ]
        borrower = self._borrower_update(case.account_id, plan, now)
        if borrower is not None:
            items.append(borrower)
        for event in events:
            items.append(
                {
                    "Put": {
                        "TableName": OutboxModel.Meta.table_name,
                        "Item": outbox_item(event).serialize(),
                        "ConditionExpression": "attribute_not_exists(#s)",
                        "ExpressionAttributeNames": {"#s": "sequence"},
                    }
                }
            )
        return items

    @staticmethod
    def _borrower_update(account_id: str, plan: OpsPlan, now: datetime) -> dict[str, Any] | None:
        changes = plan.borrower
        if not changes.any:
            return None
        sets = ["#updated = :updated"]
        adds = []
        values: dict[str, Any] = {":updated": _s(iso_utc(now))}
        names = {"#updated": "updated_at"}
        if changes.cease_communication:
            sets.append("#cease = :cease")
            names["#cease"] = "cease_communication"
            values[":cease"] = {"BOOL": True}
        if changes.opt_out is not None:
            adds.append("#opted :opted")
            names["#opted"] = "opted_out"
            values[":opted"] = {"SS": [changes.opt_out.value]}
        if changes.add_flags:
            adds.append("#flags :flags")
            names["#flags"] = "flags"
            values[":flags"] = {"SS": sorted(changes.add_flags)}
        expression = "SET " + ", ".join(sets)
        if adds:
            expression += " ADD " + ", ".join(adds)
        if changes.unverify:
            names["#verified"] = "verified_channels"
            values[":unverify"] = {"SS": sorted(channel.value for channel in changes.unverify)}
            expression += " DELETE #verified :unverify"
        return {
            "Update": {
                "TableName": BorrowerModel.Meta.table_name,
                "Key": {"account_id": _s(account_id)},
                "UpdateExpression": expression,
                "ExpressionAttributeNames": names,
                "ExpressionAttributeValues": values,
            }
        }

    # ---- the contact ledger --------------------------------------------------------

    def record_conversation(self, case_id: str, at: datetime, ledger: Any | None = None) -> None:
        """An agent call reached the borrower at ``at``: start the Reg F quiet period.

        The call the escalation claimed for this case (the AGENT_CALL request) is marked as
        the conversation when it is on the same local day; a conversation on a later day
        gets its own entry at ``at`` (the agent placed another call), so the quiet period
        never starts before the day the borrower was really reached. Repeating it with the
        same ``at`` (a retried invocation) writes the same entry again.
        """
        from arrears.adapters.cases import Repositories
        from arrears.adapters.ledger import CONVERSATION_TEMPLATE, SENT, ContactLedger
        from arrears.domain.ladder import local_zone
        from arrears.domain.types import Channel

        account_id = case_id.rsplit("#", 1)[0]
        borrower = Repositories.dynamo().borrowers.get(account_id)
        zone = local_zone(borrower.timezone if borrower else None)
        ledger = ledger or ContactLedger()
        claimed = [
            entry
            for entry in ledger.entries(account_id, since=at - CLAIMED_CALL_LOOKBACK)
            if entry.case_id == case_id
            and entry.channel is Channel.CALL
            and entry.decision == SENT
            and entry.template != CONVERSATION_TEMPLATE
            and entry.at <= at
        ]
        same_day = [
            entry
            for entry in claimed
            if entry.at.astimezone(zone).date() == at.astimezone(zone).date()
        ]
        ledger.record_conversation(
            account_id,
            case_id,
            at,
            call_entry_key=same_day[-1].entry_key if same_day else None,
            local_time=at.astimezone(zone).isoformat(),
        )

    # ---- the audit line ------------------------------------------------------------

    def record(self, entry: TimelineEntry, execution_id: str) -> TimelineEntry:
        """Append the audit line once per ops execution (a retried invocation finds it)."""
        for existing in TimelineModel.query(
            entry.case_id,
            range_key_condition=TimelineModel.entry_key.startswith(iso_utc_micro(entry.at)),
            consistent_read=True,
        ):
            if existing.detail and existing.detail.as_dict().get("execution") == execution_id:
                return entry
        return DynamoTimeline().append(entry)


def _text(item: dict[str, Any], attribute: str) -> str | None:
    value = item.get(attribute)
    if not value:
        return None
    text = value.get("S")
    return text or None


__all__ = ["Applied", "CaseSnapshot", "OpsStore", "count_waiting"]


def _outbound(case: CaseRecord, plan: OpsPlan, now: datetime) -> tuple[OutboundEvent, ...]:
    """The outbound events an ops action records (a promise, a plan, a closure)."""
    after = outbound.after_sets(case, plan.case.set, now, plan.case.remove)
    # the action's name, never its free-text reason or note (people write names in them)
    name = getattr(plan.action.action, "value", plan.action.action)
    extra = {**plan.case.set, "reason": f"ops_{name}", "bucket": _letters_bucket()}
    facts = outbound.derive(case, after, (), extra)
    return outbound.number(after, facts, case.out_seq + 1, now)


def _letters_bucket() -> str | None:
    from arrears.settings import settings

    return settings().letters_bucket or None
