"""A broken template fails when the catalogue loads (tests, deploy), never in a message."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from arrears.domain.notices.templates import TEMPLATES_DIR, TemplateError, load_catalogue


@pytest.fixture
def templates(tmp_path: Path) -> Path:
    root = tmp_path / "templates"
    shutil.copytree(TEMPLATES_DIR, root)
    return root


def edit(path: Path, change: Callable[[str], str]) -> None:
    before = path.read_text(encoding="utf-8")
    after = change(before)
    assert after != before, "the edit must change the file"
    path.write_text(after, encoding="utf-8")


def test_the_packaged_templates_load(templates: Path) -> None:
    assert set(load_catalogue(templates).locales) == {
        "en-US",
        "zh-CN",
        "es-MX",
        "es-ES",
        "pt-BR",
        "id-ID",
    }


@pytest.mark.parametrize(
    ("file", "change", "message"),
    [
        (
            "messages/en-US/reminder.yaml",
            lambda s: s.replace("{due_date}", "{due_dat}", 1),
            r"unknown placeholder\(s\) \['due_dat'\]",
        ),
        (
            "messages/zh-CN/reminder.yaml",
            lambda s: s.replace("{opt_out}", "", 1),
            r"reminder.yaml: sms: must show \['opt_out'\]",
        ),
        (
            "messages/en-US/follow_up.yaml",
            lambda s: s.replace("[[Help: {contact} ]]", "Help: {contact} ", 1),
            r"\['contact'\] may have no value; put it inside \[\[ ... \]\]",
        ),
        (
            "messages/en-US/receipt.yaml",
            lambda s: s.replace("{amount_paid}", "the payment"),
            r"must show \['amount_paid'\]",
        ),
        (
            "messages/en-US/reminder.yaml",
            lambda s: s.replace("Pay now:", "Pay {now:", 1),
            "stray brace",
        ),
        (
            "messages/en-US/reminder.yaml",
            lambda s: s.replace("[[{disclosure} ]]", "[[{disclosure} ", 1),
            r"unbalanced or nested \[\[ \]\]",
        ),
        (
            "letters/en-US/lawyer_letter.yaml",
            lambda s: s.replace("agreement {contract_reference}", "the agreement", 1),
            r"must show \['contract_reference'\]",
        ),
        (
            "letters/zh-CN/_labels.yaml",
            lambda s: s.replace('late_fees: "滞纳金"\n', ""),
            "expected texts for",
        ),
        (
            "messages/en-US/plan_offer.yaml",
            lambda s: s.replace('subject: "A payment plan', 'subject: "A\\npayment plan', 1),
            "subject must be one line",
        ),
    ],
)
def test_broken_template_fails_at_load_naming_the_file(
    templates: Path, file: str, change: Callable[[str], str], message: str
) -> None:
    # Given one template edited into a broken state
    edit(templates / file, change)
    # When the catalogue loads, Then it refuses, naming the file and the problem
    with pytest.raises(TemplateError, match=message) as error:
        load_catalogue(templates)
    assert Path(file).name in str(error.value)


def test_a_locale_missing_a_template_is_refused(templates: Path) -> None:
    (templates / "messages" / "zh-CN" / "call_scheduled.yaml").unlink()
    with pytest.raises(TemplateError, match=r"call_scheduled\.yaml: missing"):
        load_catalogue(templates)


def test_a_new_locale_must_be_complete(templates: Path) -> None:
    (templates / "messages" / "fr-FR").mkdir()
    with pytest.raises(TemplateError, match=r"fr-FR/_phrases\.yaml: missing"):
        load_catalogue(templates)


def test_a_locale_without_its_own_set_is_written_in_its_language_s_main_set() -> None:
    catalogue = load_catalogue(TEMPLATES_DIR)
    assert catalogue.resolve("es-AR") == "es-MX"  # not es-ES, first in the alphabet
    assert catalogue.resolve("pt-PT") == "pt-BR"
    assert catalogue.resolve("es-ES") == "es-ES"
    assert catalogue.resolve("th-TH") == "en-US"
