"""ArrearsStack: the whole deployed system, one construct per concern."""

from __future__ import annotations

from typing import Any

from arrears import topology
from aws_cdk import CfnOutput, Stack
from constructs import Construct

from infra.constructs.data import Data
from infra.constructs.delivery import Delivery
from infra.constructs.encryption import Encryption
from infra.constructs.events import Events
from infra.constructs.letters import Letters
from infra.constructs.messaging import Messaging
from infra.constructs.observability import Observability
from infra.constructs.outbound import Outbound
from infra.constructs.portal import Portal
from infra.constructs.workflow import Workflow

STACK_NAME = "ArrearsStack"


class ArrearsStack(Stack):
    def __init__(self, scope: Construct, construct_id: str = STACK_NAME, **kwargs: Any) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.encryption = Encryption(self, "Encryption")
        key = self.encryption.key
        self.data = Data(self, "Data", key=key)
        self.events = Events(self, "Events", key=key)
        self.messaging = Messaging(self, "Messaging", key=key)
        self.letters = Letters(self, "Letters", key=key)
        self.workflow = Workflow(
            self,
            "Workflow",
            key=key,
            data=self.data,
            events=self.events,
            messaging=self.messaging,
            letters=self.letters,
        )
        self.delivery = Delivery(
            self,
            "Delivery",
            key=key,
            configuration_set=self.messaging.configuration_set,
            function=self.workflow.functions[topology.DELIVERY_FUNCTION.construct_id],
            ops_topic=self.messaging.ops_topic,
        )
        self.portal = Portal(
            self,
            "Portal",
            key=key,
            function=self.workflow.functions[topology.PORTAL_FUNCTION.construct_id],
            contact=self.workflow.functions[topology.CONTACT_FUNCTION.construct_id],
            messaging=self.messaging,
            escalation_arn=self.workflow.state_machine_arns[topology.ESCALATION.construct_id],
        )
        self.outbound = Outbound(
            self,
            "Outbound",
            key=key,
            table=self.data.table(topology.OUTBOX),
            function=self.workflow.functions[topology.PUBLISHER_FUNCTION.construct_id],
            bus=self.events.bus,
            ops_topic=self.messaging.ops_topic,
        )
        self.observability = Observability(
            self,
            "Observability",
            ops_topic=self.messaging.ops_topic,
            state_machines=self.workflow.state_machines,
            functions=self.workflow.functions,
            dead_letter_queue=self.events.dead_letter_queue,
            ingest_queue=self.events.ingest_queue,
            delivery_dead_letter_queue=self.delivery.dead_letter_queue,
            other_alarms=[self.delivery.dead_letter_alarm, self.outbound.dead_letter_alarm],
        )
        self._outputs()

    def _outputs(self) -> None:
        """What docs/deploy.md and the `arrears` CLI look up after a deploy."""
        outputs = {
            "EventBusName": self.events.bus.event_bus_name,
            "IngestDeadLetterQueueUrl": self.events.dead_letter_queue.queue_url,
            "OpsAlertsTopicArn": self.messaging.ops_topic.topic_arn,
            "LettersBucketName": self.letters.bucket.bucket_name,
            "DashboardName": self.observability.dashboard.dashboard_name,
            "EmailConfigurationSetName": self.messaging.configuration_set.configuration_set_name,
            "DeliveryEventsTopicArn": self.delivery.topic.topic_arn,
            "DeliveryDeadLetterQueueUrl": self.delivery.dead_letter_queue.queue_url,
            "PublisherDeadLetterQueueUrl": self.outbound.dead_letter_queue.queue_url,
            # docs/deploy.md: `aws sns set-sms-attributes` names this role once per account
            "SmsDeliveryStatusRoleArn": self.delivery.sms_delivery_status_role.role_arn,
            # docs/portal.md: the address in every SMS and email
            "PortalUrl": self.portal.url,
        }
        for construct_id, state_machine in self.workflow.state_machines.items():
            outputs[f"{construct_id}Arn"] = state_machine.state_machine_arn
        for construct_id, table in self.data.tables.items():
            outputs[f"{construct_id}Name"] = table.table_name
        for output_id, value in outputs.items():
            CfnOutput(self, output_id, value=value)
