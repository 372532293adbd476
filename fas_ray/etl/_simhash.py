"""Near-duplicate text: 64-bit SimHash over word shingles, paired by LSH banding.

``simhash64`` gives every text a 64-bit fingerprint from its word shingles; texts that share
most of their shingles get fingerprints a few bits apart, and unrelated texts about 32 bits apart.
How far an edit moves a fingerprint depends on the share of shingles it touches: case,
punctuation and spacing move nothing, while one changed word in a 20-word sentence (3 of its 18
shingles) typically moves 6 to 11 bits, so the default distance of 3 catches such edits mainly in
longer texts.

``near_duplicate_pairs`` finds the pairs within a Hamming distance ``d`` by banding: the 64 bits
are cut into blocks, and two fingerprints at most ``d`` bits apart differ in at most ``d`` blocks
(pigeonhole), so they agree exactly on every block of some ``blocks - d`` of them. Comparing only
rows that share such a key misses no pair. Everything is vectorised (Polars for the text, numpy
for the bits) and runs in bounded memory, chunk by chunk.

Fingerprint 0 means "no fingerprint" (a null text, or one without a letter or digit): such rows
are never near-duplicates of anything. Token hashes come from Polars' seeded ``hash``, which is
the same in every process and run with one Polars version (not across versions), so compare
fingerprints only within one environment.

>>> import polars as pl
>>> texts = pl.Series(["The cat sat on the mat.", "the cat sat on the mat", "Dogs bark."])
>>> near_duplicate_groups(simhash64(texts)).tolist()
[0, 0, 2]
"""

from __future__ import annotations

import functools
import itertools
import math
import operator
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from fas_ray.exceptions import ConfigError, InputError

__all__ = [
    "NearDuplicateReport",
    "drop_near_duplicates",
    "find_near_duplicates",
    "hamming64",
    "near_duplicate_groups",
    "near_duplicate_pairs",
    "simhash64",
]

MAX_DISTANCE_LIMIT = 16
_TOKEN_PATTERN = r"[\p{L}\p{N}]+"
_TOKEN_SEED = 20_240_917
_SHINGLE_MULTIPLIER = np.uint64(0x9E3779B97F4A7C15)
_FMIX_1 = np.uint64(0xFF51AFD7ED558CCD)
_FMIX_2 = np.uint64(0xC4CEB9FE1A85EC53)
_SHIFT_33 = np.uint64(33)
_TEXT_BYTES_PER_CHUNK = 4 << 20  # text per Polars pass: at most ~2M tokens
_SHINGLES_PER_BLOCK = 1 << 20  # 64 MiB of unpacked bits per numpy pass
_PAIRS_PER_BLOCK = 1 << 20  # candidate pairs verified at once
_MAX_TABLES = 5000
_LANE_MAX = 255  # rows an 8-bit counter can sum
_EXAMPLE_GROUPS = 3
_EXAMPLE_TEXTS = 3
_EXAMPLE_CHARS = 120

U64Array = npt.NDArray[np.uint64]
I64Array = npt.NDArray[np.int64]


@dataclass(frozen=True)
class NearDuplicateReport:
    """What near-duplicate detection found in one text column, for the profile."""

    column: str
    groups: int  # groups of two or more near-duplicate rows
    rows_in_groups: int
    removable: int  # rows that removal would drop: rows_in_groups - groups
    max_distance: int
    examples: list[list[str]]  # up to 3 groups, up to 3 texts each, cut to 120 characters

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


# ---------------------------------------------------------------- validation


def _check_max_distance(max_distance: int) -> None:
    if (
        isinstance(max_distance, bool)
        or not isinstance(max_distance, int | np.integer)
        or not 0 <= max_distance <= MAX_DISTANCE_LIMIT
    ):
        raise ConfigError(
            f"max_distance must be an integer from 0 to {MAX_DISTANCE_LIMIT}, got "
            f"{max_distance!r}; use 3 (the default) or a small number of bits."
        )


def _check_shingle(shingle: int) -> None:
    if isinstance(shingle, bool) or not isinstance(shingle, int | np.integer) or shingle < 1:
        raise ConfigError(
            f"shingle must be an integer of at least 1 (words per shingle), got {shingle!r}."
        )


def _check_bands(max_distance: int, bands: int | None) -> None:
    if bands is None:
        return
    if isinstance(bands, bool) or not isinstance(bands, int | np.integer):
        raise ConfigError(f"bands must be an integer or None, got {bands!r}.")
    if not max_distance + 1 <= bands <= 64:
        raise ConfigError(
            f"bands must be from max_distance + 1 = {max_distance + 1} to 64 so that banding "
            f"misses no pair, got {bands}; or leave bands=None to choose automatically."
        )
    if math.comb(int(bands), max_distance) > _MAX_TABLES:
        raise ConfigError(
            f"bands={bands} with max_distance={max_distance} needs "
            f"{math.comb(int(bands), max_distance)} lookup tables (more than {_MAX_TABLES}); "
            "use fewer bands or leave bands=None."
        )


def _check_text_column(df: pl.DataFrame, column: str) -> None:
    if column not in df.columns:
        raise InputError(
            f"The text column '{column}' is not in the data. Columns: {', '.join(df.columns)}."
        )
    dtype = df.schema[column]
    if dtype not in (pl.String, pl.Categorical) and not isinstance(dtype, pl.Enum):
        raise InputError(
            f"The column '{column}' is {dtype}, not text; near-duplicate detection needs a "
            "string column."
        )


def _as_text(texts: pl.Series) -> pl.Series:
    if not isinstance(texts, pl.Series):
        raise InputError(f"texts must be a Polars Series of strings, got {type(texts).__name__}.")
    if texts.dtype == pl.String:
        return texts
    if texts.dtype == pl.Null:
        return texts.cast(pl.String)
    if texts.dtype == pl.Categorical or isinstance(texts.dtype, pl.Enum):
        return texts.cast(pl.String)
    raise InputError(
        f"texts must be a string Series, got {texts.dtype}; cast it with .cast(pl.String) first."
    )


def _as_fingerprints(fingerprints: pl.Series | npt.ArrayLike) -> U64Array:
    if isinstance(fingerprints, pl.Series):
        if not fingerprints.dtype.is_integer():
            raise InputError(
                f"fingerprints must be UInt64 (from simhash64), got {fingerprints.dtype}."
            )
        return fingerprints.fill_null(0).cast(pl.UInt64, wrap_numerical=True).to_numpy()
    array = np.asarray(fingerprints)
    if array.ndim != 1 or (array.size and array.dtype.kind not in "iu"):
        raise InputError(
            "fingerprints must be a one-dimensional array of uint64 (from simhash64), got "
            f"shape {array.shape} and dtype {array.dtype}."
        )
    return array.astype(np.uint64, copy=False)


# ---------------------------------------------------------------- fingerprints


def _fmix64(x: U64Array) -> U64Array:
    """MurmurHash3's finaliser: every input bit flips about half of the output bits."""
    x = x ^ (x >> _SHIFT_33)
    x *= _FMIX_1
    x ^= x >> _SHIFT_33
    x *= _FMIX_2
    x ^= x >> _SHIFT_33
    return x


def _row_chunks(texts: pl.Series) -> Iterator[tuple[int, int]]:
    """Row ranges holding about ``_TEXT_BYTES_PER_CHUNK`` bytes of text each."""
    sizes = texts.str.len_bytes().fill_null(0).cast(pl.Int64).to_numpy() + 1
    ends = np.cumsum(sizes)
    start = 0
    while start < len(texts):
        budget = (ends[start - 1] if start else 0) + _TEXT_BYTES_PER_CHUNK
        stop = max(int(np.searchsorted(ends, budget, side="right")), start + 1)
        yield start, stop
        start = stop


def _shingle_hashes(texts: pl.Series, shingle: int) -> tuple[U64Array, I64Array]:
    """Hash of every shingle, in row order, and the number of shingles of each row."""
    tokens = texts.str.to_lowercase().str.extract_all(_TOKEN_PATTERN)
    n_tokens = tokens.list.len().fill_null(0).cast(pl.Int64).to_numpy()
    token_hash = (
        tokens.explode(empty_as_null=False, keep_nulls=False).hash(seed=_TOKEN_SEED).to_numpy()
    )
    total = token_hash.size
    ends = np.cumsum(n_tokens)
    starts = ends - n_tokens
    # the shingle starting at token i hashes tokens i .. i + shingle - 1, which may run past the
    # row; those are dropped below, except the first of a row shorter than `shingle`, which is
    # patched to the hash of the whole row (taken when the running hash had covered it)
    padded = np.concatenate([token_hash, np.zeros(shingle - 1, dtype=np.uint64)])
    acc = token_hash.copy()
    short_rows: list[tuple[I64Array, U64Array]] = []
    for width in range(1, shingle):
        short = starts[n_tokens == width]
        short_rows.append((short, acc[short]))
        acc *= _SHINGLE_MULTIPLIER
        acc += padded[width : width + total]
    for short, whole_row in short_rows:
        acc[short] = whole_row
    last_start = np.repeat(np.maximum(ends - shingle, starts), n_tokens)
    keep = np.arange(total) <= last_start
    n_shingles = np.where(n_tokens >= shingle, n_tokens - shingle + 1, np.minimum(n_tokens, 1))
    return _fmix64(acc[keep]), n_shingles


def _segment_bit_counts(bits: npt.NDArray[np.uint8], starts: I64Array) -> npt.NDArray[np.int32]:
    """Column sums of the 0/1 matrix ``bits`` (n, 64) over the row runs that begin at ``starts``.

    Each uint64 of a row holds eight 8-bit counters, so one 64-bit add sums eight columns; runs
    longer than 255 rows are summed in pieces so that no counter overflows.
    """
    lanes = bits.view(np.uint64)  # (n, 8)
    lengths = np.diff(starts, append=bits.shape[0])
    if lengths.max() <= _LANE_MAX:
        return np.add.reduceat(lanes, starts, axis=0).view(np.uint8).astype(np.int32)
    n_pieces = -(-lengths // _LANE_MAX)
    first_piece = np.cumsum(n_pieces) - n_pieces
    step = np.arange(int(n_pieces.sum())) - np.repeat(first_piece, n_pieces)
    piece_starts = np.repeat(starts, n_pieces) + _LANE_MAX * step
    pieces = np.add.reduceat(lanes, piece_starts, axis=0).view(np.uint8)
    return np.add.reduceat(pieces, first_piece, axis=0, dtype=np.int32)


def _majority_bits(hashes: U64Array, n_shingles: I64Array) -> U64Array:
    """Per row, bit b is 1 where more of its shingle hashes have bit b set than not."""
    has = n_shingles > 0
    counts = np.zeros((int(has.sum()), 64), dtype=np.int32)
    seg_starts = (np.cumsum(n_shingles) - n_shingles)[has]
    for lo in range(0, hashes.size, _SHINGLES_PER_BLOCK):
        hi = min(lo + _SHINGLES_PER_BLOCK, hashes.size)
        block = hashes[lo:hi].astype("<u8", copy=False).view(np.uint8).reshape(-1, 8)
        bits = np.unpackbits(block, axis=1, bitorder="little")  # column b = bit b
        first = int(np.searchsorted(seg_starts, lo, side="right")) - 1
        last = int(np.searchsorted(seg_starts, hi, side="left"))
        local = np.maximum(seg_starts[first:last] - lo, 0)
        counts[first:last] += _segment_bit_counts(bits, local)
    majority = 2 * counts > n_shingles[has, None]
    packed = np.packbits(majority, axis=1, bitorder="little")
    out = np.zeros(n_shingles.size, dtype=np.uint64)
    out[has] = packed.view("<u8").ravel()
    out[has & (out == 0)] = 1  # 0 stays reserved for "no text"
    return out


def simhash64(texts: pl.Series, shingle: int = 3) -> pl.Series:
    """64-bit SimHash of each text over its word shingles (unweighted).

    Text is lower-cased and cut into words at every character that is not a letter or a digit;
    a shingle is ``shingle`` consecutive words (a text with fewer words is one shingle). Bit b of
    the fingerprint is 1 where most of the text's shingle hashes have bit b set.

    Args:
        texts: a string Series (Categorical and Enum are read as strings).
        shingle: words per shingle.

    Returns:
        A UInt64 Series named like ``texts``; 0 for null texts and texts without words.
    """
    _check_shingle(shingle)
    texts = _as_text(texts)
    out = np.zeros(len(texts), dtype=np.uint64)
    for start, stop in _row_chunks(texts):
        hashes, n_shingles = _shingle_hashes(texts.slice(start, stop - start), int(shingle))
        out[start:stop] = _majority_bits(hashes, n_shingles)
    return pl.Series(texts.name, out, dtype=pl.UInt64)


def hamming64(a: npt.ArrayLike, b: npt.ArrayLike) -> npt.NDArray[np.uint8]:
    """Number of differing bits between 64-bit fingerprints, elementwise (broadcasting)."""
    x = np.asarray(a).astype(np.uint64, copy=False) ^ np.asarray(b).astype(np.uint64, copy=False)
    return np.bitwise_count(x)


# ---------------------------------------------------------------- pairs


def _block_masks(blocks: int) -> list[int]:
    """Masks of ``blocks`` contiguous runs of near-equal width that cover the 64 bits."""
    base, extra = divmod(64, blocks)
    out, shift = [], 0
    for block in range(blocks):
        width = base + (block < extra)
        out.append(((1 << width) - 1) << shift)
        shift += width
    return out


def _table_cost(n: int, max_distance: int, blocks: int) -> float:
    """Rough work of banding ``n`` fingerprints with ``blocks`` blocks: sorts plus candidates
    (expected bucket pairs for uniform fingerprints, times a margin for clustered text)."""
    tables = math.comb(blocks, max_distance)
    key_bits = 64 * (blocks - max_distance) / blocks
    return tables * (4.0 * n + 4.0 * n * n / 2.0 ** (key_bits + 1))


def _table_masks(n: int, max_distance: int, bands: int | None) -> list[np.uint64]:
    """Key masks of the lookup tables: every choice of ``blocks - max_distance`` of the blocks.

    Two fingerprints at most ``max_distance`` bits apart differ in at most ``max_distance``
    blocks (pigeonhole), so they agree on all blocks of at least one table: banding is exact.
    With ``blocks = max_distance + 1`` this is classic banding (one block per table); more
    blocks give longer keys and far fewer candidates for large ``n`` at the cost of more tables.
    """
    if bands is None:
        options = [
            b
            for b in range(max_distance + 1, min(64, max_distance + 6) + 1)
            if math.comb(b, max_distance) <= _MAX_TABLES
        ]
        bands = min(options, key=lambda b: _table_cost(n, max_distance, b))
    blocks = _block_masks(int(bands))
    masks = []
    for chosen in itertools.combinations(blocks, int(bands) - max_distance):
        masks.append(np.uint64(functools.reduce(operator.or_, chosen, 0)))
    return masks


def _run_pairs(values: npt.NDArray[Any]) -> Iterator[tuple[I64Array, I64Array]]:
    """All position pairs ``(i, j)``, i < j, inside runs of equal values of a sorted array,
    in blocks of about ``_PAIRS_PER_BLOCK``."""
    n = values.size
    if n < 2:
        return
    breaks = np.flatnonzero(values[1:] != values[:-1]) + 1
    starts = np.concatenate([[0], breaks])
    ends = np.concatenate([breaks, [n]])
    multi = ends - starts >= 2
    starts, ends = starts[multi], ends[multi]
    if starts.size == 0:
        return
    sizes = ends - starts
    offsets = np.cumsum(sizes) - sizes
    pos = np.repeat(starts - offsets, sizes) + np.arange(int(sizes.sum()))
    partners = np.repeat(ends, sizes) - pos - 1
    cum = np.cumsum(partners)
    lo = 0
    while lo < pos.size:
        done = cum[lo - 1] if lo else 0
        hi = max(int(np.searchsorted(cum, done + _PAIRS_PER_BLOCK, side="right")), lo + 1)
        p, r = pos[lo:hi], partners[lo:hi]
        left = np.repeat(p, r)
        step = np.arange(left.size) - np.repeat(np.cumsum(r) - r, r)
        yield left, left + 1 + step
        lo = hi


def _unique_pairs(
    unique: U64Array, max_distance: int, bands: int | None
) -> Iterator[tuple[I64Array, I64Array]]:
    """Index pairs ``(a, b)``, a < b, of distinct fingerprints within ``max_distance``, each
    once, in blocks."""
    if max_distance == 0 or unique.size < 2:
        return  # distinct fingerprints are at least 1 bit apart
    masks = _table_masks(unique.size, max_distance, bands)
    for table, mask in enumerate(masks):
        key = unique & mask
        order = np.argsort(key)
        for left, right in _run_pairs(key[order]):
            a, b = order[left], order[right]
            diff = unique[a] ^ unique[b]
            hit = np.flatnonzero(np.bitwise_count(diff) <= max_distance)
            if hit.size == 0:
                continue
            a, b, diff = a[hit], b[hit], diff[hit]
            new = np.ones(hit.size, dtype=bool)
            for earlier in masks[:table]:  # already found by an earlier table
                new &= (diff & earlier) != 0
            a, b = a[new], b[new]
            if a.size:
                yield np.minimum(a, b), np.maximum(a, b)


def _collapse(fingerprints: U64Array) -> tuple[I64Array, U64Array, I64Array]:
    """Rows with a fingerprint, their distinct fingerprints, and each such row's index into them."""
    rows = np.flatnonzero(fingerprints)
    unique, inverse = np.unique(fingerprints[rows], return_inverse=True)
    return rows, unique, inverse.astype(np.int64, copy=False)


def near_duplicate_pairs(
    fingerprints: pl.Series | npt.ArrayLike, max_distance: int = 3, bands: int | None = None
) -> I64Array:
    """Row pairs whose fingerprints are within ``max_distance`` bits, found by LSH banding.

    Identical fingerprints are collapsed before banding, so a thousand copies of one text cost
    one bucket entry (the output still lists every pair of them). Rows with fingerprint 0 are
    never paired.

    Args:
        fingerprints: UInt64 fingerprints from :func:`simhash64`.
        max_distance: the largest Hamming distance of a pair, 0 to 16.
        bands: blocks the 64 bits are cut into, from ``max_distance + 1`` (classic banding:
            one lookup table per block) to 64; a pair is a candidate when it agrees on some
            ``bands - max_distance`` whole blocks, so no pair is missed. ``None`` picks the
            cheapest for the number of fingerprints (``max_distance + 1`` for small inputs,
            ``max_distance + 2`` for about a million).

    Returns:
        An int64 array of shape ``(k, 2)``: row pairs ``(i, j)`` with i < j, sorted.
    """
    _check_max_distance(max_distance)
    _check_bands(max_distance, bands)
    rows, unique, inverse = _collapse(_as_fingerprints(fingerprints))
    by_unique = np.argsort(inverse, kind="stable")
    members = rows[by_unique]  # rows grouped by fingerprint, in row order
    counts = np.bincount(inverse, minlength=unique.size)
    first = np.cumsum(counts) - counts
    parts: list[I64Array] = []
    for left, right in _run_pairs(inverse[by_unique]):  # rows sharing one fingerprint
        parts.append(np.column_stack([members[left], members[right]]))
    for a, b in _unique_pairs(unique, max_distance, bands):  # every row of a with every row of b
        n_a, n_b = counts[a], counts[b]
        sizes = n_a * n_b
        step = np.arange(int(sizes.sum())) - np.repeat(np.cumsum(sizes) - sizes, sizes)
        reps_b = np.repeat(n_b, sizes)
        left = members[np.repeat(first[a], sizes) + step // reps_b]
        right = members[np.repeat(first[b], sizes) + step % reps_b]
        parts.append(np.column_stack([np.minimum(left, right), np.maximum(left, right)]))
    if not parts:
        return np.empty((0, 2), dtype=np.int64)
    pairs = np.concatenate(parts).astype(np.int64, copy=False)
    return pairs[np.lexsort((pairs[:, 1], pairs[:, 0]))]


def _merge(labels: I64Array, n_labels: int, a: I64Array, b: I64Array) -> tuple[I64Array, int]:
    graph = coo_matrix((np.ones(a.size, dtype=np.int8), (a, b)), shape=(n_labels, n_labels))
    n_components, component = connected_components(graph, directed=False)
    return component[labels].astype(np.int64, copy=False), int(n_components)


def near_duplicate_groups(
    fingerprints: pl.Series | npt.ArrayLike, max_distance: int = 3, bands: int | None = None
) -> I64Array:
    """Group id per row: rows linked by chains of near-duplicate pairs share one.

    Groups are connected components, so they are transitive: if a is near b and b near c,
    a, b and c are one group even when a and c are further apart than ``max_distance``.

    Args:
        fingerprints: UInt64 fingerprints from :func:`simhash64`.
        max_distance: the largest Hamming distance of a pair, 0 to 16.
        bands: as in :func:`near_duplicate_pairs`.

    Returns:
        An int64 array: the index of the group's first row, for every row. A row without
        near-duplicates (fingerprint 0 included) is its own group, with its own index.
    """
    _check_max_distance(max_distance)
    _check_bands(max_distance, bands)
    fps = _as_fingerprints(fingerprints)
    rows, unique, inverse = _collapse(fps)
    labels, n_labels = np.arange(unique.size, dtype=np.int64), unique.size
    pending_a: list[I64Array] = []
    pending_b: list[I64Array] = []
    n_pending = 0
    for a, b in _unique_pairs(unique, max_distance, bands):
        pending_a.append(labels[a])
        pending_b.append(labels[b])
        n_pending += a.size
        if n_pending >= _PAIRS_PER_BLOCK:  # merge now so that edges never pile up
            labels, n_labels = _merge(
                labels, n_labels, np.concatenate(pending_a), np.concatenate(pending_b)
            )
            pending_a, pending_b, n_pending = [], [], 0
    if n_pending:
        labels, n_labels = _merge(
            labels, n_labels, np.concatenate(pending_a), np.concatenate(pending_b)
        )
    first_row = np.full(n_labels, fps.size, dtype=np.int64)
    np.minimum.at(first_row, labels[inverse], rows)
    groups = np.arange(fps.size, dtype=np.int64)
    groups[rows] = first_row[labels[inverse]]
    return groups


# ---------------------------------------------------------------- frames


def _shorten(text: str) -> str:
    return text if len(text) <= _EXAMPLE_CHARS else text[: _EXAMPLE_CHARS - 1] + "…"


def _report(
    texts: pl.Series, groups: I64Array, column: str, max_distance: int
) -> NearDuplicateReport:
    sizes = np.bincount(groups, minlength=groups.size)
    in_group = sizes[groups] >= 2
    ids = np.flatnonzero(sizes >= 2)
    examples = []
    for gid in ids[:_EXAMPLE_GROUPS]:
        members = np.flatnonzero(groups == gid)[:_EXAMPLE_TEXTS]
        examples.append([_shorten(str(texts[int(i)])) for i in members])
    return NearDuplicateReport(
        column=column,
        groups=int(ids.size),
        rows_in_groups=int(in_group.sum()),
        removable=int(in_group.sum()) - int(ids.size),
        max_distance=int(max_distance),
        examples=examples,
    )


def find_near_duplicates(
    df: pl.DataFrame, column: str, max_distance: int = 3, shingle: int = 3
) -> tuple[I64Array, NearDuplicateReport]:
    """Near-duplicate groups of one text column, and the report of what was found.

    Args:
        df: the table.
        column: a string column.
        max_distance: the largest Hamming distance between near-duplicate fingerprints, 0 to 16.
        shingle: words per shingle.

    Returns:
        The group id of every row (see :func:`near_duplicate_groups`) and the report.
    """
    _check_max_distance(max_distance)
    _check_shingle(shingle)
    _check_text_column(df, column)
    texts = df[column]
    groups = near_duplicate_groups(simhash64(texts, shingle), max_distance)
    return groups, _report(texts, groups, column, max_distance)


def drop_near_duplicates(
    df: pl.DataFrame, columns: list[str], max_distance: int = 3, shingle: int = 3
) -> tuple[pl.DataFrame, int]:
    """Keep the first row of each near-duplicate group, column after column.

    Args:
        df: the table, in the order that decides which row of a group is kept.
        columns: string columns, applied in order (each on the rows the previous one kept).
        max_distance: the largest Hamming distance between near-duplicate fingerprints, 0 to 16.
        shingle: words per shingle.

    Returns:
        The remaining rows, in their order, and the number of rows removed.
    """
    _check_max_distance(max_distance)
    _check_shingle(shingle)
    if isinstance(columns, str):
        raise ConfigError(f"columns must be a list of column names, got the string '{columns}'.")
    for column in columns:
        _check_text_column(df, column)
    height = df.height
    for column in columns:
        groups = near_duplicate_groups(simhash64(df[column], shingle), max_distance)
        keep = groups == np.arange(df.height)
        if not keep.all():
            df = df.filter(pl.Series(keep))
    return df, height - df.height
