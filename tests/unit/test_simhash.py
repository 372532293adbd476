"""SimHash near-duplicates: fingerprints against a per-text reference, exact banding, groups."""

from __future__ import annotations

import json
import random
import re
import subprocess
import sys
from collections.abc import Iterator

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fas_ray.etl import _simhash
from fas_ray.etl._simhash import (
    NearDuplicateReport,
    drop_near_duplicates,
    find_near_duplicates,
    hamming64,
    near_duplicate_groups,
    near_duplicate_pairs,
    simhash64,
)
from fas_ray.exceptions import ConfigError, InputError

pytestmark = pytest.mark.filterwarnings("error")

FAST = settings(max_examples=50, deadline=None, derandomize=True, database=None)
MASK64 = (1 << 64) - 1

WORDS = (
    "the quick brown fox jumps over lazy dog river mountain city market winter summer garden "
    "window teacher student library coffee morning evening music doctor hospital engine "
    "bicycle station train ticket harbour island forest paper letter kitchen bread butter "
    "cheese apple orange yellow green purple silver golden ancient modern quiet noisy happy "
    "angry gentle careful sudden storm cloud rain snow wind bridge tower castle village farmer "
    "soldier painter writer singer dancer report meeting budget project computer network "
    "signal battery camera picture museum theatre concert festival holiday journey airport "
    "captain pilot engineer scientist planet ocean desert valley canyon meadow orchard "
    "vineyard lantern candle mirror carpet blanket pillow stairs garage basement ceiling"
).split()
SENTENCE = (
    "The old harbour master walked slowly along the quiet pier every morning to count the "
    "fishing boats before sunrise"
)


def _fmix(x: int) -> int:
    x ^= x >> 33
    x = (x * 0xFF51AFD7ED558CCD) & MASK64
    x ^= x >> 33
    x = (x * 0xC4CEB9FE1A85EC53) & MASK64
    return x ^ (x >> 33)


def reference_simhash(text: str | None, shingle: int = 3) -> int:
    """SimHash of one text, written plainly from the definition (one text at a time)."""
    tokens = re.findall(r"[^\W_]+", text.lower()) if text is not None else []
    if not tokens:
        return 0
    hashes = pl.Series(tokens, dtype=pl.String).hash(seed=_simhash._TOKEN_SEED).to_list()
    windows = [hashes[i : i + shingle] for i in range(max(len(hashes) - shingle + 1, 1))]
    votes = [0] * 64
    for window in windows:
        acc = 0
        for h in window:
            acc = (acc * 0x9E3779B97F4A7C15 + h) & MASK64
        h = _fmix(acc)
        for bit in range(64):
            votes[bit] += 1 if (h >> bit) & 1 else -1
    fingerprint = sum(1 << bit for bit in range(64) if votes[bit] > 0)
    return fingerprint or 1


def sentences(n: int, length: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    return [" ".join(rng.choice(WORDS) for _ in range(length)) for _ in range(n)]


def change_one_word(text: str, rng: random.Random) -> str:
    words = text.split()
    i = rng.randrange(len(words))
    words[i] = rng.choice([w for w in WORDS if w != words[i]]) + "x"
    return " ".join(words)


def brute_pairs(fps: list[int], max_distance: int) -> list[tuple[int, int]]:
    return [
        (i, j)
        for i in range(len(fps))
        for j in range(i + 1, len(fps))
        if fps[i] and fps[j] and bin(fps[i] ^ fps[j]).count("1") <= max_distance
    ]


def brute_groups(n: int, pairs: list[tuple[int, int]]) -> list[int]:
    parent = list(range(n))

    def root(i: int) -> int:
        while parent[i] != i:
            i = parent[i]
        return i

    for i, j in pairs:
        a, b = root(i), root(j)
        parent[max(a, b)] = min(a, b)
    return [root(i) for i in range(n)]  # the smallest row of each component is its root


@pytest.fixture
def small_blocks() -> Iterator[None]:
    """Tiny chunk sizes, so that every chunk boundary is crossed on small inputs."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(_simhash, "_TEXT_BYTES_PER_CHUNK", 40)
        mp.setattr(_simhash, "_SHINGLES_PER_BLOCK", 7)
        mp.setattr(_simhash, "_PAIRS_PER_BLOCK", 3)
        yield


# ---------------------------------------------------------------- fingerprints

REFERENCE_TEXTS = [
    SENTENCE,
    "Hello, World!",
    "one",
    "two words",
    "",
    None,
    "!!! ... ???",
    "Ünïcödé wörds, ÇA VA? 42 times_two",
    " ".join(sentences(1, 600, seed=7)),  # over 255 shingles: counters are summed in pieces
    "spam " * 600,  # 598 equal shingles: an 8-bit counter would overflow
    "a b a b a b a b",
]


@pytest.mark.parametrize("shingle", [1, 2, 3, 5])
def test_fingerprints_match_the_reference(shingle: int) -> None:
    got = simhash64(pl.Series(REFERENCE_TEXTS), shingle).to_list()
    assert got == [reference_simhash(t, shingle) for t in REFERENCE_TEXTS]


@pytest.mark.usefixtures("small_blocks")
@pytest.mark.parametrize("shingle", [1, 3])
def test_fingerprints_do_not_depend_on_chunking(shingle: int) -> None:
    texts = REFERENCE_TEXTS * 3 + sentences(20, 9, seed=1)
    got = simhash64(pl.Series(texts), shingle).to_list()
    assert got == [reference_simhash(t, shingle) for t in texts]


texts_strategy = st.lists(
    st.none()
    | st.lists(st.sampled_from([*WORDS[:12], "A", "b.", "--", "Ça", "x_y", "  "]), max_size=12).map(
        " ".join
    ),
    max_size=12,
)


@FAST
@given(texts=texts_strategy, shingle=st.integers(1, 4))
def test_fingerprints_match_the_reference_property(texts: list[str | None], shingle: int) -> None:
    got = simhash64(pl.Series(texts, dtype=pl.String), shingle).to_list()
    assert got == [reference_simhash(t, shingle) for t in texts]


def test_fingerprint_series_shape() -> None:
    fps = simhash64(pl.Series("body", ["a b c", None]))
    assert fps.dtype == pl.UInt64
    assert fps.name == "body"
    assert fps.to_list()[1] == 0
    assert simhash64(pl.Series([], dtype=pl.String)).len() == 0
    assert simhash64(pl.Series([None, None])).to_list() == [0, 0]  # a Null-typed Series


def test_categorical_reads_as_text() -> None:
    texts = ["red apple pie", "green apple pie", "red apple pie"]
    assert (
        simhash64(pl.Series(texts, dtype=pl.Categorical)).to_list()
        == simhash64(pl.Series(texts)).to_list()
    )


def test_identical_texts_get_identical_fingerprints() -> None:
    fps = simhash64(pl.Series([SENTENCE, "unrelated words here", SENTENCE])).to_list()
    assert fps[0] == fps[2] != fps[1]


def test_case_punctuation_and_spacing_do_not_change_the_fingerprint() -> None:
    variants = [
        SENTENCE,
        SENTENCE.upper(),
        SENTENCE.replace(" ", "  ,  ") + "!!!",
        "  " + SENTENCE.lower().replace("every", "every...") + ".",
    ]
    fps = simhash64(pl.Series(variants)).to_list()
    assert len(set(fps)) == 1
    assert near_duplicate_groups(np.array(fps, dtype=np.uint64)).tolist() == [0, 0, 0, 0]


def test_fingerprints_are_the_same_in_another_process() -> None:
    texts = [SENTENCE, "Hello, World!", "", "über straße 42"]
    code = (
        "import json, sys, polars as pl\n"
        "from fas_ray.etl._simhash import simhash64\n"
        "texts = json.loads(sys.argv[1])\n"
        "print(json.dumps(simhash64(pl.Series(texts, dtype=pl.String)).to_list()))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code, json.dumps(texts)],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    assert json.loads(result.stdout) == simhash64(pl.Series(texts)).to_list()


def test_unrelated_sentences_are_not_near_duplicates() -> None:
    texts = sentences(30, 20, seed=0)
    assert len(set(texts)) == 30
    fps = simhash64(pl.Series(texts)).to_numpy()
    assert near_duplicate_pairs(fps).shape == (0, 2)
    distances = hamming64(fps[:, None], fps[None, :])[np.triu_indices(30, 1)]
    assert distances.min() > 3
    assert 26 < distances.mean() < 38  # independent 64-bit fingerprints: 32 on average


def test_one_changed_word_moves_a_short_sentence_far_less_than_unrelated_text() -> None:
    """One word in 20 touches 3 of 18 shingles: a few bits, often more than 3 (see module doc)."""
    rng = random.Random(5)
    texts = sentences(40, 20, seed=3)
    edited = [change_one_word(t, rng) for t in texts]
    a = simhash64(pl.Series(texts)).to_numpy()
    b = simhash64(pl.Series(edited)).to_numpy()
    assert hamming64(a, b).mean() < 16
    assert hamming64(a, np.roll(a, 1)).mean() > 24


def test_one_changed_word_in_a_long_text_is_found_at_the_default_distance() -> None:
    rng = random.Random(11)
    texts = sentences(30, 1000, seed=4)
    edited = [change_one_word(t, rng) for t in texts]
    fps = simhash64(pl.Series(texts + edited)).to_numpy()
    pairs = {tuple(p) for p in near_duplicate_pairs(fps).tolist()}
    found = sum((i, i + 30) in pairs for i in range(30))
    assert found >= 24  # about 94% of one-word edits of 1000 words stay within 3 bits
    assert pairs <= {(i, i + 30) for i in range(30)}


def test_hamming64() -> None:
    a = np.array([0, 1, 0xFF, MASK64], dtype=np.uint64)
    assert hamming64(a, np.zeros(4, dtype=np.uint64)).tolist() == [0, 1, 8, 64]
    assert hamming64(a, a).tolist() == [0, 0, 0, 0]
    assert hamming64(a[:, None], a[None, :]).shape == (4, 4)


# ---------------------------------------------------------------- pairs and groups


@st.composite
def planted_fingerprints(draw: st.DrawFn) -> tuple[list[int], int, int | None]:
    max_distance = draw(st.integers(0, 16))
    bands = draw(st.none() | st.integers(max_distance + 1, min(64, max_distance + 2)))
    bases = draw(st.lists(st.integers(0, MASK64), min_size=1, max_size=12))
    fps = list(bases)
    for base in bases:
        for _ in range(draw(st.integers(0, 3))):
            flips = draw(st.sets(st.integers(0, 63), max_size=max_distance + 2))
            fps.append(base ^ sum(1 << bit for bit in flips))
    fps += draw(st.lists(st.sampled_from([0, *bases]), max_size=6))  # exact copies and empties
    order = draw(st.permutations(range(len(fps))))
    return [fps[i] for i in order][:60], max_distance, bands


@FAST
@given(case=planted_fingerprints())
def test_banding_finds_exactly_the_brute_force_pairs(
    case: tuple[list[int], int, int | None],
) -> None:
    fps, max_distance, bands = case
    array = np.array(fps, dtype=np.uint64)
    expected = brute_pairs(fps, max_distance)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(_simhash, "_PAIRS_PER_BLOCK", 5)
        pairs = near_duplicate_pairs(array, max_distance, bands)
        groups = near_duplicate_groups(array, max_distance, bands)
    assert pairs.dtype == np.int64
    assert pairs.shape == (len(expected), 2)
    assert [tuple(p) for p in pairs.tolist()] == expected  # sorted, i < j, no repeats
    assert groups.tolist() == brute_groups(len(fps), expected)


@pytest.mark.usefixtures("small_blocks")
def test_many_copies_of_one_text() -> None:
    fps = np.array([5, 0, 5, 7, 5, 5, MASK64], dtype=np.uint64)  # 5 and 7 are 1 bit apart
    assert [tuple(p) for p in near_duplicate_pairs(fps).tolist()] == brute_pairs(fps.tolist(), 3)
    assert near_duplicate_groups(fps).tolist() == [0, 1, 0, 0, 0, 0, 6]


def test_groups_are_transitive() -> None:
    a = 0x0123_4567_89AB_CDEF
    b = a ^ 0b111  # 3 bits from a
    c = b ^ (0b111 << 20)  # 3 bits from b, 6 from a
    fps = np.array([a, 1 << 63, c, b], dtype=np.uint64)
    assert near_duplicate_pairs(fps).tolist() == [[0, 3], [2, 3]]
    assert near_duplicate_groups(fps).tolist() == [0, 1, 0, 0]


def test_distance_zero_groups_identical_fingerprints_only() -> None:
    fps = np.array([9, 8, 9, 0, 0], dtype=np.uint64)
    assert near_duplicate_pairs(fps, max_distance=0).tolist() == [[0, 2]]
    assert near_duplicate_groups(fps, max_distance=0).tolist() == [0, 1, 0, 3, 4]


def test_fingerprints_as_a_series_with_nulls() -> None:
    fps = pl.Series([3, None, 3, 2], dtype=pl.UInt64)
    assert near_duplicate_groups(fps).tolist() == [0, 1, 0, 0]
    assert near_duplicate_pairs(pl.Series([], dtype=pl.UInt64)).shape == (0, 2)


def test_empty_and_null_texts_are_never_grouped() -> None:
    df = pl.DataFrame({"text": ["", None, "!!!", "", None, " ", "words"]})
    groups, report = find_near_duplicates(df, "text")
    assert groups.tolist() == list(range(7))
    assert (report.groups, report.rows_in_groups, report.removable) == (0, 0, 0)
    out, removed = drop_near_duplicates(df, ["text"])
    assert removed == 0
    assert out.equals(df)


# ---------------------------------------------------------------- frames


def test_find_near_duplicates_reports_groups_and_examples() -> None:
    base = sentences(5, 12, seed=9)
    assert all(len(t) < 119 for t in base)
    long_text = "Lorem " * 40
    texts = [
        base[0],
        base[1],
        base[0].upper(),
        base[2],
        base[0] + "!",
        base[1].title(),
        long_text,
        long_text.lower(),
        base[3],
        base[4],
        base[4] + ".",
        base[0] + "?",
    ]
    groups, report = find_near_duplicates(pl.DataFrame({"t": texts}), "t")
    assert groups.tolist() == [0, 1, 0, 3, 0, 1, 6, 6, 8, 9, 9, 0]
    assert report == NearDuplicateReport(
        column="t",
        groups=4,
        rows_in_groups=10,
        removable=6,
        max_distance=3,
        examples=[
            [base[0], base[0].upper(), base[0] + "!"],
            [base[1], base[1].title()],
            [long_text[:119] + "…", long_text.lower()[:119] + "…"],
        ],
    )
    assert all(len(t) <= 120 for group in report.examples for t in group)
    assert json.loads(json.dumps(report.to_json())) == {
        "column": "t",
        "groups": 4,
        "rows_in_groups": 10,
        "removable": 6,
        "max_distance": 3,
        "examples": report.examples,
    }


def test_drop_near_duplicates_keeps_the_first_of_each_group() -> None:
    a, b, c = sentences(3, 20, seed=2)
    df = pl.DataFrame(
        {
            "id": [1, 2, 3, 4, 5, 6],
            "title": ["x", "y", "x!", "z", "Y", "w"],
            "body": [a, b, a.upper(), c, b + ".", a],
        }
    )
    out, removed = drop_near_duplicates(df, ["body"])
    assert removed == 3
    assert out["id"].to_list() == [1, 2, 4]
    out, removed = drop_near_duplicates(df, ["body", "title"])
    assert out["id"].to_list() == [1, 2, 4]  # "title" runs on the rows "body" kept
    assert removed == 3
    out, removed = drop_near_duplicates(df, ["title", "body"])
    assert out["id"].to_list() == [1, 2, 4]  # title drops 3 and 5, then body drops 6
    assert removed == 3
    out, removed = drop_near_duplicates(df, [])
    assert removed == 0 and out.equals(df)


# ---------------------------------------------------------------- validation


@pytest.mark.parametrize("max_distance", [-1, 17, 2.5, True, "3"])
def test_bad_max_distance(max_distance: object) -> None:
    fps = np.array([1, 2], dtype=np.uint64)
    with pytest.raises(ConfigError, match="max_distance must be an integer from 0 to 16"):
        near_duplicate_pairs(fps, max_distance)  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="max_distance"):
        near_duplicate_groups(fps, max_distance)  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="max_distance"):
        find_near_duplicates(pl.DataFrame({"t": ["a"]}), "t", max_distance)  # type: ignore[arg-type]


@pytest.mark.parametrize("shingle", [0, -2, 1.5])
def test_bad_shingle(shingle: object) -> None:
    with pytest.raises(ConfigError, match="shingle must be an integer of at least 1"):
        simhash64(pl.Series(["a b"]), shingle)  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="shingle"):
        drop_near_duplicates(pl.DataFrame({"t": ["a"]}), ["t"], shingle=shingle)  # type: ignore[arg-type]


@pytest.mark.parametrize("bands", [3, 65, 0, 2.0])
def test_bad_bands(bands: object) -> None:
    with pytest.raises(ConfigError, match="bands"):
        near_duplicate_pairs(np.array([1, 2], dtype=np.uint64), 3, bands)  # type: ignore[arg-type]


def test_too_many_tables() -> None:
    with pytest.raises(ConfigError, match="lookup tables"):
        near_duplicate_groups(np.array([1, 2], dtype=np.uint64), 16, 30)


def test_bad_columns() -> None:
    df = pl.DataFrame({"text": ["a"], "n": [1]})
    with pytest.raises(InputError, match=r"'body' is not in the data\. Columns: text, n\."):
        find_near_duplicates(df, "body")
    with pytest.raises(InputError, match="'n' is Int64, not text"):
        drop_near_duplicates(df, ["text", "n"])
    with pytest.raises(ConfigError, match="list of column names"):
        drop_near_duplicates(df, "text")  # type: ignore[arg-type]


def test_bad_inputs() -> None:
    with pytest.raises(InputError, match="string Series"):
        simhash64(pl.Series([1, 2]))
    with pytest.raises(InputError, match="Polars Series"):
        simhash64(["a"])  # type: ignore[arg-type]
    with pytest.raises(InputError, match="one-dimensional"):
        near_duplicate_pairs(np.zeros((2, 2), dtype=np.uint64))
    with pytest.raises(InputError, match="one-dimensional"):
        near_duplicate_groups(np.array([0.5, 1.5]))
    with pytest.raises(InputError, match="UInt64"):
        near_duplicate_groups(pl.Series(["a"]))
