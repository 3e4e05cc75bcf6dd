"""The demo portfolio: seeded, varied, and every event valid under the event contract."""

from __future__ import annotations

from arrears import constants as c
from arrears.domain.events import parse_borrower_replied, parse_payment_status
from arrears.local.events_file import parse_lines, to_line
from arrears.local.portfolio import BEHAVIOURS, build_portfolio


def test_the_same_seed_gives_the_same_portfolio_and_another_seed_a_different_one():
    first = [to_line(e) for e in build_portfolio(seed=5).entries]
    again = [to_line(e) for e in build_portfolio(seed=5).entries]
    other = [to_line(e) for e in build_portfolio(seed=6).entries]
    assert first == again
    assert first != other


def test_the_portfolio_spans_countries_timezones_and_every_behaviour():
    portfolio = build_portfolio(seed=7, borrowers=24)
    borrowers = portfolio.borrowers
    assert len(borrowers) >= 20
    assert {b.market.country for b in borrowers} >= {"CN", "US", "GB", "IN", "AU", "BR"}
    assert len({b.market.timezone for b in borrowers}) >= 6
    assert {b.behaviour for b in borrowers} == set(BEHAVIOURS)
    assert len({b.amount_due for b in borrowers}) == len(borrowers)  # varied amounts


def test_every_event_satisfies_the_event_contract_and_round_trips_as_an_events_file():
    # given the demo portfolio
    portfolio = build_portfolio(seed=7, borrowers=24)

    # when each event detail is parsed as ingest parses it
    for entry in portfolio.entries:
        assert entry.event is not None
        detail = entry.event.detail
        if entry.event.detail_type == c.DETAIL_PAYMENT_STATUS:
            event = parse_payment_status(detail)
            # then every amount is a decimal string and each account's sequence increases
            assert isinstance(detail["amount_due"], str)
            assert event.occurred_at == entry.at
        else:
            assert entry.event.detail_type == c.DETAIL_BORROWER_REPLIED
            parse_borrower_replied(detail)
    sequences: dict[str, list[int]] = {}
    for entry in portfolio.entries:
        assert entry.event is not None
        if "sequence" in entry.event.detail:
            sequences.setdefault(entry.event.detail["account_id"], []).append(
                entry.event.detail["sequence"]
            )
    assert all(s == sorted(s) and len(set(s)) == len(s) for s in sequences.values())

    # and the file written for `arrears run` parses back to the same entries
    lines = [to_line(e) for e in portfolio.entries]
    assert [to_line(e) for e in parse_lines(lines)] == lines
