"""The ``fas-ray`` command.

    fas-ray run PATH|URL --target COL [--time-budget S] [--max-trials N] [--seed N]
    fas-ray run PATH --target COL --horizon H [--time-column COL] [--series-id COL]   forecast
    fas-ray run PATH --task clustering [--time-budget S] [--seed N]   clusters, no target
    fas-ray ingest PATH|URL       store the bronze layer only; print id, rows, columns, hash
    fas-ray scrape URL [--sitemap] [--max-pages N] [--rate R] [--selector CSS] [--js MODE]
    fas-ray demo                  the pipeline on scikit-learn's breast_cancer
    fas-ray etl PATH [--missing STRATEGY] [--near-duplicates] ...   clean + profile only
    fas-ray profile PATH          profile a file or Parquet folder (DuckDB), write JSON
    fas-ray runs                  runs under the data root
    fas-ray models                registered models
    fas-ray predict --model ID INPUT --out OUTPUT
    fas-ray predict --model ID --horizon H --out OUTPUT   a forecast model's next H steps
    fas-ray explain RUN_ID        recompute SHAP values and the error analysis of a run
    fas-ray charts RUN_ID         rebuild a run's charts (HTML page + PNG)
    fas-ray export RUN_ID [--out FILE.zip]   the run's bundle: model, report, charts, card
    fas-ray serve [--host H] [--port P] [--config YAML]   pipeline API + model app (Ray Serve)

Every command takes ``--data-root DIR`` (default ``$FAS_RAY_DATA_ROOT``, else ``./fas_data``).
Errors print one line and exit with status 2.
"""

from __future__ import annotations

import argparse
import ipaddress
import logging
import os
import signal
import sys
import threading
import time
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from types import FrameType
from typing import Any, get_args

from pydantic import ValidationError

from fas_ray import __version__
from fas_ray.config import (
    ALL_LEARNERS,
    ETL_ENGINES,
    MISSING_STRATEGIES,
    EtlOptions,
    IngestOptions,
    LearnerName,
    MetricName,
    RunSpec,
    Settings,
    validation_message,
)
from fas_ray.etl import normalize_name
from fas_ray.exceptions import ConfigError, FasRayError, InputError
from fas_ray.storage import DataRoot

__all__ = ["main"]

_TOKEN_ENV = "FAS_RAY_API_TOKEN"


def _print_table(rows: list[dict[str, Any]], columns: list[str]) -> None:
    if not rows:
        print("(none)")
        return
    cells = [[_fmt(r.get(c)) for c in columns] for r in rows]
    widths = [max(len(c), *(len(row[i]) for row in cells)) for i, c in enumerate(columns)]
    print("  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True)))
    for row in cells:
        print("  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)))


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4f}"
    return "" if value is None else str(value)


def _settings(args: argparse.Namespace) -> Settings:
    return Settings.create(data_root=args.data_root, encrypt_key=getattr(args, "encrypt_key", None))


def _root(args: argparse.Namespace) -> DataRoot:
    from fas_ray.pipeline import open_root

    return open_root(_settings(args))


def _progress(stages: Sequence[str]) -> Callable[[str, str], None]:
    start = time.perf_counter()

    def progress(stage: str, message: str) -> None:
        index = stages.index(stage) + 1 if stage in stages else 0
        print(
            f"[{index:>2}/{len(stages)}] {stage:<9} {time.perf_counter() - start:6.1f}s  {message}",
            flush=True,
        )

    return progress


def _etl_options(args: argparse.Namespace) -> EtlOptions:
    per_column: dict[str, str] = {}
    for item in args.missing_column or []:
        column, sep, strategy = item.partition("=")
        if not sep or not column:
            raise ConfigError(f"--missing-column wants COLUMN=STRATEGY, got '{item}'.")
        per_column[normalize_name(column)] = strategy
    try:
        return EtlOptions(
            missing=args.missing or "auto",
            missing_per_column=per_column,  # type: ignore[arg-type]
            infer_types=not args.no_infer_types,
            lowercase_text=args.lowercase_text,
            near_duplicates=args.near_duplicates,
            near_duplicate_distance=args.near_distance,
            engine=args.engine,
        )
    except ValidationError as exc:
        raise ConfigError(f"Invalid ETL options: {validation_message(exc)}") from None


def _ingest_options(args: argparse.Namespace) -> IngestOptions:
    names = ("sheet", "max_pages", "rate", "selector", "js", "max_seconds")
    values: dict[str, Any] = {name: getattr(args, name, None) for name in names}
    for flag in ("sitemap", "allow_private"):  # store_true flags: only when given
        values[flag] = getattr(args, flag, False) or None
    if getattr(args, "max_mb", None) is not None:
        values["max_bytes"] = int(args.max_mb * (1 << 20))
    try:
        return IngestOptions(**{k: v for k, v in values.items() if v is not None})
    except ValidationError as exc:
        raise ConfigError(f"Invalid ingest options: {validation_message(exc)}") from None


# -- commands ----------------------------------------------------------------------------------
def _ingest(args: argparse.Namespace) -> int:
    from fas_ray.ingest import ingest_source
    from fas_ray.pipeline import ingest_detail

    root = _root(args).ensure()
    started = time.perf_counter()
    bronze = ingest_source(args.path, root, _ingest_options(args))
    seconds = time.perf_counter() - started
    detail = ingest_detail(bronze)
    print(f"dataset id: {bronze.dataset_id}")
    print(f"rows:       {bronze.rows}")
    print(
        f"columns:    {len(bronze.columns)} ({', '.join(bronze.columns[:12])}"
        + (", ..." if len(bronze.columns) > 12 else "")
        + ")"
    )
    print(f"sha256:     {bronze.sha256}")
    print(
        f"format:     {bronze.format}"
        + "".join(
            f", {k} {detail[k]!r}"
            for k in ("encoding", "delimiter", "sheet", "compression")
            if k in detail
        )
    )
    if bronze.fetch is not None:
        f = detail["fetch"]
        print(
            f"fetched:    {f.get('pages_fetched', 0)} pages ({f.get('browser_pages', 0)} in the "
            f"browser), {f.get('requests', 0)} requests, {f.get('retries', 0)} retries, "
            f"{f.get('skipped_by_robots', 0)} skipped by robots.txt, {f.get('errors', 0)} errors"
        )
    print(f"stored:     {bronze.path} ({seconds:.1f} s)")
    return 0


def _scrape(args: argparse.Namespace) -> int:
    from fas_ray.ingest import is_url

    if not is_url(args.path):
        raise InputError(f"'{args.path}' is not an http(s) URL; fas-ray scrape takes a web page.")
    return _ingest(args)


def _new_run_id(args: argparse.Namespace) -> str | None:
    """``--run-id`` of run / etl (checked), or None for a new one."""
    run_id: str | None = getattr(args, "run_id", None)
    return None if run_id is None else _run_id(args)


def _learners(value: str | None) -> tuple[str, ...] | None:
    """``--learners a,b``: the names, or None (every default learner)."""
    if value is None:
        return None
    names = tuple(dict.fromkeys(n.strip() for n in value.split(",") if n.strip()))
    known = get_args(LearnerName)
    unknown = [n for n in names if n not in known]
    if unknown or not names:
        raise ConfigError(
            f"--learners: unknown learner(s) {', '.join(unknown) or '(none given)'}; choose "
            f"from {', '.join(known)}."
        )
    return names


def _run(args: argparse.Namespace, source: str | None = None) -> int:
    from fas_ray.budget import Budget, process_started_at
    from fas_ray.cluster_run import CLUSTER_STAGES
    from fas_ray.forecast_run import FORECAST_STAGES
    from fas_ray.pipeline import STAGES, run_budget_s, run_pipeline

    spec = RunSpec.create(
        source=source or args.path,
        target=args.target,
        time_budget_s=args.time_budget,
        max_trials=args.max_trials,
        seed=args.seed,
        task=args.task,
        horizon=args.horizon,
        time_column=args.time_column,
        series_id=args.series_id,
        allow_naive=args.allow_naive or None,
        metric=args.metric,
        text_model=args.text_model,
        learners=_learners(args.learners),
        etl=_etl_options(args),
        ingest=_ingest_options(args),
        **({"shap_sample": args.shap_sample} if args.shap_sample else {}),
        chart_png=not args.no_chart_png,
    )
    run_id = _new_run_id(args)
    # the budget counts from the process start: interpreter, imports and Ray start included
    budget = Budget(run_budget_s(spec), start=process_started_at())
    stages = (
        FORECAST_STAGES if spec.is_forecast else CLUSTER_STAGES if spec.is_clustering else STAGES
    )
    result = run_pipeline(
        spec, _settings(args), progress=_progress(stages), run_id=run_id, budget=budget
    )
    report = result.report
    if spec.is_forecast:
        _print_forecast(report)
    elif spec.is_clustering:
        _print_clusters(report)
    else:
        _print_run(report)
    print("\nStage timings (s): " + ", ".join(f"{k} {v:.2f}" for k, v in report["timings"].items()))
    if budget.bounded:
        print(f"\nTime budget: {budget.total_s:.0f} s, {budget.elapsed():.1f} s used so far")
        for note in report["budget_notes"]:
            print(f"  - {note}")
    print("\nArtifacts:")
    for name, path in result.artifacts.items():
        print(f"  {name:<13} {path}")
    print(f"\nrun id:   {result.run_id}")
    print(f"model id: {result.model_id}")
    return 0


def _print_forecast(report: dict[str, Any]) -> None:
    fc = report["forecast"]
    print(f"\nBacktest ({fc['folds']} windows of {fc['horizon']} {fc['frequency']} steps):")
    rows = [
        {k: r.get(k) for k in ("series", "model", "mase", "smape", "rmse", "seconds", "chosen")}
        for r in report["leaderboard"][:15]
    ]
    _print_table(rows, ["series", "model", "mase", "smape", "rmse", "seconds", "chosen"])
    for s in fc["series"]:
        label = "" if s["key"] is None else f" '{s['key']}'"
        cover = ", ".join(
            f"{level} %: {value:.0%}" for level, value in s["interval_coverage"].items() if value
        )
        print(
            f"\nSeries{label}: {s['model']}"
            + (f"; interval coverage in backtest {cover}" if cover else "")
        )
        for note in s["notes"]:
            print(f"  - {note}")


def _print_clusters(report: dict[str, Any]) -> None:
    chosen = report["clustering"]
    print(
        f"\nCandidates ({chosen['candidates']}; the chosen one first, then by silhouette on a "
        "sample):"
    )
    rows = [
        {k: r.get(k) for k in ("model", "k", "silhouette", "bic", "graph_silhouette", "seconds")}
        for r in report["leaderboard"][:10]
    ]
    _print_table(rows, ["model", "k", "silhouette", "bic", "graph_silhouette", "seconds"])
    print(f"\nClusters ({chosen['k']} by {chosen['model']}):")
    for c in report["clusters"]["clusters"]:
        name = "noise" if c["cluster"] < 0 else f"cluster {c['cluster']}"
        apart = ", ".join(
            f"{a['feature']} {a['direction']} ({a['difference']:+.2f} sd)" for a in c["apart"][:3]
        )
        print(f"  {name:<11} {c['size']:>8} rows ({c['share']:.1%})  {apart}")


def _print_run(report: dict[str, Any]) -> None:
    print(
        f"\nLeaderboard (CV {report['metric']}, best {min(10, len(report['leaderboard']))} "
        f"of {report['search']['trials']} trials):"
    )
    rows = [
        {
            "rank": i + 1,
            "learner": t["learner"],
            "score": t["score"],
            "std": t["score_std"],
            "seconds": t["seconds"],
        }
        for i, t in enumerate(report["leaderboard"][:10])
    ]
    _print_table(rows, ["rank", "learner", "score", "std", "seconds"])
    print("\nHoldout metrics:")
    for name, value in report["holdout_metrics"].items():
        print(f"  {name:<20} {value:.4f}")


def _demo(args: argparse.Namespace) -> int:
    from sklearn.datasets import load_breast_cancer

    settings = _settings(args)
    path = settings.data_root / "demo" / "breast_cancer.csv"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        load_breast_cancer(as_frame=True).frame.to_csv(path, index=False)
    print(f"Demo: scikit-learn's breast_cancer ({path}), target 'target'\n")
    args.target = "target"
    if args.time_budget is None and args.max_trials is None:
        args.time_budget = 30.0
    return _run(args, source=str(path))


def _etl(args: argparse.Namespace) -> int:
    from fas_ray.pipeline import ETL_STAGES, run_etl_pipeline

    result = run_etl_pipeline(
        args.path,
        _settings(args),
        _etl_options(args),
        args.target,
        _progress(ETL_STAGES),
        ingest=_ingest_options(args),
        run_id=_new_run_id(args),
    )
    print()
    for line in result.profile.summary_lines():
        print(line)
    print("\nArtifacts:")
    for name, path in result.artifacts.items():
        print(f"  {name:<13} {path}")
    print(f"\nrun id:   {result.run_id}")
    return 0


def _profile(args: argparse.Namespace) -> int:
    from fas_ray.etl import profile_parquet
    from fas_ray.ingest import ingest_file
    from fas_ray.storage import write_json

    path = Path(args.path)
    root = _root(args)
    if path.is_dir() or path.suffix.lower() == ".parquet":
        target = path
    else:
        target = ingest_file(path, root.ensure()).path
    if not Path(target).exists():
        raise InputError(
            f"'{path}' does not exist; give a data file (CSV, Excel, Parquet, JSON) "
            "or a Parquet folder."
        )
    profile = profile_parquet(Path(target), target=args.target, key=root.key)
    out = Path(args.out) if args.out else root.layer("reports") / f"{path.stem}.profile.json"
    write_json(out, profile.to_json())
    for line in profile.summary_lines():
        print(line)
    print(f"\nprofile written to {out}")
    return 0


def _run_id(args: argparse.Namespace) -> str:
    from fas_ray.service import check_id

    return check_id(args.run_id, "run id")


def _explain(args: argparse.Namespace) -> int:
    from fas_ray.export import explain_run

    start = time.perf_counter()
    out = explain_run(_root(args), _run_id(args), sample=args.sample, seed=args.seed)
    shap, errors = out["shap"], out["errors"]
    print(f"SHAP ({shap['explainer']}, {shap['rows']} rows, output {shap['output']}):")
    for item in shap["importance"][:10]:
        print(f"  {item['feature']:<32} {item['mean_abs_shap']:.4g}")
    biases = errors["systematic_biases"]
    print(f"weak slices: {len(biases)}")
    for b in biases[:5]:
        print(
            f"  {b['slice']}: error {b['error']:.3g} vs {b['overall_error']:.3g} ({b['rows']} rows)"
        )
    print(f"({time.perf_counter() - start:.1f} s)")
    return 0


def _charts(args: argparse.Namespace) -> int:
    from fas_ray.export import chart_run

    start = time.perf_counter()
    out = chart_run(_root(args), _run_id(args), png=not args.no_png)
    print(f"charts: {out['html']}")
    if out["png"]:
        print(f"png:    {len(out['png'])} files in {Path(next(iter(out['png'].values()))).parent}")
    if "png_error" in out:
        print(f"png skipped: {out['png_error']}")
    for note in out["notes"]:
        print(f"left out: {note}")
    print(f"({time.perf_counter() - start:.1f} s)")
    return 0


def _export(args: argparse.Namespace) -> int:
    from fas_ray.export import export_run

    out = export_run(_root(args), _run_id(args), Path(args.out) if args.out else None)
    print(f"bundle: {out} ({out.stat().st_size / 1e6:.1f} MB)")
    return 0


def _runs(args: argparse.Namespace) -> int:
    from fas_ray.manifest import RunManifest

    runs_dir = _root(args).layer("runs")
    rows = []
    for path in sorted(runs_dir.glob("*/manifest.json"), reverse=True):
        m = RunManifest.load(path)
        m.settle_if_orphaned()
        rows.append(
            {
                "run_id": m.run_id,
                "status": m.status,
                "model_id": m.model_id,
                "source": Path(m.source).name,
                "created_at": m.created_at,
                "error": (m.error or "")[:60],
            }
        )
    _print_table(rows, ["run_id", "status", "model_id", "source", "created_at", "error"])
    return 0


def _models(args: argparse.Namespace) -> int:
    from fas_ray.pipeline import registry_for

    models = registry_for(_root(args)).list()
    rows = []
    for m in models:
        main_metric = m.extra.get("metric", "")
        rows.append(
            {
                "model_id": m.model_id,
                "task": m.task,
                "target": m.target,
                "learner": m.learner,
                "holdout": m.metrics.get(main_metric),
                "metric": main_metric,
                "created_at": m.created_at,
            }
        )
    _print_table(rows, ["model_id", "task", "target", "learner", "metric", "holdout", "created_at"])
    return 0


def _predict(args: argparse.Namespace) -> int:
    import polars as pl

    from fas_ray.forecast import Forecaster
    from fas_ray.ingest import read_table
    from fas_ray.pipeline import registry_for

    out = Path(args.out)
    if out.suffix.lower() not in (".csv", ".parquet"):
        raise InputError(f"The output '{out}' must end in .csv or .parquet.")
    model = registry_for(_root(args)).load(args.model)
    if isinstance(model, Forecaster):
        if args.input:
            raise InputError(
                f"{args.model} is a forecast model: it forecasts from its own history; drop "
                "INPUT and give --horizon H."
            )
        result = model.predict(horizon=args.horizon)
        _write_table(result, out)
        print(f"{result.height} forecast rows from {args.model} written to {out}")
        return 0
    if not args.input:
        raise InputError("predict needs INPUT, the rows to predict (any supported file).")
    if args.horizon:
        raise InputError(f"--horizon is for forecast models; {args.model} predicts rows.")
    frame = pl.from_arrow(read_table(args.input))
    assert isinstance(frame, pl.DataFrame)
    _check_input(model, args.model, frame)
    column = "cluster" if model.task.kind == "clustering" else "prediction"
    result = pl.DataFrame({column: model.predict(frame).tolist()})
    if model.task.is_classification:
        proba = model.predict_proba(frame)
        result = result.with_columns(
            [pl.Series(f"proba_{c}", proba[:, i]) for i, c in enumerate(model.classes_)]
        )
    _write_table(result, out)
    print(f"{result.height} predictions from {args.model} written to {out}")
    return 0


def _check_input(model: Any, model_id: str, frame: Any) -> None:
    """The model app's schema check on a file's rows: every problem in one line."""
    from fas_ray.ml import check_frame

    errors = check_frame(model.features, frame)
    if errors:
        details = "; ".join(
            f"{e.field} ({e.problem}: {e.message}"
            + (f", row {e.row})" if e.row is not None else ")")
            for e in errors
        )
        raise InputError(f"The rows do not match model {model_id}'s input schema: {details}.")


def _write_table(result: Any, out: Path) -> None:
    from fas_ray.storage import atomic_write_text, csv_safe_text, write_parquet_atomic

    if out.suffix.lower() == ".csv":  # text cells cannot run as spreadsheet formulas
        atomic_write_text(out, csv_safe_text(result))
    else:
        write_parquet_atomic(result, out)


def _serve(args: argparse.Namespace) -> int:
    from fas_ray.distributed.serving import serve_apps

    token = os.environ.get(_TOKEN_ENV) or None
    try:
        loopback = ipaddress.ip_address(args.host).is_loopback
    except ValueError:
        loopback = args.host == "localhost"
    if not loopback and not token:
        raise ConfigError(
            f"Serving on {args.host} (not loopback) requires an API token: set {_TOKEN_ENV}."
        )
    settings = _settings(args)

    def ready(url: str, routes: list[str]) -> None:
        print(
            f"Serving {settings.data_root} at {url}: {'; '.join(routes)} "
            f"(API docs at {url}/docs, predictions at POST /models/{{id}}/predict). "
            "Ctrl+C stops.",
            flush=True,
        )
        print(f"Open the studio: {url}/", flush=True)

    config = Path(args.config) if args.config else None
    serve_apps(settings, args.host, args.port, token, config_path=config, on_ready=ready)
    return 0


_SOURCE_HELP = (
    "input file (.csv/.tsv/.txt, .xlsx/.xls, .parquet, .json/.jsonl/.ndjson; also .gz or "
    ".zip) or an http(s) URL to scrape"
)


# -- parser ------------------------------------------------------------------------------------
def _parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--data-root",
        metavar="DIR",
        help="data root (default: $FAS_RAY_DATA_ROOT, else ./fas_data)",
    )
    common.add_argument(
        "--encrypt-key",
        metavar="FILE",
        help="encrypt the Parquet layers (bronze, silver, gold) with this key file (16, 24 or "
        "32 bytes, raw, hex or base64; e.g. head -c 32 /dev/urandom > key) and read them with it",
    )
    budget = argparse.ArgumentParser(add_help=False)
    budget.add_argument(
        "--time-budget",
        type=float,
        metavar="S",
        help="budget of the whole command in seconds, start to report (default 60); the "
        "stages after the search are sized to what is left",
    )
    budget.add_argument(
        "--task",
        choices=("classification", "regression", "forecast", "clustering"),
        help="force the task instead of detecting it from the target; forecast: the target's "
        "future values over a time column; clustering: groups of similar rows (no --target)",
    )
    budget.add_argument(
        "--horizon",
        type=int,
        metavar="H",
        help="forecast: steps ahead (implies --task forecast; default from the frequency)",
    )
    budget.add_argument(
        "--time-column", metavar="COL", help="forecast: the time column (default: the first date)"
    )
    budget.add_argument(
        "--series-id", metavar="COL", help="forecast: a column naming each series of a panel"
    )
    budget.add_argument(
        "--allow-naive",
        action="store_true",
        help="forecast: a series too short to backtest gets the seasonal naive forecast",
    )
    budget.add_argument(
        "--metric",
        choices=get_args(MetricName),
        help="what the search optimises (default: roc_auc binary, log_loss multiclass, r2)",
    )
    budget.add_argument("--max-trials", type=int, metavar="N", help="stop after N trials")
    budget.add_argument(
        "--learners",
        metavar="A,B",
        help="learners the search may use, comma-separated (default: "
        + ",".join(ALL_LEARNERS)
        + "; also: "
        + ",".join(n for n in get_args(LearnerName) if n not in ALL_LEARNERS)
        + ")",
    )
    budget.add_argument(
        "--text-model",
        metavar="PATH",
        help="a local transformer directory to fine-tune on text columns as GPU trials "
        "(default: the packaged sentence encoder; skipped without a GPU)",
    )
    budget.add_argument("--seed", type=int, metavar="N", help="random seed (default 0)")
    budget.add_argument(
        "--shap-sample", type=int, metavar="N", help="rows SHAP explains (default 100)"
    )
    budget.add_argument(
        "--no-chart-png", action="store_true", help="charts as HTML only (no headless Chromium)"
    )
    src = argparse.ArgumentParser(add_help=False)
    src.add_argument("--sheet", metavar="NAME", help="Excel: sheet to read, or 'all'")
    src.add_argument(
        "--max-mb", type=float, metavar="MB", help="largest input file accepted (default 20480)"
    )
    web = argparse.ArgumentParser(add_help=False)
    web.add_argument(
        "--sitemap", action="store_true", help="discover pages from the site's sitemaps"
    )
    web.add_argument("--max-pages", type=int, metavar="N", help="most pages fetched (default 50)")
    web.add_argument(
        "--rate", type=float, metavar="R", help="requests per second per host (default 1)"
    )
    web.add_argument("--selector", metavar="CSS", help="repeated elements to turn into rows")
    web.add_argument(
        "--js",
        choices=("auto", "always", "never"),
        help="render pages in headless Chromium: auto (JavaScript-built pages only), always, never",
    )
    web.add_argument(
        "--allow-private",
        action="store_true",
        help="allow private, loopback and link-local addresses (local sources, tests)",
    )
    web.add_argument(
        "--max-seconds", type=float, metavar="S", help="time budget of the crawl (default 300)"
    )
    etl = argparse.ArgumentParser(add_help=False)
    etl.add_argument(
        "--missing",
        choices=MISSING_STRATEGIES,
        metavar="STRATEGY",
        help="missing values in every column: "
        + ", ".join(MISSING_STRATEGIES)
        + " (default auto: median for numbers, mode otherwise; fas-ray run keeps them for"
        " the model, which fills them inside each CV fold)",
    )
    etl.add_argument(
        "--missing-column",
        action="append",
        metavar="COL=STRATEGY",
        help="strategy for one column (repeatable)",
    )
    etl.add_argument(
        "--near-duplicates",
        action="store_true",
        help="remove near-duplicate texts (SimHash); by default only counted",
    )
    etl.add_argument(
        "--near-distance",
        type=int,
        default=3,
        metavar="BITS",
        help="Hamming distance of near-duplicate fingerprints (default 3)",
    )
    etl.add_argument(
        "--engine",
        choices=ETL_ENGINES,
        default="auto",
        help="ETL on Ray Data (ray), in this process (local), or chosen by size (auto: local up "
        "to 128 MiB of Parquet)",
    )
    etl.add_argument("--lowercase-text", action="store_true", help="lower-case text columns")
    etl.add_argument(
        "--no-infer-types", action="store_true", help="keep the types the file was read with"
    )

    parser = argparse.ArgumentParser(prog="fas-ray", description="AutoML on Ray.")
    parser.add_argument("--version", action="version", version=f"fas-ray {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser(
        "run", parents=[common, budget, etl, src, web], help="run the pipeline on a file or URL"
    )
    p.add_argument("path", metavar="PATH|URL", help=_SOURCE_HELP)
    p.add_argument(
        "--target", metavar="COL", help="column to predict (required unless --task clustering)"
    )
    p.add_argument(
        "--run-id", metavar="ID", help="use this run id (default: a new one; the API sets it)"
    )
    p.set_defaults(func=_run)

    p = sub.add_parser(
        "demo",
        parents=[common, budget, etl],
        help="run the pipeline on scikit-learn's breast_cancer data set",
    )
    p.set_defaults(func=_demo)

    p = sub.add_parser(
        "etl", parents=[common, etl, src, web], help="clean and profile a file (no training)"
    )
    p.add_argument("path", metavar="PATH|URL", help=_SOURCE_HELP)
    p.add_argument(
        "--target",
        metavar="COL",
        help="target column: never filled; adds class-imbalance and leakage warnings",
    )
    p.add_argument(
        "--run-id", metavar="ID", help="use this run id (default: a new one; the API sets it)"
    )
    p.set_defaults(func=_etl)

    p = sub.add_parser(
        "ingest", parents=[common, src, web], help="store a file or scraped pages as bronze"
    )
    p.add_argument("path", metavar="PATH|URL", help=_SOURCE_HELP)
    p.set_defaults(func=_ingest)

    p = sub.add_parser("scrape", parents=[common, web], help="scrape web pages into bronze")
    p.add_argument("path", metavar="URL", help="start page (http or https)")
    p.set_defaults(func=_scrape)

    p = sub.add_parser("profile", parents=[common], help="profile a file or Parquet folder")
    p.add_argument("path", metavar="PATH", help=".csv, .parquet or a folder of Parquet files")
    p.add_argument("--target", metavar="COL", help="target column (imbalance, leakage warnings)")
    p.add_argument("--out", metavar="FILE", help="JSON output (default: DATA_ROOT/reports/)")
    p.set_defaults(func=_profile)

    p = sub.add_parser("runs", parents=[common], help="list runs")
    p.set_defaults(func=_runs)

    p = sub.add_parser(
        "explain", parents=[common], help="recompute SHAP values and error analysis of a run"
    )
    p.add_argument("run_id", metavar="RUN_ID")
    p.add_argument("--sample", type=int, default=100, help="rows explained (default 100)")
    p.add_argument("--seed", type=int, default=0, help="sample seed (default 0)")
    p.set_defaults(func=_explain)

    p = sub.add_parser("charts", parents=[common], help="rebuild a run's charts")
    p.add_argument("run_id", metavar="RUN_ID")
    p.add_argument("--no-png", action="store_true", help="HTML only (no headless Chromium)")
    p.set_defaults(func=_charts)

    p = sub.add_parser("export", parents=[common], help="write a run's bundle (zip)")
    p.add_argument("run_id", metavar="RUN_ID")
    p.add_argument("--out", metavar="FILE.zip", help="default: runs/<id>/<id>-bundle.zip")
    p.set_defaults(func=_export)

    p = sub.add_parser("models", parents=[common], help="list registered models")
    p.set_defaults(func=_models)

    p = sub.add_parser("predict", parents=[common], help="predict a file with a registered model")
    p.add_argument("--model", required=True, metavar="ID", help="registered model id")
    p.add_argument("input", nargs="?", metavar="INPUT", help="rows to predict (any supported file)")
    p.add_argument("--out", required=True, metavar="OUTPUT", help="output .csv or .parquet")
    p.add_argument(
        "--horizon", type=int, metavar="H", help="forecast models: steps ahead (no INPUT)"
    )
    p.set_defaults(func=_predict)

    p = sub.add_parser(
        "serve",
        parents=[common],
        help="serve the pipeline API and the registered models over HTTP (Ray Serve)",
    )
    p.add_argument(
        "--config", metavar="YAML", help="Serve config (default: serve_apps/config.yaml)"
    )
    p.add_argument("--host", default="127.0.0.1", help="bind address (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    p.set_defaults(func=_serve)
    return parser


def _terminate(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``fas-ray`` command; returns the exit status."""
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    warnings.filterwarnings("ignore", category=FutureWarning)
    if threading.current_thread() is threading.main_thread():
        # `ray job stop` and `kill` send SIGTERM: unwind like Ctrl+C, so the run is recorded
        signal.signal(signal.SIGTERM, _terminate)
    try:
        return int(args.func(args))
    except FasRayError as exc:
        print(f"fas-ray: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("fas-ray: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
