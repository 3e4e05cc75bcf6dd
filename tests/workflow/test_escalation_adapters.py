"""The ladder with the real adapters: SMS via SNS, email via SES, letters to S3 + EventBridge.

The other escalation tests record sends in a fake outbox; this one proves the same steps
drive the deployed adapters (on the local runtime's in-process AWS) end to end.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from arrears.adapters.cases import Repositories
from arrears.local.runtime import LocalRuntime
from escalation_support import START, open_overdue, post_at


@pytest.fixture(scope="module")
def real_rt() -> Iterator[LocalRuntime]:
    from arrears.handlers import _shell

    _shell.default_deps.cache_clear()  # no recording fakes: the Lambda's own adapters
    with LocalRuntime(start=START, seed=11) as runtime:
        yield runtime
    _shell.default_deps.cache_clear()


def test_reminders_and_a_demand_letter_go_through_the_real_adapters(real_rt):
    rt = real_rt
    start = rt.now
    case_id = open_overdue(rt, "acc-real")
    post_at(rt, start + timedelta(days=31), "acc-real", "PAID", amount_paid="1250.00")
    rt.advance(timedelta(days=32))

    entries = Repositories.dynamo().timeline.list(case_id)
    sent = [e.detail for e in entries if e.kind == "contact_sent"]
    # reminder (sms + email), follow-up (sms), receipt (sms + email), each with a message id
    assert [d["channel"] for d in sent] == ["sms", "email", "sms", "sms", "email"]
    assert all(d["message_id"] for d in sent)

    # the demand letter is in the letters bucket, byte for byte what the timeline says
    letter = next(e.detail for e in entries if e.kind == "letter_stored")
    assert letter["kind"] == "demand_letter"
    s3 = rt.client("s3")
    stored = s3.get_object(
        Bucket=s3.list_buckets()["Buckets"][0]["Name"],
        Key=letter["key"],
        VersionId=letter["version_id"],
    )
    import hashlib

    body = stored["Body"].read()
    assert body.startswith(b"%PDF")
    assert hashlib.sha256(body).hexdigest() == letter["sha256"]
