"""``foldpress serve`` over real HTTP on 127.0.0.1: files, types, safety, live reload, the CLI.

Every wait is bounded: sockets have timeouts and loops have deadlines, so a broken
server fails a test instead of hanging it.
"""

from __future__ import annotations

import http.client
import inspect
import json
import os
import queue
import re
import select
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from conftest import SITE_TOML, post_file, write_files
from watchfiles import Change

from foldpress import serve
from foldpress.build import build
from foldpress.serve import EVENTS_PATH, SiteServer, SourceFilter, serve_site

TIMEOUT = 30.0  # seconds; generous for a loaded CI machine, and never reached when all is well
FOLDPRESS = Path(sys.executable).with_name("foldpress")

POSTS = {
    "posts/2025-03-30-dropout.md": post_file(
        "Dropout", "2025-03-30", "Dropout zeroes units.\n\n<!-- more -->\n\nThen it scales.\n"
    ),
    "posts/2025-04-13-heads.md": post_file("Heads", "2025-04-13", "Many heads.\n"),
    "pages/about.md": "---\ntitle: About\n---\n\nAbout this blog.\n",
}
POST = "posts/2025-03-30-dropout.md"
POST_URL = "/2025/03/dropout/"


@dataclass
class Served:
    server: SiteServer
    site: Path
    messages: list[str] = field(default_factory=list)

    @property
    def out(self) -> Path:
        return serve.preview_folder(self.site)

    def get(self, path: str, method: str = "GET", headers: dict[str, str] | None = None):
        """Send ``path`` exactly as given (no client-side normalisation); return the response
        with its body read."""
        host, port = self.server.server_address[:2]
        connection = http.client.HTTPConnection(host, port, timeout=TIMEOUT)
        try:
            connection.request(method, path, headers=headers or {})
            response = connection.getresponse()
            response.body = response.read()
            return response
        finally:
            connection.close()

    def text(self, path: str) -> str:
        response = self.get(path)
        assert response.status == 200, (path, response.status)
        return response.body.decode()


def write_site(root: Path) -> Path:
    site = root / "site"
    site.mkdir()
    (site / "site.toml").write_text(SITE_TOML, encoding="utf-8")
    write_files(site, POSTS)
    return site


def save(path: Path, text: str) -> None:
    """Write ``path``, a file in a folder of the site, the way editors save: a whole new
    file renamed over the old one, so the watcher never sees it half-written."""
    draft = path.parents[2] / f".{path.name}.saving"  # beside the site, not watched
    draft.write_text(text, encoding="utf-8")
    os.replace(draft, path)


@contextmanager
def serving(site: Path, drafts: bool = False) -> Iterator[Served]:
    """Run ``serve_site`` for ``site`` on a free port in a thread; stop it on exit."""
    stop = threading.Event()
    started: queue.Queue[SiteServer | BaseException] = queue.Queue()
    served = Served(None, site)  # type: ignore[arg-type]  # the server comes from `ready`

    def run() -> None:
        try:
            serve_site(
                site,
                port=0,
                drafts=drafts,
                echo=served.messages.append,
                ready=started.put,
                stop=stop,
            )
        except BaseException as error:  # SystemExit included: the test must hear of it
            started.put(error)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    try:
        first = started.get(timeout=TIMEOUT)
        if isinstance(first, BaseException):
            raise first
        served.server = first
        yield served
    finally:
        stop.set()
        thread.join(TIMEOUT)
        assert not thread.is_alive(), "serve_site did not stop"


@dataclass
class Event:
    name: str
    data: object
    id: str


class EventStream:
    """A client of the server-sent events endpoint; every read has a deadline."""

    def __init__(self, served: Served, last_id: str | None = None) -> None:
        host, port = served.server.server_address[:2]
        self.connection = http.client.HTTPConnection(host, port, timeout=TIMEOUT)
        query = f"?last-event-id={last_id}" if last_id else ""
        self.connection.request("GET", EVENTS_PATH + query)
        self.response = self.connection.getresponse()
        assert self.response.status == 200
        assert self.response.getheader("Content-Type") == "text/event-stream"

    def next(self) -> Event:
        """The next event; a read that takes longer than TIMEOUT raises TimeoutError."""
        fields: dict[str, str] = {}
        while True:
            line = self.response.fp.readline().decode()
            assert line, "the server closed the event stream"
            line = line.rstrip("\n")
            if line.startswith(":"):
                continue  # a comment: keep-alive
            if line:
                name, _, value = line.partition(":")
                fields[name] = value.removeprefix(" ")
            elif "event" in fields:
                return Event(fields["event"], json.loads(fields["data"]), fields["id"])
            else:
                fields = {}  # e.g. the opening retry: line

    def wait_for(self, name: str, about: str = "") -> Event:
        """Skip events until one called ``name``, whose data mentions ``about``, comes
        within TIMEOUT."""
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            event = self.next()
            if event.name == name and about in json.dumps(event.data):
                return event
        raise AssertionError(f"no {name!r} event about {about!r} within {TIMEOUT} s")

    def close(self) -> None:
        self.connection.close()


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """One server for the tests that only read; tests that edit start their own."""
    with serving(write_site(tmp_path_factory.mktemp("serve"))) as served:
        yield served


def live_reload_scripts(html: str) -> list:
    return [s for s in BeautifulSoup(html, "lxml").find_all("script") if s.get("data-events")]


def test_front_page_and_clean_post_urls_are_served_with_the_script(served):
    front, post = served.text("/"), served.text(POST_URL)
    assert "Dropout zeroes units." in front and "Many heads." in front
    assert BeautifulSoup(post, "lxml").h1.get_text() == "Dropout"
    assert "Then it scales." in post
    assert served.text("/about/").split("<main", 1)[1].count("About this blog.") == 1
    for page in (front, post):
        (script,) = live_reload_scripts(page)
        assert script["data-events"].startswith(EVENTS_PATH + "?last-event-id=")
        assert "new EventSource" in script.string
        assert page.rstrip().endswith("</script>\n</body>\n</html>")


def test_the_built_files_never_hold_the_script(served):
    pages = sorted(served.out.rglob("*.html"))
    assert len(pages) > 5
    for page in pages:
        assert "__foldpress__" not in page.read_text(encoding="utf-8"), page
    # What is served is the file on disk plus the script, and nothing else.
    response = served.get(POST_URL)
    on_disk = (served.out / POST_URL.strip("/") / "index.html").read_bytes()
    before, _, after = on_disk.rpartition(b"</body>")
    assert response.body.startswith(before) and response.body.endswith(b"</body>" + after)


def test_a_clean_url_without_its_slash_redirects(served):
    for path, location in [
        ("/2025/03/dropout", POST_URL),
        ("/about?from=nav", "/about/?from=nav"),
        ("/topics", "/topics/"),
    ]:
        response = served.get(path)
        assert response.status == 301, path
        assert response.getheader("Location") == location


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        (POST_URL + "index.html.md", "text/markdown; charset=utf-8"),
        ("/llms.txt", "text/plain; charset=utf-8"),
        ("/robots.txt", "text/plain; charset=utf-8"),
        ("/feed/rss.xml", "application/rss+xml; charset=utf-8"),
        ("/feed/atom.xml", "application/atom+xml; charset=utf-8"),
        ("/sitemap.xml", "application/xml; charset=utf-8"),
        ("/theme/style.css", "text/css; charset=utf-8"),
    ],
)
def test_files_are_served_as_is_with_their_content_type(served, path, expected):
    response = served.get(path)
    assert response.status == 200
    assert response.getheader("Content-Type") == expected
    assert response.body == (served.out / path.lstrip("/")).read_bytes()


def test_a_missing_page_gets_the_sites_404_page_with_status_404(served):
    for path in ("/no/such/page/", "/no-such-file.txt", "/2025/03/dropout/nope"):
        response = served.get(path)
        assert response.status == 404, path
        assert response.getheader("Content-Type") == "text/html; charset=utf-8"
        page = response.body.decode()
        assert BeautifulSoup(page, "lxml").h1.get_text() == "Page not found"
        assert len(live_reload_scripts(page)) == 1


def test_head_sends_the_headers_of_get_without_a_body(served):
    get, head = served.get("/"), served.get("/", method="HEAD")
    assert head.status == 200 and head.body == b""
    assert head.getheader("Content-Length") == get.getheader("Content-Length")
    events = served.get(EVENTS_PATH, method="HEAD")  # must not hang on the stream
    assert events.status == 200 and events.getheader("Content-Type") == "text/event-stream"


def test_paths_outside_the_site_are_refused(served):
    secret = (served.site / "site.toml").read_bytes()
    outside = served.site.parent / "secret.txt"
    outside.write_text("SECRET\n")
    (served.out / "leak.txt").symlink_to(outside)
    (served.out / "leak-dir").symlink_to(served.site)
    (served.out / "alias.txt").symlink_to(served.out / "llms.txt")  # inside: fine
    for path in [
        "/../site.toml",
        "/../../site/site.toml",
        "/%2e%2e/site.toml",
        "/%2E%2E%2Fsite.toml",
        "/2025/../../site.toml",
        "/2025/%2e%2e/%2e%2e/site.toml",
        "/..%5csite.toml",
        "//../site.toml",
        "/leak.txt",
        "/leak-dir/site.toml",
        "/leak-dir/",
        "/leak-dir",
    ]:
        response = served.get(path)
        assert response.status == 404, path
        assert secret not in response.body and b"SECRET" not in response.body, path
    assert served.get("/alias.txt").body == (served.out / "llms.txt").read_bytes()


def test_the_server_listens_on_localhost_unless_told_otherwise(served):
    assert inspect.signature(serve_site).parameters["host"].default == "127.0.0.1"
    assert served.server.server_address[0] == "127.0.0.1"
    assert served.server.url == f"http://127.0.0.1:{served.server.server_address[1]}/"
    assert not any("Warning" in message for message in served.messages)


def test_editing_a_post_rebuilds_and_reloads_open_pages(tmp_path):
    site = write_site(tmp_path)
    with serving(site) as served:
        stream = EventStream(served)
        path = site / POST
        save(path, path.read_text().replace("Then it scales.", "Then it rescales."))
        event = stream.wait_for("reload")
        assert event.data is None
        assert "Then it rescales." in served.text(POST_URL)
        assert any(m.startswith("Built 2 posts and 1 page") for m in served.messages[1:])
        stream.close()


def test_what_a_session_rendered_is_in_the_cache_for_the_next(tmp_path):
    site = write_site(tmp_path)
    with serving(site) as served:
        stream = EventStream(served)
        path = site / POST
        save(path, path.read_text().replace("Then it scales.", "Then it rescales."))
        stream.wait_for("reload")
        stream.close()
    # The session kept its builds in memory, and wrote the cache when it stopped: a
    # build now renders nothing again.
    assert build(site, site / "out").rendered == 0


def test_a_broken_post_shows_its_error_and_the_last_good_site_stays(tmp_path):
    site = write_site(tmp_path)
    path = site / POST
    good = path.read_text()
    with serving(site) as served:
        stream = EventStream(served)
        save(path, good.replace("date: 2025-03-30", "date: next tuesday"))
        error = stream.wait_for("build-error", about="next tuesday")
        (message,) = error.data
        assert message.startswith(f"{path}:3: bad date 'next tuesday'")
        assert message in served.messages  # the terminal says it too
        assert "Build failed; still serving the last good site." in served.messages
        assert "Then it scales." in served.text(POST_URL)

        # A page opened while the build is broken shows the errors at once.
        assert served.text("/").count("__foldpress__/events") == 1
        late = EventStream(served, last_id=stream_id(served))
        assert late.next().data == error.data

        save(path, good.replace("Then it scales.", "Then it is fixed."))
        assert stream.wait_for("reload").id == late.wait_for("reload").id
        assert "Then it is fixed." in served.text(POST_URL)
        stream.close()
        late.close()


def stream_id(served: Served) -> str:
    """The event id a page served now is told (the one in its script's URL)."""
    (script,) = live_reload_scripts(served.text("/"))
    return script["data-events"].split("last-event-id=")[1]


def test_a_page_that_missed_a_rebuild_catches_up_on_connecting(tmp_path):
    site = write_site(tmp_path)
    with serving(site) as served:
        current = stream_id(served)
        instance, generation = current.rsplit("-", 1)
        older = f"{instance}-{int(generation) - 1}"
        for last_id in (older, "0123abcd-7"):  # missed one; served by an earlier server
            stream = EventStream(served, last_id=last_id)
            event = stream.next()
            assert (event.name, event.id) == ("reload", current)
            stream.close()

        # Up to date: the first event it gets is the next build's.
        up_to_date = EventStream(served, last_id=current)
        path = site / POST
        save(path, path.read_text() + "\nMore.\n")
        event = up_to_date.next()
        assert (event.name, event.id) == ("reload", f"{instance}-{int(generation) + 1}")
        up_to_date.close()


def test_an_unexpected_crash_of_a_rebuild_is_reported_and_serving_goes_on(tmp_path, monkeypatch):
    site = write_site(tmp_path)
    real_build = serve.build

    def build_crashing_on_rebuild(*args, **kwargs):
        if "About me." in (site / "pages/about.md").read_text():
            raise RuntimeError("engine bug")
        return real_build(*args, **kwargs)

    monkeypatch.setattr(serve, "build", build_crashing_on_rebuild)
    with serving(site) as served:
        stream = EventStream(served)
        save(site / "pages/about.md", "---\ntitle: About\n---\n\nAbout me.\n")
        assert stream.wait_for("build-error").data == ["RuntimeError: engine bug"]
        assert any("Traceback" in m and "engine bug" in m for m in served.messages)
        assert "About this blog." in served.text("/about/")
        save(site / "pages/about.md", "---\ntitle: About\n---\n\nAbout us.\n")
        stream.wait_for("reload")
        assert "About us." in served.text("/about/")
        stream.close()


def test_a_first_build_that_fails_with_nothing_to_serve_exits_1(tmp_path):
    site = write_site(tmp_path)
    (site / POST).write_text(post_file("Dropout", "2025-02-30"))
    with pytest.raises(SystemExit) as exit_info, serving(site):
        pass
    assert exit_info.value.code == 1
    assert not (site / "_site").exists()


def test_serving_a_folder_that_is_not_there_says_so(tmp_path):
    result = subprocess.run(
        [FOLDPRESS, "serve", str(tmp_path / "nowhere"), "--port", "0"],
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )
    assert result.returncode == 1
    assert result.stdout.splitlines() == [
        f"{tmp_path / 'nowhere' / 'site.toml'}: not found: is this a foldpress site?",
        "Build failed, and there is no earlier site to serve.",
    ]
    assert result.stderr == ""


def test_a_first_build_that_fails_serves_the_earlier_site_with_the_errors(tmp_path):
    site = write_site(tmp_path)
    serve.build(site, serve.preview_folder(site))
    (site / POST).write_text(post_file("Dropout", "2025-02-30"))
    with serving(site) as served:
        assert "Dropout zeroes units." in served.text(POST_URL)
        stream = EventStream(served, last_id=stream_id(served))
        messages = stream.next().data
        assert messages and all(m.startswith(f"{site / POST}:") for m in messages)
        assert f"{site / POST}:3: bad value for 'date': day is out of range for month" in messages
        stream.close()


def test_the_watcher_ignores_the_output_folder_and_the_cache(tmp_path):
    site = tmp_path / "site"
    for out in (site / "_site", tmp_path / "public"):
        sources = SourceFilter(site, out)
        # Builds write these; were they watched, each build would start the next.
        for ignored in [
            out / "index.html",
            out / "2025/03/dropout/index.html",
            out.parent / f"{out.name}.new-k2j3/index.html",
            out.parent / f"{out.name}.old-a9/_site/feed/rss.xml",
            site / ".foldpress-cache/posts.json",
            site / ".git/index",
            site / "posts/.2025-03-30-dropout.md.swp",
        ]:
            assert not sources(Change.added, str(ignored)), ignored
        for source in ["site.toml", POST, "pages/about.md", "static/a.png", "templates/post.html"]:
            assert sources(Change.modified, str(site / source)), source


def test_a_new_static_file_is_served_after_the_rebuild(tmp_path):
    site = write_site(tmp_path)
    (site / "static").mkdir()
    with serving(site) as served:
        stream = EventStream(served)
        save(site / "static/note.txt", "a source")
        stream.wait_for("reload")
        assert served.text("/note.txt") == "a source"
        stream.close()


def test_previewing_drafts_leaves_the_published_site_byte_identical(tmp_path):
    site = write_site(tmp_path)
    serve.build(site)
    published = site / "_site"

    def snapshot() -> dict[str, tuple[bytes, int]]:
        files = (p for p in published.rglob("*") if p.is_file())
        return {
            p.relative_to(published).as_posix(): (p.read_bytes(), p.stat().st_ino) for p in files
        }

    before = snapshot()
    write_files(
        site, {"posts/2025-05-01-secret.md": post_file("Secret", "2025-05-01", draft="true")}
    )
    with serving(site, drafts=True) as served:
        assert "Secret" in served.text("/2025/05/secret/")
        assert "Secret" in served.text("/feed/atom.xml")
        stream = EventStream(served)
        save(site / POST, post_file("Dropout", "2025-03-30", "Edited while previewing.\n"))
        stream.wait_for("reload")
        stream.close()
    assert snapshot() == before
    assert not (published / "2025/05/secret").exists()


def test_a_site_published_under_a_path_is_served_under_it(tmp_path):
    site = write_site(tmp_path)
    toml = (site / "site.toml").read_text().replace("blog.example.com/", "example.org/blog/")
    (site / "site.toml").write_text(toml)
    with serving(site) as served:
        assert served.server.url.endswith("/blog/")
        front = served.text("/blog/")
        assert 'href="/blog/theme/style.css"' in front
        assert "Dropout zeroes units." in served.text("/blog" + POST_URL)
        assert served.text("/blog/theme/style.css")
        for path, location in [
            ("/", "/blog/"),
            ("/blog", "/blog/"),
            ("/blog/about", "/blog/about/"),
        ]:
            response = served.get(path)
            assert (response.status, response.getheader("Location")) == (301, location)
        assert served.get(POST_URL).status == 404  # the site is not at the top


# The command line, in a real process.


def run_foldpress(*args: str, **options) -> subprocess.Popen:
    # A shell without job control starts background jobs with SIGINT ignored, and the
    # child would inherit that; give it the default so Ctrl+C means what it does in a terminal.
    restore_sigint = "import os,signal,sys; signal.signal(signal.SIGINT, signal.SIG_DFL); "
    restore_sigint += "os.execv(sys.argv[1], sys.argv[1:])"
    return subprocess.Popen(
        [sys.executable, "-c", restore_sigint, str(FOLDPRESS), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **options,
    )


def read_line_matching(stream, pattern: str) -> re.Match:
    """Read ``stream`` until a line matches ``pattern``, within TIMEOUT.

    It reads the pipe itself, not through ``stream``'s buffer: two lines that arrive
    together would leave the second in that buffer, unseen by ``select``.
    """
    deadline = time.monotonic() + TIMEOUT
    pending = b""
    while (left := deadline - time.monotonic()) > 0:
        *lines, pending = pending.split(b"\n")
        for line in lines:
            if match := re.search(pattern, line.decode()):
                return match
        if select.select([stream], [], [], left)[0]:
            chunk = os.read(stream.fileno(), 65536)
            assert chunk, f"output ended before a line matching {pattern!r}"
            pending += chunk
    raise AssertionError(f"no line matching {pattern!r} within {TIMEOUT} s")


def test_serve_help_explains_the_command_and_its_options():
    result = subprocess.run(
        [FOLDPRESS, "serve", "--help"], capture_output=True, text=True, timeout=TIMEOUT
    )
    assert result.returncode == 0
    help_text = " ".join(result.stdout.split())
    assert "rebuild whenever a file in it changes" in help_text
    assert "Open pages reload themselves" in help_text
    assert "--host TEXT Address to listen on. Only this machine can connect" in help_text
    assert "[default: 127.0.0.1]" in help_text
    assert "--port" in help_text and "--drafts" in help_text and "--output" in help_text


def test_ctrl_c_stops_the_server_cleanly(tmp_path):
    site = write_site(tmp_path)
    process = run_foldpress("serve", str(site), "--port", "0")
    try:
        url = read_line_matching(process.stdout, r"Serving .* at http://127\.0\.0\.1:(\d+)/")
        port = int(url.group(1))
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT)
        connection.request("GET", EVENTS_PATH)  # an open page must not keep it running
        assert connection.getresponse().status == 200
        process.send_signal(signal.SIGINT)
        stdout, stderr = process.communicate(timeout=TIMEOUT)
        connection.close()
    finally:
        process.kill()
        process.wait(TIMEOUT)
    assert process.returncode == 0, stderr
    assert stderr == ""
    assert stdout.rstrip().endswith("Stopped.")
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT).close()


def test_a_port_in_use_is_a_one_line_error_before_any_build(tmp_path):
    site = write_site(tmp_path)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [FOLDPRESS, "serve", str(site), "--port", str(port)],
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
            env={**os.environ, "LC_ALL": "C"},
        )
    assert result.returncode == 1
    assert result.stderr == f"Error: cannot serve on 127.0.0.1:{port}: Address already in use\n"
    assert result.stdout == ""
    assert not (site / "_site").exists()
