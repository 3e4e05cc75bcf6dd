"""Record, for each Lambda handler, its first invocation on the demo portfolio: the event,
the instant, and every AWS call it made with the answer it got. A bounce, an operator's
``close`` and a borrower opening the portal link of an SMS add the functions the demo
portfolio alone never invokes.

``cold_start_driver.py`` replays one of these in a fresh process that has nothing but a
built asset on its path, so a handler's first invocation is timed on real inputs without
AWS, moto or the local runtime in that process.

    python benchmarks/cold_start_recorder.py OUT.pickle
"""

from __future__ import annotations

import pickle
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

DAYS = 40  # reminders, the demand letter, payments and receipts all happen by then


def _stored(response: Any) -> Any:
    """The response with S3 bodies read into bytes (a stream cannot be pickled)."""
    from botocore.response import StreamingBody

    if isinstance(response, dict):
        return {key: _stored(value) for key, value in response.items()}
    if isinstance(response, list):
        return [_stored(value) for value in response]
    if isinstance(response, StreamingBody):
        return {"__streaming_body__": response.read()}
    return response


def _deliver_a_bounce(rt: Any, sent_emails: list[dict[str, Any]]) -> None:
    """SES reports a bounce of the first email sent (the delivery function's input)."""
    from arrears.local.delivery_events import ses_event

    sent = sent_emails[0]
    tags = {tag["Name"]: tag["Value"] for tag in sent.get("EmailTags", [])}
    recipient = sent["Destination"]["ToAddresses"][0]
    rt.publish_delivery_event(
        ses_event("Bounce", message_id=sent["MessageId"], tags=tags, recipient=recipient, at=rt.now)
    )
    rt.scheduler.run_ready()


def _close_a_case(rt: Any) -> None:
    """An operator closes a case as settled (the ops function's input)."""
    from arrears.tools.ops_local import run_ops_action

    case_id = next(case["case_id"] for case in rt.report()["cases"] if case.get("case_id"))
    run_ops_action(
        rt, {"action": "close", "case_id": case_id, "operator": "li.wei", "reason": "settled"}
    )


def _open_a_portal_link(rt: Any) -> None:
    """A borrower opens the portal link of an SMS reminder (the portal function's input)."""
    from arrears.local.portal_command import sent_links
    from arrears.local.portal_server import call, http_event
    from arrears.local.runtime import LOCAL_PORTAL_URL

    link = min(sent_links(LOCAL_PORTAL_URL).values())
    call(rt, http_event("GET", link.removeprefix(LOCAL_PORTAL_URL)))


def main() -> None:
    from arrears.local.portfolio import build_portfolio
    from arrears.local.replay import schedule_entries
    from arrears.local.runtime import LocalRuntime
    from botocore.client import BaseClient
    from botocore.exceptions import ClientError
    from cold_start_driver import live_response

    out = Path(sys.argv[1])
    portfolio = build_portfolio(seed=3, borrowers=12)
    recordings: dict[str, dict[str, Any]] = {}
    recording: list[tuple[str, str, Any]] | None = None
    sent_emails: list[dict[str, Any]] = []

    rt = LocalRuntime(start=portfolio.entries[0].at, seed=1, run_schedules=True)
    invoke = LocalRuntime._invoke

    def recorded_invoke(self: LocalRuntime, function_name: str, event: Any) -> Any:
        nonlocal recording
        spec = self._functions[function_name]
        if spec.handler in recordings or recording is not None:
            return invoke(self, function_name, event)
        recording = []
        try:
            payload, errored = invoke(self, function_name, event)
        finally:
            calls, recording = recording, None
        if not errored:
            recordings[spec.handler] = {
                "event": event,
                "at": self.now.isoformat(),
                "calls": calls,
                "function_name": spec.local_name,
                "memory_mb": spec.memory_mb,
                "timeout_seconds": spec.timeout_seconds,
            }
        return payload, errored

    LocalRuntime._invoke = recorded_invoke  # type: ignore[method-assign]  # bound at start
    with rt:
        make_api_call = BaseClient._make_api_call

        def recorded_call(client: Any, operation: str, params: Any) -> Any:
            if recording is None:
                return make_api_call(client, operation, params)
            service = client.meta.service_model.service_name
            try:
                response = _stored(make_api_call(client, operation, params))
            except ClientError as error:
                recording.append((service, operation, {"__error__": error.response}))
                raise
            recording.append((service, operation, response))
            if operation == "SendEmail":
                sent_emails.append(params)
                sent_emails[-1]["MessageId"] = response["MessageId"]
            return live_response(response)

        BaseClient._make_api_call = recorded_call  # type: ignore[method-assign]
        try:
            schedule_entries(rt, portfolio.entries)
            rt.advance(timedelta(days=DAYS))
            _deliver_a_bounce(rt, sent_emails)
            _close_a_case(rt)
            _open_a_portal_link(rt)
        finally:
            BaseClient._make_api_call = make_api_call  # type: ignore[method-assign]
            LocalRuntime._invoke = invoke  # type: ignore[method-assign]
    out.write_bytes(pickle.dumps(recordings))
    print(sorted(recordings))


if __name__ == "__main__":
    main()
