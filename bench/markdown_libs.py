"""Python Markdown libraries side by side: CommonMark conformance and rendering speed.

Conformance is the share of the official CommonMark spec examples a library renders
correctly, after normalising both HTML strings the way the spec's own test runner does
(entities resolved, attributes sorted, insignificant whitespace dropped). Each library is
checked twice: in its plain CommonMark mode ("core") and in the configuration a blog would
run, with the extensions it has for tables, footnotes and math ("blog").

Speed is measured with the blog configuration on two inputs: the posts of
``examples/site`` (each rendered separately, as a build does) and one large generated
document. Times are CPU time, the best of ``--runs`` runs, as ``timeit`` reports them.

The spec examples are read offline from ``--spec``: a ``commonmark.json`` (the format the
spec's ``make spec.json`` writes) or the markdown-it-py sdist, which ships one. See
``bench/README.md`` for how to get it, and for the ``pip install`` of the libraries.

    python bench/markdown_libs.py --spec bench/_work/markdown_it_py-4.3.0.tar.gz
"""

from __future__ import annotations

import argparse
import html
import json
import platform
import random
import re
import signal
import statistics
import sys
import tarfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from html.parser import HTMLParser
from importlib import metadata
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
WORK = HERE / "_work"
RESULTS = HERE / "results"
EXAMPLE_POSTS = ROOT / "examples" / "site"

Render = Callable[[str], str]


# --- the libraries ------------------------------------------------------------------


@dataclass
class Library:
    """One contender: how to build its core and blog renderers, and what it supports."""

    name: str
    dist: str  # the distribution name on PyPI, for the version
    core: Callable[[], Render]
    blog: Callable[[], Render]
    features: str  # tables / footnotes / math, as configured for "blog"


def _markdown_it(plugins: bool) -> Render:
    from markdown_it import MarkdownIt
    from mdit_py_plugins.dollarmath import dollarmath_plugin
    from mdit_py_plugins.footnote import footnote_plugin

    md = MarkdownIt("commonmark")
    if plugins:
        # foldpress's parser (foldpress.markdown.create_markdown) minus what no other
        # library here does: Pygments highlighting, LaTeX to MathML, heading ids.
        md.enable(["table", "strikethrough"]).use(footnote_plugin).use(dollarmath_plugin)
    return md.render


def _cmarkgfm(extensions: bool) -> Render:
    import cmarkgfm
    from cmarkgfm.cmark import Options

    # UNSAFE: keep raw HTML, which the spec (and a blog author) expects to pass through.
    if not extensions:
        return lambda text: cmarkgfm.markdown_to_html(text, options=Options.CMARK_OPT_UNSAFE)
    options = Options.CMARK_OPT_UNSAFE | Options.CMARK_OPT_FOOTNOTES
    return lambda text: cmarkgfm.markdown_to_html_with_extensions(
        text, options=options, extensions=["table", "strikethrough"]
    )


def _mistune(plugins: bool) -> Render:
    import mistune

    names = ["table", "footnotes", "strikethrough", "math"] if plugins else []
    return mistune.create_markdown(escape=False, plugins=names)


def _marko(extensions: bool) -> Render:
    import marko

    return marko.Markdown(extensions=["gfm", "footnote"] if extensions else []).convert


def _python_markdown(extensions: bool) -> Render:
    import markdown

    md = markdown.Markdown(extensions=["tables", "footnotes", "fenced_code"] if extensions else [])
    return lambda text: md.reset().convert(text)


def _markdown2(extras: bool) -> Render:
    import markdown2

    # Its "latex" extra would also convert the math to MathML, work that no other
    # renderer here does, so it stays off.
    names = ["fenced-code-blocks", "footnotes", "tables", "strike"] if extras else []
    return markdown2.Markdown(extras=names).convert


def _pyromark(extensions: bool) -> Render:
    import pyromark

    options = pyromark.Options(0)
    if extensions:
        options = (
            pyromark.Options.ENABLE_TABLES
            | pyromark.Options.ENABLE_FOOTNOTES
            | pyromark.Options.ENABLE_MATH
            | pyromark.Options.ENABLE_STRIKETHROUGH
        )
    return pyromark.Markdown(options=options).html


def _comrak(extensions: bool) -> Render:
    import comrak

    render_options = comrak.RenderOptions()
    render_options.unsafe_ = True  # keep raw HTML, as the spec expects
    extension_options = comrak.ExtensionOptions()
    if extensions:
        extension_options.table = extension_options.footnotes = True
        extension_options.math_dollars = extension_options.strikethrough = True
    return lambda text: comrak.render_markdown(
        text, extension_options=extension_options, render_options=render_options
    )


def _markdown_it_pyrs(plugins: bool) -> Render:
    import markdown_it_pyrs

    md = markdown_it_pyrs.MarkdownIt("commonmark")
    if plugins:  # no math plugin
        md.enable_many(["table", "strikethrough", "footnote"])
    return md.render


def _foldpress() -> Render:
    from foldpress.markdown import create_markdown

    # foldpress's HTML writer over pyromark's events, as a build runs it, with Pygments
    # and MathML (so its speed includes work no other row does) and without heading ids
    # (which the spec's HTML does not have).
    md = create_markdown()
    return lambda text: md.render(md.parse(text), heading_ids=False)


def _commonmark() -> Render:
    import commonmark

    parser, renderer = commonmark.Parser(), commonmark.HtmlRenderer()
    return lambda text: renderer.render(parser.parse(text))


def _mistletoe() -> Render:
    import mistletoe

    return mistletoe.markdown


LIBRARIES = [
    Library(
        "markdown-it-py + plugins",
        "markdown-it-py",
        lambda: _markdown_it(False),
        lambda: _markdown_it(True),
        "tables, footnotes, math",
    ),
    Library(
        "cmarkgfm",
        "cmarkgfm",
        lambda: _cmarkgfm(False),
        lambda: _cmarkgfm(True),
        "tables, footnotes",
    ),
    Library(
        "mistune",
        "mistune",
        lambda: _mistune(False),
        lambda: _mistune(True),
        "tables, footnotes, math",
    ),
    Library("marko", "marko", lambda: _marko(False), lambda: _marko(True), "tables, footnotes"),
    Library(
        "Python-Markdown",
        "markdown",
        lambda: _python_markdown(False),
        lambda: _python_markdown(True),
        "tables, footnotes",
    ),
    Library(
        "markdown2",
        "markdown2",
        lambda: _markdown2(False),
        lambda: _markdown2(True),
        "tables, footnotes (math: latex extra, off)",
    ),
    Library(
        "pyromark (pulldown-cmark)",
        "pyromark",
        lambda: _pyromark(False),
        lambda: _pyromark(True),
        "tables, footnotes, math",
    ),
    Library(
        "foldpress (pyromark events, own HTML)",
        "foldpress",
        _foldpress,
        _foldpress,
        "tables, footnotes, math (+ Pygments, MathML)",
    ),
    Library(
        "comrak",
        "comrak",
        lambda: _comrak(False),
        lambda: _comrak(True),
        "tables, footnotes, math",
    ),
    Library(
        "markdown-it-pyrs",
        "markdown-it-pyrs",
        lambda: _markdown_it_pyrs(False),
        lambda: _markdown_it_pyrs(True),
        "tables, footnotes",
    ),
    Library("commonmark.py", "commonmark", _commonmark, _commonmark, "none"),
    Library("mistletoe", "mistletoe", _mistletoe, _mistletoe, "tables"),
]
REFERENCE = LIBRARIES[0].name


# --- the spec examples --------------------------------------------------------------


def load_spec(path: Path) -> list[dict]:
    """The spec examples from a ``commonmark.json`` or an sdist archive that holds one."""
    if path.suffix == ".json":
        return json.loads(path.read_text("utf-8"))
    with tarfile.open(path) as archive:
        for member in archive.getmembers():
            if member.name.endswith("/commonmark.json"):
                return json.load(archive.extractfile(member))
    raise SystemExit(f"{path}: no commonmark.json inside")


def default_spec() -> Path | None:
    candidates = [WORK / "commonmark.json", *sorted(WORK.glob("markdown_it_py-*.tar.gz"))]
    return next((p for p in candidates if p.is_file()), None)


# The spec runner treats whitespace next to these tags as insignificant.
BLOCK_TAGS = frozenset(
    "article aside blockquote body button canvas caption col colgroup dd div dl dt embed"  # noqa: SIM905
    " fieldset figcaption figure footer form h1 h2 h3 h4 h5 h6 header hgroup hr iframe li"
    " map object ol output p pre progress script section style table tbody td textarea"
    " tfoot th thead tr ul video".split()
)


class _Normaliser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.in_pre = 0
        self.after_block = True  # drop whitespace that starts the document

    def _text(self, text: str) -> None:
        if not self.in_pre:
            text = re.sub(r"\s+", " ", text)
            if self.after_block:
                text = text.lstrip()
        self.after_block = False
        self.out.append(html.escape(text, quote=False))

    def _tag(self, tag: str, markup: str) -> None:
        if tag in BLOCK_TAGS and not self.in_pre and self.out:
            self.out[-1] = self.out[-1].rstrip()
        self.out.append(markup)
        self.after_block = tag in BLOCK_TAGS

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        parts = [tag]
        for name, value in sorted(attrs):
            parts.append(name if value is None else f'{name}="{html.escape(value)}"')
        self._tag(tag, "<" + " ".join(parts) + ">")
        self.in_pre += tag == "pre"

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)  # <br /> and <br> are the same
        self.in_pre -= tag == "pre"

    def handle_endtag(self, tag: str) -> None:
        self._tag(tag, f"</{tag}>")  # while still inside: the text before </pre> counts
        if tag == "pre" and self.in_pre:
            self.in_pre -= 1

    def handle_data(self, data: str) -> None:
        self._text(data)

    def handle_comment(self, data: str) -> None:
        self.out.append(f"<!--{data}-->")

    def handle_decl(self, decl: str) -> None:
        self.out.append(f"<!{decl}>")

    def handle_pi(self, data: str) -> None:
        self.out.append(f"<?{data}>")

    def unknown_decl(self, data: str) -> None:
        self.out.append(f"<![{data}]>")


def normalize_html(source: str) -> str:
    """HTML with the differences the spec's test runner ignores taken out."""
    parser = _Normaliser()
    parser.feed(source)
    parser.close()
    return "".join(parser.out).strip()


class _Timeout(Exception):
    pass


def _alarm(signum, frame):
    raise _Timeout


@dataclass
class Conformance:
    passed: int = 0
    total: int = 0
    errors: int = 0  # raised or ran past the time limit
    failed_sections: dict[str, int] = field(default_factory=dict)

    @property
    def percent(self) -> float:
        return 100 * self.passed / self.total if self.total else 0.0


def conformance(render: Render, examples: list[dict], limit_s: float = 2.0) -> Conformance:
    """Render every example; a crash or a pathological slowdown counts as a failure."""
    result = Conformance(total=len(examples))
    signal.signal(signal.SIGALRM, _alarm)
    for example in examples:
        try:
            signal.setitimer(signal.ITIMER_REAL, limit_s)
            actual = render(example["markdown"])
        except Exception:  # a library bug is a failed example, not a failed benchmark
            actual = None
            result.errors += 1
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
        if actual is not None and normalize_html(actual) == normalize_html(example["html"]):
            result.passed += 1
        else:
            section = example["section"]
            result.failed_sections[section] = result.failed_sections.get(section, 0) + 1
    return result


# --- the speed inputs ---------------------------------------------------------------


def example_posts() -> list[str]:
    """The example site's posts and pages, front matter removed."""
    files = sorted(EXAMPLE_POSTS.glob("posts/*.md")) + sorted(EXAMPLE_POSTS.glob("pages/*.md"))
    if not files:
        raise SystemExit(f"no posts under {EXAMPLE_POSTS}")
    return [re.sub(r"\A---\n.*?\n---\n", "", f.read_text("utf-8"), flags=re.S) for f in files]


WORDS = (  # noqa: SIM905
    "attention model token layer weight python markdown parser output blog feed query key"
    " value softmax gradient batch the of and to in is that for with as on by"
).split()


def large_document(sections: int, seed: int = 2025) -> str:
    """A long, varied, deterministic document: every block and inline kind a blog uses."""
    rng = random.Random(seed)

    def sentence() -> str:
        words = [rng.choice(WORDS) for _ in range(rng.randint(8, 20))]
        i = rng.randrange(len(words))
        words[i] = rng.choice(
            [
                f"*{words[i]}*",
                f"**{words[i]}**",
                f"`{words[i]}()`",
                f"[{words[i]}](https://example.com/{words[i]})",
                f"{words[i]}[^{rng.randint(1, 5)}]",
            ]
        )
        return " ".join(words).capitalize() + "."

    def paragraph() -> str:
        return "\n".join(sentence() for _ in range(rng.randint(2, 5)))

    blocks = []
    for n in range(sections):
        blocks.append(f"## Section {n}: {sentence()[:-1]}")
        blocks += [paragraph() for _ in range(rng.randint(1, 3))]
        kind = n % 5
        if kind == 0:
            blocks.append("\n".join(f"- {sentence()}" for _ in range(rng.randint(3, 6))))
        elif kind == 1:
            blocks.append("```python\ndef f(x):\n    return x * 2  # <doubled>\n```")
        elif kind == 2:
            rows = [f"| {rng.choice(WORDS)} | {rng.randint(1, 999)} |" for _ in range(5)]
            blocks.append("| name | count |\n| :--- | ---: |\n" + "\n".join(rows))
        elif kind == 3:
            blocks.append("> " + paragraph().replace("\n", "\n> "))
        else:
            blocks.append("\n".join(f"{i}. {sentence()}" for i in range(1, 5)))
    blocks += [f"[^{i}]: {sentence()}" for i in range(1, 6)]
    return "\n\n".join(blocks) + "\n"


def timings(jobs: dict[str, Callable[[], object]], runs: int) -> dict[str, tuple[float, float]]:
    """(best, median) CPU milliseconds of each job, after one warm-up run each.

    The jobs take turns, run after run, so that a burst of other work on a shared
    machine hits every library alike; CPU time of this process rather than wall time
    leaves out the time other processes hold the core.
    """
    times: dict[str, list[float]] = {name: [] for name in jobs}
    for job in jobs.values():
        job()
    for _ in range(runs):
        for name, job in jobs.items():
            start = time.process_time()
            job()
            times[name].append((time.process_time() - start) * 1000)
    return {name: (min(t), statistics.median(t)) for name, t in times.items()}


# --- the run ------------------------------------------------------------------------


def spec_results(library: Library, examples: list[dict]) -> tuple[dict, Render | None]:
    """The library's row without timings, and its blog renderer (None if not installed)."""
    try:
        version = metadata.version(library.dist)
        core, blog = library.core(), library.blog()
    except (ImportError, metadata.PackageNotFoundError) as error:
        return {"library": library.name, "dist": library.dist, "missing": str(error)}, None
    core_result = conformance(core, examples)
    blog_result = conformance(blog, examples)
    row = {
        "library": library.name,
        "dist": library.dist,
        "version": version,
        "features": library.features,
        "spec_total": blog_result.total,
        "spec_passed_core": core_result.passed,
        "spec_passed_blog": blog_result.passed,
        "spec_errors_core": core_result.errors,
        "spec_errors_blog": blog_result.errors,
        "spec_percent_core": round(core_result.percent, 1),
        "spec_percent_blog": round(blog_result.percent, 1),
        "failed_sections_blog": blog_result.failed_sections,
    }
    return row, blog


def add_timings(
    rows: list[dict], renderers: dict[str, Render], posts: list[str], big: str, runs: int
) -> None:
    """Time every installed library on the corpus and the large document."""
    corpus = timings(
        {name: (lambda r=r: [r(text) for text in posts]) for name, r in renderers.items()}, runs
    )
    large = timings(
        {name: (lambda r=r: r(big)) for name, r in renderers.items()}, max(1, runs // 4)
    )
    for row in rows:
        if row["library"] in renderers:
            name = row["library"]
            row["corpus_ms_best"], row["corpus_ms_median"] = (round(t, 2) for t in corpus[name])
            row["large_ms_best"], row["large_ms_median"] = (round(t, 1) for t in large[name])


def table(rows: list[dict]) -> str:
    """A Markdown table; speed is relative to the reference (above 1 is faster)."""
    ref = next((r for r in rows if r["library"] == REFERENCE and "missing" not in r), None)
    header = (
        "| library | version | spec passed (blog) | % blog | % core"
        " | corpus ms | large doc ms | corpus speed vs ref | extensions (blog) |"
    )
    lines = [header, "| :--- | :--- | ---: | ---: | ---: | ---: | ---: | ---: | :--- |"]
    for r in rows:
        if "missing" in r:
            lines.append(f"| {r['library']} | not installed | | | | | | | |")
            continue
        speed = f"{ref['corpus_ms_best'] / r['corpus_ms_best']:.2f}x" if ref else "-"
        lines.append(
            f"| {r['library']} | {r['version']} | {r['spec_passed_blog']}/{r['spec_total']}"
            f" | {r['spec_percent_blog']:.1f} | {r['spec_percent_core']:.1f}"
            f" | {r['corpus_ms_best']:.1f} | {r['large_ms_best']:.0f} | {speed} | {r['features']} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--spec",
        type=Path,
        default=default_spec(),
        help="commonmark.json, or the markdown-it-py sdist (default: found in bench/_work/)",
    )
    parser.add_argument("--runs", type=int, default=20, help="timed runs per input (best is kept)")
    parser.add_argument("--sections", type=int, default=500, help="size of the large document")
    parser.add_argument("--only", nargs="*", help="library names to run (default: all)")
    parser.add_argument("--out", type=Path, default=RESULTS / "markdown_libs.json")
    args = parser.parse_args(argv)
    if args.spec is None or not args.spec.is_file():
        print(
            "No CommonMark spec examples found. Get them with:\n"
            "  pip download --no-deps --no-binary :all: markdown-it-py==4.3.0 -d bench/_work\n"
            "or pass --spec PATH to a commonmark.json.",
            file=sys.stderr,
        )
        return 2

    examples = load_spec(args.spec)
    posts = example_posts()
    big = large_document(args.sections)
    chosen = [
        lib for lib in LIBRARIES if not args.only or lib.name in args.only or lib.dist in args.only
    ]
    print(
        f"{len(examples)} spec examples from {args.spec.name}; corpus: {len(posts)} example"
        f" posts ({sum(map(len, posts)) // 1024} KiB); large document: {len(big) // 1024} KiB",
        file=sys.stderr,
    )
    rows, renderers = [], {}
    for library in chosen:
        print(f"  conformance: {library.name}", file=sys.stderr, flush=True)
        row, blog = spec_results(library, examples)
        rows.append(row)
        if blog is not None:
            renderers[library.name] = blog
    print("  timing all libraries, in turns ...", file=sys.stderr, flush=True)
    add_timings(rows, renderers, posts, big, args.runs)

    print(table(rows))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    report = {
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "machine": platform.platform(),
        "spec_source": args.spec.name,
        "spec_examples": len(examples),
        "corpus_posts": len(posts),
        "corpus_bytes": sum(len(p.encode()) for p in posts),
        "large_document_bytes": len(big.encode()),
        "runs": args.runs,
        "reference": REFERENCE,
        "results": rows,
    }
    args.out.write_text(json.dumps(report, indent=2) + "\n", "utf-8")
    print(f"\nwritten to {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
