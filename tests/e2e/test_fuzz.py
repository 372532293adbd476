"""API fuzzing: schemathesis generates requests from the pipeline API's and the model app's own
OpenAPI documents and sends them to a real ``fas-ray serve`` (with its token).

Every response must be no server error (no 5xx), answer within a bound (no hang), carry the
content type its operation documents, and match its documented schema where it documents one.
Undocumented status codes (404 for an unknown id, 409 for a run still going) are what these apps
answer by design, so ``status_code_conformance`` is not among the checks. A bounded number of
examples per operation keeps the run within a few minutes; the seed is fixed.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
)

from tests.e2e.conftest import serving

pytestmark = pytest.mark.slow

TOKEN = "fuzz-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
EXAMPLES = 12
CHECKS = [not_a_server_error, content_type_conformance, response_schema_conformance]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    # a run's job needs a Ray job server: a fuzzed run that gets through is real work, so
    # schedules tick rarely and uploads stay small
    with serving(tmp_path_factory.mktemp("fuzz"), TOKEN, max_upload_mb=1, schedule_tick_s=3600) as (
        url,
        _root,
    ):
        yield url


def _schema(url: str, path: str) -> schemathesis.BaseSchema:
    """The app's own OpenAPI document, as it serves it."""
    return schemathesis.openapi.from_dict(httpx.get(f"{url}{path}", timeout=30).json())


@pytest.fixture(scope="module")
def pipeline_api(server: str) -> schemathesis.BaseSchema:
    return _schema(server, "/openapi.json")


@pytest.fixture(scope="module")
def model_api(server: str) -> schemathesis.BaseSchema:
    return _schema(server, "/models/openapi.json")


def _fuzz(schema: schemathesis.BaseSchema, base_url: str) -> list[str]:
    """Run every operation of ``schema`` on ``EXAMPLES`` generated requests; the labels run."""
    labels = []
    for result in schema.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
            database=None,
        )
        def run(case: schemathesis.Case) -> None:
            case.call_and_validate(base_url=base_url, headers=AUTH, checks=CHECKS, timeout=60)

        run()
        labels.append(operation.label)
    return labels


def test_pipeline_api_never_fails_on_generated_requests(
    pipeline_api: schemathesis.BaseSchema, server: str
) -> None:
    labels = _fuzz(pipeline_api, server)
    assert "POST /runs" in labels and "POST /datasets" in labels


def test_model_app_never_fails_on_generated_requests(
    model_api: schemathesis.BaseSchema, server: str
) -> None:
    labels = _fuzz(model_api, f"{server}/models")
    assert "POST /{model_id}/predict" in labels


def test_the_documents_cover_every_route(pipeline_api: schemathesis.BaseSchema) -> None:
    paths = json.dumps(sorted(pipeline_api.raw_schema["paths"]))
    for route in ("/datasets", "/runs", "/runs/{run_id}", "/schedules"):
        assert f'"{route}"' in paths
