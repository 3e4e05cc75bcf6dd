"""Credit bureau reporting: the monthly ``CreditBureauReportDue`` (docs/integrations.md).

Pure. Once a month, for every open case and every case closed within the pack's
``recently_closed_days``, the fields a bureau file needs for the month just ended: the
account status code (mapped per country in the compliance pack's ``bureau`` section; the
US pack maps to Metro 2 base-segment codes), days past due, balance and amount past due,
the date of first delinquency, and the dispute and plan flags. A dispute during the month
(or a case still disputed) marks the account as disputed in that month's report.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Annotated, Any

from arrears.domain.case import CaseRecord
from arrears.domain.datafile import Ge, Le, Pattern, Strict
from arrears.domain.types import CaseStatus

# the account states a mapping gives codes for
STATES = (
    "current",
    "dpd_30",
    "dpd_60",
    "dpd_90",
    "dpd_120",
    "dpd_150",
    "dpd_180",
    "paid",
    "settled",
    "charged_off",
    "litigation",
    "closed",
)


@dataclass(frozen=True, kw_only=True)
class BureauMapping(Strict):
    """``bureau`` in a compliance pack: how the country's bureau file codes an account."""

    format: Annotated[str, Pattern(r"^[a-z0-9_]+$")] = "generic"
    status_codes: dict[str, str] = field(default_factory=lambda: {s: s for s in STATES})
    # the code that marks an account disputed by the consumer (Metro 2: XB)
    dispute_code: str | None = None
    # closed cases are reported for this many days after they close (a final report)
    recently_closed_days: Annotated[int, Ge(0), Le(400)] = 45

    def __post_init__(self) -> None:
        unknown = set(self.status_codes) - set(STATES)
        missing = set(STATES) - set(self.status_codes)
        if unknown or missing:
            raise ValueError(f"status_codes: unknown {sorted(unknown)}, missing {sorted(missing)}")


def period_of(now: datetime) -> str:
    """The month just ended, ``YYYY-MM`` (reports go out at the start of the next)."""
    last_day = now.date().replace(day=1) - timedelta(days=1)
    return last_day.strftime("%Y-%m")


def period_end(period: str) -> date:
    year, month = (int(part) for part in period.split("-"))
    first_next = date(year + month // 12, month % 12 + 1, 1)
    return first_next - timedelta(days=1)


def is_due(case: CaseRecord, period: str, mapping: BureauMapping) -> bool:
    """Report this case for ``period``: open at its end, or closed recently enough; and
    opened before its end; and not reported for it yet."""
    end = period_end(period)
    if case.bureau_period is not None and case.bureau_period >= period:
        return False
    if case.opened_at.date() > end:
        return False
    if case.is_open:
        return True
    if case.closed_at is None:
        return False
    return (end - case.closed_at.date()).days <= mapping.recently_closed_days


def state_of(case: CaseRecord, days_past_due: int) -> str:
    if case.status is CaseStatus.PAID:
        return "paid"
    if case.status is CaseStatus.RESOLVED:
        return "settled"
    if case.status is CaseStatus.WRITTEN_OFF:
        return "charged_off"
    if case.status is CaseStatus.LITIGATION:
        return "litigation"
    if case.status is CaseStatus.CLOSED:
        return "closed"
    for floor in (180, 150, 120, 90, 60, 30):
        if days_past_due >= floor:
            return f"dpd_{floor}"
    return "current"


def report(
    case: CaseRecord, period: str, mapping: BureauMapping, country: str | None, disputed: bool
) -> dict[str, Any]:
    """The report's fields (the event's detail adds the common fields)."""
    end = period_end(period)
    due = case.due_date
    days = max((end - due).days, 0) if due and case.is_open else 0
    state = state_of(case, days)
    past_due = case.balance if case.is_open else Decimal("0")
    fields: dict[str, Any] = {
        "period": period,
        "format": mapping.format,
        "country": country,
        "account_state": state,
        "status_code": mapping.status_codes[state],
        "days_past_due": days,
        "amount_past_due": format(past_due, "f"),
        "date_opened": case.opened_at.date().isoformat(),
        "date_of_first_delinquency": (due + timedelta(days=1)).isoformat() if due else None,
        "date_closed": case.closed_at.date().isoformat() if case.closed_at else None,
        "dispute_flag": disputed,
        "plan_flag": case.status is CaseStatus.ON_PLAN,
    }
    if disputed and mapping.dispute_code:
        fields["compliance_condition_code"] = mapping.dispute_code
    return fields
