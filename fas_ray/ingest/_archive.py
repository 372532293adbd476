"""Compressed inputs: ``<name>.<ext>.gz``, or a ``.zip`` holding a data file, unpacked to disk.

The data is copied out a chunk at a time, and the copy stops once it passes the size limit,
or once it is past ``BOMB_GRACE_BYTES`` and over ``MAX_INFLATE_RATIO`` times its packed size
(Apache POI's zip-bomb rule for Office files, whose minimum inflate ratio is 0.01): a small
archive that unpacks to a huge file (a zip bomb) fails early, before it fills the disk.
"""

from __future__ import annotations

import contextlib
import gzip
import logging
import shutil
import tempfile
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import Protocol

from fas_ray.exceptions import InputError
from fas_ray.ingest._formats import DATA_EXTENSIONS
from fas_ray.ingest._sniff import signature_problem

__all__ = [
    "BOMB_GRACE_BYTES",
    "COMPRESSIONS",
    "MAX_INFLATE_RATIO",
    "check_inflate_ratio",
    "human_size",
    "split_extension",
    "unpacked",
]

log = logging.getLogger("fas_ray.ingest")

COMPRESSIONS = {".gz": "gz", ".zip": "zip"}
_CHUNK = 1 << 20
_SHOWN_MEMBERS = 5
MAX_INFLATE_RATIO = 100
BOMB_GRACE_BYTES = 64 << 20


class _Readable(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...


def human_size(n: int) -> str:
    """``n`` bytes for people: ``512 B``, ``1.5 MiB``, ``20.0 GiB``."""
    if n < 1024:
        return f"{n} B"
    size, unit = n / 1024, "KiB"
    for bigger in ("MiB", "GiB"):
        if size < 1024:
            break
        size, unit = size / 1024, bigger
    return f"{size:.1f} {unit}"


def split_extension(name: str) -> tuple[str, str | None]:
    """The data extension and the compression of a file name: ``data.CSV.gz`` gives
    ``(".csv", "gz")``; a ``.zip`` gives ``("", "zip")``, its content being known only inside."""
    path = PurePosixPath(name)
    ext = path.suffix.lower()
    compression = COMPRESSIONS.get(ext)
    if compression == "gz":
        return PurePosixPath(path.stem).suffix.lower(), compression
    if compression == "zip":
        return "", compression
    return ext, None


def check_inflate_ratio(what: str, unpacked: int, packed: int) -> None:
    """Refuse ``unpacked`` bytes from ``packed`` once past the grace size and over the ratio.

    Raises:
        InputError: it looks like a zip bomb.
    """
    if unpacked > BOMB_GRACE_BYTES and unpacked > MAX_INFLATE_RATIO * max(packed, 1):
        raise InputError(
            f"{what} unpacks to over {MAX_INFLATE_RATIO} times its packed size "
            f"({human_size(packed)} to more than {human_size(unpacked)}), like a zip bomb; "
            "if the data is genuine, unpack it yourself and give the data file."
        )


def _copy(source: _Readable, dest: Path, what: str, max_bytes: int, packed: int) -> None:
    total = 0
    with open(dest, "wb") as out:
        while block := source.read(_CHUNK):
            total += len(block)
            if total > max_bytes:
                raise InputError(
                    f"{what} unpacks to more than the size limit of {human_size(max_bytes)}; "
                    "raise the limit (max_bytes) or split the data."
                )
            check_inflate_ratio(what, total, packed)
            out.write(block)


def _gunzip(path: Path, name: str, ext: str, folder: Path, max_bytes: int) -> Path:
    with open(path, "rb") as fh:
        problem = signature_problem(fh.read(16), "gz")
    if problem:
        raise InputError(f"Cannot read '{name}' as gzip: {problem}; check the file.")
    out = folder / f"data{ext}"
    try:
        with gzip.open(path, "rb") as fh:
            _copy(fh, out, f"'{name}'", max_bytes, path.stat().st_size)
    except (OSError, EOFError, zlib.error) as exc:
        raise InputError(
            f"Cannot decompress '{name}': {exc}; check that the file is complete."
        ) from None
    return out


def _data_member(archive: zipfile.ZipFile, name: str) -> zipfile.ZipInfo:
    files = [
        info
        for info in archive.infolist()
        if not info.is_dir()
        and not info.filename.startswith("__MACOSX/")
        and not PurePosixPath(info.filename).name.startswith(".")
    ]
    data = [info for info in files if split_extension(info.filename)[0] in DATA_EXTENSIONS]
    if not data:
        shown = ", ".join(info.filename for info in files[:_SHOWN_MEMBERS])
        held = f"it holds {shown}" + (", ..." if len(files) > _SHOWN_MEMBERS else "")
        raise InputError(
            f"'{name}' holds no data file ({held if files else 'it is empty'}); put one CSV, "
            "TSV, Excel, Parquet or JSON file in it."
        )
    if len(data) > 1:
        log.info("%s holds %d data files; reading the first, %s", name, len(data), data[0].filename)
    return data[0]


def _unzip(path: Path, name: str, folder: Path, max_bytes: int) -> tuple[Path, str, str]:
    with open(path, "rb") as fh:
        problem = signature_problem(fh.read(16), "zip")
    if problem:
        raise InputError(f"Cannot read '{name}' as a ZIP archive: {problem}; check the file.")
    try:
        with zipfile.ZipFile(path) as archive:
            info = _data_member(archive, name)
            ext = split_extension(info.filename)[0]
            out = folder / f"data{ext}"
            with archive.open(info) as fh:
                _copy(fh, out, f"'{info.filename}' in '{name}'", max_bytes, info.compress_size)
    except (zipfile.BadZipFile, OSError, EOFError, RuntimeError, NotImplementedError) as exc:
        raise InputError(
            f"Cannot unpack '{name}': {exc}; check that the archive is complete and not encrypted."
        ) from None
    return out, ext, info.filename


@contextlib.contextmanager
def unpacked(
    path: Path, name: str, compression: str | None, workdir: Path, max_bytes: int
) -> Iterator[tuple[Path, str, str | None]]:
    """Yield the data file inside ``path``, its extension, and its name in a zip archive.

    An uncompressed ``path`` is yielded as it is; otherwise the data is unpacked into a new
    folder under ``workdir``, removed on leaving.
    """
    if compression is None:
        yield path, path.suffix.lower(), None
        return
    folder = Path(tempfile.mkdtemp(prefix=".unpacked-", dir=workdir))
    try:
        if compression == "gz":
            ext = split_extension(path.name)[0]
            yield _gunzip(path, name, ext, folder, max_bytes), ext, None
        else:
            yield _unzip(path, name, folder, max_bytes)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
