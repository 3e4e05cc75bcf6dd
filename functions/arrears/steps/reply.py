"""Borrower replies (BorrowerReplied), after ingest has validated and recorded their arrival.

Ingest applies each reply once per event id (Powertools Idempotency) and wakes apart from
that, so a failed wake is retried without applying the reply again. Applying it:

1. analyses the text (``domain.replies``: language, intents, distress words) and asks
   Comprehend for its sentiment (``adapters.comprehend``; None when unavailable);
2. writes ONE audit line, ``reply_analysed``: intents, the table phrases that matched, the
   sentiment scores, the emotion decision and a SHA-256 of the text. The text itself is
   never stored or logged (docs/replies-and-plans.md explains the choice);
3. acts on it:
   - opt-outs: the channels the reply asks us to stop go into the borrower's ``opted_out``
     (a bare STOP: the channel it came in on; "stop calling": calls; "don't text me": SMS;
     "stop emailing": email), whatever else the reply says; the gate blocks them from then;
   - cease_all ("stop contacting me", "leave me alone"): cease_communication, so every
     contact stops except the notices the law requires;
   - distress: borrower flag ``distressed`` (softer templates from now on) and the case goes
     to a human agent (AGENT_CALL queue) instead of automated escalation;
   - dispute: case DISPUTED (no collection contact until ops resolve it);
   - payment_claimed: case PAYMENT_PENDING from now, so the policy's payment grace window
     applies: never chased until the payment is confirmed or the window ends;
   - plan_accept (only while a plan offer is open): the plan becomes active, case ON_PLAN;
   - hardship: borrower flag ``hardship`` (hardship segment) and a plan offer on the case;
   - agent_request: the case goes to a human agent;
   - nothing understood: the case goes to a person (REPLY_REVIEW) and escalation waits for
     the review or its deadline;
4. then wakes the waiting escalation with ``{"wake": REASON, "via": "reply", ...}``: DISPUTE,
   PAYMENT_PENDING, PLAN_ACCEPTED, OPT_OUT as contracts.md lists them, and ``REPLY`` (an
   additive extension) for hardship and agent tasks, which ``steps/plans.py`` routes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from aws_lambda_powertools import Logger

from arrears import constants as c
from arrears.domain.case import CaseRecord, TimelineEntry, iso_utc
from arrears.domain.errors import ConcurrentUpdate
from arrears.domain.events import BorrowerReplied, minor_units
from arrears.domain.plans import Plan, PlanError, PlanStatus
from arrears.domain.policy import PolicyError, policy_by_version
from arrears.domain.ports import PlanStore, SentimentAnalyzer, Stores, Workflow
from arrears.domain.queues import QUEUE_PAYMENT_RECONCILIATION
from arrears.domain.reconciliation import CLAIMABLE, claim
from arrears.domain.replies import (
    LANGUAGES,
    EmotionDecision,
    Intent,
    ReplyAnalysis,
    SentimentScores,
    classify,
    decide_emotion,
    text_fingerprint,
)
from arrears.domain.types import CaseStatus, Channel
from arrears.domain.wakes import ROUTE_AGENT, ROUTE_HARDSHIP, ROUTE_REVIEW
from arrears.steps.plan_offers import ACTOR_REPLY, FLAG_DISTRESSED, offer_plan, plan_summary
from arrears.steps.waking import deliver_wake

logger = Logger(service=c.SERVICE_NAME)

FLAG_HARDSHIP = "hardship"
WAKE_REPLY = "REPLY"  # additive wake reason: a reply that needs the escalation to re-route
ATTEMPTS = 3


@dataclass(frozen=True)
class ReplyOutcome:
    case_id: str
    primary: str
    actions: tuple[str, ...]
    wake_output: dict[str, Any] | None  # what the waiting escalation is to be told

    @property
    def wake(self) -> str | None:
        return str(self.wake_output["wake"]) if self.wake_output else None

    def saved(self) -> dict[str, Any]:
        """As JSON, for ingest's idempotency record (a redelivery reads it back)."""
        return {
            "case_id": self.case_id,
            "primary": self.primary,
            "actions": list(self.actions),
            "wake_output": self.wake_output,
        }

    @classmethod
    def from_saved(cls, saved: dict[str, Any]) -> ReplyOutcome:
        return cls(
            saved["case_id"], saved["primary"], tuple(saved["actions"]), saved["wake_output"]
        )


@dataclass
class ReplyProcessor:
    repos: Stores
    workflow: Callable[[], Workflow]
    clock: Callable[[], datetime]
    analyzer: SentimentAnalyzer
    plans: PlanStore
    # the reply's idempotency key: its audit lines carry it, and a redelivery after an
    # attempt that failed part way writes only the lines that attempt did not
    reply_key: str = ""
    _written: set[str] = field(default_factory=set, init=False)

    # ------------------------------------------------------------------ entry

    def process(self, reply: BorrowerReplied, case_id: str) -> ReplyOutcome:
        """Apply the reply, then wake the escalation (ingest runs the two apart)."""
        outcome = self.apply(reply, case_id)
        self.wake(outcome)
        return outcome

    def apply(self, reply: BorrowerReplied, case_id: str) -> ReplyOutcome:
        """Record, analyse, audit and act on the reply: every write, and no wake."""
        now = self.clock()
        if self.reply_key:
            self._written = {
                e.kind
                for e in self.repos.timeline.list(case_id)
                if e.detail.get("reply_key") == self.reply_key
            }
        self._record(
            case_id,
            "reply_received",
            {
                "channel": reply.channel.value,
                "chars": len(reply.text),
                "truncated": reply.truncated,
                "received_at": iso_utc(reply.received_at),
            },
            now,
        )
        case = self.repos.cases.get(case_id)
        open_case = case if case is not None and case.is_open else None
        plan = self.plans.get(case_id) if open_case is not None else None
        offer_open = plan is not None and plan.status is PlanStatus.OFFERED

        analysis = classify(reply.text, open_offer=offer_open)
        language = self._language(reply.text, analysis)
        scores = self.analyzer.detect_sentiment(reply.text, language)
        emotion = decide_emotion(analysis, scores)
        self._audit(case_id, reply, analysis, language, scores, emotion, now)

        actions = self._borrower_actions(reply, analysis, emotion, case_id, now)
        if open_case is None:
            logger.info("reply analysed, no open case", extra={"intent": analysis.primary.value})
            return ReplyOutcome(case_id, analysis.primary.value, tuple(actions), None)

        wake = self._case_actions(open_case, plan, analysis, emotion, reply, now, actions)
        logger.info(
            "reply analysed",
            extra={
                "intent": analysis.primary.value,
                "distressed": emotion.distressed,
                "wake": wake.get("wake") if wake else None,
            },
        )
        return ReplyOutcome(case_id, analysis.primary.value, tuple(actions), wake)

    # ------------------------------------------------------------------ analysis

    def _language(self, text: str, analysis: ReplyAnalysis) -> str:
        """The script and word detector decides; Comprehend is asked only when scripts mix."""
        if analysis.mixed_script:
            dominant = self.analyzer.detect_dominant_language(text)
            if dominant in {language.value for language in LANGUAGES}:
                return dominant
        return analysis.language.value

    def _audit(
        self,
        case_id: str,
        reply: BorrowerReplied,
        analysis: ReplyAnalysis,
        language: str,
        scores: SentimentScores | None,
        emotion: EmotionDecision,
        now: datetime,
    ) -> None:
        detail: dict[str, Any] = {
            "channel": reply.channel.value,
            "received_at": iso_utc(reply.received_at),
            "language": language,
            "mixed_script": analysis.mixed_script,
            "intent": analysis.primary.value,
            "intents": [i.value for i in analysis.intents],
            "matched": dict(analysis.matched),
            "distress_terms": list(analysis.distress_terms),
            "sentiment": scores.as_detail() if scores else None,
            "emotion": emotion.as_detail(),
            "text_sha256": text_fingerprint(reply.text),
            "chars": analysis.chars,
            "truncated": reply.truncated,
            "rules_version": analysis.rules_version,
        }
        self._record(case_id, "reply_analysed", detail, now)

    # ------------------------------------------------------------------ actions

    def _borrower_actions(
        self,
        reply: BorrowerReplied,
        analysis: ReplyAnalysis,
        emotion: EmotionDecision,
        case_id: str,
        now: datetime,
    ) -> list[str]:
        actions = []
        account = reply.account_id
        stopped = analysis.stopped_channels(Channel(reply.channel))
        for channel in stopped:
            self.repos.borrowers.add_opt_out(account, channel)
            self._record(case_id, "opted_out", {"channel": channel.value, "via": "reply"}, now)
        if stopped:
            actions.append("opted_out")
        if analysis.has(Intent.CEASE_ALL):
            # every contact stops except the notices the law requires (compliance gate)
            self.repos.borrowers.set_cease_communication(account)
            self._record(case_id, "cease_communication", {"via": "reply"}, now)
            actions.append("cease_communication")
        if emotion.distressed:
            self.repos.borrowers.add_flag(account, FLAG_DISTRESSED)
            actions.append("flagged_distressed")
        if analysis.has(Intent.HARDSHIP):
            self.repos.borrowers.add_flag(account, FLAG_HARDSHIP)
            actions.append("flagged_hardship")
        return actions

    def _case_actions(
        self,
        case: CaseRecord,
        plan: Plan | None,
        analysis: ReplyAnalysis,
        emotion: EmotionDecision,
        reply: BorrowerReplied,
        now: datetime,
        actions: list[str],
    ) -> dict[str, Any] | None:
        base = {"case_id": case.case_id, "via": "reply", "intent": analysis.primary.value}
        if analysis.has(Intent.DISPUTE):
            if case.status is not CaseStatus.DISPUTED:
                self._set_status(case, {"status": CaseStatus.DISPUTED})
            self._record(case.case_id, "dispute_opened", {"via": "reply"}, now)
            actions.append("disputed")
            return {**base, "wake": "DISPUTE"}
        if analysis.has(Intent.PAYMENT_CLAIMED):
            listed = case.status in CLAIMABLE
            if listed:
                # held, and listed for ops to find the money (domain/reconciliation.py)
                hours = self._payment_pending_hours(case)
                self._set_status(case, {**claim(now, hours), "resume_status": case.status})
            detail = {"via": "reply", "queue": QUEUE_PAYMENT_RECONCILIATION if listed else None}
            self._record(case.case_id, "payment_claimed", detail, now)
            actions.append("payment_claimed")
            return {**base, "wake": "PAYMENT_PENDING", "pending_since": iso_utc(now)}
        if analysis.has(Intent.PLAN_ACCEPT) and plan is not None:
            accepted = self._accept_plan(case, plan, now)
            if accepted is not None:
                actions.append("plan_accepted")
                return {**base, "wake": "PLAN_ACCEPTED", "plan_id": accepted.plan_id}
        if analysis.has(Intent.HARDSHIP):
            offered = self._offer_plan(case, plan, now)
            if offered is not None:
                actions.append("plan_offered")
        if emotion.route_to_agent or analysis.has(Intent.AGENT_REQUEST):
            reason = "distress" if emotion.route_to_agent else "borrower_request"
            actions.append("agent_task")
            return {**base, "wake": WAKE_REPLY, "route": ROUTE_AGENT, "reason": reason}
        if analysis.has(Intent.HARDSHIP):
            return {**base, "wake": WAKE_REPLY, "route": ROUTE_HARDSHIP, "reason": "hardship"}
        stopped = analysis.stopped_channels(Channel(reply.channel))
        if stopped or analysis.has(Intent.CEASE_ALL):
            channels = "all" if analysis.has(Intent.CEASE_ALL) else stopped[0].value
            return {**base, "wake": "OPT_OUT", "channel": channels}
        if analysis.primary is Intent.NONE:
            # a borrower who wrote to us is answered by a person, not by the next reminder
            actions.append("review_requested")
            return {**base, "wake": WAKE_REPLY, "route": ROUTE_REVIEW, "reason": "unclear_reply"}
        return None

    def _set_status(self, case: CaseRecord, fields: dict[str, Any]) -> None:
        current = case
        for _ in range(ATTEMPTS):
            try:
                self.repos.cases.update_fields(
                    current.case_id, fields, expected_version=current.version, require_open=True
                )
                return
            except ConcurrentUpdate:
                fresh = self.repos.cases.get(case.case_id)
                if fresh is None or not fresh.is_open:
                    return  # closed meanwhile (paid): nothing to hold any more
                current = fresh
        raise ConcurrentUpdate(f"case {case.case_id} kept changing while a reply was applied")

    @staticmethod
    def _payment_pending_hours(case: CaseRecord) -> int:
        return int(policy_by_version(case.policy_version).grace.payment_pending_hours)

    def _offer_plan(self, case: CaseRecord, plan: Plan | None, now: datetime) -> Plan | None:
        if plan is not None and plan.is_open:
            return None  # an offer or an active plan already stands
        try:
            return offer_plan(self.repos, self.plans, case, now, source="reply")
        except (PlanError, PolicyError) as error:
            self._record(case.case_id, "plan_not_offered", {"reason": str(error)[:200]}, now)
            return None

    def _accept_plan(self, case: CaseRecord, plan: Plan, now: datetime) -> Plan | None:
        from arrears.domain.plans import accept

        try:
            policy = policy_by_version(case.policy_version)
            accepted = accept(
                plan,
                balance=case.balance,
                places=minor_units(case.currency),
                policy=policy.plans,
                now=now,
                resume_stage=case.stage.value,
            )
        except (PlanError, PolicyError) as error:
            self._record(case.case_id, "plan_not_accepted", {"reason": str(error)[:200]}, now)
            return None
        stored = self.plans.save(case.case_id, accepted)
        self._set_status(case, {"status": CaseStatus.ON_PLAN})
        self._record(case.case_id, "plan_accepted", plan_summary(stored), now)
        return stored

    # ------------------------------------------------------------------ waking

    def wake(self, outcome: ReplyOutcome) -> None:
        """Wake the waiting execution, or park the wake for its next wait (``_waking``):
        a distressed borrower's route to a human is never lost to a running step."""
        if outcome.wake_output is None:
            return
        delivery = deliver_wake(
            self.repos.cases, self.workflow, outcome.case_id, outcome.wake_output
        )
        detail = delivery.detail(str(outcome.wake)) | {"via": "reply"}
        self._record(outcome.case_id, delivery.timeline_kind, detail, self.clock())

    def _record(self, case_id: str, kind: str, detail: dict[str, Any], now: datetime) -> None:
        if kind in self._written:
            return  # written by an earlier attempt at this reply
        clean = {k: v for k, v in detail.items() if v is not None}
        if self.reply_key:
            clean["reply_key"] = self.reply_key
            self._written.add(kind)
        self.repos.timeline.append(
            TimelineEntry(case_id=case_id, at=now, kind=kind, actor=ACTOR_REPLY, detail=clean)
        )


# --------------------------------------------------------------------------- shared helpers
