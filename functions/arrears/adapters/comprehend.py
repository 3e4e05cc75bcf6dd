"""Amazon Comprehend behind a small interface: sentiment and dominant language of a reply.

- Text is cut to Comprehend's per-document limit, counted in UTF-8 BYTES (a Chinese
  character is three), at a character boundary, so a long reply never fails the call.
- A failure (throttling, an unsupported language, Comprehend not available in the region)
  returns None: the caller then decides on keywords alone. The reply text is never logged.

``SentimentAnalyzer`` is what the reply handler depends on; tests pass a fake with the
same two methods. Note for the local runtime: moto answers DetectSentiment with one canned
NEUTRAL result whatever the text, and does not implement DetectDominantLanguage at all
(tests/unit/test_comprehend_adapter.py pins both facts), so locally distress is detected
from the keyword table, and the language from the script detector.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from arrears.adapters.models import aws_region
from arrears.domain.replies import SentimentLabel, SentimentScores

# DetectSentiment and DetectDominantLanguage take at most 5,000 bytes of UTF-8 per document.
MAX_TEXT_BYTES = 5000
# Languages DetectSentiment supports (of the ones Arrears may see).
SENTIMENT_LANGUAGES = frozenset({"en", "es", "fr", "de", "it", "pt", "ar", "hi", "ja", "ko", "zh"})


def truncate_utf8(text: str, max_bytes: int = MAX_TEXT_BYTES) -> str:
    """The longest prefix of ``text`` whose UTF-8 encoding fits in ``max_bytes``."""
    encoded = text.encode("utf-8")
    if len(encoded) <= max_bytes:
        return text
    return encoded[:max_bytes].decode("utf-8", errors="ignore")


def _score(scores: dict[str, Any], key: str) -> Decimal:
    # Comprehend returns floats; keep 4 places, enough for thresholds and the audit
    return Decimal(str(scores.get(key, 0.0))).quantize(Decimal("0.0001"))


class ComprehendAnalyzer:
    def __init__(self, client: Any | None = None) -> None:
        self._client = client

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = boto3.client("comprehend", region_name=aws_region())
        return self._client

    def detect_sentiment(self, text: str, language: str) -> SentimentScores | None:
        if language not in SENTIMENT_LANGUAGES or not text.strip():
            return None
        try:
            answer = self.client.detect_sentiment(Text=truncate_utf8(text), LanguageCode=language)
        except (ClientError, BotoCoreError):
            return None
        raw = answer.get("SentimentScore") or {}
        try:
            label = SentimentLabel(str(answer.get("Sentiment", "")).upper())
        except ValueError:
            return None
        return SentimentScores(
            label=label,
            positive=_score(raw, "Positive"),
            negative=_score(raw, "Negative"),
            neutral=_score(raw, "Neutral"),
            mixed=_score(raw, "Mixed"),
        )

    def detect_dominant_language(self, text: str) -> str | None:
        if not text.strip():
            return None
        try:
            answer = self.client.detect_dominant_language(Text=truncate_utf8(text))
        except (ClientError, BotoCoreError, NotImplementedError):
            return None
        languages = sorted(
            answer.get("Languages") or [], key=lambda item: item.get("Score", 0), reverse=True
        )
        if not languages:
            return None
        code = str(languages[0].get("LanguageCode") or "")
        return code.split("-")[0] or None
