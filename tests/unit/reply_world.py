"""A reply processor on in-memory repositories with one open case, and fakes for the
workflow and Comprehend: shared by the reply-processing and reply-corpus tests."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from arrears.adapters.cases import Repositories
from arrears.adapters.plans import InMemoryPlans
from arrears.domain.case import BorrowerRecord, CaseRecord
from arrears.domain.events import parse_borrower_replied
from arrears.domain.replies import SentimentLabel, SentimentScores
from arrears.domain.types import CaseStatus, Stage
from arrears.steps.reply import ReplyProcessor

NOW = datetime(2026, 11, 5, 2, 0, tzinfo=UTC)
CASE_ID = "acc-1#1"


@dataclass
class FakeWorkflow:
    woken: list[dict[str, Any]] = field(default_factory=list)

    def wake(self, token: str, output: dict[str, Any]) -> bool:
        self.woken.append(dict(output))
        return True


@dataclass
class FakeAnalyzer:
    negative: str | None = None
    languages: list[str] = field(default_factory=list)

    def detect_sentiment(self, text: str, language: str) -> SentimentScores | None:
        self.languages.append(language)
        if self.negative is None:
            return None
        neg = Decimal(self.negative)
        label = SentimentLabel.NEGATIVE if neg > Decimal("0.5") else SentimentLabel.NEUTRAL
        return SentimentScores(label, Decimal("0.01"), neg, 1 - neg - Decimal("0.01"), Decimal(0))

    def detect_dominant_language(self, text: str) -> str | None:
        return None


@dataclass
class World:
    repos: Repositories
    plans: InMemoryPlans
    workflow: FakeWorkflow
    analyzer: FakeAnalyzer

    def reply(self, text: str, channel: str = "sms") -> Any:
        processor = ReplyProcessor(
            repos=self.repos,
            workflow=lambda: self.workflow,  # type: ignore[arg-type,return-value]
            clock=lambda: NOW,
            analyzer=self.analyzer,
            plans=self.plans,
        )
        event = parse_borrower_replied(
            {
                "account_id": "acc-1",
                "channel": channel,
                "text": text,
                "received_at": "2026-11-05T02:00:00Z",
            }
        )
        return processor.process(event, CASE_ID)

    def case(self) -> CaseRecord:
        found = self.repos.cases.get(CASE_ID)
        assert found is not None
        return found

    def kinds(self) -> list[str]:
        return [e.kind for e in self.repos.timeline.list(CASE_ID)]


def new_world() -> World:
    """An open case acc-1#1 waiting on a task token, its borrower, fakes for the rest."""
    repos = Repositories.in_memory()
    repos.borrowers.save_profile(
        BorrowerRecord(account_id="acc-1", timezone="Asia/Shanghai", country="CN")
    )
    repos.cases.create(
        CaseRecord(
            case_id=CASE_ID,
            account_id="acc-1",
            cycle=1,
            status=CaseStatus.OPEN,
            stage=Stage.FOLLOW_UP,
            balance=Decimal("1250.00"),
            currency="CNY",
            opened_at=NOW - timedelta(days=3),
            due_date=date(2026, 11, 1),
        )
    )
    repos.cases.store_task_token(CASE_ID, "token-1", "follow_up_due")
    return World(repos, InMemoryPlans(), FakeWorkflow(), FakeAnalyzer())
