"""A finished run's explanations, charts and export bundle, from what the run stored.

- :func:`explain_run` recomputes SHAP values (on a sample of the run's silver rows) and the
  error analysis of its holdout predictions (``fas-ray explain RUN_ID``);
- :func:`chart_run` rebuilds its charts (``fas-ray charts RUN_ID``);
- :func:`export_run` writes one zip a person can hand on (``fas-ray export RUN_ID``): the
  manifest, the model, report, leaderboard, profile, SHAP values, error analysis, charts (HTML
  and PNG), the gold holdout predictions (a clustering: each row's cluster) and a model card.
  The zip is written to a temporary name and renamed, so a half-written bundle never appears.
"""

from __future__ import annotations

import json
import os
import tempfile
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from fas_ray.charts import run_figures, write_figures
from fas_ray.clustering import ClusterModel
from fas_ray.exceptions import InputError, RunNotFoundError
from fas_ray.explain import error_analysis, explain_fitted
from fas_ray.forecast import Forecaster
from fas_ray.manifest import RunManifest
from fas_ray.ml import FittedModel
from fas_ray.ml._metrics import greater_is_better
from fas_ray.registry import open_registry
from fas_ray.storage import DataRoot, write_json
from fas_ray.storage._crypt import is_encrypted

__all__ = [
    "chart_run",
    "explain_run",
    "export_run",
    "model_card",
    "run_model_card",
    "silver_sample",
]

_PREDICTED = ("prediction", "proba_")


def _completed(root: DataRoot, run_id: str) -> tuple[RunManifest, dict[str, Any], FittedModel]:
    path = root.run_dir(run_id) / "manifest.json"
    if not path.is_file():
        raise RunNotFoundError(f"No run {run_id!r} under {root.root}; list runs with fas-ray runs.")
    manifest = RunManifest.load(path)
    report_path = root.run_dir(run_id) / "report.json"
    if manifest.status != "completed" or not report_path.is_file() or not manifest.model_id:
        raise InputError(
            f"Run {run_id} is {manifest.status}, not completed with a model; only finished runs "
            "can be explained or exported."
        )
    report = json.loads(report_path.read_text(encoding="utf-8"))
    registry = open_registry(root.registry_db, root.layer("models"))
    return manifest, report, registry.load(manifest.model_id)


def _silver(root: DataRoot, run_id: str) -> pl.DataFrame:
    files = sorted(root.silver(run_id).glob("*.parquet"))
    if not files:
        raise InputError(f"Run {run_id} has no silver data left under {root.silver(run_id)}.")
    return pl.concat([root.read(f) for f in files], how="vertical_relaxed")


def silver_sample(root: DataRoot, run_id: str, max_rows: int, seed: int = 0) -> pl.DataFrame:
    """The run's cleaned rows, a seeded sample of ``max_rows`` of them when there are more.

    Raises:
        InputError: the run has no silver data (yet, or any more).
    """
    silver = _silver(root, run_id)
    return silver if silver.height <= max_rows else silver.sample(max_rows, seed=seed)


def run_model_card(root: DataRoot, run_id: str) -> str:
    """The Markdown model card of a completed run (what its bundle's MODEL_CARD.md holds)."""
    _, report, model = _completed(root, run_id)
    errors_path = root.run_dir(run_id) / "errors.json"
    errors = json.loads(errors_path.read_text()) if errors_path.is_file() else None
    return model_card(report, model, errors, encrypted=_gold_encrypted(root, run_id))


def _gold_encrypted(root: DataRoot, run_id: str) -> bool:
    return is_encrypted(root.gold(run_id) / "holdout.parquet")


def explain_run(root: DataRoot, run_id: str, *, sample: int = 100, seed: int = 0) -> dict[str, Any]:
    """Recompute ``shap.json`` and ``errors.json`` of a completed run; returns both.

    Raises:
        InputError: the run is a forecast or a clustering (it has no SHAP values or error
            analysis).
    """
    manifest, report, model = _completed(root, run_id)
    if isinstance(model, Forecaster):
        raise InputError(
            f"Run {run_id} is a forecast: it has no SHAP values or error analysis to recompute; "
            "its backtest is in report.json and its charts."
        )
    if isinstance(model, ClusterModel):
        raise InputError(
            f"Run {run_id} is a clustering: it has no SHAP values or error analysis to "
            "recompute; each cluster's profile is in report.json."
        )
    target = model.task.target
    silver = _silver(root, run_id)
    rng = np.random.default_rng(seed)
    rows = (
        silver
        if silver.height <= sample
        else silver[np.sort(rng.choice(silver.height, sample, False))]
    )
    explanation = explain_fitted(model, model.features.transform(rows))
    shap = explanation.to_json()
    run_dir = root.run_dir(run_id)
    manifest.add_artifact("shap", write_json(run_dir / "shap.json", shap))
    gold = root.read(root.gold(run_id) / "holdout.parquet")
    classes = list(model.task.classes) if model.task.is_classification else None
    proba = gold.select([f"proba_{c}" for c in classes]).to_numpy() if classes else None
    errors = error_analysis(
        gold.drop(
            [c for c in gold.columns if c == "prediction" or c.startswith("proba_")] + [target]
        ),
        gold[target].to_numpy(),
        gold["prediction"].to_numpy(),
        proba=proba,
        classes=classes,
    )
    manifest.add_artifact("errors", write_json(run_dir / "errors.json", errors))
    manifest.save()
    return {"shap": shap, "errors": errors}


def chart_run(root: DataRoot, run_id: str, *, png: bool = True) -> dict[str, Any]:
    """Rebuild a completed run's charts (``runs/<id>/charts/``); returns what was written."""
    manifest, report, model = _completed(root, run_id)
    run_dir = root.run_dir(run_id)
    if isinstance(model, Forecaster):
        from fas_ray.forecast_run import forecast_figures

        figs = forecast_figures(model, model.predict())
        written = write_figures(
            figs, run_dir / "charts", title=f"fas-ray forecast {run_id}", png=png
        )
        written["notes"] = []
        manifest.add_artifact("charts", Path(written["html"]))
        manifest.save()
        return written
    if isinstance(model, ClusterModel):
        from fas_ray.cluster_run import cluster_figures

        gold = root.read(root.gold(run_id) / "clusters.parquet")
        labels = gold["cluster"].to_numpy()
        figs = cluster_figures(model, gold.drop("cluster"), labels, manifest.config.get("seed", 0))
        written = write_figures(
            figs, run_dir / "charts", title=f"fas-ray clustering {run_id}", png=png
        )
        written["notes"] = []
        manifest.add_artifact("charts", Path(written["html"]))
        manifest.save()
        return written
    shap_path = run_dir / "shap.json"
    shap = json.loads(shap_path.read_text()) if shap_path.is_file() else None
    leaderboard_path = run_dir / "leaderboard.json"
    trials = json.loads(leaderboard_path.read_text()) if leaderboard_path.is_file() else []
    figs, notes = run_figures(
        silver=_silver(root, run_id),
        target=model.task.target,
        classes=list(model.task.classes) if model.task.is_classification else None,
        gold=root.read(root.gold(run_id) / "holdout.parquet"),
        shap=shap,
        trials=trials,
        higher_is_better=greater_is_better(report.get("metric", "")),
    )
    written = write_figures(figs, run_dir / "charts", title=f"fas-ray run {run_id}", png=png)
    written["notes"] = notes
    manifest.add_artifact("charts", Path(written["html"]))
    manifest.save()
    return written


def _card_head(report: dict[str, Any]) -> list[str]:
    """A model card's title and the lines of its data section every card has."""
    return [
        f"# Model card: {report.get('model_id')}",
        "",
        "## Data",
        f"- Source: `{report.get('source')}`",
        f"- SHA-256 of the input: `{report.get('sha256')}`",
    ]


def card_usage(code: list[str], served: str, intro: list[str] | None = None) -> list[str]:
    """A model card's "How to use it" section: loading the pickle, then ``code`` (lines of
    Python), then how ``fas-ray serve`` serves it (``served``)."""
    return [
        "",
        "## How to use it",
        "",
        *(intro or []),
        "```python",
        "import pickle",
        *(["import polars as pl"] if any("pl." in line for line in code) else []),
        "",
        'with open("model/model.pkl", "rb") as fh:  # needs fas-ray installed',
        "    model = pickle.load(fh)",
        *code,
        "```",
        "",
        served,
        "",
    ]


def model_card(
    report: dict[str, Any], model: Any, errors: dict[str, Any] | None, *, encrypted: bool = False
) -> str:
    """A Markdown model card: data, task, metrics, top features, weak slices, how to use it
    (``encrypted``: the gold rows are read with the data root's key)."""
    if isinstance(model, Forecaster):
        return forecast_card(report, model)
    if isinstance(model, ClusterModel):
        from fas_ray.cluster_run import cluster_card

        return cluster_card(report, _card_head(report))
    task = report.get("task", {})
    lines = [
        *_card_head(report),
        f"- Target: `{task.get('target', model.task.target)}`; task: {task.get('subtype')} "
        f"({task.get('reason', '')})",
        "",
        "## Model",
        f"- Learner: {model.learner}"
        + (f" ({len(model.params.get('members', []))} members)" if model.is_ensemble else ""),
        f"- Cross-validated {report.get('metric')}: {report.get('cv_best_score')}",
        "",
        "## Holdout metrics",
        "",
        "| metric | value |",
        "|---|---:|",
    ]
    for name, value in (report.get("holdout_metrics") or {}).items():
        lines.append(
            f"| {name} | {value:.4f} |" if isinstance(value, float) else f"| {name} | {value} |"
        )
    lines += ["", "## Top features (mean |SHAP|)", ""]
    for item in (report.get("shap_importance") or [])[:10]:
        lines.append(f"- `{item['feature']}`: {item['mean_abs_shap']:.4g}")
    lines += ["", "## Known weak slices", ""]
    biases = (errors or {}).get("systematic_biases") or []
    if biases:
        for b in biases[:10]:
            lines.append(
                f"- {b['slice']}: error {b['error']:.3g} vs {b['overall_error']:.3g} overall "
                f"({b['rows']} holdout rows, {b['lift']:.2f}x)"
            )
    else:
        lines.append("- none found in the holdout rows (no slice with 1.2x the overall error)")
    columns = ", ".join(f"`{c}`" for c in model.features.input_columns[:12])
    more = " ..." if len(model.features.input_columns) > 12 else ""
    lines += card_usage(
        [
            *(
                [
                    "# gold/holdout.parquet is encrypted: it opens only with the run's key",
                    "from pathlib import Path",
                    "from fas_ray.storage import DataRoot, ParquetKey",
                    'root = DataRoot(Path("."), key=ParquetKey.from_file("key"))',
                    'rows = root.read(Path("gold/holdout.parquet"))',
                ]
                if encrypted
                else ['rows = pl.read_parquet("gold/holdout.parquet")']
            ),
            "predictions = model.predict(rows)",
            *(
                ["probabilities = model.predict_proba(rows)  # columns: model.classes_"]
                if model.task.is_classification
                else []
            ),
        ],
        f"Served by `fas-ray serve`: `POST /models/{report.get('model_id')}/predict` with "
        '`{"rows": [{...}]}`.',
        intro=[f"Input columns: {columns}{more} (original or snake_case spelling).", ""],
    )
    return "\n".join(lines)


def forecast_card(report: dict[str, Any], model: Forecaster) -> str:
    """The model card of a forecast: data, series, the chosen models and their backtest."""
    fc = report.get("forecast", {})
    lines = [
        *_card_head(report),
        f"- Forecast of `{model.target}` over `{model.time}`"
        + (f", one series per `{model.key}`" if model.key else "")
        + f"; {fc.get('frequency')} steps, horizon {fc.get('horizon')}",
        "",
        f"## Backtest ({fc.get('folds')} rolling-origin windows of the horizon)",
        "",
        "| series | model | MASE | seasonal naive MASE | interval coverage |",
        "|---|---|---:|---:|---|",
    ]
    for s in fc.get("series", []):
        mase = s.get("backtest", {}).get("mase")
        naive = s.get("seasonal_naive_mase")
        cover = ", ".join(
            f"{k} %: {v:.0%}" for k, v in (s.get("interval_coverage") or {}).items() if v
        )
        lines.append(
            f"| {s.get('key') or '-'} | {s.get('model')} | "
            f"{'' if mase is None else f'{mase:.3f}'} | {'' if naive is None else f'{naive:.3f}'}"
            f" | {cover} |"
        )
    lines += card_usage(
        ["future = model.predict(horizon=12)  # times, forecast, lo_80/hi_80, lo_95/hi_95"],
        f"Served by `fas-ray serve`: `POST /models/{report.get('model_id')}/forecast` with "
        '`{"horizon": 12}`.',
    )
    return "\n".join(lines)


def export_run(root: DataRoot, run_id: str, out: Path | None = None) -> Path:
    """Write the run's bundle (default ``runs/<id>/<id>-bundle.zip``); returns its path."""
    manifest, report, model = _completed(root, run_id)
    run_dir = root.run_dir(run_id)
    errors_path = run_dir / "errors.json"
    errors = json.loads(errors_path.read_text()) if errors_path.is_file() else None
    out = Path(out) if out else run_dir / f"{run_id}-bundle.zip"
    out.parent.mkdir(parents=True, exist_ok=True)
    files: dict[str, Path] = {}
    for name in (
        "manifest.json",
        "report.json",
        "leaderboard.json",
        "profile.json",
        "schema.json",
        "etl.json",
        "shap.json",
        "errors.json",
    ):
        if (run_dir / name).is_file():
            files[name] = run_dir / name
    charts = run_dir / "charts"
    if charts.is_dir():
        for path in sorted(charts.rglob("*")):
            if path.is_file() and not path.name.startswith("."):
                files[f"charts/{path.relative_to(charts)}"] = path
    for name in ("holdout.parquet", "forecast.parquet", "clusters.parquet"):
        gold = root.gold(run_id) / name
        if gold.is_file():
            files[f"gold/{name}"] = gold
    registry = open_registry(root.registry_db, root.layer("models"))
    files["model/model.pkl"] = Path(registry.info(manifest.model_id or "").path)
    fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent)
    os.close(fd)
    try:
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as bundle:
            for arcname, path in files.items():
                bundle.write(path, arcname)
            card = model_card(report, model, errors, encrypted=_gold_encrypted(root, run_id))
            bundle.writestr("MODEL_CARD.md", card)
        os.replace(tmp, out)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return out
