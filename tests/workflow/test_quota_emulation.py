"""Emulated AWS quotas on the real ASL and handlers: what a quota refuses, the system's own
retry paths absorb (SQS redelivers ingest, the ASL retries a throttled Lambda), and no
event is lost or applied twice (docs/scale.md, docs/local-runtime.md "Quotas")."""

from __future__ import annotations

from datetime import timedelta

from arrears.adapters.cases import Repositories
from arrears.domain.case import execution_name
from arrears.local.quotas import QuotaPlan
from arrears.local.runtime import LocalRuntime

from tests.workflow.escalation_support import START, payment_event

ACCOUNTS = [f"acc-quota-{i:02d}" for i in range(12)]


def _burst(rt: LocalRuntime) -> None:
    rt.put_events(
        ("wallet.payments", "PaymentStatusChanged", payment_event(a, "OVERDUE", occurred_at=rt.now))
        for a in ACCOUNTS
    )


def _first_executions(rt: LocalRuntime) -> list[str]:
    firsts = {execution_name(f"{a}#1", 1) for a in ACCOUNTS}
    return [e["name"] for e in rt.executions("EscalationStateMachine") if e["name"] in firsts]


def test_throttled_starts_are_redelivered_by_sqs_and_every_case_starts_once():
    # given a StartExecution bucket of 5 tokens refilled once every 20 seconds
    plan = QuotaPlan(start_execution_bucket=5, start_execution_refill=0.05)
    with LocalRuntime(start=START, seed=3, quotas=plan) as rt:
        # when 12 OVERDUE events arrive at once
        _burst(rt)
        assert len(_first_executions(rt)) == 5  # the rest were refused...
        rt.advance(timedelta(minutes=10))

        # then SQS redelivered the refused records (three minutes later the bucket holds 5
        # again: 5 more start, 2 are refused again and start three minutes after that)
        assert rt.quotas is not None
        throttled = rt.quotas.summary()["stepfunctions:StartExecution"]["throttled"]
        assert throttled == 7 + 2
        assert rt.delivery.messages_failed == 7 + 2
        assert sorted(_first_executions(rt)) == sorted(set(_first_executions(rt)))
        assert len(_first_executions(rt)) == len(ACCOUNTS)
        assert rt.dlq_count() == 0
        for account in ACCOUNTS:
            kinds = [e.kind for e in Repositories.dynamo().timeline.list(f"{account}#1")]
            assert kinds.count("case_opened") == 1


def test_throttled_lambda_steps_are_retried_and_every_borrower_is_contacted_once():
    # given room for only two Lambda invocations in flight
    plan = QuotaPlan(lambda_concurrency=2)
    with LocalRuntime(start=START, seed=3, quotas=plan) as rt:
        _burst(rt)
        # when every reminder falls due at the same instant (day 1, 10:00 Shanghai)
        rt.advance(timedelta(hours=3))

        # then the refused invocations were retried by the ASL, and each reminder went once
        assert rt.quotas is not None
        assert rt.quotas.summary()["lambda:concurrency"]["throttled"] > 0
        for account in ACCOUNTS:
            kinds = [e.kind for e in Repositories.dynamo().timeline.list(f"{account}#1")]
            assert kinds.count("contact_sent") == 2, (account, kinds)  # SMS + email, once
            assert "execution_parked" in kinds
        failed = [e for e in rt.executions("EscalationStateMachine") if e["status"] == "FAILED"]
        assert failed == []


def test_a_cohort_queued_longer_than_a_few_minutes_behind_the_concurrency_limit_is_contacted():
    # given one Lambda invocation in flight at a time, each taking 40 seconds: the twelve
    # reminders falling due at once need eight minutes to get through, as a month-start
    # cohort of millions does at AWS's 1,000
    plan = QuotaPlan(lambda_concurrency=1, lambda_seconds=40)
    with LocalRuntime(start=START, seed=3, quotas=plan) as rt:
        _burst(rt)
        # when every reminder falls due at the same instant (day 1, 10:00 Shanghai)
        rt.advance(timedelta(hours=6))

        # then every throttled step kept retrying until it got through: every borrower was
        # contacted, and no case went to ops' STUCK queue for a throttle
        repositories = Repositories.dynamo()
        for account in ACCOUNTS:
            kinds = [e.kind for e in repositories.timeline.list(f"{account}#1")]
            assert kinds.count("contact_sent") == 2, (account, kinds)
            case = repositories.cases.get(f"{account}#1")
            assert case is not None and case.queue != "STUCK", (account, case)
