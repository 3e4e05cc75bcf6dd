"""Reply classification (domain.replies): table-driven, English and Chinese, mixed and
misspelled text, negations, distress and the emotion decision."""

from __future__ import annotations

from decimal import Decimal

import pytest
from arrears.domain.replies import (
    Intent,
    Language,
    RepliesConfigError,
    SentimentLabel,
    SentimentScores,
    classify,
    decide_emotion,
    detect_language,
    edit_distance,
    load_rules,
    normalise,
    parse_rules,
    text_fingerprint,
)

CEASE, CALLS, SMS = Intent.CEASE_ALL, Intent.STOP_CALLS, Intent.STOP_SMS
OPT, DIS, PAY, ACC, HARD, AGENT, NONE = (
    Intent.OPT_OUT,
    Intent.DISPUTE,
    Intent.PAYMENT_CLAIMED,
    Intent.PLAN_ACCEPT,
    Intent.HARDSHIP,
    Intent.AGENT_REQUEST,
    Intent.NONE,
)

# (reply text, primary intent) — no plan offer open
PRIMARY = [
    # opt-out
    ("STOP", OPT),
    ("stop", OPT),
    ("Stop texting me!!", SMS),  # names its channel
    ("Ｓｔｏｐ", OPT),  # full-width
    ("STOOOP", OPT),  # squeezed
    ("please unsubscribe me", OPT),
    ("unsubscibe", OPT),  # typo
    ("END", OPT),  # carrier keyword, whole reply
    ("退订", OPT),
    ("退訂", OPT),  # traditional
    ("回复TD退订", OPT),
    ("推订", OPT),  # input-method homophone typo
    # dispute
    ("This is not my debt", DIS),
    ("wrong amount!", DIS),
    ("The amount is incorect", DIS),  # typo
    ("金额不对", DIS),
    ("这不是我借的钱", DIS),
    # payment claimed
    ("I already paid", PAY),
    ("paid", PAY),
    ("alredy payed yesterday", PAY),  # two typos
    ("PAIIID", PAY),
    ("我已经还了", PAY),
    ("已还", PAY),
    ("以还", PAY),  # homophone typo
    ("昨天已转账", PAY),
    # hardship
    ("I lost my job", HARD),
    ("I LOST MY JOB last week", HARD),
    ("I'm in hospital", HARD),
    ("im in the hospitl", HARD),  # typo
    ("I was laid off", HARD),
    ("我失业了", HARD),
    ("最近生病住院", HARD),
    ("家里有人去世了", HARD),
    # agent request / plan request
    ("Can you call me?", AGENT),
    # asking for instalments is answered by the plan offer (the hardship path)
    ("can I pay in installments", HARD),
    ("is there a payment plan", HARD),
    ("可以分期吗", HARD),
    ("请给我打电话", AGENT),
    # nothing actionable
    ("hello", NONE),
    ("who is this?", NONE),
    ("at the end of the month", NONE),  # "end" counts only as the whole reply
    ("I'm tired of this", NONE),  # tired is not fired
    ("好的", NONE),  # a yes means nothing without an open offer
    ("", NONE),
]


@pytest.mark.parametrize(("text", "expected"), PRIMARY)
def test_primary_intent(text: str, expected: Intent) -> None:
    assert classify(text).primary is expected


# negations: the intent's own phrases are looked for only outside negated spans
NEGATED = [
    ("I haven't paid yet", PAY),
    ("not paid", PAY),
    ("I will pay when I get paid on Friday", PAY),
    ("还没还", PAY),
    ("我还没有还", PAY),
    ("no dispute, just late", DIS),
    ("don't stop, I want the reminders", OPT),
    ("I'm not sick", HARD),
]


@pytest.mark.parametrize(("text", "absent"), NEGATED)
def test_negated_phrases_do_not_count(text: str, absent: Intent) -> None:
    assert absent not in classify(text).intents


# (text, every intent expected, in priority order)
MULTIPLE = [
    ("I already paid, STOP texting me", (SMS, PAY)),
    ("我已经还款了 please stop", (OPT, PAY)),
    ("I lost my job 失业了 please call me", (HARD, AGENT)),
    ("我失业了，可以分期吗，请给我打电话", (HARD, AGENT)),
    ("I haven't paid because I lost my job", (HARD,)),
    ("not my debt, stop", (OPT, DIS)),
    ("please just leave me alone, I lost my job", (CEASE, HARD)),
    ("别烦我了，我失业了", (CEASE, HARD)),
]


@pytest.mark.parametrize(("text", "expected"), MULTIPLE)
def test_every_intent_is_found_in_priority_order(text: str, expected: tuple[Intent, ...]) -> None:
    assert classify(text).intents == expected


@pytest.mark.parametrize(
    ("text", "accepted"),
    [
        ("yes", True),
        ("OK, I accept", True),
        ("sounds good", True),
        ("好的，同意", True),
        ("我接受", True),
        ("I don't accept", False),
        ("不同意", False),
        ("hello", False),
    ],
)
def test_plan_acceptance_counts_only_with_an_open_offer(text: str, accepted: bool) -> None:
    assert (Intent.PLAN_ACCEPT in classify(text, open_offer=True).intents) is accepted
    assert Intent.PLAN_ACCEPT not in classify(text, open_offer=False).intents


@pytest.mark.parametrize(
    ("text", "language", "mixed"),
    [
        ("I lost my job", Language.EN, False),
        ("我失业了", Language.ZH, False),
        ("我失业了 ok", Language.ZH, True),
        ("lost job 失业", Language.EN, True),
        ("12345 !!!", Language.EN, False),
        ("", Language.EN, False),
    ],
)
def test_language_by_script_share(text: str, language: Language, mixed: bool) -> None:
    guess = detect_language(text)
    assert (guess.language, guess.mixed) == (language, mixed)


def test_distress_words_in_both_languages_are_found_and_negation_respected() -> None:
    assert classify("I can't cope anymore").distress_terms == ("cant cope",)
    assert "活不下去" in classify("真的活不下去了").distress_terms
    assert classify("I am not depressed, just busy").distress_terms == ()
    assert classify("I will pay next week").distress_terms == ()


def _scores(negative: str, label: SentimentLabel = SentimentLabel.NEGATIVE) -> SentimentScores:
    neg = Decimal(negative)
    return SentimentScores(label, Decimal("0.01"), neg, 1 - neg - Decimal("0.01"), Decimal(0))


@pytest.mark.parametrize(
    ("text", "negative", "distressed", "reasons"),
    [
        ("I will pay next week", None, False, ()),
        ("I will pay next week", "0.50", False, ()),
        ("this is outrageous", "0.90", True, ("strongly_negative",)),
        ("this is outrageous", "0.85", True, ("strongly_negative",)),  # threshold inclusive
        ("this is outrageous", "0.84", False, ()),
        ("I lost my job", "0.65", True, ("negative_with_hardship",)),
        ("I lost my job", "0.55", False, ()),
        ("I can't cope", None, True, ("distress_terms",)),  # words alone, no Comprehend
        ("I can't cope", "0.95", True, ("distress_terms", "strongly_negative")),
    ],
)
def test_emotion_decision(
    text: str, negative: str | None, distressed: bool, reasons: tuple[str, ...]
) -> None:
    scores = _scores(negative) if negative is not None else None
    decision = decide_emotion(classify(text), scores)
    assert decision.distressed is distressed
    assert decision.reasons == reasons
    assert decision.soft_template is distressed and decision.route_to_agent is distressed


def test_normalise_folds_width_case_apostrophes_and_repeats() -> None:
    assert normalise("  I HAVEN’T   paiiid!!  ") == "i havent paid"
    assert normalise("ＳＴＯＰ。") == "stop"
    assert normalise("我已经还了，谢谢") == "我已经还了 谢谢"


@pytest.mark.parametrize(
    ("a", "b", "distance"),
    [
        ("paid", "paid", 0),
        ("already", "alredy", 1),
        ("hospital", "hospitl", 1),
        ("unsubscribe", "unsubscibe", 1),
        ("accept", "acecpt", 1),
        ("stop", "tsop", 1),
    ],
)
def test_edit_distance(a: str, b: str, distance: int) -> None:
    assert edit_distance(a, b, 5) == distance


def test_edit_distance_gives_up_past_its_limit() -> None:
    assert edit_distance("hospital", "cat", 1) == 2


def test_the_audit_form_keeps_no_text() -> None:
    text = "I lost my job, call me on +8613800000000"
    analysis = classify(text)
    assert set(analysis.matched.values()) <= {"lost my job", "call me"}
    assert text_fingerprint(text) == text_fingerprint(text) and len(text_fingerprint(text)) == 64
    assert "+86" not in repr(analysis)


def test_the_shipped_table_loads_and_a_bad_table_is_refused() -> None:
    rules = load_rules()
    # stopping contact outranks everything else a reply says
    assert next(i for i, _ in rules.ordered()) is Intent.CEASE_ALL
    with pytest.raises(RepliesConfigError, match="intents"):
        parse_rules({"version": "x", "intents": {"shout": {}}, "distress": {}}, "bad.yaml")
