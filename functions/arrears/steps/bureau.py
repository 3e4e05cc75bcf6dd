"""The monthly credit bureau report: one ``CreditBureauReportDue`` per open or recently
closed case for the month just ended (domain/bureau.py, docs/integrations.md).

Run by the daily sweep on the first days of a month; a case reported for the month is
skipped, so a run that is repeated (or that failed half-way) reports each case once.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

from arrears.domain import outbound
from arrears.domain.ports import BureauStore, CaseRepository
from arrears.domain.types import CaseStatus

# the first days of a month the run looks for cases not reported yet (a failed run is
# caught up the next day)
RUN_ON_DAYS = (1, 2, 3)


def report_month(cases: CaseRepository, store: BureauStore, now: datetime) -> dict[str, int]:
    counts: Counter[str] = Counter()
    if now.day not in RUN_ON_DAYS:
        return {}
    # the bureau mapping and the compliance packs load on the reporting days only: the daily
    # sweep's cold start does without them the rest of the month
    from arrears.domain import bureau
    from arrears.domain.compliance import load_pack

    period = bureau.period_of(now)
    start = datetime.combine(bureau.period_end(period).replace(day=1), datetime.min.time(), UTC)
    for case_id in store.candidates(period):
        case, borrower = cases.get_with_borrower(case_id)
        if case is None or case.cycle == 0:
            continue
        country = borrower.country if borrower else None
        mapping = load_pack(country).bureau or bureau.BureauMapping()
        if not bureau.is_due(case, period, mapping):
            counts["not_due"] += 1
            continue
        disputed = case.status is CaseStatus.DISPUTED or store.disputed_since(case_id, start)
        fields = bureau.report(case, period, mapping, country, disputed)
        fact = outbound.Fact(outbound.CREDIT_BUREAU_REPORT_DUE, "monthly_report", fields)
        (event,) = outbound.number(case, [fact], case.out_seq + 1, now)
        counts["reported" if store.record(case, period, event) else "moved"] += 1
    return dict(counts)
