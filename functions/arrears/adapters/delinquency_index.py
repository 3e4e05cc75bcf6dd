"""The daily delinquency sweep's index: open cases whose bucket changes by itself.

``delinquency_due`` on the cases table is sparse (only open cases with a next change carry
``dpd_shard``/``dpd_next_at``) and sharded, so the sweep reads only the cases that change
today, never the whole table.
"""

from __future__ import annotations

from dataclasses import dataclass

from arrears.adapters.models import CaseModel
from arrears.domain.delinquency import SHARDS


class DynamoDelinquencyIndex:
    def due(self, day: str) -> list[str]:
        found: list[str] = []
        for shard in range(SHARDS):
            query = CaseModel.delinquency_due.query(
                str(shard),
                range_key_condition=CaseModel.dpd_next_at <= day,
                attributes_to_get=[CaseModel.case_id.attr_name],  # the sweep loads each case
            )
            found.extend(item.case_id for item in query)
        return sorted(found)


@dataclass
class MemoryDelinquencyIndex:
    """Over an in-memory store's cases (``Repositories.in_memory()``)."""

    store: object

    def due(self, day: str) -> list[str]:
        items = getattr(self.store, "case_items", {})
        return sorted(
            case_id
            for case_id, case in items.items()
            if case.dpd_shard is not None and case.dpd_next_at and case.dpd_next_at <= day
        )
