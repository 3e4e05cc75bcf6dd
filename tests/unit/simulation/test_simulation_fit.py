"""fit-response recovers the rates of borrowers generated from known ones.

The generator plays borrowers the way the simulator does (a look a day at the desk's hour,
one draw per contact seen, the first response ends the day, a full payment ends the case,
an answer within the day), from a model whose rates and channel factors are known; the fit
reads only the events and the report that such a run leaves.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml
from arrears import constants as c
from arrears.local.events_file import EventEntry, ScheduledEntry
from arrears.local.simulation.behaviour import QUIET_RESPONSES, RESPONSES, load_behaviour, pick
from arrears.local.simulation.borrowers import REPLY_TEXT
from arrears.local.simulation.fit import fit_response

KNOWN = {
    "version": "known",
    "contact": {"pay_full": 0.08, "pay_part": 0.05, "plan": 0.03, "reply": 0.03,
                "dispute": 0.03, "opt_out": 0.04, "complaint": 0.08},
    "quiet_day": {"pay_full": 0.02, "pay_part": 0.01},
    "channel": {"sms": 1.0, "email": 0.5, "letter": 2.0},
    "call": {"no_answer": 1.0},
}  # fmt: skip
START = datetime(2026, 11, 2, tzinfo=UTC)
HOUR = 9
DAYS = 40
# contacts on these days after opening, at 10:00 UTC: one a day, channels in turn
SCHEDULE = [(day, ("sms", "email", "letter")[i % 3]) for i, day in enumerate(range(1, DAYS, 2))]


def _generate(model, accounts: int, seed: int):
    rng = random.Random(seed)
    entries, cases = [], []
    for n in range(accounts):
        account = f"acc-{n:05d}"
        opened = START + timedelta(hours=n % 24)
        first_look = opened.replace(hour=HOUR) + timedelta(days=1 if opened.hour >= HOUR else 0)
        contacts = [
            (opened.replace(hour=10) + timedelta(days=day), channel) for day, channel in SCHEDULE
        ]
        sent, timeline, closed = [], [], None
        previous, look = opened, first_look
        while look < START + timedelta(days=DAYS):
            seen = [(at, ch) for at, ch in contacts if previous <= at < look]
            sent += seen
            at = look + timedelta(hours=rng.uniform(1, 23))
            answer = None
            if seen:
                for _, channel in seen:
                    chances = model.chances(
                        channel=channel, stage=None, days_past_due=0, segment=None, score=None
                    )
                    answer = pick(rng.random(), chances, RESPONSES)
                    if answer:
                        break
            else:
                chances = model.chances(
                    channel=None, stage=None, days_past_due=0, segment=None, score=None
                )
                answer = pick(rng.random(), chances, QUIET_RESPONSES)
            if answer == "complaint":
                timeline.append({"at": _iso(at), "kind": "delivery_outcome",
                                 "detail": {"outcome": "complaint"}})  # fmt: skip
            elif answer in ("pay_full", "pay_part"):
                status = "PAID" if answer == "pay_full" else "PARTIALLY_PAID"
                entries.append(_event(at, c.DETAIL_PAYMENT_STATUS, account, status=status))
            elif answer is not None:
                text = REPLY_TEXT[answer]
                entries.append(_event(at, c.DETAIL_BORROWER_REPLIED, account, text=text))
            if answer == "pay_full":
                closed = at
                break
            previous, look = look, look + timedelta(days=1)
        cases.append({
            "account_id": account, "opened_at": _iso(opened),
            "closed_at": _iso(closed) if closed else None,
            "contacts": [{"channel": ch, "sent_at": _iso(at)} for at, ch in sent],
            "timeline": timeline,
        })  # fmt: skip
    entries.sort(key=lambda e: e.at)
    return entries, {"generated_at": _iso(START + timedelta(days=DAYS)), "cases": cases}


def _event(at: datetime, detail_type: str, account: str, **detail: str) -> ScheduledEntry:
    source = c.SOURCE_PAYMENTS if detail_type == c.DETAIL_PAYMENT_STATUS else c.SOURCE_MESSAGING
    return ScheduledEntry(0, at, EventEntry(source, detail_type, {"account_id": account, **detail}))


def _iso(at: datetime) -> str:
    return at.isoformat().replace("+00:00", "Z")


@pytest.fixture(scope="module")
def fitted(tmp_path_factory):
    path = tmp_path_factory.mktemp("fit") / "known.yaml"
    path.write_text(yaml.safe_dump(KNOWN), encoding="utf-8")
    entries, report = _generate(load_behaviour(path), accounts=3000, seed=11)
    return fit_response(entries, report, HOUR)


@pytest.mark.parametrize("response", RESPONSES)
def test_each_contact_rate_is_recovered(fitted, response):
    assert fitted["contact"][response] == pytest.approx(KNOWN["contact"][response], rel=0.15)


@pytest.mark.parametrize("channel", ["sms", "email", "letter"])
def test_channel_factors_are_recovered_relative_to_sms(fitted, channel):
    assert fitted["channel"][channel] == pytest.approx(KNOWN["channel"][channel], rel=0.15)


@pytest.mark.parametrize("response", QUIET_RESPONSES)
def test_quiet_day_rates_are_recovered(fitted, response):
    assert fitted["quiet_day"][response] == pytest.approx(KNOWN["quiet_day"][response], rel=0.15)


def test_the_fit_is_a_behaviour_file(fitted, tmp_path: Path):
    path = tmp_path / "fitted.yaml"
    path.write_text(yaml.safe_dump(fitted), encoding="utf-8")
    model = load_behaviour(path)
    assert model.version == "fitted"
    assert model.dpd_decay == 1.0
