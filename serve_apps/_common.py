"""What both Serve apps share: builder arguments, the bearer-token check, loopback detection."""

import hmac
import ipaddress
import os
from pathlib import Path
from typing import Any

from fastapi import HTTPException, Request
from pydantic import BaseModel, ConfigDict, Field, model_validator

from fas_ray.registry import REGISTRY_URL_ENV

TOKEN_ENV = "FAS_RAY_API_TOKEN"


class ErrorBody(BaseModel):
    """Every error's JSON body: ``detail`` is one line naming the problem and its fix, or, for a
    request that does not match its schema, FastAPI's list of the fields at fault."""

    detail: str | list[dict[str, Any]]


# documented on every route: a 422 body may be either form of ``detail``
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    422: {"model": ErrorBody, "description": "The request, or the data it names, cannot be used."}
}


def is_loopback(host: str) -> bool:
    """True for 127.0.0.0/8, ::1 and ``localhost``."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class AppArgs(BaseModel):
    """Builder arguments every fas-ray app takes (``args`` in serve_apps/config.yaml)."""

    model_config = ConfigDict(extra="forbid")  # a misspelled argument is an error

    data_root: str = Field(description="The fas-ray data root (absolute path).")
    host: str = Field(
        default="127.0.0.1",
        description="The address Serve's HTTP proxy binds (http_options.host): off loopback, "
        "a token is required.",
    )
    api_token: str | None = Field(
        default=None,
        description=f"Bearer token; default ${TOKEN_ENV}; unset: no auth.",
        repr=False,  # never in a log line or a traceback's locals
    )
    registry_url: str | None = Field(
        default=None,
        description=f"The registry's database (postgresql://...); default ${REGISTRY_URL_ENV}; "
        "unset: the data root's SQLite file.",
        repr=False,  # may hold a password
    )

    @model_validator(mode="after")
    def _token_off_loopback(self) -> "AppArgs":
        if self.registry_url is None:
            self.registry_url = os.environ.get(REGISTRY_URL_ENV) or None
        # relative to where the app is built (`serve run` / `fas-ray serve`), not the replica
        self.data_root = str(Path(self.data_root).expanduser().resolve())
        if self.api_token is None:
            self.api_token = os.environ.get(TOKEN_ENV) or None
        if not is_loopback(self.host) and not self.api_token:
            raise ValueError(
                f"Serving on {self.host} (not loopback) requires an API token: set {TOKEN_ENV} "
                "or the app's api_token argument."
            )
        return self


def authorise(request: Request, token: str | None) -> None:
    """Raise 401 unless ``Authorization: Bearer <token>`` matches (no token: open)."""
    if token is None:
        return
    header = request.headers.get("authorization", "")
    given = header[7:] if header.lower().startswith("bearer ") else ""
    if not hmac.compare_digest(given.encode(), token.encode()):
        raise HTTPException(
            401,
            "A valid 'Authorization: Bearer <token>' header is required.",
            headers={"WWW-Authenticate": "Bearer"},
        )


def jsonable(values: Any) -> list[Any]:
    """numpy scalars → Python values, for JSON."""
    return [v.item() if hasattr(v, "item") else v for v in list(values)]
