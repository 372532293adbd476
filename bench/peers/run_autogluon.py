"""AutoGluon-tabular with its default preset (``medium_quality``: no stacking or bagging; LightGBM
x3, CatBoost, XGBoost, RandomForest x3, ExtraTrees x3, the torch and fastai neural nets, then a
weighted ensemble), eval_metric = the task's metric, time_limit = budget, ``num_cpus`` threads.
bench/.venvs/autogluon.

AutoGluon has no single seed: ``learner_kwargs={"random_state": seed}`` seeds its train /
validation split; each model keeps AutoGluon's own default seed (0).
"""

from __future__ import annotations

from pathlib import Path

import autogluon.tabular
import pandas as pd
import torch
from _common import Clock, finish, read_job
from autogluon.tabular import TabularPredictor

EVAL_METRIC = {"roc_auc": "roc_auc", "log_loss": "log_loss", "rmse": "root_mean_squared_error"}


def main() -> None:
    job = read_job()
    train = pd.read_parquet(job["train"])
    test = pd.read_parquet(job["test"])
    predictor = TabularPredictor(
        label=job["target"],
        problem_type=job["task"],
        eval_metric=EVAL_METRIC[job["metric"]],
        path=str(Path(job["out"]) / "ag_models"),
        verbosity=1,
        learner_kwargs={"random_state": job["seed"]},
    )
    with Clock() as fit:
        predictor.fit(
            train,
            time_limit=job["budget"],
            presets="medium_quality",
            num_cpus=job["threads"],
            num_gpus=0,
        )
    classify = job["task"] != "regression"
    with Clock() as predict:
        if classify:
            proba = predictor.predict_proba(test)
            classes, pred = list(proba.columns), proba.to_numpy()
        else:
            classes, pred = None, predictor.predict(test).to_numpy()
    board = predictor.leaderboard(silent=True)
    info = {"best": predictor.model_best, "models": board["model"].tolist()}
    versions = {"autogluon.tabular": autogluon.tabular.__version__, "torch": torch.__version__}
    finish(job, pred, classes, fit.seconds, predict.seconds, versions, info)


if __name__ == "__main__":
    main()
