"""What the studio stands on, without Ray or HTTP: upload records, previews, the task a target
gives, ETL-only and option-rich run requests, the search's history, figures as JSON, data
charts on demand, the model's input schema with categories, and the page's own files."""

from __future__ import annotations

import json
import re
from pathlib import Path

import plotly.graph_objects as go
import polars as pl
import pytest

from fas_ray.charts import DATA_CHARTS, data_figure, write_figures
from fas_ray.exceptions import InputError, RunNotFoundError
from fas_ray.features import FeatureBuilder
from fas_ray.ml import input_schema
from fas_ray.search._coordinator import ConfigResult
from fas_ray.service import (
    RunRequest,
    dataset_record,
    holdout_rows,
    job_argv,
    list_datasets,
    preview_rows,
    save_dataset_record,
    target_task,
)
from fas_ray.storage import DataRoot


@pytest.fixture
def root(tmp_path: Path) -> DataRoot:
    return DataRoot(tmp_path / "data").ensure()


def _record(root: DataRoot, dataset_id: str, frame: pl.DataFrame) -> dict[str, object]:
    bronze = root.layer("bronze") / dataset_id / "part-0.parquet"
    bronze.parent.mkdir(parents=True)
    frame.write_parquet(bronze)
    record = {
        "dataset_id": dataset_id,
        "filename": "d.csv",
        "rows": frame.height,
        "columns": frame.width,
        "sha256": "ab" * 32,
        "format": "csv",
        "bronze_path": str(bronze.parent),
        "profile": {"rows": frame.height},
    }
    save_dataset_record(root, record)
    return record


FRAME = pl.DataFrame(
    {
        "x": [float(i) for i in range(30)],
        "when": [f"2024-01-{1 + i % 28:02d}" for i in range(30)],
        "label": ["yes", "no", "no"] * 10,
        "rating": [1, 2, 3, 4, 5] * 6,
    }
)


# ---------------------------------------------------------------- data sets
def test_uploads_are_listed_newest_first_without_profiles(root: DataRoot) -> None:
    _record(root, "up-20260101T000000-aaaa", FRAME)
    _record(root, "up-20260102T000000-bbbb", FRAME)
    listed = list_datasets(root)
    assert [d["dataset_id"] for d in listed] == [
        "up-20260102T000000-bbbb",
        "up-20260101T000000-aaaa",
    ]
    assert "profile" not in listed[0] and "bronze_path" not in listed[0]
    assert listed[0]["uploaded_at"] and listed[0]["rows"] == 30
    full = dataset_record(root, "up-20260101T000000-aaaa")
    assert full["profile"] == {"rows": 30}
    (root.layer("uploads") / "up-broken.json").write_text("{half")  # skipped, not fatal
    assert len(list_datasets(root)) == 2


def test_an_unknown_or_path_like_dataset_id_is_a_clear_error(root: DataRoot) -> None:
    with pytest.raises(RunNotFoundError, match="No uploaded data set 'up-x'"):
        dataset_record(root, "up-x")
    with pytest.raises(InputError, match="not a valid dataset id"):
        dataset_record(root, "../etc")


def test_preview_gives_the_first_rows_as_json(root: DataRoot) -> None:
    record = _record(root, "up-1", FRAME.with_columns(pl.lit(float("nan")).alias("nan")))
    preview = preview_rows(record, 4)
    assert preview["columns"] == ["x", "when", "label", "rating", "nan"]
    assert preview["rows"][0] == [0.0, "2024-01-01", "yes", 1, None]  # NaN → null
    assert len(preview["rows"]) == 4
    json.dumps(preview, allow_nan=False)


def test_a_preview_of_rows_that_are_gone_says_so(root: DataRoot) -> None:
    record = _record(root, "up-1", FRAME)
    for path in Path(str(record["bronze_path"])).iterdir():
        path.unlink()
    Path(str(record["bronze_path"])).rmdir()
    with pytest.raises(RunNotFoundError, match="upload it again"):
        preview_rows(record)


def test_target_task_detects_as_a_run_would(root: DataRoot) -> None:
    record = _record(root, "up-1", FRAME)
    assert target_task(record, "label")["subtype"] == "binary"
    rating = target_task(record, "rating")
    assert rating["kind"] == "classification" and rating["ambiguous"]
    assert target_task(record, "x")["kind"] == "regression"
    with pytest.raises(InputError, match="nope"):
        target_task(record, "nope")


def test_holdout_rows_need_a_finished_run(root: DataRoot) -> None:
    with pytest.raises(RunNotFoundError, match="no holdout"):
        holdout_rows(root, "run-1")
    gold = root.gold("run-1")
    gold.mkdir(parents=True)
    FRAME.with_columns(prediction=pl.col("label")).write_parquet(gold / "holdout.parquet")
    rows = holdout_rows(root, "run-1", 3)
    assert rows["columns"][-1] == "prediction" and len(rows["rows"]) == 3


# ---------------------------------------------------------------- run requests
def test_an_etl_only_request_needs_no_target_and_becomes_fas_ray_etl(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="target is required"):
        RunRequest(dataset_id="up-1")
    run = RunRequest(
        dataset_id="up-1",
        etl_only=True,
        missing="fill_median",
        missing_columns={"Age": "drop", "city": "fill_mode"},
        near_duplicates=True,
        lowercase_text=True,
        max_trials=3,  # ignored: nothing is trained
    )
    argv = job_argv(run, "/d/x.csv", "rid", tmp_path)
    assert argv[3:5] == ["etl", "/d/x.csv"]
    assert "--target" not in " ".join(argv) and "--max-trials" not in argv
    assert argv[argv.index("--missing") + 1] == "fill_median"
    assert "--missing-column=Age=drop" in argv and "--missing-column=city=fill_mode" in argv
    assert "--near-duplicates" in argv and "--lowercase-text" in argv
    assert argv[argv.index("--run-id") + 1] == "rid"


def test_a_training_request_passes_learners_and_scrape_options(tmp_path: Path) -> None:
    run = RunRequest(
        url="https://x.test/",
        target="-price",
        learners=["lightgbm", "linear"],
        sitemap=True,
        rate=2.5,
        selector=".row",
        js="never",
        max_pages=7,
    )
    argv = job_argv(run, "https://x.test/", "rid", tmp_path)
    assert argv[3] == "run" and "--target=-price" in argv
    assert argv[argv.index("--learners") + 1] == "lightgbm,linear"
    assert "--sitemap" in argv and "--selector=.row" in argv
    assert argv[argv.index("--rate") + 1] == "2.5" and argv[argv.index("--js") + 1] == "never"
    with pytest.raises(ValueError):
        RunRequest(dataset_id="up-1", target="y", learners=[])
    with pytest.raises(ValueError):
        RunRequest(dataset_id="up-1", target="y", learners=["deep_forest"])


def test_private_addresses_only_where_the_server_allows_them(tmp_path: Path) -> None:
    asked = RunRequest(url="http://127.0.0.1:9/", target="y", allow_private=True)
    with pytest.raises(InputError, match="allow_private_urls"):
        job_argv(asked, "http://127.0.0.1:9/", "r", tmp_path, allow_private=False)
    assert "--allow-private" in job_argv(asked, "u", "r", tmp_path, allow_private=True)
    default = RunRequest(url="http://127.0.0.1:9/", target="y")
    assert "--allow-private" in job_argv(default, "u", "r", tmp_path, allow_private=True)
    off = RunRequest(url="http://127.0.0.1:9/", target="y", allow_private=False)
    assert "--allow-private" not in job_argv(off, "u", "r", tmp_path, allow_private=True)


# ---------------------------------------------------------------- search history
def test_the_progress_file_carries_the_history_of_finished_configurations() -> None:
    from fas_ray.search._coordinator import SearchCoordinator

    coordinator = SearchCoordinator(["lightgbm"], seed=0, max_trials=10)
    for number, (state, score) in enumerate(
        [("complete", 0.7), ("pruned", 0.1), ("complete", 0.9), ("failed", float("nan"))]
    ):
        result = ConfigResult(number, "lightgbm", {}, state)  # type: ignore[arg-type]
        result.score = score
        coordinator.tell(result)
    progress = coordinator.progress()
    assert progress["history"] == [[0, 0.7, "lightgbm"], [2, 0.9, "lightgbm"]]
    assert (progress["complete"], progress["pruned"], progress["failed"]) == (2, 1, 1)
    assert progress["best_score"] == 0.9


# ---------------------------------------------------------------- figures
def test_write_figures_also_writes_plotly_json(tmp_path: Path) -> None:
    figs = {"a": go.Figure(go.Bar(y=[1, 2])), "b c": go.Figure(go.Scatter(y=[3.5]))}
    written = write_figures(figs, tmp_path, title="t", png=False)
    data = json.loads(Path(written["json"]).read_text())
    assert set(data) == {"a", "b c"}
    assert data["a"]["data"][0]["type"] == "bar" and data["b c"]["data"][0]["y"] == [3.5]


def test_data_figure_draws_each_kind_and_names_bad_picks() -> None:
    df = FRAME.with_columns(pl.col("when").str.to_date(), y=pl.col("x") * 2)
    assert set(DATA_CHARTS) == {
        "distribution",
        "correlation",
        "scatter_matrix",
        "box",
        "time_series",
    }
    assert data_figure(df, "distribution", ["label"]).data
    assert data_figure(df, "correlation", ["x", "y", "rating"]).data
    assert data_figure(df, "box", []).data
    matrix = data_figure(df, "scatter_matrix", ["x", "y"], "rating", color_by_value=True)
    assert len(matrix.data) == 5  # one trace per rating value
    assert data_figure(df, "time_series", ["when", "x"]).data
    with pytest.raises(InputError, match="exactly one"):
        data_figure(df, "distribution", ["x", "y"])
    with pytest.raises(InputError, match="label are not numeric"):
        data_figure(df, "correlation", ["x", "label"])
    with pytest.raises(InputError, match="No column"):
        data_figure(df, "box", ["nope"])
    with pytest.raises(InputError, match="Unknown chart"):
        data_figure(df, "pie", [])  # type: ignore[arg-type]


# ---------------------------------------------------------------- input schema
def test_input_schema_lists_categories_and_fill_values() -> None:
    df = pl.DataFrame(
        {"city": ["a", "b", None, "a"] * 5, "n": [1.0, None, 3.0, 4.0] * 5, "y": [0, 1] * 10}
    )
    schema = {c["name"]: c for c in input_schema(FeatureBuilder("y").fit(df))}
    assert sorted(schema["city"]["categories"]) == ["a", "b"]
    assert schema["n"]["fill"] == 3.0 and "categories" not in schema["n"]
    json.dumps(list(schema.values()), allow_nan=False)


# ---------------------------------------------------------------- the page's files
def test_the_page_loads_only_its_own_files_and_labels_every_input() -> None:
    from serve_apps.studio import ASSETS, asset, page

    html = page()
    sources = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert sources and all(s.startswith(("/", "#", "data:")) for s in sources), sources
    for name in ("app.js", "style.css"):
        assert f"/studio/{name}" in html
        body, media_type = asset(name)
        assert body and media_type.startswith("text/")
        assert not re.search(rb"https?://(?!127\.0\.0\.1)", body), name
    plotly_js, _ = asset("plotly.min.js")
    assert len(plotly_js) > 1_000_000
    weight = sum(len(asset(n)[0]) for n in ASSETS if n != "plotly.min.js") + len(html.encode())
    assert weight < 300 * 1024
    ids = set(re.findall(r'<(?:input|select|textarea)[^>]*\bid="([^"]+)"', html))
    labelled = set(re.findall(r'<label[^>]*\bfor="([^"]+)"', html))
    wrapped = set(re.findall(r'<label class="check"><input[^>]*\bid="([^"]+)"', html))
    assert ids - labelled - wrapped == set()
    with pytest.raises(RunNotFoundError):
        asset("../__init__.py")


def test_the_cli_reads_learners_as_the_api_sends_them() -> None:
    from fas_ray.cli import _learners
    from fas_ray.exceptions import ConfigError

    assert _learners(None) is None
    assert _learners("lightgbm, linear,lightgbm") == ("lightgbm", "linear")
    with pytest.raises(ConfigError, match="unknown learner.*deep_forest"):
        _learners("lightgbm,deep_forest")
    with pytest.raises(ConfigError, match="none given"):
        _learners(" , ")
