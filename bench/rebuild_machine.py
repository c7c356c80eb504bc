"""The rebuild state machine (foldpress/tests/_rebuild_machine.py), run long: random
edits to a small site, each followed by incremental builds (from the cache on disk, and
from memory as ``serve`` makes them) and a clean build, compared byte for byte. Prints
how many edits were made and how many files differed (0, or it stops at the first
difference with the edit sequence that made it, shrunk by hypothesis).

    .venv/bin/python bench/rebuild_machine.py --edits 500
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from hypothesis import HealthCheck, settings
from hypothesis.stateful import run_state_machine_as_test

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "foldpress" / "tests"))
from _rebuild_machine import RebuildMachine


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--edits", type=int, default=500, help="edits in all (default 500)")
    parser.add_argument("--steps", type=int, default=50, help="edits per random site")
    args = parser.parse_args()
    edits = 0

    class Counted(RebuildMachine):
        def write(self) -> None:
            nonlocal edits
            super().write()
            edits += 1

    started = time.perf_counter()
    while edits < args.edits:  # a run may stop a sequence early: run more until done
        run_state_machine_as_test(
            Counted,
            settings=settings(
                max_examples=max(1, -(-(args.edits - edits) // args.steps)),
                stateful_step_count=args.steps,
                deadline=None,
                database=None,
                suppress_health_check=list(HealthCheck),
            ),
        )
    seconds = time.perf_counter() - started
    how = "each built incrementally (from disk and from memory) and clean"
    print(f"{edits} edits, {how}: 0 differing files ({seconds:.0f} s)")


if __name__ == "__main__":
    main()
