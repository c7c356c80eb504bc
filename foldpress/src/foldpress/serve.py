"""``foldpress serve``: build, serve on localhost, rebuild on change, reload open pages.

The site stays in memory between builds (:class:`foldpress.build.Memory`): after an edit
only the changed files are read again, and only the outputs whose keys changed are
rendered and written, into the served folder, one atomic rename each. An edit of a
post's text alone goes straight from the post to the outputs made from it, without
visiting the rest of the site (:mod:`foldpress.update`).

The server adds a small live-reload script to HTML responses only; the built site never
contains it. Open pages hold an EventSource on ``/__foldpress__/events`` and get
``reload`` after each good build, or ``build-error`` with the messages, which the script
shows over the page while the last good site stays served.
"""

from __future__ import annotations

import html
import ipaddress
import json
import mimetypes
import os
import secrets
import socket
import threading
import time
import traceback
import urllib.parse
from collections.abc import Callable, Generator
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from pathlib import Path

import watchfiles

from foldpress.build import SAVE_AFTER_SECONDS, Memory, build
from foldpress.cache import CACHE_DIR, PREVIEW_DIR
from foldpress.config import load_config
from foldpress.errors import BuildError
from foldpress.urls import base_path

EVENTS_PATH = "/__foldpress__/events"
LIVE_RELOAD_JS = resources.files("foldpress").joinpath("livereload.js").read_bytes()

# Types a browser or feed reader should see; the rest come from mimetypes.
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".md": "text/markdown; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
    ".xml": "application/xml; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".svg": "image/svg+xml",
    ".json": "application/json",
}
FEED_TYPES = {
    "rss.xml": "application/rss+xml; charset=utf-8",
    "atom.xml": "application/atom+xml; charset=utf-8",
}


def content_type(path: Path) -> str:
    """The Content-Type the server sends for the built file ``path``."""
    if path.name in FEED_TYPES:
        return FEED_TYPES[path.name]
    known = CONTENT_TYPES.get(path.suffix.lower())
    return known or mimetypes.guess_type(path.name)[0] or "application/octet-stream"


def site_file(root: Path, url_path: str) -> Path | None:
    """The file inside ``root`` that ``url_path`` names (a folder's ``index.html``), or None.

    None also for a ``..`` segment, plain or percent-encoded, and for a link that leads
    out of ``root``: the server never reads anything outside the built site.
    """
    names = urllib.parse.unquote(url_path).split("/")
    if any(name == ".." or "\\" in name or "\0" in name for name in names):
        return None
    root = root.resolve()
    path = root.joinpath(*(name for name in names if name not in ("", ".")))
    if url_path.endswith("/"):
        path = path / "index.html"
    try:
        path = path.resolve(strict=True)
    except (OSError, RuntimeError):  # missing, a file used as a folder, a link loop
        return None
    return path if path.is_file() and path.is_relative_to(root) else None


@dataclass(frozen=True)
class Outcome:
    """One build's result as an event for open pages: ``reload`` or ``build-error``."""

    generation: int
    event: str
    data: str  # JSON


class ReloadHub:
    """The latest build outcome, numbered, for every open page to wait on.

    An event's id is ``INSTANCE-GENERATION``. A page says which id it last saw (the one
    current when it was served, or EventSource's Last-Event-ID), so a page that missed a
    rebuild while loading, or was served by an earlier ``foldpress serve``, catches up
    at once.
    """

    def __init__(self) -> None:
        self.instance = secrets.token_hex(4)
        self.closed = False
        self._changed = threading.Condition()
        self._latest = Outcome(0, "reload", "null")

    @property
    def latest(self) -> Outcome:
        return self._latest

    def event_id(self, outcome: Outcome) -> str:
        return f"{self.instance}-{outcome.generation}"

    def publish(self, errors: list[str]) -> None:
        """Announce a build: ``reload`` when ``errors`` is empty, else ``build-error``."""
        with self._changed:
            generation = self._latest.generation + 1
            if errors:
                self._latest = Outcome(generation, "build-error", json.dumps(errors))
            else:
                self._latest = Outcome(generation, "reload", "null")
            self._changed.notify_all()

    def owes(self, outcome: Outcome, last_id: str | None) -> bool:
        """Whether a page that last saw ``last_id`` (None: nothing) is owed ``outcome``."""
        if outcome.event == "build-error":
            return True  # the page shows the last good site: show the errors over it
        return last_id is not None and last_id != self.event_id(outcome)

    def wait_after(self, generation: int, timeout: float) -> Outcome | None:
        """The first outcome after ``generation``, or None on timeout or close."""
        with self._changed:
            self._changed.wait_for(
                lambda: self._latest.generation > generation or self.closed, timeout
            )
            latest = self._latest
            return latest if latest.generation > generation and not self.closed else None

    def close(self) -> None:
        with self._changed:
            self.closed = True
            self._changed.notify_all()


class SiteRequestHandler(BaseHTTPRequestHandler):
    """Serves the built site, clean URLs included, and never a file outside it."""

    server: SiteServer
    server_version = "foldpress"
    keep_alive_seconds = 15.0

    def log_message(self, format: str, *args: object) -> None:
        if self.server.verbose:
            super().log_message(format, *args)

    def do_GET(self) -> None:
        self.respond()

    def do_HEAD(self) -> None:
        self.respond()

    def respond(self) -> None:
        url = urllib.parse.urlsplit(self.path)
        if url.path == EVENTS_PATH:
            self.stream_events(urllib.parse.parse_qs(url.query).get("last-event-id", [None])[0])
            return
        root = self.server.root
        prefix = self.server.prefix
        if not url.path.startswith(prefix):
            if prefix.startswith(url.path):  # "/" or "/blog": the site is at /blog/
                self.redirect(prefix)
            else:
                self.send_file(HTTPStatus.NOT_FOUND, site_file(root, "/404.html"))
            return
        url = url._replace(path="/" + url.path[len(prefix) :])
        path = site_file(root, url.path)
        if path is not None:
            self.send_file(HTTPStatus.OK, path)
        elif not url.path.endswith("/") and site_file(root, url.path + "/"):
            # A clean URL without its slash: relative links on the page need the slash.
            location = prefix + url.path[1:] + "/"
            self.redirect(urllib.parse.urlunsplit(("", "", location, url.query, "")))
        else:
            self.send_file(HTTPStatus.NOT_FOUND, site_file(root, "/404.html"))

    def redirect(self, location: str) -> None:
        self.send_response(HTTPStatus.MOVED_PERMANENTLY)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def send_file(self, status: HTTPStatus, path: Path | None) -> None:
        try:
            body = path.read_bytes() if path else None
        except OSError:  # swapped out by a rebuild since it was found
            body = None
        if path is None or body is None:
            status, body, ctype = HTTPStatus.NOT_FOUND, b"Not found\n", "text/plain; charset=utf-8"
        else:
            ctype = content_type(path)
        if ctype.startswith("text/html"):
            body = self.with_live_reload(body)
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def with_live_reload(self, page: bytes) -> bytes:
        """``page`` with the live-reload script before ``</body>``."""
        hub = self.server.hub
        query = urllib.parse.urlencode({"last-event-id": hub.event_id(hub.latest)})
        events_url = html.escape(f"{EVENTS_PATH}?{query}")
        script = f'<script data-events="{events_url}">\n'.encode() + LIVE_RELOAD_JS + b"</script>\n"
        end = page.rfind(b"</body>")
        return page + script if end == -1 else page[:end] + script + page[end:]

    def stream_events(self, last_id: str | None) -> None:
        hub = self.server.hub
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        if self.command == "HEAD":
            return
        last_id = self.headers.get("Last-Event-ID", last_id)  # set when EventSource reconnects
        try:
            self.wfile.write(b"retry: 1000\n\n")  # reconnect soon after a restart
            latest = hub.latest
            if hub.owes(latest, last_id):
                self.send_event(latest)
            seen = latest.generation
            while not hub.closed:
                outcome = hub.wait_after(seen, timeout=self.keep_alive_seconds)
                if outcome:
                    self.send_event(outcome)
                    seen = outcome.generation
                elif not hub.closed:
                    self.wfile.write(b": keep-alive\n\n")
                    self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            pass  # the page went away

    def send_event(self, outcome: Outcome) -> None:
        event_id = self.server.hub.event_id(outcome)
        text = f"id: {event_id}\nevent: {outcome.event}\ndata: {outcome.data}\n\n"
        self.wfile.write(text.encode())
        self.wfile.flush()


class SiteServer(ThreadingHTTPServer):
    """An HTTP server for the built site in ``root``, with a hub for live reload.

    The site is served under ``prefix``, the path of its ``base_url`` (``/blog/``), as it
    will be when published, so that its links work here too.
    """

    daemon_threads = True

    def __init__(
        self, address: tuple[str, int], root: Path, *, prefix: str = "/", verbose: bool = False
    ) -> None:
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        self.root = root
        self.prefix = prefix
        self.hub = ReloadHub()
        self.verbose = verbose
        super().__init__(address, SiteRequestHandler)

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        host = host.decode() if isinstance(host, bytes) else host
        where = f"[{host}]" if ":" in host else host
        return f"http://{where}:{port}{self.prefix}"

    def server_close(self) -> None:
        self.hub.close()  # ends the open event streams
        super().server_close()


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class SourceFilter(watchfiles.DefaultFilter):
    """Passes changes to the site's sources: not to the output folder, the build's
    temporary folders beside it, the cache, or what DefaultFilter leaves out (.git,
    editor swap files)."""

    def __init__(self, site_dir: Path, out_dir: Path) -> None:
        super().__init__()
        self.out = out_dir.resolve()
        self.cache = (site_dir / CACHE_DIR).resolve()

    def __call__(self, change: watchfiles.Change, path: str) -> bool:
        # Where the change is, and, for a link, where it leads: a link in the output
        # folder to the site is still a change in the output folder.
        for p in (Path(os.path.abspath(path)), Path(path).resolve()):
            if p.is_relative_to(self.cache):
                return False
            if p.is_relative_to(self.out.parent) and p != self.out.parent:
                top = p.relative_to(self.out.parent).parts[0]
                if top == self.out.name or top.startswith(self.out.name + "."):
                    return False
        return super().__call__(change, path)


def watch_changes(
    site_dir: Path, out_dir: Path, stop: threading.Event
) -> Generator[set[Path], None, None]:
    """Yield the site's changed source files, or an empty set after each quiet moment.

    The first yield comes once the watcher runs.
    """
    for changes in watchfiles.watch(
        site_dir,
        watch_filter=SourceFilter(site_dir, out_dir),
        stop_event=stop,
        # A save is yielded once no other change came for 10 ms (watchfiles' default
        # waits 50: half of the time from save to reload that a page may take).
        debounce=150,
        step=10,
        rust_timeout=200,
        yield_on_timeout=True,
    ):
        yield {Path(path) for _, path in changes}


def rebuild(
    site_dir: Path,
    out_dir: Path,
    drafts: bool,
    echo: Callable[[str], None],
    memory: Memory | None = None,
) -> list[str]:
    """Build once and say how it went; return the error messages, none on success.

    After a failure that is not the site's (a bug), ``memory`` is emptied: the next
    build starts from the cache on disk."""
    try:
        result = build(site_dir, out_dir, drafts=drafts, memory=memory)
    except BuildError as error:
        messages = [str(e) for e in error.errors]
        for warning in error.warnings:
            echo(str(warning))
    except Exception as error:  # a bug in a template or the engine must not end the session
        echo(traceback.format_exc().rstrip())
        messages = [f"{type(error).__name__}: {error}"]
        if memory is not None:
            memory.clear()
    else:
        for warning in result.warnings:
            echo(str(warning))
        echo(f"Built {result.summary()}.")
        return []
    for message in messages:
        echo(message)
    return messages


def in_site(site_dir: Path, changed: set[Path]) -> set[Path]:
    """The changed paths as paths in ``site_dir`` (the watcher gives them absolute)."""
    absolute, resolved = site_dir.absolute(), site_dir.resolve()
    paths = set()
    for path in changed:
        for top in (absolute, resolved):
            if path.is_relative_to(top):
                paths.add(site_dir / path.relative_to(top))
                break
        else:
            paths.add(path)
    return paths


def preview_folder(site_dir: Path) -> Path:
    """Where ``serve`` builds by default: in the cache, never the published ``_site``."""
    return site_dir / PREVIEW_DIR


def serve_site(
    site_dir: Path,
    out_dir: Path | None = None,
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    drafts: bool = False,
    echo: Callable[[str], None] = print,
    ready: Callable[[SiteServer], None] | None = None,
    stop: threading.Event | None = None,
) -> None:
    """Build the site, serve it, and rebuild it on every change until ``stop`` or Ctrl+C.

    ``out_dir`` defaults to :func:`preview_folder`: a preview, drafts or not, never
    touches the site that gets published.

    Raises OSError, before building anything, when the address cannot be used, and
    SystemExit(1) when the first build fails and there is no earlier site to serve.
    """
    out_dir = preview_folder(site_dir) if out_dir is None else out_dir
    stop = stop or threading.Event()
    server = SiteServer((host, port), out_dir, prefix=_served_path(site_dir))
    changes = watch_changes(site_dir, out_dir, stop)
    serving = None
    memory: Memory | None = None
    try:
        if site_dir.is_dir():  # if not, the build says what is wrong
            next(changes, None)  # watching from here, so an edit made during the build counts
        memory = Memory()
        errors = rebuild(site_dir, out_dir, drafts, echo, memory)
        server.prefix = _served_path(site_dir)
        if errors and not (out_dir / "index.html").is_file():
            echo("Build failed, and there is no earlier site to serve.")
            raise SystemExit(1)
        if errors:
            echo(f"Build failed; serving the site in {out_dir} as it was.")
        server.hub.publish(errors)
        serving = threading.Thread(target=server.serve_forever, name="foldpress-serve")
        serving.start()
        echo(f"Serving {site_dir} at {server.url} (Ctrl+C to stop)")
        if not is_loopback(host):
            echo(f"Warning: listening on {host}: other machines can reach this server.")
        if ready:
            ready(server)
        built = time.monotonic()
        for changed in changes:
            if not changed and memory.unsaved and time.monotonic() - built > SAVE_AFTER_SECONDS:
                memory.save(site_dir)  # for the next session, once the edits pause
            if changed:
                memory.sources.changed = in_site(site_dir, changed)
                errors = rebuild(site_dir, out_dir, drafts, echo, memory)
                built = time.monotonic()
                if not errors:
                    server.prefix = _served_path(site_dir)
                if errors:
                    echo("Build failed; still serving the last good site.")
                server.hub.publish(errors)
    except KeyboardInterrupt:
        echo("Stopped.")
    finally:
        changes.close()
        if memory is not None:
            memory.save(site_dir)
        if serving:
            server.shutdown()
            serving.join()
        server.server_close()


def _served_path(site_dir: Path) -> str:
    """The path the site is published under, from its ``base_url``; ``/`` if unknown."""
    try:
        return base_path(load_config(site_dir / "site.toml"))
    except BuildError:  # the build reports it
        return "/"
