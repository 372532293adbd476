"""A clustering run (``fas-ray run --task clustering``, ``RunSpec(task="clustering")``):
ingest, ETL and profile as in every run, then a :class:`~fas_ray.clustering.Clusterer` on the
silver table, each row's cluster as a gold table, the chart (the rows' 2-D projection coloured
by cluster), the model in the registry and the report with each cluster's profile, each
recorded in the manifest.

Ray starts only when the data is large enough for ETL on Ray Data.
"""

from __future__ import annotations

import contextlib
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl

from fas_ray.budget import Budget
from fas_ray.clustering import Clusterer, ClusterModel
from fas_ray.config import RunSpec, Settings
from fas_ray.etl import ColumnType, canonical_order
from fas_ray.storage import write_json, write_parquet_atomic

if TYPE_CHECKING:
    import plotly.graph_objects as go

    from fas_ray.pipeline import RunResult

__all__ = ["CHART_ROWS", "CLUSTER_STAGES", "cluster_card", "cluster_figures", "run_clustering"]

CLUSTER_STAGES = ("ingest", "etl", "profile", "cluster", "charts", "register", "report")
CHART_ROWS = 3_000  # rows drawn in the projection chart (a seeded sample)
# the clusterer gets this share of what is left of the budget after ETL; charts, registry and
# report need the rest
_CLUSTER_SHARE = 0.8


def cluster_figures(
    model: ClusterModel, rows: pl.DataFrame, labels: np.ndarray, seed: int = 0
) -> dict[str, go.Figure]:
    """The clusters chart: a seeded sample of at most ``CHART_ROWS`` rows, projected to 2-D."""
    from fas_ray.viz import cluster_chart

    picked = np.arange(rows.height)
    if rows.height > CHART_ROWS:
        rng = np.random.default_rng(seed)
        picked = np.sort(rng.choice(rows.height, size=CHART_ROWS, replace=False))
    coords = model.project(rows[picked])
    ratio = list(getattr(model.projector, "explained_variance_ratio_", [])) + [0.0, 0.0]
    titles = (f"PC 1 ({ratio[0]:.0%} of variance)", f"PC 2 ({ratio[1]:.0%} of variance)")
    title = f"{model.n_clusters} clusters ({model.learner}), PCA of the clustering space"
    if picked.size < rows.height:
        title += f"; {picked.size:,} of {rows.height:,} rows"
    return {"clusters": cluster_chart(coords, labels[picked], axis_titles=titles, title=title)}


def cluster_card(report: dict[str, Any], head: list[str]) -> str:
    """The model card of a clustering run: data, the chosen model, each cluster's size and
    what sets it apart, and how to use it (``head``: the card's title and data lines)."""
    from fas_ray.export import card_usage

    chosen = report.get("clustering", {})
    silhouette = chosen.get("silhouette")
    lines = [
        *head,
        f"- Clustering without a target on {', '.join(chosen.get('features', []))}",
        "",
        "## Model",
        f"- {chosen.get('model')} with {chosen.get('k')} clusters, params "
        f"`{chosen.get('params')}`; silhouette "
        f"{'' if silhouette is None else f'{silhouette:.3f}'} on a sample, "
        f"chosen from {chosen.get('candidates')} candidates",
        "",
        "## Clusters",
        "",
        "| cluster | rows | share | what sets it apart (standard deviations) |",
        "|---|---:|---:|---|",
    ]
    for c in report.get("clusters", {}).get("clusters", []):
        apart = ", ".join(
            f"{a['feature']} {a['direction']} ({a['difference']:+.2f})" for a in c["apart"][:3]
        )
        name = "noise" if c["cluster"] < 0 else str(c["cluster"])
        lines.append(f"| {name} | {c['size']} | {c['share']:.1%} | {apart} |")
    lines += card_usage(
        ["clusters = model.predict(rows)  # a frame or records with the training columns"],
        f"Served by `fas-ray serve`: `POST /models/{report.get('model_id')}/predict` returns "
        "each row's cluster as its prediction.",
    )
    return "\n".join(lines)


def run_clustering(
    spec: RunSpec,
    settings: Settings,
    progress: Any = None,
    run_id: str | None = None,
    budget: Budget | None = None,
) -> RunResult:
    """Cluster the rows of ``spec.source``; returns the pipeline's ``RunResult``."""
    from fas_ray import pipeline as pl_
    from fas_ray.charts import write_figures
    from fas_ray.distributed import ray_session

    say = progress or (lambda stage, msg: None)
    budget = budget if budget is not None else Budget(pl_.run_budget_s(spec))
    root, run_id, run_dir, manifest = pl_.start_run(spec, settings, run_id)
    wall = time.perf_counter()
    with pl_._recorded(manifest):
        bronze = pl_._stage_ingest(manifest, root, spec.source, say, spec.ingest)
        options = pl_.training_etl(spec.etl)
        local = pl_._etl_engine(root, bronze, options) == "local"
        session = contextlib.nullcontext("no Ray") if local else ray_session(settings)
        with session as where:
            etl, silver_path, profile = pl_._stage_etl_and_profile(
                manifest, root, bronze, None, options, where, say
            )
        silver = canonical_order(root.read(silver_path))
        types = {k: ColumnType.from_json(v) for k, v in etl.schema.items()}

        with manifest.stage("cluster") as rec:
            left = max(1.0, _CLUSTER_SHARE * budget.left()) if budget.bounded else None
            clusterer = Clusterer(time_budget=left, seed=spec.seed).fit(silver, types=types)
            model, labels = clusterer.model, clusterer.labels_
            summary = clusterer.summary()
            gold = silver.with_columns(pl.Series("cluster", labels))
            path = write_parquet_atomic(
                gold, root.gold(run_id) / "clusters.parquet", root.parquet_options
            )
            manifest.add_artifact("gold_clusters", path)
            rec.detail = {k: v for k, v in summary.items() if k not in ("features", "dropped")}
            sizes = ", ".join(f"{c['share']:.0%}" for c in clusterer.profile_["clusters"][:12])
            say(
                "cluster",
                f"{summary['k']} clusters by {summary['model']} (silhouette "
                f"{summary['silhouette']:.3f}) from {summary['candidates']} candidates"
                + ("" if summary["complete"] else " (the budget ended the search early)")
                + f"; sizes {sizes}"
                + (f"; {summary['noise_rows']} noise rows" if summary["noise_rows"] else ""),
            )

        with manifest.stage("charts") as rec:
            figs = cluster_figures(model, silver, labels, spec.seed)
            charts = write_figures(
                figs, run_dir / "charts", title=f"fas-ray clustering {run_id}", png=spec.chart_png
            )
            manifest.add_artifact("charts", Path(charts["html"]))
            rec.detail = {"figures": len(figs), "png": len(charts["png"])}
            say("charts", f"{len(figs)} charts in {charts['html']}")

        model_id = f"{run_id}_clustering"
        metrics = {
            k: summary[k] for k in ("silhouette", "graph_silhouette") if summary[k] is not None
        }
        with manifest.stage("register"):
            model.metadata = {"model_id": model_id, "run_id": run_id, "sha256": bronze.sha256}
            info = pl_.registry_for(root).save(
                model_id,
                model,
                run_id=run_id,
                task="clustering",
                target="",
                learner=model.learner,
                metrics=metrics,
                extra={
                    "metric": "silhouette",
                    "k": model.n_clusters,
                    "params": model.params,
                    "features": model.space.columns,
                },
            )
            manifest.model_id = model_id
            manifest.add_artifact("model", Path(info.path))
            say("register", f"model {model_id}")

        with manifest.stage("report"):
            leaderboard = [s.to_json() for s in clusterer.scores_]
            write_json(run_dir / "leaderboard.json", leaderboard)
            manifest.add_artifact("leaderboard", run_dir / "leaderboard.json")
            manifest.add_artifact("report", run_dir / "report.json")
            report: dict[str, Any] = {
                "run_id": run_id,
                "model_id": model_id,
                "source": str(spec.source),
                "sha256": bronze.sha256,
                "task": model.task.to_json(),
                "clustering": summary,
                "metrics": metrics,
                "leaderboard": leaderboard,
                "clusters": clusterer.profile_,
                **pl_.report_sections(etl, profile, charts),
                "artifacts": dict(manifest.artifacts),
            }
        pl_.write_report(report, manifest, budget, wall, run_dir)
    return pl_.RunResult(
        run_id, model_id, report, run_dir / "manifest.json", dict(manifest.artifacts)
    )
