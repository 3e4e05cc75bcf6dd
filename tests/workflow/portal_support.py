"""Helpers for the portal workflow tests: a runtime that puts portal links in messages,
and a borrower who follows the link from a message really sent."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from arrears import constants as c
from arrears.domain.portal.knowledge import KnowledgeKind, make_check
from arrears.local.portal_server import call, http_event, session_cookie
from arrears.local.runtime import LocalRuntime

from tests.workflow.escalation_support import START, Outbox, open_overdue, outbox  # noqa: F401 (fixture)

PORTAL_URL = "https://portal.test"
LINK = re.compile(re.escape(PORTAL_URL) + r"(/c/[A-Za-z0-9_-]{22,})")
BIRTH_YEAR = "1984"
SALT = "salt-0123456789abcdef"


def knowledge_check(answer: str = BIRTH_YEAR) -> dict[str, str]:
    check = make_check(KnowledgeKind.BIRTH_YEAR, SALT, answer)
    return {"kind": check.kind.value, "salt": check.salt, "hash": check.digest}


@pytest.fixture(scope="module")
def rt(outbox: Outbox) -> Iterator[LocalRuntime]:  # noqa: F811 (the fixture, as a parameter)
    env = {c.ENV_PORTAL_URL: PORTAL_URL, c.ENV_PORTAL_SIGNING_SECRET: "local-test-secret"}
    with LocalRuntime(start=START, seed=7, extra_env=env) as runtime:
        yield runtime


def morning(rt: LocalRuntime) -> None:
    """On to the next 09:00 in Shanghai (01:00 UTC), inside contact hours."""
    from datetime import timedelta

    target = rt.now.replace(hour=1, minute=0, second=0, microsecond=0)
    if target <= rt.now:
        target += timedelta(days=1)
    rt.run_until(target)


def open_case(rt: LocalRuntime, account_id: str, **borrower: Any) -> str:
    """An overdue case whose borrower has a knowledge check (year of birth 1984), opened
    at 09:00 Shanghai time so its first messages go out at once."""
    if rt.now != START:
        morning(rt)
    return open_overdue(rt, account_id, borrower={"knowledge_check": knowledge_check(), **borrower})


def link_in(box: Outbox, account_id: str, channel: str = "sms") -> str:
    """The portal path in the latest message of ``channel`` really sent to the borrower."""
    sent = [m for m in box.to(account_id) if m["channel"] == channel]
    assert sent, f"no {channel} sent to {account_id}"
    found = LINK.search(sent[-1]["body"])
    assert found, "the message carries no portal link"
    return found.group(1)


@dataclass
class Browser:
    """A borrower's browser on the portal: its cookies and the page it last saw."""

    rt: LocalRuntime
    path: str
    cookies: dict[str, str] = field(default_factory=dict)
    page: str = ""
    status: int = 0
    headers: dict[str, str] = field(default_factory=dict)
    client: str = "198.51.100.7"

    def _send(self, event: dict[str, Any]) -> dict[str, Any]:
        response = call(self.rt, event)
        self.cookies |= session_cookie(response)
        self.status = int(response["statusCode"])
        self.headers = dict(response.get("headers") or {})
        self.page = str(response.get("body") or "")
        self.rt.scheduler.run_ready()
        return response

    def get(self, path: str | None = None) -> Browser:
        self._send(
            http_event("GET", path or self.path, cookies=self.cookies, source_ip=self.client)
        )
        return self

    def csrf(self) -> str:
        found = re.search(r'name="csrf" value="([^"]+)"', self.page)
        assert found, "the page has no form token"
        return found.group(1)

    def post(self, suffix: str, form: dict[str, str], *, follow: bool = True) -> Browser:
        event = http_event(
            "POST", self.path + suffix, form=form, cookies=self.cookies, source_ip=self.client
        )
        response = self._send(event)
        location = (response.get("headers") or {}).get("Location")
        if follow and self.status == 303 and location and location.startswith("/c/"):
            self.get(location)
        return self

    def sign_in(self, answer: str = BIRTH_YEAR) -> Browser:
        self.get()
        return self.post("/check", {"csrf": self.csrf(), "answer": answer})

    def act(self, action: str, **fields: str) -> Browser:
        self.get()
        return self.post("/act", {"csrf": self.csrf(), "action": action, **fields})
