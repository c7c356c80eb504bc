"""Rendering posts in worker processes gives the same site, and the same errors, as
rendering them in the build's own process. ``jobs=2`` asks for two workers however
few posts there are."""

from __future__ import annotations

import shutil

import pytest
from conftest import post_file
from foldpress.build import build
from foldpress.errors import BuildError
from test_incremental import FILES, SITE_TOML, files_of


def test_workers_build_the_same_site_as_one_process(make_site, tmp_path):
    site = make_site(FILES, site_toml=SITE_TOML)
    serial = build(site, tmp_path / "serial", jobs=1)
    shutil.rmtree(site / ".foldpress-cache")
    workers = build(site, tmp_path / "workers", jobs=2)
    assert (serial.rendered, workers.rendered) == (7, 7)
    assert files_of(tmp_path / "workers") == files_of(tmp_path / "serial")


def test_errors_found_in_workers_name_their_file_and_line(make_site):
    broken = post_file("Broken", "2025-01-01", "Fine.\n\nBad $\\alpah$ math.\n")
    site = make_site({**FILES, "posts/2025-01-01-broken.md": broken}, site_toml=SITE_TOML)
    with pytest.raises(BuildError) as caught:
        build(site, jobs=2)
    [error] = caught.value.errors
    assert error.path == site / "posts/2025-01-01-broken.md"
    assert error.line == 8 and "unknown LaTeX command \\alpah" in error.message
