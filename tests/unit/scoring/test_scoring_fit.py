"""Fitting on the synthetic portfolio: the documented command reaches the documented AUC.

docs/scoring.md documents: `arrears model generate --rows 30000 --seed 7` then
`arrears model fit --seed 7` reaches holdout AUC 0.738 and KS 0.343 (true model: ~0.745).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from arrears.cli import main
from arrears.domain.scoring import load_scorecard, load_scorecard_file

DOCUMENTED_HOLDOUT_AUC = 0.738
DOCUMENTED_HOLDOUT_KS = 0.343


@pytest.fixture(scope="module")
def fitted(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    work = tmp_path_factory.mktemp("fit")
    data, out = work / "history.csv", work / "scorecard-9.9.9.json"
    assert main(["model", "generate", "--rows", "30000", "--seed", "7", "--out", str(data)]) == 0
    assert main(["model", "fit", "--data", str(data), "--seed", "7", "--out", str(out)]) == 0
    return out, data.read_text(encoding="utf-8")


@pytest.mark.fit
def test_documented_fit_reaches_the_documented_auc_and_ks(
    fitted: tuple[Path, str], capsys: pytest.CaptureFixture[str]
) -> None:
    # given the documented commands ran (fixture)
    out, _ = fitted

    # then the written model is valid, versioned from the file name, and as good as documented
    card = load_scorecard_file(out)
    assert card.version == "9.9.9"
    fit = card.metadata
    assert fit["holdout_auc"] == pytest.approx(DOCUMENTED_HOLDOUT_AUC, abs=0.003)
    assert fit["holdout_ks"] == pytest.approx(DOCUMENTED_HOLDOUT_KS, abs=0.005)
    assert fit["holdout_rows"] == 9000


@pytest.mark.fit
def test_fit_recovers_the_known_directions(fitted: tuple[Path, str]) -> None:
    # given the model fitted on data whose true effects are known (synthetic.LOGIT_EFFECTS)
    card = load_scorecard_file(fitted[0])
    by_name = {c.name: c for c in card.characteristics}

    def points(name: str, value: str) -> int:
        return by_name[name].bin_for(value).points

    # then reply sentiment and reachability keep the true order
    assert (
        points("sentiment", "positive")
        > points("sentiment", "neutral")
        > points("sentiment", "mixed")
        > points("sentiment", "negative")
    )
    assert points("reachability", "reachable") > points("reachability", "email_bounced")
    assert points("reachability", "email_bounced") > points("reachability", "both_failed")
    # and the strong numeric drivers are in, monotonic (validated on load) and not flat
    for name in ("days_past_due", "on_time_payment_ratio", "broken_promises"):
        bins = by_name[name].bins
        assert len(bins) >= 2 and bins[0].points != bins[-1].points, name
    # amount_overdue has no effect of its own in the truth, only through the limit ratio
    assert "amount_overdue" not in by_name
    assert "amount_overdue" in card.metadata["dropped"]


@pytest.mark.fit
def test_shipped_model_is_what_the_documented_command_produces(fitted: tuple[Path, str]) -> None:
    # given the shipped 1.0.0 and a fresh fit with the documented command
    shipped = load_scorecard("1.0.0")
    fresh = json.loads(fitted[0].read_text(encoding="utf-8"))

    # then the same characteristics, bins and (within a point of rounding) points
    assert [c["name"] for c in fresh["characteristics"]] == [
        c.name for c in shipped.characteristics
    ]
    for doc, characteristic in zip(fresh["characteristics"], shipped.characteristics, strict=True):
        assert len(doc["bins"]) == len(characteristic.bins), characteristic.name
        for bin_doc, shipped_bin in zip(doc["bins"], characteristic.bins, strict=True):
            assert abs(bin_doc["points"] - shipped_bin.points) <= 1, characteristic.name
    assert fresh["fit"]["data_sha256"] == shipped.metadata["data_sha256"]


@pytest.mark.fit
def test_fit_refuses_data_without_the_outcome(tmp_path: Path) -> None:
    # given a CSV with no outcome column
    data = tmp_path / "bad.csv"
    data.write_text("account_id,days_past_due\na-1,3\na-2,40\n", encoding="utf-8")

    # when fitted, then the command fails with a non-zero code and writes nothing
    out = tmp_path / "scorecard-x.json"
    assert main(["model", "fit", "--data", str(data), "--out", str(out)]) == 1
    assert not out.exists()
