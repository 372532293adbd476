"""Ingest: validate an input file, hash it, and store it as the bronze layer."""

from fas_ray.ingest._files import (
    SUPPORTED_EXTENSIONS,
    BronzeDataset,
    ingest_file,
    read_table,
    sha256_file,
)

__all__ = ["SUPPORTED_EXTENSIONS", "BronzeDataset", "ingest_file", "read_table", "sha256_file"]
