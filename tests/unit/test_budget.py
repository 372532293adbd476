"""The run's time budget with a fake clock: shares, reserves, plans, over-runs, the record."""

from __future__ import annotations

import math

import pytest

from fas_ray._postfit import (
    MIN_CHART_ROWS,
    MIN_ERROR_ROWS,
    MIN_FIT_S,
    PostfitCosts,
    chart_rows,
    error_rows,
    estimate_postfit,
    fit_seconds,
    png_seconds,
)
from fas_ray.budget import Budget, process_started_at
from fas_ray.config import RunSpec
from fas_ray.exceptions import ConfigError
from fas_ray.pipeline import run_budget_s


class FakeClock:
    """A clock that moves only when the test says so."""

    def __init__(self, now: float = 100.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def test_a_bounded_budget_counts_down_from_its_start(clock: FakeClock) -> None:
    budget = Budget(60.0, clock=clock)
    assert budget.bounded and budget.started_at == 100.0
    assert budget.deadline == 160.0 and budget.hard_deadline == pytest.approx(166.0)
    clock.advance(15.0)
    assert budget.elapsed() == 15.0 and budget.left() == 45.0
    assert budget.over_s() == 0.0 and budget.within_tolerance()


def test_a_start_in_the_past_counts_the_time_before_the_budget(clock: FakeClock) -> None:
    budget = Budget(30.0, clock=clock, start=clock.now - 4.0)  # e.g. the process start
    assert budget.elapsed() == 4.0 and budget.left() == 26.0


def test_an_unbounded_budget_never_runs_out_and_plans_full_size(clock: FakeClock) -> None:
    budget = Budget(None, clock=clock)
    clock.advance(1e6)
    assert not budget.bounded and budget.deadline is None and budget.hard_deadline is None
    assert budget.left() == math.inf and budget.over_s() == 0.0 and budget.within_tolerance()
    assert budget.share(0.5, reserve=10.0) is None
    plan = budget.plan(1e9)
    assert plan.full and plan.allotted_s is None and plan.scale == 1.0


def test_shares_are_taken_after_the_reserve(clock: FakeClock) -> None:
    budget = Budget(100.0, clock=clock)
    clock.advance(20.0)
    assert budget.share() == 80.0
    assert budget.share(0.5) == 40.0
    assert budget.share(0.85, reserve=20.0) == pytest.approx(51.0)
    assert budget.share(1.0, reserve=200.0) == 0.0  # a reserve larger than what is left
    assert budget.share(1.0, reserve=200.0, floor=5.0) == 5.0
    with pytest.raises(ConfigError, match="fraction"):
        budget.share(1.5)


def test_after_an_overrun_left_clamps_to_zero(clock: FakeClock) -> None:
    budget = Budget(30.0, clock=clock)
    clock.advance(32.0)
    assert budget.left() == 0.0
    assert budget.over_s() == 2.0
    assert budget.within_tolerance()  # 32 s <= 33 s
    clock.advance(2.0)
    assert not budget.within_tolerance()  # 34 s > 33 s
    assert budget.share(1.0) == 0.0
    assert budget.plan(1.0).skipped


def test_a_plan_within_the_tolerance_runs_full_size(clock: FakeClock) -> None:
    budget = Budget(100.0, clock=clock)
    assert budget.plan(10.5, allotted_s=10.0).full  # 5 % over: estimates are rough
    assert budget.plan(11.0, allotted_s=10.0).full  # exactly +10 %
    reduced = budget.plan(11.5, allotted_s=10.0)
    assert reduced.mode == "reduced" and reduced.scale == pytest.approx(10.0 / 11.5)


def test_a_plan_is_reduced_or_skipped_below_its_smallest_useful_scale(clock: FakeClock) -> None:
    budget = Budget(100.0, clock=clock)
    clock.advance(96.0)  # 4 s left
    plan = budget.plan(16.0)
    assert plan.mode == "reduced" and plan.allotted_s == 4.0 and plan.scale == 0.25
    skipped = budget.plan(16.0, min_scale=0.5)
    assert skipped.skipped and skipped.scale == 0.0 and skipped.estimate_s == 16.0
    assert budget.plan(0.0).full  # a free stage always fits
    assert budget.plan(5.0, allotted_s=0.0).skipped


def test_the_tolerance_is_configurable(clock: FakeClock) -> None:
    strict = Budget(100.0, clock=clock, tolerance=0.0)
    assert strict.plan(10.5, allotted_s=10.0).mode == "reduced"
    assert strict.hard_deadline == strict.deadline


@pytest.mark.parametrize("total", [0.0, -5.0, math.inf, math.nan])
def test_a_budget_must_be_positive_and_finite(total: float) -> None:
    with pytest.raises(ConfigError, match="positive number of seconds"):
        Budget(total)


def test_a_negative_tolerance_is_refused() -> None:
    with pytest.raises(ConfigError, match="tolerance"):
        Budget(10.0, tolerance=-0.1)


def test_stages_record_what_they_got_and_used_and_notes_mark_them_reduced(
    clock: FakeClock,
) -> None:
    budget = Budget(60.0, clock=clock)
    with budget.stage("fit", 40.0) as fit:
        clock.advance(42.5)
    with budget.stage("explain") as explain:
        explain.allotted_s = 3.0
        clock.advance(2.0)
        budget.note("SHAP on 40 rows instead of 100: 3 s left", explain)
    budget.note("a run-level note")
    with pytest.raises(RuntimeError), budget.stage("charts", 1.0):
        clock.advance(0.5)
        raise RuntimeError("boom")
    assert fit.used_s == 42.5 and fit.mode == "full" and fit.notes == []
    assert explain.mode == "reduced" and explain.used_s == 2.0
    record = budget.to_json()
    assert record["total_s"] == 60.0 and record["elapsed_s"] == 45.0
    assert record["within_tolerance"] is True
    assert [s["stage"] for s in record["stages"]] == ["fit", "explain", "charts"]
    assert record["stages"][1] == {
        "stage": "explain",
        "allotted_s": 3.0,
        "used_s": 2.0,
        "mode": "reduced",
        "notes": ["SHAP on 40 rows instead of 100: 3 s left"],
    }
    assert record["stages"][2]["used_s"] == 0.5  # recorded although the block raised
    assert record["notes"] == ["SHAP on 40 rows instead of 100: 3 s left", "a run-level note"]


def test_the_process_start_is_in_the_past() -> None:
    now = FakeClock(1000.0)
    started = process_started_at(now)
    assert 0.0 <= now() - started < 3600.0


def test_only_a_max_trials_run_without_a_time_budget_is_unbounded() -> None:
    assert run_budget_s(RunSpec(source="x.csv", target="y")) == 60.0
    assert run_budget_s(RunSpec(source="x.csv", target="y", max_trials=5)) is None
    assert run_budget_s(RunSpec(source="x.csv", target="y", time_budget_s=30.0)) == 30.0
    spec = RunSpec(source="x.csv", target="y", time_budget_s=60.0, max_trials=5)
    assert run_budget_s(spec) == 60.0


# -- the post-fit stages' sizing ---------------------------------------------------------------
def _costs(rows: int = 500, columns: int = 30, png: bool = True) -> PostfitCosts:
    return estimate_postfit(
        rows=rows, columns=columns, holdout_rows=rows // 5, shap_rows=100, png=png
    )


def test_postfit_estimates_grow_with_the_data_and_the_pngs() -> None:
    small, large = _costs(), _costs(rows=1_000_000)
    assert 0 < small.minimum < small.full
    assert large.full > small.full + 10
    no_png = _costs(png=False)
    assert no_png.full < small.full and no_png.png_s == 0.0


def test_the_fit_gets_what_is_left_less_a_reserve_capped_to_a_share(clock: FakeClock) -> None:
    costs = _costs()
    budget = Budget(300.0, clock=clock)
    clock.advance(10.0)
    fit, reserve, notes = fit_seconds(budget, costs)
    assert reserve == pytest.approx(costs.full)
    assert fit == pytest.approx((290.0 - reserve) / 1.05) and notes == []
    small = Budget(60.0, clock=clock)
    clock.advance(15.0)
    fit, reserve, notes = fit_seconds(small, costs)
    assert reserve == pytest.approx(max(costs.minimum, 0.25 * 45.0))
    assert fit is not None and fit + reserve < 45.0 and notes == []


def test_the_fit_keeps_its_minimum_past_the_budget_with_a_note(clock: FakeClock) -> None:
    budget = Budget(20.0, clock=clock)
    clock.advance(18.0)
    fit, _, notes = fit_seconds(budget, _costs())
    assert fit == MIN_FIT_S
    assert len(notes) == 1 and "minimum" in notes[0] and "fixed costs" in notes[0]
    assert fit_seconds(Budget(None, clock=clock), _costs()) == (None, 0.0, [])


def test_error_analysis_and_charts_sample_rows_only_when_short_of_time() -> None:
    assert error_rows(None, 10**6, 50) is None
    assert error_rows(100.0, 2_000, 50) is None
    assert error_rows(0.0, 36, 14) is None  # never more rows than there are
    assert error_rows(0.0, 10**6, 50) == MIN_ERROR_ROWS
    assert MIN_ERROR_ROWS < error_rows(1.0, 10**6, 50) < 10**6  # type: ignore[operator]
    assert chart_rows(None, 10**6, 50) is None
    assert chart_rows(0.0, 500, 30) is None
    assert chart_rows(0.0, 10**6, 30) == MIN_CHART_ROWS
    assert MIN_CHART_ROWS < chart_rows(10.0, 10**6, 30) < 10**6  # type: ignore[operator]


def test_pngs_get_what_is_left_or_are_skipped_with_a_note(clock: FakeClock) -> None:
    assert png_seconds(Budget(None, clock=clock), 1.0, 15) == (None, None)
    budget = Budget(60.0, clock=clock)
    clock.advance(30.0)
    assert png_seconds(budget, 1.0, 15) == (29.0, None)
    clock.advance(22.0)  # 8 s left: the browser and a few figures
    seconds, note = png_seconds(budget, 1.0, 15)
    assert seconds == 7.0 and note is None
    clock.advance(6.0)  # 2 s left: not even the browser
    seconds, note = png_seconds(budget, 1.0, 15)
    assert seconds == 0.0 and note is not None and "HTML page has every chart" in note
