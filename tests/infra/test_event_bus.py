"""The event bus keeps borrower contact details encrypted with the stack's key."""

from __future__ import annotations


def test_bus_is_encrypted_with_the_stack_key_and_dead_letters_to_the_ingest_dlq(synthesized):
    stack = synthesized.stack
    bus = synthesized.resource(stack.events.bus)
    key_id = synthesized.logical_id(stack.encryption.key)
    dlq_id = synthesized.logical_id(stack.events.dead_letter_queue)
    assert bus["Properties"]["KmsKeyIdentifier"] == {"Fn::GetAtt": [key_id, "Arn"]}
    assert bus["Properties"]["DeadLetterConfig"] == {"Arn": {"Fn::GetAtt": [dlq_id, "Arn"]}}


def test_eventbridge_may_use_the_key_for_this_bus_only(synthesized):
    key = synthesized.resource(synthesized.stack.encryption.key)
    statements = key["Properties"]["KeyPolicy"]["Statement"]
    for_events = [
        s
        for s in statements
        if s.get("Principal", {}).get("Service") == "events.amazonaws.com"
        and "kms:GenerateDataKey" in s["Action"]
    ]
    assert for_events, "EventBridge cannot encrypt events for the bus"
    assert all("Condition" in s for s in for_events)  # scoped to this account / bus
