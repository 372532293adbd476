"""Ingest: validate an input file, hash it, and store it as the bronze layer."""

from fas_ray.ingest._files import (
    DEFAULT_MAX_BYTES,
    SUPPORTED_EXTENSIONS,
    BronzeDataset,
    ingest_file,
    read_table,
    sha256_file,
)
from fas_ray.ingest._sources import ingest_source, ingest_url, is_url

__all__ = [
    "DEFAULT_MAX_BYTES",
    "SUPPORTED_EXTENSIONS",
    "BronzeDataset",
    "ingest_file",
    "ingest_source",
    "ingest_url",
    "is_url",
    "read_table",
    "sha256_file",
]
