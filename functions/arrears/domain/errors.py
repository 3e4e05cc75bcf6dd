"""Named domain exceptions.

Step Functions `Retry`/`Catch` match a Lambda error by the exception's class name
(`"ErrorEquals": ["CaseClosed"]`), so these names are part of the ASL contract:
rename one and the state machine stops catching it. Keep them flat (no module path
appears in the error name) and add new ones rather than renaming.
"""

from __future__ import annotations


class ArrearsError(Exception):
    """Base for every deliberate domain failure (never raised itself)."""


class InvalidEvent(ArrearsError):
    """An incoming event failed schema validation; it must not be applied at all."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason  # short machine-readable code, e.g. "schema_validation"
        self.detail = detail  # readable, PII-free description of what was wrong


class CaseNotFound(ArrearsError):
    """No case with that id."""


class CaseClosed(ArrearsError):
    """The case is in a terminal status: nothing more may be done for it."""


class CasePaused(ArrearsError):
    """The case is paused, payment-pending or disputed: collection activity must wait."""


class ContactBlocked(ArrearsError):
    """The compliance gate blocked a contact."""


class ContactDeferred(ArrearsError):
    """The compliance gate deferred a contact until a later time."""


class ActionAlreadyDone(ArrearsError):
    """This case+stage+channel action was already performed (a retried or redriven step)."""


class ConcurrentUpdate(ArrearsError):
    """A conditional write lost a race (version or sequence moved); re-read and decide again."""


class CaseAlreadyExists(ArrearsError):
    """A case with that id exists already (a repeated open of the same cycle)."""


class AwsThrottled(ArrearsError):
    """An AWS call the step made was throttled or met a 5xx after the SDK's own retries.

    Nothing was decided from it: the state machine retries the step with backoff, and a
    step still failing after that parks the case in the STUCK work queue for ops.
    """


class ProviderThrottled(ArrearsError):
    """The SMS or email provider could not take the message just now (throttling, a 5xx
    fault, a lost connection). Nothing went out; the attempt is recorded as failed and the
    step may be retried, which sends it again."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason  # the provider's error code, e.g. "Throttling"


class ProviderRejected(ArrearsError):
    """The provider refused the message for good (invalid parameter, rejected content, an
    opted-out number). Nothing went out; retrying would not help. The contact step records
    it as failed and moves on: it never leaves the step."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class InvalidRecipient(ValueError):
    """The phone number or address cannot be sent to (the message never says which)."""
