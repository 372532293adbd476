"""Transformer fine-tuning as Ray Tune GPU trials (issue 15, item 4).

Each trial is one configuration of :func:`~fas_ray.text.finetune_space` (learning rate,
epochs, max length; Optuna's TPE picks them) on one GPU: it fine-tunes the model on every
fold's training rows and predicts the fold's validation rows, so its result is a full set of
out-of-fold predictions, which the text model blends like any other candidate's. The best
configuration is then refitted on every row in one more GPU task. The documents travel once
through the object store.

A cluster without a GPU skips it (the reason is the candidate's ``skipped`` note in the text
leaderboard and the run report), unless ``FinetuneOptions.force_cpu``: the CPU path that
tests take with a tiny model.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import ray
from ray import tune
from ray.tune import RunConfig, TuneConfig, Tuner

from fas_ray.config import Settings
from fas_ray.distributed.runtime import ray_session
from fas_ray.exceptions import MissingDependencyError
from fas_ray.ml._space import CategoricalDomain, FloatDomain, IntDomain
from fas_ray.text._finetune import (
    FinetuneConfig,
    FinetuneOptions,
    FinetuneOutcome,
    finetune,
    finetune_space,
    resolve_text_model,
)

__all__ = ["finetune_text"]

_REFIT_SHARE = 0.3  # of the time slice, kept for the refit on every row
NO_GPU = "no GPU in the cluster: transformer fine-tuning runs only as GPU trials"


def _tune_space() -> dict[str, Any]:
    space: dict[str, Any] = {}
    for name, domain in finetune_space().items():
        if isinstance(domain, FloatDomain):
            space[name] = (tune.loguniform if domain.log else tune.uniform)(domain.low, domain.high)
        elif isinstance(domain, IntDomain):
            space[name] = tune.randint(domain.low, domain.high + 1)
        elif isinstance(domain, CategoricalDomain):
            space[name] = tune.choice(list(domain.choices))
    return space


def _loss(pred: np.ndarray, y: np.ndarray, n_classes: int) -> float:
    if n_classes == 0:
        return float(np.mean((pred - y) ** 2))
    picked = pred[np.arange(len(y)), y.astype(np.int64)]
    return float(-np.mean(np.log(np.clip(picked, 1e-15, 1.0))))


def _config(params: dict[str, Any], options: FinetuneOptions) -> FinetuneConfig:
    return FinetuneConfig(
        learning_rate=float(params["learning_rate"]),
        epochs=int(params["epochs"]),
        max_length=int(params["max_length"]),
        batch_size=options.batch_size,
        max_steps=options.max_steps,
    )


def _trial(
    params: dict[str, Any],
    source: str,
    documents: list[str],
    y: np.ndarray,
    n_classes: int,
    folds: list[tuple[np.ndarray, np.ndarray]],
    options: FinetuneOptions,
    seed: int,
) -> None:
    config = _config(params, options)
    oof = np.full((len(y), n_classes) if n_classes else len(y), np.nan)
    for train, valid in folds:
        part = [documents[i] for i in train]
        model = finetune(source, part, y[train], n_classes, config, seed, options.force_cpu)
        held = [documents[i] for i in valid]
        oof[valid] = model.predict_proba(held) if n_classes else model.predict(held)
    rows = ~np.isnan(oof.reshape(len(y), -1)).any(axis=1)
    tune.report({"loss": _loss(oof[rows], y[rows], n_classes), "oof": oof.tolist()})


def _refit(
    source: str,
    documents: list[str],
    y: np.ndarray,
    n_classes: int,
    config: FinetuneConfig,
    seed: int,
    force_cpu: bool,
) -> Any:
    return finetune(source, documents, y, n_classes, config, seed, force_cpu=force_cpu)


def finetune_text(
    documents: Sequence[str],
    y: np.ndarray,
    n_classes: int,
    folds: Sequence[tuple[np.ndarray, np.ndarray]],
    seed: int,
    *,
    options: FinetuneOptions,
    time_limit: float | None,
    settings: Settings | None = None,
) -> FinetuneOutcome | str:
    """The best configuration's out-of-fold predictions and its model refitted on every row,
    or why fine-tuning was skipped (no GPU, no model, no trial done in ``time_limit``).

    Joins the running Ray, else starts one (only when this machine has a GPU or
    ``options.force_cpu``: a CPU-only laptop never pays for it).
    """
    started = time.perf_counter()
    if not ray.is_initialized() and not options.force_cpu and not _local_gpu():
        return NO_GPU
    try:
        source = str(resolve_text_model(options.model))
    except MissingDependencyError as exc:
        return str(exc)
    docs = [d if isinstance(d, str) else "" for d in documents]
    with ray_session(settings or Settings()):
        gpus = float(ray.cluster_resources().get("GPU", 0))
        if gpus < 1 and not options.force_cpu:
            return NO_GPU
        on_gpu = gpus >= 1 and not options.force_cpu
        device: dict[str, float] = {"cpu": 1.0, "gpu": 1.0} if on_gpu else {"cpu": 1.0}
        search_s = None if time_limit is None else time_limit * (1 - _REFIT_SHARE)
        trainable = tune.with_resources(
            tune.with_parameters(
                _trial,
                source=source,
                documents=docs,
                y=y,
                n_classes=n_classes,
                folds=list(folds),
                options=options,
                seed=seed,
            ),
            device,
        )
        from ray.tune.search.optuna import OptunaSearch

        with tempfile.TemporaryDirectory(prefix="fas-ray-finetune-") as storage:
            grid = Tuner(
                trainable,
                param_space=_tune_space(),
                tune_config=TuneConfig(
                    metric="loss",
                    mode="min",
                    num_samples=options.trials,
                    search_alg=OptunaSearch(seed=seed),
                    time_budget_s=search_s,
                    max_concurrent_trials=max(1, int(gpus)) if "gpu" in device else 1,
                ),
                run_config=RunConfig(name="finetune", storage_path=storage, verbose=0),
            ).fit()
            results = [grid[i] for i in range(len(grid))]
            done = [
                (r.metrics, r.config or {})
                for r in results
                if r.error is None and r.metrics and "loss" in r.metrics
            ]
            if not done:
                errors = [str(r.error).strip().splitlines()[-1] for r in results if r.error]
                why = f": {errors[0]}" if errors else ""
                return f"no fine-tuning trial finished in the time slice{why}"
            metrics, params = min(done, key=lambda r: float(r[0]["loss"]))
            config = _config(params, options)
            oof = np.asarray(metrics["oof"], dtype=np.float64)
        refit = ray.remote(num_cpus=1, num_gpus=1 if "gpu" in device else 0)(_refit)
        model = ray.get(refit.remote(source, docs, y, n_classes, config, seed, options.force_cpu))
    return FinetuneOutcome(
        oof=oof,
        model=model,
        config={k: params[k] for k in finetune_space()},
        trials=len(done),
        device="gpu" if "gpu" in device else "cpu",
        seconds=time.perf_counter() - started,
        source=Path(source).name,
    )


def _local_gpu() -> bool:
    """Whether this machine has a CUDA GPU: no NVIDIA device file means no (without importing
    torch, which takes seconds), else torch decides."""
    import glob

    if not glob.glob("/dev/nvidia[0-9]*"):
        return False
    try:
        import torch
    except ImportError:
        return False
    return bool(torch.cuda.is_available())
