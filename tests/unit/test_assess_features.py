"""The assess step scores with what replies and deliveries learned about the borrower."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from arrears.domain import scoring
from arrears.domain.case import TimelineEntry
from arrears.domain.replies import SentimentLabel, SentimentScores
from arrears.domain.scoring import Features
from arrears.domain.types import Channel
from arrears.steps.rescoring import rescore
from arrears.steps.unit_of_work import policy_of
from test_contact_step_compliance import CASE_ID, make_deps

NOW = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)


def _reply(at: datetime, label: SentimentLabel) -> TimelineEntry:
    """The audit line reply processing writes (reply_processing.ReplyProcessor._audit)."""
    scores = SentimentScores(label, Decimal("0.1"), Decimal("0.7"), Decimal("0.1"), Decimal("0.1"))
    return TimelineEntry(
        case_id=CASE_ID,
        at=at,
        kind="reply_analysed",
        actor="system:replies",
        detail={"intent": "other", "sentiment": scores.as_detail()},
    )


@pytest.fixture
def scored(monkeypatch: pytest.MonkeyPatch) -> list[Features]:
    """The Features each score() call got (the real scorecard still scores them)."""
    seen: list[Features] = []
    real = scoring.score

    def spy(features: Features, card: Any) -> Any:
        seen.append(features)
        return real(features, card)

    monkeypatch.setattr(scoring, "score", spy)  # rescore() takes it from the package
    return seen


def _rescore(deps: Any) -> None:
    case = deps.load_case(CASE_ID)
    rescore(deps, case, deps.load_borrower(case), policy_of(case), NOW, trigger="test")


def test_the_latest_reply_sentiment_and_reachability_reach_the_scorecard(scored):
    # given a borrower whose email bounced and SMS failed, who replied twice (positive, then
    # negative)
    deps = make_deps(now=NOW, unreachable=(Channel.EMAIL, Channel.SMS))
    deps.repos.timeline.append(_reply(datetime(2026, 11, 10, tzinfo=UTC), SentimentLabel.POSITIVE))
    deps.repos.timeline.append(_reply(datetime(2026, 11, 12, tzinfo=UTC), SentimentLabel.NEGATIVE))
    # when the case is (re)scored
    _rescore(deps)
    # then the score saw the newest reply's sentiment and both reachability marks
    (features,) = scored
    assert str(features.sentiment) == "negative"
    assert (features.reachability.email_bounced, features.reachability.sms_failed) == (True, True)


def test_without_replies_or_failures_the_features_say_so(scored):
    # given a reachable borrower who never replied
    deps = make_deps(now=NOW)
    # when the case is scored
    _rescore(deps)
    # then sentiment is missing (its own bin) and the borrower counts as reachable
    (features,) = scored
    assert features.sentiment is None
    assert (features.reachability.email_bounced, features.reachability.sms_failed) == (
        False,
        False,
    )
