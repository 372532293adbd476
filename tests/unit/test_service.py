"""The pipeline API's logic without Ray or HTTP: names, run requests, run status, schedules,
and the model input schema check."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest

from fas_ray.exceptions import InputError, RunNotFoundError, StorageError
from fas_ray.features import FeatureBuilder
from fas_ray.manifest import RunManifest
from fas_ray.ml import check_frame, check_records, input_schema, normalise_records
from fas_ray.service import (
    RunRequest,
    ScheduleRequest,
    ScheduleStore,
    artifact_path,
    check_id,
    due,
    job_argv,
    list_run_ids,
    mark_cancel_requested,
    next_fire,
    precheck_run,
    run_status,
    safe_filename,
    save_dataset_record,
    settle_manifest,
    write_submission,
)
from fas_ray.storage import DataRoot


# ---------------------------------------------------------------- names and ids
@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("data.csv", "data.csv"),
        ("../../etc/passwd", "passwd"),
        ("..\\..\\windows\\system.ini", "system.ini"),
        ("/abs/path/x.parquet", "x.parquet"),
        (".hidden.csv", "hidden.csv"),
        ("my data (2024).csv", "my_data_2024_.csv"),
        ("café.xlsx", "cafe.xlsx"),
    ],
)
def test_safe_filename_keeps_uploads_in_their_folder(given: str, expected: str) -> None:
    assert safe_filename(given) == expected


@pytest.mark.parametrize("bad", ["", "..", "../..", "/", "...", "//"])
def test_safe_filename_refuses_names_with_nothing_left(bad: str) -> None:
    with pytest.raises(InputError, match="no usable characters"):
        safe_filename(bad)


def test_safe_filename_bounds_length_and_keeps_the_extension() -> None:
    name = safe_filename("a" * 300 + ".csv")
    assert len(name) <= 100 and name.endswith(".csv")


@pytest.mark.parametrize("bad", ["../x", "a/b", "..", "x..y", "", "a b", "-x", "x\n"])
def test_check_id_refuses_path_like_ids(bad: str) -> None:
    with pytest.raises(InputError, match="not a valid run id"):
        check_id(bad, "run id")
    assert check_id("20261127-101010-abcdef", "run id") == "20261127-101010-abcdef"


# ---------------------------------------------------------------- run requests
def test_run_request_source_needs_exactly_one_of_dataset_and_url(tmp_path: Path) -> None:
    root = DataRoot(tmp_path).ensure()
    with pytest.raises(InputError, match="exactly one"):
        RunRequest(target="y").source(root)
    with pytest.raises(InputError, match="exactly one"):
        RunRequest(target="y", dataset_id="up-1", url="http://x.test/").source(root)
    with pytest.raises(InputError, match="No uploaded data set 'up-1'"):
        RunRequest(target="y", dataset_id="up-1").source(root)
    (root.layer("uploads") / "up-1").mkdir()
    (root.layer("uploads") / "up-1" / "d.csv").write_text("a,y\n1,2\n")
    assert RunRequest(target="y", dataset_id="up-1").source(root).endswith("up-1/d.csv")
    assert RunRequest(target="y", url="https://x.test/p").source(root) == "https://x.test/p"


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:8080/", "http://localhost/x", "http://10.1.2.3/", "http://[::1]/"]
)
def test_precheck_refuses_private_urls_unless_the_server_allows_them(
    tmp_path: Path, url: str
) -> None:
    root = DataRoot(tmp_path).ensure()
    with pytest.raises(InputError, match="private or loopback address"):
        precheck_run(RunRequest(target="y", url=url), root, allow_private=False)
    precheck_run(RunRequest(target="y", url=url), root, allow_private=True)
    # a name is resolved (and checked at every redirect) by the crawl itself
    precheck_run(RunRequest(target="y", url="https://example.test/"), root, allow_private=False)


def test_precheck_stops_a_run_bound_to_fail_on_its_target(tmp_path: Path) -> None:
    from fas_ray.ingest import ingest_file

    root = DataRoot(tmp_path / "root").ensure()
    rows = [f"{i % 7},{i % 3},{(i % 3) * 2}\n" for i in range(40)]
    (tmp_path / "d.csv").write_text("x,y,copy\n" + "".join(rows))
    bronze = ingest_file(tmp_path / "d.csv", root)
    save_dataset_record(
        root, {"dataset_id": "up-1", "bronze_path": str(bronze.path), "filename": "d.csv"}
    )
    with pytest.raises(InputError, match="'copy' give the target 'y' exactly"):
        precheck_run(RunRequest(target="y", dataset_id="up-1"), root, allow_private=False)
    with pytest.raises(InputError, match="not in the data"):
        precheck_run(RunRequest(target="nope", dataset_id="up-1"), root, allow_private=False)
    precheck_run(RunRequest(target="copy", etl_only=True, dataset_id="up-1"), root, False)
    precheck_run(RunRequest(task="clustering", dataset_id="up-1"), root, allow_private=False)


def test_run_request_validation() -> None:
    with pytest.raises(ValueError, match="dataset id"):
        RunRequest(target="y", dataset_id="../etc")
    with pytest.raises(ValueError, match="http"):
        RunRequest(target="y", url="file:///etc/passwd")
    with pytest.raises(ValueError, match="extra"):
        RunRequest.model_validate({"target": "y", "surprise": 1})
    with pytest.raises(ValueError):
        RunRequest(target="y", time_budget_s=0)


def test_job_argv_is_a_fas_ray_run_command(tmp_path: Path) -> None:
    run = RunRequest(
        target="label", url="https://x.test/", max_trials=4, task="regression", metric="mae"
    )
    argv = job_argv(run, "https://x.test/", "rid-1", tmp_path)
    assert argv[1:5] == ["-m", "fas_ray.cli", "run", "https://x.test/"]
    joined = " ".join(argv)
    assert "--target=label" in joined and "--run-id rid-1" in joined
    assert "--max-trials 4" in joined and "--task regression" in joined
    assert "--metric mae" in joined
    assert f"--data-root {tmp_path}" in joined and "--allow-private" not in joined
    assert "--allow-private" in job_argv(run, "x", "r", tmp_path, allow_private=True)
    forecast = RunRequest(target="sales", url="https://x.test/", horizon=12, series_id="store")
    joined = " ".join(job_argv(forecast, "x", "r", tmp_path))
    assert "--horizon 12" in joined and "--series-id=store" in joined
    clusters = job_argv(RunRequest(url="https://x.test/", task="clustering"), "x", "r", tmp_path)
    assert "--task clustering" in " ".join(clusters) and "--target" not in " ".join(clusters)


# ---------------------------------------------------------------- run status
def _manifest(root: DataRoot, run_id: str) -> RunManifest:
    return RunManifest.create(root.run_dir(run_id), run_id=run_id, source="d.csv")


def test_run_status_merges_manifest_progress_and_job(tmp_path: Path) -> None:
    root = DataRoot(tmp_path).ensure()
    with pytest.raises(RunNotFoundError, match="No run 'r1'"):
        run_status(root, "r1")
    write_submission(root, "r1", {"request": {"target": "y"}, "source": "d.csv"})
    status = run_status(root, "r1", {"status": "PENDING"})
    assert status["status"] == "pending" and status["submitted"] and status["stages"] == []

    manifest = _manifest(root, "r1")
    manifest.start()
    with manifest.stage("ingest"):
        pass
    manifest.stages.append(type(manifest.stages[0])(name="search"))
    manifest.save()
    (root.run_dir("r1") / "progress.json").write_text(
        json.dumps({"complete": 7, "pruned": 3, "best_score": 0.91, "best_learner": "lightgbm"})
    )
    status = run_status(root, "r1", {"status": "RUNNING"})
    assert status["status"] == "running" and status["stage"] == "search"
    assert status["trials_done"] == 10 and status["best_score"] == 0.91
    assert [s["name"] for s in status["stages"]] == ["ingest", "search"]
    assert run_status(root, "r1", {"status": "STOPPED"})["status"] == "cancelled"
    failed = run_status(root, "r1", {"status": "FAILED", "message": "boom " * 200})
    assert failed["status"] == "failed" and failed["error"].startswith("boom")
    assert len(failed["error"]) <= 500  # Ray puts log tails in a job's message
    assert list_run_ids(root) == ["r1"]


def test_a_cancelled_run_reads_cancelled_and_a_finished_one_stays_finished(
    tmp_path: Path,
) -> None:
    root = DataRoot(tmp_path).ensure()
    write_submission(root, "c1", {"request": {}, "source": "d.csv"})
    manifest = _manifest(root, "c1")
    manifest.start()
    mark_cancel_requested(root, "c1")
    manifest.fail("interrupted")  # the job records it before Ray says STOPPED
    assert run_status(root, "c1", {"status": "RUNNING"})["status"] == "cancelled"
    write_submission(root, "c2", {"request": {}, "source": "d.csv"})
    done = _manifest(root, "c2")
    done.start()
    done.complete()
    assert run_status(root, "c2", {"status": "STOPPED"})["status"] == "completed"
    assert list_run_ids(root) == ["c2", "c1"]


def test_settle_manifest_records_a_stopped_job(tmp_path: Path) -> None:
    root = DataRoot(tmp_path).ensure()
    manifest = _manifest(root, "r2")
    manifest.start()
    assert not settle_manifest(root, "r2", {"status": "RUNNING"})
    assert settle_manifest(root, "r2", {"status": "STOPPED"})
    again = RunManifest.load(root.run_dir("r2"))
    assert again.status == "failed" and "cancelled" in (again.error or "")
    assert not settle_manifest(root, "r2", {"status": "STOPPED"})  # already settled
    assert run_status(root, "r2")["status"] == "failed"


def test_artifact_path_serves_only_listed_files_inside_the_root(tmp_path: Path) -> None:
    root = DataRoot(tmp_path / "root").ensure()
    manifest = _manifest(root, "r3")
    inside = root.run_dir("r3") / "report.json"
    inside.write_text("{}")
    outside = tmp_path / "secret.txt"
    outside.write_text("x")
    manifest.add_artifact("report", inside)
    manifest.add_artifact("evil", outside)
    manifest.save()
    assert artifact_path(root, "r3", "report") == inside.resolve()
    with pytest.raises(RunNotFoundError, match="not available"):
        artifact_path(root, "r3", "evil")
    with pytest.raises(RunNotFoundError, match="has no artifact 'nope'"):
        artifact_path(root, "r3", "nope")
    with pytest.raises(InputError):
        artifact_path(root, "../r3", "report")


# ---------------------------------------------------------------- schedules
def test_cron_validation_and_next_fire() -> None:
    with pytest.raises(ValueError, match="never fires"):
        ScheduleRequest(cron="0 0 30 2 *", run=RunRequest(target="y", url="https://x.test/"))
    with pytest.raises(ValueError, match="five-field cron"):
        ScheduleRequest(cron="every day", run=RunRequest(target="y", url="https://x.test/"))
    with pytest.raises(ValueError, match="five-field cron"):
        ScheduleRequest(cron="61 * * * *", run=RunRequest(target="y", url="https://x.test/"))
    at = datetime(2026, 3, 1, 10, 30, tzinfo=UTC)
    assert next_fire("*/15 * * * *", at) == datetime(2026, 3, 1, 10, 45, tzinfo=UTC)
    assert next_fire("0 3 * * *", at) == datetime(2026, 3, 2, 3, 0, tzinfo=UTC)


def test_schedules_survive_a_new_store_and_fire_once_when_due(tmp_path: Path) -> None:
    root = DataRoot(tmp_path).ensure()
    created = datetime(2026, 3, 1, 10, 0, 30, tzinfo=UTC)
    store = ScheduleStore(root)
    hourly = store.add(
        ScheduleRequest(cron="0 * * * *", run=RunRequest(target="y", url="https://x.test/")),
        now=created,
    )
    off = store.add(
        ScheduleRequest(
            cron="* * * * *", run=RunRequest(target="y", url="https://x.test/"), enabled=False
        ),
        now=created,
    )
    reopened = ScheduleStore(root)  # what a restarted app sees
    assert {s.schedule_id for s in reopened.all()} == {hourly.schedule_id, off.schedule_id}
    assert due(reopened.all(), created + timedelta(minutes=30)) == []
    # the app was down for three slots: the schedule fires once, then waits for the next slot
    late = created + timedelta(hours=3)
    fired = due(reopened.all(), late)
    assert [s.schedule_id for s in fired] == [hourly.schedule_id]
    reopened.fired(hourly.schedule_id, "run-1", late)
    assert due(ScheduleStore(root).all(), late) == []
    again = ScheduleStore(root).get(hourly.schedule_id)
    assert again.runs == 1 and again.last_run_id == "run-1"
    assert again.next_at() == datetime(2026, 3, 1, 14, 0, tzinfo=UTC)
    reopened.remove(hourly.schedule_id)
    with pytest.raises(InputError, match="No schedule"):
        reopened.get(hourly.schedule_id)


def test_a_corrupt_schedules_file_is_a_clear_error(tmp_path: Path) -> None:
    root = DataRoot(tmp_path).ensure()
    root.schedules.write_text("{not json")
    with pytest.raises(StorageError, match="fix or remove the file"):
        ScheduleStore(root).all()


# ---------------------------------------------------------------- input schema
@pytest.fixture(scope="module")
def builder() -> FeatureBuilder:
    df = pl.DataFrame(
        {
            "const": [7] * 40,
            "age": [20.0 + i for i in range(40)],
            "smoker": [i % 2 == 0 for i in range(40)],
            "city": ["a", "b", "c", "d"] * 10,
            "joined": [f"2024-01-{1 + i % 28:02d}" for i in range(40)],
            "y": [0, 1] * 20,
        }
    ).with_columns(pl.col("joined").str.to_date())
    return FeatureBuilder("y").fit(df)


def test_input_schema_lists_columns_and_kinds(builder: FeatureBuilder) -> None:
    schema = {c["name"]: c["kind"] for c in input_schema(builder)}
    assert schema == {
        "age": "numeric",
        "smoker": "boolean",
        "city": "categorical",
        "joined": "datetime",
    }


def test_check_records_names_every_bad_field(builder: FeatureBuilder) -> None:
    good = {"age": 30, "smoker": True, "city": "a", "joined": "2024-02-01"}
    assert check_records(builder, [good, {**good, "age": None, "const": 7, "y": 1}]) == []
    spelled = {"Age": 3.5, "smoker": 1, "City": "b", "joined": None}  # original spelling
    assert check_records(builder, [spelled]) == []
    assert normalise_records([spelled])[0] == {"age": 3.5, "smoker": 1, "city": "b", "joined": None}
    both = check_records(builder, [{**good, "Age": 3.5}])
    assert [(e.field, e.problem) for e in both] == [("Age", "duplicate")]
    assert "'age'" in both[0].message
    bad = [
        {"age": "old", "smoker": "yes", "city": "a", "extra_col": 1},
        {"age": "older", "smoker": True, "city": [1], "joined": "2024-01-01"},
    ]
    errors = {(e.field, e.problem): e for e in check_records(builder, bad)}
    assert set(errors) == {
        ("age", "wrong_type"),
        ("smoker", "wrong_type"),
        ("extra_col", "unknown"),
        ("joined", "missing"),
        ("city", "wrong_type"),
    }
    assert errors[("age", "wrong_type")].row == 0  # the first bad value only
    assert "expected a number, got 'old'" in errors[("age", "wrong_type")].message
    assert errors[("city", "wrong_type")].row == 1
    assert check_records(builder, ["not a row"])[0].field == "<row>"


def test_a_file_gets_the_same_schema_check_as_json_rows(builder: FeatureBuilder) -> None:
    """``fas-ray predict`` checks a table the way the model app checks records."""
    good = pl.DataFrame(
        {
            "Age": [30.0, None],
            "smoker": [True, False],
            "city": ["a", "zz"],
            "joined": ["2024-02-01", None],
        }
    )
    assert check_frame(builder, good) == []  # an unseen category is fine: it encodes as -1
    assert check_frame(builder, good.with_columns(pl.lit(1).alias("y"))) == []  # the target
    bad = pl.DataFrame(
        {"age": ["30", "old"], "smoker": [True, False], "city": ["a", "b"], "extra_col": [1, 2]}
    )
    as_table = {(e.field, e.problem) for e in check_frame(builder, bad)}
    as_rows = {(e.field, e.problem) for e in check_records(builder, bad.to_dicts())}
    assert as_table == {("age", "wrong_type"), ("extra_col", "unknown"), ("joined", "missing")}
    assert as_rows >= as_table - {("age", "wrong_type")}  # JSON text is never a number
    (age,) = [e for e in check_frame(builder, bad) if e.field == "age"]
    assert age.row == 1 and "got 'old'" in age.message  # "30" reads as a number: row 1 fails
    twice = pl.DataFrame({"age": [1.0], "Age": [2.0]})
    assert ("Age", "duplicate") in {(e.field, e.problem) for e in check_frame(builder, twice)}


# ---------------------------------------------------------------- app arguments
def test_apps_refuse_off_loopback_without_a_token(monkeypatch: pytest.MonkeyPatch) -> None:
    from serve_apps._common import AppArgs, is_loopback

    monkeypatch.delenv("FAS_RAY_API_TOKEN", raising=False)
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("10.1.2.3")
    assert AppArgs(data_root="/d").api_token is None  # loopback: open
    with pytest.raises(ValueError, match="requires an API token"):
        AppArgs(data_root="/d", host="0.0.0.0")
    assert AppArgs(data_root="/d", host="0.0.0.0", api_token="t").api_token == "t"
    monkeypatch.setenv("FAS_RAY_API_TOKEN", "from-env")
    assert AppArgs(data_root="/d", host="0.0.0.0").api_token == "from-env"
    secret = AppArgs(data_root="/d", api_token="s3cret-value")
    assert "s3cret-value" not in repr(secret) and "s3cret-value" not in str(secret)
