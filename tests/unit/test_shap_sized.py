"""SHAP sized to a time allotment (fake clock: each model evaluation costs 1 ms of it), and the
numpy permutation explainer it sizes."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from sklearn.datasets import load_diabetes
from sklearn.linear_model import Ridge

from fas_ray.explain import ShapSize, explain_matrix, explain_within
from fas_ray.explain._values import _permutation, default_permutations
from fas_ray.ml import VotingEnsemble

SECONDS_PER_EVALUATION = 1e-3
FEATURES = 5
NAMES = [f"x{i}" for i in range(FEATURES)]


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class SlowLogistic:
    """A fitted-looking binary classifier whose every evaluated row costs 1 ms of ``clock``:
    the explanation's cost is then its number of model evaluations, whatever the machine."""

    classes_ = np.array([0, 1])

    def __init__(self, weights: np.ndarray, clock: FakeClock) -> None:
        self.weights = weights
        self.clock = clock

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        self.clock.now += len(X) * SECONDS_PER_EVALUATION
        p = 1.0 / (1.0 + np.exp(-(np.asarray(X) @ self.weights)))
        return np.column_stack([1.0 - p, p])

    def predict(self, X: np.ndarray) -> np.ndarray:
        return (self.predict_proba(X)[:, 1] > 0.5).astype(np.int64)


@pytest.fixture
def data() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    return rng.normal(size=(60, FEATURES)), rng.normal(size=(100, FEATURES))


def _adds_up(model: Any, rows: np.ndarray, background: np.ndarray, values: np.ndarray) -> None:
    expected = model.predict_proba(rows) - model.predict_proba(background).mean(axis=0)
    np.testing.assert_allclose(values.sum(axis=1), expected, atol=1e-9)


def test_without_a_limit_every_row_is_explained_at_full_size(
    data: tuple[np.ndarray, np.ndarray],
) -> None:
    rows, background = data
    clock = FakeClock()
    model = SlowLogistic(np.arange(1.0, FEATURES + 1), clock)
    sized = explain_within(
        model, rows[:12], NAMES, background=background, seconds=None, classes=[0, 1], clock=clock
    )
    assert not sized.reduced and sized.notes == []
    assert sized.size == ShapSize(12, 100, default_permutations(FEATURES))
    assert sized.explanation.explainer == "permutation"
    _adds_up(model, rows[:12], background, sized.explanation.values)


def test_enough_time_changes_nothing(data: tuple[np.ndarray, np.ndarray]) -> None:
    rows, background = data
    clock = FakeClock()
    model = SlowLogistic(np.arange(1.0, FEATURES + 1), clock)
    sized = explain_within(
        model, rows, NAMES, background=background, seconds=1e6, classes=[0, 1], clock=clock
    )
    assert not sized.reduced and sized.notes == [] and sized.size.rows == 60
    # the estimate: 60 rows x 45 permutations x 9 evaluations x 100 background rows x 1 ms
    assert sized.estimate_s == pytest.approx(60 * 45 * 9 * 100 * 1e-3, rel=0.05)


def test_a_short_allotment_cuts_background_and_permutations_before_rows(
    data: tuple[np.ndarray, np.ndarray],
) -> None:
    rows, background = data
    clock = FakeClock()
    model = SlowLogistic(np.arange(1.0, FEATURES + 1), clock)
    sized = explain_within(
        model, rows, NAMES, background=background, seconds=100.0, classes=[0, 1], clock=clock
    )
    # 25 background rows x 1 permutation x 9 evaluations = 0.225 s a row: all 60 rows fit
    assert sized.size == ShapSize(60, 25, 1)
    assert sized.notes == [
        "SHAP on a background of 25 rows instead of 100, 1 permutation per row instead of "
        f"45: 100.0 s allotted, the full size needs about {sized.estimate_s:.1f} s"
    ]
    assert clock.now <= 100.0 * 1.1
    assert sized.explanation.values.shape == (60, FEATURES, 2)
    _adds_up(model, rows, background[:25], sized.explanation.values)


def test_no_time_left_still_explains_the_fewest_rows_at_the_cheapest_size(
    data: tuple[np.ndarray, np.ndarray],
) -> None:
    rows, background = data
    clock = FakeClock()
    model = SlowLogistic(np.arange(1.0, FEATURES + 1), clock)
    sized = explain_within(
        model, rows, NAMES, background=background, seconds=0.0, classes=[0, 1], clock=clock
    )
    assert sized.size == ShapSize(10, 10, 1)
    assert sized.notes[0].startswith(
        "SHAP on 10 rows instead of 60, a background of 10 rows instead of 100"
    )
    assert sized.explanation.data.shape == (10, FEATURES)
    _adds_up(model, rows[:10], background[:10], sized.explanation.values)


def test_an_ensemble_short_of_time_explains_its_heaviest_members(
    data: tuple[np.ndarray, np.ndarray],
) -> None:
    rows, background = data
    clock = FakeClock()
    heavy = SlowLogistic(np.arange(1.0, FEATURES + 1), clock)
    light = SlowLogistic(-np.ones(FEATURES), clock)
    ensemble = VotingEnsemble([light, heavy], [0.3, 0.7], n_classes=2)
    sized = explain_within(
        ensemble, rows, NAMES, background=background, seconds=0.0, classes=[0, 1], clock=clock
    )
    assert sized.size == ShapSize(10, 10, 1, members=1)
    assert "1 of 2 ensemble members" in sized.notes[0]
    assert sized.explanation.explainer == "ensemble"
    assert "the 1 heaviest of 2 members explained" in " ".join(sized.explanation.notes)
    _adds_up(heavy, rows[:10], background[:10], sized.explanation.values)


def test_explain_matrix_can_explain_the_heaviest_members_only(
    data: tuple[np.ndarray, np.ndarray],
) -> None:
    rows, background = data
    clock = FakeClock()
    heavy = SlowLogistic(np.arange(1.0, FEATURES + 1), clock)
    light = SlowLogistic(-np.ones(FEATURES), clock)
    ensemble = VotingEnsemble([light, heavy], [0.3, 0.7], n_classes=2)
    every = explain_matrix(ensemble, rows[:4], NAMES, background=background, classes=[0, 1])
    _adds_up(ensemble, rows[:4], background, every.values)
    one = explain_matrix(
        ensemble, rows[:4], NAMES, background=background, classes=[0, 1], members=1
    )
    _adds_up(heavy, rows[:4], background, one.values)


@pytest.mark.parametrize("permutations", [1, 3, None])
def test_permutation_shap_of_a_linear_model_is_exact(permutations: int | None) -> None:
    data = load_diabetes()
    model = Ridge(alpha=1.0).fit(data.data, data.target)
    rows, background = data.data[:15], data.data[100:160]
    values, base = _permutation(model.predict, rows, background, permutations=permutations)
    exact = model.coef_ * (rows - background.mean(axis=0))
    np.testing.assert_allclose(values[:, :, 0], exact, atol=1e-8)
    assert base[0] == pytest.approx(model.predict(background).mean())


def test_permutation_shap_is_seeded_and_its_values_add_up() -> None:
    rng = np.random.default_rng(1)
    X, background = rng.normal(size=(6, 8)), rng.normal(size=(20, 8))

    def fn(rows: np.ndarray) -> np.ndarray:  # interactions: the permutations matter
        return np.tanh(rows[:, 0] * rows[:, 1]) + rows[:, 2] ** 2

    first, base = _permutation(fn, X, background, rng=np.random.default_rng(7))
    again, _ = _permutation(fn, X, background, rng=np.random.default_rng(7))
    np.testing.assert_array_equal(first, again)
    np.testing.assert_allclose(first.sum(axis=1)[:, 0] + base[0], fn(X), atol=1e-9)
