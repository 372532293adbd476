"""Text models for free-text columns: sparse TF-IDF views, linear candidates chosen and
blended by inner cross-validation, stacked into the feature matrix as out-of-fold predictions
(see :mod:`fas_ray.text._stack`); a packaged sentence encoder's embeddings are one more
view when ``fas-ray[encoder]`` is installed (:mod:`fas_ray.text._encoder`)."""

from fas_ray.text._candidates import CLASSIFICATION, REGRESSION, Candidate
from fas_ray.text._encoder import SentenceEncoder, encoder_missing, locate_encoder
from fas_ray.text._finetune import (
    FinetuneConfig,
    FineTunedModel,
    FinetuneOptions,
    FinetuneOutcome,
    build_tiny_model,
    finetune,
    finetune_space,
)
from fas_ray.text._stack import CandidateScore, TextModel, TextTarget, fit_text_model

__all__ = [
    "CLASSIFICATION",
    "REGRESSION",
    "Candidate",
    "CandidateScore",
    "FineTunedModel",
    "FinetuneConfig",
    "FinetuneOptions",
    "FinetuneOutcome",
    "SentenceEncoder",
    "TextModel",
    "TextTarget",
    "build_tiny_model",
    "encoder_missing",
    "finetune",
    "finetune_space",
    "fit_text_model",
    "locate_encoder",
]
