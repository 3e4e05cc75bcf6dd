"""The simulated borrower: how likely each response is, and the draws that pick one.

The model is data (``behaviour.yaml``, or a file of the same shape): base rates per response,
scaled by factors for the channel, stage and template of the contact just received, the case's
segment and score band, and a decay with days past due. Draws come from one stream per
(seed, account, decision point), so a borrower makes the same draws under every policy
and in every shard (common random numbers).
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

DEFAULT_FILE = Path(__file__).with_name("behaviour.yaml")

# responses to a contact, in the order their chances are stacked on the unit interval
RESPONSES = ("pay_full", "pay_part", "plan", "reply", "dispute", "opt_out", "complaint")
QUIET_RESPONSES = ("pay_full", "pay_part")
CALL_OUTCOMES = ("no_answer", "promise_to_pay", "hardship", "dispute", "refused", "paid_claimed")
# the channels a borrower can answer STOP on, and the one a spam complaint comes from
OPT_OUT_CHANNELS = frozenset({"sms", "email"})
COMPLAINT_CHANNEL = "email"


class BehaviourError(ValueError):
    """The behaviour file cannot be used; the message names the file and the field."""


@dataclass(frozen=True)
class BehaviourModel:
    version: str
    contact: Mapping[str, float]
    quiet_day: Mapping[str, float]
    channel: Mapping[str, float]
    stage: Mapping[str, float]
    template: Mapping[str, float]
    segment: Mapping[str, float]
    score_band: tuple[tuple[int, float], ...]  # (lower bound, factor), highest bound first
    dpd_decay: float
    max_total: float
    call: Mapping[str, float]
    promise_kept: float
    promise_days: int
    plan_installment_kept: float
    part_share: tuple[float, float]
    response_delay_hours: tuple[float, float]
    desk_hour_utc: int
    approve_litigation: float
    source: str  # "defaults" or the file it came from

    def chances(
        self,
        *,
        channel: str | None,
        stage: str | None,
        days_past_due: int,
        template: str | None = None,
        segment: str | None,
        score: int | None,
    ) -> dict[str, float]:
        """Chance of each response to this contact (``channel`` None: a day with none)."""
        rates = self.contact if channel else self.quiet_day
        factor = (
            self.channel.get(channel or "", 1.0)
            * self.stage.get(stage or "", 1.0)
            * self.template.get(template or "", 1.0)
            * self.segment.get(segment or "", 1.0)
            * self.band_factor(score)
            * self.dpd_decay ** (max(days_past_due, 0) / 30)
        )
        out = {name: rates.get(name, 0.0) * factor for name in RESPONSES}
        if channel not in OPT_OUT_CHANNELS:
            out["opt_out"] = 0.0
        if channel != COMPLAINT_CHANNEL:
            out["complaint"] = 0.0
        total = sum(out.values())
        if total > self.max_total:  # keep "stays silent" possible
            out = {name: value * self.max_total / total for name, value in out.items()}
        return out

    def band_factor(self, score: int | None) -> float:
        if score is None:
            return 1.0
        return next((f for bound, f in self.score_band if score >= bound), 1.0)

    def as_dict(self) -> dict[str, Any]:
        return {"version": self.version, "source": self.source}


def pick(u: float, chances: Mapping[str, float], order: tuple[str, ...]) -> str | None:
    """The response whose slice of [0, 1) holds ``u``; None (silent) past the last slice."""
    edge = 0.0
    for name in order:
        edge += chances.get(name, 0.0)
        if u < edge:
            return name
    return None


def draws(seed: int, account_id: str, decision: str) -> random.Random:
    """The stream for one decision of one borrower: the same under every policy and shard.

    A string seed is hashed with SHA-512 by ``random``, so the stream does not depend on
    the process (unlike ``hash()``)."""
    return random.Random(f"{seed}|{account_id}|{decision}")


def load_behaviour(path: Path | None = None) -> BehaviourModel:
    """The model in ``path`` (None: the shipped defaults); BehaviourError if it is wrong."""
    where = path or DEFAULT_FILE
    try:
        raw = yaml.safe_load(where.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BehaviourError(f"behaviour file {where}: no such file") from None
    except (OSError, yaml.YAMLError) as exc:
        raise BehaviourError(f"behaviour file {where}: {exc}") from None
    try:
        return _model(raw, "defaults" if path is None else str(path))
    except (KeyError, TypeError, ValueError) as exc:
        raise BehaviourError(f"behaviour file {where}: {exc}") from None


def _model(raw: Any, source: str) -> BehaviourModel:
    if not isinstance(raw, dict):
        raise ValueError("must be a mapping")
    known = {
        "version", "contact", "quiet_day", "channel", "stage", "template", "segment", "score_band",
        "dpd_decay", "max_total", "call", "promise_kept", "promise_days",
        "plan_installment_kept", "part_share", "response_delay_hours", "desk",
    }  # fmt: skip
    unknown = sorted(set(raw) - known)
    if unknown:
        raise ValueError(f"unknown field {unknown[0]!r}")
    contact = _chances(raw, "contact", RESPONSES)
    quiet = _chances(raw, "quiet_day", QUIET_RESPONSES)
    call = _chances(raw, "call", CALL_OUTCOMES)
    if abs(sum(call.values()) - 1.0) > 1e-9:
        raise ValueError("call: the shares must sum to 1")
    bands = sorted(
        ((int(bound), _factor(f"score_band.{bound}", f)) for bound, f in _map(raw, "score_band")),
        reverse=True,
    )
    desk = dict(_map(raw, "desk"))
    hour = int(desk.get("hour_utc", 9))
    if not 0 <= hour <= 23:
        raise ValueError("desk.hour_utc must be 0..23")
    return BehaviourModel(
        version=str(raw.get("version", "unversioned")),
        contact=contact,
        quiet_day=quiet,
        channel={k: _factor(f"channel.{k}", v) for k, v in _map(raw, "channel")},
        stage={k: _factor(f"stage.{k}", v) for k, v in _map(raw, "stage")},
        template={k: _factor(f"template.{k}", v) for k, v in _map(raw, "template")},
        segment={k: _factor(f"segment.{k}", v) for k, v in _map(raw, "segment")},
        score_band=tuple(bands),
        dpd_decay=_factor("dpd_decay", raw.get("dpd_decay", 1.0)),
        max_total=_share("max_total", raw.get("max_total", 0.9)),
        call=call,
        promise_kept=_share("promise_kept", raw.get("promise_kept", 0.5)),
        promise_days=int(raw.get("promise_days", 5)),
        plan_installment_kept=_share("plan_installment_kept", raw.get("plan_installment_kept", 1)),
        part_share=_range("part_share", raw.get("part_share", [0.2, 0.6]), upper=1.0),
        response_delay_hours=_range(
            "response_delay_hours", raw.get("response_delay_hours", [1, 30]), upper=24 * 30
        ),
        desk_hour_utc=hour,
        approve_litigation=_share("desk.approve_litigation", desk.get("approve_litigation", 0.5)),
        source=source,
    )


def _map(raw: Mapping[str, Any], name: str) -> list[tuple[str, Any]]:
    value = raw.get(name) or {}
    if not isinstance(value, dict):
        raise ValueError(f"{name} must be a mapping")
    return [(str(k), v) for k, v in value.items()]


def _chances(raw: Mapping[str, Any], name: str, allowed: tuple[str, ...]) -> dict[str, float]:
    out: dict[str, float] = {}
    for key, value in _map(raw, name):
        if key not in allowed:
            raise ValueError(f"{name}: unknown response {key!r} (one of {', '.join(allowed)})")
        out[key] = _share(f"{name}.{key}", value)
    return out


def _share(name: str, value: Any) -> float:
    number = _number(name, value)
    if not 0.0 <= number <= 1.0:
        raise ValueError(f"{name} must be between 0 and 1, not {value!r}")
    return number


def _factor(name: str, value: Any) -> float:
    number = _number(name, value)
    if number < 0:
        raise ValueError(f"{name} must not be negative, not {value!r}")
    return number


def _range(name: str, value: Any, upper: float) -> tuple[float, float]:
    if not isinstance(value, list | tuple) or len(value) != 2:
        raise ValueError(f"{name} must be [low, high]")
    low, high = _number(name, value[0]), _number(name, value[1])
    if not 0 <= low <= high <= upper:
        raise ValueError(f"{name} must be [low, high] with 0 <= low <= high <= {upper:g}")
    return low, high


def _number(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{name} must be a number, not {value!r}")
    return float(value)
