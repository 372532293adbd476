"""Free-text columns: which columns hold free text, and their TF-IDF features.

Without ETL types, a string column counts as free text when its non-null values average at
least ``MIN_MEAN_WORDS`` words and at least ``MIN_DISTINCT_SHARE`` of them are distinct (labels
and codes are short; identifiers are single words). Each text column gets a
``TfidfVectorizer`` (lower-cased word unigrams and bigrams seen in at least two training rows,
sublinear term frequency), fitted on training rows only and kept with the builder.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl

__all__ = [
    "MAX_TERMS_PER_COLUMN",
    "MAX_TERMS_TOTAL",
    "MIN_DISTINCT_SHARE",
    "MIN_MEAN_WORDS",
    "fit_tfidf",
    "is_free_text",
    "terms_per_column",
    "tfidf_matrix",
]

MIN_MEAN_WORDS = 3.0
MIN_DISTINCT_SHARE = 0.5
MAX_TERMS_PER_COLUMN = 100
MAX_TERMS_TOTAL = 500  # all text columns together; split evenly between them


def is_free_text(series: pl.Series) -> bool:
    """Whether a string column holds free text (see the module docstring)."""
    dtype = series.dtype
    if dtype not in (pl.String, pl.Categorical) and not isinstance(dtype, pl.Enum):
        return False
    values = series.drop_nulls().cast(pl.String)
    if values.len() == 0:
        return False
    words = values.str.count_matches(r"\S+").cast(pl.Float64).to_numpy()
    return bool(
        words.mean() >= MIN_MEAN_WORDS and values.n_unique() >= MIN_DISTINCT_SHARE * values.len()
    )


def terms_per_column(n_text_columns: int) -> int:
    """The vocabulary size of each text column, keeping the total within ``MAX_TERMS_TOTAL``."""
    return max(1, min(MAX_TERMS_PER_COLUMN, MAX_TERMS_TOTAL // max(n_text_columns, 1)))


def _documents(series: pl.Series) -> list[str]:
    return series.cast(pl.String).fill_null("").to_list()


def fit_tfidf(series: pl.Series, max_features: int) -> Any | None:
    """A ``TfidfVectorizer`` fitted on ``series`` (nulls as empty text), or ``None`` when no
    term appears in two or more rows."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    vectorizer = TfidfVectorizer(
        lowercase=True,
        ngram_range=(1, 2),
        min_df=2,
        max_features=max_features,
        sublinear_tf=True,
        dtype=np.float64,
    )
    try:
        vectorizer.fit(_documents(series))
    except ValueError:  # "empty vocabulary" / "After pruning, no terms remain"
        return None
    return vectorizer


def tfidf_matrix(vectorizer: Any, series: pl.Series) -> np.ndarray:
    """The dense ``(rows, terms)`` TF-IDF matrix of ``series`` (nulls as empty text)."""
    sparse = vectorizer.transform(_documents(series))
    return np.asarray(sparse.toarray(), dtype=np.float64)
