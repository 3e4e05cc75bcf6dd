"""The escalation policy: a versioned YAML file product people edit, validated on load.

The state machine never hard-codes a day, a channel or a template; it asks the ladder
(`arrears.domain.ladder`) what comes next, and the ladder reads this policy. A bad file fails
loudly here (`PolicyError` naming the file and the field), at test or deploy time, never as a
silent default in a borrower's message.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from arrears.domain import yaml_text
from arrears.domain.balance import ChargePolicy, PolicyMoney
from arrears.domain.credit_line import CreditLinePolicy
from arrears.domain.delinquency import DelinquencyPolicy
from arrears.domain.plans import PlanPolicy
from arrears.domain.portal.settings import PortalPolicy
from arrears.domain.scoring.assignment import Arm, assign_arm
from arrears.domain.scoring.segments import BandError, parse_bands
from arrears.domain.types import LETTER_KINDS, AfterRejection, Channel, Stage

POLICIES_DIR = Path(__file__).resolve().parent.parent / "policies"
DEFAULT_POLICY_FILE = "default.yaml"

SegmentName = Literal["self_cure", "standard", "high_risk", "hardship"]
SEGMENTS: tuple[SegmentName, ...] = ("self_cure", "standard", "high_risk", "hardship")

# Stages a policy may put on a ladder. Litigation is deliberately absent: it only ever
# follows a human approval in legal review, never a day offset.
LADDER_STAGES = frozenset(
    {
        Stage.PLAN_OFFER,
        Stage.REMINDER,
        Stage.FOLLOW_UP,
        Stage.AGENT_CALL,
        Stage.DEMAND_LETTER,
        Stage.LAWYER_LETTER,
        Stage.LEGAL_REVIEW,
    }
)
MESSAGE_CHANNELS = frozenset({Channel.SMS, Channel.EMAIL})


def _messages_only(channels: tuple[Channel, ...]) -> tuple[Channel, ...]:
    if not channels or not set(channels) <= MESSAGE_CHANNELS:
        raise ValueError("these messages go by sms and/or email")
    return channels


# Pre-due reminders and receipts are plain messages: never a call or a letter.
MessageChannels = Annotated[tuple[Channel, ...], AfterValidator(_messages_only)]


class PolicyError(ValueError):
    """The policy file cannot be used; the message says which file and what is wrong."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


class StageStep(_Strict):
    """One rung of a segment's ladder."""

    stage: Stage
    day: int = Field(ge=0, le=365, description="days after the due date")
    channels: tuple[Channel, ...] = ()
    # message channels the stage may use instead, for a borrower who prefers one of them
    # (domain/preferred_channel.py); never used for a borrower without that preference
    alternatives: tuple[Channel, ...] = ()
    template: str | None = None  # message template id for sms/email/call
    letter: str | None = None  # letter kind for the letter channel

    @model_validator(mode="after")
    def _channels_fit_stage(self) -> StageStep:
        if self.stage not in LADDER_STAGES:
            raise ValueError(f"stage {self.stage.value!r} cannot be planned by a day offset")
        if len(set(self.channels)) != len(self.channels):
            raise ValueError(f"{self.stage.value}: a channel is listed twice")
        if self.stage is Stage.LEGAL_REVIEW:
            if self.channels or self.alternatives:
                raise ValueError("legal_review is a human decision; it has no channels")
            return self
        if not self.channels:
            raise ValueError(f"{self.stage.value}: at least one channel is required")
        if Channel.LETTER in self.channels:
            if self.channels != (Channel.LETTER,):
                raise ValueError(f"{self.stage.value}: a letter stage sends only a letter")
            if self.letter not in LETTER_KINDS:
                raise ValueError(
                    f"{self.stage.value}: letter must be one of {sorted(LETTER_KINDS)}, "
                    f"got {self.letter!r}"
                )
        elif not self.template:
            raise ValueError(f"{self.stage.value}: a template id is required")
        if self.stage is Stage.AGENT_CALL and self.channels != (Channel.CALL,):
            raise ValueError("agent_call uses the call channel only")
        if Channel.CALL in self.channels and self.stage is not Stage.AGENT_CALL:
            raise ValueError(f"{self.stage.value}: only agent_call uses the call channel")
        if self.alternatives:
            messages = {Channel.SMS, Channel.EMAIL}
            if not set(self.alternatives) <= messages or not set(self.channels) <= messages:
                raise ValueError(
                    f"{self.stage.value}: alternatives are sms or email, for a stage that "
                    "sends messages"
                )
            if set(self.alternatives) & set(self.channels) or len(set(self.alternatives)) != len(
                self.alternatives
            ):
                raise ValueError(
                    f"{self.stage.value}: an alternative is already one of the stage's channels"
                )
        return self


class Segment(_Strict):
    description: str = ""
    ladder: tuple[StageStep, ...] = Field(min_length=1)

    @field_validator("ladder")
    @classmethod
    def _ladder_is_ordered(cls, ladder: tuple[StageStep, ...]) -> tuple[StageStep, ...]:
        stages = [step.stage for step in ladder]
        if len(set(stages)) != len(stages):
            raise ValueError("a stage appears twice on the ladder")
        days = [step.day for step in ladder]
        if days != sorted(days):
            raise ValueError(f"stage days must not go backwards: {days}")
        if Stage.LEGAL_REVIEW in stages and stages[-1] is not Stage.LEGAL_REVIEW:
            raise ValueError("legal_review, when present, is the last stage")
        return ladder

    def step(self, stage: Stage) -> StageStep | None:
        return next((s for s in self.ladder if s.stage is stage), None)


class ScoreBand(_Strict):
    """One band, in the scoring package's format (min/max inclusive, None = unbounded)."""

    segment: SegmentName
    min_score: int | None = None
    max_score: int | None = None
    flags: frozenset[str] = frozenset()


class Grace(_Strict):
    payment_pending_hours: int = Field(gt=0, le=24 * 30)
    promise_days: int = Field(ge=0, le=30)
    after_payment_hours: int = Field(ge=0, le=24 * 30)


class Holds(_Strict):
    dispute_review_days: int = Field(gt=0, le=365)
    pause_default_days: int = Field(gt=0, le=365)
    plan_review_days: int = Field(gt=0, le=365)
    overdue_check_hours: int = Field(gt=0, le=24 * 30)


class AgentCall(_Strict):
    outcome_deadline_hours: int = Field(gt=0, le=24 * 30)


class LegalReview(_Strict):
    decision_deadline_days: int = Field(gt=0, le=90)
    # alerts to the review queue before the review escalates to the manager's queue
    max_alerts: int = Field(ge=0, le=20)
    # a rejection that names no next step takes this one
    after_rejection: AfterRejection = AfterRejection.HOLD
    # the policy may write off unattended only at or below this balance (case currency)
    write_off_ceiling: PolicyMoney | None = Field(default=None, ge=0)

    @model_validator(mode="after")
    def _write_off_has_a_ceiling(self) -> LegalReview:
        if self.after_rejection is AfterRejection.WRITE_OFF and self.write_off_ceiling is None:
            raise ValueError("after_rejection: write_off needs a write_off_ceiling")
        return self


class PreDue(_Strict):
    segments: tuple[SegmentName, ...] = ()
    days_before_due: int = Field(ge=0, le=30)
    channels: MessageChannels = (Channel.SMS,)
    template: str


class Receipt(_Strict):
    channels: MessageChannels = (Channel.SMS,)
    template: str


class NoticeDefaults(_Strict):
    """Who the borrower hears from and how to pay: the fixed parts of every notice."""

    creditor_name: str = Field(min_length=1)
    # "{case_reference}" is replaced by the case's public reference
    pay_link: str | None = None
    payment_instructions: str | None = None
    contact_phone: str | None = None
    contact_email: str | None = None
    opt_out_link: str | None = None
    # a lawyer's letter and the demand letter give the borrower this many days to pay
    letter_deadline_days: int = Field(default=14, ge=1, le=90)
    # the template set a borrower is written in when no set has their language
    default_locale: str = Field(default="en-US", pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")

    @model_validator(mode="after")
    def _how_to_pay(self) -> NoticeDefaults:
        if not self.pay_link and not self.payment_instructions:
            raise ValueError("notices need pay_link or payment_instructions (how to pay)")
        return self


class Charges(_Strict):
    """What the lender charges on an overdue amount when its events send no breakdown:
    simple interest per day past due and one late fee after ``grace_days``, capped by the
    borrower's jurisdiction (``balance.JURISDICTION_CAPS``). Letters and messages itemize
    these; payments are still matched against the balance the lender's events state."""

    annual_interest_rate: PolicyMoney = Field(default=Decimal("0"), ge=0, le=1)
    late_fee_flat: PolicyMoney = Field(default=Decimal("0"), ge=0)
    late_fee_rate: PolicyMoney = Field(default=Decimal("0"), ge=0, le=1)
    grace_days: int = Field(default=0, ge=0, le=365)

    def as_charge_policy(self) -> ChargePolicy:
        return ChargePolicy(
            annual_interest_rate=self.annual_interest_rate,
            late_fee_flat=self.late_fee_flat,
            late_fee_rate=self.late_fee_rate,
            grace_days=self.grace_days,
        )


class Experiment(_Strict):
    name: str = "default"
    challenger_share: Decimal = Field(default=Decimal("0"), ge=0, le=1)
    challenger_policy: str | None = None

    @model_validator(mode="after")
    def _challenger_named(self) -> Experiment:
        if self.challenger_share > 0 and not self.challenger_policy:
            raise ValueError("a challenger share needs a challenger_policy file")
        return self


class Policy(_Strict):
    version: str = Field(min_length=1)
    description: str = ""
    preferred_local_hour: int = Field(default=10, ge=0, le=23)
    resolve_below: PolicyMoney = Field(ge=0)
    score_bands: tuple[ScoreBand, ...] = Field(min_length=1)
    grace: Grace
    holds: Holds
    agent_call: AgentCall
    legal_review: LegalReview
    pre_due: PreDue
    receipt: Receipt
    notices: NoticeDefaults
    experiment: Experiment = Experiment()
    # repayment plans offered to hardship cases and by agents (arrears.domain.plans)
    plans: PlanPolicy = PlanPolicy()
    charges: Charges = Charges()
    # the borrower's self-service portal (docs/portal.md)
    portal: PortalPolicy = PortalPolicy()
    # days-past-due buckets (arrears.domain.delinquency)
    delinquency: DelinquencyPolicy = DelinquencyPolicy()
    # credit line actions requested of the wallet by days past due (domain.credit_line)
    credit_line: CreditLinePolicy = CreditLinePolicy()
    segments: dict[SegmentName, Segment]

    @model_validator(mode="after")
    def _every_segment_defined(self) -> Policy:
        missing = [name for name in SEGMENTS if name not in self.segments]
        if missing:
            raise ValueError(f"segments missing: {missing}")
        try:
            parse_bands(self.bands())  # no overlap, no gap (the scorer's own check)
        except BandError as exc:
            raise ValueError(f"score_bands: {exc}") from exc
        return self

    def bands(self) -> list[dict[str, object]]:
        """The bands as `arrears.domain.scoring.choose_segment` takes them."""
        return [band.model_dump() for band in self.score_bands]

    def segment(self, name: str) -> Segment:
        if name not in self.segments:
            raise PolicyError(f"policy {self.version}: unknown segment {name!r}")
        return self.segments[name]

    def template_ids(self) -> set[str]:
        """Every message template id the policy refers to (checked against the catalogue)."""
        ids = {self.pre_due.template, self.receipt.template}
        for segment in self.segments.values():
            ids.update(step.template for step in segment.ladder if step.template)
        return ids

    def letter_kinds(self) -> set[str]:
        return {step.letter for seg in self.segments.values() for step in seg.ladder if step.letter}


def parse_policy(
    text: str,
    source: str = "<policy>",
    known_templates: Callable[[], Iterable[str] | None] | None = None,
) -> Policy:
    """Validate policy YAML text. `known_templates` returns the notices catalogue, if any."""
    try:
        raw = yaml_text.safe_load(text)
    except yaml.YAMLError as exc:
        raise PolicyError(f"{source}: not valid YAML: {exc}") from exc
    if not isinstance(raw, dict):
        raise PolicyError(f"{source}: expected a mapping at the top level")
    try:
        policy = Policy.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or '<top>'}: {err['msg']}"
            for err in exc.errors()
        )
        raise PolicyError(f"{source}: {problems}") from exc
    catalogue = (known_templates or _notices_catalogue)()
    if catalogue is not None:
        unknown = policy.template_ids() - set(catalogue)
        if unknown:
            raise PolicyError(f"{source}: unknown template ids {sorted(unknown)}")
    return policy


def load_policy(name: str | None = None) -> Policy:
    """Load a policy by file name (under arrears/policies/) or path; cached per process."""
    return _load_cached(name or DEFAULT_POLICY_FILE)


def policy_by_version(version: str | None, default_file: str | None = None) -> Policy:
    """The policy a case was planned with (its recorded version), else the default file."""
    default = load_policy(default_file)
    if not version or version == default.version:
        return default
    for path in sorted(POLICIES_DIR.glob("*.yaml")):
        candidate = load_policy(path.name)
        if candidate.version == version:
            return candidate
    raise PolicyError(f"no policy file with version {version!r} under {POLICIES_DIR}")


@cache
def _load_cached(name: str) -> Policy:
    path = Path(name)
    if not path.is_absolute():
        path = POLICIES_DIR / name
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise PolicyError(f"{path}: cannot read policy file: {exc}") from exc
    return parse_policy(text, source=str(path))


def policy_for_account(account_id: str, default_file: str | None = None) -> tuple[Policy, str]:
    """The policy a new case of this account runs on, and its arm."""
    champion = load_policy(default_file)
    experiment = champion.experiment
    arm = assign_arm(account_id, experiment.challenger_share, experiment=experiment.name)
    if arm is Arm.CHALLENGER and experiment.challenger_policy:
        return load_policy(experiment.challenger_policy), arm.value
    return champion, arm.value


def _notices_catalogue() -> Iterable[str] | None:
    """Template ids the notices package can render (None if it is not installed)."""
    try:
        from arrears.domain.notices.context import TemplateId
    except ImportError:
        return None
    return tuple(template.value for template in TemplateId)
