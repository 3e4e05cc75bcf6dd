"""Fit the behaviour model's response rates to what happened (`arrears model fit-response`).

What was sent comes from a run's report (each case's contacts the provider took, and its
email complaints); what borrowers did comes from the events file (payments, replies read
by the reply classifier). The borrowers are assumed to look once a day at the desk's hour,
as the simulated ones do, and to answer within a day: a response is put on the last look
before it, and on that look's first contact it could answer (a complaint on an email, an
opt-out on an SMS or email). A look with contacts exposes each contact up to the one
answered; a look without any is a quiet day.

Estimated (moments, so that the expected counts match the observed ones): a factor per
channel, from the responses every channel can bring; a rate per response; the quiet-day
rates. Stage, template, segment, score and days-past-due factors are left at 1, and what the agents
and the desk do is kept from the defaults: calls are not fitted.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import yaml

from arrears import constants as c
from arrears.local.simulation.behaviour import (
    COMPLAINT_CHANNEL,
    DEFAULT_FILE,
    OPT_OUT_CHANNELS,
    QUIET_RESPONSES,
    RESPONSES,
)

# responses any channel can bring: the channel factors are fitted on these
EVERY_CHANNEL = ("pay_full", "pay_part", "plan", "reply", "dispute")
# reply intents (domain.replies.Intent) -> the model's response; others are not responses
INTENT_RESPONSE = {
    "dispute": "dispute",
    "hardship": "plan",
    "agent_request": "reply",
    "opt_out": "opt_out",
    "stop_sms": "opt_out",
    "stop_email": "opt_out",
    "cease_all": "opt_out",
}


@dataclass
class Tally:
    """Exposures and responses, per channel for contacts, and for quiet days."""

    exposures: Counter[str] = field(default_factory=Counter)  # channel -> contacts seen
    responses: Counter[tuple[str, str]] = field(default_factory=Counter)  # (channel, response)
    quiet_days: int = 0
    quiet: Counter[str] = field(default_factory=Counter)


def fit_response(
    entries: Sequence[Any], report: Mapping[str, Any], desk_hour_utc: int
) -> dict[str, Any]:
    """The behaviour file's content fitted to ``entries`` (events file) and ``report``."""
    responses = _responses(entries, report)
    end = _time(report["generated_at"])
    tally = Tally()
    for case in report["cases"]:
        if case.get("opened_at"):
            _tally_case(tally, case, responses.get(case["account_id"], []), end, desk_hour_utc)
    return _behaviour(tally)


def _tally_case(
    tally: Tally,
    case: Mapping[str, Any],
    responses: list[tuple[datetime, str]],
    end: datetime,
    hour: int,
) -> None:
    opened = _time(case["opened_at"])
    stop = _time(case["closed_at"]) if case.get("closed_at") else end
    contacts = sorted(
        (_time(x["sent_at"]), x["channel"]) for x in case["contacts"] if x["channel"] != "call"
    )
    look = opened.replace(hour=hour, minute=0, second=0, microsecond=0)
    if look <= opened:
        look += timedelta(days=1)
    previous = opened
    while look <= stop:
        seen = [channel for at, channel in contacts if previous <= at < look]
        after = [r for at, r in responses if look < at <= look + timedelta(days=1)]
        answer = after[0] if after else None
        if seen:
            _tally_contacts(tally, seen, answer)
        else:
            tally.quiet_days += 1
            if answer in QUIET_RESPONSES:
                tally.quiet[answer] += 1
        if answer == "pay_full":
            return
        previous, look = look, look + timedelta(days=1)


def _tally_contacts(tally: Tally, seen: list[str], answer: str | None) -> None:
    for channel in seen:
        tally.exposures[channel] += 1
        if answer is not None and _can_answer(channel, answer):
            tally.responses[(channel, answer)] += 1
            return


def _can_answer(channel: str, response: str) -> bool:
    if response == "complaint":
        return channel == COMPLAINT_CHANNEL
    return response != "opt_out" or channel in OPT_OUT_CHANNELS


def _behaviour(tally: Tally) -> dict[str, Any]:
    def common_rate(channels: Iterable[str]) -> float:
        exposures = sum(tally.exposures[ch] for ch in channels)
        count = sum(
            n for (ch, r), n in tally.responses.items() if ch in channels and r in EVERY_CHANNEL
        )
        return count / exposures if exposures else 0.0

    # factors relative to SMS (as in the shipped file), or to all channels without SMS
    reference = common_rate(["sms"] if tally.exposures["sms"] else list(tally.exposures))
    factors = {
        channel: common_rate([channel]) / reference if reference else 1.0
        for channel in sorted(tally.exposures)
    }

    def rate(response: str, channels: Iterable[str]) -> float:
        weighted = sum(tally.exposures[ch] * factors.get(ch, 1.0) for ch in channels)
        count = sum(n for (_, r), n in tally.responses.items() if r == response)
        return count / weighted if weighted else 0.0

    channels = list(tally.exposures)
    contact = {
        r: rate(
            r,
            [COMPLAINT_CHANNEL] if r == "complaint"
            else [ch for ch in channels if ch in OPT_OUT_CHANNELS] if r == "opt_out"
            else channels,
        )
        for r in RESPONSES
    }  # fmt: skip
    quiet = {
        r: tally.quiet[r] / tally.quiet_days if tally.quiet_days else 0.0 for r in QUIET_RESPONSES
    }
    defaults = yaml.safe_load(DEFAULT_FILE.read_text(encoding="utf-8"))
    return {
        **defaults,
        "version": "fitted",
        "contact": {r: round(v, 4) for r, v in contact.items()},
        "quiet_day": {r: round(v, 4) for r, v in quiet.items()},
        "channel": {ch: round(f, 3) for ch, f in factors.items()},
        "stage": {},
        "template": {},
        "segment": {},
        "score_band": {},
        "dpd_decay": 1.0,
    }


def _responses(
    entries: Sequence[Any], report: Mapping[str, Any]
) -> dict[str, list[tuple[datetime, str]]]:
    """Per account, (when, response) of every payment, reply and email complaint, in order."""
    from arrears.domain.replies import classify

    out: dict[str, list[tuple[datetime, str]]] = {}
    accepted: set[str] = set()  # accounts on a plan: their payments are instalments
    for entry in entries:
        event = entry.event
        if event is None:
            continue
        detail, account = event.detail, event.detail.get("account_id", "")
        response = None
        if event.detail_type == c.DETAIL_PAYMENT_STATUS and account not in accepted:
            response = {"PAID": "pay_full", "PARTIALLY_PAID": "pay_part"}.get(detail.get("status"))
        elif event.detail_type == c.DETAIL_BORROWER_REPLIED:
            intents = [
                i.value for i in classify(str(detail.get("text", "")), open_offer=True).intents
            ]
            if "plan_accept" in intents:
                accepted.add(account)
            response = next((INTENT_RESPONSE[i] for i in intents if i in INTENT_RESPONSE), None)
        if response is not None:
            out.setdefault(account, []).append((entry.at, response))
    for case in report["cases"]:
        for e in case["timeline"]:
            if e["kind"] == "delivery_outcome" and e["detail"].get("outcome") == "complaint":
                out.setdefault(case["account_id"], []).append((_time(e["at"]), "complaint"))
    for found in out.values():
        found.sort()
    return out


def _time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def behaviour_yaml(content: Mapping[str, Any], source: str) -> str:
    header = (
        f"# Fitted by `arrears model fit-response` from {source}: per-contact and quiet-day\n"
        "# rates and channel factors; the other factors are 1, calls and the desk are the\n"
        "# shipped defaults (docs/simulation.md).\n"
    )
    return header + yaml.safe_dump(dict(content), sort_keys=False, allow_unicode=True)
