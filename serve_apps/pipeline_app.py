"""The pipeline API: upload data, start runs as Ray jobs, watch them, read their results.

Routes (OpenAPI at ``/docs``):
    GET    /                            the studio (web page; its assets under /studio/)
    GET    /healthz
    GET    /studio/config               what the page needs before a token: auth, upload limit
    GET    /cluster                     data root, Ray address, dashboard, nodes, CPUs, GPUs
    POST   /datasets                    multipart upload (field ``file``) → dataset id + profile
    GET    /datasets                    uploads, newest first
    GET    /datasets/{id}               one upload with its profile; /preview, /task?target=
    POST   /runs                        ``RunRequest`` → a run submitted as a Ray job (202)
    GET    /runs                        newest first
    GET    /runs/{run_id}               status, stages, trials done, best score so far
    GET    /runs/{run_id}/leaderboard | report | profile | shap | errors | explain | etl
    GET    /runs/{run_id}/progress      the search's counts and history (live)
    GET    /runs/{run_id}/figures       the run's charts as Plotly JSON; /figures/data?kind=
    GET    /runs/{run_id}/holdout       the first holdout rows with their predictions
    GET    /runs/{run_id}/model_card    Markdown; /bundle: the run's zip (built on first ask)
    GET    /runs/{run_id}/logs          the job's log
    GET    /runs/{run_id}/artifacts/{name}
    DELETE /runs/{run_id}               cancel (stops the Ray job)
    POST   /schedules                   a recurring run (cron, UTC); GET /schedules;
    DELETE /schedules/{schedule_id}

Runs are ``fas-ray run`` command lines submitted through Ray's Jobs API, so they show in the Ray
dashboard with their logs. Schedules live in ``<data root>/schedules.json``; a thread of the
(single) replica fires the due ones, so they survive a restart of the app.
"""

# No `from __future__ import annotations`: FastAPI reads the annotations at run time.
import asyncio
import json
import logging
import os
import shutil
import sys
import tempfile
import threading
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any, get_args

from fastapi import FastAPI, HTTPException, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response
from pydantic import Field
from ray import serve

from fas_ray import __version__
from fas_ray.charts import DATA_CHARTS, DataChart, data_figure
from fas_ray.config import ALL_LEARNERS, MISSING_STRATEGIES, LearnerName, MetricName
from fas_ray.distributed.jobs import RunJobs, cluster_info
from fas_ray.etl import profile_parquet
from fas_ray.exceptions import FasRayError, InputError, RunNotFoundError
from fas_ray.export import export_run, run_model_card, silver_sample
from fas_ray.ingest import ingest_file
from fas_ray.manifest import new_run_id
from fas_ray.registry import REGISTRY_URL_ENV
from fas_ray.service import (
    RunRequest,
    ScheduleRequest,
    ScheduleStore,
    artifact_path,
    check_id,
    dataset_record,
    due,
    entrypoint,
    holdout_rows,
    job_argv,
    list_datasets,
    list_run_ids,
    mark_cancel_requested,
    new_dataset_id,
    precheck_run,
    preview_rows,
    run_status,
    safe_filename,
    save_dataset_record,
    settle_manifest,
    target_task,
    write_submission,
)
from fas_ray.storage import DataRoot
from serve_apps._common import ERROR_RESPONSES, AppArgs, authorise
from serve_apps.studio import asset, page

__all__ = ["PipelineAPI", "PipelineAppArgs", "build"]

log = logging.getLogger("fas_ray.pipeline_api")
_CHUNK = 1 << 20
_CHART_ROWS = 20_000  # data charts on demand draw from a sample this large
# the page runs only its own scripts and talks only to this origin
_PAGE_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; "
    "style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; connect-src 'self'; "
    "font-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'",
    "Cache-Control": "no-cache",
    "X-Content-Type-Options": "nosniff",
}
_ASSET_HEADERS = {"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"}


class PipelineAppArgs(AppArgs):
    """Builder arguments of the pipeline API (config.yaml ``args``)."""

    max_upload_mb: float = Field(default=512, gt=0, le=1_000_000, description="Upload limit.")
    ray_dashboard: str | None = Field(
        default=None,
        description="Jobs API address (http://host:8265); default: the cluster the app runs in.",
    )
    allow_private_urls: bool = Field(
        default=False,
        description="Let runs scrape private / loopback addresses (off: the API is no SSRF).",
    )
    schedule_tick_s: float = Field(
        default=30, gt=0, le=3600, description="How often due schedules are checked."
    )
    max_runs_listed: int = Field(default=200, ge=1, le=10_000)


class RunPart(StrEnum):
    """The JSON documents of a run served as ``GET /runs/{id}/<part>``."""

    leaderboard = "leaderboard"
    report = "report"
    profile = "profile"
    shap = "shap"
    errors = "errors"
    etl = "etl"


app = FastAPI(
    title="fas-ray pipeline",
    version="0.1.0",
    responses=ERROR_RESPONSES,
    description="Upload data, run fas-ray's pipeline as Ray jobs, read the results.",
)


def _http_error(exc: FasRayError) -> HTTPException:
    if isinstance(exc, RunNotFoundError):
        return HTTPException(404, str(exc))
    if isinstance(exc, InputError):
        return HTTPException(422, str(exc))
    return HTTPException(500, str(exc))


def _job_env(registry_url: str | None) -> dict[str, str]:
    """What a run's job needs from this process: the venv on PATH, auth mode, the registry."""
    env = {"PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    for name in ("RAY_AUTH_MODE", "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "PYTHONPATH"):
        if os.environ.get(name):
            env[name] = os.environ[name]
    if registry_url:
        env[REGISTRY_URL_ENV] = registry_url
    return env


# one replica (it runs the schedule ticker); num_cpus 0 leaves the CPUs to the runs
@serve.deployment(num_replicas=1, max_ongoing_requests=32, ray_actor_options={"num_cpus": 0})
@serve.ingress(app)
class PipelineAPI:
    def __init__(self, args: dict[str, Any]) -> None:
        self.args = PipelineAppArgs(**args)
        self.root = DataRoot(Path(self.args.data_root)).ensure()
        self.jobs = RunJobs(self.args.ray_dashboard, env=_job_env(self.args.registry_url))
        self.schedules = ScheduleStore(self.root)
        self._stop = threading.Event()
        self._ticker = threading.Thread(target=self._schedule_loop, daemon=True)
        self._ticker.start()

    def __del__(self) -> None:
        self._stop.set()

    # ------------------------------------------------------------------ helpers
    def _auth(self, request: Request) -> None:
        authorise(request, self.args.api_token)

    def _submit(self, run: RunRequest, schedule_id: str | None = None) -> str:
        source = run.source(self.root)
        precheck_run(run, self.root, self.args.allow_private_urls)
        run_id = new_run_id()
        argv = job_argv(run, source, run_id, self.root.root, self.args.allow_private_urls)
        write_submission(
            self.root,
            run_id,
            {
                "request": run.model_dump(mode="json"),
                "source": source,
                "schedule_id": schedule_id,
                "argv": argv,
            },
        )
        try:
            kind = "etl" if run.etl_only else "run"
            self.jobs.submit(run_id, entrypoint(argv), {"target": run.target or "", "kind": kind})
        except FasRayError:
            shutil.rmtree(self.root.run_dir(run_id), ignore_errors=True)  # no orphan record
            raise
        return run_id

    def _status(self, run_id: str, jobs: dict[str, dict[str, Any]] | None = None) -> dict[str, Any]:
        check_id(run_id, "run id")
        submitted = (self.root.run_dir(run_id) / "submission.json").is_file()
        job = None
        if submitted:
            job = jobs.get(run_id) if jobs is not None else self.jobs.info(run_id)
        settle_manifest(self.root, run_id, job)
        return run_status(self.root, run_id, job)

    def _schedule_loop(self) -> None:
        while not self._stop.wait(self.args.schedule_tick_s):
            self.fire_due_schedules()

    def fire_due_schedules(self, now: datetime | None = None) -> list[str]:
        """Start a run for every due schedule; returns the run ids."""
        started: list[str] = []
        now = now or datetime.now(UTC)
        try:
            schedules = due(self.schedules.all(), now)
        except Exception:  # the ticker must outlive one bad tick (e.g. a corrupt file)
            log.exception("schedule tick failed")
            return started
        for schedule in schedules:
            run_id = "not started"
            try:
                run_id = self._submit(schedule.run, schedule.schedule_id)
                started.append(run_id)
            except Exception as exc:
                log.warning("schedule %s could not start: %s", schedule.schedule_id, exc)
                run_id = f"not started: {exc}"[:300]
            finally:  # recorded either way, so a failing schedule waits for its next slot
                self.schedules.fired(schedule.schedule_id, run_id, now)
        return started

    def _json_file(self, run_id: str, name: str) -> Any:
        check_id(run_id, "run id")
        path = self.root.run_dir(run_id) / name
        if not path.is_file():
            status = self._status(run_id)["status"]
            raise HTTPException(
                404 if status in ("completed", "failed", "cancelled") else 409,
                f"Run {run_id} has no {name} ({status}); poll GET /runs/{run_id}.",
            )
        return json.loads(path.read_text(encoding="utf-8"))

    # ------------------------------------------------------------------ routes
    @app.get("/healthz")
    def healthz(self) -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def studio(self) -> HTMLResponse:
        """The studio: one page over this API (its calls carry the token, the page does not)."""
        return HTMLResponse(page(), headers=_PAGE_HEADERS)

    @app.get("/studio/config")
    def studio_config(self) -> dict[str, Any]:
        """What the page needs before it has a token (nothing about the data)."""
        return {
            "version": __version__,
            "auth_required": self.args.api_token is not None,
            "max_upload_mb": self.args.max_upload_mb,
            "allow_private_urls": self.args.allow_private_urls,
        }

    @app.get("/studio/{name}", include_in_schema=False)
    def studio_asset(self, name: str) -> Response:
        try:
            body, media_type = asset(name)
        except FasRayError as exc:
            raise _http_error(exc) from None
        return Response(body, media_type=media_type, headers=_ASSET_HEADERS)

    @app.get("/cluster")
    def cluster(self, request: Request) -> dict[str, Any]:
        """The sidebar: data root, Ray (address, dashboard, nodes, CPUs, GPUs), defaults."""
        self._auth(request)
        fields = RunRequest.model_fields
        return {
            "data_root": str(self.root.root),
            "ray": cluster_info(self.jobs),
            "defaults": {k: fields[k].default for k in ("time_budget_s", "seed", "max_trials")},
            "learners": list(get_args(LearnerName)),
            "default_learners": list(ALL_LEARNERS),
            "metrics": list(get_args(MetricName)),
            "missing_strategies": list(MISSING_STRATEGIES),
            "data_charts": list(DATA_CHARTS),
        }

    @app.post("/datasets", status_code=201)
    async def upload(self, request: Request) -> dict[str, Any]:
        """Store an uploaded file (multipart field ``file``) as bronze; its id and profile."""
        self._auth(request)
        limit = int(self.args.max_upload_mb * 1024 * 1024)
        declared = request.headers.get("content-length", "")
        if not declared.isdigit():  # a chunked body would be spooled whole before any check
            raise HTTPException(411, "Send the upload with a Content-Length header.")
        if int(declared) > limit + 64 * 1024:
            raise HTTPException(
                413, f"The upload is over the {self.args.max_upload_mb:g} MB limit."
            )
        if "multipart/form-data" not in request.headers.get("content-type", ""):
            raise HTTPException(422, "Send the file as multipart/form-data in the field 'file'.")
        form = await request.form(max_files=1, max_fields=10)
        try:
            upload = form.get("file")
            if upload is None or isinstance(upload, str):
                raise HTTPException(422, "Send the file in the multipart field 'file'.")
            try:
                name = safe_filename(upload.filename or "")
            except InputError as exc:
                raise HTTPException(422, str(exc)) from None
            dataset_id = new_dataset_id()
            final_dir = self.root.layer("uploads") / dataset_id
            tmp_dir = Path(tempfile.mkdtemp(prefix=".tmp-", dir=self.root.layer("uploads")))
            try:
                size = 0
                with (tmp_dir / name).open("wb") as out:
                    while chunk := await upload.read(_CHUNK):
                        size += len(chunk)
                        if size > limit:
                            raise HTTPException(
                                413, f"The upload is over the {self.args.max_upload_mb:g} MB limit."
                            )
                        out.write(chunk)
                os.replace(tmp_dir, final_dir)
            finally:
                shutil.rmtree(tmp_dir, ignore_errors=True)
            try:
                bronze = await asyncio.to_thread(
                    ingest_file, final_dir / name, self.root, max_bytes=limit
                )
            except FasRayError as exc:
                shutil.rmtree(final_dir, ignore_errors=True)
                raise _http_error(exc) from None
        finally:
            await form.close()
        profile = await asyncio.to_thread(profile_parquet, bronze.path)
        record = {
            "dataset_id": dataset_id,
            "bronze_id": bronze.dataset_id,
            "filename": name,
            "bytes": size,
            "rows": bronze.rows,
            "columns": bronze.columns,
            "sha256": bronze.sha256,
            "format": bronze.format,
            "profile": profile.to_json(),
        }
        saved = save_dataset_record(self.root, {**record, "bronze_path": str(bronze.path)})
        return {**record, "uploaded_at": dataset_record(self.root, saved.stem)["uploaded_at"]}

    @app.get("/datasets")
    def datasets(self, request: Request) -> list[dict[str, Any]]:
        """Uploaded data sets, newest first (rows, columns, format, SHA-256, when)."""
        self._auth(request)
        return list_datasets(self.root)

    @app.get("/datasets/{dataset_id}")
    def dataset(self, dataset_id: str, request: Request) -> dict[str, Any]:
        """One upload's record with its profile."""
        self._auth(request)
        try:
            record = dataset_record(self.root, dataset_id)
        except FasRayError as exc:
            raise _http_error(exc) from None
        record.pop("bronze_path", None)
        return record

    @app.get("/datasets/{dataset_id}/preview")
    def preview(
        self, dataset_id: str, request: Request, rows: int = Query(20, ge=1, le=500)
    ) -> dict[str, Any]:
        """The first rows of an upload, as read (before ETL)."""
        self._auth(request)
        try:
            return preview_rows(dataset_record(self.root, dataset_id), rows)
        except FasRayError as exc:
            raise _http_error(exc) from None

    @app.get("/datasets/{dataset_id}/task")
    async def task(
        self, dataset_id: str, request: Request, target: str = Query(min_length=1)
    ) -> dict[str, Any]:
        """The task a run with ``target`` would get: kind, classes, why, any ambiguity."""
        self._auth(request)
        try:
            record = dataset_record(self.root, dataset_id)
            return await asyncio.to_thread(target_task, record, target)
        except FasRayError as exc:
            raise _http_error(exc) from None

    @app.post("/runs", status_code=202)
    def create_run(self, run: RunRequest, request: Request) -> dict[str, Any]:
        """Submit the pipeline on an uploaded data set or a URL as a Ray job."""
        self._auth(request)
        try:
            run_id = self._submit(run)
        except FasRayError as exc:
            raise _http_error(exc) from None
        return {"run_id": run_id, "status": "pending", "links": {"self": f"/runs/{run_id}"}}

    @app.get("/runs")
    def list_runs(self, request: Request) -> list[dict[str, Any]]:
        self._auth(request)
        try:
            jobs = self.jobs.all()
        except FasRayError:
            jobs = {}  # the Jobs API is down: show what the files say
        out = []
        for run_id in list_run_ids(self.root)[: self.args.max_runs_listed]:
            try:
                out.append(self._status(run_id, jobs))
            except FasRayError:
                continue
        return out

    @app.get("/runs/{run_id}")
    def get_run(self, run_id: str, request: Request) -> dict[str, Any]:
        self._auth(request)
        try:
            return self._status(run_id)
        except FasRayError as exc:
            raise _http_error(exc) from None

    @app.get("/runs/{run_id}/explain")
    def explain(self, run_id: str, request: Request) -> Any:
        self._auth(request)
        try:
            report = self._json_file(run_id, "report.json")
        except FasRayError as exc:
            raise _http_error(exc) from None
        return {
            "run_id": run_id,
            "model_id": report.get("model_id"),
            "shap_importance": report.get("shap_importance", []),
            "features": report.get("features", {}),
        }

    @app.get("/runs/{run_id}/logs")
    def logs(self, run_id: str, request: Request) -> JSONResponse:
        self._auth(request)
        try:
            check_id(run_id, "run id")
        except FasRayError as exc:
            raise _http_error(exc) from None
        return JSONResponse({"run_id": run_id, "logs": self.jobs.logs(run_id)})

    @app.get("/runs/{run_id}/progress")
    def progress(self, run_id: str, request: Request) -> Any:
        """The search's progress: counts, best so far, history of finished configurations."""
        self._auth(request)
        try:
            return self._json_file(run_id, "progress.json")
        except FasRayError as exc:
            raise _http_error(exc) from None

    @app.get("/runs/{run_id}/figures")
    def figures(self, run_id: str, request: Request) -> Response:
        """Every chart of the run as Plotly JSON, by name."""
        self._auth(request)
        try:
            check_id(run_id, "run id")
            path = self.root.run_dir(run_id) / "charts" / "figures.json"
            if not path.is_file():
                self._json_file(run_id, "charts/figures.json")  # 404 or 409, with the reason
            return Response(path.read_bytes(), media_type="application/json")
        except FasRayError as exc:
            raise _http_error(exc) from None

    @app.get("/runs/{run_id}/figures/data")
    async def data_chart(
        self,
        run_id: str,
        request: Request,
        kind: DataChart = Query(),  # noqa: B008
        columns: str = Query("", description="Comma-separated column names."),
        color: str | None = Query(None),
    ) -> Response:
        """One data chart of the run's cleaned rows (a sample of 20,000 at most)."""
        self._auth(request)
        picked = [c for c in columns.split(",") if c]

        def draw() -> str:
            frame = silver_sample(self.root, run_id, _CHART_ROWS)
            report = self.root.run_dir(run_id) / "report.json"
            classes = report.is_file() and bool(
                json.loads(report.read_text(encoding="utf-8")).get("task", {}).get("classes")
            )
            fig = data_figure(frame, kind, picked, color, color_by_value=classes)
            return str(fig.to_json())

        try:
            check_id(run_id, "run id")
            body = await asyncio.to_thread(draw)
        except FasRayError as exc:
            raise _http_error(exc) from None
        return Response(body, media_type="application/json")

    @app.get("/runs/{run_id}/holdout")
    def holdout(
        self, run_id: str, request: Request, rows: int = Query(50, ge=1, le=1000)
    ) -> dict[str, Any]:
        """The first holdout rows of a finished run, with the model's predictions."""
        self._auth(request)
        try:
            return holdout_rows(self.root, run_id, rows)
        except FasRayError as exc:
            raise _http_error(exc) from None

    @app.get("/runs/{run_id}/model_card")
    async def model_card(self, run_id: str, request: Request) -> Response:
        """The model card (Markdown) of a completed run."""
        self._auth(request)
        try:
            check_id(run_id, "run id")
            text = await asyncio.to_thread(run_model_card, self.root, run_id)
        except FasRayError as exc:
            raise _http_error(exc) from None
        return Response(text, media_type="text/markdown; charset=utf-8")

    @app.get("/runs/{run_id}/bundle")
    async def bundle(self, run_id: str, request: Request) -> FileResponse:
        """The run's bundle (zip: model, report, charts, holdout, model card)."""
        self._auth(request)
        try:
            check_id(run_id, "run id")
            path = self.root.run_dir(run_id) / f"{run_id}-bundle.zip"
            if not path.is_file():
                path = await asyncio.to_thread(export_run, self.root, run_id)
        except FasRayError as exc:
            raise _http_error(exc) from None
        return FileResponse(path, filename=path.name, media_type="application/zip")

    @app.get("/runs/{run_id}/{part}")
    def run_json(self, run_id: str, part: RunPart, request: Request) -> Any:
        """The run's leaderboard, report, profile, SHAP values or error analysis (JSON)."""
        self._auth(request)
        try:
            return self._json_file(run_id, f"{part.value}.json")
        except FasRayError as exc:
            raise _http_error(exc) from None

    @app.get("/runs/{run_id}/artifacts/{name}")
    def artifact(self, run_id: str, name: str, request: Request) -> FileResponse:
        self._auth(request)
        try:
            path = artifact_path(self.root, run_id, name)
        except FasRayError as exc:
            raise _http_error(exc) from None
        if path.is_dir():
            files = sorted(p for p in path.iterdir() if p.is_file())
            if len(files) != 1:
                raise HTTPException(
                    409, f"The artifact {name!r} is a folder of {len(files)} files."
                )
            path = files[0]
        return FileResponse(path, filename=f"{run_id}-{path.name}")

    @app.delete("/runs/{run_id}", status_code=202)
    def cancel(self, run_id: str, request: Request) -> dict[str, Any]:
        self._auth(request)
        try:
            status = self._status(run_id)
        except FasRayError as exc:
            raise _http_error(exc) from None
        if not status["submitted"]:
            raise HTTPException(
                409, f"Run {run_id} was not started by this API; stop it where it runs."
            )
        mark_cancel_requested(self.root, run_id)
        stopped = self.jobs.stop(run_id)
        return {"run_id": run_id, "stopping": stopped, "status": status["status"]}

    @app.post("/schedules", status_code=201)
    def add_schedule(self, schedule: ScheduleRequest, request: Request) -> dict[str, Any]:
        self._auth(request)
        try:
            schedule.run.source(self.root)  # refuse a schedule that could never start
        except FasRayError as exc:
            raise _http_error(exc) from None
        return self.schedules.add(schedule).to_json()

    @app.get("/schedules")
    def list_schedules(self, request: Request) -> list[dict[str, Any]]:
        self._auth(request)
        return [s.to_json() for s in self.schedules.all()]

    @app.delete("/schedules/{schedule_id}", status_code=204)
    def remove_schedule(self, schedule_id: str, request: Request) -> None:
        self._auth(request)
        try:
            self.schedules.remove(schedule_id)
        except FasRayError as exc:
            raise HTTPException(404, str(exc)) from None


def build(args: dict[str, Any]) -> serve.Application:
    """Application builder for ``serve run`` / ``serve deploy`` (args: :class:`PipelineAppArgs`)."""
    parsed = PipelineAppArgs(**args)
    return PipelineAPI.bind(parsed.model_dump())  # type: ignore[attr-defined]
