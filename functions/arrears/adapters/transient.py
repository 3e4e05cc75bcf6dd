"""Which AWS failures are transient, and the handler wrapper that names them for the ASL.

A throttled or 5xx AWS call surfaces from botocore as ``ClientError`` (from pynamodb as one
of its exceptions with the ``ClientError`` as cause). Step Functions matches a Lambda error
by its type name, and ``ClientError`` also covers permanent faults (a missing table, a bad
parameter) that no retry mends, so the wrapper re-raises only the transient ones as
``AwsThrottled``, the name every escalation Task retries with backoff.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from botocore.exceptions import ClientError, ConnectionError, HTTPClientError

from arrears.domain.errors import AwsThrottled

# error codes AWS services answer when the caller should slow down or try again
TRANSIENT_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "TooManyRequestsException",
        "LimitExceededException",
        "ProvisionedThroughputExceededException",
        "RequestLimitExceeded",
        "RequestThrottled",
        "SlowDown",
        "InternalError",
        "InternalFailure",
        "InternalServerError",
        "InternalServiceError",
        "InternalServiceErrorException",
        "InternalErrorException",
        "ServiceUnavailable",
        "ServiceUnavailableException",
        "RequestTimeout",
        "RequestTimeoutException",
    }
)
# TransactionCanceledException reasons that mean "try again", not "lost a condition"
_TRANSIENT_CANCELLATIONS = frozenset({"ThrottlingError", "TransactionConflict"})

Handler = TypeVar("Handler", bound=Callable[..., Any])


def is_transient(error: BaseException) -> bool:
    # pynamodb loads with the table adapters on the first invocation; the handlers' shell,
    # which wraps every step in this check, does without it on the cold start
    from pynamodb.exceptions import PynamoDBException

    if isinstance(error, ConnectionError | HTTPClientError):
        return True
    if isinstance(error, PynamoDBException):
        reasons = getattr(error, "cancellation_reasons", None) or []
        if any(
            reason is not None and reason.code in _TRANSIENT_CANCELLATIONS for reason in reasons
        ):
            return True
        return error.cause is not None and is_transient(error.cause)
    if isinstance(error, ClientError):
        code = str(error.response.get("Error", {}).get("Code", ""))
        status = int(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
        return code in TRANSIENT_CODES or status >= 500
    return False


def names_transient_aws_errors(handler: Handler) -> Handler:
    """Re-raise a transient AWS failure as ``AwsThrottled`` (the cause stays chained)."""

    @functools.wraps(handler)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        try:
            return handler(*args, **kwargs)
        except AwsThrottled:
            raise
        except Exception as error:
            if is_transient(error):
                raise AwsThrottled(f"{type(error).__name__}: {error}") from error
            raise

    return wrapped  # type: ignore[return-value]
