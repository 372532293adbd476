"""One entry for every source: a file path, or http(s) URLs to scrape, → the bronze layer.

Scraped rows are stored like a file's: ``bronze/<id>/data.parquet`` + ``meta.json``, where the id
comes from the SHA-256 of the written Parquet (a crawl is a snapshot: the same rows fetched at
another time are another data set) and ``meta.json`` keeps the start URLs and the crawl's
statistics.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from fas_ray.config import IngestOptions
from fas_ray.ingest._files import BronzeDataset, ingest_file, sha256_file
from fas_ray.manifest import utc_now
from fas_ray.storage import DataRoot, write_json

__all__ = ["ingest_source", "ingest_url", "is_url", "scrape_options"]


def is_url(source: str) -> bool:
    """Whether ``source`` names a web page rather than a file."""
    return source.strip().lower().startswith(("http://", "https://"))


def scrape_options(options: IngestOptions) -> Any:
    """The scraper's options for these ingest options."""
    from fas_ray.ingest.scrape import ScrapeOptions

    return ScrapeOptions(
        max_pages=options.max_pages,
        rate=options.rate,
        selector=options.selector,
        js=options.js,
        sitemap=options.sitemap,
        allow_private=options.allow_private,
        max_seconds=options.max_seconds,
    )


def ingest_url(
    urls: str | list[str], root: DataRoot, options: IngestOptions | None = None
) -> BronzeDataset:
    """Scrape ``urls`` (see :func:`fas_ray.ingest.scrape.scrape`) and store the rows as bronze.

    Raises:
        InputError: a refused or unreachable address, robots.txt forbidding the start page, or no
            extractable rows (:class:`fas_ray.ingest.scrape.ScrapeError`); nothing is stored.
    """
    from fas_ray.ingest.scrape import scrape

    options = options or IngestOptions()
    start = [urls] if isinstance(urls, str) else list(urls)
    result = scrape(start, scrape_options(options))
    fetch: dict[str, Any] = dict(result.stats)
    fetch["pages"] = [
        {
            "url": p.final_url or p.url,
            "status": p.status,
            "bytes": p.bytes,
            "renderer": p.renderer,
            "rows": p.rows,
            **({"error": p.error} if p.error else {}),
        }
        for p in result.pages
    ]
    bronze_dir = root.layer("bronze")
    bronze_dir.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".web.", suffix=".tmp", dir=bronze_dir))
    try:
        data = tmp / "data.parquet"
        pq.write_table(result.table, data, compression="snappy", **root.parquet_options)
        sha = sha256_file(data)
        dataset_id = f"web-{sha[:16]}"
        dest = root.bronze(dataset_id)
        meta_path = dest / "meta.json"
        if meta_path.is_file():
            return BronzeDataset.from_json(json.loads(meta_path.read_text(encoding="utf-8")))
        dataset = BronzeDataset(
            dataset_id=dataset_id,
            path=dest / "data.parquet",
            source=start[0] if len(start) == 1 else " ".join(start),
            sha256=sha,
            size_bytes=data.stat().st_size,
            rows=result.table.num_rows,
            columns=list(result.table.column_names),
            ingested_at=utc_now(),
            format="web",
            urls=start,
            fetch=fetch,
        )
        write_json(tmp / "meta.json", dataset.to_json())
        for stored in (data, tmp / "meta.json"):
            stored.chmod(0o444)
        os.replace(tmp, dest)
        return dataset
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def ingest_source(
    source: str | Path, root: DataRoot, options: IngestOptions | None = None
) -> BronzeDataset:
    """A file path or an http(s) URL → bronze; what ``fas-ray ingest`` and every run start with."""
    options = options or IngestOptions()
    if isinstance(source, str) and is_url(source):
        return ingest_url(source, root, options)
    return ingest_file(source, root, sheet=options.sheet, max_bytes=options.max_bytes)
