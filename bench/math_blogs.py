"""Formulas from public blogs, read at pinned commits, as foldpress's build finds them.

    python bench/math_blogs.py --mirrors /work/.mirror          # repositories already here
    python bench/math_blogs.py --mirrors ~/blogs --clone         # clone the missing ones

Each blog of :data:`BLOGS` is a public GitHub repository at a pinned commit: its
Markdown posts (``git show``, no checkout) are parsed by foldpress's Markdown with every
way of writing math on, and each formula the parse finds (inline or display, as its
author wrote it) is converted by foldpress's converter. Nothing of the blogs is kept in
this repository: the formulas are read from the repositories each time, where
``--mirrors`` keeps them (``OWNER+NAME/repo``, a bare clone, or ``OWNER+NAME`` itself).

Printed: a table per blog (engine, commit date, posts, formulas, converted), the
commonest reasons for failure, and, written to ``bench/results/math_blogs.json``, every
formula that failed. ``bench/math_corpus.py --blogs DIR`` runs every TeX-to-MathML
converter on the same formulas.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
sys.path.insert(0, str(HERE.parent / "foldpress" / "src"))


@dataclass(frozen=True)
class Blog:
    repo: str  # owner/name on GitHub
    commit: str
    engine: str  # what built it at that commit, and its Markdown
    folders: tuple[str, ...]  # where its posts are


# Engines and eras: Jekyll with kramdown (2015-2026, al-folio's distill-style posts among
# them), Hugo with Goldmark, Pelican with Python-Markdown, Hexo, Hakyll drafts.
BLOGS = [
    Blog("lilianweng/lil-log", "b628a734a60c5b528232af76d973a25582610d1f", "Jekyll", ("_posts",)),
    Blog(
        "wiseodd/wiseodd.github.io",
        "4966ae677d053b9b7f884a16ab710acc09bde31f",
        "Jekyll",
        ("_posts",),
    ),
    Blog(
        "karpathy/karpathy.github.io",
        "0c39d94ec1a22ec0e650adc2b530a347f09899e9",
        "Jekyll",
        ("_posts",),
    ),
    Blog("cs231n/cs231n.github.io", "3d84654b14608fbccdff2393485631aaacfc9dab", "Jekyll", ("",)),
    Blog(
        "dustinstansbury/theclevermachine",
        "617c322b8108f5529a615a92d52d49b6b613aa2a",
        "Jekyll",
        ("_posts", "topics"),
    ),
    Blog(
        "gwgundersen/gwgundersen.github.io",
        "b9384e3b0d0661576d90262e7806519a19e58c04",
        "Jekyll",
        ("_orf309", "_orf525"),
    ),
    Blog(
        "iclr-blogposts/2024",
        "f8d8b1265493ecf1c20ad52cc980b317449babcc",
        "Jekyll (al-folio, distill)",
        ("_posts",),
    ),
    Blog(
        "yang-song/yang-song.github.io",
        "ebeee35629d9d1c26f388b7ce5371b4561c825af",
        "Jekyll (al-folio)",
        ("_posts",),
    ),
    Blog(
        "stanford-cs324/winter2022",
        "274fb9caf7db8382c0b1285bd8bf4070dec84995",
        "Jekyll",
        ("lectures", ""),
    ),
    Blog(
        "pandaychen/pandaychen.github.io",
        "bdd2d665291f76775ca967b535fcdfea60502c16",
        "Jekyll",
        ("_posts",),
    ),
    Blog(
        "vllm-project/vllm-project.github.io",
        "c3a01c4a5807c8d900ae468897e45263373e534e",
        "Jekyll",
        ("_posts",),
    ),
    Blog(
        "yihe-61wu/yihe-61wu.github.io",
        "3f27faf41e49587f184739fb05fb0de40b17e69b",
        "Jekyll (academicpages)",
        ("_posts", "_pages"),
    ),
    Blog("TAOGenna/kenyi-blog", "5681469ba13dd3eacfc023315cd0a71e7918862a", "Hugo", ("content",)),
    Blog(
        "maxwshen/argmaxblog",
        "7cd2eb5d3213bd98f8218aa68f8325b995169c74",
        "Hugo (PaperMod)",
        ("content",),
    ),
    Blog("ouuan/hugo-blog", "0be6d7b8669d51ec8fc7a3f1735ee6b7c51ba083", "Hugo", ("content",)),
    Blog(
        "Lruihao/hugo-blog",
        "106737fee583858a9bc2a0363a9b9841a3911891",
        "Hugo (FixIt)",
        ("content",),
    ),
    Blog(
        "way2ml/way2ml.github.io",
        "a80e4088c881d9e00906d54513ddbf6593cd530c",
        "Hugo",
        ("doc", "content"),
    ),
    Blog(
        "jakevdp/jakevdp.github.io-source",
        "ee516b93a8d83457b1f11f21dba9016f685e887d",
        "Pelican",
        ("content",),
    ),
    Blog(
        "wagdav/thewagner.net",
        "140207e6a7f1055eaffc60449ad7cecef64e757f",
        "Pelican (render-math)",
        ("content",),
    ),
    Blog("broepke/StaticSite", "49e9ad38a77ffe23cf20aece80d95ffdabf8771a", "Pelican", ("content",)),
    Blog(
        "sosiristseng/template-hexo-next",
        "6775af0c2a7b2720f0640c77cbc6b2759c0340fa",
        "Hexo (NexT)",
        ("source/_posts",),
    ),
    Blog(
        "colah/colah.github.io",
        "786c102b0f7ca385059e6d5a93bc37f149420488",
        "Hakyll (drafts)",
        ("posts", "DeepIntro"),
    ),
]
_MARKDOWN = re.compile(r"\.(md|markdown|mdx)$")
_SKIP = re.compile(r"(^|/)(node_modules|themes|vendor|_site|public)/|^README\.md$")
# Front matter: YAML or TOML between fences, or Pelican's "Key: value" lines.
_FENCED = re.compile(r"\A(---|\+\+\+)[ \t]*\n.*?\n\1[ \t]*(\n|\Z)", re.S)
_PELICAN = re.compile(r"\A(?:[A-Za-z][\w -]*:[^\n]*\n)+\n")


@dataclass(frozen=True)
class Found:
    blog: str
    path: str
    line: int
    tex: str
    display: bool


def git_dir(mirrors: Path, repo: str, clone: bool) -> Path:
    name = repo.replace("/", "+")
    for candidate in (mirrors / name / "repo", mirrors / name):
        if (candidate / "HEAD").exists() or (candidate / ".git").exists():
            return candidate
    if not clone:
        raise SystemExit(f"{repo}: not in {mirrors} (fetch it, or pass --clone)")
    target = mirrors / name / "repo"
    url = f"https://github.com/{repo}.git"
    subprocess.run(["git", "clone", "--bare", "--quiet", url, str(target)], check=True)
    return target


def listing(git: Path, blog: Blog) -> list[str]:
    return subprocess.run(
        ["git", f"--git-dir={git}", "ls-tree", "-r", "--name-only", blog.commit],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()


def read(git: Path, commit: str, paths: list[str]) -> list[tuple[str, str]]:
    """The text of each of ``paths`` at ``commit``, read in one ``git cat-file``."""
    batch = "".join(f"{commit}:{p}\n" for p in paths).encode()
    out = subprocess.run(
        ["git", f"--git-dir={git}", "cat-file", "--batch"],
        input=batch,
        capture_output=True,
        check=True,
    ).stdout
    texts, at = [], 0
    for path in paths:
        header_end = out.index(b"\n", at)
        header = out[at:header_end].split()
        if header[-1] == b"missing":
            at = header_end + 1
            continue
        size = int(header[2])
        texts.append((path, out[header_end + 1 : header_end + 1 + size].decode("utf-8", "replace")))
        at = header_end + 1 + size + 1
    return texts


def site_math(git: Path, blog: Blog, files: list[str]):  # type: ignore[no-untyped-def]
    """The math an import would read on ``blog``: per delimiter, and its macros, from
    its templates and settings (:func:`foldpress.importers._math.math_of`)."""
    from foldpress.importers._math import CONTENT, NOT_SETTINGS, SETTINGS_SUFFIXES, math_of

    skipped = NOT_SETTINGS | CONTENT
    paths = [
        p
        for p in files
        if Path(p).suffix.lower() in SETTINGS_SUFFIXES
        and not skipped.intersection(Path(p).parts[:-1])
        and not p.endswith((".min.js", "package-lock.json"))
    ]
    texts = [text for _, text in read(git, blog.commit, paths) if len(text) < 1_000_000]
    return math_of(texts, blog.engine.split()[0].lower())


def posts(git: Path, blog: Blog, files: list[str]) -> list[tuple[str, str]]:
    """Each Markdown post of ``blog`` at its commit: (path, text)."""
    paths = [
        p
        for p in files
        if _MARKDOWN.search(p)
        and not _SKIP.search(p)
        and any(
            p.startswith(f"{folder}/") or (not folder and "/" not in p) for folder in blog.folders
        )
    ]
    return read(git, blog.commit, paths)


def formulas(md, blog: Blog, path: str, text: str) -> tuple[list[Found], list[str]]:  # type: ignore[no-untyped-def]
    """The formulas foldpress's build finds in a post, and its warnings about math."""
    from foldpress.markdown import check_math
    from foldpress.mathjax_tex import with_macros

    matter = _FENCED.match(text) or _PELICAN.match(text)
    offset_lines = text.count("\n", 0, matter.end()) if matter else 0
    body = text[matter.end() :] if matter else text
    doc = md.parse(body)
    found = []
    for event, span in doc.events:
        if type(event) is dict and ("InlineMath" in event or "DisplayMath" in event):
            [(kind, tex)] = event.items()
            line = offset_lines + doc.line(span["start"]) + 1
            tex = with_macros(tex.strip(), doc.macros)
            if tex:  # not definitions only
                found.append(Found(blog.repo, path, line, tex, kind == "DisplayMath"))
    warnings = [f"{path}:{offset_lines + line + 1}: {m}" for line, m in doc.math_warnings]
    warnings += [f"{path}:{offset_lines + line + 1}: {m}" for line, m in check_math(doc)]
    return found, warnings


def read_blogs(mirrors: Path, clone: bool = False) -> tuple[list[Found], dict[str, dict]]:
    """Every formula of every blog, and per blog: its engine, commit, date, posts, warnings."""
    everything: list[Found] = []
    about: dict[str, dict] = {}
    for blog in BLOGS:
        git = git_dir(mirrors, blog.repo, clone)
        date = subprocess.run(
            ["git", f"--git-dir={git}", "log", "-1", "--format=%ad", "--date=short", blog.commit],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        from foldpress.markdown import Markdown

        files = listing(git, blog)
        syntax = site_math(git, blog, files)
        md = Markdown(math=syntax)
        texts = posts(git, blog, files)
        warnings: list[str] = []
        for path, text in texts:
            found, warned = formulas(md, blog, path, text)
            everything += found
            warnings += warned
        about[blog.repo] = {
            "engine": blog.engine,
            "commit": blog.commit,
            "date": date,
            "posts": len(texts),
            "warnings": warnings,
            "math": _delimiters(syntax),
            "macros": len(syntax.preamble.splitlines()),
        }
        print(f"  {blog.repo}: {len(texts)} posts read", file=sys.stderr)
    return everything, about


def _delimiters(syntax) -> str:  # type: ignore[no-untyped-def]
    names = {
        "dollar": "$",
        "double_dollar": "$$",
        "paren": "\\(",
        "bracket": "\\[",
        "environments": "env",
    }
    return " ".join(shown for name, shown in names.items() if getattr(syntax, name))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mirrors", type=Path, required=True, help="where the repositories are")
    parser.add_argument("--clone", action="store_true", help="clone the missing ones from GitHub")
    args = parser.parse_args()

    from foldpress.mathml import MathError, convert_formula

    found, about = read_blogs(args.mirrors, args.clone)
    failed: dict[str, list[dict]] = {repo: [] for repo in about}
    reasons: Counter[str] = Counter()
    for f in found:
        try:
            convert_formula(f.tex, f.display)
        except MathError as error:
            failed[f.blog].append({"where": f"{f.path}:{f.line}", "tex": f.tex, "why": str(error)})
            reasons[re.sub(r"\(.*", "(...)", str(error))] += 1
    total = len(found)
    converted = total - sum(len(v) for v in failed.values())
    print(
        f"\n{total} formulas from {len(about)} blogs; converted {converted} "
        f"({100 * converted / total:.2f}%)\n"
    )
    print(
        "| blog | engine | commit (date) | math read | macros | posts | formulas | converted "
        "| share | warned |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    rows = []
    for repo, info in about.items():
        n = sum(1 for f in found if f.blog == repo)
        ok = n - len(failed[repo])
        share = f"{100 * ok / n:.1f}%" if n else "-"
        print(
            f"| {repo} | {info['engine']} | `{info['commit'][:10]}` ({info['date']}) | "
            f"`{info['math']}` | {info['macros']} | "
            f"{info['posts']} | {n} | {ok} | {share} | {len(info['warnings'])} |"
        )
        rows.append({"blog": repo, **info, "formulas": n, "converted": ok, "failed": failed[repo]})
    print("\ncommonest reasons for failure:")
    for reason, count in reasons.most_common(15):
        print(f"  {count:4d}  {reason}")
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / "math_blogs.json"
    out.write_text(json.dumps({"formulas": total, "converted": converted, "blogs": rows}, indent=1))
    print(f"\nwritten to {out.relative_to(HERE.parent)}")


if __name__ == "__main__":
    main()
