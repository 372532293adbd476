"""Where each layer and artifact lives under a data root.

::

    <root>/bronze/<dataset_id>/data.parquet     raw input as Parquet, immutable
    <root>/silver/<run_id>/                      cleaned Parquet (one or more files)
    <root>/gold/<run_id>/holdout.parquet         holdout rows with their predictions
    <root>/runs/<run_id>/manifest.json           the run's manifest, report and search results
    <root>/models/<model_id>/model.pkl           registered models
    <root>/uploads/<dataset_id>/<name>           files uploaded through the pipeline API
    <root>/schedules.json                        recurring runs of the pipeline API
    <root>/registry.sqlite                       the model registry
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fas_ray.storage._crypt import ParquetKey, read_arrow, write_options

__all__ = ["LAYERS", "DataRoot"]

LAYERS = ("bronze", "silver", "gold", "features", "models", "reports", "runs", "uploads")


@dataclass(frozen=True)
class DataRoot:
    """Paths under one data root. Creates nothing until :meth:`ensure` is called.

    With ``key``, the Parquet layers (bronze, silver, gold) are written encrypted and read
    through :meth:`read` (see :mod:`fas_ray.storage._crypt`).
    """

    root: Path
    key: ParquetKey | None = field(default=None, compare=False)

    def read(self, path: Path, columns: list[str] | None = None) -> Any:
        """A layer's Parquet file or folder as a polars frame (decrypted with the key).

        Raises:
            StorageError: it is encrypted and this root has no key, or not the key that opens it.
        """
        import polars as pl

        return pl.from_arrow(read_arrow(path, self.key, columns))

    @property
    def parquet_options(self) -> dict[str, Any]:
        """Keyword arguments for pyarrow's Parquet writers (the encryption, with a key)."""
        return write_options(self.key)

    def ensure(self) -> DataRoot:
        """Create the root and its layer folders."""
        for layer in LAYERS:
            (self.root / layer).mkdir(parents=True, exist_ok=True)
        return self

    def layer(self, name: str) -> Path:
        if name not in LAYERS:
            raise ValueError(f"Unknown layer {name!r}; layers are {', '.join(LAYERS)}.")
        return self.root / name

    def bronze(self, dataset_id: str) -> Path:
        return self.root / "bronze" / dataset_id

    def silver(self, run_id: str) -> Path:
        return self.root / "silver" / run_id

    def gold(self, run_id: str) -> Path:
        return self.root / "gold" / run_id

    def run_dir(self, run_id: str) -> Path:
        return self.root / "runs" / run_id

    def model_dir(self, model_id: str) -> Path:
        return self.root / "models" / model_id

    @property
    def schedules(self) -> Path:
        return self.root / "schedules.json"

    @property
    def registry_db(self) -> Path:
        return self.root / "registry.sqlite"
