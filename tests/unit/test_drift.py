"""Input drift: training reference bins, PSI, and the monitor a served model keeps."""

from __future__ import annotations

import math

import numpy as np
import polars as pl
import pytest

from fas_ray.features import DriftMonitor, FeatureBuilder, level_of, psi, reference_of


@pytest.fixture(scope="module")
def training() -> pl.DataFrame:
    rng = np.random.default_rng(0)
    n = 2000
    return pl.DataFrame(
        {
            "age": rng.normal(40, 10, n),
            "city": rng.choice(["a", "b", "c"], n, p=[0.5, 0.3, 0.2]).tolist(),
            "member": rng.random(n) < 0.3,
            "y": rng.integers(0, 2, n),
        }
    )


def test_psi_is_zero_for_the_same_shares_and_large_for_a_shift() -> None:
    assert psi((0.25, 0.25, 0.5), np.array([25, 25, 50])) == pytest.approx(0.0, abs=1e-12)
    assert psi((0.5, 0.5), np.array([0, 100])) > 1.0  # an emptied bin is floored, not inf
    assert math.isnan(psi((0.5, 0.5), np.array([0, 0])))
    assert [level_of(v) for v in (0.05, 0.2, 0.3, math.nan)] == [
        "none",
        "moderate",
        "major",
        "unknown",
    ]


def test_the_builder_keeps_each_columns_training_distribution(training: pl.DataFrame) -> None:
    builder = FeatureBuilder("y").fit(training)
    refs = {r.name: r for r in builder.reference}
    assert set(refs) == {"age", "city", "member"}
    age = refs["age"]
    assert age.kind == "numeric" and len(age.edges) == 9 and age.labels[-1] == "(missing)"
    assert sum(age.expected) == pytest.approx(1.0)
    assert all(0.09 < e < 0.11 for e in age.expected[:-1])  # deciles: a tenth each
    city = refs["city"]
    assert city.labels == ("a", "b", "c", "(other)", "(missing)")
    assert city.expected[:3] == pytest.approx((0.5, 0.3, 0.2), abs=0.03)
    assert reference_of(builder, training.drop("city"))[1].name == "member"


def test_the_monitor_sees_a_shift_and_not_the_same_rows(training: pl.DataFrame) -> None:
    builder = FeatureBuilder("y").fit(training)
    same = DriftMonitor(builder.reference, prepare=builder.prepare, buffer_rows=100)
    same.add(training.drop("y").head(1000).to_dicts())
    report = same.report()
    assert report["rows"] == 1000 and report["level"] == "none"
    assert all(f["psi"] < 0.1 for f in report["features"])

    shifted = (
        training.drop("y")
        .head(500)
        .with_columns((pl.col("age") + 25).alias("age"), pl.lit("zzz").alias("city"))
    )
    moved = DriftMonitor(builder.reference, prepare=builder.prepare)
    for row in shifted.to_dicts():  # one row at a time, as served
        moved.add([row])
    report = moved.report()
    by_name = {f["name"]: f for f in report["features"]}
    assert report["level"] == "major" and report["rows"] == 500
    assert by_name["age"]["level"] == "major" and by_name["city"]["level"] == "major"
    assert by_name["city"]["actual"][3] == 1.0  # every value in the "(other)" bin
    assert by_name["member"]["level"] == "none"
    assert report["features"][-1]["name"] == "member"  # largest PSI first
    missing = DriftMonitor(builder.reference, prepare=builder.prepare)
    missing.add([{"age": None, "city": None}])  # absent and null: the missing-value bins
    assert {f["name"]: f["actual"][-1] for f in missing.report()["features"]} == {
        "age": 1.0,
        "city": 1.0,
        "member": 1.0,
    }
    assert DriftMonitor(builder.reference).report()["level"] == "unknown"  # nothing scored
