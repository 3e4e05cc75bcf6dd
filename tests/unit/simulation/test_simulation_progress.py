"""The progress line of `arrears simulate`."""

from __future__ import annotations

import io

from arrears.local.simulation.command import Progress


def test_the_last_line_counts_case_days_and_each_policys_slowest_shard():
    stream = io.StringIO()
    progress = Progress(cases=2 * 3, days=10, stream=stream)  # 3 accounts, 2 policies
    progress.update(("A", 0, 10, 2))
    progress.update(("A", 1, 10, 1))
    progress.update(("B", 0, 4, 2))
    progress.update(("B", 1, 6, 1))
    progress.done(partial=True)
    last = stream.getvalue().splitlines()[-1]
    assert "44/60 case-days" in last  # 10 x 2 + 10 x 1 + 4 x 2 + 6 x 1
    assert "73.3%" in last
    assert "A day 10/10 B day 4/10" in last
    assert last.endswith("(interrupted)")
