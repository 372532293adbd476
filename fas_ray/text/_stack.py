"""A text column's model: candidates chosen by inner CV, blended, and stacked as features.

:func:`fit_text_model` cross-validates every candidate of :mod:`fas_ray.text._candidates`
on the given folds (the search's own folds, so a validation row's text feature comes from
a model that was fitted on exactly that fold's training rows), blends their out-of-fold
predictions greedily (Caruana's forward selection with replacement, by log-loss or squared
error; class probabilities are first Platt-scaled per candidate, so that a well-ranking but
badly calibrated model such as SGD's modified Huber is not blended at its face value), and
refits the candidates the blend uses on all rows.

It returns the :class:`TextModel` (what prediction rows get) and the blend's **out-of-fold**
predictions (what the training rows get): the tabular learners thus never see a text
feature that was fitted on the row's own target. The outputs are the probability of class 1
(binary), of every class (multiclass) or the predicted value (regression); rows in no
validation fold (time-ordered folds) get NaN, which the search fills per fold.

A time limit skips the candidates that would not fit (the first always runs). The encoder
candidate (``encoder_lr``, ``TextTarget.encoder``) is guessed at its tokens over an optimistic
rate before its model is loaded, then gives up during its first second of encoding when the
measured rate says it would not be done in time.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from fas_ray.text._candidates import (
    CLASSIFICATION,
    REGRESSION,
    Candidate,
    NBLogistic,
    fit_candidate,
    fit_view,
    predict_candidate,
)
from fas_ray.text._encoder import EncoderView, MapFn, SentenceEncoder, encoder_missing

if TYPE_CHECKING:
    from fas_ray.text._finetune import FinetuneOutcome

    # (documents, y, n_classes, folds, seed) → the fine-tuning's outcome, or why it was skipped
    FinetuneHook = Callable[
        [list[str], np.ndarray, int, list[tuple[np.ndarray, np.ndarray]], int],
        FinetuneOutcome | str,
    ]

__all__ = ["CandidateScore", "TextModel", "TextTarget", "fit_text_model"]

_BLEND_ROUNDS = 20
_CHAR_VIEW_COST = 4.0  # a char view costs about this many word views to build
_DEFAULT_FOLDS = 5
_GUESS_MARGIN = 1.5  # a candidate's folds are guessed at this many times the last one's
# the encoder's tokens/s before it is measured: above what 2 CPU cores reach (~2,000), so
# that only a corpus that cannot fit is skipped without loading the model
_ENCODER_GUESS_RATE = 8000.0
_ENCODER_FIT_SECONDS = 2.0  # its linear model's folds and refit on 384 dense columns


@dataclass(frozen=True)
class TextTarget:
    """What the text models of a frame are fitted to.

    Args:
        y: the encoded target of the training rows (class indices ``0..k-1``, or values).
        n_classes: number of classes; 0 for regression.
        folds: ``(train, valid)`` row indices (default: ``_DEFAULT_FOLDS`` shuffled folds,
            stratified for classes); give the search's folds to share them.
        seed: seed of the default folds and the models.
        time_limit: seconds for all text columns together (``None``: no limit).
        encoder: the packaged sentence encoder's candidate (``encoder_lr``): ``off``;
            ``auto``, tried when it is installed and fits the time left (else skipped, with
            the reason); ``on``, the same but a missing encoder raises.
        encoder_path: the encoder's model directory (default: the installed package's).
        map_fn: spreads a large corpus's encoding over workers (``ray_map``).
        finetune: fine-tunes a transformer on the folds (the ``finetuned`` candidate;
            ``fas_ray.distributed.finetune_text`` runs it as Ray Tune GPU trials), with its
            own time slice; ``None``: not tried.
    """

    y: np.ndarray
    n_classes: int
    folds: Sequence[tuple[np.ndarray, np.ndarray]] | None = None
    seed: int = 0
    time_limit: float | None = None
    encoder: Literal["off", "auto", "on"] = "off"
    encoder_path: str | Path | None = None
    map_fn: MapFn | None = None
    finetune: FinetuneHook | None = None

    def fold_list(self) -> list[tuple[np.ndarray, np.ndarray]]:
        """The given folds, or default ones."""
        if self.folds is not None:
            return list(self.folds)
        from sklearn.model_selection import KFold, StratifiedKFold

        n = len(self.y)
        if self.n_classes:
            smallest = int(np.bincount(self.y.astype(np.int64)).min())
            if smallest >= 2:
                k = max(2, min(_DEFAULT_FOLDS, smallest))
                split = StratifiedKFold(k, shuffle=True, random_state=self.seed)
                return list(split.split(np.zeros(n), self.y))
        k = max(2, min(_DEFAULT_FOLDS, n))
        return list(KFold(k, shuffle=True, random_state=self.seed).split(np.zeros(n)))


@dataclass(frozen=True)
class CandidateScore:
    """One candidate's inner cross-validation: its out-of-fold ``score`` in ``metric``, its
    ``weight`` in the blend, seconds to cross-validate, or why it was ``skipped``."""

    name: str
    metric: str
    score: float | None
    weight: float
    seconds: float
    skipped: str | None = None


@dataclass
class TextModel:
    """The fitted text model of one column: vectorizers, the blended candidates refitted on
    every training row, and how each candidate did."""

    column: str
    n_classes: int
    vectorizers: dict[str, Any] = field(repr=False)
    # name → (candidate, model fitted on all rows, Platt scaling or None, blend weight)
    models: dict[str, tuple[Candidate, Any, Any, float]] = field(repr=False)
    scores: list[CandidateScore]
    blend_score: float | None = None
    finetuned: dict[str, Any] | None = None  # the fine-tuning's configuration, trials, device

    @property
    def output_names(self) -> list[str]:
        """Names of the output columns: ``p1``; ``p0``..``p{k-1}``; or ``value``."""
        if self.n_classes == 0:
            return ["value"]
        if self.n_classes == 2:
            return ["p1"]
        return [f"p{i}" for i in range(self.n_classes)]

    @property
    def winner(self) -> str:
        """The blend (``a+b``) or the one candidate it uses, by weight."""
        ranked = sorted(self.models.items(), key=lambda kv: -kv[1][3])
        return "+".join(name for name, _ in ranked)

    def predict(self, documents: list[str]) -> np.ndarray:
        """The ``(rows, outputs)`` features of ``documents`` (nulls as empty text)."""
        views = {name: v.transform(documents) for name, v in self.vectorizers.items()}
        blended = sum(
            weight * _scaled(scaling, predict_candidate(c, model, views, self.n_classes))
            for c, model, scaling, weight in self.models.values()
        )
        return _outputs(np.asarray(blended), self.n_classes)

    def top_terms(self, n: int = 10, labels: Sequence[Any] | None = None) -> dict[str, list[str]]:
        """The n-grams that weigh most in one linear model of the blend (the heaviest word
        model, else the heaviest other), per class (named by ``labels``, default ``class
        <index>``; for two classes, the terms that point to each), or ``higher`` / ``lower``
        for a numeric target."""
        linear = [m for m in self.models.values() if m[0].view in ("word", "char", "both")]
        members = sorted(linear, key=lambda m: (m[0].view != "word", -m[3]))
        if not members:
            return {}
        candidate, model, _, _ = members[0]
        terms = np.concatenate(
            [self.vectorizers[v].get_feature_names_out() for v in candidate.views]
        )
        if isinstance(model, NBLogistic):
            rows = model.coefficients()
        elif hasattr(model, "coef_"):
            rows = list(np.atleast_2d(model.coef_))
        else:
            return {}
        count = max(self.n_classes, 2)
        names = [str(x) for x in labels] if labels else [f"class {i}" for i in range(count)]
        if len(rows) == 1:
            order = np.argsort(rows[0])
            up, down = ("higher", "lower") if self.n_classes == 0 else (names[1], names[0])
            return {
                up: [str(t) for t in terms[order[::-1][:n]]],
                down: [str(t) for t in terms[order[:n]]],
            }
        return {
            names[i]: [str(t) for t in terms[np.argsort(r)[::-1][:n]]] for i, r in enumerate(rows)
        }

    def summary(self, labels: Sequence[Any] | None = None) -> dict[str, Any]:
        """A JSON-safe account: the winner, the blend's and each candidate's score, top terms
        (of each class, named by ``labels``)."""
        return {
            "column": self.column,
            "winner": self.winner,
            "blend_score": self.blend_score,
            "candidates": [vars(s) for s in self.scores],
            "top_terms": self.top_terms(labels=labels),
            **({"finetuned": self.finetuned} if self.finetuned else {}),
        }


def _outputs(pred: np.ndarray, n_classes: int) -> np.ndarray:
    if n_classes == 0:
        return pred.reshape(-1, 1)
    if n_classes == 2:
        return pred[:, 1:2]
    return pred


def _metric(n_classes: int) -> str:
    return "r2" if n_classes == 0 else ("roc_auc" if n_classes == 2 else "log_loss")


def _score(pred: np.ndarray, y: np.ndarray, n_classes: int) -> float:
    from sklearn.metrics import log_loss, r2_score, roc_auc_score

    if n_classes == 0:
        return float(r2_score(y, pred))
    if n_classes == 2:
        return float(roc_auc_score(y, pred[:, 1])) if np.unique(y).size == 2 else float("nan")
    proba = np.clip(pred, 1e-15, 1.0)
    proba /= proba.sum(axis=1, keepdims=True)
    return float(log_loss(y, proba, labels=np.arange(n_classes)))


def _loss(pred: np.ndarray, y: np.ndarray, n_classes: int) -> float:
    if n_classes == 0:
        return float(np.mean((pred - y) ** 2))
    picked = pred[np.arange(len(y)), y.astype(np.int64)]
    return float(-np.mean(np.log(np.clip(picked, 1e-15, 1.0))))


def _blend(oofs: dict[str, np.ndarray], y: np.ndarray, n_classes: int) -> dict[str, float]:
    """Caruana's greedy forward selection with replacement: weights summing to one."""
    names = list(oofs)
    counts = dict.fromkeys(names, 0)
    total: np.ndarray | None = None
    for step in range(1, _BLEND_ROUNDS + 1):
        losses = {}
        for name in names:
            trial = oofs[name] if total is None else (total * (step - 1) + oofs[name]) / step
            losses[name] = _loss(trial, y, n_classes)
        best = min(names, key=lambda k: (losses[k], names.index(k)))
        counts[best] += 1
        total = oofs[best] if total is None else (total * (step - 1) + oofs[best]) / step
    return {name: c / _BLEND_ROUNDS for name, c in counts.items() if c}


def fit_text_model(
    column: str, documents: list[str], target: TextTarget, time_limit: float | None = None
) -> tuple[TextModel, np.ndarray] | None:
    """The text model of one column and its out-of-fold outputs on the training rows, or
    ``None`` when no word is in two or more documents (see the module docstring)."""
    started = time.perf_counter()
    deadline = None if time_limit is None else started + time_limit
    n_classes, y, seed = target.n_classes, target.y, target.seed
    folds = target.fold_list()
    word = fit_view("word", documents)
    if word is None:
        return None
    view_seconds = {"word": time.perf_counter() - started}
    vectorizers: dict[str, Any] = {"word": word[0]}
    matrices = {"word": word[1]}
    validated = np.zeros(len(y), dtype=bool)
    for _, valid in folds:
        validated[valid] = True
    oofs: dict[str, np.ndarray] = {}
    scores: list[CandidateScore] = []
    fold_seconds: dict[str, float] = {}  # one fold of each candidate: what guesses are made of
    prefitted: dict[str, Any] = {}  # models fitted elsewhere (the fine-tuned transformer)
    finetuned: dict[str, Any] | None = None
    for candidate in CLASSIFICATION if n_classes else REGRESSION:
        begun = time.perf_counter()
        if candidate.model == "transformer":  # its own time slice, in its hook
            if target.finetune is None:
                continue
            outcome = target.finetune(documents, y, n_classes, folds, seed)
            if isinstance(outcome, str):
                scores.append(_skipped(candidate, n_classes, outcome))
                continue
            vectorizers["text"], matrices["text"] = _Documents(), documents
            prefitted[candidate.name] = outcome.model
            oofs[candidate.name] = outcome.oof
            score = _score(outcome.oof[validated], y[validated], n_classes)
            seconds = round(time.perf_counter() - begun, 3)
            scores.append(CandidateScore(candidate.name, _metric(n_classes), score, 0.0, seconds))
            finetuned = {k: v for k, v in vars(outcome).items() if k not in ("oof", "model")}
            continue
        if candidate.view == "encoder":  # its own guess, then the measured rate
            if target.encoder == "off":
                continue
            built_or_why = _encoder_view(documents, target, deadline, fold_seconds)
            if isinstance(built_or_why, str):
                scores.append(_skipped(candidate, n_classes, built_or_why))
                continue
            vectorizers["encoder"], matrices["encoder"] = built_or_why
        else:
            missing = [v for v in candidate.views if v not in vectorizers]
            # building the missing views, cross-validating like the last candidate, and
            # refitting every candidate so far (the blend may use them all)
            last = list(fold_seconds.values())[-1:] or [0.0]
            guess = _CHAR_VIEW_COST * view_seconds["word"] * len(missing)
            guess += _GUESS_MARGIN * last[0] * (len(folds) + 1) + sum(fold_seconds.values())
            if oofs and deadline is not None and time.perf_counter() + guess > deadline:
                scores.append(
                    _skipped(candidate, n_classes, f"about {guess:.0f} s, over the time left")
                )
                continue
            begun = time.perf_counter()
            for view in missing:
                built = fit_view(view, documents)
                if built is None:
                    break
                vectorizers[view], matrices[view] = built
            if any(v not in vectorizers for v in candidate.views):
                scores.append(_skipped(candidate, n_classes, "no recurring character n-gram"))
                continue
        fold_begun = time.perf_counter()
        oof = _cross_validate(candidate, matrices, target, folds, None if not oofs else deadline)
        if oof is None:
            scores.append(_skipped(candidate, n_classes, "the time limit came during its folds"))
            continue
        fold_seconds[candidate.name] = (time.perf_counter() - fold_begun) / max(len(folds), 1)
        oofs[candidate.name] = oof
        score = _score(oof[validated], y[validated], n_classes)
        seconds = round(time.perf_counter() - begun, 3)
        scores.append(CandidateScore(candidate.name, _metric(n_classes), score, 0.0, seconds))
    scalings = {k: _fit_scaling(v[validated], y[validated], n_classes) for k, v in oofs.items()}
    oofs = {k: _scaled(scalings[k], v) for k, v in oofs.items()}
    weights = _blend({k: v[validated] for k, v in oofs.items()}, y[validated], n_classes)
    blended = sum(w * oofs[name] for name, w in weights.items())
    scores = [
        CandidateScore(s.name, s.metric, s.score, weights.get(s.name, 0.0), s.seconds, s.skipped)
        for s in scores
    ]
    by_name = {c.name: c for c in (CLASSIFICATION if n_classes else REGRESSION)}
    models = {
        name: (
            by_name[name],
            prefitted.get(name) or _fit_or_prior(by_name[name], matrices, y, n_classes, seed),
            scalings[name],
            w,
        )
        for name, w in weights.items()
    }
    used = {v for name in models for v in by_name[name].views}
    model = TextModel(
        column,
        n_classes,
        {k: v for k, v in vectorizers.items() if k in used},
        models,
        scores,
        _score(np.asarray(blended)[validated], y[validated], n_classes),
        finetuned,
    )
    return model, _outputs(np.asarray(blended), n_classes)


def _encoder_view(
    documents: list[str],
    target: TextTarget,
    deadline: float | None,
    fold_seconds: dict[str, float],
) -> tuple[EncoderView, np.ndarray] | str:
    """The encoder view (and the documents' embeddings), or why it is skipped."""
    why = encoder_missing(target.encoder_path)
    if why is not None:
        if target.encoder == "on":
            from fas_ray.exceptions import MissingDependencyError

            raise MissingDependencyError(why)
        return why
    encoder = SentenceEncoder(target.encoder_path, seed=target.seed)
    until = None
    if deadline is not None:  # what the candidates so far need to refit, and its own folds
        until = deadline - sum(fold_seconds.values()) - _ENCODER_FIT_SECONDS
        tokens = int(encoder.token_counts(documents).sum())
        guess = tokens / _ENCODER_GUESS_RATE
        if time.perf_counter() + guess > until:
            return f"encoding {tokens:,} tokens takes over {guess:.0f} s, over the time left"
    embeddings = encoder.encode(documents, deadline=until, map_fn=target.map_fn)
    if embeddings is None:
        rate = encoder.rate_ or 0.0
        return f"encoding at {rate:,.0f} tokens/s would not end in the time left"
    return EncoderView(encoder), embeddings


class _Documents:
    """The raw texts as a view (what a fine-tuned transformer reads)."""

    def transform(self, documents: Sequence[str]) -> list[str]:
        return list(documents)


def _skipped(candidate: Candidate, n_classes: int, why: str) -> CandidateScore:
    return CandidateScore(candidate.name, _metric(n_classes), None, 0.0, 0.0, why)


def _cross_validate(
    candidate: Candidate,
    matrices: dict[str, Any],
    target: TextTarget,
    folds: list[tuple[np.ndarray, np.ndarray]],
    deadline: float | None,
) -> np.ndarray | None:
    """``candidate``'s out-of-fold predictions (NaN for rows in no validation fold), or
    ``None`` when ``deadline`` passes before its last fold."""
    y, n_classes = target.y, target.n_classes
    oof = np.full((len(y), n_classes) if n_classes else len(y), np.nan)
    for train, valid in folds:
        if deadline is not None and time.perf_counter() > deadline:
            return None
        part = {v: matrices[v][train] for v in candidate.views}
        model = _fit_or_prior(candidate, part, y[train], n_classes, target.seed)
        held = {v: matrices[v][valid] for v in candidate.views}
        oof[valid] = _predict_or_prior(candidate, model, held, n_classes)
    return oof


class _Prior:
    """The training rows' class shares: what a fold with a single class predicts."""

    def __init__(self, y: np.ndarray, n_classes: int) -> None:
        self.proba = np.bincount(y.astype(np.int64), minlength=n_classes) / max(len(y), 1)
        self.classes_ = np.arange(n_classes)

    def predict_proba(self, X: Any) -> np.ndarray:
        return np.tile(self.proba, (X.shape[0], 1))


def _fit_or_prior(
    candidate: Candidate, views: dict[str, Any], y: np.ndarray, n_classes: int, seed: int
) -> Any:
    if n_classes and np.unique(y).size < 2:
        return _Prior(y, n_classes)
    return fit_candidate(candidate, views, y, n_classes, seed)


def _predict_or_prior(
    candidate: Candidate, model: Any, views: dict[str, Any], n_classes: int
) -> np.ndarray:
    if isinstance(model, _Prior):
        return model.predict_proba(next(iter(views.values())))
    return predict_candidate(candidate, model, views, n_classes)


def _logits(proba: np.ndarray) -> np.ndarray:
    """What Platt scaling reads: the log-odds of class 1, or every class's log-probability."""
    p = np.clip(proba, 1e-6, 1.0 - 1e-6)
    if p.shape[1] == 2:
        return np.log(p[:, 1:2] / p[:, 0:1])
    return np.log(p)


def _fit_scaling(oof: np.ndarray, y: np.ndarray, n_classes: int) -> Any:
    """A logistic regression from a candidate's out-of-fold probabilities to the classes;
    ``None`` (no scaling) for regression, when the rows hold a single class, or when the
    scaling would turn the model's own evidence around (a slope of at most zero: out-of-fold
    predictions of a target with no signal lean against it, and a refit that memorised the
    training rows would then be flipped)."""
    from sklearn.linear_model import LogisticRegression

    if n_classes == 0 or np.unique(y).size < 2:
        return None
    scaling = LogisticRegression(C=1.0, max_iter=1000).fit(_logits(oof), y)
    coef = np.atleast_2d(scaling.coef_)
    slopes = coef[:, 0] if coef.shape[1] == 1 else np.diag(coef[:, scaling.classes_])
    return scaling if bool(np.all(slopes > 0)) else None


def _scaled(scaling: Any, pred: np.ndarray) -> np.ndarray:
    """``pred`` through ``scaling`` (rows with NaN, in no validation fold, stay NaN)."""
    if scaling is None:
        return pred
    out = np.full(pred.shape, np.nan)
    rows = ~np.isnan(pred).any(axis=1)
    if rows.any():
        out[np.ix_(rows, scaling.classes_.astype(np.int64))] = scaling.predict_proba(
            _logits(pred[rows])
        )
        out[rows] = np.nan_to_num(out[rows], nan=0.0)
    return out
