"""The model app: predictions from every registered model, by id, over HTTP.

Routes (under the app's route prefix, ``/models`` in serve_apps/config.yaml):
    GET  /                 registered models (newest first)
    GET  /{model_id}       metadata, metrics, input schema and lineage to the run
    GET  /{model_id}/explain   the model's SHAP summary from its run (importance, beeswarm data)
    POST /{model_id}/explain   rows → each row's SHAP contributions (largest first)
    POST /{model_id}/predict
                           ``{"rows": [{...}, ...]}`` or a bare list of records →
                           predictions, class probabilities for classifiers, the model version
                           (a clustering model predicts each row's cluster)
    GET  /{model_id}/drift PSI of each input feature: the rows this replica scored against the
                           training rows (none < 0.1 <= moderate <= 0.25 < major)
    POST /{model_id}/forecast
                           a forecast model: ``{"horizon": H}`` (default: the fitted horizon),
                           optionally ``"history": [{...}, ...]`` (newer rows of the series)
                           → the next steps' times, forecasts and interval bounds
    GET  /healthz          liveness

One deployment serves every model: ``@serve.multiplexed`` keeps a bounded LRU of loaded models
per replica, and ``@serve.batch`` gathers concurrent requests into one prediction per model.
Input is checked against the model's training schema first: missing, unknown and wrongly-typed
fields come back together as a 422 naming each. With an API token, every route but
``/healthz`` requires ``Authorization: Bearer <token>``.
"""

# No `from __future__ import annotations`: FastAPI reads these annotations at run time, inside
# the Serve replica, where string annotations of the wrapped class cannot be resolved.
import asyncio
import json
import time
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
from fastapi import Body, FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from ray import serve
from ray.serve.config import BackpressureConfig

from fas_ray.exceptions import FasRayError, InputError, ModelNotFoundError
from fas_ray.explain import explain_fitted
from fas_ray.features import DriftMonitor
from fas_ray.forecast import Forecaster
from fas_ray.manifest import RunManifest
from fas_ray.ml import FittedModel, check_records, input_schema, normalise_records
from fas_ray.registry import open_registry
from fas_ray.storage import DataRoot
from serve_apps._common import ERROR_RESPONSES, AppArgs, authorise, jsonable

__all__ = ["ModelAppArgs", "ModelServer", "build"]

MAX_ROWS = 100_000
MAX_EXPLAIN_ROWS = 100
_INLINE_ROWS = 64  # predicted on the event loop (about 2 ms); larger batches in a thread


class ModelAppArgs(AppArgs):
    """Builder arguments of the model app (``serve build`` / config.yaml ``args``)."""

    cache_size: int = Field(default=8, ge=1, le=1000, description="Models kept loaded.")
    num_replicas: int = Field(default=1, ge=1, le=1000)
    max_ongoing_requests: int = Field(default=64, ge=1, le=100_000)
    max_queued_requests: int = Field(
        default=256,
        ge=1,
        le=1_000_000,
        description="Requests waiting for a replica beyond which new ones get 503 + Retry-After "
        "(load shed instead of unbounded latency).",
    )
    retry_after_s: float = Field(default=1.0, ge=0, le=3600, description="Retry-After on a 503.")
    max_batch_size: int = Field(default=16, ge=1, le=10_000, description="Requests per batch.")
    batch_wait_timeout_s: float = Field(default=0.001, ge=0, le=10)


class PredictRequest(BaseModel):
    rows: list[dict[str, Any]] = Field(min_length=1, max_length=MAX_ROWS)


class ForecastRequest(BaseModel):
    horizon: int | None = Field(default=None, ge=1, le=10_000, description="Steps ahead.")
    history: list[dict[str, Any]] | None = Field(
        default=None, min_length=2, max_length=MAX_ROWS, description="Newer rows to start from."
    )


app = FastAPI(
    title="fas-ray models",
    version="0.1.0",
    responses=ERROR_RESPONSES,
    description="Predictions from fas-ray's model registry.",
)


def _unprocessable(errors: list[dict[str, Any]], message: str) -> JSONResponse:
    return JSONResponse(status_code=422, content={"detail": message, "errors": errors})


async def _schema_errors(
    model: FittedModel, model_id: str, rows: list[dict[str, Any]]
) -> JSONResponse | None:
    """A 422 naming every field that does not fit the training schema; None if all fit."""
    if len(rows) > 1000:
        errors = await asyncio.to_thread(check_records, model.features, rows)
    else:
        errors = check_records(model.features, rows)
    if not errors:
        return None
    fields = ", ".join(sorted({e.field for e in errors}))
    return _unprocessable(
        [e.to_json() for e in errors],
        f"The rows do not match model {model_id}'s input schema: {fields}.",
    )


# num_cpus 0: the replica must not hold a CPU the runs' search needs (it is mostly idle)
@serve.deployment(max_ongoing_requests=64, ray_actor_options={"num_cpus": 0})
@serve.ingress(app)
class ModelServer:
    def __init__(
        self,
        data_root: str,
        api_token: str | None = None,
        cache_size: int = 8,
        max_batch_size: int = 16,
        batch_wait_timeout_s: float = 0.001,
        registry_url: str | None = None,
    ) -> None:
        self.root = DataRoot(Path(data_root))
        models = self.root.layer("models")
        self.registry = open_registry(self.root.registry_db, models, registry_url)
        self.api_token = api_token
        self.cache_size = cache_size
        self.loads = 0
        self._known: set[str] = set()  # registered ids seen (a saved model never changes)
        self._summaries: dict[str, dict[str, Any]] = {}  # SHAP summaries read, per model
        self._drift: dict[str, DriftMonitor] = {}  # the inputs each model scored, binned

        def load_sync(model_id: str) -> Any:
            info = self.registry.info(model_id)
            model = self.registry.load(model_id)
            model.metadata = {**model.metadata, "version": info.version}
            return model

        async def load(model_id: str) -> Any:
            self.loads += 1
            return await asyncio.to_thread(load_sync, model_id)

        # built here so the LRU size comes from the builder arguments
        self.get_model = serve.multiplexed(max_num_models_per_replica=cache_size)(load)
        batcher: Any = self.predict_batch
        batcher.set_max_batch_size(max_batch_size)
        batcher.set_batch_wait_timeout_s(batch_wait_timeout_s)

    async def _any_model(self, model_id: str) -> Any:
        # an unknown id must not reach the multiplexer: it evicts a loaded model first
        if model_id not in self._known:
            try:
                await asyncio.to_thread(self.registry.info, model_id)
            except ModelNotFoundError as exc:
                raise HTTPException(404, str(exc)) from None
            self._known.add(model_id)
        return await self.get_model(model_id)

    async def _model(self, model_id: str) -> FittedModel:
        """A model that predicts rows; a forecast model is a 422 that names its route."""
        model = await self._any_model(model_id)
        if isinstance(model, Forecaster):
            raise HTTPException(
                422,
                f"{model_id} is a forecast model; POST /{model_id}/forecast with "
                '{"horizon": H} instead.',
            )
        fitted: FittedModel = model
        return fitted

    @serve.batch(max_batch_size=16, batch_wait_timeout_s=0.001)
    async def predict_batch(
        self, items: list[tuple[str, FittedModel, list[dict[str, Any]]]]
    ) -> list[Any]:
        """One prediction per model for all the requests gathered; results split back."""
        out: list[Any] = [None] * len(items)
        groups: dict[str, list[int]] = {}
        for i, (model_id, _, _) in enumerate(items):
            groups.setdefault(model_id, []).append(i)
        for indices in groups.values():
            model = items[indices[0]][1]
            rows = [row for i in indices for row in items[i][2]]
            try:
                if len(rows) <= _INLINE_ROWS:  # a thread hand-off costs more than this work
                    pred, proba = model.predict_both(rows)
                else:
                    pred, proba = await asyncio.to_thread(model.predict_both, rows)
            except Exception:  # one request's odd values must not fail the others: one by one
                for i in indices:
                    try:
                        out[i] = await asyncio.to_thread(model.predict_both, items[i][2])
                    except Exception as exc:
                        out[i] = exc
                continue
            start = 0
            for i in indices:
                n = len(items[i][2])
                out[i] = (
                    pred[start : start + n],
                    None if proba is None else proba[start : start + n],
                )
                start += n
        return out

    @app.get("/{model_id}/explain")
    def summary(self, model_id: str, request: Request) -> dict[str, Any]:
        """The SHAP summary the model's run computed (kept in memory once read)."""
        authorise(request, self.api_token)
        if model_id not in self._summaries:
            try:
                info = self.registry.info(model_id)
            except ModelNotFoundError as exc:
                raise HTTPException(404, str(exc)) from None
            path = self.root.run_dir(info.run_id) / "shap.json"
            if not path.is_file():
                raise HTTPException(
                    404, f"Model {model_id} has no stored SHAP summary; run fas-ray explain."
                )
            self._summaries[model_id] = json.loads(path.read_text(encoding="utf-8"))
            while len(self._summaries) > self.cache_size:
                self._summaries.pop(next(iter(self._summaries)))
        return {"model_id": model_id, **self._summaries[model_id]}

    @app.post("/{model_id}/explain", response_model=None)
    async def explain(
        self,
        model_id: str,
        request: Request,
        payload: PredictRequest | list[dict[str, Any]] = Body(...),  # noqa: B008
    ) -> dict[str, Any] | JSONResponse:
        """SHAP contributions of each row (at most 100) to the model's output."""
        authorise(request, self.api_token)
        rows = payload.rows if isinstance(payload, PredictRequest) else payload
        if not rows or len(rows) > MAX_EXPLAIN_ROWS:
            raise HTTPException(422, f"Send between 1 and {MAX_EXPLAIN_ROWS} rows to explain.")
        model = await self._model(model_id)
        if model.task.kind == "clustering":
            raise HTTPException(
                422,
                f"{model_id} is a clustering model: it has no SHAP explanations; its run's "
                "report profiles each cluster.",
            )
        mismatch = await _schema_errors(model, model_id, rows)
        if mismatch is not None:
            return mismatch

        def run() -> dict[str, Any]:
            explanation = explain_fitted(model, model.features.transform(normalise_records(rows)))
            return {
                "model_id": model_id,
                "explainer": explanation.explainer,
                "rows": [explanation.row(i) for i in range(len(rows))],
            }

        try:
            return await asyncio.to_thread(run)
        except InputError as exc:
            return _unprocessable([], str(exc))

    @app.get("/healthz")
    def healthz(self) -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/")
    def list_models(self, request: Request) -> list[dict[str, Any]]:
        authorise(request, self.api_token)
        models = sorted(self.registry.list(), key=lambda m: m.created_at, reverse=True)
        return [m.to_json() for m in models]

    @app.get("/{model_id}")
    async def model_info(self, model_id: str, request: Request) -> dict[str, Any]:
        authorise(request, self.api_token)
        try:
            info = self.registry.info(model_id)
        except ModelNotFoundError as exc:
            raise HTTPException(404, str(exc)) from None
        model = await self._any_model(model_id)
        lineage: dict[str, Any] = {"run_id": info.run_id, "sha256": model.metadata.get("sha256")}
        manifest_path = self.root.run_dir(info.run_id) / "manifest.json"
        if manifest_path.is_file():
            manifest = RunManifest.load(manifest_path)
            lineage.update(
                source=manifest.source,
                dataset_id=manifest.dataset_id,
                run_status=manifest.status,
                run_created_at=manifest.created_at,
            )
        if isinstance(model, Forecaster):
            return {**info.to_json(), "forecast": model.report(), "lineage": lineage}
        return {
            **info.to_json(),
            "input_schema": input_schema(model.features),
            "classes": jsonable(model.classes_) if model.task.is_classification else None,
            **({"clusters": model.classes_} if model.task.kind == "clustering" else {}),
            "lineage": lineage,
        }

    @app.post("/{model_id}/predict", response_model=None)
    async def predict(
        self,
        model_id: str,
        request: Request,
        payload: PredictRequest | list[dict[str, Any]] = Body(...),  # noqa: B008
    ) -> dict[str, Any] | JSONResponse:
        authorise(request, self.api_token)
        started = time.perf_counter()
        rows = payload.rows if isinstance(payload, PredictRequest) else payload
        if not rows or len(rows) > MAX_ROWS:
            raise HTTPException(422, f"Send between 1 and {MAX_ROWS} rows.")
        model = await self._model(model_id)
        mismatch = await _schema_errors(model, model_id, rows)
        if mismatch is not None:
            return mismatch
        # one spelling per column, so requests spelled differently can share a batch
        records = normalise_records(rows)
        result = await self.predict_batch((model_id, model, records))
        if isinstance(result, InputError):
            return _unprocessable([], str(result))
        if isinstance(result, FasRayError):
            return JSONResponse(status_code=500, content={"detail": str(result)})
        if isinstance(result, Exception):
            raise result
        pred, proba = result
        self._monitor(model_id, model).add(records)
        out: dict[str, Any] = {
            "model_id": model_id,
            "version": model.metadata.get("version", 1),
            "predictions": jsonable(pred),
        }
        if proba is not None:
            out["classes"] = jsonable(model.classes_)
            out["probabilities"] = np.asarray(proba).tolist()
        out["seconds"] = round(time.perf_counter() - started, 6)
        # plain JSON: FastAPI's jsonable_encoder walks every value in Python (slow for 1,000s)
        return JSONResponse(out)

    def _monitor(self, model_id: str, model: Any) -> DriftMonitor:
        if model_id not in self._drift:
            features = model.features
            self._drift[model_id] = DriftMonitor(
                list(getattr(features, "reference", [])), prepare=features.prepare
            )
        return self._drift[model_id]

    @app.get("/{model_id}/drift")
    async def drift(self, model_id: str, request: Request) -> dict[str, Any]:
        """Per input feature, the PSI of the rows this replica scored against the training
        rows (largest first), with a level: none (< 0.1), moderate, major (> 0.25)."""
        authorise(request, self.api_token)
        model = await self._model(model_id)
        monitor = self._monitor(model_id, model)
        if not monitor.reference:
            raise HTTPException(
                409,
                f"{model_id} was registered without its training distribution (before drift "
                "tracking); train it again to track drift.",
            )
        report = await asyncio.to_thread(monitor.report)
        return {
            "model_id": model_id,
            **report,
            "scope": "the rows this replica scored since it started (each replica counts its own)",
        }

    @app.post("/{model_id}/forecast", response_model=None)
    async def forecast(
        self,
        model_id: str,
        request: Request,
        payload: ForecastRequest = Body(default_factory=ForecastRequest),  # noqa: B008
    ) -> dict[str, Any] | JSONResponse:
        authorise(request, self.api_token)
        started = time.perf_counter()
        model = await self._any_model(model_id)
        if not isinstance(model, Forecaster):
            raise HTTPException(
                422, f"{model_id} predicts rows, not a series; POST /{model_id}/predict instead."
            )
        try:
            future = await asyncio.to_thread(model.predict, payload.horizon, payload.history)
        except FasRayError as exc:
            return _unprocessable([], str(exc))
        return JSONResponse(
            {
                "model_id": model_id,
                "version": model.metadata.get("version", 1),
                "horizon": future.height // max(1, len(model.fits_)),
                "forecast": future.with_columns(pl.col(model.time).cast(pl.String)).to_dicts(),
                "seconds": round(time.perf_counter() - started, 6),
            }
        )


def build(args: dict[str, Any]) -> serve.Application:
    """Application builder for ``serve run`` / ``serve deploy`` (args: :class:`ModelAppArgs`)."""
    parsed = ModelAppArgs(**args)
    deployment = ModelServer.options(  # type: ignore[attr-defined]
        num_replicas=parsed.num_replicas,
        max_ongoing_requests=parsed.max_ongoing_requests,
        # overload: a 503 with Retry-After at once, not a queue that grows without bound
        max_queued_requests=parsed.max_queued_requests,
        backpressure_config=BackpressureConfig(status_code=503, retry_after_s=parsed.retry_after_s),
    )
    return deployment.bind(
        parsed.data_root,
        parsed.api_token,
        parsed.cache_size,
        parsed.max_batch_size,
        parsed.batch_wait_timeout_s,
        parsed.registry_url,
    )
