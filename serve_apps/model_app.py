"""The model app: predictions from every registered model, by id, over HTTP.

Routes:
    GET  /healthz                    liveness
    GET  /models                     registered models
    GET  /models/{model_id}          one model's metadata
    POST /models/{model_id}/predict  ``{"rows": [{...}, ...]}`` (or a bare list of rows) →
                                     predictions (and class probabilities for classifiers)

Loaded models are kept in a small LRU cache. When an API token is configured, every route but
``/healthz`` requires ``Authorization: Bearer <token>``.
"""

# No `from __future__ import annotations`: FastAPI reads these annotations at run time, inside
# the Serve replica, where string annotations of the wrapped class cannot be resolved.
import hmac
from collections import OrderedDict
from pathlib import Path
from typing import Any

from fastapi import Body, FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from ray import serve

from fas_ray.exceptions import FasRayError, InputError, ModelNotFoundError
from fas_ray.ml import FittedModel
from fas_ray.registry import SQLiteRegistry
from fas_ray.storage import DataRoot

__all__ = ["ModelAppArgs", "ModelServer", "build"]

MAX_ROWS = 100_000


class ModelAppArgs(BaseModel):
    """Builder arguments of the model app (``serve build`` / config.yaml ``args``)."""

    data_root: str = Field(description="The fas-ray data root holding registry.sqlite.")
    api_token: str | None = Field(default=None, description="Bearer token; None: no auth.")
    cache_size: int = Field(default=8, ge=1, le=1000, description="Models kept loaded.")


class PredictRequest(BaseModel):
    rows: list[dict[str, Any]] = Field(min_length=1, max_length=MAX_ROWS)


app = FastAPI(title="fas-ray models", version="0.1.0")


def _jsonable(values: Any) -> list[Any]:
    return [v.item() if hasattr(v, "item") else v for v in list(values)]


@serve.deployment(max_ongoing_requests=32)
@serve.ingress(app)
class ModelServer:
    def __init__(self, data_root: str, api_token: str | None = None, cache_size: int = 8) -> None:
        root = DataRoot(Path(data_root))
        self.registry = SQLiteRegistry(root.registry_db, root.layer("models"))
        self.api_token = api_token
        self.cache_size = cache_size
        self._models: OrderedDict[str, FittedModel] = OrderedDict()

    def _authorise(self, request: Request) -> None:
        if self.api_token is None:
            return
        header = request.headers.get("authorization", "")
        given = header[7:] if header.lower().startswith("bearer ") else ""
        if not hmac.compare_digest(given.encode(), self.api_token.encode()):
            raise HTTPException(401, "A valid 'Authorization: Bearer <token>' header is required.")

    def _model(self, model_id: str) -> FittedModel:
        if model_id in self._models:
            self._models.move_to_end(model_id)
            return self._models[model_id]
        try:
            model = self.registry.load(model_id)
        except ModelNotFoundError as exc:
            raise HTTPException(404, str(exc)) from None
        self._models[model_id] = model
        while len(self._models) > self.cache_size:
            self._models.popitem(last=False)
        return model

    @app.get("/healthz")
    def healthz(self) -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/models")
    def list_models(self, request: Request) -> list[dict[str, Any]]:
        self._authorise(request)
        return [m.to_json() for m in self.registry.list()]

    @app.get("/models/{model_id}")
    def model_info(self, model_id: str, request: Request) -> dict[str, Any]:
        self._authorise(request)
        try:
            return self.registry.info(model_id).to_json()
        except ModelNotFoundError as exc:
            raise HTTPException(404, str(exc)) from None

    @app.post("/models/{model_id}/predict", response_model=None)
    def predict(
        self,
        model_id: str,
        request: Request,
        payload: PredictRequest | list[dict[str, Any]] = Body(...),  # noqa: B008
    ) -> dict[str, Any] | JSONResponse:
        self._authorise(request)
        rows = payload.rows if isinstance(payload, PredictRequest) else payload
        if not rows or len(rows) > MAX_ROWS:
            raise HTTPException(422, f"Send between 1 and {MAX_ROWS} rows.")
        model = self._model(model_id)
        try:
            out: dict[str, Any] = {
                "model_id": model_id,
                "predictions": _jsonable(model.predict(rows)),
            }
            if model.task.is_classification:
                out["classes"] = _jsonable(model.classes_)
                out["probabilities"] = model.predict_proba(rows).tolist()
        except InputError as exc:
            return JSONResponse(status_code=422, content={"detail": str(exc)})
        except FasRayError as exc:
            return JSONResponse(status_code=500, content={"detail": str(exc)})
        return out


def build(args: dict[str, Any]) -> serve.Application:
    """Application builder for ``serve run`` / ``serve deploy``."""
    parsed = ModelAppArgs(**args)
    return ModelServer.bind(parsed.data_root, parsed.api_token, parsed.cache_size)  # type: ignore[attr-defined]
