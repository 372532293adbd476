"""Probability calibration fitted on out-of-fold predictions, kept only when it helps.

Binary tasks use Platt scaling (a logistic fit on the logit), multiclass tasks temperature
scaling. Both are strictly increasing maps of the scores, so calibration never changes how rows
rank (ROC-AUC, the top class): isotonic regression was dropped, because the steps it fits tie
rows that the model ranked apart, which costs ROC-AUC on new rows. The calibrator is judged by a
nested split of the out-of-fold rows (fit on some folds, measure log-loss on the rest), and
:func:`fit_calibrator` returns it, refitted on every row, only when that held-out log-loss beats
the uncalibrated probabilities.

Calibration cannot over-sharpen: it is fitted on out-of-fold probabilities only, the
temperature is bounded (``T`` in [0.5, 4]) and so is Platt's slope (``a`` in (0, 4]), rows
are renormalised after clipping, and out-of-fold predictions with fewer than
``MIN_MISTAKES`` wrong rows are left alone: a model that separated every training row
gives the calibrator nothing to learn but "be surer", which one wrong row on new data then
punishes with a huge log-loss.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np
from sklearn.model_selection import StratifiedKFold

__all__ = [
    "Calibrator",
    "SigmoidCalibrator",
    "TemperatureCalibrator",
    "fit_calibrator",
]

EPS = 1e-6  # calibrated probabilities stay in [EPS, 1 - EPS]
MIN_MISTAKES = 5  # out-of-fold rows whose top class is wrong, needed to calibrate at all
TEMPERATURE_BOUNDS = (0.5, 4.0)
MAX_SLOPE = 4.0


class Calibrator(Protocol):
    """Maps class probabilities ``(n, k)`` to calibrated ones of the same shape."""

    def fit(self, proba: np.ndarray, y: np.ndarray) -> Calibrator: ...

    def transform(self, proba: np.ndarray) -> np.ndarray: ...


def _log_loss(y: np.ndarray, proba: np.ndarray) -> float:
    """Mean negative log-probability of the true class (probabilities floored at ``EPS``)."""
    return float(-np.mean(np.log(np.clip(proba[np.arange(len(y)), y], EPS, 1.0))))


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, EPS, 1 - EPS)
    return np.log(p / (1 - p))


def _binary(p1: np.ndarray) -> np.ndarray:
    p1 = np.clip(p1, EPS, 1 - EPS)
    return np.column_stack([1 - p1, p1])


class SigmoidCalibrator:
    """Platt scaling for binary tasks: ``p' = sigmoid(a * logit(p) + b)``."""

    def fit(self, proba: np.ndarray, y: np.ndarray) -> SigmoidCalibrator:
        from sklearn.linear_model import LogisticRegression

        model = LogisticRegression(C=1e6, max_iter=1000)
        model.fit(_logit(proba[:, 1]).reshape(-1, 1), y)
        self.a_, self.b_ = float(model.coef_[0, 0]), float(model.intercept_[0])
        if self.a_ > MAX_SLOPE:  # keep the bound, refit the offset for it
            from scipy.optimize import minimize_scalar

            z = MAX_SLOPE * _logit(proba[:, 1])

            def loss(b: float) -> float:
                return _log_loss(y, _binary(1.0 / (1.0 + np.exp(-(z + b)))))

            found = minimize_scalar(loss, bounds=(-20.0, 20.0), method="bounded")
            self.a_, self.b_ = MAX_SLOPE, float(found.x)
        return self

    def transform(self, proba: np.ndarray) -> np.ndarray:
        z = self.a_ * _logit(np.asarray(proba, dtype=np.float64)[:, 1]) + self.b_
        return _binary(1.0 / (1.0 + np.exp(-z)))


class TemperatureCalibrator:
    """Temperature scaling: ``softmax(log(p) / T)`` with the ``T`` that minimises log-loss."""

    def fit(self, proba: np.ndarray, y: np.ndarray) -> TemperatureCalibrator:
        from scipy.optimize import minimize_scalar

        logp = np.log(np.clip(proba, EPS, 1.0))

        def loss(log_t: float) -> float:
            return _log_loss(y, _softmax(logp / np.exp(log_t)))

        low, high = (float(np.log(t)) for t in TEMPERATURE_BOUNDS)
        found = minimize_scalar(loss, bounds=(low, high), method="bounded")
        self.temperature_ = float(np.exp(found.x))
        return self

    def transform(self, proba: np.ndarray) -> np.ndarray:
        logp = np.log(np.clip(np.asarray(proba, dtype=np.float64), EPS, 1.0))
        out = np.clip(_softmax(logp / self.temperature_), EPS, 1.0)
        return out / out.sum(axis=1, keepdims=True)


def _softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def _held_out_loss(
    make: type[Calibrator], proba: np.ndarray, y: np.ndarray, folds: list[np.ndarray]
) -> float:
    calibrated = np.empty_like(proba)
    for test in folds:
        train = np.setdiff1d(np.arange(len(y)), test)
        calibrated[test] = make().fit(proba[train], y[train]).transform(proba[test])
    return _log_loss(y, calibrated)


def fit_calibrator(
    oof_proba: np.ndarray,
    y: np.ndarray,
    *,
    seed: int = 0,
    n_splits: int = 5,
    min_gain: float = 0.005,
) -> Calibrator | None:
    """The calibrator that lowers held-out log-loss of ``oof_proba`` the most, or None.

    Args:
        oof_proba: out-of-fold class probabilities ``(n, k)``, columns for classes ``0..k-1``.
        y: encoded labels ``0..k-1``.
        seed: shuffles the nested split.
        n_splits: folds of the nested split (fewer when a class is rarer).
        min_gain: the relative log-loss improvement a calibrator must bring (0.005: 0.5 %).

    Returns:
        A fitted :class:`SigmoidCalibrator` (binary) or :class:`TemperatureCalibrator`
        (multiclass), refitted on every row; None when it does not beat the uncalibrated
        probabilities, would reverse their order, or the data (or the mistakes) are too few
        to tell.
    """
    proba = np.asarray(oof_proba, dtype=np.float64)
    y = np.asarray(y, dtype=np.int64)
    k = proba.shape[1]
    counts = np.bincount(y, minlength=k)
    splits = min(n_splits, int(counts[counts > 0].min()))
    if splits < 2 or len(y) < 20 * splits:
        return None
    if int((np.argmax(proba, axis=1) != y).sum()) < MIN_MISTAKES:
        return None  # (nearly) separated: nothing to calibrate but over-confidence
    splitter = StratifiedKFold(n_splits=splits, shuffle=True, random_state=seed)
    folds = [test for _, test in splitter.split(proba, y)]
    baseline = _log_loss(y, proba)
    make: type[Calibrator] = SigmoidCalibrator if k == 2 else TemperatureCalibrator
    if not _held_out_loss(make, proba, y, folds) < baseline * (1.0 - min_gain):
        return None
    fitted = make().fit(proba, y)
    if isinstance(fitted, SigmoidCalibrator) and fitted.a_ <= 0:
        return None  # a decreasing map would reverse the ranking: no useful signal
    return fitted
