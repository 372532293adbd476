"""The studio's files: one HTML page, its script and style sheet (plain HTML and an ES
module, no build step), and plotly.js read from the installed ``plotly`` package, so the page
works offline with nothing fetched from the network."""

from functools import cache
from importlib import resources
from pathlib import Path

from fas_ray.exceptions import RunNotFoundError

__all__ = ["ASSETS", "asset", "page"]

ASSETS = {
    "app.js": "text/javascript; charset=utf-8",
    "style.css": "text/css; charset=utf-8",
    "plotly.min.js": "text/javascript; charset=utf-8",
}


def _here() -> Path:
    return Path(str(resources.files(__name__)))


@cache
def _plotly_js() -> bytes:
    from plotly.offline import get_plotlyjs

    return get_plotlyjs().encode("utf-8")


def page() -> str:
    """The studio's HTML (read on each call: cheap, and an edited file shows on reload)."""
    return (_here() / "index.html").read_text(encoding="utf-8")


def asset(name: str) -> tuple[bytes, str]:
    """The bytes and media type of one of the page's files.

    Raises:
        RunNotFoundError: not one of :data:`ASSETS`.
    """
    if name not in ASSETS:
        raise RunNotFoundError(f"The studio has no file {name!r}.")
    body = _plotly_js() if name == "plotly.min.js" else (_here() / name).read_bytes()
    return body, ASSETS[name]
