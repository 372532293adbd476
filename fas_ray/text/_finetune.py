"""Transformer fine-tuning for a text column: one configuration on one split, no Ray.

A DistilBERT-class model from a local directory (``AutoML(text_model=PATH)``, ``fas-ray run
--text-model PATH``), or the packaged sentence encoder when none is given, gets a
classification (or regression) head and is fine-tuned with AdamW, a linear warm-up and decay,
and mixed precision on a GPU (bfloat16 where the card has it, else float16 with loss
scaling). :mod:`fas_ray.distributed.finetune` runs it as Ray Tune GPU trials over
:func:`finetune_space`, one trial per configuration, each over the search's folds.

Nothing is downloaded: the directory must hold the model and its tokenizer
(``save_pretrained``). :func:`build_tiny_model` writes a 2-layer BERT with a hidden size of 32
and a WordPiece vocabulary learnt from the given texts: what the CPU test fine-tunes.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from fas_ray.exceptions import ConfigError, MissingDependencyError
from fas_ray.text._encoder import ENCODER_EXTRA, _offline, locate_encoder

if TYPE_CHECKING:
    from fas_ray.ml._space import Domain

__all__ = [
    "FineTunedModel",
    "FinetuneConfig",
    "FinetuneOptions",
    "FinetuneOutcome",
    "build_tiny_model",
    "finetune",
    "finetune_space",
    "resolve_text_model",
]


def finetune_space() -> dict[str, Domain]:
    """The fine-tuning's search space: learning rate, epochs and max length."""
    from fas_ray.ml._space import CategoricalDomain, FloatDomain, IntDomain

    return {
        "learning_rate": FloatDomain(1e-5, 1e-4, log=True),
        "epochs": IntDomain(1, 3),
        "max_length": CategoricalDomain((64, 128, 256)),
    }


@dataclass(frozen=True)
class FinetuneConfig:
    """One fine-tuning configuration (a point of :func:`finetune_space`).

    Args:
        learning_rate: AdamW's peak learning rate.
        epochs: passes over the training rows.
        max_length: tokens per document (longer ones are truncated).
        batch_size: documents per step.
        max_steps: stop after this many steps (``None``: the epochs decide; tests use a few).
    """

    learning_rate: float = 5e-5
    epochs: int = 2
    max_length: int = 128
    batch_size: int = 32
    max_steps: int | None = None

    def __post_init__(self) -> None:
        if not 0 < self.learning_rate < 1:
            raise ConfigError(f"learning_rate must be in (0, 1), got {self.learning_rate}.")
        if self.epochs < 1 or self.batch_size < 1 or not 8 <= self.max_length <= 512:
            raise ConfigError(
                "epochs and batch_size must be at least 1 and max_length in 8..512, got "
                f"{self.epochs}, {self.batch_size}, {self.max_length}."
            )


@dataclass(frozen=True)
class FinetuneOptions:
    """What :func:`fas_ray.distributed.finetune_text` searches and where.

    Args:
        model: the model's directory (``None``: the packaged sentence encoder).
        trials: configurations to try (Ray Tune trials, one GPU each).
        share: the part of ``AutoML``'s time budget the fine-tuning gets.
        force_cpu: run the trials on CPUs when the cluster has no GPU (tests; slow).
        max_steps: steps per fine-tuning (``None``: the configuration's epochs).
        batch_size: documents per step.
    """

    model: str | Path | None = None
    trials: int = 4
    share: float = 0.25
    force_cpu: bool = False
    max_steps: int | None = None
    batch_size: int = 32

    def __post_init__(self) -> None:
        if self.trials < 1 or not 0 < self.share < 1:
            raise ConfigError(
                f"trials must be at least 1 and share in (0, 1), got {self.trials}, {self.share}."
            )


@dataclass
class FinetuneOutcome:
    """The fine-tuning search's result: the best configuration's out-of-fold predictions
    (``oof``: class probabilities, or values; NaN in rows no fold validated), its model
    refitted on every row, the configuration, trials finished, device and seconds."""

    oof: np.ndarray = field(repr=False)
    model: FineTunedModel = field(repr=False)
    config: dict[str, Any]
    trials: int
    device: str
    seconds: float
    source: str


def resolve_text_model(model: str | Path | None) -> Path:
    """The directory to fine-tune: ``model``, else the packaged sentence encoder's.

    Raises:
        ConfigError: ``model`` is not a directory holding ``config.json``.
        MissingDependencyError: no ``model`` and the encoder extra is not installed.
    """
    if model is None:
        return locate_encoder()
    path = Path(model).expanduser()
    if not (path / "config.json").is_file():
        raise ConfigError(
            f"The text model '{path}' is not a model directory (no config.json); give a "
            "directory written by save_pretrained (model and tokenizer)."
        )
    return path


def _device(force_cpu: bool) -> str:
    import torch

    return "cuda" if torch.cuda.is_available() and not force_cpu else "cpu"


@dataclass
class FineTunedModel:
    """A fine-tuned transformer that reads documents: ``predict_proba`` (classes) or
    ``predict`` (a number). Runs on the GPU when there is one, else on the CPU."""

    model: Any = field(repr=False)
    tokenizer: Any = field(repr=False)
    n_classes: int
    max_length: int
    batch_size: int = 64

    @property
    def classes_(self) -> np.ndarray:
        return np.arange(self.n_classes)

    def _outputs(self, documents: Sequence[Any]) -> np.ndarray:
        import torch

        device = _device(False)
        model = self.model.to(device).eval()
        docs = [d if isinstance(d, str) else "" for d in documents]
        parts = []
        with torch.inference_mode():
            for i in range(0, len(docs), self.batch_size):
                batch = self.tokenizer(
                    docs[i : i + self.batch_size],
                    padding=True,
                    truncation=True,
                    max_length=self.max_length,
                    return_tensors="pt",
                ).to(device)
                parts.append(model(**batch).logits.float().cpu().numpy())
        self.model = model.to("cpu")
        width = max(self.n_classes, 1)
        return np.concatenate(parts) if parts else np.zeros((0, width))

    def predict_proba(self, documents: Sequence[Any]) -> np.ndarray:
        logits = self._outputs(documents)
        logits = logits - logits.max(axis=1, keepdims=True)
        exp = np.exp(logits)
        return exp / exp.sum(axis=1, keepdims=True)

    def predict(self, documents: Sequence[Any]) -> np.ndarray:
        return self._outputs(documents)[:, 0].astype(np.float64)


def finetune(
    source: str | Path,
    documents: Sequence[str],
    y: np.ndarray,
    n_classes: int,
    config: FinetuneConfig,
    seed: int = 0,
    force_cpu: bool = False,
) -> FineTunedModel:
    """The model in ``source`` fine-tuned on ``documents`` and ``y`` (class indices, or
    values when ``n_classes`` is 0) with ``config``; mixed precision on a GPU."""
    try:
        import torch
        from transformers import AutoModelForSequenceClassification, AutoTokenizer
    except ImportError as exc:
        raise MissingDependencyError(
            f"Fine-tuning a text model needs torch and transformers ({exc.name} is missing); "
            f"install them with: pip install 'fas-ray[{ENCODER_EXTRA}]'."
        ) from None

    torch.manual_seed(seed)
    device = _device(force_cpu)
    with _offline():
        tokenizer = AutoTokenizer.from_pretrained(str(source), local_files_only=True)
        model = AutoModelForSequenceClassification.from_pretrained(
            str(source),
            num_labels=max(n_classes, 1),
            local_files_only=True,
            problem_type="regression" if n_classes == 0 else "single_label_classification",
        )
    model.to(device).train()
    docs = [d if isinstance(d, str) else "" for d in documents]
    labels = torch.tensor(y, dtype=torch.float32 if n_classes == 0 else torch.long)
    steps_per_epoch = max(1, math.ceil(len(docs) / config.batch_size))
    total = steps_per_epoch * config.epochs
    if config.max_steps is not None:
        total = min(total, config.max_steps)
    optimizer = torch.optim.AdamW(model.parameters(), lr=config.learning_rate, weight_decay=0.01)
    warmup = max(1, total // 10)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: min((step + 1) / warmup, max(0.0, (total - step) / total))
    )
    half = device == "cuda"
    dtype = torch.bfloat16 if half and torch.cuda.is_bf16_supported() else torch.float16
    scaler = torch.amp.GradScaler("cuda", enabled=half and dtype == torch.float16)
    generator = np.random.default_rng(seed)
    step = 0
    while step < total:
        for batch_rows in np.array_split(generator.permutation(len(docs)), steps_per_epoch):
            if step >= total:
                break
            batch = tokenizer(
                [docs[i] for i in batch_rows],
                padding=True,
                truncation=True,
                max_length=config.max_length,
                return_tensors="pt",
            ).to(device)
            target = labels[batch_rows].to(device)
            with torch.autocast(device_type=device, dtype=dtype, enabled=half):
                loss = model(**batch, labels=target).loss
            optimizer.zero_grad(set_to_none=True)
            scaler.scale(loss).backward()
            scaler.unscale_(optimizer)
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            scaler.step(optimizer)
            scaler.update()
            schedule.step()
            step += 1
    return FineTunedModel(model.to("cpu").eval(), tokenizer, n_classes, config.max_length)


def build_tiny_model(documents: Sequence[str], path: str | Path, vocab_size: int = 500) -> Path:
    """Write a tiny BERT (2 layers, hidden size 32) and a WordPiece tokenizer learnt from
    ``documents`` to ``path``: a model directory to fine-tune offline (tests, demos)."""
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, trainers
    from transformers import BertConfig, BertModel, PreTrainedTokenizerFast

    special = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    wordpiece = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    wordpiece.normalizer = normalizers.BertNormalizer(lowercase=True)
    wordpiece.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    trainer = trainers.WordPieceTrainer(vocab_size=vocab_size, special_tokens=special)
    wordpiece.train_from_iterator([d for d in documents if isinstance(d, str)], trainer)
    from tokenizers.processors import TemplateProcessing

    cls, sep = wordpiece.token_to_id("[CLS]"), wordpiece.token_to_id("[SEP]")
    wordpiece.post_processor = TemplateProcessing(
        single="[CLS] $A [SEP]", special_tokens=[("[CLS]", cls), ("[SEP]", sep)]
    )
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=wordpiece,
        unk_token="[UNK]",
        pad_token="[PAD]",
        cls_token="[CLS]",
        sep_token="[SEP]",
        mask_token="[MASK]",
    )
    config = BertConfig(
        vocab_size=wordpiece.get_vocab_size(),
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=512,
    )
    out = Path(path)
    BertModel(config).save_pretrained(out)
    tokenizer.save_pretrained(out)
    return out
