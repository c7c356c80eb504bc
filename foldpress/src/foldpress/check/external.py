"""Links to other sites, checked by asking their servers, with the answers remembered.

Each URL is asked for once however many pages link to it: ``HEAD`` first, then ``GET``
where the server refuses ``HEAD`` or answers it with an error (many do), redirects
followed. Requests run concurrently with a bound on the whole and on each host, so a
site with hundreds of links to one server does not hammer it, and each has a timeout.

Answers are kept in ``SITE/.foldpress-cache/external-links.json`` (plain JSON): a link
that worked is not asked for again until it is ``max_age`` old; one that failed is
asked for on every run, so a fixed link shows as fixed at once.
"""

from __future__ import annotations

import asyncio
import json
import os
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from http import HTTPStatus
from pathlib import Path
from urllib.parse import urldefrag, urlsplit

import httpx

from foldpress import __version__

CACHE_FILE = "external-links.json"
_CACHE_VERSION = 1
USER_AGENT = f"foldpress/{__version__} link checker"


@dataclass(frozen=True)
class Answer:
    """What a URL's server said: ``ok``, the final status, or why there was none."""

    ok: bool
    status: int | None = None
    error: str | None = None
    checked: float = 0.0  # when, in seconds since the epoch

    def describe(self) -> str:
        """``404 Not Found``, ``timed out after 10 s``, ..."""
        if self.error:
            return self.error
        try:
            return f"{self.status} {HTTPStatus(self.status or 0).phrase}"
        except ValueError:
            return f"status {self.status}"


@dataclass(frozen=True)
class Limits:
    timeout: float = 10.0  # seconds per request
    per_host: int = 2  # requests at once to one host
    total: int = 16  # requests at once in all


def check_external(
    urls: Iterable[str],
    cache_dir: Path | None,
    *,
    max_age: float = 7 * 86400,
    limits: Limits | None = None,
    on_answer: Callable[[int, int], None] | None = None,
) -> dict[str, Answer]:
    """An answer for each of ``urls`` (fragments ignored), asking servers only for those
    that are new, failed last time, or whose answer is older than ``max_age`` seconds.
    ``on_answer(done, total)`` is called as servers answer, for a progress display."""
    wanted = sorted({urldefrag(url).url for url in urls})
    known = _load(cache_dir)
    now = time.time()
    todo = [
        u for u in wanted if not (u in known and known[u].ok and now - known[u].checked < max_age)
    ]
    answers = asyncio.run(_ask_all(todo, limits or Limits(), on_answer)) if todo else {}
    known.update(answers)
    if cache_dir is not None and answers:
        _save(cache_dir, known)
    return {url: known[url] for url in wanted}


async def _ask_all(
    urls: list[str], limits: Limits, on_answer: Callable[[int, int], None] | None
) -> dict[str, Answer]:
    hosts: dict[str, asyncio.Semaphore] = {}
    answers: dict[str, Answer] = {}
    pool = httpx.Limits(max_connections=limits.total, max_keepalive_connections=limits.total)
    headers = {"User-Agent": USER_AGENT, "Accept": "*/*"}
    async with httpx.AsyncClient(
        limits=pool, timeout=limits.timeout, headers=headers, follow_redirects=True
    ) as client:

        async def one(url: str) -> None:
            host = urlsplit(url).netloc.lower()
            async with hosts.setdefault(host, asyncio.Semaphore(limits.per_host)):
                answers[url] = await _ask(client, url, limits.timeout)
            if on_answer:
                on_answer(len(answers), len(urls))

        await asyncio.gather(*(one(url) for url in urls))
    return answers


async def _ask(client: httpx.AsyncClient, url: str, timeout: float) -> Answer:
    """HEAD, then GET (its body left unread) if HEAD did not say the link works."""
    answer = Answer(False)
    for method in ("HEAD", "GET"):
        try:
            async with client.stream(method, url) as response:
                answer = Answer(response.status_code < 400, response.status_code)
        except httpx.TimeoutException:
            answer = Answer(False, error=f"timed out after {timeout:g} s")
        except httpx.TooManyRedirects:
            answer = Answer(False, error="too many redirects")
        except (httpx.HTTPError, ValueError) as error:
            answer = Answer(False, error=f"cannot connect: {error or type(error).__name__}")
        if answer.ok or (answer.error and "timed out" in answer.error):
            break  # a server too slow for HEAD is too slow for GET
    return Answer(answer.ok, answer.status, answer.error, time.time())


def _load(cache_dir: Path | None) -> dict[str, Answer]:
    """The remembered answers; none if the file is missing, damaged or of another version."""
    if cache_dir is None:
        return {}
    try:
        data = json.loads((cache_dir / CACHE_FILE).read_text(encoding="utf-8"))
        if data.get("version") != _CACHE_VERSION:
            return {}
        return {url: Answer(**fields) for url, fields in data["links"].items()}
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        return {}


def _save(cache_dir: Path, answers: dict[str, Answer]) -> None:
    """Write the answers atomically; a cache that cannot be written is not an error."""
    data = {"version": _CACHE_VERSION, "links": {u: asdict(a) for u, a in sorted(answers.items())}}
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        ignore = cache_dir / ".gitignore"
        if not ignore.exists():
            ignore.write_text("# foldpress's build cache: safe to delete, never to commit\n*\n")
        fd, temp = tempfile.mkstemp(prefix=CACHE_FILE + ".", dir=cache_dir)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(data, f, indent=1)
        os.replace(temp, cache_dir / CACHE_FILE)
    except OSError:
        pass
