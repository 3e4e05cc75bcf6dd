"""Only transient AWS failures become AwsThrottled (the name the state machine retries)."""

from __future__ import annotations

import pytest
from arrears.adapters.transient import is_transient, names_transient_aws_errors
from arrears.domain.errors import AwsThrottled, CaseClosed
from botocore.exceptions import ClientError, EndpointConnectionError
from pynamodb.exceptions import UpdateError


def _client_error(code: str, status: int = 400) -> ClientError:
    return ClientError(
        {"Error": {"Code": code, "Message": "x"}, "ResponseMetadata": {"HTTPStatusCode": status}},
        "Op",
    )


@pytest.mark.parametrize(
    "error,transient",
    [
        (_client_error("Throttling"), True),
        (_client_error("ProvisionedThroughputExceededException"), True),
        (_client_error("Whatever", 503), True),
        (EndpointConnectionError(endpoint_url="https://sns"), True),
        (UpdateError("update", cause=_client_error("ThrottlingException")), True),
        (_client_error("ValidationException"), False),
        (_client_error("ConditionalCheckFailedException"), False),
        (UpdateError("update", cause=_client_error("ConditionalCheckFailedException")), False),
        (CaseClosed("closed"), False),
    ],
)
def test_is_transient(error: BaseException, transient: bool) -> None:
    assert is_transient(error) is transient


def test_the_wrapper_renames_transient_faults_and_lets_the_rest_through() -> None:
    def failing(error: BaseException):  # type: ignore[no-untyped-def]
        @names_transient_aws_errors
        def handler(event: dict, context: object) -> dict:
            raise error

        return handler

    with pytest.raises(AwsThrottled) as caught:
        failing(_client_error("Throttling"))({}, None)
    assert isinstance(caught.value.__cause__, ClientError)
    with pytest.raises(CaseClosed):
        failing(CaseClosed("closed"))({}, None)
    with pytest.raises(ClientError):
        failing(_client_error("ValidationException"))({}, None)
