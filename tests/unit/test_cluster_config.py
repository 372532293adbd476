"""ray_cluster.yaml is a valid Ray cluster launcher config: checked against the JSON schema
that ships inside the installed Ray (``ray/autoscaler/ray-schema.json``), the one ``ray up``
validates with."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import ray
import yaml

REPO = Path(__file__).resolve().parents[2]
SCHEMA = Path(ray.__file__).parent / "autoscaler" / "ray-schema.json"


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    return dict(json.loads(SCHEMA.read_text()))


@pytest.fixture(scope="module")
def config() -> dict[str, Any]:
    return dict(yaml.safe_load((REPO / "ray_cluster.yaml").read_text()))


def test_ray_cluster_yaml_matches_rays_own_schema(
    schema: dict[str, Any], config: dict[str, Any]
) -> None:
    jsonschema.validate(config, schema)
    assert config["cluster_name"] and config["provider"]["type"]


@pytest.mark.parametrize(
    ("change", "needle"),
    [
        (lambda c: c.update(max_workers="many"), "is not of type"),
        (lambda c: c.update(unknown_field=1), "Additional properties"),
        (lambda c: c.pop("provider"), "'provider' is a required property"),
    ],
    ids=["wrong-type", "unknown-field", "no-provider"],
)
def test_the_schema_check_catches_a_broken_config(
    schema: dict[str, Any], config: dict[str, Any], change: Any, needle: str
) -> None:
    broken = copy.deepcopy(config)
    change(broken)
    with pytest.raises(jsonschema.ValidationError, match=needle):
        jsonschema.validate(broken, schema)
