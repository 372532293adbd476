"""What the pipeline API knows about runs, from files under the data root (no Ray here).

A run submitted over HTTP gets its run id up front and a ``submission.json`` in its run folder
(the request, the Ray job's submission id, when it was asked for); the job itself writes the
manifest, ``progress.json`` while it searches, and the report. :func:`run_status` merges those
with the job's state, so a run reads the same whether it came from the API or the CLI.
"""

from __future__ import annotations

import json
import re
import shlex
import sys
import unicodedata
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from fas_ray.config import LearnerName, MetricName, MissingStrategy
from fas_ray.exceptions import InputError, RunNotFoundError
from fas_ray.manifest import RunManifest, new_run_id, utc_now
from fas_ray.storage import DataRoot, write_json

__all__ = [
    "RunRequest",
    "artifact_path",
    "check_id",
    "entrypoint",
    "job_argv",
    "list_run_ids",
    "mark_cancel_requested",
    "new_dataset_id",
    "read_submission",
    "run_status",
    "safe_filename",
    "settle_manifest",
    "write_submission",
]

ApiStatus = Literal["pending", "running", "completed", "failed", "cancelled"]
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")
_SAFE = re.compile(r"[^A-Za-z0-9._-]+")


def safe_filename(name: str, max_len: int = 100) -> str:
    """A file name that cannot leave its folder: the last path part, ASCII letters, digits,
    ``.``, ``_`` and ``-`` only, no leading dot.

    Raises:
        InputError: nothing usable is left (e.g. ``..`` or an empty name).

    Example:
        >>> safe_filename("../../etc/passwd")
        'passwd'
        >>> safe_filename("my data (2024).csv")
        'my_data_2024_.csv'
    """
    base = re.split(r"[\\/]", name or "")[-1]
    base = unicodedata.normalize("NFKD", base).encode("ascii", "ignore").decode()
    base = _SAFE.sub("_", base).lstrip(".")
    if len(base) > max_len:
        stem, dot, ext = base.rpartition(".")
        base = (stem[: max_len - len(ext) - 1] + dot + ext) if dot and len(ext) < 10 else base
        base = base[:max_len]
    if not base or base.strip("._-") == "":
        raise InputError(f"The file name {name!r} has no usable characters; rename the file.")
    return base


def check_id(value: str, what: str) -> str:
    """``value`` if it is a plain id (no path separators, no ``..``); else an InputError."""
    if not _ID.fullmatch(value) or ".." in value:
        raise InputError(f"{value!r} is not a valid {what}; ids are letters, digits, . _ -")
    return value


class RunRequest(BaseModel):
    """``POST /runs``: what to run. Give ``dataset_id`` (from ``POST /datasets``) or ``url``."""

    model_config = ConfigDict(extra="forbid")

    dataset_id: str | None = Field(default=None, description="An uploaded data set's id.")
    url: str | None = Field(default=None, description="An http(s) page to scrape and train on.")
    target: str | None = Field(
        default=None,
        min_length=1,
        max_length=200,
        description="Column to predict (required unless etl_only or task clustering).",
    )
    etl_only: bool = Field(
        default=False, description="Ingest, clean and profile only (fas-ray etl): no training."
    )
    time_budget_s: float = Field(default=60.0, gt=0, le=86_400, description="Whole-run budget.")
    max_trials: int | None = Field(default=None, ge=1, le=100_000)
    seed: int = Field(default=0, ge=0, le=2**31 - 1)
    task: Literal["classification", "regression", "forecast", "clustering"] | None = None
    horizon: int | None = Field(
        default=None, ge=1, le=100_000, description="Forecast: steps ahead (implies forecast)."
    )
    time_column: str | None = Field(
        default=None, min_length=1, max_length=200, description="Forecast: the time column."
    )
    series_id: str | None = Field(
        default=None, min_length=1, max_length=200, description="Forecast: the series' id column."
    )
    metric: MetricName | None = Field(default=None, description="Search objective.")
    learners: list[LearnerName] | None = Field(
        default=None, min_length=1, description="Learners the search may use (default: all)."
    )
    missing: MissingStrategy | None = Field(
        default=None, description="ETL: missing values in every column (default auto)."
    )
    missing_columns: dict[str, MissingStrategy] = Field(
        default_factory=dict, description="ETL: a missing-value strategy per column."
    )
    near_duplicates: bool = Field(default=False, description="ETL: remove near-duplicate texts.")
    lowercase_text: bool = Field(default=False, description="ETL: lower-case text columns.")
    max_pages: int | None = Field(default=None, ge=1, le=10_000, description="Scrape: pages.")
    sitemap: bool = Field(default=False, description="Scrape: also follow the site's sitemaps.")
    rate: float | None = Field(default=None, gt=0, le=100, description="Scrape: requests/s.")
    selector: str | None = Field(
        default=None, min_length=1, max_length=500, description="Scrape: CSS of repeated rows."
    )
    js: Literal["auto", "always", "never"] | None = Field(
        default=None, description="Scrape: render pages in headless Chromium."
    )
    allow_private: bool | None = Field(
        default=None,
        description="Scrape private / loopback addresses: only where the server allows it "
        "(allow_private_urls), which is then the default.",
    )

    @model_validator(mode="after")
    def _target_unless_etl(self) -> RunRequest:
        if not self.etl_only and not self.target and self.task != "clustering":
            raise ValueError(
                "target is required (the column to predict) unless etl_only is set or the task "
                "is clustering"
            )
        return self

    @field_validator("dataset_id")
    @classmethod
    def _plain_id(cls, value: str | None) -> str | None:
        if value is not None and (not _ID.fullmatch(value) or ".." in value):
            raise ValueError(f"{value!r} is not a valid dataset id (letters, digits, . _ -)")
        return value

    @field_validator("url")
    @classmethod
    def _http(cls, value: str | None) -> str | None:
        if value is not None and not value.lower().startswith(("http://", "https://")):
            raise ValueError("url must start with http:// or https://")
        return value

    def source(self, root: DataRoot) -> str:
        """The path or URL the job ingests.

        Raises:
            InputError: neither or both of ``dataset_id`` and ``url``, or an unknown data set.
        """
        if (self.dataset_id is None) == (self.url is None):
            raise InputError("Give exactly one of dataset_id (from POST /datasets) and url.")
        if self.url is not None:
            return self.url
        assert self.dataset_id is not None
        folder = root.layer("uploads") / self.dataset_id
        files = sorted(p for p in folder.glob("*") if p.is_file()) if folder.is_dir() else []
        if not files:
            raise InputError(
                f"No uploaded data set {self.dataset_id!r}; upload one with POST /datasets."
            )
        return str(files[0])


def job_argv(
    request: RunRequest, source: str, run_id: str, data_root: Path, allow_private: bool = False
) -> list[str]:
    """The ``fas-ray run`` (or, for ``etl_only``, ``fas-ray etl``) command line a Ray job runs
    for ``request``.

    Raises:
        InputError: the request asks for private addresses and the server does not allow them.
    """
    if request.allow_private and not allow_private:
        raise InputError(
            "This server does not scrape private or loopback addresses; start it with "
            "allow_private_urls: true to allow them."
        )
    argv = [sys.executable, "-m", "fas_ray.cli", "etl" if request.etl_only else "run", source]
    if request.target:
        argv.append(f"--target={request.target}")  # one token: a target may start with "-"
    argv += ["--run-id", run_id, "--data-root", str(data_root)]
    if not request.etl_only:
        argv += ["--time-budget", str(request.time_budget_s), "--seed", str(request.seed)]
        if request.max_trials is not None:
            argv += ["--max-trials", str(request.max_trials)]
        if request.task is not None:
            argv += ["--task", request.task]
        if request.horizon is not None:
            argv += ["--horizon", str(request.horizon)]
        if request.time_column is not None:
            argv.append(f"--time-column={request.time_column}")
        if request.series_id is not None:
            argv.append(f"--series-id={request.series_id}")
        if request.metric is not None:
            argv += ["--metric", request.metric]
        if request.learners:
            argv += ["--learners", ",".join(request.learners)]
    if request.missing is not None:
        argv += ["--missing", request.missing]
    for column, strategy in sorted(request.missing_columns.items()):
        argv.append(f"--missing-column={column}={strategy}")
    if request.near_duplicates:
        argv.append("--near-duplicates")
    if request.lowercase_text:
        argv.append("--lowercase-text")
    if request.max_pages is not None:
        argv += ["--max-pages", str(request.max_pages)]
    if request.sitemap:
        argv.append("--sitemap")
    if request.rate is not None:
        argv += ["--rate", str(request.rate)]
    if request.selector is not None:
        argv.append(f"--selector={request.selector}")
    if request.js is not None:
        argv += ["--js", request.js]
    if allow_private and request.allow_private is not False:
        argv.append("--allow-private")
    return argv


def entrypoint(argv: list[str]) -> str:
    """A shell command line for ``argv`` (what a Ray job's entrypoint is)."""
    return " ".join(shlex.quote(a) for a in argv)


def write_submission(root: DataRoot, run_id: str, record: dict[str, Any]) -> Path:
    """Record an API-submitted run (atomically) in its run folder."""
    return write_json(
        root.run_dir(run_id) / "submission.json", {**record, "submitted_at": utc_now()}
    )


def read_submission(root: DataRoot, run_id: str) -> dict[str, Any] | None:
    path = root.run_dir(check_id(run_id, "run id")) / "submission.json"
    if not path.is_file():
        return None
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def list_run_ids(root: DataRoot) -> list[str]:
    """Run ids with a manifest or a submission, newest first."""
    runs = root.root / "runs"
    if not runs.is_dir():
        return []
    ids = [
        p.name
        for p in runs.iterdir()
        if p.is_dir() and ((p / "manifest.json").is_file() or (p / "submission.json").is_file())
    ]
    return sorted(ids, reverse=True)


def _read_json(path: Path) -> dict[str, Any] | None:
    try:
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return None
    return data


def run_status(root: DataRoot, run_id: str, job: dict[str, Any] | None = None) -> dict[str, Any]:
    """Status, per-stage progress, search progress and results of one run.

    ``job`` is the Ray job's state (``{"status": "RUNNING", "message": ...}``) when the run
    was submitted as a job; a job that stopped or failed before the manifest says so decides.

    Raises:
        RunNotFoundError: no manifest and no submission for ``run_id``.
    """
    run_dir = root.run_dir(check_id(run_id, "run id"))
    submission = read_submission(root, run_id)
    manifest = None
    if (run_dir / "manifest.json").is_file():
        manifest = RunManifest.load(run_dir / "manifest.json")
    if manifest is None and submission is None:
        raise RunNotFoundError(f"No run {run_id!r}; list runs with GET /runs.")
    status: ApiStatus = "pending"
    error: str | None = None
    if manifest is not None:
        status = {
            "created": "pending",
            "running": "running",
            "completed": "completed",
            "failed": "failed",
        }[manifest.status]  # type: ignore[assignment]
        error = manifest.error
    job_status = (job or {}).get("status")
    cancelled = bool((submission or {}).get("cancel_requested_at"))
    if status == "completed":
        pass  # a run that finished stays finished, whatever happened to its job afterwards
    elif job_status == "STOPPED" or (cancelled and status == "failed"):
        # the job records the interruption before Ray marks the job STOPPED: cancelled either way
        status, error = "cancelled", error or "cancelled (DELETE /runs/{id})"
    elif job_status == "FAILED" and status != "failed":
        status, error = "failed", error or _short((job or {}).get("message")) or "the job failed"
    elif job_status == "RUNNING" and status == "pending":
        status = "running"
    elif job_status == "SUCCEEDED" and status in ("pending", "running"):
        status = "failed"
        error = error or "the job ended without completing the run"
    progress = _read_json(run_dir / "progress.json")
    stages = [
        {"name": s.name, "status": s.status, "seconds": s.seconds}
        for s in (manifest.stages if manifest else [])
    ]
    out: dict[str, Any] = {
        "run_id": run_id,
        "status": status,
        "error": error,
        "source": manifest.source if manifest else (submission or {}).get("source"),
        "stage": next((s["name"] for s in reversed(stages) if s["status"] == "running"), None),
        "stages": stages,
        "trials_done": (progress or {}).get("complete", 0) + (progress or {}).get("pruned", 0),
        "best_score": (progress or {}).get("best_score"),
        "best_learner": (progress or {}).get("best_learner"),
        "model_id": manifest.model_id if manifest else None,
        "created_at": (manifest.created_at if manifest else (submission or {}).get("submitted_at")),
        "updated_at": manifest.updated_at if manifest else None,
        "artifacts": sorted(manifest.artifacts) if manifest else [],
        "job": job,
        "submitted": submission is not None,
    }
    if submission is not None:
        out["request"] = submission.get("request")
        out["schedule_id"] = submission.get("schedule_id")
    report = _read_json(run_dir / "report.json") if status == "completed" else None
    if report is not None and "forecast" in report:  # a forecast: its backtest's MASE
        metrics = report.get("backtest_metrics") or {}
        out["metric"] = "backtest_mase"
        out["best_score"] = metrics.get("mase")
        out["holdout_metrics"] = {
            f"backtest_{k}": v for k, v in metrics.items() if not k.startswith("backtest_")
        }
        out["trials_done"] = len(report.get("leaderboard") or [])
    elif report is not None:
        out["metric"] = report.get("metric")
        out["best_score"] = report.get("cv_best_score")
        out["holdout_metrics"] = report.get("holdout_metrics")
        out["trials_done"] = report.get("search", {}).get("trials", out["trials_done"])
    return out


def settle_manifest(root: DataRoot, run_id: str, job: dict[str, Any] | None) -> bool:
    """Mark a run failed when its job ended (stopped, failed) while the manifest still says it
    runs: a job killed after ``ray job stop`` may not get to record that; without a job, when
    its process is gone (:meth:`RunManifest.settle_if_orphaned`). True if changed."""
    status = (job or {}).get("status")
    path = root.run_dir(check_id(run_id, "run id")) / "manifest.json"
    if not path.is_file():
        return False
    if status not in ("STOPPED", "FAILED"):
        return RunManifest.load(path).settle_if_orphaned() if job is None else False
    manifest = RunManifest.load(path)
    if manifest.status not in ("created", "running"):
        return False
    if status == "STOPPED":
        reason = "cancelled (the Ray job was stopped)"
    else:
        reason = _short((job or {}).get("message")) or "the Ray job failed"
    manifest.fail(reason)
    return True


def _short(message: Any, limit: int = 500) -> str:
    """A job message (Ray puts log tails in it) cut to ``limit`` characters."""
    text = str(message or "").strip()
    return text if len(text) <= limit else text[: limit - 3] + "..."


def mark_cancel_requested(root: DataRoot, run_id: str) -> None:
    """Note in ``submission.json`` that the run was asked to stop."""
    record = read_submission(root, run_id) or {}
    record["cancel_requested_at"] = utc_now()
    write_json(root.run_dir(run_id) / "submission.json", record)


def artifact_path(root: DataRoot, run_id: str, name: str) -> Path:
    """The file of artifact ``name`` of a run; only files the manifest lists, inside the root.

    Raises:
        RunNotFoundError: no such run or artifact.
    """
    run_dir = root.run_dir(check_id(run_id, "run id"))
    if not (run_dir / "manifest.json").is_file():
        raise RunNotFoundError(f"No run {run_id!r} with a manifest yet.")
    manifest = RunManifest.load(run_dir / "manifest.json")
    if name not in manifest.artifacts:
        known = ", ".join(sorted(manifest.artifacts)) or "none yet"
        raise RunNotFoundError(f"Run {run_id} has no artifact {name!r} (it has: {known}).")
    path = Path(manifest.artifacts[name]).resolve()
    if not path.is_relative_to(root.root.resolve()) or not path.exists():
        raise RunNotFoundError(f"The artifact {name!r} of run {run_id} is not available.")
    return path


def new_dataset_id() -> str:
    return "up-" + new_run_id()
