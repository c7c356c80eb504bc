"""Real sites built with ``foldpress.build``: the example blog, and small ones written here."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlsplit

from foldpress.build import build

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "site"


def build_example(out: Path) -> Path:
    """Build ``examples/site`` into ``out`` and return ``out``."""
    build(EXAMPLE, out)
    return out


def build_small_site(root: Path, posts: dict[str, str], settings: str = "") -> Path:
    """Write a site with ``posts`` (file name -> file text) under ``root``, build it, return
    the output folder."""
    (root / "posts").mkdir(parents=True)
    (root / "site.toml").write_text(
        'title = "Small"\nbase_url = "https://small.example/"\n' + settings, encoding="utf-8"
    )
    for name, text in posts.items():
        (root / "posts" / name).write_text(text, encoding="utf-8")
    out = root / "_site"
    build(root, out)
    return out


def local_file(out: Path, url: str, base: str) -> Path:
    """The file in the built site ``out`` that ``url`` (absolute or site path) serves."""
    if url.startswith(base):
        url = "/" + url.removeprefix(base).lstrip("/")
    path = unquote(urlsplit(url).path)
    assert path.startswith("/"), f"not a URL of this site: {url}"
    target = out / path.lstrip("/")
    return target / "index.html" if path.endswith("/") else target


def html_pages(out: Path) -> list[Path]:
    """Every HTML page of the built site but the 404."""
    return sorted(p for p in out.rglob("*.html") if p.name != "404.html")


def page_url(out: Path, html_file: Path) -> str:
    """The site path an ``index.html`` is served at, e.g. ``/2025/03/dropout/``."""
    folder = html_file.parent.relative_to(out).as_posix()
    return "/" if folder == "." else f"/{folder}/"
