"""Issue 9: the ingest function may ask Comprehend about replies, and only it may."""

from __future__ import annotations

from arrears import topology

from tests.infra.test_stack import allows, policy_statements_of_role

REPLY_ACTIONS = ("comprehend:DetectSentiment", "comprehend:DetectDominantLanguage")


def test_only_ingest_may_call_comprehend(synthesized):
    functions = synthesized.stack.workflow.functions
    for spec in topology.FUNCTIONS:
        statements = policy_statements_of_role(synthesized, functions[spec.construct_id].role)
        granted = [allows(statements, action, "*") for action in REPLY_ACTIONS]
        expected = spec is topology.INGEST_FUNCTION
        assert granted == [expected, expected], spec.construct_id
