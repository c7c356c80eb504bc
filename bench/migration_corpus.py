"""``foldpress import`` + ``foldpress build`` over real public blogs, at pinned commits.

    python bench/migration_corpus.py                # every blog found in the data folder
    python bench/migration_corpus.py --only karpathy jvns
    python bench/migration_corpus.py --get          # print the commands that fetch them

The blogs (``BLOGS``: repository and commit) are kept outside the repository, one
folder each, ``DATA/OWNER__NAME`` (``--data``, default ``$MIGRATION_CORPUS_DIR`` or
``/work/bench-data``). ``--get`` prints the ``git clone`` and ``git checkout`` that
make them. Each blog is imported into a temporary folder and built, by the
``foldpress`` command beside this Python, and for each the run reports:

- **unaccounted**: source files the import neither brought nor skipped with a reason
  (rows of ``import-ledger.csv`` with outcome ``unaccounted``), target 0;
- **posts**: source posts and pages, and how many were published;
- **addresses**: the old addresses of the posts and pages (as the ledger gives them,
  from the old engine's rules) that the new site answers, with a page or a redirect
  page, plus the old feed addresses (``old_feeds``) that hold a feed feedparser reads;
  target 100%;
- **residue**: template or markup left in the visible text of the posts' and pages'
  HTML (``{{<``, ``{{%``, ``{%``, ``{:``, ``{{ ``, ``$$``, ``\\[``, ``\\begin{``), outside
  code, ``<pre>`` and MathML, target 0;
- **formulas**: formulas converted to MathML, of those found (``<math>`` elements, and
  ``code.math-error``: shown as TeX), target 99.5%;
- **import** and **build**: exit statuses, target 0.

Results are printed as a Markdown table and written to
``bench/results/migration_corpus.json``.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import tomllib
from dataclasses import asdict, dataclass, field
from pathlib import Path

import feedparser
from bs4 import BeautifulSoup

from foldpress.addresses import output_file


@dataclass(frozen=True)
class Blog:
    repo: str  # owner/name on GitHub
    commit: str
    engine: str
    about: str  # era and what makes it hard

    @property
    def folder(self) -> str:
        return self.repo.replace("/", "__")


BLOGS = [
    Blog("lilianweng/lil-log", "80c71a658c4c9b39374d38a6d2cf70b82d9c4c3c", "jekyll",
         "2017-2022 (before its move to Hugo), math-heavy kramdown"),
    Blog("karpathy/karpathy.github.io", "0c39d94ec1a22ec0e650adc2b530a347f09899e9", "jekyll",
         "2014-2026, math, .markdown posts"),
    Blog("mmistakes/made-mistakes-jekyll", "778e5cd667af1da070d55bc7ed20cbd5b61d504f",
         "jekyll", "2019, 1000 files, source: src/, Liquid-heavy"),
    Blog("vllm-project/vllm-project.github.io", "c3a01c4a5807c8d900ae468897e45263373e534e",
         "jekyll", "2023-2026, kramdown attribute lists, some math"),
    Blog("ouuan/hugo-blog", "0be6d7b8669d51ec8fc7a3f1735ee6b7c51ba083", "hugo",
         "2019-2022, math-heavy, its own shortcodes (admonition, fold)"),
    Blog("Lruihao/hugo-blog", "106737fee583858a9bc2a0363a9b9841a3911891", "hugo",
         "2018-2026, shortcode-heavy (FixIt), config/_default, 3 languages"),
    Blog("prakhar1989/hugo-blog", "926b41a3290145a779dd42738d168df8bf7889eb", "hugo",
         "2013-2017, uglyURLs-era addresses"),
    Blog("zachvalenta/jvns.ca", "6cb3783f295bae682b70e6b3f09ade54f4cdf346", "hugo",
         "2013-2019, ~400 posts, .markdown"),
    Blog("maxwshen/argmaxblog", "7cd2eb5d3213bd98f8218aa68f8325b995169c74", "hugo",
         "2024-2025, math-heavy (KaTeX/MathJax in PaperMod)"),
    Blog("jakevdp/jakevdp.github.io-source", "ee516b93a8d83457b1f11f21dba9016f685e887d",
         "pelican", "2012-2018, math, notebooks era"),
    Blog("mawenbao/pelican-blog-content", "dd2f2692d62b524f7958f8a59ff3dd5a490888fc",
         "pelican", "2013-2016, Chinese titles and tags"),
    Blog("wagdav/thewagner.net", "140207e6a7f1055eaffc60449ad7cecef64e757f", "pelican",
         "2013-2026, render_math, reST and Markdown"),
]  # fmt: skip

RESIDUE = ("{{<", "{{%", "{%", "{:", "{{ ", "$$", "\\[", "\\begin{")
HIDDEN = ("code", "pre", "script", "style", "math", "template", "noscript")


@dataclass
class Result:
    blog: str
    engine: str
    commit: str
    import_status: int = -1
    build_status: int = -1
    files: int = 0
    unaccounted: int = 0
    documents: int = 0
    published: int = 0
    addresses: int = 0
    resolved: int = 0
    feeds: int = 0
    feeds_ok: int = 0
    residue: int = 0
    residue_kinds: dict[str, int] = field(default_factory=dict)
    formulas: int = 0
    converted: int = 0
    seconds: float = 0.0
    errors: list[str] = field(default_factory=list)

    @property
    def resolved_pct(self) -> float:
        total = self.addresses + self.feeds
        return 100.0 * (self.resolved + self.feeds_ok) / total if total else 100.0

    @property
    def converted_pct(self) -> float:
        return 100.0 * self.converted / self.formulas if self.formulas else 100.0


def foldpress_command() -> list[str]:
    beside = Path(sys.executable).with_name("foldpress")
    return [str(beside)] if beside.exists() else [sys.executable, "-m", "foldpress.cli"]


def run_blog(blog: Blog, src: Path, work: Path) -> Result:
    result = Result(blog.repo, blog.engine, blog.commit[:12])
    new = work / blog.folder
    started = time.perf_counter()
    command = foldpress_command()
    done = subprocess.run([*command, "import", str(src), str(new)], capture_output=True, text=True)
    result.import_status = done.returncode
    if not (new / "import-ledger.csv").is_file():
        result.errors.append(done.stderr.strip().splitlines()[-1] if done.stderr else "no ledger")
        return result
    with (new / "import-ledger.csv").open(encoding="utf-8", newline="") as file:
        rows = list(csv.DictReader(file))
    result.files = len(rows)
    result.unaccounted = sum(row["outcome"] == "unaccounted" for row in rows)
    documents = [row for row in rows if row["outcome"] in ("post", "page")]
    published = [row for row in documents if not row["why"].startswith("a draft")]
    skipped_docs = re.search(r"Source posts and pages: (\d+) = (\d+)", done.stdout)
    result.documents = int(skipped_docs.group(1)) if skipped_docs else len(documents)
    result.published = len(documents)
    built = subprocess.run([*command, "build", str(new)], capture_output=True, text=True)
    result.build_status = built.returncode
    if built.returncode:
        result.errors += [line for line in built.stderr.splitlines() if ": " in line][:5]
    out = new / "_site"
    result.addresses = len(published)  # a draft had no address in the old site either
    for row in published:
        page = out / output_file(row["address"])
        if not page.is_file():
            continue
        result.resolved += 1
        measure_page(page, result)
    settings = tomllib.loads((new / "site.toml").read_text(encoding="utf-8"))
    for address in settings.get("old_feeds", []):
        result.feeds += 1
        feed_file = out / output_file(address)
        if feed_file.is_file():
            parsed = feedparser.parse(feed_file.read_bytes())
            result.feeds_ok += bool(parsed.version and parsed.entries)
    result.seconds = time.perf_counter() - started
    return result


def measure_page(page: Path, result: Result) -> None:
    """Residue in the visible text of one page's main part, and its formulas."""
    soup = BeautifulSoup(page.read_bytes(), "lxml")
    main = soup.find("main") or soup
    result.converted += len(main.find_all("math"))
    result.formulas += len(main.find_all("math")) + len(main.select("code.math-error"))
    for tag in main.find_all(HIDDEN):
        tag.decompose()
    text = main.get_text(" ")
    for marker in RESIDUE:
        found = text.count(marker)
        if found:
            result.residue += found
            result.residue_kinds[marker] = result.residue_kinds.get(marker, 0) + found


def table(results: list[Result]) -> str:
    head = (
        "| blog | engine | commit | files | unaccounted | posts+pages published/source "
        "| old addresses resolved | residue | formulas converted | import | build |\n"
        "| :--- | :--- | :--- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n"
    )
    rows = []
    for r in results:
        formulas = f"{r.converted}/{r.formulas} ({r.converted_pct:.1f}%)" if r.formulas else "none"
        rows.append(
            f"| {r.blog} | {r.engine} | `{r.commit}` | {r.files} | {r.unaccounted} "
            f"| {r.published}/{r.documents} "
            f"| {r.resolved + r.feeds_ok}/{r.addresses + r.feeds} ({r.resolved_pct:.1f}%) "
            f"| {r.residue} | {formulas} | {r.import_status} | {r.build_status} |"
        )
    return head + "\n".join(rows) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    default = os.environ.get("MIGRATION_CORPUS_DIR", "/work/bench-data")
    parser.add_argument("--data", type=Path, default=Path(default), help="folder of the blogs")
    parser.add_argument("--only", nargs="*", help="blogs whose repository names contain these")
    parser.add_argument("--get", action="store_true", help="print how to fetch the blogs")
    parser.add_argument("--keep", type=Path, help="keep the imported sites in this folder")
    args = parser.parse_args()
    blogs = [b for b in BLOGS if not args.only or any(o in b.repo for o in args.only)]
    if args.get:
        for blog in blogs:
            where = args.data / blog.folder
            print(f"git clone https://github.com/{blog.repo} {where} && "
                  f"git -C {where} checkout -q {blog.commit}")  # fmt: skip
        return
    results = []
    with tempfile.TemporaryDirectory() as temporary:
        work = args.keep or Path(temporary)
        for blog in blogs:
            src = args.data / blog.folder
            if not src.is_dir():
                print(f"{blog.repo}: not in {args.data} (see --get): skipped", file=sys.stderr)
                continue
            head = subprocess.run(
                ["git", "-C", str(src), "rev-parse", "HEAD"], capture_output=True, text=True
            ).stdout.strip()
            if head and head != blog.commit:
                print(f"{blog.repo}: at {head[:12]}, not {blog.commit[:12]}", file=sys.stderr)
            print(f"{blog.repo} ...", file=sys.stderr, flush=True)
            result = run_blog(blog, src, work)
            print(f"  {result.seconds:.1f} s; {result.errors[:3]}", file=sys.stderr, flush=True)
            results.append(result)
    print(table(results))
    out = Path(__file__).parent / "results" / "migration_corpus.json"
    out.parent.mkdir(exist_ok=True)
    data = [{**asdict(r), "resolved_pct": r.resolved_pct, "converted_pct": r.converted_pct}
            for r in results]  # fmt: skip
    out.write_text(json.dumps(data, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
