"""AutoML quality at equal time budgets, and search throughput (issue 5).

Quality: on scikit-learn's bundled data sets (breast_cancer, wine, digits, diabetes, iris) and
two larger generated ones, one fixed stratified 80/20 split each (seed 0), compares on the 20 %:

- ``fas-ray``: ``fas_ray.AutoML(time_budget=B)`` (Ray Tune search, ensemble, calibration, refit);
- ``lgbm-default``: ``LGBMClassifier()`` / ``LGBMRegressor()`` with library defaults;
- ``optuna-lgbm``: Optuna TPE in this process (2 threads) over LightGBM's parameters with the
  same 5-fold CV for ``B`` seconds, then the best refitted.

Metric: ROC-AUC (binary), accuracy (multiclass), R² (regression): higher is better.

Throughput: the same objective (breast_cancer, 5-fold LightGBM CV with 200 rounds over the rest
of fas-ray's LightGBM space, TPE, no pruning) run by Optuna in-process with 2 threads and by
fas-ray's Ray Tune search with 2 workers, for ``--throughput-seconds`` each; configurations per
minute.

    .venv/bin/python bench/automl.py --budget 60            # ~15 min on 2 cores
    .venv/bin/python bench/automl.py --budget 300 --datasets breast_cancer,diabetes
    .venv/bin/python bench/automl.py --throughput-only
    .venv/bin/python bench/automl.py --peers --budgets 60    # vs FLAML, AutoGluon, H2O: peers.py
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parent))
from etl import _sh, _versions, write_section  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
DATASETS = (
    "breast_cancer",
    "wine",
    "digits",
    "diabetes",
    "iris",
    "gen_classification_20k",
    "gen_regression_20k",
)


def load(name: str) -> tuple[pl.DataFrame, str]:
    from sklearn import datasets

    if name.startswith("gen_classification"):
        X, y = datasets.make_classification(
            n_samples=20_000,
            n_features=40,
            n_informative=12,
            n_redundant=8,
            flip_y=0.05,
            class_sep=0.8,
            random_state=0,
        )
    elif name.startswith("gen_regression"):
        X, y = datasets.make_friedman1(n_samples=20_000, n_features=30, noise=1.0, random_state=0)
    else:
        frame = getattr(datasets, f"load_{name}")(as_frame=True).frame
        return pl.from_pandas(frame), "target"
    df = pl.DataFrame({f"x{i}": X[:, i] for i in range(X.shape[1])})
    return df.with_columns(pl.Series("target", y)), "target"


def split(df: pl.DataFrame, target: str, task: Any) -> tuple[pl.DataFrame, pl.DataFrame]:
    from fas_ray.ml._split import holdout_split

    return holdout_split(df, task, 0.2, 0)


def metric_of(task: Any, y_true: np.ndarray, pred: np.ndarray, proba: np.ndarray | None) -> float:
    from fas_ray.ml import primary_metric
    from fas_ray.ml._metrics import metric_score

    return float(metric_score(primary_metric(task), y_true, pred, proba))


def _xy(df: pl.DataFrame, target: str, task: Any) -> tuple[np.ndarray, np.ndarray]:
    from fas_ray.ml._model import encode_target

    X = df.drop(target).to_numpy().astype(np.float64)
    return X, encode_target(task, df[target])


def run_lgbm_default(train: pl.DataFrame, test: pl.DataFrame, target: str, task: Any) -> dict:
    import lightgbm as lgb

    t = time.perf_counter()
    X, y = _xy(train, target, task)
    Xt, yt = _xy(test, target, task)
    cls = lgb.LGBMClassifier if task.is_classification else lgb.LGBMRegressor
    est = cls(verbosity=-1, random_state=0).fit(X, y)
    proba = est.predict_proba(Xt) if task.is_classification else None
    score = metric_of(task, yt, est.predict(Xt), proba)
    return {"score": score, "seconds": time.perf_counter() - t}


def run_optuna_lgbm(
    train: pl.DataFrame, test: pl.DataFrame, target: str, task: Any, budget: float, seed: int
) -> dict:
    import optuna

    from fas_ray.ml import cross_val_score, make_folds
    from fas_ray.ml._space import split_config, suggest_config

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    t = time.perf_counter()
    X, y = _xy(train, target, task)
    Xt, yt = _xy(test, target, task)
    folds = make_folds(task, y, 5, seed)

    def objective(trial: optuna.Trial) -> float:
        learner, params = split_config(suggest_config(trial, ["lightgbm"]))
        return cross_val_score(learner, params, X, y, task, folds, seed).mean

    study = optuna.create_study(direction="maximize", sampler=optuna.samplers.TPESampler(seed=seed))
    refit_reserve = 0.1 * budget
    study.optimize(objective, timeout=budget - refit_reserve, n_jobs=2)
    from fas_ray.ml.learners import get_learner

    learner, params = split_config(study.best_trial.params)
    est = get_learner("lightgbm").make_estimator(params, task, seed, n_jobs=-1).fit(X, y)
    proba = est.predict_proba(Xt) if task.is_classification else None
    score = metric_of(task, yt, est.predict(Xt), proba)
    return {"score": score, "seconds": time.perf_counter() - t, "trials": len(study.trials)}


def run_fasray(
    train: pl.DataFrame, test: pl.DataFrame, target: str, task: Any, budget: float, seed: int
) -> dict:
    from fas_ray import AutoML
    from fas_ray.ml._model import encode_target

    t = time.perf_counter()
    automl = AutoML(target, time_budget=budget, seed=seed, use_ray=True).fit(train)
    seconds = time.perf_counter() - t
    yt = encode_target(task, test[target])
    if task.is_classification:
        proba = automl.predict_proba(test)
        pred = np.argmax(proba, axis=1)
    else:
        proba, pred = None, automl.predict(test)
    assert automl.search_ is not None
    return {
        "score": metric_of(task, yt, pred, proba),
        "seconds": seconds,
        "trials": automl.search_.counts.get("complete", 0) + automl.search_.counts.get("pruned", 0),
        "model": automl.ensemble_.get("kind"),
        "learner": automl.model.learner,
    }


def throughput(seconds: float, seed: int, constant_cost: bool = False) -> dict[str, float]:
    """Configurations per minute on one objective: Optuna in-process vs fas-ray's Ray search."""
    import optuna

    from fas_ray.distributed import run_search
    from fas_ray.ml import cross_val_score, detect_task, make_folds
    from fas_ray.ml._space import split_config, suggest_config

    df, target = load("breast_cancer")
    task = detect_task(df[target], target)
    X, y = _xy(df, target, task)
    folds = make_folds(task, y, 5, seed)

    fixed = {"lightgbm.n_estimators": 200}  # the objective: 200 boosting rounds
    if constant_cost:  # every parameter fixed: each configuration costs the same, so the rate
        # compares the search machinery alone, not which configurations TPE happened to pick
        from fas_ray.ml import default_config

        fixed = {**default_config("lightgbm"), "lightgbm.n_estimators": 200}
        fixed.pop("learner")

    def objective(trial: optuna.Trial) -> float:
        learner, params = split_config(suggest_config(trial, ["lightgbm"], fixed=fixed))
        return cross_val_score(learner, params, X, y, task, folds, seed).mean

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(direction="maximize", sampler=optuna.samplers.TPESampler(seed=seed))
    t = time.perf_counter()
    study.optimize(objective, timeout=seconds, n_jobs=2)
    optuna_rate = 60 * len(study.trials) / (time.perf_counter() - t)
    out = {"optuna_in_process": optuna_rate}
    for prune in (False, True):
        with tempfile.TemporaryDirectory() as tmp:
            result = run_search(
                X,
                y,
                task,
                folds,
                metric="roc_auc",
                learners=("lightgbm",),
                seed=seed,
                time_budget_s=seconds,
                max_trials=None,
                storage_path=Path(tmp),
                prune=prune,
                fixed=fixed,
            )
        out["fasray_pruned" if prune else "fasray"] = result.configs_per_minute
    return out


def main() -> None:
    if "--peers" in sys.argv[1:]:  # the peer benchmark (issue 12) has its own driver
        from peers import main as peers_main

        peers_main([a for a in sys.argv[1:] if a != "--peers"])
        return
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--budget", type=float, default=60.0)
    p.add_argument("--datasets", default=",".join(DATASETS))
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--throughput-seconds", type=float, default=60.0)
    p.add_argument("--throughput-only", action="store_true")
    p.add_argument("--skip-throughput", action="store_true")
    p.add_argument("--out", default=str(REPO / "bench" / "RESULTS.md"))
    p.add_argument("--no-write", action="store_true")
    args = p.parse_args()
    warnings.filterwarnings("ignore")
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")

    from fas_ray.config import Settings
    from fas_ray.distributed import ray_session
    from fas_ray.ml import detect_task, primary_metric

    load_before = _sh("uptime")
    rows: list[dict[str, Any]] = []
    rates: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as root:
        with ray_session(Settings(data_root=Path(root), num_cpus=2)):
            if not args.skip_throughput:
                rates = throughput(args.throughput_seconds, args.seed)
                print("throughput", json.dumps(rates), flush=True)
                constant = throughput(args.throughput_seconds, args.seed, constant_cost=True)
                rates.update({f"constant_{k}": v for k, v in constant.items()})
                print("throughput", json.dumps(rates), flush=True)
            if not args.throughput_only:
                for name in [d for d in args.datasets.split(",") if d]:
                    df, target = load(name)
                    task = detect_task(df[target], target)
                    train, test = split(df, target, task)
                    row: dict[str, Any] = {
                        "dataset": name,
                        "rows": df.height,
                        "metric": primary_metric(task),
                        "lgbm-default": run_lgbm_default(train, test, target, task),
                        "optuna-lgbm": run_optuna_lgbm(
                            train, test, target, task, args.budget, args.seed
                        ),
                        "fas-ray": run_fasray(train, test, target, task, args.budget, args.seed),
                    }
                    rows.append(row)
                    print(json.dumps(row), flush=True)

    body = render(rows, rates, args, load_before)
    print(body)
    if not args.no_write:
        key = "automl-throughput" if args.throughput_only else f"automl-{int(args.budget)}s"
        write_section(Path(args.out), key, body)


def render(
    rows: list[dict[str, Any]], rates: dict[str, float], args: argparse.Namespace, load: str
) -> str:
    when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    argv = " ".join(sys.argv[1:])
    out = [
        f"### AutoML, budget {args.budget:.0f} s ({when})\n"
        if not args.throughput_only
        else f"### Search throughput ({when})\n",
        f"Command: `.venv/bin/python bench/automl.py {argv}`\n",
        f"Versions: {_versions()}. Load before: `{load}`.\n",
    ]
    if rows:
        out.append(
            "| data set | rows | metric | lgbm-default | optuna-lgbm (trials) | fas-ray (configs, "
            "model) | fas-ray wall s | vs default | vs optuna |\n"
            "|---|---:|---|---:|---:|---:|---:|---:|---:|"
        )
        for r in rows:
            d, o, f = r["lgbm-default"], r["optuna-lgbm"], r["fas-ray"]
            out.append(
                f"| {r['dataset']} | {r['rows']:,} | {r['metric']} | {d['score']:.4f} "
                f"| {o['score']:.4f} ({o['trials']}) | {f['score']:.4f} ({f['trials']}, "
                f"{f['model']}: {f['learner']}) | {f['seconds']:.1f} "
                f"| {f['score'] - d['score']:+.4f} | {f['score'] - o['score']:+.4f} |"
            )
        out.append("")
    if rates:
        out.append(
            "Search throughput, same objective (breast_cancer, 5-fold LightGBM CV, 200 rounds, "
            "TPE), "
            f"{args.throughput_seconds:.0f} s each: Optuna in-process (2 threads) "
            f"**{rates['optuna_in_process']:.0f}** configurations/min; fas-ray on Ray Tune "
            f"(2 workers, no pruning) **{rates['fasray']:.0f}**/min "
            f"(**{rates['fasray'] / rates['optuna_in_process']:.2f}×**); with its fold pruning "
            f"{rates['fasray_pruned']:.0f}/min. With every parameter fixed (each configuration "
            "costs the same, so only the machinery differs): Optuna "
            f"**{rates['constant_optuna_in_process']:.0f}**/min, fas-ray "
            f"**{rates['constant_fasray']:.0f}**/min "
            f"(**{rates['constant_fasray'] / rates['constant_optuna_in_process']:.2f}×**).\n"
        )
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    main()
