"""fas_ray.viz: figure builders (traces, axes, bad input) and export to HTML and PNG."""

from __future__ import annotations

import datetime as dt
import re
import struct
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio
import polars as pl
import pytest
from sklearn.metrics import average_precision_score, roc_auc_score

from fas_ray import viz
from fas_ray.exceptions import FasRayError, InputError, PipelineError

CHROMIUM = Path("/usr/bin/chromium")
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def frame() -> pl.DataFrame:
    rng = np.random.default_rng(0)
    n = 200
    a = rng.normal(size=n)
    return pl.DataFrame(
        {
            "a": a,
            "b": 2 * a + 1,  # perfectly correlated with a
            "c": rng.integers(0, 50, size=n),
            "d": rng.exponential(size=n),
            "e": rng.uniform(size=n),
            "f": rng.normal(size=n),
            "g": rng.normal(size=n),
            "city": rng.choice(["paris", "lyon", "nice"], size=n),
            "flag": rng.random(n) > 0.5,
            "day": [dt.date(2024, 1, 1) + dt.timedelta(days=int(i)) for i in rng.permutation(n)],
        }
    )


@pytest.fixture
def multiclass() -> tuple[np.ndarray, np.ndarray, list[str]]:
    rng = np.random.default_rng(1)
    classes = ["cat", "dog", "fox"]
    y_index = rng.integers(0, 3, size=300)
    logits = rng.normal(size=(300, 3)) + 1.5 * np.eye(3)[y_index]
    proba = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    return np.asarray(classes)[y_index], proba, classes


@pytest.fixture
def binary() -> tuple[np.ndarray, np.ndarray, list[int]]:
    rng = np.random.default_rng(2)
    y = rng.integers(0, 2, size=300)
    p1 = np.clip(0.3 * y + 0.7 * rng.uniform(size=300), 0, 1)
    return y, np.column_stack([1 - p1, p1]), [0, 1]


def _builders() -> dict[str, Callable[[pl.DataFrame], go.Figure]]:
    y, proba = np.array([0, 1, 1, 0, 1]), np.array([0.2, 0.9, 0.6, 0.4, 0.3])
    return {
        "distribution_numeric": lambda df: viz.distribution(df, "a"),
        "distribution_category": lambda df: viz.distribution(df, "city"),
        "correlation_heatmap": viz.correlation_heatmap,
        "time_series": lambda df: viz.time_series(df, "day", ["a", "e"]),
        "scatter_matrix": viz.scatter_matrix,
        "box_plots": viz.box_plots,
        "roc_curve": lambda df: viz.roc_curve(y, proba, [0, 1]),
        "precision_recall_curve": lambda df: viz.precision_recall_curve(y, proba, [0, 1]),
        "calibration_curve": lambda df: viz.calibration_curve(y, proba, [0, 1], n_bins=3),
        "feature_importance": lambda df: viz.feature_importance(["x", "y"], [0.3, 0.7]),
        "predicted_vs_actual": lambda df: viz.predicted_vs_actual([1, 2, 3], [1.2, 1.8, 3.1]),
        "search_history": lambda df: viz.search_history([0.5, 0.7, 0.6]),
        "cluster_chart": lambda df: viz.cluster_chart(df.select("a", "f").to_numpy(), df["city"]),
    }


# --- the package ------------------------------------------------------------------------------


def test_exported_names() -> None:
    assert len(set(viz.__all__)) == len(viz.__all__)
    assert all(callable(getattr(viz, name)) for name in viz.__all__)
    namespace: dict[str, object] = {}
    exec("from fas_ray.viz import *", namespace)  # noqa: S102
    namespace.pop("__builtins__")
    assert sorted(namespace) == sorted(viz.__all__)


@pytest.mark.parametrize("name", sorted(_builders()))
def test_every_figure_has_title_axis_titles_and_template(name: str, frame: pl.DataFrame) -> None:
    fig = _builders()[name](frame)
    assert isinstance(fig, go.Figure)
    assert fig.layout.title.text
    assert fig.layout.xaxis.title.text
    assert fig.layout.yaxis.title.text
    assert fig.layout.template == pio.templates["plotly_white"]


# --- data charts ------------------------------------------------------------------------------


def test_distribution_numeric_is_a_binned_histogram(frame: pl.DataFrame) -> None:
    fig = viz.distribution(frame, "a")
    assert [t.type for t in fig.data] == ["bar"]
    counts = np.asarray(fig.data[0].y)
    assert counts.sum() == frame.height
    assert 1 < counts.size <= 100
    assert fig.layout.xaxis.title.text == "a"


def test_distribution_caps_bins_and_reports_missing() -> None:
    values = [float(i) for i in range(100_000)] + [None, float("nan")]
    fig = viz.distribution(pl.DataFrame({"x": values}), "x")
    assert len(fig.data[0].y) <= 100
    assert np.asarray(fig.data[0].y).sum() == 100_000
    assert "2 missing" in fig.layout.title.text


def test_distribution_of_a_constant_column_is_one_bin() -> None:
    fig = viz.distribution(pl.DataFrame({"x": [3, 3, 3]}), "x")
    assert list(fig.data[0].y) == [3]


def test_distribution_categorical_keeps_top_30_and_sums_the_rest() -> None:
    labels = [f"k{i:02d}" for i in range(40) for _ in range(40 - i)] + [None]
    fig = viz.distribution(pl.DataFrame({"kind": labels}), "kind")
    bar = fig.data[0]
    assert bar.type == "bar"
    assert len(bar.x) == 31
    assert bar.x[0] == "k00" and bar.y[0] == 40
    assert bar.x[-1].startswith("(other)")
    assert sum(bar.y) == len(labels)


@pytest.mark.parametrize("column", ["city", "flag", "day"])
def test_distribution_of_non_numeric_columns_counts_values(
    frame: pl.DataFrame, column: str
) -> None:
    fig = viz.distribution(frame, column)
    assert fig.data[0].type == "bar"
    assert sum(fig.data[0].y) == frame.height


def test_correlation_heatmap(frame: pl.DataFrame) -> None:
    fig = viz.correlation_heatmap(frame)
    assert [t.type for t in fig.data] == ["heatmap"]
    heat = fig.data[0]
    assert heat.colorscale == go.Heatmap(colorscale="RdBu").colorscale
    assert (heat.zmid, heat.zmin, heat.zmax) == (0, -1, 1)
    assert list(heat.x) == ["a", "b", "c", "d", "e", "f", "g"]  # numeric columns only
    z = np.asarray(heat.z, dtype=float)
    assert np.all((z >= -1) & (z <= 1))
    np.testing.assert_allclose(np.diag(z), 1.0)
    np.testing.assert_allclose(z, z.T)
    assert z[0, 1] == pytest.approx(1.0)


def test_correlation_heatmap_leaves_nulls_out_pairwise() -> None:
    df = pl.DataFrame({"a": [1.0, 2.0, 3.0, None, 5.0], "b": [2.0, 4.0, 6.0, 8.0, 10.0]})
    z = np.asarray(viz.correlation_heatmap(df).data[0].z, dtype=float)
    assert z[0, 1] == pytest.approx(1.0)


def test_correlation_heatmap_needs_two_numeric_columns() -> None:
    with pytest.raises(InputError, match="at least 2 numeric columns, found 1"):
        viz.correlation_heatmap(pl.DataFrame({"a": [1, 2], "s": ["x", "y"]}))


def test_time_series(frame: pl.DataFrame) -> None:
    fig = viz.time_series(frame, "day", ["a", "e"])
    assert [t.type for t in fig.data] == ["scatter", "scatter"]
    assert [t.name for t in fig.data] == ["a", "e"]
    assert fig.layout.xaxis.type == "date"
    assert all(t.mode == "lines+markers" for t in fig.data)
    assert "%{x|%Y-%m-%d}" in fig.data[0].hovertemplate and "%{y}" in fig.data[0].hovertemplate
    assert list(fig.data[0].x) == sorted(fig.data[0].x)
    assert fig.layout.yaxis.title.text == "value"


def test_time_series_rejects_a_non_date_time_column(frame: pl.DataFrame) -> None:
    with pytest.raises(InputError, match=r"not a date or datetime.*str\.to_datetime"):
        viz.time_series(frame, "city", "a")


def test_time_series_rejects_a_non_numeric_value_column(frame: pl.DataFrame) -> None:
    with pytest.raises(InputError, match="'city' is String, not numeric"):
        viz.time_series(frame, "day", ["a", "city"])


def test_scatter_matrix_is_lower_triangle_of_at_most_five(frame: pl.DataFrame) -> None:
    fig = viz.scatter_matrix(frame)
    assert [t.type for t in fig.data] == ["splom"]
    splom = fig.data[0]
    assert splom.showupperhalf is False
    assert splom.diagonal.visible is False
    assert [d.label for d in splom.dimensions] == ["a", "b", "c", "d", "e"]
    assert "first 5 of 7" in fig.layout.title.text


def test_scatter_matrix_with_chosen_columns_and_colour(frame: pl.DataFrame) -> None:
    by_city = viz.scatter_matrix(frame, ["a", "d", "e"], color="city")
    assert sorted(t.name for t in by_city.data) == ["lyon", "nice", "paris"]
    assert all(len(t.dimensions) == 3 and t.showupperhalf is False for t in by_city.data)
    assert sum(len(t.dimensions[0].values) for t in by_city.data) == frame.height
    by_value = viz.scatter_matrix(frame, ["a", "d"], color="e")
    assert len(by_value.data) == 1 and by_value.data[0].marker.showscale is True
    # two columns: the one lower-triangle cell as a plain scatter (plotly.js cannot draw that
    # splom without its diagonal; kaleido failed on it)
    assert by_value.data[0].type == "scatter" and by_value.layout.xaxis.title.text == "a"
    two = viz.scatter_matrix(frame, ["a", "d"], color="city")
    assert sorted(t.name for t in two.data) == ["lyon", "nice", "paris"]
    assert {t.type for t in two.data} == {"scatter"}


def test_scatter_matrix_refuses_more_than_five_columns(frame: pl.DataFrame) -> None:
    with pytest.raises(InputError, match="at most 5 columns, got 6"):
        viz.scatter_matrix(frame, ["a", "b", "c", "d", "e", "f"])


def test_box_plots(frame: pl.DataFrame) -> None:
    fig = viz.box_plots(frame)
    assert [t.type for t in fig.data] == ["box"] * 7
    assert [t.name for t in fig.data] == ["a", "b", "c", "d", "e", "f", "g"]
    assert all(t.boxpoints == "outliers" for t in fig.data)
    assert len(viz.box_plots(frame, ["d"]).data) == 1


def test_box_plots_rejects_a_non_numeric_column(frame: pl.DataFrame) -> None:
    with pytest.raises(InputError, match="'city' is String, not numeric"):
        viz.box_plots(frame, ["a", "city"])
    with pytest.raises(InputError, match="has none"):
        viz.box_plots(frame.select("city"))


@pytest.mark.parametrize(
    "build",
    [
        lambda df: viz.distribution(df, "a"),
        viz.correlation_heatmap,
        lambda df: viz.time_series(df, "day", "a"),
        viz.scatter_matrix,
        viz.box_plots,
    ],
    ids=["distribution", "correlation_heatmap", "time_series", "scatter_matrix", "box_plots"],
)
def test_data_charts_reject_an_empty_frame(build: Callable[[pl.DataFrame], go.Figure]) -> None:
    empty = pl.DataFrame(schema={"a": pl.Float64, "b": pl.Float64, "day": pl.Date})
    with pytest.raises(InputError, match="empty.*at least one row"):
        build(empty)


@pytest.mark.parametrize(
    "build",
    [
        lambda df: viz.distribution(df, "nope"),
        lambda df: viz.time_series(df, "day", "nope"),
        lambda df: viz.scatter_matrix(df, ["a", "nope"]),
        lambda df: viz.scatter_matrix(df, ["a", "b"], color="nope"),
        lambda df: viz.box_plots(df, ["nope"]),
    ],
)
def test_data_charts_name_an_unknown_column(
    frame: pl.DataFrame, build: Callable[[pl.DataFrame], go.Figure]
) -> None:
    with pytest.raises(InputError, match=r"The column 'nope' is not in the data\. Columns: a, b"):
        build(frame)


def test_data_charts_want_a_polars_frame() -> None:
    with pytest.raises(InputError, match="polars DataFrame"):
        viz.box_plots({"a": [1, 2]})  # type: ignore[arg-type]


# --- model charts -----------------------------------------------------------------------------


def test_roc_binary(binary: tuple[np.ndarray, np.ndarray, list[int]]) -> None:
    y, proba, classes = binary
    fig = viz.roc_curve(y, proba, classes)
    assert [t.type for t in fig.data] == ["scatter", "scatter"]
    expected = roc_auc_score(y, proba[:, 1])
    assert fig.data[0].name == f"1 (AUC = {expected:.3f})"
    assert list(fig.data[-1].x) == [0, 1] and list(fig.data[-1].y) == [0, 1]
    # a 1-D probability of classes[1] draws the same curve
    assert viz.roc_curve(y, proba[:, 1], classes).data[0].name == fig.data[0].name


def test_roc_multiclass_is_one_vs_rest(
    multiclass: tuple[np.ndarray, np.ndarray, list[str]],
) -> None:
    y, proba, classes = multiclass
    fig = viz.roc_curve(y, proba, classes)
    assert len(fig.data) == 4  # 3 curves + the diagonal
    for i, label in enumerate(classes):
        expected = roc_auc_score(y == label, proba[:, i])
        assert fig.data[i].name == f"{label} (AUC = {expected:.3f})"
    assert fig.data[3].name == "chance"
    assert fig.layout.xaxis.title.text == "False positive rate"
    assert fig.layout.yaxis.title.text == "True positive rate"


def test_precision_recall(multiclass: tuple[np.ndarray, np.ndarray, list[str]]) -> None:
    y, proba, classes = multiclass
    fig = viz.precision_recall_curve(y, proba, classes)
    assert len(fig.data) == 3
    for i, label in enumerate(classes):
        expected = average_precision_score(y == label, proba[:, i])
        assert fig.data[i].name == f"{label} (AP = {expected:.3f})"
    assert (fig.layout.xaxis.title.text, fig.layout.yaxis.title.text) == ("Recall", "Precision")
    binary = viz.precision_recall_curve([0, 1, 1, 0], [0.1, 0.9, 0.4, 0.5], [0, 1])
    assert len(binary.data) == 1


def test_calibration_binary(binary: tuple[np.ndarray, np.ndarray, list[int]]) -> None:
    y, proba, classes = binary
    fig = viz.calibration_curve(y, proba, classes, n_bins=5)
    assert [t.name for t in fig.data] == ["model", "perfectly calibrated"]
    assert fig.data[0].mode == "lines+markers"
    assert 1 <= len(fig.data[0].x) <= 5
    assert list(fig.data[1].x) == [0, 1] and list(fig.data[1].y) == [0, 1]


def test_calibration_multiclass_uses_top_class_confidence(
    multiclass: tuple[np.ndarray, np.ndarray, list[str]],
) -> None:
    y, proba, classes = multiclass
    fig = viz.calibration_curve(y, proba, classes)
    confidence = np.asarray(fig.data[0].x)
    assert np.all(confidence >= 1 / 3 - 1e-9) and np.all(confidence <= 1)
    assert fig.layout.yaxis.title.text == "Accuracy"
    with pytest.raises(InputError, match="n_bins must be an integer of at least 2"):
        viz.calibration_curve(y, proba, classes, n_bins=1)


@pytest.mark.parametrize(
    "chart", [viz.roc_curve, viz.precision_recall_curve, viz.calibration_curve]
)
def test_classifier_charts_reject_bad_input(chart: Callable[..., go.Figure]) -> None:
    proba = [[0.7, 0.3], [0.2, 0.8], [0.5, 0.5]]
    with pytest.raises(InputError, match="y_true has 2 rows but proba has 3"):
        chart([0, 1], proba, [0, 1])
    with pytest.raises(InputError, match="not in classes: 7"):
        chart([0, 1, 7], proba, [0, 1])
    with pytest.raises(InputError, match="one column per class"):
        chart([0, 1, 1], proba, [0, 1, 2])
    with pytest.raises(InputError, match=r"finite probabilities in \[0, 1\]"):
        chart([0, 1, 1], [[0.7, 0.3], [0.2, 1.8], [0.5, 0.5]], [0, 1])
    with pytest.raises(InputError, match="empty"):
        chart([], np.empty((0, 2)), [0, 1])


def test_feature_importance_puts_the_largest_on_top() -> None:
    names = [f"f{i}" for i in range(30)]
    values = np.linspace(0.0, 1.0, 30)[np.random.default_rng(3).permutation(30)]
    fig = viz.feature_importance(names, values)
    bar = fig.data[0]
    assert bar.type == "bar" and bar.orientation == "h"
    assert len(bar.y) == 20
    assert bar.x[-1] == pytest.approx(1.0)  # drawn bottom-up: the last bar is on top
    assert list(bar.x) == sorted(bar.x)
    assert "top 20 of 30" in fig.layout.title.text


def test_feature_importance_rejects_bad_input() -> None:
    with pytest.raises(InputError, match="names has 2 entries but values has 3"):
        viz.feature_importance(["a", "b"], [1.0, 2.0, 3.0])
    with pytest.raises(InputError, match="duplicates"):
        viz.feature_importance(["a", "a"], [1.0, 2.0])
    with pytest.raises(InputError, match="top must be a positive integer"):
        viz.feature_importance(["a"], [1.0], top=0)


def test_predicted_vs_actual() -> None:
    fig = viz.predicted_vs_actual([1.0, 2.0, 5.0], [0.5, 2.5, 4.0])
    assert [(t.type, t.mode) for t in fig.data] == [("scatter", "markers"), ("scatter", "lines")]
    line = fig.data[1]
    assert list(line.x) == list(line.y) == [0.5, 5.0]
    assert (fig.layout.xaxis.title.text, fig.layout.yaxis.title.text) == ("Actual", "Predicted")
    with pytest.raises(InputError, match="y_true has 3 values but y_pred has 2"):
        viz.predicted_vs_actual([1.0, 2.0, 3.0], [1.0, 2.0])


def test_cluster_chart_draws_one_trace_per_cluster_largest_first_and_noise_grey() -> None:
    coords = np.array([[0.0, 0.0], [0.1, 0.0], [5.0, 5.0], [5.1, 5.0], [5.2, 5.1], [9.0, 0.0]])
    fig = viz.cluster_chart(coords, [1, 1, 0, 0, 0, -1], title="Segments")
    assert [t.name for t in fig.data] == ["cluster 0 (3)", "cluster 1 (2)", "noise (1)"]
    assert list(fig.data[1].x) == [0.0, 0.1] and fig.data[2].marker.color == "#b0b0b0"
    assert fig.layout.title.text == "Segments"
    one_feature = viz.cluster_chart(np.array([[1.0], [2.0]]), ["a", "b"])
    assert list(one_feature.data[0].y) == [0.0]
    with pytest.raises(InputError, match="coords has 2 rows but labels has 3"):
        viz.cluster_chart(coords[:2], [0, 0, 1])
    with pytest.raises(InputError, match="shape"):
        viz.cluster_chart(np.zeros((3, 3)), [0, 0, 1])


@pytest.mark.parametrize("greater_is_better", [True, False])
def test_search_history_best_so_far_is_monotone(greater_is_better: bool) -> None:
    rng = np.random.default_rng(4)
    scores: list[float | None] = list(rng.normal(size=40))
    scores[5] = None  # a failed trial
    learners = [["lgbm", "xgb", "rf"][i % 3] for i in range(40)]
    fig = viz.search_history(scores, learners, greater_is_better=greater_is_better)
    assert [t.name for t in fig.data] == ["lgbm", "xgb", "rf", "best so far"]
    assert all(t.mode == "markers" for t in fig.data[:3])
    best = np.asarray(fig.data[-1].y, dtype=float)
    assert fig.data[-1].line.shape == "hv"
    steps = np.diff(best)
    assert np.all(steps >= 0) if greater_is_better else np.all(steps <= 0)
    finite = np.array([np.nan if s is None else s for s in scores], dtype=float)
    expected = np.nanmax(finite) if greater_is_better else np.nanmin(finite)
    assert best[-1] == expected
    assert "1 failed" in fig.layout.title.text


def test_search_history_rejects_bad_input() -> None:
    with pytest.raises(InputError, match="scores has 2 trials but learners has 1"):
        viz.search_history([0.1, 0.2], ["lgbm"])
    with pytest.raises(InputError, match="no finite value"):
        viz.search_history([None, float("nan")])


# --- export -----------------------------------------------------------------------------------

_EXTERNAL_TAG = re.compile(
    r"""<(?:script|link)\b[^>]*\b(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""", re.IGNORECASE
)
_SCRIPT = re.compile(r"<script\b[^>]*>(.*?)</script>", re.DOTALL | re.IGNORECASE)


def test_to_html_is_self_contained(tmp_path: Path) -> None:
    path = viz.to_html(viz.search_history([0.5, 0.7, 0.6]), tmp_path / "out" / "history.html")
    assert path == tmp_path / "out" / "history.html" and path.is_file()
    assert [p.name for p in path.parent.iterdir()] == ["history.html"]  # no temp file left
    html = path.read_text(encoding="utf-8")
    assert html.lstrip().lower().startswith("<!doctype html>") or "<html>" in html[:200]
    bundles = [body for body in _SCRIPT.findall(html) if "plotly.js v" in body[:200]]
    assert len(bundles) == 1 and len(bundles[0]) > 1_000_000  # plotly.js is embedded
    assert not _EXTERNAL_TAG.search(html)
    # plotly.js's own source names URLs (topojson, icons) it never loads here; outside the
    # bundle there is no URL at all, no CDN and no MathJax
    outside = html.replace(bundles[0], "")
    assert "mathjax" not in outside.lower().replace("mathjaxconfig", "")
    assert "cdn.plot.ly" not in outside
    assert not re.search(r"https?://", outside)


def test_to_html_wants_a_figure(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not a plotly Figure"):
        viz.to_html({"data": []}, tmp_path / "x.html")  # type: ignore[arg-type]


def _png_size(data: bytes) -> tuple[int, int]:
    """Width and height from the IHDR chunk, which follows the 8-byte signature."""
    assert data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


@pytest.mark.skipif(not CHROMIUM.exists(), reason="PNG export needs /usr/bin/chromium")
def test_to_png_writes_three_figures_with_one_browser(
    tmp_path: Path, multiclass: tuple[np.ndarray, np.ndarray, list[str]]
) -> None:
    y, proba, classes = multiclass
    figs = {
        "roc": viz.roc_curve(y, proba, classes),
        "calibration": viz.calibration_curve(y, proba, classes),
        "importance": viz.feature_importance(["a", "b", "c"], [0.2, 0.5, 0.3]),
    }
    started = time.perf_counter()
    paths = viz.to_png(figs, tmp_path / "png", width=640, height=480)
    elapsed = time.perf_counter() - started
    print(f"to_png: {len(figs)} figures in {elapsed:.2f} s")
    assert set(paths) == set(figs)
    assert sorted(p.name for p in (tmp_path / "png").iterdir()) == [
        "calibration.png",
        "importance.png",
        "roc.png",
    ]
    for name, path in paths.items():
        assert path == tmp_path / "png" / f"{name}.png"
        data = path.read_bytes()
        assert data.startswith(PNG_MAGIC)
        assert len(data) > 5_000
        assert _png_size(data) == (640, 480)


def test_to_png_rejects_bad_names_and_sizes_before_starting_a_browser(tmp_path: Path) -> None:
    fig = go.Figure(go.Bar(y=[1, 2]))
    with pytest.raises(InputError, match="cannot be a file name"):
        viz.to_png({"../evil": fig}, tmp_path)
    with pytest.raises(InputError, match="width must be a positive number"):
        viz.to_png({"ok": fig}, tmp_path, width=0)
    with pytest.raises(InputError, match="not a plotly Figure"):
        viz.to_png({"ok": "fig"}, tmp_path)  # type: ignore[dict-item]
    assert viz.to_png({}, tmp_path) == {}


def test_to_png_without_chromium_says_how_to_install_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BROWSER_PATH", str(tmp_path / "no-such-browser"))
    with pytest.raises(PipelineError, match="apt-get install -y chromium") as info:
        viz.to_png({"bars": go.Figure(go.Bar(y=[1, 2]))}, tmp_path)
    assert isinstance(info.value, FasRayError)
    assert "\n" not in str(info.value)
    assert not (tmp_path / "bars.png").exists()


@pytest.mark.skipif(not Path("/usr/bin/chromium").exists(), reason="needs Debian chromium")
def test_to_png_skips_a_figure_plotly_cannot_draw(tmp_path: Path) -> None:
    bad = go.Figure(
        go.Splom(
            dimensions=[{"label": "a", "values": [1, 2]}, {"label": "b", "values": [2, 1]}],
            showupperhalf=False,
            diagonal={"visible": False},
        )
    )
    paths = viz.to_png({"ok": go.Figure(go.Bar(y=[1, 2])), "bad": bad}, tmp_path)
    assert sorted(paths) == ["ok"]  # the drawable one is written, the run goes on
    assert paths["ok"].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
