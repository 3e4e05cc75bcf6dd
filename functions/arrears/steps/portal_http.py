"""The portal's HTTP surface: routes of an API Gateway HTTP API (Powertools event handler).

Translates requests into ``steps.portal`` calls and their answers into responses, each with
the same security headers: a Content-Security-Policy that allows only the page's own inline
style (by hash) and forms posted to the portal or the payment page, no framing, HSTS, no
referrer, no caching. Form bodies are capped and parsed strictly; a malformed one is
refused before any lookup. No request data is logged.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import parse_qsl

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.shared.cookies import Cookie, SameSite

from arrears.domain.portal.pages import STYLE_HASH
from arrears.steps.portal import SESSION_COOKIE, Portal, PortalRequest, PortalResponse

MAX_FORM_BYTES = 4096
MAX_FIELDS = 12


def security_headers(payment_origin: str) -> dict[str, str]:
    form_action = "'self'" + (f" {payment_origin}" if payment_origin else "")
    return {
        "Content-Security-Policy": (
            f"default-src 'none'; style-src '{STYLE_HASH}'; img-src 'self'; "
            f"form-action {form_action}; frame-ancestors 'none'; base-uri 'none'"
        ),
        "Strict-Transport-Security": "max-age=63072000; includeSubDomains",
        "Referrer-Policy": "no-referrer",
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY",
        "Cache-Control": "no-store",
        "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
        "Cross-Origin-Opener-Policy": "same-origin",
    }


class MalformedForm(ValueError):
    pass


def parse_form(body: str | None) -> dict[str, str]:
    """``application/x-www-form-urlencoded`` -> one value per field, or ``MalformedForm``."""
    text = body or ""
    if len(text.encode()) > MAX_FORM_BYTES:
        raise MalformedForm("form too large")
    try:
        pairs = parse_qsl(
            text, keep_blank_values=True, strict_parsing=bool(text), max_num_fields=MAX_FIELDS
        )
    except ValueError:
        raise MalformedForm("not a form") from None
    form: dict[str, str] = {}
    for key, value in pairs:
        if key in form:
            raise MalformedForm("field repeated")
        form[key] = value
    return form


def build_app(
    portal: Callable[[], Portal], payment_origin: str, secure: bool
) -> APIGatewayHttpResolver:
    app = APIGatewayHttpResolver()
    headers = security_headers(payment_origin)

    def respond(answer: PortalResponse) -> Response[str]:
        cookies = []
        if answer.set_session is not None:
            session, max_age = answer.set_session
            cookies.append(
                Cookie(
                    SESSION_COOKIE,
                    session,
                    path="/c/",
                    secure=secure,
                    http_only=True,
                    max_age=max_age,
                    same_site=SameSite.STRICT_MODE,
                )
            )
        extra = dict(headers)
        if answer.location:
            extra["Location"] = answer.location
        return Response(
            status_code=answer.status,
            content_type="text/html; charset=utf-8",
            body=answer.body,
            headers=extra,
            cookies=cookies,
        )

    def request(token: str, form: dict[str, str] | None = None) -> PortalRequest:
        event = app.current_event
        session = None
        for cookie in event.cookies or []:
            name, _, value = cookie.partition("=")
            if name.strip() == SESSION_COOKIE:
                session = value.strip()
        query = event.query_string_parameters or {}
        return PortalRequest(
            token=token,
            form=form or {},
            session=session,
            client=event.request_context.http.source_ip or "",
            done=query.get("done"),
        )

    def posted(token: str) -> PortalRequest | None:
        event = app.current_event
        kind = (event.headers or {}).get("content-type", "")
        if not kind.startswith("application/x-www-form-urlencoded"):
            return None
        try:
            return request(token, parse_form(event.decoded_body))
        except MalformedForm:
            return None

    def bad_form(token: str) -> Response[str]:
        # no form token can be read from it: refused like a form without one
        return respond(portal().act(request(token, {})))

    @app.get("/c/<token>")
    def view(token: str) -> Response[str]:
        return respond(portal().view(request(token)))

    @app.post("/c/<token>/check")
    def check(token: str) -> Response[str]:
        req = posted(token)
        return respond(portal().check(req)) if req else bad_form(token)

    @app.post("/c/<token>/act")
    def act(token: str) -> Response[str]:
        req = posted(token)
        return respond(portal().act(req)) if req else bad_form(token)

    @app.post("/c/<token>/pay")
    def pay(token: str) -> Response[str]:
        req = posted(token)
        return respond(portal().pay(req)) if req else bad_form(token)

    @app.not_found
    def not_found(_error: Exception) -> Response[str]:
        return respond(Portal.not_found())

    return app
