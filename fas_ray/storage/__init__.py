"""Layer paths under a data root and atomic writes."""

from fas_ray.storage._atomic import (
    atomic_dir,
    atomic_write_bytes,
    atomic_write_text,
    csv_safe_text,
    write_json,
    write_parquet_atomic,
)
from fas_ray.storage._crypt import ParquetKey
from fas_ray.storage._layers import LAYERS, DataRoot

__all__ = [
    "LAYERS",
    "DataRoot",
    "ParquetKey",
    "atomic_dir",
    "atomic_write_bytes",
    "atomic_write_text",
    "csv_safe_text",
    "write_json",
    "write_parquet_atomic",
]
