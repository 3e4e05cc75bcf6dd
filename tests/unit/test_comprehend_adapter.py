"""The Comprehend adapter against moto's Comprehend backend, and what moto really does.

moto 5.2.5 answers DetectSentiment with one canned NEUTRAL result whatever the text, and
has no DetectDominantLanguage. These tests pin both facts (so the local runtime's limits
are known, and a moto upgrade that changes them fails here first), and check the adapter's
own logic (limits, truncation, mapping, failure handling) with botocore's Stubber.
"""

from __future__ import annotations

from decimal import Decimal

import boto3
import pytest
from arrears.adapters.comprehend import MAX_TEXT_BYTES, ComprehendAnalyzer, truncate_utf8
from arrears.domain.replies import SentimentLabel
from botocore.stub import Stubber
from moto import mock_aws


@pytest.fixture
def comprehend():
    with mock_aws():
        yield boto3.client("comprehend", region_name="us-east-1")


def test_moto_answers_neutral_whatever_the_text(comprehend) -> None:
    analyzer = ComprehendAnalyzer(comprehend)
    calm = analyzer.detect_sentiment("Thank you, I will pay on Friday", "en")
    furious = analyzer.detect_sentiment("I can't cope, this is hell, leave me alone", "en")
    assert calm is not None and furious is not None
    assert calm.label is SentimentLabel.NEUTRAL and furious == calm
    assert calm.neutral > Decimal("0.99")


def test_moto_has_no_dominant_language_and_the_adapter_says_none(comprehend) -> None:
    with pytest.raises(NotImplementedError):
        comprehend.detect_dominant_language(Text="hello")
    assert ComprehendAnalyzer(comprehend).detect_dominant_language("hello 你好") is None


def test_chinese_is_accepted_and_long_text_is_cut_to_the_byte_limit(comprehend) -> None:
    # 3,000 Chinese characters are 9,000 bytes: sent whole, moto would refuse (> 5,000)
    answer = ComprehendAnalyzer(comprehend).detect_sentiment("我" * 3000, "zh")
    assert answer is not None and answer.label is SentimentLabel.NEUTRAL


def test_unsupported_language_or_empty_text_asks_nothing(comprehend) -> None:
    stub = Stubber(comprehend)
    with stub:  # no responses queued: any call would raise
        analyzer = ComprehendAnalyzer(comprehend)
        assert analyzer.detect_sentiment("bonjour", "xx") is None
        assert analyzer.detect_sentiment("   ", "en") is None


@pytest.mark.parametrize(
    ("text", "limit", "expected"),
    [
        ("abc", 5000, "abc"),
        ("a" * 5001, 5000, "a" * 5000),
        ("我" * 2000, 5000, "我" * 1666),  # 1666 * 3 = 4998 bytes, never half a character
        ("ab我", 4, "ab"),
    ],
)
def test_truncate_utf8_cuts_at_a_character_boundary(text: str, limit: int, expected: str) -> None:
    cut = truncate_utf8(text, limit)
    assert cut == expected and len(cut.encode("utf-8")) <= limit


def test_real_scores_are_mapped_and_the_text_is_truncated() -> None:
    client = boto3.client("comprehend", region_name="us-east-1")
    stub = Stubber(client)
    long_text = "我" * 2000
    stub.add_response(
        "detect_sentiment",
        {
            "Sentiment": "NEGATIVE",
            "SentimentScore": {"Positive": 0.01, "Negative": 0.93, "Neutral": 0.05, "Mixed": 0.01},
        },
        {"Text": truncate_utf8(long_text, MAX_TEXT_BYTES), "LanguageCode": "zh"},
    )
    stub.add_response(
        "detect_dominant_language",
        {"Languages": [{"LanguageCode": "en", "Score": 0.4}, {"LanguageCode": "zh", "Score": 0.6}]},
        {"Text": "lost job 失业了"},
    )
    with stub:
        analyzer = ComprehendAnalyzer(client)
        scores = analyzer.detect_sentiment(long_text, "zh")
        language = analyzer.detect_dominant_language("lost job 失业了")
    assert scores is not None and scores.label is SentimentLabel.NEGATIVE
    assert scores.negative == Decimal("0.9300") and scores.scoring_label == "negative"
    assert language == "zh"


def test_a_service_error_means_no_scores() -> None:
    client = boto3.client("comprehend", region_name="us-east-1")
    stub = Stubber(client)
    stub.add_client_error("detect_sentiment", service_error_code="ThrottlingException")
    with stub:
        assert ComprehendAnalyzer(client).detect_sentiment("hello", "en") is None
