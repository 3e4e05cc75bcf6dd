"""Template files: loading, validation at load time, and substitution.

Templates live as YAML files a reviewer can read and edit (`arrears/templates/`):

    messages/<locale>/<template_id>.yaml   sms: "...", email: {subject: "...", body: "..."}
    messages/<locale>/_phrases.yaml        opt-out lines, US disclosures, how-to-pay wording
    letters/<locale>/<kind>.yaml           title, salutation, paragraphs, closing
                                           [, enclosures: pages sent with the letter]
    letters/<locale>/<kind>.<variant>.yaml a jurisdiction's form of a letter, chosen by
                                           the compliance pack (e.g. pre_action_debt)
    letters/<locale>/_labels.yaml          table and header labels

Placeholders are `{name}` with names from `MESSAGE_VARIABLES` / `LETTER_VARIABLES`. A part
in `[[ ... ]]` is optional: it is dropped when any placeholder inside it has no value. At
load every file is checked: unknown placeholders, stray braces, unbalanced `[[ ]]`, a
placeholder that may be empty used outside `[[ ]]`, a required placeholder missing (amount
due, how to pay, opt-out line...), a locale missing a template. Any problem raises
`TemplateError` naming the file, so a broken template fails tests and deploys, never a
borrower's message.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from arrears.domain import yaml_text
from arrears.domain.notices.context import LetterKind, TemplateId
from arrears.domain.template_locales import DEFAULT_LOCALE, TEMPLATES_DIR, resolve_locale

PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")
OPTIONAL = re.compile(r"\[\[(.*?)\]\]", re.DOTALL)


class TemplateError(ValueError):
    """A template file cannot be used; the message names the file and the problem."""


class RenderError(ValueError):
    """A context lacks a value its template needs (e.g. a receipt without amount_paid)."""


# Variables every message context always provides (never None).
MESSAGE_ALWAYS = frozenset(
    {
        "borrower_name",
        "amount_due",
        "due_date",
        "creditor_name",
        "case_reference",
        "how_to_pay",
        "opt_out",
        "days_past_due",
        "principal",
        "interest",
        "late_fees",
        "total",
    }
)
# Variables that may be None; outside [[ ]] only where the template declares it needs them.
MESSAGE_OPTIONAL = frozenset(
    {
        "pay_link",
        "payment_instructions",
        "contact",
        "contact_phone",
        "contact_email",
        "opt_out_link",
        "amount_paid",
        "paid_at",
        "plan_installments",
        "plan_installment_amount",
        "plan_first_due_date",
        "call_at",
        "agent_name",
        "deadline",
        "disclosure",
    }
)
MESSAGE_VARIABLES = MESSAGE_ALWAYS | MESSAGE_OPTIONAL
LETTER_ALWAYS = MESSAGE_ALWAYS | frozenset(
    {
        "letter_date",
        "interest_since",
        "fees_since",
        "payments_since",
        "credits_since",
        # the same itemization signed the way Model Form B-1 prints it ("+ $5.00",
        # "– $20.00"), and a plain "$0.00" for nothing: never a negative zero
        "interest_added",
        "fees_added",
        "paid_or_credited",
    }
)
LETTER_OPTIONAL = MESSAGE_OPTIONAL | frozenset(
    {
        "contract_reference",
        "sender_name",
        "itemization_date",
        "amount_on_itemization_date",
        "collector_name",  # the debt collector sending a third party's letter
        "dispute_address",  # where a written dispute or reply form goes, on one line
    }
)
LETTER_VARIABLES = LETTER_ALWAYS | LETTER_OPTIONAL

# Placeholders each message must contain (in SMS and in the email body alike).
MESSAGE_MUST_SHOW = frozenset({"amount_due", "how_to_pay", "opt_out"})
# Optional context fields a template may use outside [[ ]]; render fails if they are absent.
MESSAGE_NEEDS: dict[TemplateId, frozenset[str]] = {
    TemplateId.RECEIPT: frozenset({"amount_paid"}),
    TemplateId.PLAN_OFFER: frozenset(
        {"plan_installments", "plan_installment_amount", "plan_first_due_date"}
    ),
    TemplateId.CALL_SCHEDULED: frozenset({"call_at"}),
    TemplateId.VALIDATION_NOTICE: frozenset({"deadline"}),
}
LETTER_MUST_SHOW: dict[LetterKind, frozenset[str]] = {
    LetterKind.REMINDER_LETTER: frozenset({"amount_due", "how_to_pay"}),
    LetterKind.DEMAND_LETTER: frozenset({"amount_due", "how_to_pay", "deadline"}),
    LetterKind.LAWYER_LETTER: frozenset(
        {"amount_due", "creditor_name", "contract_reference", "deadline", "contact"}
    ),
    LetterKind.VALIDATION_NOTICE: frozenset(
        {
            "collector_name",
            "creditor_name",
            "itemization_date",
            "amount_on_itemization_date",
            "deadline",
            "dispute_address",
        }
    ),
}
LETTER_NEEDS: dict[LetterKind, frozenset[str]] = {
    LetterKind.REMINDER_LETTER: frozenset(),
    LetterKind.DEMAND_LETTER: frozenset({"deadline"}),
    LetterKind.LAWYER_LETTER: frozenset({"deadline", "contract_reference", "contact"}),
    LetterKind.VALIDATION_NOTICE: frozenset(
        {
            "deadline",
            "itemization_date",
            "amount_on_itemization_date",
            "collector_name",
            "dispute_address",
        }
    ),
}

PHRASES = ("opt_out_sms", "opt_out_email", "disclosure_initial", "disclosure_subsequent")
PHRASE_VARIABLES = frozenset({"creditor_name", "opt_out_link", "contact"})
LETTER_LABELS = (
    "date",
    "reference",
    "contract_reference",
    "breakdown_title",
    "principal",
    "interest",
    "late_fees",
    "total",
)
LETTER_FIELDS = ("title", "salutation", "paragraphs", "closing")
ENCLOSURE_FIELDS = ("title", "paragraphs")


@dataclass(frozen=True)
class Text:
    """One validated template text; `placeholders` are all names it may substitute."""

    source: str  # file and field, for error messages
    raw: str
    placeholders: frozenset[str]
    required: frozenset[str]  # placeholders outside [[ ]]

    def render(self, values: Mapping[str, str | None]) -> str:
        def fill(segment: str, *, optional: bool) -> str | None:
            missing = [n for n in PLACEHOLDER.findall(segment) if not values.get(n)]
            if missing:
                if optional:
                    return None
                raise RenderError(f"{self.source}: no value for {', '.join(sorted(missing))}")
            return PLACEHOLDER.sub(lambda m: values[m.group(1)] or "", segment)

        parts: list[str] = []
        last = 0
        for match in OPTIONAL.finditer(self.raw):
            parts.append(fill(self.raw[last : match.start()], optional=False) or "")
            parts.append(fill(match.group(1), optional=True) or "")
            last = match.end()
        parts.append(fill(self.raw[last:], optional=False) or "")
        return _tidy("".join(parts))


def _tidy(text: str) -> str:
    # a dropped optional part must not leave double spaces or blank lines behind
    lines = [re.sub(r"[ \t]{2,}", " ", line).strip() for line in text.strip().splitlines()]
    out: list[str] = []
    for line in lines:
        if line or (out and out[-1]):
            out.append(line)
    return "\n".join(out).strip()


def parse_text(
    source: str,
    raw: Any,
    allowed: frozenset[str],
    may_be_empty: frozenset[str],
    needs: frozenset[str] = frozenset(),
) -> Text:
    if not isinstance(raw, str) or not raw.strip():
        raise TemplateError(f"{source}: expected non-empty text")
    if raw.count("[[") != raw.count("]]") or "[[" in "".join(OPTIONAL.split(raw)[1::2]):
        raise TemplateError(f"{source}: unbalanced or nested [[ ]]")
    names = frozenset(PLACEHOLDER.findall(raw))
    unknown = names - allowed
    if unknown:
        raise TemplateError(f"{source}: unknown placeholder(s) {sorted(unknown)}")
    if "{" in PLACEHOLDER.sub("", raw) or "}" in PLACEHOLDER.sub("", raw):
        raise TemplateError(f"{source}: stray brace (placeholders look like {{amount_due}})")
    outside = frozenset(PLACEHOLDER.findall(OPTIONAL.sub("", raw)))
    unsafe = (outside & may_be_empty) - needs
    if unsafe:
        raise TemplateError(
            f"{source}: {sorted(unsafe)} may have no value; put it inside [[ ... ]]"
        )
    return Text(source=source, raw=raw, placeholders=names, required=outside)


@dataclass(frozen=True)
class MessageTemplate:
    template_id: TemplateId
    locale: str
    sms: Text
    email_subject: Text
    email_body: Text


@dataclass(frozen=True)
class Enclosure:
    """A page sent with a letter (a reply form, an information sheet), on its own page."""

    title: Text
    paragraphs: tuple[Text, ...]


@dataclass(frozen=True)
class LetterTemplate:
    kind: LetterKind
    locale: str
    title: Text
    salutation: Text
    paragraphs: tuple[Text, ...]
    closing: Text
    enclosures: tuple[Enclosure, ...] = ()
    variant: str | None = None


@dataclass(frozen=True)
class LocalePack:
    locale: str
    phrases: Mapping[str, Text]
    labels: Mapping[str, str]
    messages: Mapping[TemplateId, MessageTemplate]
    letters: Mapping[LetterKind, LetterTemplate]
    # a jurisdiction's form of a letter: (kind, variant) -> template
    variants: Mapping[tuple[LetterKind, str], LetterTemplate] = field(default_factory=dict)


@dataclass(frozen=True)
class Catalogue:
    packs: Mapping[str, LocalePack]

    @property
    def locales(self) -> tuple[str, ...]:
        return tuple(sorted(self.packs))

    def resolve(self, locale: str | None, default: str | None = None) -> str:
        """The locale to use: exact match, else same language, else ``default`` (the
        policy's default language) when a set serves it, else en-US
        (``domain.template_locales``)."""
        return resolve_locale(self.packs.keys(), locale, default)

    def pack(self, locale: str | None, default: str | None = None) -> LocalePack:
        return self.packs[self.resolve(locale, default)]

    def letter(
        self,
        kind: LetterKind,
        locale: str | None,
        variant: str | None = None,
        default: str | None = None,
    ) -> tuple[LocalePack, LetterTemplate]:
        """The template a letter is written from, and the set it comes from. A variant the
        borrower's language has no text for is written in en-US: the law's form in
        English beats the ordinary letter in the borrower's language."""
        pack = self.pack(locale, default)
        if variant is None:
            return pack, pack.letters[kind]
        for candidate in (pack, self.packs[DEFAULT_LOCALE]):
            if (kind, variant) in candidate.variants:
                return candidate, candidate.variants[kind, variant]
        raise TemplateError(f"no template set has {kind.value}.{variant}")


def _load_yaml(path: Path) -> dict[str, Any]:
    try:
        data = yaml_text.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise TemplateError(f"{path}: not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise TemplateError(f"{path}: expected a mapping at the top level")
    return data


def _rel(path: Path, root: Path) -> str:
    return str(path.relative_to(root)) if path.is_relative_to(root) else str(path)


def _must_show(text: Text, names: Iterable[str]) -> None:
    missing = sorted(set(names) - text.placeholders)
    if missing:
        raise TemplateError(f"{text.source}: must show {missing}")


def _load_message(path: Path, root: Path, template_id: TemplateId, locale: str) -> MessageTemplate:
    data = _load_yaml(path)
    src = _rel(path, root)
    extra = set(data) - {"sms", "email", "description"}
    if extra:
        raise TemplateError(f"{src}: unexpected keys {sorted(extra)}")
    email = data.get("email")
    if not isinstance(email, dict) or set(email) != {"subject", "body"}:
        raise TemplateError(f"{src}: email needs exactly subject and body")
    needs = MESSAGE_NEEDS.get(template_id, frozenset())
    args = (MESSAGE_VARIABLES, MESSAGE_OPTIONAL, needs)
    sms = parse_text(f"{src}: sms", data.get("sms"), *args)
    subject = parse_text(f"{src}: email.subject", email["subject"], *args)
    body = parse_text(f"{src}: email.body", email["body"], *args)
    if "\n" in subject.raw.strip():
        raise TemplateError(f"{src}: email.subject must be one line")
    for text in (sms, body):
        _must_show(text, MESSAGE_MUST_SHOW | needs)
    return MessageTemplate(template_id, locale, sms, subject, body)


def _paragraphs(src: str, raw: Any, args: tuple[frozenset[str], ...]) -> tuple[Text, ...]:
    if not isinstance(raw, list) or not raw:
        raise TemplateError(f"{src}: paragraphs must be a non-empty list")
    return tuple(parse_text(f"{src}: paragraphs[{i}]", text, *args) for i, text in enumerate(raw))


def _load_enclosures(src: str, raw: Any, args: tuple[frozenset[str], ...]) -> tuple[Enclosure, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list) or not all(isinstance(e, dict) for e in raw):
        raise TemplateError(f"{src}: enclosures must be a list of {list(ENCLOSURE_FIELDS)}")
    enclosures = []
    for i, item in enumerate(raw):
        where = f"{src}: enclosures[{i}]"
        if set(item) != set(ENCLOSURE_FIELDS):
            raise TemplateError(f"{where}: expected exactly {list(ENCLOSURE_FIELDS)}")
        title = parse_text(f"{where}.title", item["title"], *args)
        enclosures.append(Enclosure(title, _paragraphs(where, item["paragraphs"], args)))
    return tuple(enclosures)


def _load_letter(
    path: Path, root: Path, kind: LetterKind, locale: str, variant: str | None = None
) -> LetterTemplate:
    data = _load_yaml(path)
    src = _rel(path, root)
    extra = set(data) - {*LETTER_FIELDS, "enclosures", "description"}
    if extra:
        raise TemplateError(f"{src}: unexpected keys {sorted(extra)}")
    args = (LETTER_VARIABLES, LETTER_OPTIONAL, LETTER_NEEDS[kind])
    title = parse_text(f"{src}: title", data.get("title"), *args)
    salutation = parse_text(f"{src}: salutation", data.get("salutation"), *args)
    paragraphs = _paragraphs(src, data.get("paragraphs"), args)
    closing = parse_text(f"{src}: closing", data.get("closing"), *args)
    enclosures = _load_enclosures(src, data.get("enclosures"), args)
    texts = (title, salutation, *paragraphs, closing)
    texts += tuple(t for e in enclosures for t in (e.title, *e.paragraphs))
    shown = frozenset().union(*(t.placeholders for t in texts))
    missing = sorted(LETTER_MUST_SHOW[kind] - shown)
    if missing:
        raise TemplateError(f"{src}: must show {missing}")
    return LetterTemplate(kind, locale, title, salutation, paragraphs, closing, enclosures, variant)


def _load_variants(
    directory: Path, root: Path, locale: str
) -> dict[tuple[LetterKind, str], LetterTemplate]:
    variants = {}
    for path in sorted(directory.glob("*.*.yaml")):
        kind_name, variant = path.name.removesuffix(".yaml").split(".", 1)
        try:
            kind = LetterKind(kind_name)
        except ValueError:
            raise TemplateError(f"{_rel(path, root)}: unknown letter kind {kind_name!r}") from None
        variants[kind, variant] = _load_letter(path, root, kind, locale, variant)
    return variants


def load_catalogue(root: Path = TEMPLATES_DIR) -> Catalogue:
    """Load and validate every template under `root`; raise on the first problem."""
    messages_dir, letters_dir = root / "messages", root / "letters"
    locales = (
        sorted(p.name for p in messages_dir.iterdir() if p.is_dir())
        if messages_dir.is_dir()
        else []
    )
    if DEFAULT_LOCALE not in locales:
        raise TemplateError(f"{messages_dir}: the default locale {DEFAULT_LOCALE} is missing")
    packs: dict[str, LocalePack] = {}
    for locale in locales:
        phrase_path = messages_dir / locale / "_phrases.yaml"
        if not phrase_path.is_file():
            raise TemplateError(f"{_rel(phrase_path, root)}: missing")
        phrase_data = _load_yaml(phrase_path)
        if set(phrase_data) != set(PHRASES):
            raise TemplateError(f"{_rel(phrase_path, root)}: expected exactly {list(PHRASES)}")
        phrases = {
            key: parse_text(
                f"{_rel(phrase_path, root)}: {key}",
                phrase_data[key],
                PHRASE_VARIABLES,
                PHRASE_VARIABLES - {"creditor_name"},
            )
            for key in PHRASES
        }
        labels_path = letters_dir / locale / "_labels.yaml"
        if not labels_path.is_file():
            raise TemplateError(f"{_rel(labels_path, root)}: missing")
        label_data = _load_yaml(labels_path)
        if set(label_data) != set(LETTER_LABELS) or not all(
            isinstance(v, str) and v.strip() for v in label_data.values()
        ):
            raise TemplateError(
                f"{_rel(labels_path, root)}: expected texts for {list(LETTER_LABELS)}"
            )
        messages: dict[TemplateId, MessageTemplate] = {}
        for template_id in TemplateId:
            path = messages_dir / locale / f"{template_id.value}.yaml"
            if not path.is_file():
                raise TemplateError(f"{_rel(path, root)}: missing")
            messages[template_id] = _load_message(path, root, template_id, locale)
        letters: dict[LetterKind, LetterTemplate] = {}
        for kind in LetterKind:
            path = letters_dir / locale / f"{kind.value}.yaml"
            if not path.is_file():
                raise TemplateError(f"{_rel(path, root)}: missing")
            letters[kind] = _load_letter(path, root, kind, locale)
        variants = _load_variants(letters_dir / locale, root, locale)
        packs[locale] = LocalePack(locale, phrases, dict(label_data), messages, letters, variants)
    return Catalogue(packs)


@cache
def catalogue() -> Catalogue:
    """The packaged catalogue, loaded and validated once per process."""
    return load_catalogue()
