"""report.html of `arrears simulate`, read back with an HTML parser from a hand-written
simulation.json of two policies over 10 days."""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from arrears.local.simulation.html import render_report

FIXTURE = Path(__file__).parents[1] / "data" / "simulation-two-policies.json"
VOID = {"meta", "br", "img", "input", "link", "hr", "source", "area", "base", "col", "wbr"}


@dataclass
class Element:
    tag: str
    attrs: dict[str, str]
    children: list[Element] = field(default_factory=list)
    text: str = ""

    def walk(self) -> list[Element]:
        found = [self]
        for child in self.children:
            found.extend(child.walk())
        return found

    def all(self, tag: str) -> list[Element]:
        return [element for element in self.walk() if element.tag == tag]

    def full_text(self) -> str:
        return (self.text + "".join(child.full_text() for child in self.children)).strip()


class TreeBuilder(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.root = Element("#document", {})
        self.stack = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, {name: value or "" for name, value in attrs})
        self.stack[-1].children.append(element)
        if tag not in VOID:
            self.stack.append(element)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.stack[-1].children.append(Element(tag, {name: value or "" for name, value in attrs}))

    def handle_endtag(self, tag: str) -> None:
        assert self.stack[-1].tag == tag, f"</{tag}> closes <{self.stack[-1].tag}>"
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.stack[-1].children.append(Element("#text", {}, text=data))


def parse(page: str) -> Element:
    builder = TreeBuilder()
    builder.feed(page)
    builder.close()
    assert builder.stack == [builder.root], "every element is closed"
    return builder.root


@pytest.fixture
def simulation() -> dict[str, Any]:
    return json.loads(FIXTURE.read_text(encoding="utf-8"))


@pytest.fixture
def page(simulation: dict[str, Any]) -> Element:
    return parse(render_report(simulation))


def test_the_page_loads_nothing_from_outside(simulation: dict[str, Any], page: Element):
    text = render_report(simulation)
    links = [
        (element.tag, name, value)
        for element in page.walk()
        for name, value in element.attrs.items()
        if name in ("src", "href", "xlink:href", "action", "srcset")
    ]
    assert all(value.startswith(("data:", "#")) for _, _, value in links), links
    assert page.all("script") == [] and page.all("link") == [] and page.all("iframe") == []
    assert "http://" not in text and "https://" not in text and "url(" not in text


def test_the_collection_curve_places_each_day_by_hand(page: Element):
    curve = next(svg for svg in page.all("svg") if svg.attrs.get("id") == "collection-curve")
    lines = {g.attrs["data-policy"]: g.all("polyline")[0] for g in curve.all("g")}
    points = {label: line.attrs["points"].split() for label, line in lines.items()}
    # Plot box: x from 64, 680 wide, 10 days; y bottom at 296, 280 high, the highest share
    # is 0.47 so the axis tops out at 0.5.
    # A, day 0, 0 %: (64, 296)
    assert points["A"][0] == "64,296"
    # A, day 5, 20 %: x = 64 + 5/10 x 680 = 404; y = 296 - 0.20/0.5 x 280 = 184
    assert points["A"][5] == "404,184"
    # A, day 10, 40 %: x = 744; y = 296 - 0.8 x 280 = 72
    assert points["A"][10] == "744,72"
    # B, day 3, 12 %: x = 64 + 0.3 x 680 = 268; y = 296 - 0.24 x 280 = 228.8
    assert points["B"][3] == "268,228.8"
    assert len(points["A"]) == len(points["B"]) == 11  # one point a day, days 0 to 10
    # the two lines differ by more than colour: B is dashed and has square markers
    assert lines["A"].attrs["stroke-dasharray"] != lines["B"].attrs["stroke-dasharray"]
    assert curve.attrs["role"] == "img" and "Collection curve" in curve.attrs["aria-label"]


def test_the_comparison_rows_carry_their_interval_and_a_plain_verdict(page: Element):
    rows = {tr.attrs["data-metric"]: tr for tr in page.all("tr") if "data-metric" in tr.attrs}
    assert len(rows) == 13

    def cells(metric: str) -> list[str]:
        return [cell.full_text() for cell in rows[metric].children if cell.tag in ("th", "td")]

    assert cells("Share of the balance recovered") == [
        "Share of the balance recovered",
        "B vs A",
        "40.0 %",
        "47.0 %",
        "+7.0 pp",
        "+2.1 pp to +11.9 pp",
        "Yes: B is higher",
    ]
    # the interval -2.5 pp to +17.5 pp holds zero
    assert cells("Cure rate (cases paid or resolved)")[5:] == [
        "-2.5 pp to +17.5 pp",
        "No: the difference may be chance",
    ]
    assert cells("Cost per case")[2:] == [
        "0.5138 USD",
        "0.3789 USD",
        "-0.1349 USD",
        "-0.2400 USD to -0.0300 USD",
        "Yes: B is lower",
    ]
    # an interval that ends on zero does not exclude it
    assert cells("Complaints per case")[6] == "No: the difference may be chance"


def test_no_difference_at_all_is_said_so_and_zero_money_is_plain(simulation: dict[str, Any]):
    cost = next(c for c in simulation["comparisons"] if c["metric"] == "cost_per_case.total")
    cost.update(difference="0.000000", ci95=["0.000000", "0.000000"])
    page = parse(render_report(simulation))
    (row,) = [tr for tr in page.all("tr") if tr.attrs.get("data-metric") == "Cost per case"]
    cells = [cell.full_text() for cell in row.children if cell.tag in ("th", "td")]
    assert cells[4:] == [
        "+0.00 USD",
        "+0.00 USD to +0.00 USD",
        "No: no difference in any resample",
    ]


def test_the_worker_count_is_shown_only_when_the_document_has_one(simulation: dict[str, Any]):
    facts = {dt.full_text() for dt in parse(render_report(simulation)).all("dt")}
    assert "Workers" in facts
    del simulation["workers"]  # a run may keep it beside simulation.json instead
    facts = {dt.full_text() for dt in parse(render_report(simulation)).all("dt")}
    assert "Workers" not in facts and "Seed" in facts


def test_the_partial_banner_appears_only_for_an_interrupted_run(simulation: dict[str, Any]):
    complete = parse(render_report(simulation))
    assert _alerts(complete) == []
    assert not complete.all("title")[0].full_text().startswith("PARTIAL")
    interrupted = copy.deepcopy(simulation)
    interrupted.update(partial=True, virtual_days_completed=6)
    page = parse(render_report(interrupted))
    assert page.all("title")[0].full_text().startswith("PARTIAL: ")
    (banner,) = _alerts(page)
    assert "PARTIAL RESULT" in banner.full_text()
    assert "6 of 10 virtual days" in banner.full_text()


def test_strings_from_the_command_line_and_the_files_are_escaped(simulation: dict[str, Any]):
    hostile = '<script>alert("x")</script>&.yaml'
    simulation["policies"][1]["file"] = hostile
    simulation["swaps"][0]["what"] = "<img src=https://example.com/x.png>"
    simulation["policies"][0]["metrics"]["compliance"]["blocked"]["<b>reason</b>"] = 1
    text = render_report(simulation)
    page = parse(text)
    assert hostile not in text
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;&amp;.yaml" in text
    assert page.all("script") == [] and page.all("img") == [] and page.all("b") == []
    assert any(cell.full_text() == hostile for cell in page.all("td"))  # shown as text


def test_contacts_and_costs_are_drawn_for_each_policy_with_their_values(page: Element):
    charts = {svg.attrs.get("aria-label", ""): svg for svg in page.all("svg")}
    contacts = next(svg for label, svg in charts.items() if label.startswith("Contacts per case"))
    labels = [text.full_text() for text in contacts.all("text")]
    assert "A: 2.10" in labels and "B: 2.60" in labels  # SMS per case, both policies
    # the longest bar (B's 2.60 SMS) fills the 420-unit bar area; A's 2.10 is 2.1/2.6 of it
    widths = sorted(float(rect.attrs["width"]) for rect in contacts.all("rect"))
    assert widths[-1] == 420.0
    assert 339.2 in widths
    costs = next(svg for label, svg in charts.items() if label.startswith("Cost per case"))
    assert "A: 0.4500" in [text.full_text() for text in costs.all("text")]  # letters


def test_compliance_and_borrower_experience_tables_count_each_policy(page: Element):
    rows = {
        tuple(cell.full_text() for cell in tr.children if cell.tag in ("th", "td"))
        for tr in page.all("tr")
    }
    # B had a wrong-number block that A never had: A shows 0
    assert ("blocked", "wrong number", "0", "1") in rows
    assert ("deferred", "frequency cap", "4", "0") in rows
    assert ("failed", "Throttling", "0", "2") in rows  # the provider refused two of B's sends
    assert ("Opt-outs", "3 (7.5 %)", "5 (12.5 %)") in rows  # 3 of 40 accounts = 7.5 %
    assert ("Hours to first contact, median", "10.5 h", "8.0 h") in rows
    assert ("Cases contacted at all", "38", "39") in rows
    assert ("Litigation referrals", "4 (10.0 %)", "2 (5.0 %)") in rows


def test_roll_rates_show_each_bucket_with_its_cases_and_shares(page: Element):
    tables = {t.all("caption")[0].full_text(): t for t in page.all("table")}
    table = tables["Policy A: roll rates"]
    header = [th.full_text() for th in table.all("th") if th.attrs.get("scope") == "col"]
    assert header == ["From", "Cases", "cured", "stay", "31-60", "61-90", "90+"]
    rows = [
        [cell.full_text() for cell in tr.children if cell.tag in ("th", "td")]
        for tr in table.all("tr")[1:]
    ]
    assert rows[0] == ["1-30 days", "40", "50.0 %", "20.0 %", "30.0 %", "–", "–"]
    # no case reached 90+ days: its shares of nothing are shown as none, not as 0 %
    assert rows[3] == ["90+ days", "0", "–", "–", "–", "–", "–"]
    # white mixed toward #1f4e9c by 0.7 x the share: 50 % mixes 0.35, so red is
    # 255 - 0.35 x (255 - 31) = 176.6 -> b1, green 193.05 -> c1, blue 220.35 -> dc;
    # 20 % mixes 0.14: 223.64 -> e0, 230.22 -> e6, 241.14 -> f1
    shades = [td.attrs["style"] for td in table.all("tr")[1].all("td")[1:3]]
    assert shades == ["background: #b1c1dc", "background: #e0e6f1"]


def test_a_metric_without_values_shows_dashes_and_no_verdict(simulation: dict[str, Any]):
    no_contact = simulation["comparisons"][-1]
    no_contact.update(
        baseline_value=None, challenger_value=None, difference=None, ci95=[None, None]
    )
    simulation["policies"][0]["metrics"]["time_to_first_contact_hours"]["p50"] = None
    page = parse(render_report(simulation))
    (row,) = [
        tr
        for tr in page.all("tr")
        if tr.attrs.get("data-metric") == "Median hours to first contact"
    ]
    cells = [cell.full_text() for cell in row.children if cell.tag in ("th", "td")]
    assert cells[2:] == ["–", "–", "–", "– to –", "No interval: too few cases had a value"]


def test_the_prices_used_are_listed_by_their_dotted_names(page: Element):
    rows = {
        tuple(cell.full_text() for cell in tr.children if cell.tag in ("th", "td"))
        for tr in page.all("tr")
    }
    assert ("reporting_currency", "USD") in rows
    assert ("rates.GBP", "1.3300") in rows


def _alerts(page: Element) -> list[Element]:
    return [element for element in page.walk() if element.attrs.get("role") == "alert"]
