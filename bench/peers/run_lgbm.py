"""lgbm-default: ``LGBMClassifier()`` / ``LGBMRegressor()`` with library defaults, text columns
as pandas categories (what a user gets for free). Project venv."""

from __future__ import annotations

import lightgbm as lgb
import pandas as pd
from _common import Clock, finish, read_job


def main() -> None:
    job = read_job()
    train = pd.read_parquet(job["train"])
    test = pd.read_parquet(job["test"])
    y = train.pop(job["target"])
    for col in train.columns:
        if not pd.api.types.is_numeric_dtype(train[col]) and not pd.api.types.is_bool_dtype(
            train[col]
        ):
            cats = pd.Categorical(train[col]).categories
            train[col] = pd.Categorical(train[col], categories=cats)
            test[col] = pd.Categorical(test[col], categories=cats)
    classify = job["task"] != "regression"
    cls = lgb.LGBMClassifier if classify else lgb.LGBMRegressor
    est = cls(n_jobs=job["threads"], random_state=job["seed"], verbosity=-1)
    with Clock() as fit:
        est.fit(train, y)
    with Clock() as predict:
        pred = est.predict_proba(test) if classify else est.predict(test)
    finish(
        job,
        pred,
        list(est.classes_) if classify else None,
        fit.seconds,
        predict.seconds,
        {"lightgbm": lgb.__version__},
    )


if __name__ == "__main__":
    main()
