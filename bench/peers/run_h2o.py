"""H2O AutoML: max_runtime_secs = budget, sort_metric = the task's metric, the seed, a JVM with
``nthreads`` threads and 4 GB on a free local port (never another session's cluster), shut
down afterwards. bench/.venvs/h2o."""

from __future__ import annotations

import socket

import h2o
import pandas as pd
from _common import Clock, finish, read_job
from h2o.automl import H2OAutoML

SORT_METRIC = {"roc_auc": "AUC", "log_loss": "logloss", "rmse": "RMSE"}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> None:
    job = read_job()
    target, classify = job["target"], job["task"] != "regression"
    train = pd.read_parquet(job["train"])
    test = pd.read_parquet(job["test"])
    if classify:  # labels as text: H2O's levels of a numeric column read back as "0.0"
        train[target] = train[target].astype(str)
    text = [c for c in train.columns if not pd.api.types.is_numeric_dtype(train[c])]
    with Clock() as start:
        h2o.init(
            nthreads=job["threads"],
            max_mem_size="4G",
            port=_free_port(),
            name=f"fasray-bench-{job['seed']}-{id(job)}",
            log_dir=job["out"],
            verbose=False,
        )
    try:
        h2o.no_progress()
        types = {c: "enum" for c in text}
        htrain = h2o.H2OFrame(train, column_types=types)
        htest = h2o.H2OFrame(test, column_types={c: t for c, t in types.items() if c != target})
        aml = H2OAutoML(
            max_runtime_secs=int(round(job["budget"])),
            seed=job["seed"],
            sort_metric=SORT_METRIC[job["metric"]],
            verbosity=None,
        )
        with Clock() as fit:
            aml.train(y=target, training_frame=htrain)
        if aml.leader is None:
            raise RuntimeError(f"H2O AutoML trained no model in {job['budget']:g} s")
        with Clock() as predict:
            out = aml.leader.predict(htest).as_data_frame(use_multi_thread=False)
        if classify:
            classes = htrain[target].levels()[0]
            pred = out.iloc[:, 1 : 1 + len(classes)].to_numpy()  # p<level> in domain order
        else:
            classes, pred = None, out["predict"].to_numpy()
        info = {
            "leader": aml.leader.model_id,
            "models": int(aml.leaderboard.nrows),
            "jvm_start_seconds": start.seconds,
        }
    finally:
        h2o.cluster().shutdown(prompt=False)
    finish(job, pred, classes, fit.seconds, predict.seconds, {"h2o": h2o.__version__}, info)


if __name__ == "__main__":
    main()
