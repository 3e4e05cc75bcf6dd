"""Helpers for the reply workflow tests: publish a BorrowerReplied event as the wallet does."""

from __future__ import annotations

import itertools
from typing import Any

from arrears.local.runtime import LocalRuntime

_ids = itertools.count(1)


def reply(rt: LocalRuntime, account_id: str, text: str, channel: str = "sms") -> dict[str, Any]:
    """One reply, received now, through EventBridge, SQS and the ingest Lambda."""
    detail = {
        "event_id": f"reply-{account_id}-{next(_ids)}",
        "account_id": account_id,
        "channel": channel,
        "text": text,
        "received_at": rt.now.strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    rt.put_event("wallet.messaging", "BorrowerReplied", detail)
    rt.scheduler.run_ready()
    return detail
