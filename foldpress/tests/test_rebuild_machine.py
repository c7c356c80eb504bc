"""Random sequences of edits to a small site (posts added, deleted, renamed, moved in
time; drafts, series, aliases, topics, summaries, the fold; pages, static files, the
site's own templates, settings): after each, the incremental build is byte for byte
what a clean build makes. bench/rebuild_machine.py runs the same machine much longer."""

from __future__ import annotations

from _rebuild_machine import RebuildMachine
from hypothesis import HealthCheck, settings

TestRebuilds = RebuildMachine.TestCase
TestRebuilds.settings = settings(
    max_examples=3,
    stateful_step_count=6,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
