"""Monotonic binning and weight of evidence (WoE), written for scorecards.

Numeric characteristics: start from quantile cut points rounded to readable numbers, merge
bins smaller than `min_share` of the rows, then merge adjacent bins until the WoE moves in
the declared direction (pool-adjacent-violators). Missing values get their own bin.
Categorical characteristics: one bin per category.

WoE of a bin = ln(share of all goods in the bin / share of all bads in the bin), with
pseudo-counts that pull small bins towards 0 (the population average) so a handful of rows
cannot produce an extreme weight.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int_]

PSEUDO_COUNT = 20.0  # rows' worth of population average added to every bin
MIN_MISSING_ROWS = 50  # fewer missing rows than this: the missing bin gets WoE 0


@dataclass
class BinStats:
    lower: float | None
    upper: float | None
    goods: int
    bads: int
    woe: float = 0.0
    values: tuple[str, ...] = ()

    @property
    def rows(self) -> int:
        return self.goods + self.bads


@dataclass
class Binning:
    name: str
    numeric: bool
    bins: list[BinStats]
    missing: BinStats
    direction: str | None  # "ascending" / "descending" for numeric, None for categorical
    iv: float = 0.0

    def woe_of(self, values: list[float | str | None]) -> FloatArray:
        """Transform raw characteristic values into their bins' WoE."""
        if self.numeric:
            x = np.array([np.nan if v is None else v for v in values], dtype=float)
            edges = np.array([b.upper for b in self.bins[:-1]], dtype=float)
            woes = np.array([b.woe for b in self.bins], dtype=float)
            out = woes[np.searchsorted(edges, np.nan_to_num(x), side="right")]
            out[np.isnan(x)] = self.missing.woe
            return np.asarray(out, dtype=float)
        lookup = {v: b.woe for b in self.bins for v in b.values}
        return np.array(
            [self.missing.woe if v is None else lookup.get(str(v), 0.0) for v in values],
            dtype=float,
        )


def woe(goods: float, bads: float, total_goods: float, total_bads: float) -> float:
    """ln(bin's good:bad odds / population's), each bin topped up with PSEUDO_COUNT average rows."""
    total = total_goods + total_bads
    g = goods + PSEUDO_COUNT * total_goods / total
    b = bads + PSEUDO_COUNT * total_bads / total
    return math.log(g / b) - math.log(total_goods / total_bads)


def nice_number(x: float) -> float:
    """Round to two significant figures, so cut points read like a person chose them."""
    if x == 0 or not math.isfinite(x):
        return x
    return float(f"{x:.2g}")


def bin_numeric(
    name: str,
    values: list[float | None],
    y: IntArray,
    direction: str,
    max_bins: int = 8,
    min_share: float = 0.05,
) -> Binning:
    x = np.array([np.nan if v is None else v for v in values], dtype=float)
    present = ~np.isnan(x)
    xs, ys = x[present], y[present]
    total_goods, total_bads = int(y.sum()), int(len(y) - y.sum())

    quantiles = np.quantile(xs, np.linspace(0, 1, max_bins + 1)[1:-1]) if len(xs) else []
    edges = sorted({nice_number(float(q)) for q in quantiles})
    # a cut at or below the minimum would leave an empty first bin
    edges = [e for e in edges if xs.min() < e <= xs.max()] if len(xs) else []

    def stats(lower: float | None, upper: float | None) -> BinStats:
        mask = np.ones(len(xs), dtype=bool)
        if lower is not None:
            mask &= xs >= lower
        if upper is not None:
            mask &= xs < upper
        goods = int(ys[mask].sum())
        return BinStats(lower, upper, goods, int(mask.sum()) - goods)

    bounds: list[float | None] = [None, *edges, None]
    bins = [stats(bounds[i], bounds[i + 1]) for i in range(len(bounds) - 1)]
    bins = _merge_small(bins, max(1, int(min_share * len(y))))
    for b in bins:
        b.woe = woe(b.goods, b.bads, total_goods, total_bads)
    bins = _merge_until_monotonic(bins, direction, total_goods, total_bads)

    missing_goods = int(y[~present].sum())
    missing = BinStats(None, None, missing_goods, int((~present).sum()) - missing_goods)
    if missing.rows >= MIN_MISSING_ROWS:
        missing.woe = woe(missing.goods, missing.bads, total_goods, total_bads)
    binning = Binning(name, True, bins, missing, direction)
    binning.iv = information_value(binning, total_goods, total_bads)
    return binning


def bin_categorical(
    name: str, values: list[str | None], categories: tuple[str, ...], y: IntArray
) -> Binning:
    total_goods, total_bads = int(y.sum()), int(len(y) - y.sum())
    labels = np.array(["" if v is None else v for v in values], dtype=object)
    bins = []
    for category in categories:
        mask = labels == category
        goods = int(y[mask].sum())
        stat = BinStats(None, None, goods, int(mask.sum()) - goods, values=(category,))
        stat.woe = woe(stat.goods, stat.bads, total_goods, total_bads) if stat.rows else 0.0
        bins.append(stat)
    mask = labels == ""
    goods = int(y[mask].sum())
    missing = BinStats(None, None, goods, int(mask.sum()) - goods)
    if missing.rows >= MIN_MISSING_ROWS:
        missing.woe = woe(missing.goods, missing.bads, total_goods, total_bads)
    binning = Binning(name, False, bins, missing, None)
    binning.iv = information_value(binning, total_goods, total_bads)
    return binning


def information_value(binning: Binning, total_goods: int, total_bads: int) -> float:
    iv = 0.0
    for b in [*binning.bins, binning.missing]:
        iv += (b.goods / total_goods - b.bads / total_bads) * b.woe
    return iv


def _merge(left: BinStats, right: BinStats) -> BinStats:
    return BinStats(left.lower, right.upper, left.goods + right.goods, left.bads + right.bads)


def _merge_small(bins: list[BinStats], min_rows: int) -> list[BinStats]:
    bins = list(bins)
    while len(bins) > 1:
        smallest = min(range(len(bins)), key=lambda i: bins[i].rows)
        if bins[smallest].rows >= min_rows:
            break
        if smallest == 0:
            neighbour = 1
        elif smallest == len(bins) - 1:
            neighbour = smallest - 1
        else:  # merge towards the smaller neighbour, keeping bins balanced
            neighbour = min(smallest - 1, smallest + 1, key=lambda i: bins[i].rows)
        i, j = sorted((smallest, neighbour))
        bins[i : j + 1] = [_merge(bins[i], bins[j])]
    return bins


def _merge_until_monotonic(
    bins: list[BinStats], direction: str, total_goods: int, total_bads: int
) -> list[BinStats]:
    sign = 1 if direction == "ascending" else -1
    bins = list(bins)
    while True:
        violation = next(
            (i for i in range(len(bins) - 1) if sign * (bins[i + 1].woe - bins[i].woe) < 0),
            None,
        )
        if violation is None:
            return bins
        merged = _merge(bins[violation], bins[violation + 1])
        merged.woe = woe(merged.goods, merged.bads, total_goods, total_bads)
        bins[violation : violation + 2] = [merged]
