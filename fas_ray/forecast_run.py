"""A forecasting run (``fas-ray run --task forecast``, ``RunSpec(task="forecast")``): ingest,
ETL and profile as in every run, then :class:`~fas_ray.forecast.Forecaster` on the silver
table, the forecast as a gold table, the charts (history, forecast and intervals; the
backtest), the model in the registry and the report, each recorded in the manifest.

Ray starts only when the data is large enough for ETL on Ray Data.
"""

from __future__ import annotations

import contextlib
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl

from fas_ray.budget import Budget
from fas_ray.config import RunSpec, Settings
from fas_ray.etl import normalize_name
from fas_ray.exceptions import InputError
from fas_ray.forecast import Forecaster
from fas_ray.storage import write_json, write_parquet_atomic

if TYPE_CHECKING:
    from fas_ray.pipeline import RunResult

__all__ = ["FORECAST_STAGES", "forecast_figures", "run_forecast", "time_column_of"]

# panels of this many series and more are fitted on Ray (one task per series); below it,
# Ray's start (seconds) costs more than it saves
PARALLEL_SERIES = 4
# from this many points, one series' candidates are backtested as parallel Ray tasks (each
# takes seconds there; below, starting Ray costs more than it saves)
LONG_SERIES = 2000
FORECAST_STAGES = ("ingest", "etl", "profile", "forecast", "charts", "register", "report")


def time_column_of(silver: pl.DataFrame, given: str | None, target: str) -> str:
    """The time column: ``given`` (original or normalised spelling), else the silver table's
    first date or datetime column.

    Raises:
        InputError: ``given`` is not a column, or no column holds dates or times.
    """
    if given is not None:
        return _column(silver, given, "time column")
    for name, dtype in silver.schema.items():
        if name != target and (dtype == pl.Date or isinstance(dtype, pl.Datetime)):
            return name
    raise InputError(
        "No date or time column was found to forecast over; name one with --time-column "
        "(dates, datetimes or ISO date text)."
    )


def forecast_figures(
    forecaster: Forecaster, future: pl.DataFrame, max_series: int = 5
) -> dict[str, Any]:
    """History, forecast and intervals, and the backtest, of the first ``max_series`` series."""
    from fas_ray.viz import backtest_chart, forecast_chart

    time_col, target, key = forecaster.time, forecaster.target, forecaster.key
    history, backtest = forecaster.history(), forecaster.backtest()
    keys = [None] if key is None else history[key].unique(maintain_order=True).to_list()

    def one(frame: pl.DataFrame, k: Any) -> pl.DataFrame:
        return frame if key is None or not frame.height else frame.filter(pl.col(key) == k)

    figs: dict[str, Any] = {}
    for k in keys[:max_series]:
        label = "" if k is None else f" ({k})"
        figs[f"forecast{label}"] = forecast_chart(
            one(history, k),
            one(future, k),
            time_col,
            target,
            forecaster.levels,
            title=f"Forecast{label}",
        )
        b = one(backtest, k)
        if b.height:
            names = [c for c in b.columns if c not in ("window", time_col, "actual", key)]
            figs[f"backtest{label}"] = backtest_chart(
                b[time_col].to_list(),
                b["actual"].to_list(),
                {n: b[n].to_list() for n in names},
                title=f"Backtest{label}",
            )
    return figs


def _column(silver: pl.DataFrame, given: str, what: str) -> str:
    for name in (given, normalize_name(given)):
        if name in silver.columns:
            return name
    raise InputError(
        f"The {what} '{given}' is not in the data. Columns: {', '.join(silver.columns)}."
    )


def run_forecast(
    spec: RunSpec,
    settings: Settings,
    progress: Any = None,
    run_id: str | None = None,
    budget: Budget | None = None,
) -> RunResult:
    """Forecast ``spec.target`` over time; returns the pipeline's ``RunResult``."""
    from fas_ray import pipeline as pl_
    from fas_ray.charts import write_figures
    from fas_ray.distributed import ray_session

    say = progress or (lambda stage, msg: None)
    budget = budget if budget is not None else Budget(spec.time_budget_s)
    root, run_id, run_dir, manifest = pl_.start_run(spec, settings, run_id)
    wall = time.perf_counter()
    with pl_._recorded(manifest):
        bronze = pl_._stage_ingest(manifest, root, spec.source, say, spec.ingest)
        target = pl_._resolve_target(bronze, spec.target_column)
        options = pl_.training_etl(spec.etl)
        local = pl_._etl_engine(root, bronze, options) == "local"
        session = contextlib.nullcontext("no Ray") if local else ray_session(settings)
        with session as where:
            etl, silver_path, profile = pl_._stage_etl_and_profile(
                manifest, root, bronze, target, options, where, say
            )
        silver = root.read(silver_path)
        key = _column(silver, spec.series_id, "series id") if spec.series_id else None

        with manifest.stage("forecast") as rec:
            time_col = time_column_of(silver, spec.time_column, target)
            left = max(1.0, 0.8 * budget.left()) if budget.bounded else None
            forecaster = Forecaster(
                time_col,
                target,
                key,
                horizon=spec.horizon,
                time_budget=left,
                allow_naive=spec.allow_naive,
            )
            n_series = silver[key].n_unique() if key else 1
            # a panel: its series in parallel on Ray; one long series: its candidates
            if n_series >= PARALLEL_SERIES or (n_series == 1 and silver.height >= LONG_SERIES):
                from fas_ray.distributed import ray_map

                with ray_session(settings) as where:
                    forecaster.fit(silver, map_fn=ray_map)
                rec.detail = {"ray": where}
            else:
                forecaster.fit(silver)
            future = forecaster.predict()
            report_fc = forecaster.report()
            gold = write_parquet_atomic(
                future, root.gold(run_id) / "forecast.parquet", root.parquet_options
            )
            manifest.add_artifact("forecast", gold)
            board = forecaster.leaderboard()
            rec.detail = {
                **rec.detail,
                **{k: v for k, v in report_fc.items() if k in ("frequency", "horizon", "folds")},
            }
            first = report_fc["series"][0]
            say(
                "forecast",
                f"{len(report_fc['series'])} series, {report_fc['frequency']}, horizon "
                f"{report_fc['horizon']}: {first['model']} (backtest MASE "
                f"{first['backtest'].get('mase', float('nan')):.3f}; seasonal naive "
                f"{first['seasonal_naive_mase'] or float('nan'):.3f})",
            )
            if report_fc["covariates"]:
                say(
                    "forecast",
                    "covariates " + ", ".join(report_fc["covariates"][:10]) + ": "
                    f"{report_fc['covariates_use']}",
                )
            if report_fc["ignored_columns"]:
                say(
                    "forecast",
                    "not used (not numeric): " + ", ".join(report_fc["ignored_columns"][:10]),
                )

        with manifest.stage("charts") as rec:
            figs = forecast_figures(forecaster, future)
            charts = write_figures(
                figs, run_dir / "charts", title=f"fas-ray forecast {run_id}", png=spec.chart_png
            )
            manifest.add_artifact("charts", Path(charts["html"]))
            rec.detail = {"figures": len(figs), "png": len(charts["png"])}
            say("charts", f"{len(figs)} charts in {charts['html']}")

        model_id = f"{run_id}_forecast"
        metrics = {k: v for k, v in first["backtest"].items() if v is not None}
        if "mase" in metrics:
            metrics["backtest_mase"] = metrics["mase"]
        with manifest.stage("register"):
            forecaster.metadata = {"model_id": model_id, "run_id": run_id, "sha256": bronze.sha256}
            info = pl_.registry_for(root).save(
                model_id,
                forecaster,
                run_id=run_id,
                task="forecast",
                target=target,
                learner=str(first["model"]),
                metrics=metrics,
                extra={
                    "metric": "backtest_mase",
                    "time_column": time_col,
                    "series_id": key,
                    "horizon": report_fc["horizon"],
                    "frequency": report_fc["frequency"],
                    "levels": list(forecaster.levels),
                },
            )
            manifest.model_id = model_id
            manifest.add_artifact("model", Path(info.path))
            say("register", f"model {model_id}")

        with manifest.stage("report"):
            leaderboard = board.to_dicts()
            write_json(run_dir / "leaderboard.json", leaderboard)
            manifest.add_artifact("leaderboard", run_dir / "leaderboard.json")
            manifest.add_artifact("report", run_dir / "report.json")
            report: dict[str, Any] = {
                "run_id": run_id,
                "model_id": model_id,
                "source": str(spec.source),
                "sha256": bronze.sha256,
                "task": {"kind": "forecast", "target": target, "time_column": time_col},
                "forecast": report_fc,
                "backtest_metrics": metrics,
                "leaderboard": leaderboard,
                **pl_.report_sections(etl, profile, charts),
                "artifacts": dict(manifest.artifacts),
            }
        pl_.write_report(report, manifest, budget, wall, run_dir)
    return pl_.RunResult(
        run_id, model_id, report, run_dir / "manifest.json", dict(manifest.artifacts)
    )
