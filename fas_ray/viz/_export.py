"""Write figures to disk: self-contained offline HTML, and PNG through one headless Chromium."""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import plotly.graph_objects as go

from fas_ray.exceptions import InputError, PipelineError
from fas_ray.storage import atomic_write_bytes, atomic_write_text

__all__ = ["PngExport", "export_png", "to_html", "to_html_page", "to_png"]

log = logging.getLogger("fas_ray.viz")

_INSTALL_CHROMIUM = "apt-get install -y chromium"
_SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
# a tag that loads something from the network: <script src="https://...">, <link href="//...">
_EXTERNAL_TAG = re.compile(
    r"""<(?:script|link|img|iframe)\b[^>]*?\b(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""",
    re.IGNORECASE,
)


def _require_figure(fig: object, what: str) -> go.Figure:
    if not isinstance(fig, go.Figure):
        raise InputError(
            f"{what} is a {type(fig).__name__}, not a plotly Figure; pass a figure from "
            "fas_ray.viz or plotly.graph_objects.Figure(...)."
        )
    return fig


def to_html(fig: go.Figure, path: str | Path) -> Path:
    """Write ``fig`` as one HTML file that works offline, atomically.

    plotly.js is embedded (about 4.5 MB); no script or stylesheet is loaded from a CDN and
    MathJax is left out.

    Args:
        fig: The figure.
        path: Where to write; missing parent folders are created.

    Returns:
        The path written.

    Example:
        >>> import tempfile, plotly.graph_objects as go
        >>> out = to_html(go.Figure(go.Bar(y=[1, 2])), Path(tempfile.mkdtemp()) / "bar.html")
        >>> out.exists()
        True
    """
    fig = _require_figure(fig, "fig")
    html = fig.to_html(
        include_plotlyjs=True,
        include_mathjax=False,
        full_html=True,
        config={"displaylogo": False},
    )
    if _EXTERNAL_TAG.search(html):
        raise PipelineError(
            "The HTML export would load a script from the network; this is a fas-ray bug, "
            "please report it with your plotly version."
        )
    return atomic_write_text(Path(path), html)


def to_html_page(figs: Mapping[str, go.Figure], path: str | Path, title: str = "Charts") -> Path:
    """Write many figures into one offline HTML page, plotly.js embedded once, atomically.

    Each figure gets a heading (its name) and an anchor; a table of contents links them.

    Example:
        >>> import tempfile, plotly.graph_objects as go
        >>> page = Path(tempfile.mkdtemp()) / "all.html"
        >>> to_html_page({"a": go.Figure(go.Bar(y=[1]))}, page).exists()
        True
    """
    import html as html_lib

    from plotly.offline import get_plotlyjs

    if not figs:
        raise InputError("No figures to write; pass at least one.")
    parts = []
    for name, fig in figs.items():
        _require_figure(fig, f"The figure {name!r}")
        anchor = html_lib.escape(name, quote=True)
        body = fig.to_html(
            include_plotlyjs=False,
            include_mathjax=False,
            full_html=False,
            config={"displaylogo": False},
        )
        parts.append(f'<section id="{anchor}"><h2>{html_lib.escape(name)}</h2>{body}</section>')
    toc = "".join(
        f'<li><a href="#{html_lib.escape(n, quote=True)}">{html_lib.escape(n)}</a></li>'
        for n in figs
    )
    page = (
        '<!DOCTYPE html><html><head><meta charset="utf-8">'
        f"<title>{html_lib.escape(title)}</title>"
        "<style>body{font-family:sans-serif;margin:2em}section{margin-bottom:3em}</style>"
        f'<script type="text/javascript">{get_plotlyjs()}</script></head><body>'
        f"<h1>{html_lib.escape(title)}</h1><ul>{toc}</ul>{''.join(parts)}</body></html>"
    )
    if _EXTERNAL_TAG.search(page):
        raise PipelineError("The HTML page would load a script from the network; a fas-ray bug.")
    return atomic_write_text(Path(path), page)


def _browser_path() -> str | None:
    """The Chrome/Chromium kaleido would start (``BROWSER_PATH``, then ``PATH``), or None."""
    from choreographer.browsers import Chromium

    found = Chromium.find_browser(skip_local=False)
    return found if found and Path(found).is_file() else None


async def _render(
    figs: Mapping[str, go.Figure],
    opts: dict[str, Any],
    deadline: float | None = None,
    clock: Callable[[], float] = time.perf_counter,
) -> tuple[dict[str, bytes], dict[str, str], list[str]]:
    """Render every figure in one browser session, which is closed on exit or error; a figure
    plotly.js cannot draw is skipped (name → error) instead of losing the others. With a
    ``deadline`` (a ``clock`` value), figures are drawn in order while the next one, at the
    mean time of those drawn so far, still ends before it; the rest are returned as skipped."""
    import kaleido
    from choreographer.errors import BrowserFailedError

    images: dict[str, bytes] = {}
    failed: dict[str, str] = {}
    skipped: list[str] = []
    async with kaleido.Kaleido(n=1, mathjax=False) as browser:
        begun, drawn = clock(), 0
        names = list(figs)
        for i, name in enumerate(names):
            if deadline is not None and drawn:
                mean = (clock() - begun) / drawn
                if clock() + mean > deadline:
                    skipped = names[i:]
                    break
            try:
                images[name] = await browser.calc_fig(figs[name], opts=opts)
            except BrowserFailedError:
                raise
            except Exception as exc:  # kaleido's KaleidoError: a plotly.js error for this figure
                failed[name] = f"{type(exc).__name__}: {exc}"[:300]
            drawn += 1
    return images, failed, skipped


@dataclass(frozen=True)
class PngExport:
    """What :func:`export_png` wrote: PNG paths by figure name, figures plotly.js could not
    draw (name → error), and figures left out because the time was up (in order)."""

    paths: dict[str, Path]
    failed: dict[str, str] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)


def to_png(
    figs: Mapping[str, go.Figure],
    out_dir: str | Path,
    width: int = 1000,
    height: int = 600,
    scale: float = 1.0,
) -> dict[str, Path]:
    """Write each figure to ``out_dir/<name>.png`` with kaleido, starting Chromium once.

    One browser serves all figures (starting one costs seconds; an image then takes a
    fraction of a second) and is closed before returning, also on error. Rendering runs in
    a worker thread with its own event loop, so this also works when called from async
    code. Each file is written to a temporary name and renamed.

    Args:
        figs: Figures by name; a name becomes the file name, so it may hold only letters,
            digits, ``.``, ``_`` and ``-``.
        out_dir: The folder to write to; created if missing.
        width: Image width in CSS pixels.
        height: Image height in CSS pixels.
        scale: Pixel ratio: a PNG is ``width * scale`` by ``height * scale`` pixels.

    Returns:
        The path of each written PNG, by figure name.

    Raises:
        InputError: A name, figure or size is invalid.
        PipelineError: kaleido or Chromium is missing or Chromium fails to start.

    Example:
        >>> import plotly.graph_objects as go
        >>> paths = to_png({"bars": go.Figure(go.Bar(y=[1, 2]))}, "/tmp/figs")  # doctest: +SKIP
        >>> paths["bars"].name  # doctest: +SKIP
        'bars.png'
    """
    return export_png(figs, out_dir, width=width, height=height, scale=scale).paths


def export_png(
    figs: Mapping[str, go.Figure],
    out_dir: str | Path,
    *,
    width: int = 1000,
    height: int = 600,
    scale: float = 1.0,
    seconds: float | None = None,
    clock: Callable[[], float] = time.perf_counter,
) -> PngExport:
    """:func:`to_png` within ``seconds`` (``None``: no limit), browser start included: the
    figures are drawn in the order given while the next one still fits, the rest are
    skipped and listed; what plotly.js cannot draw is listed as failed.

    Raises:
        InputError: A name, figure or size is invalid.
        PipelineError: kaleido or Chromium is missing or Chromium fails to start.
    """
    deadline = None if seconds is None else clock() + seconds
    for name, fig in figs.items():
        if not isinstance(name, str) or not _SAFE_NAME.fullmatch(name):
            raise InputError(
                f"The figure name {name!r} cannot be a file name; use letters, digits, "
                "'.', '_' and '-' only."
            )
        _require_figure(fig, f"The figure {name!r}")
    for label, size in (("width", width), ("height", height)):
        if isinstance(size, bool) or not isinstance(size, int) or size < 1:
            raise InputError(f"{label} must be a positive number of pixels, got {size!r}.")
    if not scale > 0:
        raise InputError(f"scale must be positive, got {scale!r}.")
    if not figs:
        return PngExport({})
    try:
        import kaleido  # noqa: F401
    except ImportError as exc:
        raise PipelineError(
            "PNG export needs kaleido; install it with pip install 'kaleido>=1.0'."
        ) from exc
    browser = _browser_path()
    if browser is None:
        raise PipelineError(
            f"PNG export needs Chromium and none was found; install it with {_INSTALL_CHROMIUM} "
            "(or set BROWSER_PATH to a Chrome or Chromium binary)."
        )
    from choreographer.errors import BrowserFailedError

    opts = {"format": "png", "width": width, "height": height, "scale": scale}
    try:
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="fas_ray-kaleido") as pool:
            images, failed, skipped = pool.submit(
                asyncio.run, _render(figs, opts, deadline, clock)
            ).result()
    except BrowserFailedError as exc:
        raise PipelineError(
            f"Chromium at {browser} failed to start; reinstall it with {_INSTALL_CHROMIUM} "
            "or set BROWSER_PATH to a working Chrome or Chromium."
        ) from exc
    for name, error in failed.items():
        log.warning("PNG of figure %s failed: %s", name, error)
    out = Path(out_dir)
    paths = {name: atomic_write_bytes(out / f"{name}.png", data) for name, data in images.items()}
    return PngExport(paths, failed, skipped)
