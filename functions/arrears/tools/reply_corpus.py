"""Precision and recall of the reply classifier on a labelled corpus of borrower replies.

The corpus (``tests/unit/data/reply_corpus.yaml``) was written by someone who had not seen
the intent tables, so the figures say how the tables do on replies they were not written
from. ``make bench`` prints them; ``tests/unit/test_reply_corpus.py`` holds the floors.
Entries alternate between a development half (even positions, which the tables may be
improved against) and a held-out half (odd positions, which they must not be).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from arrears.domain.replies import Intent, ReplyRules, classify

# intents that stop contact: the ones whose misses a lender cannot afford
STOP_INTENTS = frozenset(
    {Intent.OPT_OUT, Intent.STOP_CALLS, Intent.STOP_SMS, Intent.STOP_EMAIL, Intent.CEASE_ALL}
)


@dataclass(frozen=True)
class Reply:
    text: str
    language: str
    intents: frozenset[str]


@dataclass(frozen=True)
class Score:
    true_positives: int
    false_positives: int
    false_negatives: int

    @property
    def precision(self) -> float:
        found = self.true_positives + self.false_positives
        return self.true_positives / found if found else 0.0

    @property
    def recall(self) -> float:
        labelled = self.true_positives + self.false_negatives
        return self.true_positives / labelled if labelled else 0.0


def load_corpus(path: Path) -> list[Reply]:
    raw: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return [
        Reply(str(r["text"]), str(r["lang"]), frozenset(r.get("intents") or ()))
        for r in raw["replies"]
    ]


def half(corpus: list[Reply], name: str) -> list[Reply]:
    """``dev`` (even positions), ``held_out`` (odd) or ``all``."""
    if name == "all":
        return corpus
    return corpus[0 if name == "dev" else 1 :: 2]


def predicted(reply: Reply, rules: ReplyRules | None = None) -> frozenset[str]:
    # as if a plan offer were open: the hardest case for "yes"/"ok" words
    analysis = classify(reply.text, open_offer=True, rules=rules)
    return frozenset(intent.value for intent in analysis.intents)


def score(corpus: Iterable[Reply], rules: ReplyRules | None = None) -> dict[str, Score]:
    tp: Counter[str] = Counter()
    fp: Counter[str] = Counter()
    fn: Counter[str] = Counter()
    for reply in corpus:
        found = predicted(reply, rules)
        tp.update(found & reply.intents)
        fp.update(found - reply.intents)
        fn.update(reply.intents - found)
    labels = sorted(set(tp) | set(fp) | set(fn))
    return {label: Score(tp[label], fp[label], fn[label]) for label in labels}


def pooled(scores: dict[str, Score], labels: Iterable[str]) -> Score:
    chosen = [scores[label] for label in labels if label in scores]
    return Score(
        sum(s.true_positives for s in chosen),
        sum(s.false_positives for s in chosen),
        sum(s.false_negatives for s in chosen),
    )


def table(corpus: list[Reply], rules: ReplyRules | None = None) -> str:
    """Per-intent precision and recall on each half, and the count per language."""
    halves = {name: score(half(corpus, name), rules) for name in ("dev", "held_out", "all")}
    lines = [f"{'intent':16} {'dev P/R':>11} {'held-out P/R':>13} {'all P/R':>11}  n"]
    for label in sorted(halves["all"]):
        cells = [
            f"{halves[name][label].precision:.2f}/{halves[name][label].recall:.2f}"
            if label in halves[name]
            else "-"
            for name in ("dev", "held_out", "all")
        ]
        labelled = halves["all"][label].true_positives + halves["all"][label].false_negatives
        lines.append(f"{label:16} {cells[0]:>11} {cells[1]:>13} {cells[2]:>11}  {labelled}")
    languages = Counter(reply.language for reply in corpus)
    lines.append(
        "replies per language: " + ", ".join(f"{k} {v}" for k, v in sorted(languages.items()))
    )
    return "\n".join(lines)
