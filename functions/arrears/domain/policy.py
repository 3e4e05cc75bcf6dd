"""The escalation policy: a versioned YAML file product people edit, validated on load.

The state machine never hard-codes a day, a channel or a template; it asks the ladder
(`arrears.domain.ladder`) what comes next, and the ladder reads this policy. A bad file fails
loudly here (`PolicyError` naming the file and the field), at test or deploy time, never as a
silent default in a borrower's message.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

from arrears.domain import datafile
from arrears.domain.balance import ChargePolicy, PolicyMoney
from arrears.domain.credit_line import CreditLinePolicy
from arrears.domain.datafile import Check, Ge, Gt, Le, MinLen, Pattern, Strict
from arrears.domain.delinquency import DelinquencyPolicy
from arrears.domain.plans import PlanPolicy
from arrears.domain.portal.settings import PortalPolicy
from arrears.domain.scoring.assignment import Arm, assign_arm
from arrears.domain.scoring.segments import BandError, parse_bands
from arrears.domain.types import LETTER_KINDS, AfterRejection, Channel, Stage

if TYPE_CHECKING:
    from arrears.domain.validation import ValidationError

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
MessageChannels = Annotated[tuple[Channel, ...], Check(_messages_only)]


class PolicyError(ValueError):
    """The policy file cannot be used; the message says which file and what is wrong."""


@dataclass(frozen=True, kw_only=True)
class StageStep(Strict):
    """One rung of a segment's ladder."""

    stage: Stage
    day: Annotated[int, Ge(0), Le(365)]  # days after the due date
    channels: tuple[Channel, ...] = ()
    # message channels the stage may use instead, for a borrower who prefers one of them
    # (domain/preferred_channel.py); never used for a borrower without that preference
    alternatives: tuple[Channel, ...] = ()
    template: str | None = None  # message template id for sms/email/call
    letter: str | None = None  # letter kind for the letter channel

    def check_on_ladder(self) -> None:
        """A rung of a policy's ladder must fit its stage (steps the code builds for a
        receipt or a pre-due reminder are not rungs, and are not checked)."""
        if self.stage not in LADDER_STAGES:
            raise ValueError(f"stage {self.stage.value!r} cannot be planned by a day offset")
        if len(set(self.channels)) != len(self.channels):
            raise ValueError(f"{self.stage.value}: a channel is listed twice")
        if self.stage is Stage.LEGAL_REVIEW:
            if self.channels or self.alternatives:
                raise ValueError("legal_review is a human decision; it has no channels")
            return
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


@dataclass(frozen=True, kw_only=True)
class Segment(Strict):
    description: str = ""
    ladder: Annotated[tuple[StageStep, ...], MinLen(1)]

    def __post_init__(self) -> None:
        ladder = self.ladder
        for step in ladder:
            step.check_on_ladder()
        stages = [step.stage for step in ladder]
        if len(set(stages)) != len(stages):
            raise ValueError("a stage appears twice on the ladder")
        days = [step.day for step in ladder]
        if days != sorted(days):
            raise ValueError(f"stage days must not go backwards: {days}")
        if Stage.LEGAL_REVIEW in stages and stages[-1] is not Stage.LEGAL_REVIEW:
            raise ValueError("legal_review, when present, is the last stage")

    def step(self, stage: Stage) -> StageStep | None:
        return next((s for s in self.ladder if s.stage is stage), None)


@dataclass(frozen=True, kw_only=True)
class ScoreBand(Strict):
    """One band, in the scoring package's format (min/max inclusive, None = unbounded)."""

    segment: SegmentName
    min_score: int | None = None
    max_score: int | None = None
    flags: frozenset[str] = frozenset()


@dataclass(frozen=True, kw_only=True)
class Grace(Strict):
    payment_pending_hours: Annotated[int, Gt(0), Le(24 * 30)]
    promise_days: Annotated[int, Ge(0), Le(30)]
    after_payment_hours: Annotated[int, Ge(0), Le(24 * 30)]


@dataclass(frozen=True, kw_only=True)
class Holds(Strict):
    dispute_review_days: Annotated[int, Gt(0), Le(365)]
    pause_default_days: Annotated[int, Gt(0), Le(365)]
    plan_review_days: Annotated[int, Gt(0), Le(365)]
    overdue_check_hours: Annotated[int, Gt(0), Le(24 * 30)]


@dataclass(frozen=True, kw_only=True)
class AgentCall(Strict):
    outcome_deadline_hours: Annotated[int, Gt(0), Le(24 * 30)]


@dataclass(frozen=True, kw_only=True)
class LegalReview(Strict):
    decision_deadline_days: Annotated[int, Gt(0), Le(90)]
    # alerts to the review queue before the review escalates to the manager's queue
    max_alerts: Annotated[int, Ge(0), Le(20)]
    # a rejection that names no next step takes this one
    after_rejection: AfterRejection = AfterRejection.HOLD
    # the policy may write off unattended only at or below this balance (case currency)
    write_off_ceiling: Annotated[PolicyMoney, Ge(0)] | None = None

    def __post_init__(self) -> None:
        if self.after_rejection is AfterRejection.WRITE_OFF and self.write_off_ceiling is None:
            raise ValueError("after_rejection: write_off needs a write_off_ceiling")


@dataclass(frozen=True, kw_only=True)
class PreDue(Strict):
    segments: tuple[SegmentName, ...] = ()
    days_before_due: Annotated[int, Ge(0), Le(30)]
    channels: MessageChannels = (Channel.SMS,)
    template: str


@dataclass(frozen=True, kw_only=True)
class Receipt(Strict):
    channels: MessageChannels = (Channel.SMS,)
    template: str


@dataclass(frozen=True, kw_only=True)
class NoticeDefaults(Strict):
    """Who the borrower hears from and how to pay: the fixed parts of every notice."""

    creditor_name: Annotated[str, MinLen(1)]
    # "{case_reference}" is replaced by the case's public reference
    pay_link: str | None = None
    payment_instructions: str | None = None
    contact_phone: str | None = None
    contact_email: str | None = None
    opt_out_link: str | None = None
    # a lawyer's letter and the demand letter give the borrower this many days to pay
    letter_deadline_days: Annotated[int, Ge(1), Le(90)] = 14
    # the template set a borrower is written in when no set has their language
    default_locale: Annotated[str, Pattern(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")] = "en-US"

    def __post_init__(self) -> None:
        if not self.pay_link and not self.payment_instructions:
            raise ValueError("notices need pay_link or payment_instructions (how to pay)")


@dataclass(frozen=True, kw_only=True)
class Charges(Strict):
    """What the lender charges on an overdue amount when its events send no breakdown:
    simple interest per day past due and one late fee after ``grace_days``, capped by the
    borrower's jurisdiction (``balance.JURISDICTION_CAPS``). Letters and messages itemize
    these; payments are still matched against the balance the lender's events state."""

    annual_interest_rate: Annotated[PolicyMoney, Ge(0), Le(1)] = Decimal("0")
    late_fee_flat: Annotated[PolicyMoney, Ge(0)] = Decimal("0")
    late_fee_rate: Annotated[PolicyMoney, Ge(0), Le(1)] = Decimal("0")
    grace_days: Annotated[int, Ge(0), Le(365)] = 0

    def as_charge_policy(self) -> ChargePolicy:
        return ChargePolicy(
            annual_interest_rate=self.annual_interest_rate,
            late_fee_flat=self.late_fee_flat,
            late_fee_rate=self.late_fee_rate,
            grace_days=self.grace_days,
        )


@dataclass(frozen=True, kw_only=True)
class Experiment(Strict):
    name: str = "default"
    challenger_share: Annotated[Decimal, Ge(0), Le(1)] = Decimal("0")
    challenger_policy: str | None = None

    def __post_init__(self) -> None:
        if self.challenger_share > 0 and not self.challenger_policy:
            raise ValueError("a challenger share needs a challenger_policy file")


@dataclass(frozen=True, kw_only=True)
class Policy(Strict):
    version: Annotated[str, MinLen(1)]
    description: str = ""
    preferred_local_hour: Annotated[int, Ge(0), Le(23)] = 10
    resolve_below: Annotated[PolicyMoney, Ge(0)]
    score_bands: Annotated[tuple[ScoreBand, ...], MinLen(1)]
    grace: Grace
    holds: Holds
    agent_call: AgentCall
    legal_review: LegalReview
    pre_due: PreDue
    receipt: Receipt
    notices: NoticeDefaults
    experiment: Experiment = field(default_factory=Experiment)
    # repayment plans offered to hardship cases and by agents (arrears.domain.plans)
    plans: PlanPolicy = field(default_factory=PlanPolicy)
    charges: Charges = field(default_factory=Charges)
    # the borrower's self-service portal (docs/portal.md)
    portal: PortalPolicy = field(default_factory=PortalPolicy)
    # days-past-due buckets (arrears.domain.delinquency)
    delinquency: DelinquencyPolicy = field(default_factory=DelinquencyPolicy)
    # credit line actions requested of the wallet by days past due (domain.credit_line)
    credit_line: CreditLinePolicy = field(default_factory=CreditLinePolicy)
    segments: dict[SegmentName, Segment]

    def __post_init__(self) -> None:
        missing = [name for name in SEGMENTS if name not in self.segments]
        if missing:
            raise ValueError(f"segments missing: {missing}")
        try:
            parse_bands(self.bands())  # no overlap, no gap (the scorer's own check)
        except BandError as exc:
            raise ValueError(f"score_bands: {exc}") from exc

    def bands(self) -> list[dict[str, object]]:
        """The bands as `arrears.domain.scoring.choose_segment` takes them."""
        return [asdict(band) for band in self.score_bands]

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
    import yaml  # reading a file: the Lambda functions load the compiled form instead

    from arrears.domain import validation, yaml_text

    try:
        raw = yaml_text.safe_load(text)
    except yaml.YAMLError as exc:
        raise PolicyError(f"{source}: not valid YAML: {exc}") from exc
    if not isinstance(raw, dict):
        raise PolicyError(f"{source}: expected a mapping at the top level")
    try:
        policy = validation.validate(Policy, raw)
    except validation.ValidationError as exc:
        raise PolicyError(f"{source}: {_problems(exc)}") from exc
    catalogue = (known_templates or _notices_catalogue)()
    if catalogue is not None:
        unknown = policy.template_ids() - set(catalogue)
        if unknown:
            raise PolicyError(f"{source}: unknown template ids {sorted(unknown)}")
    return policy


def _problems(error: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(str(p) for p in err['loc']) or '<top>'}: {err['msg']}" for err in error.errors()
    )


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
        compiled = datafile.compiled()
        if compiled is not None and name in compiled["policies"]:
            return datafile.from_data(Policy, compiled["policies"][name])
        path = POLICIES_DIR / name
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise PolicyError(f"{path}: cannot read policy file: {exc}") from exc
    return parse_policy(text, source=str(path))


def shipped_policies() -> dict[str, Policy]:
    """Every policy file under arrears/policies/, read and validated (what an asset's
    compiled data holds)."""
    return {
        path.name: parse_policy(path.read_text(encoding="utf-8"), source=str(path))
        for path in sorted(POLICIES_DIR.glob("*.yaml"))
    }


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
