"""Parquet modular encryption of the data layers (``--encrypt-key FILE``).

Bronze, silver and gold files are written with Parquet modular encryption (pyarrow): every
column and the footer are encrypted (AES-GCM) with data keys that are themselves wrapped by the
user's key (AES-GCM, :mod:`cryptography`) and stored in the file, so the file alone reveals
nothing and only the key opens it. The key file holds 16, 24 or 32 random bytes, raw or as hex
or base64 text (``head -c 32 /dev/urandom > key``).

Readers that cannot decrypt (polars, DuckDB, Ray Data) never see these files: everything
under an encrypted data root is read through :func:`read_parquet` here (into memory), and the
ETL runs in-process.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fas_ray.exceptions import StorageError

__all__ = ["ParquetKey", "is_encrypted", "parquet_files", "read_arrow", "write_options"]

_ENCRYPTED_MAGIC = b"PARE"  # a Parquet file whose footer is encrypted ends with this
_KEY_ID = "fas-ray"
_KEY_SIZES = (16, 24, 32)


@dataclass(frozen=True)
class ParquetKey:
    """The user's key; never printed (its fingerprint names it in messages and layer ids)."""

    secret: bytes = field(repr=False)

    def __post_init__(self) -> None:
        if len(self.secret) not in _KEY_SIZES:
            raise StorageError(
                f"An encryption key must be 16, 24 or 32 bytes; this one has {len(self.secret)}. "
                "Make one with: head -c 32 /dev/urandom > key"
            )

    @property
    def fingerprint(self) -> str:
        return hashlib.sha256(b"fas-ray key\0" + self.secret).hexdigest()[:12]

    @classmethod
    def from_file(cls, path: str | Path) -> ParquetKey:
        """Read a key file: raw bytes, or the same as hex or base64 text.

        Raises:
            StorageError: the file is missing, unreadable or holds no key of a valid size.
        """
        try:
            raw = Path(path).read_bytes()
        except OSError as exc:
            raise StorageError(f"Cannot read the key file '{path}': {exc.strerror}.") from None
        if len(raw) in _KEY_SIZES:
            return cls(raw)
        text = raw.strip()
        for decode in (binascii.unhexlify, functools.partial(base64.b64decode, validate=True)):
            try:
                secret = decode(text)
            except (binascii.Error, ValueError):
                continue
            if len(secret) in _KEY_SIZES:
                return cls(secret)
        raise StorageError(
            f"The key file '{path}' holds no 16-, 24- or 32-byte key (raw, hex or base64); "
            "make one with: head -c 32 /dev/urandom > key"
        )


def _crypto_factory(key: ParquetKey) -> Any:
    import pyarrow.parquet.encryption as pe
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    aead = AESGCM(key.secret)

    class _KeyFileKms(pe.KmsClient):
        """Wraps each file's data keys with the user's key (AES-GCM, random nonce)."""

        def wrap_key(self, key_bytes: bytes, master_key_identifier: str) -> bytes:
            nonce = os.urandom(12)
            sealed = aead.encrypt(nonce, key_bytes, master_key_identifier.encode())
            return base64.b64encode(nonce + sealed)

        def unwrap_key(self, wrapped_key: bytes, master_key_identifier: str) -> bytes:
            raw = base64.b64decode(wrapped_key)
            return bytes(aead.decrypt(raw[:12], raw[12:], master_key_identifier.encode()))

    return pe.CryptoFactory(lambda _config: _KeyFileKms())


@functools.lru_cache(maxsize=8)
def _properties(key: ParquetKey) -> tuple[Any, Any]:
    import pyarrow.parquet.encryption as pe

    factory, kms = _crypto_factory(key), pe.KmsConnectionConfig()
    encryption = factory.file_encryption_properties(
        kms,
        pe.EncryptionConfiguration(
            footer_key=_KEY_ID, uniform_encryption=True, double_wrapping=False
        ),
    )
    decryption = factory.file_decryption_properties(kms, pe.DecryptionConfiguration())
    return encryption, decryption


def write_options(key: ParquetKey | None) -> dict[str, Any]:
    """Keyword arguments for ``pq.write_table`` / ``pq.ParquetWriter``: encrypted with ``key``."""
    return {"encryption_properties": _properties(key)[0]} if key is not None else {}


def is_encrypted(file: Path) -> bool:
    """Whether a Parquet file's footer is encrypted (it then ends with ``PARE``)."""
    try:
        with open(file, "rb") as fh:
            fh.seek(-4, os.SEEK_END)
            return fh.read(4) == _ENCRYPTED_MAGIC
    except OSError:
        return False


def parquet_files(path: Path) -> list[Path]:
    """The Parquet files of a file or a folder (recursively, in name order)."""
    path = Path(path)
    return sorted(path.rglob("*.parquet")) if path.is_dir() else [path]


def read_arrow(path: Path, key: ParquetKey | None, columns: Sequence[str] | None = None) -> Any:
    """A Parquet file or folder as one Arrow table, decrypted with ``key``.

    Raises:
        StorageError: a file is encrypted and no key was given, or the key does not open it.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    files = parquet_files(path)
    if key is None:
        locked = next((f for f in files if is_encrypted(f)), None)
        if locked is not None:
            raise StorageError(
                f"'{locked}' is encrypted; give its key with --encrypt-key FILE "
                "(AutoML / Settings: encrypt_key)."
            )
        parts = [pq.read_table(f, columns=columns) for f in files]
    else:
        decryption = _properties(key)[1]
        parts = []
        for f in files:
            if not is_encrypted(f):  # written before a key was used: readable as it is
                parts.append(pq.read_table(f, columns=columns))
                continue
            try:
                parts.append(pq.read_table(f, columns=columns, decryption_properties=decryption))
            except Exception as exc:  # pyarrow raises OSError, ValueError, ... for a wrong key
                raise StorageError(
                    f"The key {key.fingerprint} does not open '{f}' (it was encrypted with "
                    f"another key: {type(exc).__name__})."
                ) from None
    if not parts:
        raise StorageError(f"No Parquet files under '{path}'.")
    return pa.concat_tables(parts) if len(parts) > 1 else parts[0]
