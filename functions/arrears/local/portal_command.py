"""``arrears portal``: the borrower portal on the embedded default.

Opens a few demo cases (Chinese, English and Spanish borrowers, each with a knowledge
check), lets the escalation send their first reminders, prints the portal link each SMS
carried, and serves the portal's Lambda handler on 127.0.0.1 against the same local
runtime: acting on a page wakes that case's execution. The links live as long as the
command runs (the runtime keeps its state in memory).
"""

from __future__ import annotations

import argparse
import re
import secrets
import sys
from datetime import UTC, datetime, timedelta
from typing import Any

from arrears import constants as c

# Monday 09:00 in Shanghai: inside contact hours for the first reminders
START = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)
# (account, country, locale, time zone, currency, amount, year of birth)
DEMO_BORROWERS = (
    ("portal-demo-cn", "CN", "zh-CN", "Asia/Shanghai", "CNY", "1250.00", "1984"),
    ("portal-demo-us", "US", "en-US", "America/New_York", "USD", "480.00", "1979"),
    ("portal-demo-mx", "MX", "es-MX", "America/Mexico_City", "MXN", "3600.00", "1991"),
)
PHONES = {"CN": "+8613900001234", "US": "+12025550143", "MX": "+525512345678"}


def register(subparsers: Any) -> None:
    portal = subparsers.add_parser(
        "portal",
        help="serve the borrower portal on 127.0.0.1 against the local runtime, with demo links",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    portal.add_argument("--host", default="127.0.0.1")
    portal.add_argument("--port", type=int, default=8765)
    serve = portal.add_mutually_exclusive_group()
    serve.add_argument(
        "--serve",
        dest="serve",
        action="store_true",
        default=None,
        help="serve (default on a terminal)",
    )
    serve.add_argument(
        "--no-serve", dest="serve", action="store_false", help="print the demo links and exit"
    )
    portal.set_defaults(func=portal_command)


def demo_event(row: tuple[str, ...], at: datetime) -> dict[str, Any]:
    from arrears.domain.portal.knowledge import KnowledgeKind, make_check

    account, country, locale, zone, currency, amount, born = row
    check = make_check(KnowledgeKind.BIRTH_YEAR, secrets.token_hex(12), born)
    return {
        "event_id": f"{account}-overdue",
        "account_id": account,
        "obligation_id": "loan-1/inst-2",
        "status": "OVERDUE",
        "amount_due": amount,
        "amount_paid": "0.00",
        "currency": currency,
        "due_date": (at - timedelta(days=1)).date().isoformat(),
        "occurred_at": at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "sequence": 1,
        "borrower": {
            "name": "Demo Borrower",
            "phone": PHONES[country],
            "email": f"{account}@example.com",
            "locale": locale,
            "timezone": zone,
            "country": country,
            "knowledge_check": {"kind": "birth_year", "salt": check.salt, "hash": check.digest},
        },
    }


def sent_links(base_url: str) -> dict[str, str]:
    """Phone number -> the portal link in the latest SMS sent to it (moto's SNS record)."""
    from moto.sns.models import sns_backends

    from arrears.local.runtime import ACCOUNT_ID, REGION

    pattern = re.compile(re.escape(base_url) + r"/c/[A-Za-z0-9_-]+")
    links: dict[str, str] = {}
    for phone, message in sns_backends[ACCOUNT_ID][REGION].sms_messages.values():
        found = pattern.search(message)
        if found:
            links[phone] = found.group(0)
    return links


def portal_command(args: argparse.Namespace) -> int:
    from arrears.local.portal_server import make_server
    from arrears.local.runtime import LocalRuntime

    base_url = f"http://{args.host}:{args.port}"
    env = {c.ENV_PORTAL_URL: base_url, c.ENV_PORTAL_SIGNING_SECRET: secrets.token_hex(32)}
    serve = sys.stdout.isatty() if args.serve is None else args.serve
    with LocalRuntime(start=START, seed=7, extra_env=env) as rt:
        for row in DEMO_BORROWERS:
            rt.put_event("wallet.payments", "PaymentStatusChanged", demo_event(row, rt.now))
        # the first reminders go out within each borrower's contact hours
        links: dict[str, str] = {}
        for _ in range(24):
            rt.advance(timedelta(hours=1))
            links = sent_links(base_url)
            if len(links) == len(DEMO_BORROWERS):
                break
        print("Borrower portal demo links (the knowledge check asks the year of birth):")
        for account, country, locale, *_rest, born in DEMO_BORROWERS:
            link = links.get(PHONES[country], "(no SMS sent)")
            print(f"  {locale:<6} {account:<15} year of birth {born}  {link}")
        if not serve:
            print(
                "These links work while `arrears portal` serves them: run "
                "`.venv/bin/arrears portal` and open one in a browser."
            )
            return 0
        server = make_server(rt, args.host, args.port)
        print(f"Serving the portal on {base_url} (Ctrl-C to stop)")
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            server.server_close()
    return 0
