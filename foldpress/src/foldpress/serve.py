"""``foldpress serve``: build, serve on localhost, rebuild on change, reload open pages.

The server injects a small live-reload script into HTML responses only; the built site
never contains it. Open pages hold an EventSource on ``/__foldpress__/events`` and get
``reload`` after each good build, or ``build-error`` with the messages, which the
script shows as an overlay while the last good site stays served.
"""

from __future__ import annotations

import json
import mimetypes
import posixpath
import threading
import urllib.parse
from collections.abc import Callable
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from pathlib import Path

EVENTS_PATH = "/__foldpress__/events"

# Types a browser or feed reader should see; the rest come from mimetypes.
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".md": "text/markdown; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
    ".xml": "application/xml; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".json": "application/json",
}
FEED_TYPES = {"rss.xml": "application/rss+xml; charset=utf-8", "atom.xml": "application/atom+xml"}

# The events URL inside the script must match EVENTS_PATH.
LIVE_RELOAD_SCRIPT = (
    "<script>\n"
    + resources.files("foldpress").joinpath("livereload.js").read_text()
    + "</script>\n"
)


class ReloadHub:
    """Broadcasts build outcomes to every open page.

    Each outcome bumps a generation number; a page's event stream waits for the next
    generation and sends the latest outcome, so a page never misses the last one.
    """

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._generation = 0
        self._event = ("reload", "null")
        self.closed = False

    @property
    def generation(self) -> int:
        return self._generation

    def publish(self, event: str, data: object = None) -> None:
        with self._changed:
            self._generation += 1
            self._event = (event, json.dumps(data))
            self._changed.notify_all()

    def wait(self, seen: int, timeout: float) -> tuple[int, tuple[str, str] | None]:
        """Block until a generation after ``seen``; return it and its event, or no event."""
        with self._changed:
            self._changed.wait_for(lambda: self._generation > seen or self.closed, timeout)
            if self._generation > seen:
                return self._generation, self._event
            return seen, None

    def close(self) -> None:
        with self._changed:
            self.closed = True
            self._changed.notify_all()


def content_type(path: Path) -> str:
    if path.name in FEED_TYPES and path.parent.name != "":
        return FEED_TYPES[path.name]
    guessed = CONTENT_TYPES.get(path.suffix.lower())
    if guessed:
        return guessed
    return mimetypes.guess_type(path.name)[0] or "application/octet-stream"


class SiteRequestHandler(SimpleHTTPRequestHandler):
    """Serves the built site, clean URLs included, and never a file outside it."""

    server: SiteServer

    def log_message(self, format: str, *args: object) -> None:
        if self.server.verbose:
            super().log_message(format, *args)

    def do_GET(self) -> None:
        if urllib.parse.urlsplit(self.path).path == EVENTS_PATH:
            self.stream_events()
            return
        path = self.resolve()
        if path is None:
            self.send_page(HTTPStatus.NOT_FOUND, self.server.root / "404.html")
            return
        if path.is_dir():  # a clean URL without its trailing slash
            self.send_response(HTTPStatus.MOVED_PERMANENTLY)
            self.send_header("Location", urllib.parse.urlsplit(self.path).path + "/")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.send_page(HTTPStatus.OK, path)

    def do_HEAD(self) -> None:
        self.do_GET()

    def resolve(self) -> Path | None:
        """Map the request path to a file inside the site, or None."""
        url_path = urllib.parse.unquote(urllib.parse.urlsplit(self.path).path)
        parts = [p for p in posixpath.normpath(url_path).split("/") if p not in ("", ".")]
        if ".." in parts or any("\\" in p or "\0" in p for p in parts):
            return None
        root = self.server.root.resolve()
        candidate = root.joinpath(*parts)
        if url_path.endswith("/") or candidate.is_dir():
            index = candidate / "index.html"
            if url_path.endswith("/"):
                candidate = index
            elif index.is_file():
                return candidate  # redirect to the slash form
        try:
            resolved = candidate.resolve(strict=True)
        except (FileNotFoundError, NotADirectoryError, RuntimeError):
            return None
        if not resolved.is_relative_to(root) or not (resolved.is_file() or resolved.is_dir()):
            return None
        return resolved

    def send_page(self, status: HTTPStatus, path: Path) -> None:
        try:
            body = path.read_bytes()
        except OSError:
            body, path = b"Not found", Path("404.txt")
        ctype = content_type(path)
        if ctype.startswith("text/html"):
            body = inject_live_reload(body)
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def stream_events(self) -> None:
        hub = self.server.hub
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        seen = hub.generation
        try:
            # A page that opens while the build is broken learns it at once.
            if self.server.last_errors:
                self.send_event("build-error", json.dumps(self.server.last_errors))
            while not hub.closed:
                seen, event = hub.wait(seen, timeout=15)
                if event is None:
                    self.wfile.write(b": keep-alive\n\n")
                    self.wfile.flush()
                else:
                    self.send_event(*event)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def send_event(self, event: str, data: str) -> None:
        self.wfile.write(f"event: {event}\ndata: {data}\n\n".encode())
        self.wfile.flush()


def inject_live_reload(html: bytes) -> bytes:
    marker = html.rfind(b"</body>")
    script = LIVE_RELOAD_SCRIPT.encode()
    if marker == -1:
        return html + script
    return html[:marker] + script + html[marker:]


class SiteServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], root: Path, *, verbose: bool = False) -> None:
        self.root = root
        self.hub = ReloadHub()
        self.verbose = verbose
        self.last_errors: list[str] = []
        super().__init__(address, SiteRequestHandler)

    def report_build(self, errors: list[str]) -> None:
        """Tell open pages how the latest rebuild went."""
        self.last_errors = errors
        if errors:
            self.hub.publish("build-error", errors)
        else:
            self.hub.publish("reload")

    def server_close(self) -> None:
        self.hub.close()
        super().server_close()


def watch(
    site_dir: Path,
    out_dir: Path,
    rebuild: Callable[[set[Path]], None],
    stop: threading.Event,
) -> None:
    """Call ``rebuild`` with the changed paths whenever a source file of the site changes."""
    import watchfiles

    ignored = [out_dir.resolve(), (site_dir / ".foldpress-cache").resolve()]

    class SiteFilter(watchfiles.DefaultFilter):
        def __call__(self, change: object, path: str) -> bool:
            p = Path(path).resolve()
            if any(p == d or p.is_relative_to(d) for d in ignored):
                return False
            if p.name.startswith(out_dir.name + ".") and p.parent == out_dir.parent.resolve():
                return False  # the build's own temporary folders beside the output
            return super().__call__(change, path)

    changes_seen = watchfiles.watch(
        site_dir, watch_filter=SiteFilter(), stop_event=stop, debounce=150
    )
    for changes in changes_seen:
        rebuild({Path(path) for _, path in changes})


def serve_site(
    site_dir: Path,
    out_dir: Path,
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    drafts: bool = False,
    echo: Callable[[str], None] = print,
    ready: Callable[[SiteServer], None] | None = None,
    stop: threading.Event | None = None,
) -> None:
    """Build the site, serve it, and rebuild it on every change until ``stop`` is set."""
    from foldpress.build import build
    from foldpress.errors import BuildError

    stop = stop or threading.Event()
    lock = threading.Lock()

    def rebuild() -> list[str]:
        with lock:
            try:
                result = build(site_dir, out_dir, drafts=drafts)
            except BuildError as error:
                messages = [str(e) for e in error.errors]
                for message in messages:
                    echo(message)
                echo("Build failed; still serving the last good site.")
                return messages
            echo(f"Rebuilt: {result.summary()}")
            return []

    first_errors = rebuild()
    if first_errors and not (out_dir / "index.html").exists():
        raise SystemExit(1)  # nothing good to serve yet

    server = SiteServer((host, port), out_dir)
    server.last_errors = first_errors
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    bound_host, bound_port = server.server_address[:2]
    echo(f"Serving {site_dir} at http://{bound_host}:{bound_port}/ (Ctrl+C to stop)")
    if ready:
        ready(server)
    try:
        watch(site_dir, out_dir, lambda _changed: server.report_build(rebuild()), stop)
    except KeyboardInterrupt:
        pass
    finally:
        server.shutdown()
        server.server_close()
