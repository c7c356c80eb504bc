"""Rebuild times of two foldpress source trees on one generated site, run interleaved.

On a machine shared with other work, wall times vary from run to run; running the old
and the new tree in turn, and comparing the CPU time of the build's process, separates
the code's cost from the machine's load. Each run is ``build(site)`` in a fresh process
with ``PYTHONPATH`` pointing at one tree:

    git archive OLD foldpress/src | tar -x -C /tmp/old
    .venv/bin/python bench/compare_rebuilds.py /tmp/old/foldpress/src foldpress/src --posts 10000

CPU time is the build process's own: with ``--jobs 1`` it is all of the build's work,
cold builds included (with more, the workers that render posts and pages are not
counted).
"""

from __future__ import annotations

import argparse
import compileall
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).parent
ONE_BUILD = """
import resource, sys, time
from pathlib import Path
wall, cpu = time.perf_counter(), time.process_time()
from foldpress.build import build
build(Path(sys.argv[1]), jobs=int(sys.argv[2]) if sys.argv[2] != "default" else None)
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
print(time.perf_counter() - wall, time.process_time() - cpu, peak)
"""


def run(tree: str, site: Path, jobs: str) -> tuple[float, float, int]:
    env = dict(os.environ, PYTHONPATH=str(Path(tree).resolve()))
    done = subprocess.run(
        [sys.executable, "-c", ONE_BUILD, str(site), jobs],
        env=env,
        capture_output=True,
        text=True,
    )
    if done.returncode:
        raise SystemExit(done.stderr)
    wall, cpu, peak = done.stdout.split()
    return float(wall), float(cpu), int(peak)


_ORDER = ["cold", "no-change", "one-edit"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("old", help="the old tree's src folder")
    parser.add_argument("new", help="the new tree's src folder")
    parser.add_argument("--posts", type=int, default=10000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--jobs", default="default", help="build(jobs=...): a number")
    args = parser.parse_args()
    for tree in (args.old, args.new):  # as installing would (see bench_site_build.py)
        compileall.compile_dir(tree, quiet=1)
    with tempfile.TemporaryDirectory() as work:
        source = Path(work) / "source"
        generator = [sys.executable, str(HERE / "generate_corpus.py"), str(source)]
        subprocess.run([*generator, "--posts", str(args.posts)], check=True)
        results: dict[tuple[str, str], list[tuple[float, float, int]]] = {}
        for _ in range(args.rounds):
            for name, tree in (("old", args.old), ("new", args.new)):
                site = Path(work) / name  # a fresh copy each round: a cold build
                shutil.rmtree(site, ignore_errors=True)
                shutil.copytree(source, site)
                for kind in ("cold", "no-change", "one-edit"):
                    if kind == "one-edit":
                        newest = sorted((site / "posts").glob("*.md"))[-1]
                        with newest.open("a", encoding="utf-8") as f:
                            f.write(f"\nAn edit made at {time.time()}.\n")
                    results.setdefault((name, kind), []).append(run(tree, site, args.jobs))
    print(f"{'tree':<5} {'rebuild':<10} {'wall s':>7} {'CPU s':>7} {'peak MiB':>9}  (best of runs)")
    for (name, kind), rows in sorted(results.items(), key=lambda item: _ORDER.index(item[0][1])):
        wall, cpu, peak = min(r[0] for r in rows), min(r[1] for r in rows), max(r[2] for r in rows)
        print(f"{name:<5} {kind:<10} {wall:>7.2f} {cpu:>7.2f} {peak:>9}")


if __name__ == "__main__":
    main()
