"""Ingest: payment-status events and borrower replies from the SQS queue (docs/events.md).

Per SQS record: parse and validate; a malformed event goes to the ingest DLQ with the
validation error attached and is reported as processed (never half-applied, never
retried); a valid one is applied once per ``event_id`` (Powertools Idempotency), as one
atomic DynamoDB write decided by ``arrears.domain.case.decide``, and only then are the
side effects issued (start the case's execution, wake a waiting one). Transient AWS
errors are raised, so SQS redelivers just that record (partial batch response).
Logs carry ids, statuses and reasons only: never contact data or message text.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit, single_metric

from arrears import constants as c
from arrears.domain import delinquency, outbound
from arrears.domain.case import (
    ACTOR_INGEST,
    BorrowerRecord,
    CaseRecord,
    Decision,
    DueSoonNotice,
    Outcome,
    PreDueSegment,
    TimelineEntry,
    decide,
    no_case_id,
    note_language_fallback,
)
from arrears.domain.errors import ConcurrentUpdate, InvalidEvent
from arrears.domain.events import (
    BorrowerReplied,
    CreditLineAcknowledged,
    Inbound,
    PaymentStatusChanged,
    parse_detail,
    parse_envelope,
)
from arrears.domain.ports import (
    DeadLetterSink,
    IngestWrite,
    PlanStore,
    SentimentAnalyzer,
    Stores,
    Workflow,
)
from arrears.domain.template_locales import resolve_locale, shipped_locales
from arrears.domain.types import Channel
from arrears.steps.waking import Delivered, deliver_wake

if TYPE_CHECKING:
    from arrears.domain.policy import Policy
    from arrears.steps.reply import ReplyOutcome, ReplyProcessor

logger = Logger(service=c.SERVICE_NAME)
metrics = Metrics(namespace=c.METRICS_NAMESPACE, service=c.SERVICE_NAME)

# Conditional-write races (two events of one account in one batch window) are re-decided
# on fresh state this many times before the record is handed back to SQS.
MAX_DECIDE_ATTEMPTS = 5


# --------------------------------------------------------------------------- the batch


def partial_batch(
    records: list[Any], handle: Callable[[dict[str, Any]], object]
) -> dict[str, list[dict[str, str]]]:
    """An SQS partial batch response: each record handled in turn; one that raises (a
    transient AWS error) is handed back to SQS alone, by its message id, and the others
    stand. The log names the error's type only."""
    failures = []
    for record in records:
        try:
            handle(record)
        except Exception as error:
            logger.warning("record handed back to SQS", extra={"error": type(error).__name__})
            failures.append({"itemIdentifier": str(record.get("messageId", ""))})
    return {"batchItemFailures": failures}


# --------------------------------------------------------------------------- wiring


@dataclass
class Ingestor:
    """The per-record work, with its collaborators injected (tests pass fakes)."""

    repos: Stores
    workflow: Callable[[], Workflow]  # lazy: built on first start/wake
    dead_letters: DeadLetterSink
    clock: Callable[[], datetime]
    resolve_below: Callable[[CaseRecord | None], Decimal | None]
    # scores a DUE_SOON account; None keeps DUE_SOON record-only
    pre_due_segment: PreDueSegment | None = None
    # record_reply and apply behind Powertools Idempotency (the Lambda wiring,
    # ``idempotent``); None applies them as they are
    record_reply_once: Callable[..., dict[str, Any]] | None = None
    apply_once: Callable[..., dict[str, Any]] | None = None
    # account id -> the default language of the policy its new case runs on
    default_locale: Callable[[str], str | None] = lambda _account_id: None
    # what a reply needs, built on the first reply: its sentiment and language
    # (Comprehend) and the plan store
    reply_adapters: Callable[[], tuple[SentimentAnalyzer, PlanStore]] | None = None
    # a case's credit line requests as (outbound sequence, action): checks the wallet's
    # acknowledgements (adapters/outbound_events.credit_line_requests)
    credit_requests: Callable[[str], list[tuple[int, str]]] | None = None

    # ---------------------------------------------------------------- entry

    def idempotent(self, once: Callable[[Callable[..., Any]], Callable[..., Any]]) -> None:
        """Apply each record and each reply's writes at most once per idempotency key."""
        self.record_reply_once = once(self.record_reply)
        self.apply_once = once(self.apply)

    def handle_record(self, body: str | None) -> dict[str, Any]:
        """One SQS record: validated, then applied (at most once when ``idempotent``)."""
        return self.handle_body(body, self.apply_once or self.apply)

    def handle_body(self, body: str | None, apply: Callable[..., dict[str, Any]]) -> dict[str, Any]:
        """Validate one SQS body; reject it, or pass it to ``apply`` (the idempotent wrapper)."""
        try:
            envelope = parse_envelope(_json(body))
            event = parse_detail(envelope)
            if isinstance(event, CreditLineAcknowledged):
                self.check_acknowledgement(event)
        except InvalidEvent as error:
            return self.reject(body or "", error)
        key = _idempotency_key(event, envelope.id, body or "")
        return apply(
            event={
                "idempotency_key": key,
                "source": envelope.source,
                "detail-type": envelope.detail_type,
                "detail": envelope.detail,
            }
        )

    def reject(self, body: str, error: InvalidEvent) -> dict[str, Any]:
        if not self.dead_letters.configured:
            # Without the DLQ URL the record fails instead: SQS's redrive policy still
            # parks it in the DLQ after maxReceiveCount (without the error attached).
            logger.error("malformed event and no DLQ configured", extra={"reason": error.reason})
            raise error
        self.dead_letters.reject(body, error.reason, error.detail)
        logger.warning("event rejected", extra={"reason": error.reason, "validation": error.detail})
        _count("EventsRejected", reason=error.reason)
        return {"outcome": "rejected", "reason": error.reason}

    def apply(self, event: dict[str, Any]) -> dict[str, Any]:
        """Apply one validated event (called at most once per idempotency key on success)."""
        parsed = parse_detail(parse_envelope(event))
        if isinstance(parsed, PaymentStatusChanged):
            return self.apply_payment_status(parsed)
        if isinstance(parsed, CreditLineAcknowledged):
            return self.apply_acknowledgement(parsed)
        # A reply's writes are guarded by their own key: when its wake fails and SQS
        # redelivers, they return their saved outcome and only the wake runs again.
        writes = {**event, "idempotency_key": f"{event['idempotency_key']}#writes"}
        record = self.record_reply_once or self.record_reply
        from arrears.steps.reply import ReplyOutcome  # replies load lazily

        return self.wake_for_reply(ReplyOutcome.from_saved(record(event=writes)))

    # ---------------------------------------------------------------- credit line

    def check_acknowledgement(self, event: CreditLineAcknowledged) -> None:
        """Refuse (to the DLQ, with the reason) an acknowledgement for an unknown case or
        for a request that is not the case's latest credit line request."""
        if self.repos.cases.get(event.case_id) is None:
            raise InvalidEvent("unknown_case", "no case has that case_id")
        requests = self.credit_requests(event.case_id) if self.credit_requests else []
        problem = event.problem_with(requests)
        if problem is not None:
            raise InvalidEvent(*problem)

    def apply_acknowledgement(self, event: CreditLineAcknowledged) -> dict[str, Any]:
        """The wallet's answer lands on the case's timeline (the case does not move)."""
        logger.set_correlation_id(event.case_id)
        self._record(
            event.case_id,
            "credit_line_acknowledged",
            {
                "event_id": event.event_id,
                "sequence": event.sequence,
                "action": event.action,
                "result": event.result,
                "occurred_at": event.occurred_at.isoformat(),
            },
        )
        _count("CreditLineAcknowledged", result=event.result)
        return {"outcome": "acknowledged", "case_id": event.case_id}

    # ---------------------------------------------------------------- payments

    def apply_payment_status(self, event: PaymentStatusChanged) -> dict[str, Any]:
        logger.append_keys(event_id=event.event_id, account_id=event.account_id)
        decision = self._decide_and_commit(event)
        case_id = decision.case.case_id if decision.case else no_case_id(event.account_id)
        logger.set_correlation_id(case_id)
        logger.info(
            "payment event",
            extra={
                "status": event.status.value,
                "sequence": event.sequence,
                "outcome": decision.outcome.value,
                "ignore_reason": decision.ignore_reason.value if decision.ignore_reason else None,
            },
        )
        _count("EventsApplied" if decision.outcome is not Outcome.IGNORE else "EventsIgnored")
        if decision.ignore_reason is not None:
            _count("EventsIgnoredByReason", reason=decision.ignore_reason.value)

        if decision.start_execution and decision.case is not None:
            self._start(decision.case, decision.outcome)
        if decision.wake is not None and decision.case is not None:
            self._wake(decision)
        if decision.due_soon is not None:
            on_due_soon(decision.due_soon, decision.case if decision.case_is_new else None)
        if decision.case_is_new:
            _count(c.METRIC_CASES_OPENED)
        if decision.writes_case and decision.case is not None and decision.case.closed_at:
            _count(c.METRIC_CASES_CLOSED, outcome=decision.case.outcome or "closed")
        return {
            "outcome": decision.outcome.value,
            "case_id": case_id,
            "reason": decision.ignore_reason.value if decision.ignore_reason else None,
            "wake": decision.wake.reason.value if decision.wake else None,
        }

    def _decide_and_commit(self, event: PaymentStatusChanged) -> Decision:
        for _ in range(MAX_DECIDE_ATTEMPTS):
            borrower = self.repos.borrowers.get(event.account_id)
            case = None
            if borrower is not None and borrower.open_case_id:
                case = self.repos.cases.get(borrower.open_case_id)
            now = self.clock()
            decision = decide(
                event,
                borrower,
                case,
                now=now,
                resolve_below=self.resolve_below(case),
                pre_due_segment=self.pre_due_segment,
            )
            # the template sets' names only: the templates themselves are not loaded here
            decision = note_language_fallback(
                decision,
                lambda locale: resolve_locale(
                    shipped_locales(), locale, self.default_locale(event.account_id)
                ),
                now,
            )
            write = IngestWrite(timeline=decision.timeline)
            if decision.outcome not in (Outcome.REDELIVERY,):
                write = IngestWrite(
                    borrower=decision.borrower,
                    expected_last_sequence=decision.expected_last_sequence,
                    create_case=decision.case if decision.case_is_new else None,
                    update_case=decision.case if decision.outcome is Outcome.UPDATE_CASE else None,
                    expected_case_version=decision.expected_case_version,
                    timeline=decision.timeline,
                    clear_flags=_cleared_flags(borrower, decision.borrower),
                    reachable_again=_reachable_again(borrower, decision.borrower),
                )
            write = _with_outbound(write, case, now)
            try:
                self.repos.ingest.commit(write)
            except ConcurrentUpdate:
                logger.info("ingest write lost a race; deciding again")
                continue
            _count_recovered(case, decision)
            return decision
        raise ConcurrentUpdate(f"gave up after {MAX_DECIDE_ATTEMPTS} attempts")

    def _start(self, case: CaseRecord, outcome: Outcome) -> None:
        started = self.workflow().start(case.case_id, case.account_id, case.cycle)
        if started.already_existed and outcome is Outcome.REDELIVERY:
            return  # the usual redelivery: the first attempt did start it
        self._record(
            case.case_id,
            "execution_started",
            {"execution_name": started.name, "already_existed": started.already_existed},
        )

    def _wake(self, decision: Decision) -> None:
        """Wake the waiting execution, or park the wake for its next wait (``_waking``)."""
        assert decision.case is not None and decision.wake is not None
        case_id = decision.case.case_id
        reason = decision.wake.reason.value
        delivery = deliver_wake(self.repos.cases, self.workflow, case_id, decision.wake.output)
        if delivery.outcome is Delivered.WOKEN:
            _count("ExecutionsWoken", reason=reason)
        elif delivery.outcome is Delivered.PARKED:
            _count("WakesParked", reason=reason)
        self._record(case_id, delivery.timeline_kind, delivery.detail(reason))

    # ---------------------------------------------------------------- replies

    def apply_reply(self, reply: BorrowerReplied) -> dict[str, Any]:
        """Record, analyse and act on a reply, then wake its escalation."""
        key = f"event:{reply.event_id}" if reply.event_id else ""
        return self.wake_for_reply(self._record_reply(reply, key))

    def record_reply(self, event: dict[str, Any]) -> dict[str, Any]:
        """Every write a reply makes (``apply`` runs this once per event id)."""
        reply = parse_detail(parse_envelope(event))
        assert isinstance(reply, BorrowerReplied)
        return self._record_reply(reply, str(event["idempotency_key"])).saved()

    def _record_reply(self, reply: BorrowerReplied, key: str) -> ReplyOutcome:
        logger.append_keys(account_id=reply.account_id)
        borrower = self.repos.borrowers.get(reply.account_id)
        case_id = (
            borrower.open_case_id
            if borrower and borrower.open_case_id
            else no_case_id(reply.account_id)
        )
        logger.set_correlation_id(case_id)
        # recorded (never its text), analysed and acted on: opt-out, claimed payment,
        # hardship, dispute, plan acceptance, distress
        outcome = self._replies(key).apply(reply, case_id)
        _count("RepliesReceived")
        logger.info("reply recorded", extra={"channel": reply.channel.value})
        return outcome

    def wake_for_reply(self, outcome: ReplyOutcome) -> dict[str, Any]:
        logger.set_correlation_id(outcome.case_id)
        self._replies().wake(outcome)
        return {
            "outcome": "reply_recorded",
            "case_id": outcome.case_id,
            "intent": outcome.primary,
            "wake": outcome.wake,
        }

    def _replies(self, reply_key: str = "") -> ReplyProcessor:
        from arrears.steps.reply import ReplyProcessor

        if self.reply_adapters is None:
            raise RuntimeError("replies need Ingestor.reply_adapters")
        analyzer, plans = self.reply_adapters()
        return ReplyProcessor(
            repos=self.repos,
            workflow=self.workflow,
            clock=self.clock,
            analyzer=analyzer,
            plans=plans,
            reply_key=reply_key,
        )

    # ---------------------------------------------------------------- helpers

    def _record(
        self, case_id: str, kind: str, detail: dict[str, Any], actor: str = ACTOR_INGEST
    ) -> None:
        self.repos.timeline.append(
            TimelineEntry(case_id=case_id, at=self.clock(), kind=kind, actor=actor, detail=detail)
        )


def _cleared_flags(before: BorrowerRecord | None, after: BorrowerRecord | None) -> frozenset[str]:
    """Flags the decision lifted (ingest writes flags only by removing these)."""
    if before is None or after is None:
        return frozenset()
    return before.flags - after.flags


def _reachable_again(
    before: BorrowerRecord | None, after: BorrowerRecord | None
) -> frozenset[Channel]:
    """Stopped channels the decision reopened (a different email or phone arrived)."""
    if before is None or after is None:
        return frozenset()
    reopened: set[Channel] = set()
    if before.email_bounced and not after.email_bounced:
        reopened.add(Channel.EMAIL)
    if before.sms_failed and not after.sms_failed:
        reopened.add(Channel.SMS)
    return frozenset(reopened)


def on_due_soon(notice: DueSoonNotice, opened: CaseRecord | None) -> None:
    """Count DUE_SOON: a pre-due case opened for it (``opened``), or recorded only."""
    _count("DueSoonRecorded")
    if opened is not None:
        _count("PreDueCasesOpened", segment=opened.segment or "unknown")


def pre_due_segment(policy_file: str | None = None) -> PreDueSegment:
    """Early warning: score a DUE_SOON account as assess would score its case.

    Reuses the assess step's features and the account's policy (champion/challenger), and
    answers the segment only for the policy's ``pre_due.segments``. Scoring is pure and
    local (no AWS call); a failure keeps the event record-only rather than failing it.
    """

    def segment_for(case: CaseRecord, borrower: BorrowerRecord) -> str | None:
        from arrears.domain.ladder import pre_due_eligible
        from arrears.domain.policy import policy_for_account
        from arrears.domain.scoring import choose_segment, load_scorecard, score
        from arrears.steps.rescoring import features_of

        try:
            policy, _arm = policy_for_account(case.account_id, policy_file)
            result = score(features_of(case, borrower, case.opened_at), load_scorecard())
            segment = choose_segment(result, borrower.flags, policy.bands()).segment
        except Exception:  # a broken model/policy must not lose the event
            logger.exception("pre-due scoring failed; DUE_SOON recorded only")
            return None
        return segment if pre_due_eligible(policy, segment) else None

    return segment_for


def _json(body: str | None) -> Any:
    if not isinstance(body, str):
        raise InvalidEvent("not_json", "the message body is empty")
    try:
        return json.loads(body)
    except (ValueError, RecursionError) as error:
        reason = f"the message body is not JSON ({type(error).__name__})"
        raise InvalidEvent("not_json", reason) from error


def _idempotency_key(event: Inbound, envelope_id: str | None, body: str) -> str:
    """`event_id` (the contract's key); replies without one use the EventBridge event id."""
    if event.event_id:
        return f"event:{event.event_id}"
    if envelope_id:
        return f"envelope:{envelope_id}"
    return "body:" + hashlib.sha256(body.encode("utf-8", "replace")).hexdigest()


def _count(name: str, **dimensions: str) -> None:
    if not dimensions:
        metrics.add_metric(name=name, unit=MetricUnit.Count, value=1)
        return
    with single_metric(
        name=name, unit=MetricUnit.Count, value=1, namespace=c.METRICS_NAMESPACE
    ) as metric:
        metric.add_dimension(name="service", value=c.SERVICE_NAME)
        for key, value in dimensions.items():
            metric.add_dimension(name=key, value=value)


def _count_recovered(before: CaseRecord | None, decision: Decision) -> None:
    """AmountRecovered: what an applied payment took off the case balance, by currency."""
    after = decision.case
    if before is None or after is None or after.case_id != before.case_id:
        return
    if not any(entry.kind == "payment" for entry in decision.timeline):
        return  # only a payment recovers money (a restated or written-off debt does not)
    recovered = before.balance - after.balance
    if recovered <= 0:
        return
    # CloudWatch values are doubles; the exact amount stays in the timeline entry.
    with single_metric(
        name=c.METRIC_AMOUNT_RECOVERED,
        unit=MetricUnit.NoUnit,
        value=float(recovered),
        namespace=c.METRICS_NAMESPACE,
    ) as metric:
        metric.add_dimension(name="service", value=c.SERVICE_NAME)
        metric.add_dimension(name="currency", value=after.currency)


def policy_rules(policy_file: str) -> dict[str, Any]:
    """What the Ingestor reads from the policy file: the balance below which a case is
    resolved, the pre-due segment of a DUE_SOON account, the fallback language."""
    return {
        "resolve_below": _policy_threshold(policy_file),
        "pre_due_segment": pre_due_segment(policy_file),
        "default_locale": _policy_default_locale(policy_file),
    }


def _policy_default_locale(policy_file: str) -> Callable[[str], str | None]:
    def default_locale(account_id: str) -> str | None:
        from arrears.domain.policy import PolicyError, policy_for_account

        try:
            return policy_for_account(account_id, policy_file)[0].notices.default_locale
        except PolicyError:
            logger.exception("policy could not be loaded; en-US is the fallback language")
            return None

    return default_locale


def _policy_threshold(policy_file: str) -> Callable[[CaseRecord | None], Decimal | None]:
    def resolve_below(case: CaseRecord | None) -> Decimal | None:
        from arrears.domain.policy import PolicyError, policy_by_version

        try:
            policy = policy_by_version(case.policy_version if case else None, policy_file)
        except PolicyError:
            logger.exception("policy could not be loaded; no balance threshold applies")
            return None
        return policy.resolve_below

    return resolve_below


# --------------------------------------------------------------------------- Lambda


def _with_outbound(write: IngestWrite, before: CaseRecord | None, now: datetime) -> IngestWrite:
    """The case's delinquency standing as of now, and the outbound events the write records
    (a case opened, closed by a payment, its bucket cured...), numbered after the case's
    last one and stored in the same transaction."""
    after = write.create_case or write.update_case
    if after is None:
        return write
    previous = None if write.create_case is not None else before
    policy = _policy_of(after)
    if policy is not None:
        after, entries = delinquency.advance(
            previous, after, now, policy.delinquency, policy.credit_line
        )
        write = replace(
            write,
            create_case=after if write.create_case is not None else None,
            update_case=after if write.update_case is not None else None,
            timeline=write.timeline + tuple(entries),
        )
    facts = outbound.derive(previous, after, write.timeline)
    if not facts:
        return write
    first = (previous.out_seq if previous is not None else 0) + 1
    numbered = after
    if numbered.policy_version is None and policy is not None:
        # a new case: assess records the version on the case later
        numbered = replace(after, policy_version=policy.version)
    events = outbound.number(numbered, facts, first, now)
    if write.create_case is not None:
        return replace(
            write, create_case=replace(after, out_seq=events[-1].sequence), outbound=events
        )
    return replace(write, outbound=events)


def _policy_of(case: CaseRecord) -> Policy | None:
    """The policy the case runs on (a new case: the one its account is assigned to)."""
    from arrears.domain.policy import policy_by_version, policy_for_account

    try:
        if case.policy_version:
            return policy_by_version(case.policy_version)
        return policy_for_account(case.account_id)[0]
    except Exception:  # a broken policy file fails assess loudly; ingest goes on
        logger.exception("no policy for the case's delinquency standing")
        return None
