"""``Forecaster``: every candidate backtested on each series, the best (or a combination of
the best) kept, future values forecast with conformal intervals.

>>> fc = Forecaster(time="month", target="sales", horizon=12).fit(frame)  # doctest: +SKIP
>>> fc.leaderboard(); fc.predict()                                          # doctest: +SKIP
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import polars as pl

from fas_ray.exceptions import ConfigError, InputError
from fas_ray.features import to_polars
from fas_ray.forecast._backtest import (
    Backtest,
    Combination,
    backtest,
    combine,
    conformal_widths,
    interval_coverage,
    origins,
)
from fas_ray.forecast._lags import LagFeatures
from fas_ray.forecast._models import Candidate, candidates
from fas_ray.forecast._series import (
    Frequency,
    Series,
    default_horizon,
    future_times,
    prepare_series,
    season_lengths,
)
from fas_ray.forecast._tuned import tune_lags

__all__ = ["Forecaster", "MapFn", "SeriesFit"]

MapFn = Callable[[Callable[[Any], Any], Sequence[Any]], Sequence[Any]]

_MIN_TRAIN = 4  # points the oldest backtest window trains on, at least
_BUDGET_SHARE = 0.9  # of the time budget, for the backtests; the rest forecasts
# of the time budget, for searching boosting-on-lags configurations (split over the series;
# each series gets at least _MIN_TUNE_SECONDS, but never past the budget's deadline)
_TUNE_SHARE = 0.3
_MIN_TUNE_SECONDS = 2.0


@dataclass
class SeriesFit:
    """What was learned on one series."""

    key: Any
    history: np.ndarray
    times: pl.Series
    season: int
    chosen: Combination
    members: list[Candidate]
    forecast: np.ndarray
    widths: dict[int, np.ndarray]
    coverage: dict[int, float | None]
    results: list[Backtest] = field(default_factory=list)
    tried: list[Combination] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    exog: np.ndarray | None = None  # the covariates, rows aligned with ``history``


class Forecaster:
    """Forecasts of one target over time, for one series or one per ``key`` value.

    Args:
        time: the time column (dates, datetimes, ISO text, or years as integers).
        target: the numeric column to forecast.
        key: a column naming each series of a panel (None: one series).
        horizon: steps to forecast (default: from the frequency, e.g. 12 for monthly data,
            shortened for short series; the report states it).
        season_length: the seasonal cycle in steps (default: from the frequency, when the
            history holds two cycles).
        folds: backtest windows (at least 3), each ``horizon`` steps long.
        levels: prediction-interval levels in percent.
        time_budget: seconds for ``fit``; slow candidates that would start after it are
            skipped (the baselines always run).
        allow_naive: a series too short to backtest gets the seasonal naive forecast (with a
            note) instead of an error.
        caruana: also try Caruana's weighted selection over the backtest forecasts besides
            the mean and median of the best (off: on the forecast bench it did not help).
        tune: also search LightGBM / XGBoost configurations for boosting on lags with the
            tabular search's coordinator (a share of the budget per series), the best one a
            candidate of its own (off: on the forecast bench it did not help; see
            bench/RESULTS.md).
        tune_trials: the most configurations that search tries per series.
        covariates: columns that boosting on lags reads as features, each at ``horizon``
            and ``horizon + 1`` steps back, so no future value is needed ("auto": every
            numeric or boolean column other than the time, target and key; ``()``: none).
            The statistical candidates and the baselines do not use them.
    """

    def __init__(
        self,
        time: str,
        target: str,
        key: str | None = None,
        *,
        horizon: int | None = None,
        season_length: int | None = None,
        folds: int = 3,
        levels: Sequence[int] = (80, 95),
        time_budget: float | None = 60.0,
        allow_naive: bool = False,
        caruana: bool = False,
        tune: bool = False,
        tune_trials: int = 24,
        covariates: Sequence[str] | Literal["auto"] = "auto",
    ) -> None:
        if horizon is not None and horizon < 1:
            raise ConfigError(f"horizon must be at least 1, got {horizon}.")
        if season_length is not None and season_length < 1:
            raise ConfigError(f"season_length must be at least 1, got {season_length}.")
        if tune_trials < 1:
            raise ConfigError(f"tune_trials must be at least 1, got {tune_trials}.")
        if folds < 3:
            raise ConfigError(f"folds must be at least 3 (rolling-origin backtest), got {folds}.")
        if any(not 0 < level < 100 for level in levels):
            raise ConfigError(f"levels are percentages between 0 and 100, got {list(levels)}.")
        if time_budget is not None and not time_budget > 0:
            raise ConfigError(f"time_budget must be positive, got {time_budget}.")
        self.time = time
        self.target = target
        self.key = key
        self.horizon = horizon
        self.season_length = season_length
        self.folds = folds
        self.levels = tuple(sorted(int(level) for level in levels))
        self.time_budget = time_budget
        self.allow_naive = allow_naive
        self.caruana = caruana
        self.tune = tune
        self.tune_trials = tune_trials
        if isinstance(covariates, str) and covariates != "auto":
            raise ConfigError(
                f"covariates is 'auto' or a list of column names, got '{covariates}'."
            )
        self.covariates = covariates if covariates == "auto" else tuple(covariates)
        self.covariates_: list[str] = []  # the covariates used
        self.frequency_: Frequency | None = None
        self.horizon_: int = 0
        self.fits_: list[SeriesFit] = []
        self.fit_seconds_: float = 0.0
        self.metadata: dict[str, Any] = {}  # the registry's id, run and version
        self.ignored_: list[str] = []  # other columns: not numeric, or not asked for

    # ------------------------------------------------------------------ fit
    def fit(self, data: Any, map_fn: MapFn | None = None) -> Forecaster:
        """Backtest every candidate on every series and keep each series' best.

        ``map_fn(fn, items)`` runs the per-series fits (default: one after another here;
        ``fas_ray.distributed.ray_map`` spreads a panel's series over Ray's CPUs); for a
        single series it runs the candidates' backtests instead.

        Raises:
            InputError: the columns, times or values cannot make a series, or a series is
                too short for the horizon (unless ``allow_naive``).
        """
        started = time.perf_counter()
        frame = to_polars(data)
        used = {self.time, self.target, self.key}
        others = [c for c in frame.columns if c not in used]
        if self.covariates == "auto":
            self.covariates_ = [
                c for c in others if frame[c].dtype.is_numeric() or frame[c].dtype == pl.Boolean
            ]
        else:
            self.covariates_ = list(self.covariates)
        self.ignored_ = [c for c in others if c not in self.covariates_]
        series, freq = prepare_series(
            frame, self.time, self.target, self.key, covariates=self.covariates_
        )
        shortest = min(len(s) for s in series)
        horizon = self.horizon or default_horizon(freq, shortest, self.folds)
        deadline = (
            time.time() + _BUDGET_SHARE * self.time_budget if self.time_budget is not None else None
        )
        self.frequency_, self.horizon_ = freq, horizon
        tune_seconds = (
            None
            if self.time_budget is None
            else max(_MIN_TUNE_SECONDS, _TUNE_SHARE * self.time_budget / len(series))
        )
        if map_fn is not None and len(series) == 1:  # its candidates in parallel
            fit_one = _FitOne(self, freq, horizon, deadline, tune_seconds, map_fn)
            self.fits_ = [fit_one(series[0])]
        else:
            fit_one = _FitOne(self, freq, horizon, deadline, tune_seconds)
            self.fits_ = list(map_fn(fit_one, series)) if map_fn else [fit_one(s) for s in series]
        self.fit_seconds_ = time.perf_counter() - started
        return self

    def _fit_one(
        self,
        series: Series,
        freq: Frequency,
        horizon: int,
        deadline: float | None,
        tune_seconds: float | None = None,
        candidate_map: MapFn | None = None,
    ) -> SeriesFit:
        y = series.values
        needed = self.folds * horizon + _MIN_TRAIN
        seasons = [self.season_length] if self.season_length else season_lengths(freq, len(y))
        m = seasons[0]
        label = "The series" if series.key is None else f"The series '{series.key}'"
        if len(y) < needed:
            if not self.allow_naive:
                raise InputError(
                    f"{label} has {len(y)} points; a horizon of {horizon} with {self.folds} "
                    f"backtest windows needs at least {needed}. Lower the horizon, add history, "
                    "or allow the seasonal naive forecast (allow_naive=True, --allow-naive)."
                )
            return self._naive_only(series, m, horizon, needed)
        daily = freq.unit == "day" and freq.n == 1
        exog = series.exog
        run = _BacktestOne(y, horizon, self.folds, m, deadline, exog)
        todo = candidates(seasons, len(y) - self.folds * horizon, daily)
        results = list(candidate_map(run, todo)) if candidate_map else [run(c) for c in todo]
        by_name = {c.name: c for c in candidates(seasons, len(y), daily)}
        tuned = self._tuned_lags(y, exog, horizon, m, daily, results, tune_seconds, deadline)
        if tuned is not None:
            by_name[tuned[0].name] = tuned[0]
            results.append(tuned[1])
        chosen, tried = combine(results, y, horizon, self.folds, m, caruana=self.caruana)
        members = [by_name[name] for name in chosen.members]
        forecast = chosen.apply([c.forecast(y, horizon, exog=exog) for c in members])
        errors = self._backtest_errors(results, chosen, y, horizon)
        widths = {level: conformal_widths(errors, level / 100) for level in self.levels}
        coverage = {level: interval_coverage(errors, level / 100) for level in self.levels}
        return SeriesFit(
            series.key,
            y,
            series.times,
            m,
            chosen,
            members,
            forecast,
            widths,
            coverage,
            results,
            tried,
            list(series.notes),
            exog,
        )

    def _tuned_lags(
        self,
        y: np.ndarray,
        exog: np.ndarray | None,
        horizon: int,
        m: int,
        daily: bool,
        results: list[Backtest],
        seconds: float | None,
        deadline: float | None,
    ) -> tuple[Candidate, Backtest] | None:
        """Boosting on lags with its configuration searched (``tune_lags``), after the other
        candidates, for ``seconds`` (its share of the budget) but not past ``deadline``; None
        where the fixed lag model could not run, the history before the backtest is too short
        to search on, or no configuration finished.

        The search runs on the history *before* the backtest windows (its own rolling windows
        there); the configuration it picks is then backtested like every other candidate. A
        score that is the best of many tries on the same windows would be optimistic and win
        the selection unfairly (it did on the forecast bench: AirPassengers' MASE 0.47 -> 1.11).
        """
        if not self.tune or not any(r.name == "lightgbm_lags" and r.ok for r in results):
            return None
        until = None if seconds is None else time.time() + seconds
        if deadline is not None:
            until = deadline if until is None else min(until, deadline)
        if until is not None and time.time() >= until:
            return None
        before = origins(len(y), horizon, self.folds)[0]
        features = LagFeatures.for_season(m, before - self.folds * horizon, daily)
        if exog is not None:
            features = features.with_covariates(horizon)
        if before - self.folds * horizon < features.reach + 11 + 1:
            return None
        found = tune_lags(
            y[:before],
            horizon,
            self.folds,
            m,
            features,
            deadline=until,
            max_trials=self.tune_trials,
            exog=None if exog is None else exog[:before],
        )
        if found is None:
            return None
        config, searched = found
        candidate = Candidate(
            searched.name,
            "learned",
            season=m,
            min_points=features.reach + 11,
            daily=daily,
            config=config,
        )
        result = backtest(candidate, y, horizon, self.folds, m, exog=exog)
        if not result.ok:
            return None
        return candidate, result

    def _backtest_errors(
        self, results: list[Backtest], chosen: Combination, y: np.ndarray, horizon: int
    ) -> np.ndarray:
        """The chosen forecast's errors ``(windows, horizon)`` in the backtest."""
        by_name = {r.name: r for r in results}
        rows = []
        for i, origin in enumerate(origins(len(y), horizon, self.folds)):
            forecast = chosen.apply([by_name[name].forecasts[i] for name in chosen.members])
            rows.append(y[origin : origin + horizon] - forecast)
        return np.vstack(rows)

    def _naive_only(self, series: Series, m: int, horizon: int, needed: int) -> SeriesFit:
        candidate = Candidate("seasonal_naive", "baseline", season=m)
        y = series.values
        chosen = Combination((candidate.name,), "single", {})
        note = (
            f"{len(y)} points, fewer than the {needed} a backtest of {self.folds} windows of "
            f"{horizon} needs: the seasonal naive forecast, untested, without intervals"
        )
        return SeriesFit(
            series.key,
            y,
            series.times,
            m,
            chosen,
            [candidate],
            candidate.forecast(y, horizon),
            {},
            {},
            notes=[*series.notes, note],
        )

    # ------------------------------------------------------------------ use
    def _fitted(self) -> list[SeriesFit]:
        if not self.fits_:
            raise ConfigError("This Forecaster is not fitted yet; call fit(data) first.")
        return self.fits_

    def predict(self, horizon: int | None = None, history: Any = None) -> pl.DataFrame:
        """The next ``horizon`` steps (default: the fitted horizon) of every series: the time,
        the forecast and ``lo_<level>`` / ``hi_<level>`` bounds (and the key column).

        Beyond the fitted horizon the points are forecast again from the whole history and
        the intervals widen with the square root of the step. ``history`` (a frame with the
        time, target and key columns) forecasts from newer values with the chosen models,
        without choosing again; its series must be ones the model was fitted on.

        Raises:
            InputError: ``history`` cannot make series, steps at another frequency, names an
                unknown series or is too short for the chosen model.
        """
        fits = self._fitted()
        freq = self.frequency_
        assert freq is not None
        h = horizon or self.horizon_
        if h < 1:
            raise ConfigError(f"horizon must be at least 1, got {h}.")
        todo: list[tuple[SeriesFit, np.ndarray | None, pl.Series, np.ndarray | None]] = [
            (fit, None, fit.times, getattr(fit, "exog", None)) for fit in fits
        ]
        if history is not None:
            todo = self._new_history(history, freq)
        frames = []
        for fit, values, times, exog in todo:
            if values is None and h <= len(fit.forecast):
                point = fit.forecast[:h]
            else:
                y = fit.history if values is None else values
                try:
                    point = fit.chosen.apply([c.forecast(y, h, exog=exog) for c in fit.members])
                except ValueError as exc:
                    raise InputError(
                        f"The history of {len(y)} points cannot be forecast by "
                        f"{fit.chosen.name}: {exc} Send a longer history."
                    ) from None
            columns: dict[str, Any] = {
                self.time: future_times(times[-1:], freq, h),
                "forecast": point,
            }
            for level, width in fit.widths.items():
                w = _extend(width, h)
                columns[f"lo_{level}"] = point - w
                columns[f"hi_{level}"] = point + w
            frame = pl.DataFrame(columns)
            if self.key is not None:
                frame = frame.select(pl.lit(fit.key).alias(self.key), pl.all())
            frames.append(frame)
        return pl.concat(frames, how="diagonal_relaxed")

    def _new_history(
        self, history: Any, freq: Frequency
    ) -> list[tuple[SeriesFit, np.ndarray | None, pl.Series, np.ndarray | None]]:
        frame = to_polars(history)
        covariates = list(getattr(self, "covariates_", []))
        lacking = [c for c in covariates if c not in frame.columns]
        if lacking:
            raise InputError(
                f"The history lacks the covariate(s) {', '.join(lacking)} the model was "
                "fitted with; send them with the time and target columns."
            )
        series, steps = prepare_series(
            frame, self.time, self.target, self.key, covariates=covariates
        )
        if steps != freq:
            raise InputError(
                f"The history steps {steps.describe()}; the model was fitted on "
                f"{freq.describe()} data."
            )
        by_key = {fit.key: fit for fit in self._fitted()}
        out: list[tuple[SeriesFit, np.ndarray | None, pl.Series, np.ndarray | None]] = []
        for s in series:
            if s.key not in by_key:
                known = ", ".join(str(k) for k in by_key)
                raise InputError(
                    f"The series '{s.key}' was not in the training data; known: {known}."
                )
            out.append((by_key[s.key], s.values, s.times, s.exog))
        return out

    def history(self) -> pl.DataFrame:
        """The regular series the models saw (the key column, the time, the target)."""
        frames = []
        for fit in self._fitted():
            frame = pl.DataFrame({self.time: fit.times, self.target: fit.history})
            if self.key is not None:
                frame = frame.select(pl.lit(fit.key).alias(self.key), pl.all())
            frames.append(frame)
        return pl.concat(frames, how="diagonal_relaxed")

    def backtest(self) -> pl.DataFrame:
        """Every backtest window's times, actual values and each completed candidate's (and
        the chosen combination's) forecasts, one row per (series, time)."""
        frames = []
        for fit in self._fitted():
            h = self.horizon_
            starts = origins(len(fit.history), h, self.folds)
            if not fit.results:
                continue
            idx = np.concatenate([np.arange(o, o + h) for o in starts])
            columns: dict[str, Any] = {
                "window": np.repeat(np.arange(len(starts)), h),
                self.time: fit.times.gather(idx),
                "actual": fit.history[idx],
            }
            ok = {r.name: r for r in fit.results if r.ok}
            for name, r in ok.items():
                columns[name] = np.concatenate(r.forecasts)
            if fit.chosen.how != "single":
                columns[fit.chosen.name] = np.concatenate(
                    [
                        fit.chosen.apply([ok[m].forecasts[i] for m in fit.chosen.members])
                        for i in range(len(starts))
                    ]
                )
            frame = pl.DataFrame(columns)
            if self.key is not None:
                frame = frame.select(pl.lit(fit.key).alias(self.key), pl.all())
            frames.append(frame)
        return pl.concat(frames, how="diagonal_relaxed") if frames else pl.DataFrame()

    def leaderboard(self) -> pl.DataFrame:
        """Every candidate and combination on every series, best backtest MASE first."""
        rows = []
        for fit in self._fitted():
            for r in fit.results:
                rows.append(
                    {
                        "series": None if fit.key is None else str(fit.key),
                        "model": r.name,
                        **{k: r.scores.get(k) for k in ("mase", "smape", "rmse", "mae")},
                        "seconds": round(r.seconds, 3),
                        "chosen": fit.chosen.name == r.name,
                        "error": r.error or None,
                    }
                )
            for combo in fit.tried:
                if combo.how != "single":
                    rows.append(
                        {
                            "series": None if fit.key is None else str(fit.key),
                            "model": combo.name,
                            **{k: combo.scores.get(k) for k in ("mase", "smape", "rmse", "mae")},
                            "seconds": 0.0,
                            "chosen": fit.chosen.name == combo.name,
                            "error": None,
                        }
                    )
        frame = pl.DataFrame(rows, infer_schema_length=None)
        return frame.sort(["series", "mase"], nulls_last=True)

    def report(self) -> dict[str, Any]:
        """The frequency, horizon, season, the chosen model and its backtest per series."""
        fits = self._fitted()
        assert self.frequency_ is not None
        return {
            "frequency": self.frequency_.describe(),
            "horizon": self.horizon_,
            "folds": self.folds,
            "seconds": round(self.fit_seconds_, 2),
            "covariates": list(getattr(self, "covariates_", [])),
            "covariates_use": (
                "boosting on lags reads each covariate's values horizon and horizon + 1 "
                "steps back (no future values needed); the statistical models and baselines "
                "do not use them"
                if getattr(self, "covariates_", [])
                else ""
            ),
            "ignored_columns": list(getattr(self, "ignored_", [])),
            "series": [
                {
                    "key": None if fit.key is None else str(fit.key),
                    "points": len(fit.history),
                    "season": fit.season,
                    "model": fit.chosen.name,
                    "backtest": fit.chosen.scores,
                    "seasonal_naive_mase": next(
                        (
                            r.scores["mase"]
                            for r in fit.results
                            if r.name == "seasonal_naive" and r.ok
                        ),
                        None,
                    ),
                    "interval_coverage": fit.coverage,
                    "notes": fit.notes,
                }
                for fit in fits
            ],
        }


@dataclass(frozen=True)
class _FitOne:
    """One series' fit as a picklable callable (for ``map_fn``)."""

    forecaster: Forecaster
    freq: Frequency
    horizon: int
    deadline: float | None
    tune_seconds: float | None = None
    candidate_map: MapFn | None = None

    def __call__(self, series: Series) -> SeriesFit:
        return self.forecaster._fit_one(
            series, self.freq, self.horizon, self.deadline, self.tune_seconds, self.candidate_map
        )


@dataclass(frozen=True)
class _BacktestOne:
    """One candidate's backtest on one series, as a picklable callable (for ``map_fn``);
    the baselines run whatever the deadline."""

    y: np.ndarray
    horizon: int
    folds: int
    m: int
    deadline: float | None
    exog: np.ndarray | None

    def __call__(self, candidate: Candidate) -> Backtest:
        late = None if candidate.kind == "baseline" else self.deadline
        return backtest(
            candidate, self.y, self.horizon, self.folds, self.m, deadline=late, exog=self.exog
        )


def _extend(width: np.ndarray, h: int) -> np.ndarray:
    """``width`` for steps ``1..h``: beyond its length, the last width grown with sqrt(step)."""
    if h <= len(width):
        return width[:h]
    steps = np.arange(len(width) + 1, h + 1, dtype=np.float64)
    grown = width[-1] * np.sqrt(steps / len(width))
    return np.concatenate([width, grown])


def _score_of(results: list[Backtest], name: str) -> float | None:
    return next((r.scores["mase"] for r in results if r.name == name and r.ok), None)
