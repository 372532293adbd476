"""A forecasting run end to end (no Ray: small data is cleaned in process): ingest, ETL,
Forecaster, the forecast table, charts, the registry and the report; the CLI's run and
predict; bad input fails with one line and registers nothing."""

from __future__ import annotations

import datetime as dt
import json
import zipfile
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from fas_ray.cli import main
from fas_ray.config import RunSpec, Settings
from fas_ray.exceptions import ConfigError, InputError
from fas_ray.forecast import Forecaster
from fas_ray.pipeline import registry_for, run_pipeline
from fas_ray.service import run_status
from fas_ray.storage import DataRoot

pytestmark = pytest.mark.integration


def _sales(path: Path, stores: tuple[str, ...] = ("north",), n: int = 96) -> Path:
    rng = np.random.default_rng(0)
    months = pl.Series([dt.date(2015 + i // 12, i % 12 + 1, 1) for i in range(n)])
    frames = []
    for i, store in enumerate(stores):
        t = np.arange(n)
        y = 100 * (i + 1) + 0.5 * t + 10 * np.sin(2 * np.pi * t / 12) + rng.normal(size=n)
        frames.append(pl.DataFrame({"Month": months.cast(pl.String), "Store": store, "Sales": y}))
    pl.concat(frames).write_csv(path)
    return path


def test_a_forecast_run_writes_the_forecast_charts_model_and_report(tmp_path: Path) -> None:
    csv = _sales(tmp_path / "sales.csv")
    spec = RunSpec(source=str(csv), target="Sales", horizon=6, chart_png=False)
    assert spec.task == "forecast"  # a horizon means a forecast
    said: list[tuple[str, str]] = []
    result = run_pipeline(
        spec, Settings(data_root=tmp_path / "root"), progress=lambda s, m: said.append((s, m))
    )
    report = result.report
    assert report["forecast"]["frequency"] == "monthly" and report["forecast"]["horizon"] == 6
    assert report["task"] == {"kind": "forecast", "target": "sales", "time_column": "month"}
    assert report["backtest_metrics"]["mase"] < 1.0  # better than seasonal naive in-sample
    future = pl.read_parquet(result.artifacts["forecast"])
    assert future.columns == ["month", "forecast", "lo_80", "hi_80", "lo_95", "hi_95"]
    assert future["month"].to_list()[:2] == [dt.date(2023, 1, 1), dt.date(2023, 2, 1)]
    html = Path(result.artifacts["charts"]).read_text()
    assert "Forecast" in html and "Backtest" in html
    manifest = json.loads(result.manifest_path.read_text())
    assert manifest["status"] == "completed" and manifest["model_id"] == result.model_id
    assert [s["name"] for s in manifest["stages"]][-4:] == [
        "forecast",
        "charts",
        "register",
        "report",
    ]
    registry = registry_for(DataRoot(tmp_path / "root"))
    info = registry.info(result.model_id)
    assert info.task == "forecast" and info.extra["horizon"] == 6
    model = registry.load(result.model_id)
    assert isinstance(model, Forecaster) and model.predict(horizon=9).height == 9
    assert any(stage == "forecast" and "backtest MASE" in m for stage, m in said)
    status = run_status(DataRoot(tmp_path / "root"), result.run_id)  # what the studio shows
    assert status["metric"] == "backtest_mase" and status["status"] == "completed"
    assert status["best_score"] == report["backtest_metrics"]["mase"]
    assert status["holdout_metrics"]["backtest_rmse"] == report["backtest_metrics"]["rmse"]


def test_a_panel_forecasts_each_series_on_ray(ray_local: None, tmp_path: Path) -> None:
    stores = ("north", "south", "east", "west")  # PARALLEL_SERIES: fitted as Ray tasks
    csv = _sales(tmp_path / "panel.csv", stores=stores)
    spec = RunSpec(source=str(csv), target="Sales", horizon=4, series_id="Store", chart_png=False)
    result = run_pipeline(spec, Settings(data_root=tmp_path / "root"))
    future = pl.read_parquet(result.artifacts["forecast"])
    assert future.group_by("store").len().sort("store").rows() == [(s, 4) for s in sorted(stores)]
    south = future.filter(pl.col("store") == "south")["forecast"].to_numpy()
    assert np.all(south > 200)  # each series forecast from its own history
    assert {s["key"] for s in result.report["forecast"]["series"]} == set(stores)
    manifest = json.loads(result.manifest_path.read_text())
    detail = {s["name"]: s["detail"] for s in manifest["stages"]}["forecast"]
    assert detail["ray"] and detail["horizon"] == 4


def test_the_cli_runs_a_forecast_and_predicts_the_next_steps(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    csv = _sales(tmp_path / "sales.csv")
    root = str(tmp_path / "root")
    argv = ["run", str(csv), "--target", "Sales", "--horizon", "6", "--no-chart-png"]
    assert main([*argv, "--data-root", root]) == 0
    printed = capsys.readouterr().out
    assert "Backtest (3 windows of 6 monthly steps)" in printed
    model_id = printed.strip().splitlines()[-1].split()[-1]
    out = tmp_path / "next.csv"
    args = ["predict", "--model", model_id, "--horizon", "8", "--out", str(out)]
    assert main([*args, "--data-root", root]) == 0
    assert pl.read_csv(out).height == 8
    # a forecast model forecasts from its history: rows to predict are refused
    assert main([*args[:-2], "--out", str(tmp_path / "x.csv"), str(csv), "--data-root", root]) == 2
    assert "is a forecast model" in capsys.readouterr().err
    run_id = model_id.removesuffix("_forecast")
    # the run's charts, bundle and card hold the forecast; there is no SHAP to recompute
    assert main(["charts", run_id, "--no-png", "--data-root", root]) == 0
    bundle = tmp_path / "bundle.zip"
    assert main(["export", run_id, "--out", str(bundle), "--data-root", root]) == 0
    with zipfile.ZipFile(bundle) as zf:
        names = set(zf.namelist())
        card = zf.read("MODEL_CARD.md").decode()
    assert {"gold/forecast.parquet", "model/model.pkl", "charts/charts.html"} <= names
    assert "## Backtest (3 rolling-origin windows" in card and "/forecast" in card
    capsys.readouterr()
    assert main(["explain", run_id, "--data-root", root]) == 2
    assert "is a forecast: it has no SHAP values" in capsys.readouterr().err
    assert main(["models", "--data-root", root]) == 0
    assert "backtest_mase" in capsys.readouterr().out


def test_bad_forecast_input_fails_in_one_line_and_registers_nothing(tmp_path: Path) -> None:
    csv = _sales(tmp_path / "short.csv", n=20)
    settings = Settings(data_root=tmp_path / "root")
    with pytest.raises(InputError, match="has 20 points; a horizon of 12") as info:
        run_pipeline(RunSpec(source=str(csv), target="Sales", horizon=12), settings)
    assert "\n" not in str(info.value)
    with pytest.raises(InputError, match="The time column 'When' is not in the data"):
        run_pipeline(
            RunSpec(source=str(csv), target="Sales", horizon=2, time_column="When"), settings
        )
    assert registry_for(DataRoot(tmp_path / "root")).list() == []
    with pytest.raises(ConfigError, match="horizon applies only to forecasts"):
        RunSpec.create(source=str(csv), target="Sales", horizon=3, task="regression")
