"""`arrears ops ...`: the console's ops actions and work queue, from the command line.

    arrears ops approve_litigation --case-id 'acc-42#1' --operator li.wei \\
        --approver zhang.min --reason "no reply to the lawyer letter"
    arrears ops close --input close.json
    arrears ops queue [--queue AGENT_CALL|LEGAL_REVIEW|...|STUCK] [--due-before ISO]

Against a deployed account (default; your AWS credentials) an action starts one execution
of the ops-action state machine, exactly as the console does, and waits for its end.
With ``--local EVENTS_FILE --at ISO`` the events file is replayed on the local runtime up
to that time and the action runs there (or the queue is listed as it stands then).

Exit status: 0 done, 2 refused (the Error and Cause are printed; nothing changed), 1 any
other failure. See docs/ops.md.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from enum import Enum
from pathlib import Path
from typing import Any, get_args

from arrears import topology
from arrears.domain.case import queue_time
from arrears.domain.ops import ACTION_NAMES, InvalidOpsAction, parse_action
from arrears.domain.ops_models import action_models
from arrears.domain.queues import (
    DECISION_QUEUES,
    QUEUE_AGENT_CALL,
    QUEUE_PAYMENT_RECONCILIATION,
    QUEUE_REPLY_REVIEW,
    QUEUE_STUCK,
)

DEFAULT_STACK = "ArrearsStack"  # infra/stack.py STACK_NAME
QUEUES = (
    QUEUE_AGENT_CALL,
    QUEUE_REPLY_REVIEW,
    QUEUE_PAYMENT_RECONCILIATION,
    *DECISION_QUEUES,
    QUEUE_STUCK,
)
_COMMON_FIELDS = ("action", "case_id", "operator")
_UNSAFE = re.compile(r"[^0-9A-Za-z_-]")
EXIT_DONE, EXIT_FAILED, EXIT_REFUSED = 0, 1, 2


# ---- parser ---------------------------------------------------------------------------------


def register(subparsers: Any) -> None:
    ops = subparsers.add_parser(
        "ops",
        help="ops actions and the work queue (deployed account or local runtime)",
        description=__doc__.split("\n\n")[0] if __doc__ else None,
    )
    commands = ops.add_subparsers(dest="ops_command", required=True)
    for name, model in action_models().items():
        sub = commands.add_parser(
            name, help=(model.__doc__ or name).strip().splitlines()[0], description=model.__doc__
        )
        _target_arguments(sub)
        sub.add_argument("--input", type=Path, help="a console input (JSON file) instead of flags")
        sub.add_argument("--case-id", help="the case, <account_id>#<cycle>, e.g. acc-42#1")
        sub.add_argument("--operator", help="your user name (recorded in the audit timeline)")
        for field, info in model.model_fields.items():
            if field in _COMMON_FIELDS:
                continue
            choices = _choices(info.annotation)
            sub.add_argument(
                "--" + field.replace("_", "-"),
                dest=field,
                choices=choices,
                help=("required" if info.is_required() else "optional")
                + (f"; one of {', '.join(choices)}" if choices else ""),
            )
        sub.set_defaults(func=action_command, action_name=name)

    queue = commands.add_parser(
        "queue", help="cases waiting for a person in the work queues, soonest due first"
    )
    _target_arguments(queue)
    queue.add_argument("--queue", choices=QUEUES, help="one queue only (default: all)")
    queue.add_argument("--due-before", type=_instant, help="only tasks due by then (ISO-8601)")
    queue.add_argument("--json", action="store_true", help="print JSON lines instead of a table")
    queue.set_defaults(func=queue_command)


def _target_arguments(parser: argparse.ArgumentParser) -> None:
    aws = parser.add_argument_group("deployed account")
    aws.add_argument("--stack", default=DEFAULT_STACK, help=f"stack name (default {DEFAULT_STACK})")
    aws.add_argument("--region", help="AWS region (default: your AWS configuration)")
    aws.add_argument("--state-machine-arn", help="the ops-action state machine (default: derived)")
    aws.add_argument("--cases-table", help="the cases table (default: read from the deployment)")
    local = parser.add_argument_group("local runtime")
    local.add_argument("--local", type=Path, metavar="EVENTS_FILE", help="replay this events file")
    local.add_argument("--at", type=_instant, help="with --local: the virtual time to act at")
    local.add_argument("--seed", type=int, default=7, help="with --local: random seed")


def _choices(annotation: Any) -> list[str] | None:
    for candidate in (annotation, *get_args(annotation)):
        if isinstance(candidate, type) and issubclass(candidate, Enum):
            return [member.value for member in candidate]
    return None


def _instant(text: str) -> datetime:
    moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    if moment.tzinfo is None:
        raise argparse.ArgumentTypeError(f"{text!r} needs a UTC offset (Z or +hh:mm)")
    return moment.astimezone(UTC)


# ---- actions ----------------------------------------------------------------------------------


def action_input(args: argparse.Namespace) -> dict[str, Any]:
    """The console input the flags (or --input file) describe."""
    if args.input is not None:
        raw = json.loads(args.input.read_text(encoding="utf-8"))
        if not isinstance(raw, dict):
            raise InvalidOpsAction(f"{args.input}: the input must be a JSON object")
        raw.setdefault("action", args.action_name)
        if raw["action"] != args.action_name:
            raise InvalidOpsAction(f"{args.input} holds {raw['action']!r}, not {args.action_name}")
        return raw
    raw = {"action": args.action_name, "case_id": args.case_id, "operator": args.operator}
    model = action_models()[args.action_name]
    for field in model.model_fields:
        if field not in _COMMON_FIELDS:
            raw[field] = getattr(args, field, None)
    return {key: value for key, value in raw.items() if value is not None}


def action_command(args: argparse.Namespace) -> int:
    try:
        raw = action_input(args)
        parse_action(raw)  # the state machine checks again; this is fast feedback only
    except (InvalidOpsAction, ValueError, OSError) as exc:
        return _refused(type(exc).__name__ if not isinstance(exc, OSError) else "InputFile", exc)
    if args.local is not None:
        return _local_action(args, raw)
    return _aws_action(args, raw)


def _refused(error: str, cause: object) -> int:
    print(f"refused: {error}: {cause}", file=sys.stderr)
    return EXIT_REFUSED


def _report(status: str, error: str | None, cause: str | None, output: Any, arn: str) -> int:
    print(f"execution: {arn}")
    if status == "SUCCEEDED":
        print(json.dumps(output, indent=2, sort_keys=True))
        return EXIT_DONE
    if status == "FAILED" and cause is not None and not cause.lstrip().startswith("{"):
        return _refused(error or "Error", cause)  # the Fail state's readable refusal
    print(f"{status}: {error}: {cause}", file=sys.stderr)
    return EXIT_FAILED


def execution_name(action: dict[str, Any], now: datetime) -> str:
    """`<case id>-<action>-<UTC time>`: findable by case id in the console, unique enough."""
    case = _UNSAFE.sub("-", str(action.get("case_id", "")))
    stamp = now.astimezone(UTC).strftime("%Y%m%dT%H%M%S%f")
    suffix = f"-{stamp}"
    return f"{case}-{action['action']}"[: 80 - len(suffix)] + suffix


def ops_state_machine_arn(session: Any, stack: str) -> str:
    """The ops-action state machine's ARN: its name is fixed by infra (`<stack>-ops-action`)."""
    identity = session.client("sts").get_caller_identity()
    partition = identity["Arn"].split(":")[1]
    name = f"{stack}-{topology.OPS_ACTION.local_name.removeprefix('arrears-')}"
    return f"arn:{partition}:states:{session.region_name}:{identity['Account']}:stateMachine:{name}"


def _session(args: argparse.Namespace) -> Any:
    import boto3

    return boto3.session.Session(region_name=args.region)


def _aws_action(args: argparse.Namespace, raw: dict[str, Any], timeout: float = 120) -> int:
    session = _session(args)
    sfn = session.client("stepfunctions")
    arn = args.state_machine_arn or ops_state_machine_arn(session, args.stack)
    started = sfn.start_execution(
        stateMachineArn=arn, name=execution_name(raw, datetime.now(UTC)), input=json.dumps(raw)
    )
    execution_arn = started["executionArn"]
    deadline = time.monotonic() + timeout
    while True:
        described = sfn.describe_execution(executionArn=execution_arn)
        if described["status"] != "RUNNING" or time.monotonic() > deadline:
            break
        time.sleep(1)
    output = json.loads(described["output"]) if described.get("output") else None
    return _report(
        described["status"],
        described.get("error"),
        described.get("cause"),
        output,
        execution_arn,
    )


def _local_action(args: argparse.Namespace, raw: dict[str, Any]) -> int:
    from arrears.tools.ops_local import run_ops_action

    with _replayed(args) as rt:
        outcome = run_ops_action(rt, raw)
        code = _report(
            outcome.status, outcome.error, outcome.cause, outcome.output, outcome.execution_arn
        )
        if outcome.succeeded:
            print(json.dumps(_case_summary(rt, raw["case_id"]), indent=2, sort_keys=True))
        return code


def _case_summary(rt: Any, case_id: str) -> dict[str, Any]:
    item = (
        rt.client("dynamodb")
        .get_item(TableName=topology.CASES.local_name, Key={"case_id": {"S": case_id}})
        .get("Item", {})
    )
    keep = ("status", "stage", "waiting_for", "wait_until", "queue", "queue_due_at", "outcome")
    return {"case": {k: next(iter(item[k].values())) for k in keep if k in item}}


class _replayed:
    """Context manager: a local runtime with the events file replayed up to ``--at``."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.stack: Any = None

    def __enter__(self) -> Any:
        from arrears.local.events_file import read_events_file
        from arrears.local.replay import schedule_entries
        from arrears.local.runtime import LocalRuntime

        entries = read_events_file(self.args.local)
        at = self.args.at or (entries[-1].at if entries else datetime.now(UTC))
        start = min([e.at for e in entries] + [at])
        self.stack = LocalRuntime(start=start, seed=self.args.seed)
        rt = self.stack.__enter__()
        try:
            schedule_entries(rt, [e for e in entries if e.at <= at])
            rt.run_until(at)
        except BaseException:
            self.stack.__exit__(None, None, None)
            raise
        return rt

    def __exit__(self, *exc: object) -> None:
        self.stack.__exit__(*exc)


# ---- work queue ---------------------------------------------------------------------------------


def work_queue(
    dynamodb: Any, table: str, queues: Sequence[str], due_before: datetime | None = None
) -> list[dict[str, str]]:
    """Cases waiting on a person, soonest due first: the `work_queue` index, one query each."""
    rows: list[dict[str, str]] = []
    for queue in queues:
        condition = "#q = :q"
        values: dict[str, Any] = {":q": {"S": queue}}
        if due_before is not None:
            condition += " AND queue_due_at <= :due"
            values[":due"] = {"S": queue_time(due_before)}
        paginator = dynamodb.get_paginator("query")
        for page in paginator.paginate(
            TableName=table,
            IndexName="work_queue",
            KeyConditionExpression=condition,
            ExpressionAttributeNames={"#q": "queue"},
            ExpressionAttributeValues=values,
        ):
            for item in page["Items"]:
                rows.append(
                    {
                        "queue": queue,
                        "due_at": _s(item, "queue_due_at"),
                        "case_id": _s(item, "case_id"),
                        "stage": _s(item, "stage"),
                        "status": _s(item, "status"),
                        "balance": f"{_s(item, 'balance')} {_s(item, 'currency')}".strip(),
                        "waiting_for": _s(item, "waiting_for"),
                        "bucket": _s(item, "dpd_bucket"),
                        **_attention(item),
                    }
                )
    return sorted(rows, key=lambda row: (row["due_at"], row["queue"], row["case_id"]))


def _attention(item: dict[str, Any]) -> dict[str, str]:
    """Where a STUCK case stopped and why (the escalation's ``needs_attention`` map)."""
    attention = (item.get("needs_attention") or {}).get("M")
    if not attention:
        return {}
    return {"stuck_in": _s(attention, "state"), "error": _s(attention, "error")}


def _s(item: dict[str, Any], name: str) -> str:
    value = item.get(name) or {}
    return str(value.get("S") or value.get("N") or "")


def cases_table_from_definition(definition: str) -> str | None:
    """The cases table named in the deployed ops-action definition (substituted by CDK)."""
    for state in json.loads(definition).get("States", {}).values():
        table = (state.get("Parameters") or {}).get("TableName")
        if isinstance(table, str) and table:
            return table
    return None


def queue_command(args: argparse.Namespace) -> int:
    queues = [args.queue] if args.queue else list(QUEUES)
    if args.local is not None:
        with _replayed(args) as rt:
            rows = work_queue(
                rt.client("dynamodb"), topology.CASES.local_name, queues, args.due_before
            )
            now = rt.now
    else:
        session = _session(args)
        table = args.cases_table
        if not table:
            sfn = session.client("stepfunctions")
            arn = args.state_machine_arn or ops_state_machine_arn(session, args.stack)
            table = cases_table_from_definition(
                sfn.describe_state_machine(stateMachineArn=arn)["definition"]
            )
        if not table:
            print(
                "arrears ops queue: cannot find the cases table; pass --cases-table",
                file=sys.stderr,
            )
            return EXIT_FAILED
        rows = work_queue(session.client("dynamodb"), table, queues, args.due_before)
        now = datetime.now(UTC)
    print_queue(rows, now, as_json=args.json)
    return EXIT_DONE


def print_queue(rows: list[dict[str, str]], now: datetime, *, as_json: bool = False) -> None:
    if as_json:
        for row in rows:
            print(json.dumps(row, sort_keys=True))
        return
    if not rows:
        print("work queue empty")
        return
    stamp = now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    headers = ("queue", "due_at", "case_id", "stage", "status", "balance", "bucket", "waiting_for")
    widths = {h: max(len(h), *(len(r[h]) for r in rows)) for h in headers}
    print("  ".join(h.upper().ljust(widths[h]) for h in headers) + "  OVERDUE")
    for row in rows:
        overdue = "yes" if row["due_at"] and row["due_at"] < stamp else ""
        print("  ".join(row[h].ljust(widths[h]) for h in headers) + f"  {overdue}")
    print(f"{len(rows)} task(s) at {stamp}")


__all__ = [
    "ACTION_NAMES",
    "action_input",
    "cases_table_from_definition",
    "execution_name",
    "ops_state_machine_arn",
    "register",
    "work_queue",
]
