"""fas-ray through its Python API, as a new user would call it. Project venv.

``metric=`` is passed only when ``AutoML`` takes it (it is being added); ``task=`` and
``settings=Settings(num_cpus=threads)`` keep the task and the cores the same as the peers get.

``FAS_RAY_BENCH_KWARGS`` (a JSON object, e.g. ``{"bagging": true}``) adds ``AutoML`` arguments,
to measure one candidate change against the defaults; the cell records them under ``variant``.
"""

from __future__ import annotations

import contextlib
import inspect
import json
import os
import types
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import polars as pl
from _common import Clock, finish, read_job


def main() -> None:
    job = read_job()
    import fas_ray
    from fas_ray import AutoML, Settings

    train = pl.read_parquet(job["train"])
    test = pl.read_parquet(job["test"])
    classify = job["task"] != "regression"
    kwargs = {
        "target": job["target"],
        "time_budget": job["budget"],
        "seed": job["seed"],
        "task": "classification" if classify else "regression",
        "n_jobs": job["threads"],
        "settings": Settings(num_cpus=job["threads"], data_root=Path(job["out"]) / "fas_data"),
    }
    takes_metric = "metric" in inspect.signature(AutoML).parameters
    if takes_metric:
        kwargs["metric"] = job["metric"]
    variant = json.loads(os.environ.get("FAS_RAY_BENCH_KWARGS") or "{}")
    automl = AutoML(**kwargs, **variant)
    stages: dict[str, float] = {}

    @contextlib.contextmanager
    def stage(name: str) -> Iterator[Any]:  # fit's own timing hook: where the seconds went
        with Clock() as c:
            yield types.SimpleNamespace(detail={})
        stages[name] = round(c.seconds, 2)

    with Clock() as fit:
        automl.fit(train, stage=stage)
    with Clock() as predict:
        pred = automl.predict_proba(test) if classify else automl.predict(test)
    search = automl.search_
    info = {
        "metric_passed": takes_metric,
        "variant": variant,
        "model": automl.ensemble_.get("kind"),
        "learner": automl.ensemble_.get("learner"),
        "configs": dict(search.counts) if search is not None else None,
        "bagged": automl.ensemble_.get("bagged"),
        "bagging_skipped": automl.ensemble_.get("bagging_skipped"),
        "cv_score": automl.ensemble_.get("cv_score"),
        "best_single": automl.ensemble_.get("best_single"),
        "ensemble_cv_score": automl.ensemble_.get("ensemble_cv_score"),
        "members": [
            (m["learner"], round(m["weight"], 3)) for m in automl.ensemble_.get("members", [])
        ],
        "completed_by_learner": dict(
            Counter(t.learner for t in search.trials) if search is not None else {}
        ),
        "stage_seconds": stages,
    }
    finish(
        job,
        pred,
        list(automl.classes_) if classify else None,
        fit.seconds,
        predict.seconds,
        {"fas-ray": fas_ray.__version__},
        info,
    )


if __name__ == "__main__":
    main()
