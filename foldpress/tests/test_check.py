"""``foldpress check``: broken internal links, anchors and images reported at their
Markdown lines, all at once; external links asked of a real HTTP server on this machine."""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from click.testing import CliRunner
from conftest import post_file

from foldpress.cache import CACHE_DIR
from foldpress.cli import main

GOOD = {
    "posts/2025-01-01-first.md": post_file(
        "First",
        "2025-01-01",
        """\
        ## Setting up

        Text.
        """,
    ),
    "posts/2025-02-01-second.md": post_file(
        "Second",
        "2025-02-01",
        """\
        See [the first post](/2025/01/first/) and [its setup](/2025/01/first/#setting-up),
        [below](#details), the [about page](../../../about/), ![a logo](/images/logo.svg),
        [a file](/files/notes.txt), [the feed](/feed/atom.xml) and
        <a href="/archive/">the archive</a>.

        ## Details

        Mail [me](mailto:me@example.com). <img src="/images/logo.svg" alt="logo">
        """,
    ),
    "pages/about.md": "---\ntitle: About\n---\n\nBack [home](/).\n",
    "static/images/logo.svg": '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"/>\n',
    "static/files/notes.txt": "notes\n",
}

BROKEN = post_file(
    "Broken",
    "2025-03-01",
    """\
    Intro with a [renamed post](/2025/01/renamed/).

    <!--more-->

    An anchor that [is not there](/2025/01/first/#no-such-heading), and one
    [on this page](#nowhere).

    ![missing image](/images/missing.png)

    <p>HTML: <a href="/nope/">a page</a>
    and <img src="gone.png" alt=""></p>

    [a missing file](/files/missing.pdf), [a reference][ref].

    [ref]: /2024/12/old/
    """,
)


def run(*args: str):
    return CliRunner().invoke(main, [*args])


def test_a_clean_site_passes(make_site):
    site = make_site(GOOD)
    result = run("check", str(site))
    assert result.exit_code == 0, result.output
    assert result.output == "No broken links.\n"


def test_every_broken_link_anchor_and_image_is_reported_at_its_line(make_site):
    site = make_site({**GOOD, "posts/2025-03-01-broken.md": BROKEN})
    result = run("check", str(site))
    assert result.exit_code == 1
    path = site / "posts/2025-03-01-broken.md"
    assert result.output.splitlines() == [
        f"{path}:6: link to /2025/01/renamed/ -- no such page",
        f"{path}:10: link to /2025/01/first/#no-such-heading -- no such anchor on that page",
        f"{path}:11: link to #nowhere -- no such anchor",
        f"{path}:13: image /images/missing.png -- no such file",
        f"{path}:15: link to /nope/ -- no such page",
        f"{path}:16: image gone.png -- no such file",
        f"{path}:18: link to /files/missing.pdf -- no such file",
        f"{path}:18: link to /2024/12/old/ -- no such page",
        "Error: 8 broken links",
    ]


def test_a_malformed_url_is_a_broken_link_not_a_traceback(make_site):
    bad = post_file("Bad", "2025-03-01", "A [link](http://[oops) to nowhere.\n")
    site = make_site({**GOOD, "posts/2025-03-01-bad.md": bad})
    result = run("check", "--external", str(site))
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit), result.output
    path = site / "posts/2025-03-01-bad.md"
    assert result.output.splitlines() == [
        f"{path}:6: link to http://[oops -- malformed URL (Invalid IPv6 URL)",
        "Error: 1 broken link",
    ]


def test_check_against_a_built_folder_and_build_with_check(make_site):
    site = make_site({**GOOD, "posts/2025-03-01-broken.md": BROKEN})
    built = run("build", str(site), "--check")
    assert built.exit_code == 1
    assert "Built 3 posts" in built.output and "Error: 8 broken links" in built.output
    assert (site / "_site/index.html").exists()  # the site is built all the same
    against = run("check", str(site), "--output", str(site / "_site"))
    assert against.exit_code == 1 and "Error: 8 broken links" in against.output
    (site / "posts/2025-03-01-broken.md").unlink()
    assert run("build", str(site), "--check").exit_code == 0


def test_a_site_that_does_not_build_is_reported(make_site):
    site = make_site({"posts/bad.md": "---\ntitle: Bad\n---\n"})
    result = run("check", str(site))
    assert result.exit_code == 1
    assert f"{site / 'posts/bad.md'}:1: missing 'date' in front matter" in result.output


class Server(ThreadingHTTPServer):
    daemon_threads = True
    requests: Counter[tuple[str, str]]


class Handler(BaseHTTPRequestHandler):
    """200 at /ok, 404 at /missing, a redirect at /moved, HEAD refused at /get-only, and
    an answer too slow for the checker's timeout at /slow."""

    server: Server

    def do_HEAD(self) -> None:
        self.answer(body=False)

    def do_GET(self) -> None:
        self.answer(body=True)

    def answer(self, body: bool) -> None:
        self.server.requests[(self.command, self.path)] += 1
        status, headers = 200, {}
        if self.path in ("/missing", "/gone"):
            status = 404
        elif self.path == "/moved":
            status, headers = 301, {"Location": "/landing"}
        elif self.path == "/moved-to-missing":
            status, headers = 302, {"Location": "/gone"}
        elif self.path == "/get-only" and not body:
            status = 405
        elif self.path == "/slow":
            time.sleep(1.5)
        self.send_response(status)
        for name, value in {**headers, "Content-Length": "2"}.items():
            self.send_header(name, value)
        self.end_headers()
        if body:
            self.wfile.write(b"ok")

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[Server]:
    httpd = Server(("127.0.0.1", 0), Handler)
    httpd.requests = Counter()
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()


def test_external_links_are_checked_against_their_servers(make_site, server):
    base = f"http://127.0.0.1:{server.server_address[1]}"
    body = "\n\n".join(
        f"[{name}]({base}/{name})"
        for name in ("ok", "missing", "moved", "moved-to-missing", "get-only", "slow")
    )
    body += f"\n\nAgain: [ok]({base}/ok#section)\n"
    site = make_site({"posts/2025-01-01-web.md": post_file("Web", "2025-01-01", body)})
    path = site / "posts/2025-01-01-web.md"

    result = run("check", str(site), "--external", "--timeout", "0.5")
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        f"{path}:8: link to {base}/missing -- 404 Not Found",
        f"{path}:12: link to {base}/moved-to-missing -- 404 Not Found",
        f"{path}:16: link to {base}/slow -- timed out after 0.5 s",
        "Error: 3 broken links",
    ]
    asked = server.requests
    assert asked[("HEAD", "/ok")] == 1 and asked[("GET", "/ok")] == 0  # once, for both links
    assert asked[("HEAD", "/get-only")] == 1 and asked[("GET", "/get-only")] == 1
    assert asked[("HEAD", "/missing")] == 1 and asked[("GET", "/missing")] == 1

    cache = json.loads((site / CACHE_DIR / "external-links.json").read_text(encoding="utf-8"))
    assert cache["links"][f"{base}/ok"]["ok"] is True
    assert cache["links"][f"{base}/missing"]["status"] == 404

    # A rerun asks only about the broken links; the working ones are remembered.
    asked.clear()
    again = run("check", str(site), "--external", "--timeout", "0.5")
    assert again.exit_code == 1
    assert {path for _, path in asked} == {"/missing", "/moved-to-missing", "/gone", "/slow"}
    # ... until their answers are older than --max-age.
    asked.clear()
    run("check", str(site), "--external", "--timeout", "0.5", "--max-age", "0")
    assert ("HEAD", "/ok") in asked and ("HEAD", "/get-only") in asked


def test_external_links_are_not_asked_for_without_the_flag(make_site, server):
    base = f"http://127.0.0.1:{server.server_address[1]}"
    site = make_site({"posts/a.md": post_file("A", "2025-01-01", f"[x]({base}/missing)\n")})
    assert run("check", str(site)).exit_code == 0
    assert not server.requests
