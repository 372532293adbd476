"""Typed settings and run specifications.

``Settings`` says where fas-ray keeps its data and which Ray to use; ``RunSpec`` says what one
pipeline run does. Both validate on construction and never touch the file system or Ray.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from fas_ray.exceptions import ConfigError

__all__ = [
    "DEFAULT_DATA_ROOT",
    "MISSING_STRATEGIES",
    "MetricName",
    "ETL_ENGINES",
    "EtlEngine",
    "EtlOptions",
    "IngestOptions",
    "MissingStrategy",
    "RunSpec",
    "Settings",
    "default_data_root",
    "validation_message",
]

DEFAULT_DATA_ROOT = "fas_data"
DATA_ROOT_ENV = "FAS_RAY_DATA_ROOT"

EtlEngine = Literal["auto", "ray", "local"]
ETL_ENGINES: tuple[EtlEngine, ...] = ("auto", "ray", "local")
MissingStrategy = Literal["auto", "drop", "fill_mean", "fill_median", "fill_mode", "keep"]
MISSING_STRATEGIES: tuple[MissingStrategy, ...] = (
    "auto",
    "drop",
    "fill_mean",
    "fill_median",
    "fill_mode",
    "keep",
)

LearnerName = Literal[
    "lightgbm", "xgboost", "random_forest", "extra_trees", "linear", "catboost", "mlp", "knn"
]
MetricName = Literal["roc_auc", "log_loss", "accuracy", "f1_weighted", "r2", "rmse", "mse", "mae"]
ALL_LEARNERS: tuple[LearnerName, ...] = (
    "lightgbm",
    "xgboost",
    "random_forest",
    "extra_trees",
    "linear",
    "catboost",
    "knn",
)


def default_data_root() -> Path:
    """The data root used when none is given: ``$FAS_RAY_DATA_ROOT``, else ``./fas_data``."""
    return Path(os.environ.get(DATA_ROOT_ENV) or DEFAULT_DATA_ROOT)


def validation_message(exc: ValidationError) -> str:
    """Turn a pydantic error into one readable line."""
    parts = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err["loc"]) or "value"
        parts.append(f"{where}: {err['msg']}")
    return "; ".join(parts)


class Settings(BaseModel):
    """Where data lives and which Ray to use.

    Args:
        data_root: folder holding every layer, run, model and the registry.
        ray_address: a Ray cluster to join (``auto`` or ``host:port``); ``None`` starts a local Ray
            unless ``RAY_ADDRESS`` is set.
        num_cpus: CPUs the embedded local Ray may use (``None``: all).
        object_store_mb: object store size of the embedded local Ray, in MiB.
    """

    model_config = ConfigDict(frozen=True)

    data_root: Path = Field(
        default_factory=default_data_root, validate_default=True, description="Root of all layers."
    )
    ray_address: str | None = Field(default=None, description="Ray cluster to join.")
    encrypt_key: Path | None = Field(
        default=None,
        description="A key file (16, 24 or 32 bytes, raw, hex or base64): the Parquet layers "
        "(bronze, silver, gold) are written encrypted with it and read only with it.",
    )
    num_cpus: int | None = Field(default=None, ge=1, le=4096)
    object_store_mb: int = Field(default=400, ge=75, le=1_000_000)

    @field_validator("data_root")
    @classmethod
    def _absolute(cls, value: Path) -> Path:
        return value.expanduser().resolve()

    @classmethod
    def create(cls, **kwargs: object) -> Settings:
        """Build settings, raising :class:`ConfigError` with a one-line message when invalid."""
        clean = {k: v for k, v in kwargs.items() if v is not None}
        try:
            return cls(**clean)  # type: ignore[arg-type]
        except ValidationError as exc:
            raise ConfigError(f"Invalid settings: {validation_message(exc)}") from None


class EtlOptions(BaseModel):
    """How ETL cleans a data set.

    Args:
        missing: strategy for missing values in every column: ``auto`` (median for numbers, mode
            otherwise; in a training run, keep: the model fills them from its training rows
            inside each CV fold, after the holdout split), ``drop`` (drop the row),
            ``fill_mean``, ``fill_median``, ``fill_mode`` or ``keep``.
        missing_per_column: strategies for single columns (normalised names), overriding
            ``missing``.
        infer_types: infer column types and convert numeric, boolean and date text.
        lowercase_text: lower-case text columns (they are always stripped).
        near_duplicates: remove near-duplicate rows of text columns (SimHash); by default they
            are only counted.
        near_duplicate_distance: Hamming distance (of 64 bits) for two texts to be near-duplicates.
        type_sample_rows: rows read to infer types.
        engine: ``ray`` runs ETL on Ray Data; ``local`` runs the same functions in this process
            (one table in memory); ``auto`` picks ``local`` when the bronze Parquet is at most
            ``local_max_mb`` MiB (Ray Data's fixed cost, about 10 s, dominates there) and ``ray``
            otherwise. Both give the same table (tested).
        local_max_mb: the ``auto`` threshold, in MiB of bronze Parquet (in memory it takes about
            15 times that).
    """

    model_config = ConfigDict(frozen=True)

    missing: MissingStrategy = "auto"
    missing_per_column: dict[str, MissingStrategy] = Field(default_factory=dict)
    infer_types: bool = True
    lowercase_text: bool = False
    near_duplicates: bool = False
    near_duplicate_distance: int = Field(default=3, ge=0, le=16)
    type_sample_rows: int = Field(default=100_000, ge=100, le=10_000_000)
    engine: EtlEngine = "auto"
    local_max_mb: int = Field(default=128, ge=0, le=1_000_000)

    def strategy_for(self, column: str) -> MissingStrategy:
        return self.missing_per_column.get(column, self.missing)

    def engine_for(self, size_bytes: int) -> Literal["ray", "local"]:
        """The engine that cleans a bronze Parquet of ``size_bytes``."""
        if self.engine != "auto":
            return self.engine
        return "local" if size_bytes <= self.local_max_mb * (1 << 20) else "ray"


class IngestOptions(BaseModel):
    """How a source becomes the bronze layer.

    Args:
        sheet: Excel sheet to read (default: the first) or ``all``.
        max_bytes: the largest file accepted, compressed or unpacked.
        max_pages: (web) most pages fetched.
        rate: (web) requests per second per host (robots.txt's Crawl-delay may lower it).
        selector: (web) CSS selector of repeated elements, one row each.
        js: (web) render pages in headless Chromium: ``auto`` (only JavaScript-built pages),
            ``always`` or ``never``.
        sitemap: (web) also discover pages from the site's sitemaps.
        allow_private: (web) allow private, loopback and link-local addresses.
        max_seconds: (web) wall-clock budget of the crawl.
    """

    model_config = ConfigDict(frozen=True)

    sheet: str | None = Field(default=None, min_length=1)
    max_bytes: int = Field(default=20 << 30, ge=1)
    max_pages: int = Field(default=50, ge=1, le=100_000)
    rate: float = Field(default=1.0, gt=0, le=1000)
    selector: str | None = Field(default=None, min_length=1)
    js: Literal["auto", "always", "never"] = "auto"
    sitemap: bool = False
    allow_private: bool = False
    max_seconds: float = Field(default=300.0, gt=0, le=24 * 3600)


class RunSpec(BaseModel):
    """What one pipeline run does.

    Args:
        source: path of the input file (CSV, TSV, Excel, Parquet, JSON; also .gz/.zip) or an
            http(s) URL to scrape.
        target: name of the column to predict (original or normalised spelling); none for
            clustering.
        time_budget_s: wall-clock budget of the whole run (ingest to report), in seconds; the
            search gets what ingest and ETL leave, less a reserve for the refit and report.
        max_trials: stop the search after this many trials (``None``: only the time budget).
        seed: seed for splits, the sampler and the learners.
        cv_folds: folds of the cross-validation of each configuration (default: 5, or 3 for
            10,000 rows and more).
        test_size: share of rows held out for the final evaluation.
        learners: learners the search may choose from.
        shap_sample: rows used to compute SHAP values (importance, summary chart).
        chart_png: render each chart as a PNG too (headless Chromium), besides the HTML page.
        task: force ``classification`` or ``regression`` instead of detecting it, or
            ``forecast``: the target's future values over time (:mod:`fas_ray.forecast`), or
            ``clustering``: groups of similar rows, without a target (:mod:`fas_ray.clustering`;
            ``time_budget_s`` and ``seed`` apply, the search options do not).
        horizon: steps to forecast (``task="forecast"``, which it implies; default from the
            frequency).
        time_column: the forecast's time column (default: the first date or time column).
        series_id: a column naming each series of a panel (forecast; default: one series).
        allow_naive: forecast a series too short to backtest by seasonal naive, with a note.
        metric: what the search optimises (``roc_auc``, ``log_loss``, ``accuracy``,
            ``f1_weighted``, ``r2``, ``rmse``, ``mse``, ``mae``); default by task.
        text_model: a local transformer directory (``save_pretrained``: model and tokenizer)
            to fine-tune on the text columns when the cluster has a GPU (default: the packaged
            sentence encoder); CPU-only clusters skip it with a note.
        etl: how ETL cleans the data.
        ingest: how the source becomes the bronze layer (Excel sheet, scraping bounds).
    """

    model_config = ConfigDict(frozen=True)

    source: str = Field(min_length=1)
    target: str | None = Field(default=None, min_length=1)
    time_budget_s: float = Field(default=60.0, gt=0, le=7 * 24 * 3600)
    max_trials: int | None = Field(default=None, ge=1, le=100_000)
    seed: int = Field(default=0, ge=0, le=2**31 - 1)
    cv_folds: int | None = Field(default=None, ge=2, le=20)
    test_size: float = Field(default=0.2, gt=0.0, lt=0.9)
    learners: tuple[LearnerName, ...] = ALL_LEARNERS
    shap_sample: int = Field(default=100, ge=10, le=100_000)
    chart_png: bool = Field(default=True, description="Also render the charts as PNG.")
    task: Literal["classification", "regression", "forecast", "clustering"] | None = None
    horizon: int | None = Field(default=None, ge=1, le=100_000)
    time_column: str | None = Field(default=None, min_length=1)
    series_id: str | None = Field(default=None, min_length=1)
    allow_naive: bool = False
    metric: MetricName | None = None
    text_model: str | None = Field(default=None, min_length=1)
    etl: EtlOptions = Field(default_factory=EtlOptions)
    ingest: IngestOptions = Field(default_factory=IngestOptions)

    @model_validator(mode="before")
    @classmethod
    def _horizon_means_forecast(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("horizon") is not None and not data.get("task"):
            return {**data, "task": "forecast"}
        return data

    @model_validator(mode="after")
    def _learners_not_empty(self) -> RunSpec:
        if not self.learners:
            raise ValueError("at least one learner is needed")
        if self.task == "clustering" and self.target is not None:
            raise ValueError("clustering takes no target; drop the target (or the task)")
        if self.task != "clustering" and self.target is None:
            raise ValueError("a target is needed (the column to predict) unless task is clustering")
        forecast_only = [
            name
            for name in ("horizon", "time_column", "series_id")
            if getattr(self, name) is not None
        ] + (["allow_naive"] if self.allow_naive else [])
        if self.task != "forecast" and forecast_only:
            verb = "applies" if len(forecast_only) == 1 else "apply"
            raise ValueError(
                f"{', '.join(forecast_only)} {verb} only to forecasts; use task forecast"
            )
        return self

    @property
    def is_forecast(self) -> bool:
        return self.task == "forecast"

    @property
    def is_clustering(self) -> bool:
        return self.task == "clustering"

    @property
    def target_column(self) -> str:
        """The target (a run that predicts one always has it; clustering has none).

        Raises:
            ConfigError: the run is a clustering.
        """
        if self.target is None:
            raise ConfigError("This run has no target (a clustering); name one with --target.")
        return self.target

    @classmethod
    def create(cls, **kwargs: object) -> RunSpec:
        """Build a run spec, raising :class:`ConfigError` with a one-line message when invalid."""
        clean = {k: v for k, v in kwargs.items() if v is not None}
        try:
            return cls(**clean)  # type: ignore[arg-type]
        except ValidationError as exc:
            raise ConfigError(f"Invalid run options: {validation_message(exc)}") from None
