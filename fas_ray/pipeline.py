"""The pipeline: ingest → ETL (Ray Data) → features → search (Ray Tune) → refit → evaluate →
explain → register → report, each stage timed in the run's manifest.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import polars as pl

from fas_ray._postfit import (
    TAIL_S,
    chart_rows,
    error_rows,
    estimate_postfit,
    fit_seconds,
    png_seconds,
)
from fas_ray.automl import AutoML
from fas_ray.budget import Budget, Clock, StageUse
from fas_ray.charts import run_figures, write_figures
from fas_ray.config import EtlOptions, IngestOptions, RunSpec, Settings
from fas_ray.etl import (
    ColumnType,
    EtlSummary,
    Profile,
    canonical_order,
    clean_parquet,
    normalize_column_names,
    normalize_name,
    profile_parquet,
)
from fas_ray.exceptions import FasRayError, InputError, PipelineError
from fas_ray.explain import ShapExplanation, error_analysis, explain_within
from fas_ray.ingest import BronzeDataset, ingest_source
from fas_ray.manifest import RunManifest, new_run_id
from fas_ray.ml import (
    FittedModel,
    TaskInfo,
    classification_metrics,
    detect_task,
    detect_task_from_frame,
    regression_metrics,
)
from fas_ray.ml._leak import check_learnable, only_target_error
from fas_ray.ml._metrics import greater_is_better
from fas_ray.ml._model import encode_target
from fas_ray.ml._split import check_enough_rows, holdout_split, time_order_column
from fas_ray.registry import Registry, open_registry
from fas_ray.storage import DataRoot, ParquetKey, write_json, write_parquet_atomic

__all__ = [
    "ETL_STAGES",
    "STAGES",
    "EtlRunResult",
    "RunResult",
    "open_root",
    "registry_for",
    "run_budget_s",
    "run_etl_pipeline",
    "run_pipeline",
]

log = logging.getLogger("fas_ray.pipeline")

STAGES = (
    "ingest",
    "task",
    "etl",
    "profile",
    "features",
    "search",
    "refit",
    "evaluate",
    "explain",
    "charts",
    "register",
    "report",
)
ETL_STAGES = ("ingest", "etl", "profile")
# evaluation, SHAP, charts (one headless Chromium for the PNGs) and the report, in a run without
# a time budget (max_trials only): the search's cap is computed as before budgets existed
_REPORT_RESERVE_S = 7.0
_MAX_PAGE_RECORDS = 200
_PARALLEL_SHAP_ROWS = 500
Progress = Callable[[str, str], None]


@dataclass(frozen=True)
class RunResult:
    run_id: str
    model_id: str
    report: dict[str, Any]
    manifest_path: Path
    artifacts: dict[str, str]


def open_root(settings: Settings) -> DataRoot:
    """The data root of ``settings``, with its encryption key when one is given.

    Raises:
        StorageError: the key file is missing or holds no valid key.
    """
    key = ParquetKey.from_file(settings.encrypt_key) if settings.encrypt_key else None
    return DataRoot(settings.data_root, key=key)


def registry_for(root: DataRoot) -> Registry:
    """The registry of a data root: its SQLite file, or ``$FAS_RAY_REGISTRY_URL``'s database."""
    return open_registry(root.registry_db, root.layer("models"))


def _resolve_target(bronze: BronzeDataset, target: str) -> str:
    normalised = normalize_column_names(bronze.columns)
    wanted = normalize_name(target)
    found = None
    if target in bronze.columns:
        found = normalised[bronze.columns.index(target)]
    elif wanted in normalised:
        found = wanted
    if found is not None and len(bronze.columns) == 1:
        raise only_target_error(target)
    if found is not None:
        return found
    raise InputError(
        f"The target column '{target}' is not in the data. Columns: {', '.join(bronze.columns)}."
    )


# a bronze table up to this size is read whole before ETL to look for a leaking column
_BRONZE_CHECK_BYTES = 64 << 20


def _detect_from_bronze(
    root: DataRoot,
    bronze: BronzeDataset,
    target: str,
    override: Literal["classification", "regression"] | None,
    test_size: float,
) -> TaskInfo:
    """The task, after the checks that stop a run before it writes anything (too few rows;
    a column that gives the target exactly, for a table of at most ``_BRONZE_CHECK_BYTES``;
    a larger one is checked after its ETL, by the fit)."""
    names = normalize_column_names(bronze.columns)
    original = bronze.columns[names.index(target)]
    y = root.read(bronze.path, columns=[original])[original]
    task = detect_task(y, target, task_override=override)
    if _parquet_bytes(bronze.path) <= _BRONZE_CHECK_BYTES:
        frame = root.read(bronze.path)
        frame.columns = names
        check_learnable(frame, target, classification=task.is_classification, test_size=test_size)
    else:
        check_enough_rows(y.drop_nulls().len(), target, test_size)
    return task


def _explain(
    model: FittedModel,
    train: pl.DataFrame,
    sample: int,
    seed: int,
    settings: Settings,
    seconds: float | None = None,
    clock: Clock = time.perf_counter,
) -> tuple[ShapExplanation, list[str]]:
    """SHAP values of at most ``sample`` training rows, sized to ``seconds`` (``None``: every
    sampled row at full size; above 500 rows in parallel Ray tasks); a background of at most
    100 rows is kept with the model for per-row explanations later (the model app's
    ``/explain``). Returns the explanation and notes on what the time allowed."""
    import numpy as np

    rng = np.random.default_rng(seed)
    picked = np.arange(train.height)
    if train.height > sample:
        picked = np.sort(rng.choice(train.height, size=sample, replace=False))
    rows = model.features.transform(train[picked])  # only the sampled rows
    background = rows if len(rows) <= 100 else rows[np.sort(rng.choice(len(rows), 100, False))]
    model.background = background
    classes = list(model.task.classes) if model.task.is_classification else None
    if seconds is None and len(rows) > _PARALLEL_SHAP_ROWS:
        from fas_ray.distributed import ray_session
        from fas_ray.distributed.explain import explain_parallel

        with ray_session(settings):
            return explain_parallel(
                model.estimator,
                rows,
                model.features.feature_names,
                background=background[:25] if model.is_ensemble else background,
                classes=classes,
            ), []
    sized = explain_within(
        model.estimator,
        rows,
        model.features.feature_names,
        background=background[:25] if model.is_ensemble else background,
        seconds=seconds,
        classes=classes,
        seed=seed,
        clock=clock,
    )
    return sized.explanation, sized.notes


def _holdout_metrics(
    model: FittedModel, holdout: pl.DataFrame
) -> tuple[dict[str, Any], pl.DataFrame]:
    task = model.task
    pred = model.predict(holdout)
    gold = holdout.with_columns(pl.Series("prediction", pred.tolist()))
    if task.is_classification:
        proba = model.predict_proba(holdout)
        gold = gold.with_columns(
            [pl.Series(f"proba_{c}", proba[:, i]) for i, c in enumerate(task.classes)]
        )
        # a class only the holdout holds (a rare class's single row) cannot be scored
        seen = holdout[task.target].is_in(pl.Series(task.classes)).to_numpy()
        truth = holdout.filter(pl.Series(seen))[task.target]
        if truth.is_empty():
            return {"holdout_unseen_class_rows": int((~seen).sum())}, gold
        y_true = encode_target(task, truth)
        y_pred = encode_target(task, pl.Series(pred[seen].tolist(), dtype=truth.dtype))
        metrics = classification_metrics(y_true, y_pred, proba[seen], len(task.classes))
        if not seen.all():
            metrics["holdout_unseen_class_rows"] = int((~seen).sum())
    else:
        metrics = regression_metrics(holdout[task.target].cast(pl.Float64).to_numpy(), pred)
    return metrics, gold


@dataclass(frozen=True)
class EtlRunResult:
    run_id: str
    silver: Path
    summary: EtlSummary
    profile: Profile
    manifest_path: Path
    artifacts: dict[str, str]


def _stage_ingest(
    manifest: RunManifest,
    root: DataRoot,
    source: str,
    say: Progress,
    options: IngestOptions | None = None,
) -> BronzeDataset:
    with manifest.stage("ingest") as rec:
        bronze = ingest_source(source, root, options)
        manifest.sha256, manifest.dataset_id = bronze.sha256, bronze.dataset_id
        manifest.add_artifact("bronze", bronze.path)
        rec.detail = ingest_detail(bronze)
        fetched = ""
        if bronze.fetch:
            fetched = (
                f"; {bronze.fetch.get('pages_fetched', 0)} pages fetched "
                f"({bronze.fetch.get('browser_pages', 0)} in the browser)"
            )
        say(
            "ingest",
            f"{bronze.rows} rows x {len(bronze.columns)} columns from {bronze.format}, "
            f"sha256 {bronze.sha256[:12]}{fetched}",
        )
    return bronze


def ingest_detail(bronze: BronzeDataset) -> dict[str, Any]:
    """What the manifest records of the source: file or URLs, format, hash, fetch statistics."""
    detail: dict[str, Any] = {
        "source": bronze.source,
        "format": bronze.format,
        "dataset_id": bronze.dataset_id,
        "sha256": bronze.sha256,
        "size_bytes": bronze.size_bytes,
        "rows": bronze.rows,
        "columns": len(bronze.columns),
    }
    for key in ("encoding", "delimiter", "sheet", "compression", "member", "urls"):
        value = getattr(bronze, key)
        if value is not None:
            detail[key] = value
    if bronze.fetch is not None:
        detail["fetch"] = {k: v for k, v in bronze.fetch.items() if k != "pages"}
        detail["pages"] = bronze.fetch.get("pages", [])[:_MAX_PAGE_RECORDS]
    return detail


def _stage_etl_and_profile(
    manifest: RunManifest,
    root: DataRoot,
    bronze: BronzeDataset,
    target: str | None,
    options: EtlOptions,
    where: str,
    say: Progress,
) -> tuple[EtlSummary, Path, Profile]:
    """The ETL stage (Ray Data, or in this process for small data; see
    ``EtlOptions.engine``), then the DuckDB profile of the silver layer."""
    run_dir = root.run_dir(manifest.run_id)
    exclude = [target] if target else []
    engine = _etl_engine(root, bronze, options)
    with manifest.stage("etl") as rec:
        silver = root.silver(manifest.run_id)
        if engine == "ray":
            from fas_ray.distributed import run_etl

            etl = run_etl(bronze.path, silver, exclude=exclude, options=options)
        else:
            etl = clean_parquet(bronze.path, silver, exclude=exclude, options=options, key=root.key)
        manifest.add_artifact("silver", silver)
        manifest.add_artifact("schema", write_json(run_dir / "schema.json", etl.schema))
        manifest.add_artifact("etl_summary", write_json(run_dir / "etl.json", etl.to_json()))
        rec.detail = {
            "rows_in": etl.rows_in,
            "rows_out": etl.rows_out,
            "duplicates_removed": etl.duplicates_removed,
            "near_duplicates_removed": etl.near_duplicates_removed,
            "missing_rows_dropped": etl.missing_rows_dropped,
            "engine": engine,
            "ray": where,
        }
        near = sum(r["groups"] for r in etl.near_duplicates)
        say(
            "etl",
            f"{etl.rows_out} rows: removed {etl.duplicates_removed} duplicates, "
            f"{etl.near_duplicates_removed} near-duplicates ({near} groups found) and "
            f"{etl.missing_rows_dropped} rows with missing values; filled "
            f"{sum(etl.filled.values())} cells ("
            + (
                "Ray Data"
                if engine == "ray"
                else "in process: encrypted layers"
                if root.key is not None
                else "in process: small data"
            )
            + ")",
        )
    with manifest.stage("profile") as rec:
        profile = profile_parquet(silver, rows_before=etl.rows_in, target=target, key=root.key)
        path = write_json(run_dir / "profile.json", profile.to_json())
        manifest.add_artifact("profile", path)
        rec.detail = {"quality": profile.quality, "warnings": len(profile.warnings)}
        say(
            "profile",
            f"quality {profile.quality:.3f}, {len(profile.warnings)} warnings"
            + "".join(f"\n            - {w.message}" for w in profile.warnings[:8]),
        )
    return etl, silver, profile


def _etl_engine(root: DataRoot, bronze: BronzeDataset, options: EtlOptions) -> str:
    """Where the ETL runs: Ray Data or in this process (``EtlOptions.engine``); Ray Data cannot
    read encrypted Parquet, so an encrypted data root always cleans in this process."""
    return "local" if root.key is not None else options.engine_for(_parquet_bytes(bronze.path))


def _parquet_bytes(path: Path) -> int:
    if path.is_dir():
        return sum(p.stat().st_size for p in path.rglob("*.parquet"))
    return path.stat().st_size


@contextlib.contextmanager
def _recorded(manifest: RunManifest) -> Iterator[None]:
    """Run the block as the manifest's run: running, then completed, or failed with the reason
    (unexpected errors are re-raised as :class:`PipelineError`)."""
    manifest.start()
    try:
        yield
    except BaseException as exc:
        error = _fail(manifest, exc)
        if error is exc:
            raise
        raise error from exc
    manifest.complete()


def _fail(manifest: RunManifest, exc: BaseException) -> BaseException:
    """Record ``exc`` in the manifest; return what to raise (unexpected errors are wrapped)."""
    if isinstance(exc, FasRayError):
        manifest.fail(str(exc))
        return exc
    if isinstance(exc, KeyboardInterrupt | SystemExit):  # Ctrl+C, or SIGTERM (`ray job stop`)
        manifest.fail("interrupted")
        return exc
    manifest.fail(f"{type(exc).__name__}: {exc}")
    return PipelineError(f"The run {manifest.run_id} failed: {type(exc).__name__}: {exc}")


def run_etl_pipeline(
    source: str,
    settings: Settings,
    options: EtlOptions | None = None,
    target: str | None = None,
    progress: Progress | None = None,
    ingest: IngestOptions | None = None,
    run_id: str | None = None,
) -> EtlRunResult:
    """Ingest, clean and profile ``source`` without training: ``fas-ray etl`` (Ray starts only
    when the data is large enough for the Ray Data engine, see ``EtlOptions.engine``).

    Args:
        source: input file or http(s) URL.
        settings: data root and Ray.
        options: ETL options.
        ingest: ingest options (Excel sheet, scraping bounds).
        target: a target column (original or normalised name), never filled; enables the
            class-imbalance and leakage warnings.
        run_id: the run's id (default: a new one; the pipeline API picks it up front).
    """
    from fas_ray.distributed import ray_session

    say: Progress = progress or (lambda stage, msg: None)
    options = options or EtlOptions()
    root = open_root(settings).ensure()
    run_id = run_id or new_run_id()
    manifest = RunManifest.create(
        root.run_dir(run_id),
        run_id=run_id,
        source=str(source),
        config={"kind": "etl", "target": target, "etl": options.model_dump(mode="json")},
    )
    with _recorded(manifest):
        bronze = _stage_ingest(manifest, root, source, say, ingest)
        resolved = _resolve_target(bronze, target) if target else None
        local = _etl_engine(root, bronze, options) == "local"
        session = contextlib.nullcontext("no Ray") if local else ray_session(settings)
        with session as where:
            etl, silver, profile = _stage_etl_and_profile(
                manifest, root, bronze, resolved, options, where, say
            )
    assert manifest.path is not None
    return EtlRunResult(run_id, silver, etl, profile, manifest.path, dict(manifest.artifacts))


def start_run(
    spec: RunSpec, settings: Settings, run_id: str | None
) -> tuple[DataRoot, str, Path, RunManifest]:
    """The data root, the run's id (a new one unless given), its folder and its manifest."""
    root = open_root(settings).ensure()
    run_id = run_id or new_run_id()
    run_dir = root.run_dir(run_id)
    manifest = RunManifest.create(
        run_dir, run_id=run_id, source=str(spec.source), config=spec.model_dump(mode="json")
    )
    return root, run_id, run_dir, manifest


def report_sections(
    etl: Any, profile: Any, charts: dict[str, Any], **chart_extra: Any
) -> dict[str, Any]:
    """The ``etl``, ``profile`` and ``charts`` sections every run's report has."""
    return {
        "etl": etl.to_json(),
        "profile": {
            "quality": profile.quality,
            "warnings": [w.message for w in profile.warnings],
        },
        "charts": {"html": charts["html"], "png": sorted(charts["png"]), **chart_extra},
    }


def write_report(
    report: dict[str, Any],
    manifest: RunManifest,
    budget: Budget,
    started: float,
    run_dir: Path,
    **budget_extra: Any,
) -> None:
    """Complete ``report`` with the stages' timings (and the total since ``started``, a
    ``perf_counter`` reading), the budget and its notes, and write it to the run's folder."""
    timings: dict[str, float] = manifest.timings()
    timings["total"] = round(time.perf_counter() - started, 3)
    report["timings"] = timings
    report["budget"] = {**budget.to_json(), **budget_extra}
    report["budget_notes"] = list(budget.notes)
    write_json(run_dir / "report.json", report)


def training_etl(options: EtlOptions) -> EtlOptions:
    """The ETL options of a training run: ``missing="auto"`` keeps missing values (columns
    with their own strategy keep it), so the model fills them from its training rows, inside
    each CV fold, after the holdout split; a fill from every row would let the holdout (and
    each validation fold) shape its own features."""
    if options.missing != "auto":
        return options
    return options.model_copy(update={"missing": "keep"})


def run_budget_s(spec: RunSpec) -> float | None:
    """The seconds a run of ``spec`` must keep to: its ``time_budget_s``, unless only
    ``max_trials`` was given (then ``None``: the post-fit stages run at full size, as before
    the budget covered them, and the search keeps its cap from the default budget)."""
    if spec.max_trials is not None and "time_budget_s" not in spec.model_fields_set:
        return None
    return spec.time_budget_s


def _prewarm_shap() -> threading.Thread:
    """Import shap (numba, llvmlite: seconds) in a background thread while the search runs
    in Ray workers; the explain stage joins it."""

    def load() -> None:
        try:
            import shap  # noqa: F401
        except Exception:  # the explain stage imports it again and reports the error
            log.debug("prewarming shap failed", exc_info=True)

    thread = threading.Thread(target=load, name="fas_ray-import-shap", daemon=True)
    thread.start()
    return thread


def _allot(budget: Budget, after_s: float) -> float | None:
    """Seconds a stage may take: what is left less ``after_s`` for the stages after it
    (``None`` when unbounded)."""
    return None if not budget.bounded else max(0.0, budget.left() - after_s)


def _budget(use: StageUse) -> dict[str, Any]:
    """A stage's budget record for its manifest detail (nothing for an unbounded run)."""
    if use.allotted_s is None:
        return {}
    return {"budget": {"allotted_s": round(use.allotted_s, 3), "notes": list(use.notes)}}


def _error_analysis(
    holdout: pl.DataFrame,
    gold: pl.DataFrame,
    task: TaskInfo,
    target: str,
    seconds: float | None,
    seed: int,
) -> dict[str, Any]:
    """:func:`error_analysis` of the holdout, on a seeded sample of its rows when all of them
    would not fit in ``seconds`` (row numbers still point into the whole holdout)."""
    import numpy as np

    n = error_rows(seconds, holdout.height, holdout.width)
    picked = np.arange(holdout.height)
    if n is not None:
        rng = np.random.default_rng(seed)
        picked = np.sort(rng.choice(holdout.height, size=n, replace=False))
        holdout, gold = holdout[picked], gold[picked]
    errors = error_analysis(
        holdout.drop(target),
        holdout[target].to_numpy(),
        gold["prediction"].to_numpy(),
        proba=gold.select([f"proba_{c}" for c in task.classes]).to_numpy()
        if task.is_classification
        else None,
        classes=list(task.classes) if task.is_classification else None,
    )
    if n is not None:
        for key in ("largest_errors", "most_confident_mistakes"):
            for item in errors.get(key, []):
                item["row"] = int(picked[item["row"]])
        errors["sampled_rows"] = int(n)
    return errors


def _say_notes(say: Progress, stage: str, notes: list[str]) -> None:
    for note in notes:
        say(stage, f"budget: {note}")


def run_pipeline(
    spec: RunSpec,
    settings: Settings,
    progress: Progress | None = None,
    run_id: str | None = None,
    budget: Budget | None = None,
) -> RunResult:
    """Run the whole pipeline on ``spec.source``; the manifest records every stage.

    Args:
        budget: the run's time budget (default: ``Budget(run_budget_s(spec))`` from now); the
            CLI passes one that started with the process. AutoML gets what is left after ETL
            less a reserve for the stages after it, which are each sized to what is left when
            they start; every reduction is a note in the report (``budget_notes``), the
            manifest (the stage's ``detail``) and the progress output.

    Raises:
        FasRayError: on bad input or a failed stage; the manifest then says ``failed`` and why.
    """
    from fas_ray.distributed import ray_session

    if spec.task == "forecast":
        from fas_ray.forecast_run import run_forecast

        return run_forecast(spec, settings, progress, run_id, budget)
    if spec.task == "clustering":
        from fas_ray.cluster_run import run_clustering

        return run_clustering(spec, settings, progress, run_id, budget)
    tabular: Literal["classification", "regression"] | None = spec.task
    say: Progress = progress or (lambda stage, msg: None)
    budget = budget if budget is not None else Budget(run_budget_s(spec))
    root, run_id, run_dir, manifest = start_run(spec, settings, run_id)
    wall = time.perf_counter()
    with _recorded(manifest):
        bronze = _stage_ingest(manifest, root, spec.source, say, spec.ingest)
        with manifest.stage("task") as rec:
            target = _resolve_target(bronze, spec.target_column)
            task = _detect_from_bronze(root, bronze, target, tabular, spec.test_size)
            rec.detail = task.to_json()
            say(
                "task",
                f"{task.subtype} on '{target}' ({task.reason})"
                + "".join(f"\n            - {note}" for note in task.notes[:4]),
            )

        with ray_session(settings) as where:
            etl, silver, profile = _stage_etl_and_profile(
                manifest, root, bronze, target, training_etl(spec.etl), where, say
            )
            types = {k: ColumnType.from_json(v) for k, v in etl.schema.items()}

            df = canonical_order(root.read(silver))
            rows_with_target = df.filter(pl.col(target).is_not_null())
            check_enough_rows(rows_with_target.height, target, spec.test_size)
            split_task = detect_task_from_frame(
                rows_with_target,
                target,
                {k: str(v.semantic) for k, v in types.items()},
                task_override=tabular,
            )
            time_column = (
                time_order_column(rows_with_target, types, target)
                if split_task.family == "time_series"
                else None
            )
            train, holdout = holdout_split(
                rows_with_target, split_task, spec.test_size, spec.seed, order_column=time_column
            )
            split = {
                "train_rows": train.height,
                "holdout_rows": holdout.height,
                "dropped_null_target": df.height - rows_with_target.height,
                "split": f"time-ordered by '{time_column}'" if time_column else "random",
            }

            @contextlib.contextmanager
            def stage(name: str) -> Iterator[Any]:
                with manifest.stage(name) as rec:
                    yield rec
                    if name == "features":
                        rec.detail = {**split, **rec.detail}

            # the whole run keeps to the budget: AutoML gets what is left after ETL, less a
            # reserve for evaluation, explanations, charts and the report
            costs = estimate_postfit(
                rows=df.height,
                columns=max(1, df.width - 1),
                holdout_rows=holdout.height,
                shap_rows=min(spec.shap_sample, train.height),
                png=spec.chart_png,
            )
            fit_s, reserve, fit_notes = fit_seconds(budget, costs)
            if fit_s is None:  # max_trials only: the search's cap as before budgets
                left = spec.time_budget_s - (time.perf_counter() - wall)
                fit_s = max(1.0, left - _REPORT_RESERVE_S - 0.03 * spec.time_budget_s)
            prewarm = _prewarm_shap() if budget.bounded else None
            with budget.stage("fit", fit_s) as use:
                for note in fit_notes:
                    budget.note(note, use)
                _say_notes(say, "features", fit_notes)
                automl = AutoML(
                    target,
                    time_budget=fit_s,
                    max_trials=spec.max_trials,
                    seed=spec.seed,
                    learners=spec.learners,
                    cv_folds=spec.cv_folds,
                    task=tabular,
                    metric=spec.metric,
                    text_model=spec.text_model,
                    use_ray=True,
                    settings=settings,
                ).fit(
                    train,
                    types=types,
                    storage_path=run_dir / "tune",
                    stage=stage,
                    say=say,
                    progress_path=run_dir / "progress.json",
                )
            assert automl.task_ is not None and automl.search_ is not None
            model, task, search = automl.model, automl.task_, automl.search_
            metric = search.metric
            builder = model.features
            chosen = automl.ensemble_

        with manifest.stage("evaluate") as rec, budget.stage("evaluate") as use:
            metrics, gold = _holdout_metrics(model, holdout)
            gold_path = write_parquet_atomic(
                gold, root.gold(run_id) / "holdout.parquet", root.parquet_options
            )
            manifest.add_artifact("gold_holdout", gold_path)
            use.allotted_s = _allot(budget, costs.explain_min_s + costs.charts_min_s + TAIL_S)
            errors = _error_analysis(holdout, gold, task, target, use.allotted_s, spec.seed)
            if "sampled_rows" in errors:
                budget.note(
                    f"error analysis on {errors['sampled_rows']:,} of {holdout.height:,} holdout "
                    f"rows: {use.allotted_s:.1f} s left for it",
                    use,
                )
            manifest.add_artifact("errors", write_json(run_dir / "errors.json", errors))
            rec.detail = {"systematic_biases": len(errors["systematic_biases"]), **_budget(use)}
            shown = ", ".join(f"{k} {v:.4f}" for k, v in metrics.items())
            say("evaluate", f"holdout: {shown}")
            for bias in errors["systematic_biases"][:3]:
                say(
                    "evaluate",
                    f"weak slice: {bias['slice']} ({bias['rows']} rows, error "
                    f"{bias['error']:.3g} vs {bias['overall_error']:.3g} overall)",
                )
            _say_notes(say, "evaluate", use.notes)

        with manifest.stage("explain") as rec, budget.stage("explain") as use:
            if prewarm is not None:
                prewarm.join()
            use.allotted_s = _allot(budget, costs.charts_min_s + TAIL_S)
            explanation, shap_notes = _explain(
                model, train, spec.shap_sample, spec.seed, settings, use.allotted_s, budget.clock
            )
            for note in shap_notes:
                budget.note(note, use)
            shap_json = explanation.to_json()
            manifest.add_artifact("shap", write_json(run_dir / "shap.json", shap_json))
            importance = explanation.importance()
            rec.detail = {
                "explainer": explanation.explainer,
                "rows": shap_json["rows"],
                **_budget(use),
            }
            say(
                "explain",
                f"SHAP ({explanation.explainer}, {shap_json['rows']} rows): top features "
                + ", ".join(f.feature for f in importance[:5]),
            )
            _say_notes(say, "explain", use.notes)

        with manifest.stage("charts") as rec, budget.stage("charts") as use:
            use.allotted_s = _allot(budget, TAIL_S)
            max_rows = chart_rows(use.allotted_s, df.height, df.width)
            figs, chart_notes = run_figures(
                silver=df,
                target=target,
                classes=list(task.classes) if task.is_classification else None,
                gold=gold,
                shap=shap_json,
                trials=[t.to_json() for t in search.trials],
                higher_is_better=greater_is_better(metric),
                time_column=time_column,
                max_rows=max_rows,
                seed=spec.seed,
            )
            if max_rows is not None:
                budget.note(
                    f"data charts from a sample of {max_rows:,} of {df.height:,} rows: "
                    f"{use.allotted_s:.1f} s left for the charts",
                    use,
                )
            png_s, png_note = png_seconds(budget, TAIL_S, len(figs))
            if png_note and spec.chart_png:
                budget.note(png_note, use)
            charts = write_figures(
                figs,
                run_dir / "charts",
                title=f"fas-ray run {run_id}",
                png=spec.chart_png and png_s != 0.0,
                png_seconds=png_s,
                clock=budget.clock,
            )
            if charts.get("png_skipped"):
                budget.note(
                    f"PNGs of {len(charts['png'])} of {len(figs)} charts (the HTML page has "
                    f"all): {png_s:.1f} s were left for them; not drawn: "
                    + ", ".join(charts["png_skipped"]),
                    use,
                )
            charts["notes"] = chart_notes
            manifest.add_artifact("charts", Path(charts["html"]))
            rec.detail = {"figures": len(figs), "png": len(charts["png"]), **_budget(use)}
            say(
                "charts",
                f"{len(figs)} charts in {charts['html']}"
                + (f" (+{len(charts['png'])} PNG)" if charts["png"] else "")
                + (f"; PNG skipped: {charts['png_error']}" if "png_error" in charts else ""),
            )
            _say_notes(say, "charts", use.notes)

        model_id = f"{run_id}_{task.kind}"
        with manifest.stage("register"):
            model.metadata = {"model_id": model_id, "run_id": run_id, "sha256": bronze.sha256}
            info = registry_for(root).save(
                model_id,
                model,
                run_id=run_id,
                task=task.subtype,
                target=target,
                learner=model.learner,
                metrics=metrics,
                extra={
                    "cv_score": chosen["cv_score"],
                    "metric": metric,
                    "params": model.params,
                    "features": builder.input_columns,
                },
            )
            manifest.model_id = model_id
            manifest.add_artifact("model", Path(info.path))
            say("register", f"model {model_id}")

        with manifest.stage("report"):
            leaderboard = [t.to_json() for t in search.trials]
            report = {
                "run_id": run_id,
                "model_id": model_id,
                "source": str(spec.source),
                "sha256": bronze.sha256,
                "task": task.to_json(),
                "metric": metric,
                "cv_best_score": chosen["cv_score"],
                "holdout_metrics": metrics,
                "best": {"learner": model.learner, "params": model.params},
                "model": chosen,
                "leaderboard": leaderboard[:20],
                "search": {
                    "trials": len(search.trials),
                    "configs": search.counts,
                    "configs_per_minute": round(search.configs_per_minute, 1),
                    "deterministic": search.deterministic,
                    "workers": search.workers,
                    "configs_by_node": dict(search.by_node),
                    "errors": search.errors[:5],
                    "wall_seconds": round(search.wall_seconds, 3),
                },
                **report_sections(etl, profile, charts, notes=chart_notes),
                "features": {"used": builder.feature_names, "dropped": builder.dropped},
                # per text column: the winning text model, each candidate's inner-CV score
                # and blend weight, and the word n-grams that weigh most
                "text_models": automl.text_,
                "shap_importance": [
                    {"feature": f.feature, "mean_abs_shap": f.importance} for f in importance
                ],
                "shap": {"explainer": explanation.explainer, "output": shap_json["output"]},
                "error_analysis": {
                    k: v for k, v in errors.items() if k not in ("residuals_vs_predicted",)
                },
            }
            write_json(run_dir / "leaderboard.json", leaderboard)
            manifest.add_artifact("leaderboard", run_dir / "leaderboard.json")
            if (run_dir / "progress.json").is_file():
                manifest.add_artifact("progress", run_dir / "progress.json")
            manifest.add_artifact("report", run_dir / "report.json")
            report["artifacts"] = dict(manifest.artifacts)
        write_report(
            report,
            manifest,
            budget,
            wall,
            run_dir,
            reserve_s=round(reserve, 3),
            postfit_estimate_s={"minimum": round(costs.minimum, 3), "full": round(costs.full, 3)},
        )
        if budget.bounded:
            say(
                "report",
                f"{budget.elapsed():.1f} s of the {budget.total_s:.0f} s budget"
                + (f"; {len(budget.notes)} reductions (budget_notes)" if budget.notes else ""),
            )
    return RunResult(run_id, model_id, report, run_dir / "manifest.json", dict(manifest.artifacts))
