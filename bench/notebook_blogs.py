"""Real notebook blogs through foldpress: does every notebook post publish its cells,
its images (as files, with sizes) and its math, and is no ``{% notebook %}`` tag left?

    python bench/notebook_blogs.py --data /work/bench-data
    python bench/notebook_blogs.py --synthetic 100

The blogs are public repositories at pinned commits, cloned by hand outside this
repository (``git clone URL DATA/NAME && git -C DATA/NAME checkout COMMIT``); a blog
whose clone is missing is skipped with that command. Each is made a foldpress site the
way its owner would: the Pelican and Nikola blogs with ``foldpress import`` (the
liquid_tags ``{% notebook %}`` posts and Nikola's ``.ipynb`` posts become notebook
posts), the fastpages blog by putting its notebooks in ``posts/`` (fastpages'
first-cell header is read as front matter). Then it is built
twice, and every notebook post's page is read back with lxml and counted against its
notebook, read with nbformat:

- cells: each Markdown cell's text and each code cell's first line of code on the page;
- images: each image output (and pasted attachment) an ``<img>`` with width and height
  whose file is in the built site;
- math: each formula of the post's Markdown (its cells and LaTeX outputs) a MathML
  ``<math>``, none shown as its TeX;
- residue: pages of the whole site with ``{% notebook`` in them.

``--synthetic N`` times a cold build of a site of N copies of the example blog's
notebook post, the same build unchanged, and one after a notebook was edited. Results
go to ``bench/results/notebook_blogs.json`` (``notebook_synthetic.json``).
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import nbformat
from bs4 import BeautifulSoup

from foldpress import notebook as nb
from foldpress.build import build
from foldpress.config import load_config
from foldpress.importers import import_site
from foldpress.markdown import Markdown
from foldpress.reader import read_post

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
EXAMPLE_NOTEBOOK = REPO / "examples/site/posts/2025-04-20-attention-weights-in-a-notebook.ipynb"


@dataclass(frozen=True)
class Blog:
    name: str
    repository: str
    commit: str
    engine: str  # "pelican", "nikola": imported; else its notebooks are copied into posts/
    notebooks: str = ""  # for the others: the folder its notebook posts are in


BLOGS = [
    Blog(
        "jakevdp",
        "https://github.com/jakevdp/jakevdp.github.io-source",
        "ee516b93a8d83457b1f11f21dba9016f685e887d",
        "pelican",
    ),
    Blog(
        "paulomarconi",
        "https://github.com/paulomarconi/paulomarconi.github.io",
        "fc59cc08784afd1f2aa1adba7928f11f0ca11a09",  # its "src" branch
        "nikola",
    ),
    Blog(
        "mattioofr",
        "https://github.com/MattiooFR/mattioofr.github.io",
        "5bd804e726b830727259bf3900dd26923ec37050",
        "nikola",
    ),
    Blog(
        "fastpages",
        "https://github.com/fastai/fastpages",
        "c18634f184224979d7e7825936e1b5178a4ba569",
        "fastpages",
        "_notebooks",
    ),
]


@dataclass
class Counts:
    """Found on the built pages / expected from the notebooks."""

    posts: int = 0
    markdown_cells: list[int] = field(default_factory=lambda: [0, 0])
    code_cells: list[int] = field(default_factory=lambda: [0, 0])
    images: list[int] = field(default_factory=lambda: [0, 0])
    formulas: list[int] = field(default_factory=lambda: [0, 0])
    tex_as_text: int = 0  # \begin{...} or $$ left as text on the pages
    pages_with_notebook_tag: int = 0
    missing: list[str] = field(default_factory=list)  # what was not found, by post


def _words(text: str) -> str:
    return " ".join(text.split())


def count_post(path: Path, out: Path, config, md: Markdown, counts: Counts) -> None:
    post, errors = read_post(path, config)
    assert post is not None and not errors, errors
    if post.draft:
        return
    page = out / post.url.lstrip("/")
    page = page / "index.html" if post.url.endswith("/") else page
    soup = BeautifulSoup(page.read_text(encoding="utf-8"), "lxml")
    article = soup.select_one("article .post-body")
    text = _words(article.get_text(" "))
    code = [_words(c.get_text()) for c in article.select("pre code")]
    counts.posts += 1
    notebook = nbformat.read(path, as_version=4)
    for index, cell in enumerate(notebook.cells):
        tags = nb._tags(cell)
        if "remove-cell" in tags or cell.source.lstrip().startswith("---"):
            continue
        if cell.cell_type == "markdown" and cell.source.strip():
            shown = _words(BeautifulSoup(md.html(cell.source), "lxml").get_text(" "))
            if not shown or shown[:40] in text or index == 0:  # fastpages' header: front matter
                counts.markdown_cells[0] += 1
            else:
                counts.missing.append(f"{path.name}: Markdown cell {index + 1}")
            counts.markdown_cells[1] += 1
        if cell.cell_type == "code" and "remove-input" not in tags:
            first = next((ln for ln in nb._code_source(cell).split("\n") if ln.strip()), None)
            if first is not None:
                counts.code_cells[1] += 1
                if any(_words(first) in block for block in code):
                    counts.code_cells[0] += 1
                else:
                    counts.missing.append(f"{path.name}: code cell {index + 1}")
    # Images: every output image the notebook saved, by the name foldpress gives it.
    images = {img.get("src"): img for img in article.select("img")}
    folder = page.parent
    for name in post.files:
        counts.images[1] += 1
        img = images.get(name)
        if img is not None and img.get("width") and img.get("height") and (folder / name).is_file():
            counts.images[0] += 1
        else:
            counts.missing.append(f"{path.name}: image {name}")
    events = md.parse(post.body_markdown).events
    formulas = sum(
        1 for e, _ in events if type(e) is dict and ("InlineMath" in e or "DisplayMath" in e)
    )
    counts.formulas[1] += formulas
    shown_math = len(article.select("math"))
    as_tex = len(article.select("code.math-error"))
    counts.formulas[0] += min(shown_math, formulas)
    if as_tex or shown_math < formulas:
        counts.missing.append(f"{path.name}: {formulas - shown_math} formulas not MathML")
    # TeX the Markdown parser never saw as math: a bare \begin{align} in a paragraph.
    for element in article.select("pre, code, math"):
        element.decompose()
    counts.tex_as_text += len(re.findall(r"\\begin\{|\$\$", article.get_text()))


def image_outputs(path: Path) -> int:
    """Image outputs and attachments in a notebook, counted from its JSON alone."""
    notebook = nbformat.read(path, as_version=4)
    found = 0
    for cell in notebook.cells:
        if "remove-cell" in nb._tags(cell):
            continue
        if "remove-output" not in nb._tags(cell):
            for output in cell.get("outputs", []):
                data = output.get("data") or {}
                shown = next((m for m in nb._SHOWN if m in data), None)
                found += bool(shown and shown.startswith("image/"))
        for name, data in (cell.get("attachments") or {}).items():
            found += f"attachment:{name}" in cell.source and any(
                m.startswith("image/") for m in data
            )
    return found


def make_site(blog: Blog, src: Path, site: Path) -> None:
    if blog.engine in ("pelican", "nikola"):
        report = import_site(src, site, blog.engine)
        print(f"  {report.summary()}")
        for note in report.skipped:
            print(f"    skipped: {note}")
        return
    (site / "posts").mkdir(parents=True)
    (site / "site.toml").write_text(f'title = "{blog.name}"\nbase_url = "https://example.org/"\n')
    for path in sorted((src / blog.notebooks).glob("*.ipynb")):
        shutil.copy2(path, site / "posts" / path.name)
    for folder in (src / blog.notebooks).iterdir():  # images the Markdown cells show
        if folder.is_dir() and not folder.name.startswith("."):
            shutil.copytree(folder, site / "static" / folder.name, dirs_exist_ok=True)


def run_blog(blog: Blog, data: Path, work: Path) -> dict | None:
    src = data / blog.name
    if not src.is_dir():
        print(
            f"{blog.name}: not found; git clone {blog.repository} {src} "
            f"&& git -C {src} checkout {blog.commit}"
        )
        return None
    site, out = work / blog.name, work / f"{blog.name}-out"
    print(f"{blog.name} ({blog.engine}, {blog.repository} at {blog.commit[:12]})")
    make_site(blog, src, site)
    started = time.perf_counter()
    cold = build(site, out)
    cold_s = time.perf_counter() - started
    started = time.perf_counter()
    again = build(site, out)
    again_s = time.perf_counter() - started
    config = load_config(site / "site.toml")
    md = Markdown()
    counts = Counts()
    notebooks = sorted((site / "posts").rglob("*.ipynb"))
    saved_images = 0
    for path in notebooks:
        count_post(path, out, config, md, counts)
        saved_images += image_outputs(path)
    counts.pages_with_notebook_tag = sum(
        "{% notebook" in p.read_text(encoding="utf-8", errors="replace")
        for p in out.rglob("*.html")
    )
    result = {
        "blog": blog.name,
        "engine": blog.engine,
        "repository": blog.repository,
        "commit": blog.commit,
        "posts": cold.posts,
        "image_outputs_in_notebooks": saved_images,
        "warnings": len(cold.warnings),
        "cold_build_s": round(cold_s, 2),
        "unchanged_build_s": round(again_s, 2),
        "rendered_again": again.rendered,
        **asdict(counts),
    }
    print(
        f"  {cold.posts} posts, {counts.posts} notebook posts; cells: Markdown "
        f"{counts.markdown_cells[0]}/{counts.markdown_cells[1]}, code "
        f"{counts.code_cells[0]}/{counts.code_cells[1]}; images {counts.images[0]}/"
        f"{counts.images[1]} (the notebooks hold {saved_images}); formulas as MathML "
        f"{counts.formulas[0]}/{counts.formulas[1]} ({counts.tex_as_text} TeX left as text)"
        f"; pages with '{{% notebook': "
        f"{counts.pages_with_notebook_tag}; {len(cold.warnings)} warnings"
    )
    print(
        f"  build {cold_s:.2f} s cold, {again_s:.2f} s unchanged ({again.rendered} rendered again)"
    )
    for missing in counts.missing[:20]:
        print(f"    not found: {missing}")
    return result


def synthetic(posts: int, work: Path) -> dict:
    """Cold and unchanged builds of ``posts`` copies of the example notebook post."""
    site = work / f"synthetic-{posts}"
    (site / "posts").mkdir(parents=True)
    (site / "site.toml").write_text('title = "Notebooks"\nbase_url = "https://example.org/"\n')
    text = EXAMPLE_NOTEBOOK.read_text(encoding="utf-8")
    for i in range(posts):
        copy = text.replace("Attention weights in a notebook", f"Attention weights {i}")
        copy = copy.replace(
            "2025-04-20 09:30:00", f"2025-{1 + i % 12:02d}-{1 + i % 28:02d} 09:30:00"
        )
        (site / "posts" / f"notebook-{i:04d}.ipynb").write_text(copy, encoding="utf-8")
    times = {}
    for step in ("cold", "unchanged", "one_edited"):
        if step == "one_edited":
            edited = site / "posts" / "notebook-0000.ipynb"
            edited.write_text(edited.read_text().replace("row sums:", "sums of rows:"))
        started = time.perf_counter()
        result = build(site, work / f"synthetic-{posts}-out")
        times[step] = round(time.perf_counter() - started, 2)
        times[f"{step}_rendered"] = result.rendered
    print(f"{posts} notebook posts: {times}")
    return {"posts": posts, **times}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--data",
        type=Path,
        default=Path("/work/bench-data"),
        help="where the blogs are cloned (default: /work/bench-data)",
    )
    parser.add_argument(
        "--synthetic", type=int, metavar="N", help="time a site of N notebook posts instead"
    )
    args = parser.parse_args()
    results: dict = {}
    with tempfile.TemporaryDirectory(prefix="notebook-blogs-") as tmp:
        work = Path(tmp)
        if args.synthetic:
            results["synthetic"] = synthetic(args.synthetic, work)
        else:
            results["blogs"] = [r for b in BLOGS if (r := run_blog(b, args.data, work))]
    (HERE / "results").mkdir(exist_ok=True)
    name = "notebook_synthetic.json" if args.synthetic else "notebook_blogs.json"
    (HERE / "results" / name).write_text(json.dumps(results, indent=2) + "\n")
    if not args.synthetic and any(
        r["missing"] or r["pages_with_notebook_tag"] for r in results["blogs"]
    ):
        sys.exit(1)


if __name__ == "__main__":
    main()
