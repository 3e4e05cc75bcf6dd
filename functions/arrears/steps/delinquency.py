"""The daily delinquency sweep: every case whose days past due cross into another bucket
today gets its new bucket, a line in its history (the timeline) and, in the same write,
its DelinquencyBucketChanged outbound event (domain/delinquency.py, domain/outbound.py).

A case that cannot be written now (it moved meanwhile, or closed) is left for the next
sweep: its ``dpd_next_at`` stays in the past until a write moves it.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from datetime import datetime

from aws_lambda_powertools import Logger

from arrears.domain import delinquency
from arrears.domain.errors import CaseClosed, CaseNotFound, ConcurrentUpdate
from arrears.domain.ports import DelinquencyIndex
from arrears.steps.unit_of_work import UnitOfWork, policy_of

logger = Logger(child=True)


def sweep(deps: UnitOfWork, index: DelinquencyIndex, now: datetime) -> dict[str, int]:
    """Move every due case to its bucket as of ``now``; counts by what happened."""
    counts: Counter[str] = Counter()
    today = now.date()
    for case_id in index.due(today.isoformat()):
        try:
            counts[_one(deps, case_id, now)] += 1
        except (ConcurrentUpdate, CaseClosed, CaseNotFound):
            counts["retry_next_sweep"] += 1
    return dict(counts)


def _one(deps: UnitOfWork, case_id: str, now: datetime) -> str:
    case = deps.load_case(case_id)
    policy = policy_of(case)
    if case.is_open:
        after, entries = delinquency.advance(
            case, case, now, policy.delinquency, policy.credit_line
        )
    else:  # closed meanwhile: it only leaves the index
        after, entries = replace(case, dpd_shard=None, dpd_next_at=None), []
    names = ("dpd_bucket", "dpd_shard", "dpd_next_at", "credit_line")
    fields = {name: getattr(after, name) for name in names}
    if all(getattr(case, name) == value for name, value in fields.items()):
        return "unchanged"
    with deps.writing(case) as step:
        if case.is_open:
            step.set_case(case_id, **fields)
        else:
            deps.repos.cases.update_fields(case_id, fields)
        for entry in entries:
            step.record(case_id, entry.kind, entry.detail, now, actor=entry.actor)
    return "bucket_changed" if entries else "rescheduled"
