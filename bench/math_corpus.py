"""TeX-to-MathML converters on real formulas: how many they convert, and how right.

    python bench/math_corpus.py                 # every converter that is installed
    python bench/math_corpus.py --browser       # and lay a sample out in Chromium

The formulas are ``bench/math_corpus/*.tex`` (see its README): several hundred, as
bloggers wrote them for MathJax. Each converter gets every formula, inline or display
as written, and a formula counts as converted when the converter returns MathML without
an error and without passing an unknown command through as text (latex2mathml's way of
failing). The converters:

- ``latex2mathml``: the library alone;
- ``foldpress``: what foldpress does (:func:`foldpress.mathml.convert_formula`):
  latex2mathml with amsmath's environments mapped to ones it lays out, and a second try
  with one level of Markdown escapes removed;
- ``pykatex``: KaTeX run inside Python by QuickJS (a wheel, no Node), MathML output;
- ``pandoc``: pandoc's texmath, from ``pypandoc-binary``, one pandoc run for all;
- ``katex``, ``temml``, ``mathjax``: the npm packages, run once by Node from
  ``bench/_work/node`` (``npm install --prefix bench/_work/node temml katex
  mathjax-full``); MathJax 3 with every TeX package except the two that hide errors
  and bussproofs (which needs an output jax that measures).

With ``--browser``, a sample (every fifth formula) is shown in Chromium (Playwright,
``/usr/bin/chromium``) with each converter's MathML, and for each converter the share
of the sample laid out with a non-empty box, and the share whose box is within 25% of
MathJax's in width and height (MathJax being what the authors saw), are reported; a
screenshot goes to ``bench/results/math_corpus.png`` for a person to check.

Results are printed and written to ``bench/results/math_corpus.json``.
"""

from __future__ import annotations

import argparse
import contextlib
import html
import json
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
CORPUS = HERE / "math_corpus"
NODE_DIR = HERE / "_work" / "node"
RESULTS = HERE / "results"
CHROMIUM = "/usr/bin/chromium"

Convert = Callable[[str, bool], str]


@dataclass(frozen=True)
class Formula:
    source: str  # the corpus file
    tex: str
    display: bool


def read_corpus(folder: Path = CORPUS) -> list[Formula]:
    """Every formula of every ``.tex`` file in ``folder``, in order."""
    formulas = []
    for path in sorted(folder.glob("*.tex")):
        kind, lines = None, []
        for line in [*path.read_text(encoding="utf-8").split("\n"), "%% end"]:
            if line.startswith("%% "):
                if kind is not None:
                    tex = "\n".join(lines).strip("\n")
                    formulas.append(Formula(path.name, tex, kind == "display"))
                word = line[3:].strip()
                kind, lines = (word if word in ("inline", "display") else None), []
            elif kind is not None:
                lines.append(line)
    return formulas


# --- the Python converters ------------------------------------------------------------

_PASSED_THROUGH = re.compile(r">(\\[A-Za-z]+)<|>(\\|&)</mi>")


def latex2mathml_alone() -> Convert:
    from latex2mathml.converter import convert

    def run(tex: str, display: bool) -> str:
        mathml = convert(tex, display="block" if display else "inline")
        if _PASSED_THROUGH.search(mathml):
            raise ValueError("passed an unknown command through")
        return mathml

    return run


def foldpress_converter() -> Convert:
    from foldpress.mathml import convert_formula

    return lambda tex, display: convert_formula(tex.strip(), display)[0]


def pykatex_converter() -> Convert:
    import pykatex

    def run(tex: str, display: bool) -> str:
        return pykatex.renderToString(tex, displayMode=display, output="mathml", throwOnError=True)

    return run


def pandoc_batch(formulas: list[Formula]) -> list[str | None]:
    """Each formula through pandoc's texmath in one run: a document of one Math node per
    paragraph, in pandoc's JSON; pandoc writes a formula it cannot convert as TeX."""
    import pypandoc

    kind = {False: "InlineMath", True: "DisplayMath"}
    blocks = [
        {"t": "Para", "c": [{"t": "Math", "c": [{"t": kind[f.display]}, f.tex]}]} for f in formulas
    ]
    version = pypandoc.convert_text("", "json", format="markdown")
    api = json.loads(version)["pandoc-api-version"]
    document = json.dumps({"pandoc-api-version": api, "meta": {}, "blocks": blocks})
    out = pypandoc.convert_text(document, "html", format="json", extra_args=["--mathml"])
    paragraphs = re.findall(r"<p>(.*?)</p>", out, re.DOTALL)
    if len(paragraphs) != len(formulas):
        raise RuntimeError(f"pandoc gave {len(paragraphs)} paragraphs for {len(formulas)}")
    return [p if p.lstrip().startswith("<math") else None for p in paragraphs]


# --- the Node converters ----------------------------------------------------------------

NODE_SCRIPT = r"""
const fs = require('fs');
const formulas = JSON.parse(fs.readFileSync(0, 'utf8'));
const out = {};
function each(name, convert) {
  const t0 = process.hrtime.bigint();
  out[name] = {results: formulas.map(([tex, display]) => {
    try { return convert(tex, display); } catch (e) { return null; }
  })};
  out[name].ms = Number(process.hrtime.bigint() - t0) / 1e6;
}
try {
  const katex = require('katex');
  require('katex/contrib/mhchem');
  each('katex', (tex, display) =>
    katex.renderToString(tex, {displayMode: display, output: 'mathml', throwOnError: true}));
} catch (e) {}
try {
  const temml = require('temml');
  each('temml', (tex, display) =>
    temml.renderToString(tex, {displayMode: display, throwOnError: true}));
} catch (e) {}
try {
  const {mathjax} = require('mathjax-full/js/mathjax.js');
  const {TeX} = require('mathjax-full/js/input/tex.js');
  const {AllPackages} = require('mathjax-full/js/input/tex/AllPackages.js');
  const {liteAdaptor} = require('mathjax-full/js/adaptors/liteAdaptor.js');
  const {RegisterHTMLHandler} = require('mathjax-full/js/handlers/html.js');
  const {SerializedMmlVisitor} = require('mathjax-full/js/core/MmlTree/SerializedMmlVisitor.js');
  const {STATE} = require('mathjax-full/js/core/MathItem.js');
  RegisterHTMLHandler(liteAdaptor());
  const skipped = ['noundefined', 'noerrors', 'bussproofs'];
  const packages = AllPackages.filter((p) => !skipped.includes(p));
  const tex = new TeX({packages, formatError: (jax, err) => { throw err; }});
  const doc = mathjax.document('', {InputJax: tex});
  const visitor = new SerializedMmlVisitor();
  each('mathjax', (text, display) =>
    visitor.visitTree(doc.convert(text, {display, end: STATE.CONVERT})));
} catch (e) {}
process.stdout.write(JSON.stringify(out));
"""


def node_batch(formulas: list[Formula]) -> dict[str, tuple[list[str | None], float]]:
    """Each Node converter's MathML (None where it failed) and its time in seconds."""
    node = shutil.which("node")
    if node is None or not (NODE_DIR / "node_modules").is_dir():
        return {}
    script = NODE_DIR / "convert.js"
    script.write_text(NODE_SCRIPT, encoding="utf-8")
    data = json.dumps([[f.tex, f.display] for f in formulas])
    done = subprocess.run(
        [node, str(script)], input=data, capture_output=True, text=True, cwd=NODE_DIR, check=True
    )
    found = json.loads(done.stdout)
    return {name: (found[name]["results"], found[name]["ms"] / 1000) for name in found}


# --- running them -----------------------------------------------------------------------


def run_python(convert: Convert, formulas: list[Formula]) -> tuple[list[str | None], float]:
    results: list[str | None] = []
    start = time.perf_counter()
    for f in formulas:
        try:
            results.append(convert(f.tex, f.display))
        except Exception:
            results.append(None)
    return results, time.perf_counter() - start


def all_results(formulas: list[Formula]) -> dict[str, tuple[list[str | None], float]]:
    """Each installed converter's output per formula, and its time."""
    found: dict[str, tuple[list[str | None], float]] = {}
    makers = {
        "latex2mathml": latex2mathml_alone,
        "foldpress": foldpress_converter,
        "pykatex": pykatex_converter,
    }
    for name, make in makers.items():
        try:
            convert = make()
        except ImportError:
            print(f"{name}: not installed, skipped", file=sys.stderr)
            continue
        found[name] = run_python(convert, formulas)
    try:
        start = time.perf_counter()
        found["pandoc"] = pandoc_batch(formulas), time.perf_counter() - start
    except (ImportError, OSError) as error:
        print(f"pandoc: {error}, skipped", file=sys.stderr)
    found.update(node_batch(formulas))
    return found


def versions() -> dict[str, str]:
    from importlib import metadata

    found = {}
    for name, dist in [("latex2mathml", "latex2mathml"), ("pykatex", "pykatex")]:
        with contextlib.suppress(metadata.PackageNotFoundError):
            found[name] = metadata.version(dist)
    try:
        import pypandoc

        found["pandoc"] = pypandoc.get_pandoc_version()
    except (ImportError, OSError):
        pass
    for name, package in [("katex", "katex"), ("temml", "temml"), ("mathjax", "mathjax-full")]:
        manifest = NODE_DIR / "node_modules" / package / "package.json"
        if manifest.exists():
            found[name] = json.loads(manifest.read_text())["version"]
    return found


# --- the browser check ------------------------------------------------------------------


def browser_check(
    formulas: list[Formula], found: dict[str, tuple[list[str | None], float]], step: int
) -> dict[str, dict[str, float]]:
    """Lay every ``step``-th formula out in Chromium with each converter's MathML;
    per converter: the share with a non-empty box, and the share within 25% of MathJax's
    box in width and height."""
    from playwright.sync_api import sync_playwright

    names = list(found)
    sample = list(range(0, len(formulas), step))
    rows = []
    for i in sample:
        cells = "".join(
            f'<td data-c="{n}">{_only_math(found[n][0][i]) or "<i>failed</i>"}</td>' for n in names
        )
        rows.append(f'<tr data-i="{i}"><th>{i}</th>{cells}</tr>')
    head = "".join(f"<th>{n}</th>" for n in names)
    page_html = (
        '<!doctype html><meta charset="utf-8"><style>td,th{border:1px solid #ccc;'
        "padding:4px;vertical-align:middle}math{font-size:18px}</style>"
        f"<table><tr><th>#</th>{head}</tr>{''.join(rows)}</table>"
    )
    RESULTS.mkdir(exist_ok=True)
    page_file = RESULTS / "math_corpus.html"
    page_file.write_text(page_html, encoding="utf-8")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 2400, "height": 1200})
        page.goto(page_file.as_uri())
        boxes = page.evaluate(
            """() => [...document.querySelectorAll('td')].map((td) => {
                const m = td.querySelector('math');
                if (!m) return [td.dataset.c, td.parentElement.dataset.i, null];
                const r = m.getBoundingClientRect();
                return [td.dataset.c, td.parentElement.dataset.i, [r.width, r.height]];
            })"""
        )
        page.screenshot(path=str(RESULTS / "math_corpus.png"), full_page=True)
        browser.close()
    box = {(name, int(i)): size for name, i, size in boxes}
    report = {}
    for name in names:
        shown = [i for i in sample if box[name, i] and box[name, i][0] > 0 and box[name, i][1] > 0]
        reference = [i for i in sample if box.get(("mathjax", i))]
        close = [
            i for i in reference if i in shown and _within(box[name, i], box["mathjax", i], 0.25)
        ]
        report[name] = {
            "sample": len(sample),
            "shown": len(shown) / len(sample),
            "like_mathjax": len(close) / len(reference) if reference else float("nan"),
        }
    return report


def _only_math(mathml: str | None) -> str | None:
    """The ``<math>`` element alone: KaTeX wraps it in a span, pandoc in nothing."""
    if mathml is None:
        return None
    found = re.search(r"<math.*</math>", mathml, re.DOTALL)
    return found.group(0) if found else html.escape(mathml)


def _within(size: list[float], reference: list[float], tolerance: float) -> bool:
    return all(abs(a - b) <= tolerance * b for a, b in zip(size, reference, strict=True))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--browser", action="store_true", help="lay a sample out in Chromium")
    parser.add_argument("--step", type=int, default=5, help="the sample: every STEP-th formula")
    args = parser.parse_args()

    formulas = read_corpus()
    sources = sorted({f.source for f in formulas})
    print(
        f"{len(formulas)} formulas from {len(sources)} sources in {CORPUS.relative_to(HERE.parent)}"
    )
    found = all_results(formulas)
    layout = browser_check(formulas, found, args.step) if args.browser else {}
    known = versions()
    table = []
    print(
        "\n| converter | version | converted | share | time (ms) |"
        + (" shown | like MathJax |" if layout else "")
    )
    print("|---|---|---|---|---|" + ("---|---|" if layout else ""))
    for name, (results, seconds) in found.items():
        ok = sum(r is not None for r in results)
        row = {
            "converter": name,
            "version": known.get(name, ""),
            "converted": ok,
            "formulas": len(formulas),
            "seconds": seconds,
            **layout.get(name, {}),
        }
        table.append(row)
        line = (
            f"| {name} | {row['version']} | {ok}/{len(formulas)} | "
            f"{100 * ok / len(formulas):.1f}% | {1000 * seconds:.0f} |"
        )
        if name in layout:
            line += (
                f" {100 * layout[name]['shown']:.0f}% | {100 * layout[name]['like_mathjax']:.0f}% |"
            )
        print(line)
    failed = {
        name: [
            f"{f.source}: {f.tex[:70]!r}"
            for f, r in zip(formulas, results, strict=True)
            if r is None
        ]
        for name, (results, _) in found.items()
    }
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / "math_corpus.json"
    out.write_text(json.dumps({"results": table, "failed": failed}, indent=1), encoding="utf-8")
    print(f"\nwritten to {out.relative_to(HERE.parent)}")


if __name__ == "__main__":
    main()
