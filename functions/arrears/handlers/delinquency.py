"""Lambda run once a day: the delinquency sweep (arrears.steps.delinquency)."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from arrears.handlers._shell import default_deps, logger, metrics, tracer
from arrears.steps.bureau import report_month
from arrears.steps.delinquency import sweep
from arrears.steps.unit_of_work import utc_now

if TYPE_CHECKING:  # the adapters load with the other AWS adapters, on the first sweep
    from arrears.adapters.bureau import DynamoBureau
    from arrears.adapters.delinquency_index import DynamoDelinquencyIndex


@cache
def _index() -> DynamoDelinquencyIndex:
    from arrears.adapters.delinquency_index import DynamoDelinquencyIndex

    return DynamoDelinquencyIndex()


@cache
def _bureau() -> DynamoBureau:
    from arrears.adapters.bureau import DynamoBureau

    return DynamoBureau()


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, int]:
    now = utc_now()
    deps = default_deps()
    counts = sweep(deps, _index(), now)
    # the first days of a month: the month's credit bureau reports
    counts |= {f"bureau_{k}": v for k, v in report_month(deps.repos.cases, _bureau(), now).items()}
    logger.info("delinquency sweep", extra=counts)
    return counts
