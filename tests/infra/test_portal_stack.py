"""The portal in the stack: an HTTP API whose every route reaches the portal function,
throttled per route, access-logged without the link token, and the links table."""

from __future__ import annotations

import json

from arrears import constants as c
from arrears import topology

from infra.constructs.portal import ROUTE_THROTTLING


def test_every_route_goes_to_the_portal_function(synthesized):
    routes = {
        r["Properties"]["RouteKey"]
        for r in synthesized.of_type("AWS::ApiGatewayV2::Route").values()
    }
    assert routes == set(ROUTE_THROTTLING)
    (integration,) = synthesized.of_type("AWS::ApiGatewayV2::Integration").values()
    portal = synthesized.stack.workflow.functions[topology.PORTAL_FUNCTION.construct_id]
    target = json.dumps(integration["Properties"]["IntegrationUri"])
    assert synthesized.logical_id(portal) in target
    assert integration["Properties"]["PayloadFormatVersion"] == "2.0"


def test_the_stage_throttles_each_route_and_logs_no_path(synthesized):
    (stage,) = synthesized.of_type("AWS::ApiGatewayV2::Stage").values()
    settings = stage["Properties"]["RouteSettings"]
    assert set(settings) == set(ROUTE_THROTTLING)
    for route, (rate, burst) in ROUTE_THROTTLING.items():
        assert settings[route]["ThrottlingRateLimit"] == rate
        assert settings[route]["ThrottlingBurstLimit"] == burst
    log_format = stage["Properties"]["AccessLogSettings"]["Format"]
    assert "$context.routeKey" in log_format
    for leaks in ("$context.path", "$context.identity.sourceIp", "rawPath"):
        assert leaks not in log_format  # the path holds the token


def test_links_are_kept_encrypted_and_expire(synthesized):
    table = synthesized.resource(synthesized.stack.data.table(topology.LINKS))["Properties"]
    assert table["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}
    assert table["SSESpecification"]["SSEEnabled"] is True


def test_the_portal_and_contact_functions_know_the_portal_address(synthesized):
    workflow = synthesized.stack.workflow
    for spec in (topology.PORTAL_FUNCTION, topology.CONTACT_FUNCTION):
        env = synthesized.resource(workflow.functions[spec.construct_id])["Properties"]
        assert c.ENV_PORTAL_URL in env["Environment"]["Variables"]
    portal = synthesized.resource(workflow.functions[topology.PORTAL_FUNCTION.construct_id])
    assert c.ENV_PORTAL_MAC_KEY_ID in portal["Properties"]["Environment"]["Variables"]


def test_the_payment_reference_key_is_an_hmac_key(synthesized):
    keys = [k["Properties"] for k in synthesized.of_type("AWS::KMS::Key").values()]
    hmac = [k for k in keys if k.get("KeySpec") == "HMAC_256"]
    assert len(hmac) == 1 and hmac[0]["KeyUsage"] == "GENERATE_VERIFY_MAC"
