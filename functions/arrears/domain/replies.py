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

from arrears.domain import yaml_text
from arrears.domain.types import Channel

INTENTS_FILE = Path(__file__).resolve().parent.parent / "policies" / "replies" / "intents.yaml"

# Share of CJK ideographs among all letters from which a reply counts as Chinese, and the
# share each script needs for the reply to count as mixed.
ZH_RATIO = Decimal("0.5")
MIXED_MIN_SHARE = Decimal("0.2")


class Intent(StrEnum):
    CEASE_ALL = "cease_all"  # stop contacting me at all
    STOP_CALLS = "stop_calls"
    STOP_SMS = "stop_sms"
    STOP_EMAIL = "stop_email"
    OPT_OUT = "opt_out"  # a bare STOP: the channel the reply came in on
    DISPUTE = "dispute"
    PAYMENT_CLAIMED = "payment_claimed"
    PLAN_ACCEPT = "plan_accept"
    HARDSHIP = "hardship"
    AGENT_REQUEST = "agent_request"
    NONE = "none"


class Language(StrEnum):
    EN = "en"
    ZH = "zh"
    ES = "es"
    PT = "pt"
    ID = "id"


LANGUAGES = tuple(Language)
_NAMED_STOPS = (Intent.CEASE_ALL, Intent.STOP_CALLS, Intent.STOP_SMS, Intent.STOP_EMAIL)
_NO_CALLS = (Intent.CEASE_ALL, Intent.STOP_CALLS)


class RepliesConfigError(ValueError):
    """The intents file cannot be used; says which file and what is wrong."""


# --------------------------------------------------------------------------- the table


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


class ByLanguage(_Strict):
    """Phrases per language; every table is tried on every reply (mixed replies)."""

    en: tuple[str, ...] = ()
    zh: tuple[str, ...] = ()
    es: tuple[str, ...] = ()
    pt: tuple[str, ...] = ()
    id: tuple[str, ...] = ()

    def all(self) -> tuple[str, ...]:
        return (*self.en, *self.zh, *self.es, *self.pt, *self.id)


class IntentRule(ByLanguage):
    description: str = ""
    whole_message: tuple[str, ...] = ()
    negations: ByLanguage = ByLanguage()
    # phrases that mean this intent when a negator stands before them ("don't" + "call")
    when_negated: ByLanguage = ByLanguage()
    # a negator before one of the intent's phrases cancels it ("don't call me" is no request)
    negatable: bool = False
    only_with_open_offer: bool = False


class DistressRule(ByLanguage):
    negations: ByLanguage = ByLanguage()
    negative_score: Decimal = Field(ge=0, le=1)
    negative_with_hardship: Decimal = Field(ge=0, le=1)


class Negators(ByLanguage):
    """Words that negate what follows them in the same clause: within ``window`` words
    (Latin scripts) or ``cjk_window`` characters (Chinese)."""

    window: int = Field(default=3, ge=1, le=6)
    cjk_window: int = Field(default=4, ge=1, le=8)


class Fuzzy(_Strict):
    min_length: int = Field(default=6, ge=3)
    two_edits_from: int = Field(default=9, ge=4)
    never: frozenset[str] = frozenset()


class ReplyRules(_Strict):
    version: str = Field(min_length=1)
    fuzzy: Fuzzy = Fuzzy()
    intents: dict[Intent, IntentRule]
    distress: DistressRule
    negators: Negators = Negators()
    # common words that tell the Latin-script languages apart (Chinese is told by script)
    language_words: ByLanguage = ByLanguage()

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
        raw = yaml_text.safe_load(file.read_text(encoding="utf-8"))
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
    """NFKC, case folded, accents dropped from Latin letters ("não" -> "nao", so borrowers
    who type without them match), apostrophes dropped, punctuation -> space, squeezed,
    single spaces."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    folded = _APOSTROPHES.sub("", folded)
    chars = []
    for ch in unicodedata.normalize("NFD", folded):
        if unicodedata.category(ch) == "Mn":
            continue
        if ch.isalnum() or _is_cjk(ch):
            chars.append(ch)
        else:
            chars.append(" ")
    squeezed = _SQUEEZE.sub(r"\1", unicodedata.normalize("NFC", "".join(chars)))
    return " ".join(squeezed.split())


# punctuation that ends a clause: a negator never reaches across it ("No, ya pagué")
_CLAUSE_END = re.compile(r"[.,;:!?¡¿…\n\r\t，。；：！？、]+")


def clauses(text: str) -> list[str]:
    """The reply's clauses, each normalised (empty ones dropped)."""
    parts = _CLAUSE_END.split(unicodedata.normalize("NFKC", text))
    return [n for n in (normalise(part) for part in parts) if n]


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


def detect_language(text: str, rules: ReplyRules | None = None) -> LanguageGuess:
    """``zh`` when at least half the letters are CJK ideographs; otherwise the Latin-script
    language whose common words (``language_words``) the reply uses most, ``en`` on a tie.

    Honest and simple: it only has to pick which of the languages Arrears writes in a reply
    is in, for Comprehend's sentiment; the intent tables do not depend on it.
    """
    cjk = latin = 0
    for ch in unicodedata.normalize("NFKC", text):
        if _is_cjk(ch):
            cjk += 1
        elif ch.isalpha() and not _is_cjk(ch):
            latin += 1
    letters = cjk + latin
    if letters == 0:
        return LanguageGuess(Language.EN, Decimal(0), False)
    share = (Decimal(cjk) / Decimal(letters)).quantize(Decimal("0.01"))
    mixed = MIXED_MIN_SHARE <= share <= 1 - MIXED_MIN_SHARE
    if share >= ZH_RATIO:
        return LanguageGuess(Language.ZH, share, mixed)
    return LanguageGuess(_latin_language(text, rules or load_rules()), share, mixed)


def _latin_language(text: str, rules: ReplyRules) -> Language:
    common = _compiled(rules).common_words
    words = _tokens(normalise(text))
    best, best_hits = Language.EN, 0
    for language in (Language.EN, Language.ES, Language.PT, Language.ID):
        hits = sum(1 for word in words if word in common[language])
        if hits > best_hits:
            best, best_hits = language, hits
    return best


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


def _deletions(word: str, depth: int) -> set[str]:
    """``word`` with up to ``depth`` letters deleted (the symmetric-delete typo index)."""
    found = {word}
    frontier = {word}
    for _ in range(depth):
        frontier = {w[:i] + w[i + 1 :] for w in frontier for i in range(len(w))}
        found |= frontier
    return found


@dataclass(frozen=True)
class _Phrase:
    text: str  # as written in the table (what the audit shows)
    words: tuple[str, ...] = ()  # Latin phrase: normalised words, matched in order
    cjk: str = ""  # Chinese phrase: normalised, spaces removed, matched as a substring


def _compile_phrase(phrase: str) -> _Phrase | None:
    normalised = normalise(phrase)
    if not normalised:
        return None
    if any(_is_cjk(ch) for ch in phrase):
        return _Phrase(phrase, cjk=_cjk_text(normalised))
    return _Phrase(phrase, words=tuple(_tokens(normalised)))


def _compile_all(phrases: Iterable[str]) -> tuple[_Phrase, ...]:
    return tuple(p for p in (_compile_phrase(x) for x in phrases) if p is not None)


@dataclass(frozen=True)
class _CompiledRule:
    intent: Intent
    phrases: tuple[_Phrase, ...]
    negations: tuple[_Phrase, ...]
    when_negated: tuple[_Phrase, ...]
    whole_message: frozenset[str]
    negatable: bool
    only_with_open_offer: bool


class _Compiled:
    """The table, normalised once, with a typo index: every vocabulary word that may match
    with typos is stored under each of its deletion variants, so a reply word finds its
    candidates by lookup and only those few are checked with ``edit_distance``."""

    def __init__(self, rules: ReplyRules) -> None:
        self.fuzzy = rules.fuzzy
        self.rules = [
            _CompiledRule(
                intent=intent,
                phrases=_compile_all(rule.all()),
                negations=_compile_all(rule.negations.all()),
                when_negated=_compile_all(rule.when_negated.all()),
                whole_message=frozenset(normalise(w) for w in rule.whole_message),
                negatable=rule.negatable,
                only_with_open_offer=rule.only_with_open_offer,
            )
            for intent, rule in rules.ordered()
        ]
        self.distress = _compile_all(rules.distress.all())
        self.distress_negations = _compile_all(rules.distress.negations.all())
        self.negators = _compile_all(rules.negators.all())
        self.window = rules.negators.window
        self.cjk_window = rules.negators.cjk_window
        self.common_words = {
            language: frozenset(normalise(w) for w in getattr(rules.language_words, language))
            for language in LANGUAGES
        }
        vocabulary = {
            word
            for group in [
                *(r.phrases for r in self.rules),
                *(r.when_negated for r in self.rules),
                self.distress,
            ]
            for phrase in group
            for word in phrase.words
        }
        self.index: dict[str, set[str]] = {}
        for word in vocabulary:
            edits = self.allowed_edits(word)
            if edits:
                for variant in _deletions(word, edits):
                    self.index.setdefault(variant, set()).add(word)

    def allowed_edits(self, word: str) -> int:
        if word in self.fuzzy.never or len(word) < self.fuzzy.min_length:
            return 0
        return 2 if len(word) >= self.fuzzy.two_edits_from else 1

    def vocabulary_matches(self, token: str) -> set[str]:
        """Vocabulary words this reply word stands for: itself, and typo matches."""
        found = {token}
        if token in self.fuzzy.never:
            return found
        for variant in _deletions(token, 2):
            for word in self.index.get(variant, ()):
                edits = self.allowed_edits(word)
                if word not in found and edit_distance(word, token, edits) <= edits:
                    found.add(word)
        return found


_compiled_cache: dict[int, tuple[ReplyRules, _Compiled]] = {}


def _compiled(rules: ReplyRules) -> _Compiled:
    held = _compiled_cache.get(id(rules))
    if held is None or held[0] is not rules:
        held = (rules, _Compiled(rules))
        _compiled_cache[id(rules)] = held
    return held[1]


class _Text:
    """One reply, normalised: where each vocabulary word occurs, and its CJK characters.

    Clauses are kept apart: word positions jump between clauses and the CJK text has a
    ``|`` between them, so neither a phrase nor a negator reaches across punctuation.
    """

    def __init__(self, text: str, compiled: _Compiled) -> None:
        self.compiled = compiled
        parts = clauses(text)
        self.cjk = "|".join(_cjk_text(part) for part in parts)
        self.positions: dict[str, list[int]] = {}
        self._negator_ends: frozenset[int] | None = None
        matches: dict[str, set[str]] = {}
        index = 0
        for part in parts:
            for token in _tokens(part):
                if token not in matches:
                    matches[token] = compiled.vocabulary_matches(token)
                for word in matches[token]:
                    self.positions.setdefault(word, []).append(index)
                index += 1
            index += compiled.window + 1  # the clause gap

    def _starts(self, phrase: _Phrase, blocked: frozenset[int]) -> list[int]:
        """Token positions where a Latin phrase occurs outside ``blocked``."""
        first, rest = phrase.words[0], phrase.words[1:]
        found = []
        for start in self.positions.get(first, ()):
            span = range(start, start + len(phrase.words))
            if any(i in blocked for i in span):
                continue
            if all(start + k + 1 in self.positions.get(w, ()) for k, w in enumerate(rest)):
                found.append(start)
        return found

    def _cjk_starts(self, phrase: _Phrase, cjk: str) -> list[int]:
        found, at = [], cjk.find(phrase.cjk)
        while at >= 0:
            found.append(at)
            at = cjk.find(phrase.cjk, at + 1)
        return found

    def _negated_word(self, start: int) -> bool:
        """A negator ends within the window of words before ``start`` (same clause)."""
        if self._negator_ends is None:  # found once per reply, on first need
            self._negator_ends = frozenset(
                at + len(negator.words)
                for negator in self.compiled.negators
                if negator.words
                for at in self._starts(negator, frozenset())
            )
        low = start - self.compiled.window
        return any(low <= end <= start for end in self._negator_ends)

    def _negated_cjk(self, start: int, cjk: str) -> bool:
        before = cjk[max(0, start - self.compiled.cjk_window) : start].split("|")[-1]
        return any(n.cjk and n.cjk in before for n in self.compiled.negators)

    def occurrences(self, phrase: _Phrase, blocked: frozenset[int], cjk: str) -> list[bool]:
        """Each occurrence of ``phrase`` outside the blocked spans: is it negated?"""
        if phrase.cjk:
            return [self._negated_cjk(at, cjk) for at in self._cjk_starts(phrase, cjk)]
        return [self._negated_word(at) for at in self._starts(phrase, blocked)]

    def find(
        self, phrase: _Phrase, blocked: frozenset[int] = frozenset(), cjk: str | None = None
    ) -> bool:
        if phrase.cjk:
            return phrase.cjk in (self.cjk if cjk is None else cjk)
        return bool(self._starts(phrase, blocked))

    def spans(self, phrase: _Phrase) -> set[int]:
        """Token positions covered by every occurrence of a Latin phrase."""
        if not phrase.words:
            return set()
        return {
            i
            for start in self._starts(phrase, frozenset())
            for i in range(start, start + len(phrase.words))
        }

    def without(self, negations: Sequence[_Phrase]) -> tuple[frozenset[int], str]:
        """Token positions and CJK text left after blanking the negated spans."""
        blocked: set[int] = set()
        cjk = self.cjk
        for phrase in negations:
            if phrase.cjk:
                cjk = cjk.replace(phrase.cjk, "\u0000")
            else:
                blocked |= self.spans(phrase)
        return frozenset(blocked), cjk


def _rule_match(text: _Text, rule: _CompiledRule) -> str | None:
    """The table phrase that shows the rule's intent, or None.

    A phrase counts outside the rule's own negations; for a ``negatable`` rule only where
    no negator stands before it. A ``when_negated`` phrase counts only where one does.
    """
    blocked, cjk = text.without(rule.negations)
    for phrase in rule.phrases:
        found = text.occurrences(phrase, blocked, cjk)
        if any(not negated for negated in found) or (found and not rule.negatable):
            return phrase.text
    for phrase in rule.when_negated:
        if any(text.occurrences(phrase, blocked, cjk)):
            return phrase.text
    return None


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

    def stopped_channels(self, reply_channel: Channel) -> tuple[Channel, ...]:
        """Channels the borrower asked us to stop, in a fixed order. A bare STOP names the
        channel it came in on; cease_all is handled apart (``Intent.CEASE_ALL``: every
        contact stops except the notices the law requires)."""
        named = {
            Channel.CALL: self.has(Intent.STOP_CALLS),
            Channel.SMS: self.has(Intent.STOP_SMS)
            or (self.has(Intent.OPT_OUT) and reply_channel is Channel.SMS),
            Channel.EMAIL: self.has(Intent.STOP_EMAIL)
            or (self.has(Intent.OPT_OUT) and reply_channel is Channel.EMAIL),
        }
        return tuple(channel for channel, stopped in named.items() if stopped)


def classify(
    text: str, *, open_offer: bool = False, rules: ReplyRules | None = None
) -> ReplyAnalysis:
    """Language, intents (priority order) and distress words of one reply.

    ``open_offer``: a plan offer is waiting for an answer, so "yes"/"同意" means accepting
    it; without one those words mean nothing.
    """
    rules = rules or load_rules()
    compiled = _compiled(rules)
    normalised = normalise(text)
    reply = _Text(text, compiled)
    guess = detect_language(text, rules)

    found: list[Intent] = []
    matched: dict[str, str] = {}
    for rule in compiled.rules:
        if rule.only_with_open_offer and not open_offer:
            continue
        if normalised and normalised in rule.whole_message:
            found.append(rule.intent)
            matched[rule.intent.value] = normalised
            continue
        hit = _rule_match(reply, rule)
        if hit is not None:
            found.append(rule.intent)
            matched[rule.intent.value] = hit
    if Intent.OPT_OUT in found and any(i in found for i in _NAMED_STOPS):
        # "stop calling me" names its channel: the bare "stop" in it is not a second request
        found.remove(Intent.OPT_OUT)
        matched.pop(Intent.OPT_OUT.value, None)
    if Intent.AGENT_REQUEST in found and any(i in found for i in _NO_CALLS):
        # "stop calling me ... you ring me five times a day": the safe reading is the stop
        found.remove(Intent.AGENT_REQUEST)
        matched.pop(Intent.AGENT_REQUEST.value, None)
    blocked, cjk = reply.without(compiled.distress_negations)
    distress = tuple(p.text for p in compiled.distress if reply.find(p, blocked, cjk))
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
