"""Lambda behind the portal's HTTP API: pages and borrower actions (steps/portal.py)."""

from __future__ import annotations

import functools
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from arrears.adapters.transient import names_transient_aws_errors
from arrears.handlers._shell import logger, metrics, tracer
from arrears.steps.portal import Portal


@functools.cache
def portal() -> Portal:
    """The adapters, once per container (the composition root)."""
    from arrears.adapters.cases import Repositories
    from arrears.adapters.links import BorrowerPreferences, DynamoLinks, TopicAlerts, signer
    from arrears.adapters.ops import OpsStore
    from arrears.adapters.workflow import EscalationWorkflow
    from arrears.settings import settings
    from arrears.steps.portal import PortalDeps, portal_settings

    repos = Repositories.dynamo()
    return Portal(
        PortalDeps(
            links=DynamoLinks(),
            ops=OpsStore(),
            cases=repos.cases,
            borrowers=BorrowerPreferences(repos.borrowers),
            timeline=repos.timeline,
            workflow=EscalationWorkflow.configured,
            signer=signer(),
            alerts=TopicAlerts(settings().ops_topic_arn),
            **portal_settings(),
        )
    )


@functools.cache
def app() -> Any:
    """The routes, on the first request: Powertools' event handler imports every event
    class it knows (and the first page needs jinja2 and PyYAML too, loaded as it renders)."""
    from arrears.steps.portal import payment_origin_default, secure_cookies
    from arrears.steps.portal_http import build_app

    return build_app(portal, payment_origin_default(), secure_cookies())


@metrics.log_metrics
@tracer.capture_lambda_handler(capture_response=False)
@logger.inject_lambda_context(log_event=False, clear_state=True)  # the event holds the token
@names_transient_aws_errors
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    result: dict[str, Any] = app().resolve(event, context)
    return result
