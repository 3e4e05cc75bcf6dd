"""Precision and recall of the reply classifier on labelled corpora of borrower replies.

Both corpora under ``tests/unit/data/`` were written by someone who had not seen the intent
tables. ``reply_corpus.yaml`` is the tuning corpus: the tables have been improved against
it. ``reply_corpus_fresh.yaml`` was written later, by another writer who had seen neither
the tables nor the first corpus, and is only ever measured: its figures say how the
tables do on replies they were not written from. ``make bench`` prints both;
``tests/unit/test_reply_corpus.py`` holds the floors. When the fresh corpus is used to
improve the tables, it becomes a tuning corpus and a new fresh one must be written.
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


def table(tuning: list[Reply], fresh: list[Reply], rules: ReplyRules | None = None) -> str:
    """Per-intent precision and recall on the tuning and the fresh corpus, and the count
    of replies per language."""
    corpora = {"tuning": score(tuning, rules), "fresh": score(fresh, rules)}
    lines = [f"{'intent':16} {'tuning P/R':>11} {'n':>4} {'fresh P/R':>11} {'n':>4}"]
    for label in sorted(set(corpora["tuning"]) | set(corpora["fresh"])):
        cells = []
        for name in ("tuning", "fresh"):
            found = corpora[name].get(label)
            labelled = found.true_positives + found.false_negatives if found else 0
            shown = f"{found.precision:.2f}/{found.recall:.2f}" if found else "-"
            cells.append(f"{shown:>11} {labelled:>4}")
        lines.append(f"{label:16} {cells[0]} {cells[1]}")
    for name, corpus in (("tuning", tuning), ("fresh", fresh)):
        languages = Counter(reply.language for reply in corpus)
        lines.append(
            f"{name} replies per language: "
            + ", ".join(f"{k} {v}" for k, v in sorted(languages.items()))
        )
    return "\n".join(lines)
