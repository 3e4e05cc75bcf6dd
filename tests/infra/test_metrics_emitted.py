"""Every Arrears metric the dashboard graphs or an alarm watches is emitted by the code.

The emitted names are read from the Lambda package's source: calls of the metric helpers
(``count``/``_count``, ``metrics.add_metric``, ``single_metric``) with a literal name or an
``arrears.constants`` ``METRIC_*`` name. A graph of a name nobody emits would stay empty
without anyone noticing.
"""

from __future__ import annotations

import ast
import json
import re
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from arrears import constants as c
from arrears import topology

PACKAGE = topology.PACKAGE_DIR
METRIC_CALLS = {"count", "_count", "add_metric", "single_metric"}
# dashboard SEARCH expressions name metrics as MetricName="X" (escaped in the JSON body)
SEARCHED = re.compile(r'MetricName=\\+"([A-Za-z0-9_]+)\\+"')


def _metric_name(node: ast.expr) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.Attribute) and node.attr.startswith("METRIC_"):
        value = getattr(c, node.attr, None)
        return value if isinstance(value, str) else None
    return None


def emitted_metrics(root: Path = PACKAGE) -> dict[str, set[frozenset[str]]]:
    """Metric name -> the sets of extra dimension keywords it is emitted with."""
    found: dict[str, set[frozenset[str]]] = {}
    for path in root.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        named_in_module = {
            name
            for node in ast.walk(tree)
            if isinstance(node, ast.Attribute) and (name := _metric_name(node)) is not None
        }
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
            if called not in METRIC_CALLS:
                continue
            arguments = [*node.args[:1], *(k.value for k in node.keywords if k.arg == "name")]
            dimensions = frozenset(k.arg for k in node.keywords if k.arg and k.arg != "name")
            for argument in arguments:
                name = _metric_name(argument)
                # a name passed through a variable (a loop over the metrics, a wrapper):
                # the METRIC_* constants this module names are what it can emit
                names = {name} if name is not None else named_in_module
                if isinstance(argument, ast.Name) or name is not None:
                    for one in names:
                        found.setdefault(one, set()).add(dimensions)
    return found


def graphed_metrics(synthesized) -> set[str]:
    """Arrears-namespace metric names on the dashboard and in alarms."""
    (dashboard,) = synthesized.of_type("AWS::CloudWatch::Dashboard").values()
    names = set(SEARCHED.findall(json.dumps(dashboard["Properties"]["DashboardBody"])))
    for alarm in synthesized.of_type("AWS::CloudWatch::Alarm").values():
        properties = alarm["Properties"]
        if properties.get("Namespace") == c.METRICS_NAMESPACE:
            names.add(properties["MetricName"])
        for query in properties.get("Metrics", []):
            metric = query.get("MetricStat", {}).get("Metric", {})
            if metric.get("Namespace") == c.METRICS_NAMESPACE:
                names.add(metric["MetricName"])
    return names


def test_the_source_scan_finds_emissions_and_nothing_else(tmp_path):
    # given a module with one emission of each form and a call that is no emission
    (tmp_path / "m.py").write_text(
        "from arrears import constants as c\n"
        "count('Literal', channel='sms')\n"
        "metrics.add_metric(name=c.METRIC_LETTERS_STORED, unit=u, value=1)\n"
        "single_metric(name='Single', unit=u, value=1)\n"
        "print('NotAMetric', c.METRIC_CASES_OPENED)\n"
    )
    (tmp_path / "loop.py").write_text(
        "from arrears import constants as c\n"
        "for metric in (c.METRIC_AGENT_TASKS_WAITING,):\n"
        "    metrics.add_metric(name=metric, value=1)\n"
    )
    # then exactly the emissions are found, with their dimensions; a constant that is only
    # named (CasesOpened in m.py) is no emission unless a metric call takes a variable
    assert emitted_metrics(tmp_path) == {
        "Literal": {frozenset({"channel"})},
        c.METRIC_LETTERS_STORED: {frozenset({"unit", "value"})},
        "Single": {frozenset({"unit", "value"})},
        c.METRIC_AGENT_TASKS_WAITING: {frozenset({"value"})},
    }


def test_every_graphed_or_alarmed_metric_is_emitted(synthesized):
    graphed = graphed_metrics(synthesized)
    # the issue 8 dashboard: cases, recoveries, contacts, letters, work queue, refusals
    assert {
        c.METRIC_CASES_OPENED,
        c.METRIC_CASE_RESOLVED,
        c.METRIC_AMOUNT_RECOVERED,
        c.METRIC_CONTACT_BLOCKED,
        c.METRIC_CONTACT_BLOCKED_TOTAL,
        c.METRIC_LETTERS_STORED,
        c.METRIC_AGENT_TASKS_WAITING,
        c.METRIC_OPS_ACTION_REFUSED,
    } <= graphed
    assert sorted(graphed - set(emitted_metrics())) == []


def test_the_blocked_total_is_emitted_with_the_service_dimension_only():
    # `count` (handlers/_escalation.py) always adds service; no keyword adds another one,
    # which is the exact dimension set the blocked-contacts alarm watches
    assert frozenset() in emitted_metrics()[c.METRIC_CONTACT_BLOCKED_TOTAL]


# ------------------------------------------------------------- AmountRecovered, end to end


class _Workflow:
    def start(self, case_id: str, account_id: str, cycle: int) -> Any:
        from arrears.adapters.workflow import Started

        return Started(f"arn:{case_id}", case_id.replace("#", "-"), already_existed=False)

    def wake(self, task_token: str, output: Any) -> bool:
        return True


def _payment(status: str, sequence: int, amount_paid: str) -> Any:
    from arrears.domain.events import parse_payment_status

    return parse_payment_status(
        {
            "event_id": f"evt-{sequence}",
            "account_id": "acc-7",
            "obligation_id": "loan-1/inst-1",
            "status": status,
            "amount_due": "1250.00",
            "amount_paid": amount_paid,
            "currency": "EUR",
            "due_date": "2026-11-01",
            "occurred_at": "2026-11-02T01:00:00Z",
            "sequence": sequence,
            "borrower": {"locale": "en-GB", "timezone": "Europe/London", "country": "GB"},
        }
    )


def _recovered(stdout: str) -> list[tuple[float, str]]:
    found = []
    for line in stdout.splitlines():
        if line.startswith("{") and c.METRIC_AMOUNT_RECOVERED in line:
            blob = json.loads(line)
            value = blob[c.METRIC_AMOUNT_RECOVERED]  # EMF may carry a list of values
            for one in value if isinstance(value, list) else [value]:
                found.append((one, blob["currency"]))
    return found


def test_payments_emit_the_amount_they_took_off_the_balance(capsys):
    from arrears.adapters.cases import Repositories
    from arrears.adapters.dead_letters import DeadLetters
    from arrears.steps.ingest import Ingestor

    # given a case opened for 1250.00 EUR
    ingestor = Ingestor(
        repos=Repositories.in_memory(),
        workflow=_Workflow,
        dead_letters=DeadLetters("", client=object()),
        clock=lambda: datetime(2026, 11, 2, 2, 0, tzinfo=UTC),
        resolve_below=lambda case: None,
    )
    ingestor.apply_payment_status(_payment("OVERDUE", 1, "0.00"))
    assert _recovered(capsys.readouterr().out) == []  # opening a case recovers nothing
    # when the borrower pays 250.00, then the rest
    ingestor.apply_payment_status(_payment("PARTIALLY_PAID", 2, "250.00"))
    ingestor.apply_payment_status(_payment("PAID", 3, "1250.00"))
    # then each payment reports what it recovered, by currency
    assert _recovered(capsys.readouterr().out) == [(250.0, "EUR"), (1000.0, "EUR")]


# ------------------------------------------------------------- LettersStored, at the step


class _Letters:
    def __init__(self) -> None:
        self.stored: list[str] = []

    def store_letter(self, case_id: str, kind: str, pdf: bytes) -> Any:
        from types import SimpleNamespace

        self.stored.append(kind)
        return SimpleNamespace(key=f"letters/{kind}.pdf", version_id="v1", sha256="0" * 64)

    def announce_letter_ready(self, **kwargs: Any) -> None:
        pass


def test_a_stored_letter_is_counted_by_kind(capsys):
    from arrears.adapters.cases import Repositories
    from arrears.domain.case import BorrowerRecord, CaseRecord
    from arrears.domain.policy import load_policy
    from arrears.domain.types import CaseStatus, Channel, Stage
    from arrears.steps.letter import deliver_letter
    from arrears.steps.unit_of_work import UnitOfWork

    # given a demand-letter step of the default policy
    now = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    policy = load_policy()
    step = next(
        s
        for segment in policy.segments.values()
        for s in segment.ladder
        if s.stage is Stage.DEMAND_LETTER
    )
    case = CaseRecord(
        case_id="acc-7#1",
        account_id="acc-7",
        cycle=1,
        status=CaseStatus.OPEN,
        stage=Stage.DEMAND_LETTER,
        balance=Decimal("800.00"),
        currency="EUR",
        opened_at=datetime(2026, 11, 2, tzinfo=UTC),
        policy_version=policy.version,
    )
    borrower = BorrowerRecord(account_id="acc-7", name="Alex Example", locale="en-GB", country="GB")
    letters = _Letters()
    repos = Repositories.in_memory()
    deps = UnitOfWork(repos=repos, ledger=None, messenger=None, letters=letters)
    # when the letter step delivers it
    deliver_letter(deps, case, borrower, policy, step, Channel.LETTER, now)
    # then one LettersStored is counted, with the letter's kind
    counted = []
    for line in capsys.readouterr().out.splitlines():
        if line.startswith("{") and c.METRIC_LETTERS_STORED in line:
            blob = json.loads(line)
            value = blob[c.METRIC_LETTERS_STORED]
            counted.append((value if isinstance(value, list) else [value], blob["kind"]))
    assert len(letters.stored) == 1
    assert counted == [([1.0], letters.stored[0])]
