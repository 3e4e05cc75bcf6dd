"""The borrower portal: an API Gateway HTTP API in front of the portal Lambda (docs/portal.md).

Every route goes to the one function (its pages, its identical 404), with per-route
throttling on the stage, JSON access logs that name the route template and never the path
(the path holds the link token), and an HMAC key in KMS that signs payment references.
The portal's address is the custom domain when one is given (context ``portalDomain`` and
``portalCertificateArn``), else the API's own endpoint; the contact function puts links to
it in every SMS and email.
"""

from __future__ import annotations

from arrears import constants as c
from aws_cdk import RemovalPolicy, Stack
from aws_cdk import aws_apigatewayv2 as apigw
from aws_cdk import aws_certificatemanager as acm
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk.aws_apigatewayv2_integrations import HttpLambdaIntegration
from constructs import Construct

from infra.constructs.messaging import Messaging
from infra.nag import acknowledge

# requests per second (steady, burst) per route, for the whole API
ROUTE_THROTTLING: dict[str, tuple[float, int]] = {
    "GET /c/{token}": (50, 100),
    "POST /c/{token}/check": (10, 20),
    "POST /c/{token}/act": (20, 40),
    "POST /c/{token}/pay": (20, 40),
    "ANY /{proxy+}": (5, 10),
    "ANY /": (5, 10),
}
ACCESS_LOG_FORMAT = (
    '{"requestId":"$context.requestId","time":"$context.requestTime",'
    '"route":"$context.routeKey","status":"$context.status",'
    '"latencyMs":"$context.responseLatency","integrationStatus":"$context.integrationStatus",'
    '"throttle":"$context.error.messageString"}'
)


class Portal(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        key: kms.IKey,
        function: lambda_.Function,
        contact: lambda_.Function,
        messaging: Messaging,
        escalation_arn: str,
    ) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        self.mac_key = kms.Key(
            self,
            "PaymentReferenceKey",
            description="Arrears portal: signs payment references (HMAC)",
            key_spec=kms.KeySpec.HMAC_256,
            key_usage=kms.KeyUsage.GENERATE_VERIFY_MAC,
            removal_policy=RemovalPolicy.RETAIN,
        )
        acknowledge(
            self.mac_key,
            "AwsSolutions-KMS5",
            "KMS does not rotate HMAC keys; a new key is a new deployment of this construct.",
        )
        self.api = apigw.HttpApi(
            self,
            "PortalApi",
            api_name=f"{stack.stack_name}-portal",
            description="Arrears borrower portal",
            create_default_stage=True,
        )
        integration = HttpLambdaIntegration(
            "PortalIntegration",
            function,
            payload_format_version=apigw.PayloadFormatVersion.VERSION_2_0,
        )
        routes = [
            ("/c/{token}", apigw.HttpMethod.GET),
            ("/c/{token}/check", apigw.HttpMethod.POST),
            ("/c/{token}/act", apigw.HttpMethod.POST),
            ("/c/{token}/pay", apigw.HttpMethod.POST),
            # anything else gets the portal's own 404 page, the same as an unknown link
            ("/{proxy+}", apigw.HttpMethod.ANY),
            ("/", apigw.HttpMethod.ANY),
        ]
        for path, method in routes:
            added = self.api.add_routes(path=path, methods=[method], integration=integration)
            for route in added:
                acknowledge(
                    route,
                    "AwsSolutions-APIG4",
                    "The borrower portal is public by design: each request is authorized by "
                    "an unguessable link token (128 bits, stored hashed) and, beyond the "
                    "creditor's name, a knowledge check with lockout (docs/portal.md).",
                )
        self.access_logs = logs.LogGroup(
            self,
            "PortalAccessLogs",
            retention=logs.RetentionDays.ONE_YEAR,
            encryption_key=key,
            removal_policy=RemovalPolicy.RETAIN,
        )
        stage = self.api.default_stage
        assert stage is not None
        cfn_stage = stage.node.default_child
        assert isinstance(cfn_stage, apigw.CfnStage)
        cfn_stage.access_log_settings = apigw.CfnStage.AccessLogSettingsProperty(
            destination_arn=self.access_logs.log_group_arn, format=ACCESS_LOG_FORMAT
        )
        cfn_stage.default_route_settings = apigw.CfnStage.RouteSettingsProperty(
            throttling_rate_limit=50, throttling_burst_limit=100
        )
        cfn_stage.route_settings = {
            route: {"ThrottlingRateLimit": rate, "ThrottlingBurstLimit": burst}
            for route, (rate, burst) in ROUTE_THROTTLING.items()
        }
        # the routes must exist before the stage names them
        for child in self.api.node.children:
            if isinstance(child, apigw.HttpRoute):
                cfn_stage.node.add_dependency(child)

        self.url = self._address(stack)
        for target in (function, contact):
            target.add_environment(c.ENV_PORTAL_URL, self.url)
        function.add_environment(c.ENV_PORTAL_MAC_KEY_ID, self.mac_key.key_arn)
        self._grant(stack, function, messaging, escalation_arn)

    def _address(self, stack: Stack) -> str:
        domain = self.node.try_get_context("portalDomain")
        certificate = self.node.try_get_context("portalCertificateArn")
        if not domain or not certificate:
            return self.api.api_endpoint
        name = apigw.DomainName(
            self,
            "PortalDomain",
            domain_name=str(domain),
            certificate=acm.Certificate.from_certificate_arn(
                self, "PortalCertificate", str(certificate)
            ),
        )
        apigw.ApiMapping(self, "PortalMapping", api=self.api, domain_name=name)
        return f"https://{domain}"

    def _grant(
        self,
        stack: Stack,
        function: lambda_.Function,
        messaging: Messaging,
        escalation_arn: str,
    ) -> None:
        self.mac_key.grant(function, "kms:GenerateMac")
        # wake the case's waiting execution (task tokens are not resources: "*" only), and
        # start a parked case's resumed execution (docs/scale.md)
        function.add_to_role_policy(
            iam.PolicyStatement(
                actions=["states:SendTaskSuccess", "states:SendTaskFailure"], resources=["*"]
            )
        )
        function.add_to_role_policy(
            iam.PolicyStatement(actions=["states:StartExecution"], resources=[escalation_arn])
        )
        acknowledge(
            function.role,  # type: ignore[arg-type]
            "AwsSolutions-IAM5[Resource::*]",
            "Task tokens are not resources: SendTaskSuccess accepts only '*'. X-Ray likewise.",
        )
        messaging.grant_publish_ops_alert(function)  # a claimed payment: ops reconcile it
