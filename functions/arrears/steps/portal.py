"""The borrower portal's use cases: open a link, pass the knowledge check, act, pay.

Every request resolves its link first; an unknown, expired or revoked link, or one whose
case has closed, gets the same 404 page. Before the knowledge check nothing but the
creditor's name is shown. Each POST carries a one-time form token (``csrf``) issued with
the page and stored hashed on the link: without it, or with one already used, nothing
changes (a replayed POST gets a clear page). A borrower's action goes through the ops
domain exactly as an agent's (``domain.ops.plan_action`` via ``domain.portal.actions``),
is written by the ops store in one conditional transaction, wakes the case's waiting
execution (``steps.waking.deliver_wake``, as replies do), and is recorded on the timeline
with the actor ``borrower:portal``. Logs carry outcomes only: never the token, the session,
an answer, a name or a reason typed by the borrower.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from aws_lambda_powertools import Logger

from arrears import constants as c
from arrears.domain.case import (
    BorrowerRecord,
    CaseRecord,
    TimelineEntry,
    parse_iso_utc,
    payments_received,
)
from arrears.domain.errors import ArrearsError
from arrears.domain.ops import CaseSnapshot
from arrears.domain.portal import knowledge as kc
from arrears.domain.portal import pages, view
from arrears.domain.portal.actions import (
    ACTOR,
    TIMELINE_KIND,
    PortalAction,
    PortalRefusal,
    parse_preferences,
    plan_for,
    to_ops_action,
)
from arrears.domain.portal.payments import payment_url
from arrears.domain.portal.ports import LinkStore, OpsAlerts, Signer
from arrears.domain.portal.tokens import Link, session_valid, token_hash, usable, well_formed
from arrears.domain.ports import CaseRepository, OpsStore, TimelineRepository, Workflow

if TYPE_CHECKING:  # the policy (and the ladder it brings) loads with the first request
    from arrears.domain.policy import Policy

logger = Logger(service=c.SERVICE_NAME)

RATE_WINDOW_SECONDS = 600
NONCE_LIFETIME = timedelta(hours=1)
SESSION_COOKIE = "portal_session"


@dataclass(frozen=True)
class PortalRequest:
    token: str
    form: Mapping[str, str] = field(default_factory=dict)
    session: str | None = None
    client: str = ""  # the caller's address (only ever hashed)
    done: str | None = None  # ?done=<action>: the confirmation after a redirect


@dataclass(frozen=True)
class PortalResponse:
    status: int
    body: str = ""
    location: str | None = None
    set_session: tuple[str, int] | None = None  # (session id, max-age seconds)
    outcome: str = ""  # for the log line and the metric: never PII


@dataclass
class PortalDeps:
    links: LinkStore
    ops: OpsStore
    cases: CaseRepository
    borrowers: Any  # BorrowerRepository + preferences (adapters.links.BorrowerPreferences)
    timeline: TimelineRepository
    workflow: Callable[[], Workflow]
    signer: Signer
    alerts: OpsAlerts
    policy_of: Callable[[CaseRecord], Any]  # domain.policy.Policy for a case
    catalogue_locales: tuple[str, ...]
    contact_window: Callable[[BorrowerRecord], tuple[int, int]]
    # requests per client address in ten minutes when no link is found (guessing tokens)
    client_limit: int = 300
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    base_path: str = ""  # "" on the HTTP API: links are /c/<token>


def _hash(text: str) -> str:
    return token_hash(text)


class Portal:
    def __init__(self, deps: PortalDeps) -> None:
        self.deps = deps

    # ---- resolving a link --------------------------------------------------------------

    def _resolve(
        self, request: PortalRequest, now: datetime
    ) -> tuple[Link, CaseRecord, BorrowerRecord] | None:
        if not well_formed(request.token):
            return None
        link = self.deps.links.get(token_hash(request.token))
        if link is None:
            return None
        case = self.deps.cases.get(link.case_id)
        if case is None or not usable(link, case.is_open, now):
            return None
        borrower = self.deps.borrowers.get(case.account_id) or BorrowerRecord(case.account_id)
        return link, case, borrower

    def _limited(self, request: PortalRequest, now: datetime, policy: Any) -> bool:
        portal = policy.portal
        per_link = self.deps.links.hit(
            f"link#{token_hash(request.token)}", now, RATE_WINDOW_SECONDS
        )
        per_client = self.deps.links.hit(
            f"client#{_hash(request.client or '-')}", now, RATE_WINDOW_SECONDS
        )
        return per_link > portal.requests_per_link or per_client > portal.requests_per_client

    def _client_limited(self, request: PortalRequest, now: datetime, limit: int) -> bool:
        count = self.deps.links.hit(
            f"client#{_hash(request.client or '-')}", now, RATE_WINDOW_SECONDS
        )
        return count > limit

    @staticmethod
    def not_found() -> PortalResponse:
        return PortalResponse(404, pages.not_found_page(), outcome="not_found")

    def _unknown(self, request: PortalRequest, now: datetime) -> PortalResponse:
        """No usable link: the one 404 page, or 429 for an address guessing too often."""
        if self._client_limited(request, now, self.deps.client_limit):
            return PortalResponse(429, pages.not_found_page(), outcome="rate")
        return self.not_found()

    def _translator(self, borrower: BorrowerRecord) -> pages.Translator:
        language = pages.language_of(borrower.locale)
        return pages.Translator(language, pages.format_locale(borrower.locale, language))

    def _nonce(self, link: Link, now: datetime) -> str:
        nonce = secrets.token_urlsafe(24)
        self.deps.links.add_nonce(link.token_hash, _hash(nonce), now + NONCE_LIFETIME)
        return nonce

    def _base(self, request: PortalRequest) -> str:
        return f"{self.deps.base_path}/c/{request.token}"

    # ---- entry points ------------------------------------------------------------------

    def _open(
        self, request: PortalRequest, now: datetime
    ) -> PortalResponse | tuple[Link, CaseRecord, BorrowerRecord, Policy]:
        """What every request passes first: a live link and the rate limits; else the
        identical not-found page or the rate-limited one."""
        resolved = self._resolve(request, now)
        if resolved is None:
            return self._unknown(request, now)
        link, case, borrower = resolved
        policy = self.deps.policy_of(case)
        if self._limited(request, now, policy):
            return self._message(borrower, case, policy, "rate_limited", 429, None, "rate")
        return link, case, borrower, policy

    def view(self, request: PortalRequest) -> PortalResponse:
        now = self.deps.clock()
        opened = self._open(request, now)
        if isinstance(opened, PortalResponse):
            return opened
        link, case, borrower, policy = opened
        if link.locked(policy.portal.max_failed_checks):
            return self._locked(borrower, case, policy)
        if not session_valid(link, request.session, now):
            return self._check_page(request, link, case, borrower, policy, now)
        return self._case_page(request, link, case, borrower, policy, now)

    def check(self, request: PortalRequest) -> PortalResponse:
        now = self.deps.clock()
        opened = self._open(request, now)
        if isinstance(opened, PortalResponse):
            return opened
        link, case, borrower, policy = opened
        if not self._take_nonce(link, request, now):
            return self._message(borrower, case, policy, "error_replayed", 403, "", "csrf")
        limit = policy.portal.max_failed_checks
        check = kc.KnowledgeCheck.decode(borrower.knowledge_check)
        verdict = kc.verify(check, request.form.get("answer", ""), link.failed_checks, limit)
        if verdict is kc.Verdict.LOCKED:
            return self._locked(borrower, case, policy)
        t = self._translator(borrower)
        if verdict is kc.Verdict.MALFORMED:
            return self._check_page(
                request, link, case, borrower, policy, now, t("check_malformed"), 400
            )
        if verdict is kc.Verdict.FAILED:
            failed = self.deps.links.record_failure(link.token_hash)
            logger.info("portal check failed", extra={"failed_checks": failed})
            if failed >= limit:
                self._audit(case, "portal_link_locked", {"failed_checks": str(failed)}, now)
                return self._locked(borrower, case, policy)
            problem = t("check_wrong", left=limit - failed)
            return self._check_page(request, link, case, borrower, policy, now, problem, 400)
        session = secrets.token_urlsafe(32)
        minutes = policy.portal.session_minutes
        self.deps.links.start_session(
            link.token_hash, _hash(session), now + timedelta(minutes=minutes)
        )
        self._audit(case, "portal_opened", {"channel": link.channel}, now)
        return PortalResponse(
            303,
            location=self._base(request),
            set_session=(session, minutes * 60),
            outcome="check_passed",
        )

    def _admit_post(
        self, request: PortalRequest, now: datetime
    ) -> PortalResponse | tuple[CaseRecord, BorrowerRecord, Policy, str]:
        """What every POST passes first: a live link, the rate limits, a signed-in session
        and a form token not used before; else the page that says which one failed."""
        opened = self._open(request, now)
        if isinstance(opened, PortalResponse):
            return opened
        link, case, borrower, policy = opened
        back = self._base(request)
        if not session_valid(link, request.session, now):
            return self._message(borrower, case, policy, "error_session", 403, back, "session")
        if not self._take_nonce(link, request, now):
            return self._message(borrower, case, policy, "error_replayed", 409, back, "replayed")
        return case, borrower, policy, back

    def act(self, request: PortalRequest) -> PortalResponse:
        now = self.deps.clock()
        admitted = self._admit_post(request, now)
        if isinstance(admitted, PortalResponse):
            return admitted
        case, borrower, policy, back = admitted
        action = request.form.get("action", "")
        try:
            if action == PortalAction.PREFERENCES:
                self._preferences(case, borrower, request, now)
            else:
                self._apply(action, request, case, borrower, policy, now)
        except PortalRefusal as refusal:
            return self._refused(refusal.key, borrower, case, policy, now, back)
        return PortalResponse(303, location=f"{back}?done={action}", outcome=f"done_{action}")

    def pay(self, request: PortalRequest) -> PortalResponse:
        now = self.deps.clock()
        admitted = self._admit_post(request, now)
        if isinstance(admitted, PortalResponse):
            return admitted
        case, borrower, policy, back = admitted
        template = policy.portal.payment_url
        if not template:
            return self._message(borrower, case, policy, "error_not_now", 400, back, "no_pay")
        from arrears.steps.notices import case_reference

        url = payment_url(
            template, case_reference(case), case.balance, case.currency, self.deps.signer.sign
        )
        self._audit(case, "payment_redirect", {"amount": format(case.balance, "f")}, now)
        return PortalResponse(303, location=url, outcome="pay_redirect")

    # ---- the pieces --------------------------------------------------------------------

    def _take_nonce(self, link: Link, request: PortalRequest, now: datetime) -> bool:
        nonce = request.form.get("csrf", "")
        if not nonce or len(nonce) > 128:
            return False
        return self.deps.links.use_nonce(link.token_hash, _hash(nonce), now)

    def _apply(
        self,
        action: str,
        request: PortalRequest,
        case: CaseRecord,
        borrower: BorrowerRecord,
        policy: Any,
        now: datetime,
    ) -> None:
        today = _local_today(now, borrower.timezone)
        from arrears.domain.plans import installment_count

        fits = installment_count(case.balance, policy.plans)
        ops_action = to_ops_action(action, request.form, case, policy.portal, today, fits)
        kind = PortalAction(action)
        hours = policy.grace.payment_pending_hours
        execution = f"portal:{_hash(request.form.get('csrf', ''))[:32]}"

        def decide(snapshot: CaseSnapshot) -> Any:
            return plan_for(kind, ops_action, snapshot.case, now, snapshot.facts, hours)

        try:
            applied = self.deps.ops.apply(case.case_id, execution, now, decide)
        except PortalRefusal:
            raise
        except ArrearsError:
            raise PortalRefusal("not_now") from None
        if kind is PortalAction.PAID and not applied.repeated:
            # the money is to be found: ops are asked to reconcile within the grace window
            self.deps.alerts.payment_claimed(case.case_id, now + timedelta(hours=hours))
        woken = "not_waiting"
        if applied.wake is not None:
            from arrears.steps.waking import deliver_wake

            delivery = deliver_wake(self.deps.cases, self.deps.workflow, case.case_id, applied.wake)
            woken = "resumed" if delivery.resumed else delivery.outcome.value
        detail = {k: v for k, v in applied.timeline_detail.items() if v} | {
            "execution": execution,
            "case_execution": woken,
        }
        self.deps.ops.record(
            TimelineEntry(
                case_id=case.case_id,
                at=parse_iso_utc(applied.applied_at),
                kind=applied.timeline_kind,
                actor=ACTOR,
                detail=detail,
            ),
            execution,
        )
        logger.info("portal action applied", extra={"action": action, "case_execution": woken})

    def _preferences(
        self, case: CaseRecord, borrower: BorrowerRecord, request: PortalRequest, now: datetime
    ) -> None:
        window = self.deps.contact_window(borrower)
        prefs = parse_preferences(request.form, self.deps.catalogue_locales, window)
        self.deps.borrowers.set_preferences(borrower.account_id, prefs)
        detail = {
            "locale": prefs.locale or "",
            "channel": prefs.channel.value if prefs.channel else "",
        }
        if prefs.hours:
            detail["hours"] = f"{prefs.hours[0]}-{prefs.hours[1]}"
        self._audit(case, TIMELINE_KIND[PortalAction.PREFERENCES], detail, now)

    def _audit(self, case: CaseRecord, kind: str, detail: dict[str, str], now: datetime) -> None:
        clean = {key: value for key, value in detail.items() if value}
        self.deps.timeline.append(
            TimelineEntry(case_id=case.case_id, at=now, kind=kind, actor=ACTOR, detail=clean)
        )

    # ---- pages -------------------------------------------------------------------------

    def _creditor(self, policy: Any, borrower: BorrowerRecord) -> str:
        from arrears.domain.compliance import load_pack

        rules = load_pack(borrower.country or None).letters
        return str(rules.creditor.name if rules.creditor else policy.notices.creditor_name)

    def _check_page(
        self,
        request: PortalRequest,
        link: Link,
        case: CaseRecord,
        borrower: BorrowerRecord,
        policy: Any,
        now: datetime,
        problem: str | None = None,
        status: int = 200,
    ) -> PortalResponse:
        t = self._translator(borrower)
        check = kc.KnowledgeCheck.decode(borrower.knowledge_check)
        if check is None:
            return self._locked(borrower, case, policy)
        question = (
            t("check_birth_year")
            if check.kind is kc.KnowledgeKind.BIRTH_YEAR
            else t("check_account_last4")
        )
        body = pages.render(
            "check",
            t,
            creditor=self._creditor(policy, borrower),
            question=question,
            problem=problem,
            csrf=self._nonce(link, now),
            base=self._base(request),
        )
        return PortalResponse(
            status, body, outcome="check_page" if status == 200 else "check_retry"
        )

    def _locked(self, borrower: BorrowerRecord, case: CaseRecord, policy: Any) -> PortalResponse:
        t = self._translator(borrower)
        body = pages.render(
            "message",
            t,
            creditor=self._creditor(policy, borrower),
            heading=t("locked_heading"),
            text=t("locked_text"),
            is_error=True,
            back=None,
        )
        return PortalResponse(403, body, outcome="locked")

    def _message(
        self,
        borrower: BorrowerRecord,
        case: CaseRecord,
        policy: Any,
        key: str,
        status: int,
        back: str | None,
        outcome: str,
        **values: Any,
    ) -> PortalResponse:
        t = self._translator(borrower)
        body = pages.render(
            "message",
            t,
            creditor=self._creditor(policy, borrower),
            heading=t("error_heading"),
            text=t(key, **values),
            is_error=True,
            back=back or None,
        )
        return PortalResponse(status, body, outcome=outcome)

    def _refused(
        self,
        key: str,
        borrower: BorrowerRecord,
        case: CaseRecord,
        policy: Any,
        now: datetime,
        back: str,
    ) -> PortalResponse:
        t = self._translator(borrower)
        today = _local_today(now, borrower.timezone)
        first, last = view.promise_window(today, policy.portal)
        start, end = self.deps.contact_window(borrower)
        values = {
            "first": t.day(first),
            "last": t.day(last),
            "balance": t.money(case.balance, case.currency),
            "start": start,
            "end": end,
        }
        logger.info("portal action refused", extra={"refusal": key})
        return self._message(
            borrower, case, policy, f"error_{key}", 400, back, f"refused_{key}", **values
        )

    def _case_page(
        self,
        request: PortalRequest,
        link: Link,
        case: CaseRecord,
        borrower: BorrowerRecord,
        policy: Any,
        now: datetime,
    ) -> PortalResponse:
        from arrears.domain.balance import caps_for, case_breakdown
        from arrears.domain.events import minor_units

        t = self._translator(borrower)
        due = case.due_date or case.opened_at.date()
        breakdown = case_breakdown(
            case.obligations,
            case.stated_splits,
            max((now.date() - due).days, 0),
            policy.charges.as_charge_policy(),
            caps_for(borrower.country),
        )
        paid = payments_received(case, self.deps.timeline.list(case.case_id, ("payment",)))
        today = _local_today(now, borrower.timezone)
        first, last = view.promise_window(today, policy.portal)
        start, end = self.deps.contact_window(borrower)
        extra = self._promise_of(case)
        prefs: dict[str, str] = self.deps.borrowers.preferences(borrower.account_id)
        hours = str(prefs.get("preferred_hours") or "")
        hour_from, _, hour_to = hours.partition("-")
        done_key = f"done_{request.done}" if request.done else None
        body = pages.render(
            "case",
            t,
            creditor=self._creditor(policy, borrower),
            contact=policy.notices.contact_email or policy.notices.contact_phone or "",
            reference=case.case_id.replace("#", "-"),
            done=t(done_key) if done_key and done_key in pages.texts(t.language) else None,
            status_lines=view.status_lines(case, t, extra),
            rows=view.breakdown_rows(breakdown, paid, case.currency, t),
            total=t.money(case.balance, case.currency),
            due_since=t("due_since", date=t.day(due)),
            can_pay=bool(policy.portal.payment_url) and case.balance > 0,
            can_act=view.can_act(case),
            promise_first=t.day(first),
            promise_last=t.day(last),
            promise_min=first.isoformat(),
            promise_max=last.isoformat(),
            currency=case.currency,
            balance_plain=format(case.balance, "f"),
            plans=view.plan_previews(
                case, policy.portal, policy.plans, minor_units(case.currency), now, None, t
            ),
            locales=self._locale_choices(),
            current_locale=borrower.locale,
            current_channel=str(prefs.get("preferred_channel") or ""),
            window_start=start,
            window_end=end,
            hour_from=hour_from,
            hour_to=hour_to,
            csrf=self._nonce(link, now),
            base=self._base(request),
        )
        return PortalResponse(200, body, outcome="case_page")

    def _promise_of(self, case: CaseRecord) -> dict[str, Any]:
        if case.status.value != "PROMISED":
            return {}
        snapshot = self.deps.ops.snapshot(case.case_id)
        result = snapshot.last_ops_result or {}
        detail = result.get("timeline_detail") or {}
        if detail.get("promise_date") and detail.get("promise_amount"):
            return {
                "promise_date": detail["promise_date"],
                "promise_amount": str(Decimal(detail["promise_amount"])),
            }
        return {}

    def _locale_choices(self) -> list[tuple[str, str]]:
        return [(code, pages.locale_name(code)) for code in self.deps.catalogue_locales]


def payment_origin(policy: Any) -> str:
    """The payment page's origin, for the page's form-action CSP (the pay redirect)."""
    template = policy.portal.payment_url or ""
    parts = urlsplit(template.split("{", 1)[0])
    return f"{parts.scheme}://{parts.netloc}" if parts.netloc else ""


def _contact_window(borrower: BorrowerRecord) -> tuple[int, int]:
    """The borrower's pack's contact hours, as whole local hours [start, end]."""
    from arrears.domain.compliance import load_pack

    hours = load_pack(borrower.country or None).contact_hours
    end = hours.end.hour + (1 if hours.end.minute else 0)
    return hours.start.hour + (1 if hours.start.minute else 0), end


def _local_today(now: datetime, timezone: str | None) -> date:
    """The borrower's calendar day at ``now``."""
    from arrears.domain.ladder import local_zone

    return now.astimezone(local_zone(timezone)).date()


def portal_settings() -> dict[str, Any]:
    """What the portal reads from the deployment: the policy file, the template locales
    (the sets' folder names: the language menu needs no template parsed)."""
    from arrears.domain.policy import policy_by_version
    from arrears.domain.template_locales import shipped_locales
    from arrears.settings import settings

    policy_file = settings().policy_file

    def policy_of(case: CaseRecord) -> Any:
        return policy_by_version(case.policy_version, policy_file)

    from arrears.domain.policy import load_policy

    return {
        "policy_of": policy_of,
        "catalogue_locales": tuple(sorted(shipped_locales())),
        "contact_window": _contact_window,
        "client_limit": load_policy(policy_file).portal.requests_per_client,
    }


def payment_origin_default() -> str:
    from arrears.domain.policy import load_policy
    from arrears.settings import settings

    return payment_origin(load_policy(settings().policy_file))


def secure_cookies() -> bool:
    """Secure cookies wherever the portal is served over https (always, deployed)."""
    from arrears.settings import settings

    return not settings().portal_url.startswith("http://")
