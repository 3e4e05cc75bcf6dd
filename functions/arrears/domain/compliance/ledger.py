"""What the contact ledger records: one entry per gate decision or conversation, and the
states an entry moves through (reserved, then sent or failed; deferred; blocked).

The ledger itself (reads, conditional writes, the per-account lock) is an adapter
(``adapters/ledger.py``); these are the plain values steps and adapters share.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from arrears.domain.compliance.model import Decision, Reason, Verdict
from arrears.domain.types import Channel, ContactRecord

SENT, DEFERRED, BLOCKED = "sent", "deferred", "blocked"
# an allowed contact before its provider call: holds its slot; becomes sent or failed
RESERVED = "reserved"
FAILED = "failed"  # the provider did not take it (reason: the provider's error code)
# a call the borrower made to us: no contact of ours, but it starts the Reg F quiet period
CONVERSATION = "conversation"
# what decide() must see (the caps)
HISTORY_DECISIONS = frozenset({RESERVED, SENT, CONVERSATION})
TAKEN_DECISIONS = frozenset({RESERVED, SENT})  # an allowed contact's slot: claimed once only
DECISION_OF = {Verdict.ALLOW: RESERVED, Verdict.DEFER: DEFERRED, Verdict.BLOCK: BLOCKED}


# A repeated claim of a contact already allowed (same instant, channel and case): the
# caller's own slot, not a new one. Handlers guard the send itself with done_actions.
REPLAYED = Decision(Verdict.ALLOW, Reason.ALLOWED, rule="replay")


def time_key(at: datetime) -> str:
    """Fixed-width UTC timestamp, so keys sort in time order."""
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def entry_key(at: datetime, channel: Channel | str, case_id: str) -> str:
    return f"{time_key(at)}#{channel}#{case_id}"


@dataclass(frozen=True)
class LedgerEntry:
    """One ledger item (a gate decision, or a conversation)."""

    account_id: str
    entry_key: str
    case_id: str
    channel: Channel
    template: str
    decision: str  # reserved | sent | failed | deferred | blocked | conversation
    reason: str
    at: datetime  # aware UTC
    local_time: str  # ISO with the borrower's offset
    conversation: bool = False
    attempt: bool = True
    not_before: datetime | None = None
    rule: str | None = None
    expires_at: datetime | None = None
    message_id: str | None = None  # the provider's, once sent

    def to_record(self) -> ContactRecord:
        return ContactRecord(
            account_id=self.account_id,
            case_id=self.case_id,
            channel=self.channel,
            at=self.at,
            template=self.template,
            conversation=self.conversation,
            attempt=self.attempt,
        )

    def to_decision(self) -> Decision:
        verdict = {SENT: Verdict.ALLOW, RESERVED: Verdict.ALLOW, DEFERRED: Verdict.DEFER}.get(
            self.decision, Verdict.BLOCK
        )
        return Decision(verdict, self.reason, not_before=self.not_before, rule=self.rule)
