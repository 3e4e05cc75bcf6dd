"""What a borrower's reply means: language, intent and distress. Pure: no AWS, no I/O after load.

A reply is untrusted free text. This module never stores or logs it; it turns it into a few
labels (``ReplyAnalysis``) that the reply handler acts on and the audit timeline keeps:

- ``detect_language``: the share of CJK ideographs among the letters decides ``zh`` vs
  ``en`` (the two languages Arrears writes in); a reply with both scripts is ``mixed``;
- ``classify``: keyword and phrase tables from ``policies/replies/intents.yaml`` (data, not
  code), matched on normalised text, with negations ("haven't paid") and typos tolerated;
  every table is tried on every reply, so mixed-language replies work;
- ``decide_emotion``: Amazon Comprehend's sentiment scores plus distress words -> whether
  the next message must be softer and a human agent must take the case.

Matching rules are described in the YAML file's header and in docs/replies-and-plans.md.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

INTENTS_FILE = Path(__file__).resolve().parent.parent / "policies" / "replies" / "intents.yaml"

# Share of CJK ideographs among all letters from which a reply counts as Chinese, and the
# share each script needs for the reply to count as mixed.
ZH_RATIO = Decimal("0.5")
MIXED_MIN_SHARE = Decimal("0.2")


class Intent(StrEnum):
    OPT_OUT = "opt_out"
    DISPUTE = "dispute"
    PAYMENT_CLAIMED = "payment_claimed"
    PLAN_ACCEPT = "plan_accept"
    HARDSHIP = "hardship"
    AGENT_REQUEST = "agent_request"
    NONE = "none"


class Language(StrEnum):
    EN = "en"
    ZH = "zh"


class RepliesConfigError(ValueError):
    """The intents file cannot be used; says which file and what is wrong."""


# --------------------------------------------------------------------------- the table


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _Negations(_Strict):
    en: tuple[str, ...] = ()
    zh: tuple[str, ...] = ()


class IntentRule(_Strict):
    description: str = ""
    en: tuple[str, ...] = ()
    zh: tuple[str, ...] = ()
    whole_message: tuple[str, ...] = ()
    negations: _Negations = _Negations()
    only_with_open_offer: bool = False


class DistressRule(_Strict):
    en: tuple[str, ...] = ()
    zh: tuple[str, ...] = ()
    negations: _Negations = _Negations()
    negative_score: Decimal = Field(ge=0, le=1)
    negative_with_hardship: Decimal = Field(ge=0, le=1)


class Fuzzy(_Strict):
    min_length: int = Field(default=6, ge=3)
    two_edits_from: int = Field(default=9, ge=4)
    never: frozenset[str] = frozenset()


class ReplyRules(_Strict):
    version: str = Field(min_length=1)
    fuzzy: Fuzzy = Fuzzy()
    intents: dict[Intent, IntentRule]
    distress: DistressRule

    def ordered(self) -> list[tuple[Intent, IntentRule]]:
        """Intents in file order: the priority order (the first found is the primary)."""
        return [
            (intent, rule) for intent, rule in self.intents.items() if intent is not Intent.NONE
        ]


def parse_rules(raw: Any, source: str = "<replies>") -> ReplyRules:
    if not isinstance(raw, dict):
        raise RepliesConfigError(f"{source}: expected a mapping at the top level")
    try:
        return ReplyRules.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or '<top>'}: {err['msg']}"
            for err in exc.errors()
        )
        raise RepliesConfigError(f"{source}: {problems}") from exc


@cache
def load_rules(path: str | None = None) -> ReplyRules:
    """The intents table (cached per process)."""
    file = Path(path) if path else INTENTS_FILE
    try:
        raw = yaml.safe_load(file.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise RepliesConfigError(f"{file}: cannot read: {exc}") from exc
    return parse_rules(raw, str(file))


# --------------------------------------------------------------------------- normalising

_APOSTROPHES = re.compile(r"['’‘`´]")
_SQUEEZE = re.compile(r"([a-z])\1{2,}")  # three or more equal letters -> one


def _is_cjk(ch: str) -> bool:
    code = ord(ch)
    return (
        0x4E00 <= code <= 0x9FFF  # CJK Unified Ideographs
        or 0x3400 <= code <= 0x4DBF  # Extension A
        or 0xF900 <= code <= 0xFAFF  # Compatibility Ideographs
        or 0x20000 <= code <= 0x2FA1F  # Extensions B..F, compatibility supplement
    )


def normalise(text: str) -> str:
    """NFKC, case folded, apostrophes dropped, punctuation -> space, squeezed, single spaces."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    folded = _APOSTROPHES.sub("", folded)
    chars = []
    for ch in folded:
        if ch.isalnum() or _is_cjk(ch):
            chars.append(ch)
        else:
            chars.append(" ")
    squeezed = _SQUEEZE.sub(r"\1", "".join(chars))
    return " ".join(squeezed.split())


def _tokens(normalised: str) -> list[str]:
    """Latin/digit words (CJK characters are matched as substrings, never as words)."""
    words: list[str] = []
    for word in normalised.split(" "):
        latin = "".join(" " if _is_cjk(ch) else ch for ch in word)
        words.extend(w for w in latin.split() if w)
    return words


def _cjk_text(normalised: str) -> str:
    return normalised.replace(" ", "")


# --------------------------------------------------------------------------- language


@dataclass(frozen=True)
class LanguageGuess:
    language: Language
    cjk_share: Decimal  # CJK ideographs / (ideographs + Latin letters), 0 for no letters
    mixed: bool


def detect_language(text: str) -> LanguageGuess:
    """``zh`` when at least half the letters are CJK ideographs, else ``en``.

    Honest and simple: Arrears writes only English and Chinese, so this only has to tell
    those two apart; Comprehend's DetectDominantLanguage may refine it where available.
    """
    cjk = latin = 0
    for ch in unicodedata.normalize("NFKC", text):
        if _is_cjk(ch):
            cjk += 1
        elif ch.isascii() and ch.isalpha():
            latin += 1
    letters = cjk + latin
    if letters == 0:
        return LanguageGuess(Language.EN, Decimal(0), False)
    share = (Decimal(cjk) / Decimal(letters)).quantize(Decimal("0.01"))
    language = Language.ZH if share >= ZH_RATIO else Language.EN
    mixed = MIXED_MIN_SHARE <= share <= 1 - MIXED_MIN_SHARE
    return LanguageGuess(language, share, mixed)


# --------------------------------------------------------------------------- matching


def edit_distance(a: str, b: str, limit: int) -> int:
    """Optimal-string-alignment distance (typos: insert, delete, substitute, swap), capped:
    returns ``limit + 1`` as soon as the distance is known to exceed ``limit``."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        current = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                current[j] = min(current[j], previous2[j - 2] + 1)
        if min(current) > limit:
            return limit + 1
        previous2, previous = previous, current
    return previous[-1]


@dataclass(frozen=True)
class _Matcher:
    fuzzy: Fuzzy

    def allowed_edits(self, word: str) -> int:
        if word in self.fuzzy.never or len(word) < self.fuzzy.min_length:
            return 0
        return 2 if len(word) >= self.fuzzy.two_edits_from else 1

    def word_matches(self, expected: str, seen: str) -> bool:
        if expected == seen:
            return True
        edits = self.allowed_edits(expected)
        return (
            edits > 0
            and seen not in self.fuzzy.never
            and edit_distance(expected, seen, edits) <= edits
        )

    def find_phrase(self, phrase_words: Sequence[str], tokens: Sequence[str]) -> int | None:
        """Index where the phrase's words appear in order in ``tokens``, or None."""
        size = len(phrase_words)
        for start in range(len(tokens) - size + 1):
            if all(self.word_matches(w, tokens[start + k]) for k, w in enumerate(phrase_words)):
                return start
        return None


def _phrase_words(phrase: str) -> list[str]:
    return _tokens(normalise(phrase))


def _has_cjk(phrase: str) -> bool:
    return any(_is_cjk(ch) for ch in phrase)


@dataclass
class _Text:
    """One reply, normalised, with negated spans blanked per intent."""

    tokens: list[str]
    cjk: str
    whole: str  # the normalised reply, to compare with whole-message keywords

    def without(self, matcher: _Matcher, negations: _Negations) -> _Text:
        tokens = list(self.tokens)
        for phrase in negations.en:
            words = _phrase_words(phrase)
            if not words:
                continue
            while (start := matcher.find_phrase(words, tokens)) is not None:
                tokens[start : start + len(words)] = ["\u0000"] * len(words)
        cjk = self.cjk
        for phrase in negations.zh:
            key = _cjk_text(normalise(phrase))
            if key:
                cjk = cjk.replace(key, "\u0000")
        return _Text(tokens, cjk, self.whole)


def _first_match(
    matcher: _Matcher, text: _Text, latin: Iterable[str], chinese: Iterable[str]
) -> str | None:
    """The first table phrase found in the text (the table's wording, never the reply's)."""
    for phrase in [*latin, *chinese]:
        normalised = normalise(phrase)
        if not normalised:
            continue
        if _has_cjk(phrase) or not _phrase_words(phrase):
            if _cjk_text(normalised) in text.cjk:
                return phrase
            continue
        words = _phrase_words(phrase)
        if matcher.find_phrase(words, text.tokens) is not None:
            return phrase
    return None


# --------------------------------------------------------------------------- analysis


@dataclass(frozen=True)
class ReplyAnalysis:
    """What a reply means, with nothing of its text except lengths and a hash."""

    language: Language
    mixed_script: bool
    intents: tuple[Intent, ...]  # every intent found, in priority order
    matched: dict[str, str] = field(default_factory=dict)  # intent -> table phrase that matched
    distress_terms: tuple[str, ...] = ()  # table phrases (not reply text)
    chars: int = 0
    rules_version: str = ""

    @property
    def primary(self) -> Intent:
        return self.intents[0] if self.intents else Intent.NONE

    def has(self, intent: Intent) -> bool:
        return intent in self.intents


def classify(
    text: str, *, open_offer: bool = False, rules: ReplyRules | None = None
) -> ReplyAnalysis:
    """Language, intents (priority order) and distress words of one reply.

    ``open_offer``: a plan offer is waiting for an answer, so "yes"/"同意" means accepting
    it; without one those words mean nothing.
    """
    rules = rules or load_rules()
    matcher = _Matcher(rules.fuzzy)
    normalised = normalise(text)
    base = _Text(_tokens(normalised), _cjk_text(normalised), normalised)
    guess = detect_language(text)

    found: list[Intent] = []
    matched: dict[str, str] = {}
    for intent, rule in rules.ordered():
        if rule.only_with_open_offer and not open_offer:
            continue
        if rule.whole_message and normalised in {normalise(w) for w in rule.whole_message}:
            found.append(intent)
            matched[intent.value] = normalised
            continue
        hit = _first_match(matcher, base.without(matcher, rule.negations), rule.en, rule.zh)
        if hit is not None:
            found.append(intent)
            matched[intent.value] = hit
    distress_text = base.without(matcher, rules.distress.negations)
    distress = tuple(
        phrase
        for phrase in (*rules.distress.en, *rules.distress.zh)
        if _first_match(matcher, distress_text, [phrase], []) is not None
    )
    return ReplyAnalysis(
        language=guess.language,
        mixed_script=guess.mixed,
        intents=tuple(found),
        matched=matched,
        distress_terms=distress,
        chars=len(text),
        rules_version=rules.version,
    )


def text_fingerprint(text: str) -> str:
    """SHA-256 of the reply (UTF-8): the audit proves which text was acted on without
    keeping it; the messaging provider's own record holds the text if it is ever needed."""
    return hashlib.sha256(text.encode("utf-8", "replace")).hexdigest()


# --------------------------------------------------------------------------- emotion


class SentimentLabel(StrEnum):
    POSITIVE = "POSITIVE"
    NEGATIVE = "NEGATIVE"
    NEUTRAL = "NEUTRAL"
    MIXED = "MIXED"


@dataclass(frozen=True)
class SentimentScores:
    """Comprehend DetectSentiment's answer: the label and the four scores (0..1)."""

    label: SentimentLabel
    positive: Decimal
    negative: Decimal
    neutral: Decimal
    mixed: Decimal

    def as_detail(self) -> dict[str, str]:
        return {
            "label": self.label.value,
            "positive": format(self.positive, "f"),
            "negative": format(self.negative, "f"),
            "neutral": format(self.neutral, "f"),
            "mixed": format(self.mixed, "f"),
        }

    @property
    def scoring_label(self) -> str:
        """The value ``Features.sentiment`` takes (lower-case label)."""
        return self.label.value.lower()


@dataclass(frozen=True)
class EmotionDecision:
    distressed: bool
    reasons: tuple[str, ...]  # "distress_terms", "strongly_negative", "negative_with_hardship"
    soft_template: bool  # the next message uses the softer template
    route_to_agent: bool  # a human agent takes the case instead of automated escalation

    def as_detail(self) -> dict[str, Any]:
        return {
            "distressed": self.distressed,
            "reasons": list(self.reasons),
            "soft_template": self.soft_template,
            "route_to_agent": self.route_to_agent,
        }


def decide_emotion(
    analysis: ReplyAnalysis, scores: SentimentScores | None, rules: ReplyRules | None = None
) -> EmotionDecision:
    """Distress = a distress word, or a strongly negative score (a lower bar with hardship).

    Without scores (Comprehend unavailable or the language unsupported) only the words
    count: a missing score never makes a reply look calm or distressed on its own.
    """
    rules = rules or load_rules()
    reasons: list[str] = []
    if analysis.distress_terms:
        reasons.append("distress_terms")
    if scores is not None:
        if scores.negative >= rules.distress.negative_score:
            reasons.append("strongly_negative")
        elif (
            analysis.has(Intent.HARDSHIP)
            and scores.negative >= rules.distress.negative_with_hardship
        ):
            reasons.append("negative_with_hardship")
    distressed = bool(reasons)
    return EmotionDecision(
        distressed=distressed,
        reasons=tuple(reasons),
        soft_template=distressed,
        route_to_agent=distressed,
    )
