"""RunManifest: JSON round trip, stage timing and the run's status transitions."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from fas_ray.exceptions import RunNotFoundError, StorageError
from fas_ray.manifest import RunManifest, StageRecord, new_run_id

pytestmark = pytest.mark.filterwarnings("error")


@pytest.fixture
def manifest(tmp_path: Path) -> RunManifest:
    return RunManifest.create(
        tmp_path / "runs" / "r1", run_id="r1", source="data.csv", config={"seed": 0}
    )


def test_create_writes_the_file_and_load_round_trips(manifest: RunManifest, tmp_path: Path) -> None:
    path = tmp_path / "runs" / "r1" / "manifest.json"
    assert manifest.path == path and path.is_file()
    on_disk = json.loads(path.read_text(encoding="utf-8"))
    assert on_disk["run_id"] == "r1" and on_disk["status"] == "created"
    assert "path" not in on_disk

    manifest.sha256 = "ab" * 32
    manifest.add_artifact("bronze", tmp_path / "bronze" / "x" / "data.parquet")
    manifest.save()
    for where in (path, path.parent):  # a run folder or the file itself
        loaded = RunManifest.load(where)
        assert loaded.path == path
        assert loaded.model_dump() == manifest.model_dump()
    assert list(path.parent.iterdir()) == [path], "no temporary files beside the manifest"


def test_save_without_a_path_raises() -> None:
    with pytest.raises(StorageError, match="no path"):
        RunManifest(run_id="r", source="s").save()


def test_load_missing_and_corrupt(tmp_path: Path) -> None:
    with pytest.raises(RunNotFoundError, match="No manifest"):
        RunManifest.load(tmp_path / "nope")
    bad = tmp_path / "manifest.json"
    bad.write_text("{not json", encoding="utf-8")
    with pytest.raises(StorageError, match="Cannot read the manifest"):
        RunManifest.load(bad)


def test_stage_records_seconds_and_completion(manifest: RunManifest) -> None:
    manifest.start()
    with manifest.stage("ingest") as record:
        assert RunManifest.load(manifest.path).stages[-1].status == "running"
        record.detail = {"rows": 3}
    loaded = RunManifest.load(manifest.path)
    (stage,) = loaded.stages
    assert stage.name == "ingest" and stage.status == "completed"
    assert isinstance(stage.seconds, float) and stage.seconds >= 0.0
    assert stage.detail == {"rows": 3}
    assert loaded.timings() == {"ingest": stage.seconds}


def test_a_raising_stage_is_recorded_as_failed(manifest: RunManifest) -> None:
    manifest.start()
    with pytest.raises(ZeroDivisionError):
        with manifest.stage("etl"):
            1 / 0  # noqa: B018
    (stage,) = RunManifest.load(manifest.path).stages
    assert stage.status == "failed"
    assert stage.seconds is not None and stage.seconds >= 0.0


def test_allowed_transitions(manifest: RunManifest) -> None:
    assert manifest.status == "created"
    manifest.start()
    assert RunManifest.load(manifest.path).status == "running"
    manifest.complete()
    assert RunManifest.load(manifest.path).status == "completed"


@pytest.mark.parametrize(
    ("path_to", "forbidden"),
    [
        ((), "completed"),
        (("running", "completed"), "running"),
        (("running", "completed"), "failed"),
        (("running", "failed"), "completed"),
        (("failed",), "running"),
    ],
)
def test_forbidden_transitions_raise(
    manifest: RunManifest, path_to: tuple[str, ...], forbidden: str
) -> None:
    actions = {
        "running": manifest.start,
        "completed": manifest.complete,
        "failed": lambda: manifest.fail("boom"),
    }
    for status in path_to:
        actions[status]()
    before = manifest.path.read_bytes()
    with pytest.raises(StorageError, match=f"cannot go from '{manifest.status}' to '{forbidden}'"):
        actions[forbidden]()
    assert manifest.path.read_bytes() == before, "a refused move is not saved"


def test_fail_marks_running_stages_failed(manifest: RunManifest) -> None:
    manifest.start()
    with manifest.stage("ingest"):
        pass
    manifest.stages.append(StageRecord(name="etl"))  # a stage interrupted mid-way
    manifest.fail("worker died")
    loaded = RunManifest.load(manifest.path)
    assert loaded.status == "failed"
    assert loaded.error == "worker died"
    assert [(s.name, s.status) for s in loaded.stages] == [
        ("ingest", "completed"),
        ("etl", "failed"),
    ]


def test_a_refused_fail_leaves_the_manifest_unchanged(manifest: RunManifest) -> None:
    manifest.start()
    manifest.complete()
    with pytest.raises(StorageError):
        manifest.fail("too late")
    assert manifest.error is None


def test_new_run_id_shape_and_uniqueness() -> None:
    ids = {new_run_id() for _ in range(50)}
    assert len(ids) == 50
    assert all(re.fullmatch(r"\d{8}-\d{6}-[0-9a-f]{6}", i) for i in ids)


def test_a_run_whose_process_is_gone_settles_as_interrupted(manifest: RunManifest) -> None:
    import subprocess
    import sys

    manifest.start()
    assert manifest.driver is not None and manifest.driver["pid"] > 0
    assert not manifest.settle_if_orphaned()  # this process runs it: still running
    with manifest.stage("search"):
        pass
    other_host = {**manifest.driver, "host": "another-machine"}
    manifest.driver = other_host
    assert not manifest.settle_if_orphaned()  # another host's process cannot be looked at
    gone = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    manifest.driver = {
        **other_host,
        "host": __import__("socket").gethostname(),
        "pid": int(gone.stdout),
    }
    assert manifest.settle_if_orphaned()
    again = RunManifest.load(manifest.path)  # type: ignore[arg-type]
    assert again.status == "failed" and again.error is not None
    assert again.error.startswith("interrupted")
    assert not again.settle_if_orphaned()  # settled once
