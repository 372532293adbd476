"""FLAML ``AutoML`` with its default estimators, the task's metric, the budget, 2 threads and
the seed. bench/.venvs/flaml."""

from __future__ import annotations

import flaml
import pandas as pd
from _common import Clock, finish, read_job
from flaml import AutoML

METRIC = {"roc_auc": "roc_auc", "log_loss": "log_loss", "rmse": "rmse"}


def main() -> None:
    job = read_job()
    train = pd.read_parquet(job["train"])
    test = pd.read_parquet(job["test"])
    y = train.pop(job["target"])
    classify = job["task"] != "regression"
    automl = AutoML()
    with Clock() as fit:
        automl.fit(
            X_train=train,
            y_train=y,
            task="classification" if classify else "regression",
            metric=METRIC[job["metric"]],
            time_budget=job["budget"],
            n_jobs=job["threads"],
            seed=job["seed"],
            log_file_name="",
            verbose=0,
        )
    with Clock() as predict:
        pred = automl.predict_proba(test) if classify else automl.predict(test)
    info = {"best_estimator": automl.best_estimator, "best_config": automl.best_config}
    finish(
        job,
        pred,
        list(automl.classes_) if classify else None,
        fit.seconds,
        predict.seconds,
        {"flaml": flaml.__version__},
        info,
    )


if __name__ == "__main__":
    main()
