"""The text models a text column may get: sparse TF-IDF views and linear models over them.

Two views of a column, each a ``TfidfVectorizer`` fitted once on all training rows (it never
looks at the target): ``word`` (lower-cased word 1–2-grams) and ``char`` (character 2–5-grams
inside word boundaries), both with sublinear term frequency, terms seen in at least two rows,
and no cap below ``MAX_TERMS`` (sparse, so no dense cap is needed).

The candidates over them (:data:`CLASSIFICATION`, :data:`REGRESSION`):

- ``word_lr`` / ``char_lr``: logistic regression (ridge for regression) on one view;
- ``nbsvm`` / ``nbsvm_wc``: logistic regression on word (and character) features scaled by
  their naive-Bayes log-count ratios (Wang & Manning, 2012), one-vs-rest for several classes;
- ``sgd``: the seed's ``SGDClassifier`` (modified Huber loss) / ``SGDRegressor`` on both
  views side by side: the cheapest;
- ``encoder_lr`` / ``encoder_ridge``: logistic regression (ridge) on the ``encoder`` view,
  the packaged sentence encoder's embeddings (:mod:`fas_ray.text._encoder`): tried last,
  only when the encoder is installed and its encoding fits the time left;
- ``finetuned``: a transformer fine-tuned on the raw ``text`` (:mod:`fas_ray.text._finetune`),
  given by a fine-tuning hook (Ray Tune GPU trials) rather than fitted here.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import scipy.sparse as sp

__all__ = [
    "CLASSIFICATION",
    "MAX_TERMS",
    "REGRESSION",
    "Candidate",
    "fit_candidate",
    "fit_view",
    "predict_candidate",
]

MAX_TERMS = 200_000  # per view: bounds memory and the saved model on very large corpora
View = Literal["word", "char", "both", "encoder", "text"]


@dataclass(frozen=True)
class Candidate:
    """One text model: a linear ``model`` over a ``view`` with regularisation ``strength``
    (``C`` of logistic regression, ``alpha`` of ridge and SGD)."""

    name: str
    view: View
    model: Literal["logistic", "nbsvm", "ridge", "sgd", "transformer"]
    strength: float

    @property
    def views(self) -> tuple[str, ...]:
        return ("word", "char") if self.view == "both" else (self.view,)


# cheapest-to-fit and most often best first: a tight budget keeps the first ones
CLASSIFICATION = (
    Candidate("word_lr", "word", "logistic", 4.0),
    Candidate("nbsvm", "word", "nbsvm", 4.0),
    Candidate("nbsvm_wc", "both", "nbsvm", 4.0),
    Candidate("char_lr", "char", "logistic", 2.0),
    Candidate("sgd", "both", "sgd", 1e-4),
    Candidate("encoder_lr", "encoder", "logistic", 1.0),
    Candidate("finetuned", "text", "transformer", 0.0),
)
REGRESSION = (
    Candidate("word_ridge", "word", "ridge", 1.0),
    Candidate("sgd", "both", "sgd", 1e-4),
    Candidate("char_ridge", "char", "ridge", 1.0),
    Candidate("encoder_ridge", "encoder", "ridge", 1.0),
    Candidate("finetuned", "text", "transformer", 0.0),
)


def fit_view(view: str, documents: list[str]) -> tuple[Any, Any] | None:
    """A ``TfidfVectorizer`` for ``view`` (``word`` / ``char``) fitted on ``documents`` and
    their sparse matrix, or ``None`` when no term is in two or more documents."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    if view == "word":
        vectorizer = TfidfVectorizer(ngram_range=(1, 2), min_df=2, max_features=MAX_TERMS)
    else:
        vectorizer = TfidfVectorizer(
            analyzer="char_wb", ngram_range=(2, 5), min_df=2, max_features=MAX_TERMS
        )
    vectorizer.set_params(sublinear_tf=True, dtype=np.float32)
    try:
        matrix = vectorizer.fit_transform(documents)
    except ValueError:  # "empty vocabulary" / "After pruning, no terms remain"
        return None
    vectorizer.stop_words_ = None  # every pruned term: large, and not needed to transform
    return vectorizer, matrix


def _matrix(candidate: Candidate, views: dict[str, Any]) -> Any:
    parts = [views[v] for v in candidate.views]
    return parts[0] if len(parts) == 1 else sp.hstack(parts, format="csr")


def fit_candidate(
    candidate: Candidate,
    views: dict[str, Any],
    y: np.ndarray,
    n_classes: int,
    seed: int,
) -> Any:
    """``candidate`` fitted on the rows of ``views`` (view name → sparse matrix) and ``y``
    (class indices, or values when ``n_classes`` is 0)."""
    from sklearn.exceptions import ConvergenceWarning

    with warnings.catch_warnings():  # a capped iteration count is a choice here, not a fault
        warnings.simplefilter("ignore", ConvergenceWarning)
        return _fit(candidate, _matrix(candidate, views), y, n_classes, seed)


def _fit(candidate: Candidate, X: Any, y: np.ndarray, n_classes: int, seed: int) -> Any:
    from sklearn.linear_model import Ridge, SGDClassifier, SGDRegressor

    if candidate.model == "transformer":
        raise ValueError("a fine-tuned transformer comes from its hook, not from fit_candidate")
    if candidate.view == "encoder":  # dense unit-length embeddings: plain L-BFGS / Cholesky
        from sklearn.linear_model import LogisticRegression

        if candidate.model == "ridge":
            return Ridge(alpha=candidate.strength).fit(X, y)
        return LogisticRegression(C=candidate.strength, max_iter=1000).fit(X, y)
    if candidate.model == "ridge":
        return Ridge(alpha=candidate.strength, solver="sparse_cg").fit(X, y)
    if candidate.model == "sgd" and n_classes == 0:
        return SGDRegressor(alpha=candidate.strength, random_state=seed).fit(X, y)
    if candidate.model == "sgd":
        sgd = SGDClassifier(loss="modified_huber", alpha=candidate.strength, random_state=seed)
        return sgd.fit(X, y)
    if candidate.model == "nbsvm":
        return NBLogistic(candidate.strength, seed).fit(X, y, n_classes)
    return _logistic(candidate.strength, seed).fit(X, y)


def predict_candidate(
    candidate: Candidate, model: Any, views: dict[str, Any], n_classes: int
) -> np.ndarray:
    """Class probabilities ``(rows, n_classes)``, or values ``(rows,)`` when ``n_classes`` is 0."""
    X = _matrix(candidate, views)
    if n_classes == 0:
        return np.asarray(model.predict(X), dtype=np.float64)
    proba = np.asarray(model.predict_proba(X), dtype=np.float64)
    if proba.shape[1] == n_classes:
        return proba
    full = np.zeros((proba.shape[0], n_classes))  # a fold that lacked a class
    full[:, np.asarray(model.classes_, dtype=np.int64)] = proba
    return full


def _logistic(C: float, seed: int) -> Any:
    """Logistic regression by SAGA: on sparse TF-IDF rows 5-20x faster than L-BFGS for the
    same held-out score (measured on the text bench's sets)."""
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=C, solver="saga", tol=1e-3, max_iter=200, random_state=seed)


class NBLogistic:
    """NB-SVM with a logistic loss: per class, features scaled by the log-count ratio of
    that class against the rest, then a binary logistic regression; probabilities of several
    classes normalised to sum to one."""

    def __init__(self, C: float, seed: int) -> None:
        self.C = C
        self.seed = seed
        self.ratios: list[np.ndarray] = []
        self.models: list[Any] = []
        self.classes_ = np.arange(0)

    def fit(self, X: Any, y: np.ndarray, n_classes: int) -> NBLogistic:

        present = np.unique(y)
        self.classes_ = present
        binary = (X > 0).astype(np.float32)
        targets = present[1:] if present.size == 2 else present
        self.ratios, self.models = [], []
        for label in targets:
            positive = y == label
            p = np.asarray(binary[positive].sum(axis=0)).ravel() + 1.0
            q = np.asarray(binary[~positive].sum(axis=0)).ravel() + 1.0
            ratio = np.log((p / p.sum()) / (q / q.sum())).astype(np.float32)
            model = _logistic(self.C, self.seed)
            self.ratios.append(ratio)
            self.models.append(model.fit(X.multiply(ratio).tocsr(), positive.astype(np.int64)))
        return self

    def predict_proba(self, X: Any) -> np.ndarray:
        scores = np.column_stack(
            [
                m.predict_proba(X.multiply(r).tocsr())[:, 1]
                for m, r in zip(self.models, self.ratios, strict=True)
            ]
        )
        if len(self.models) == 1 and self.classes_.size == 2:
            return np.column_stack([1.0 - scores[:, 0], scores[:, 0]])
        return scores / np.clip(scores.sum(axis=1, keepdims=True), 1e-12, None)

    def coefficients(self) -> list[np.ndarray]:
        """Per fitted class, the weight of each term (ratio times the model's coefficient)."""
        return [m.coef_.ravel() * r for m, r in zip(self.models, self.ratios, strict=True)]
