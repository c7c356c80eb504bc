"""The build server: the site kept in memory from one ``foldpress build`` to the next.

A fresh process that builds after one edit has to read the whole cache back, take every
post from its stored form and derive the key of every output before it knows what the
edit changed: 1.5 s at 1,000 posts, 10 s at 10,000. ``foldpress serve`` keeps all that
in a :class:`~foldpress.build.Memory` and rebuilds after an edit in 0.05 to 0.2 s. So,
as Gradle's daemon and mypy's ``dmypy`` do, a build leaves a copy of its process behind:
forked once the build is done, it has the memory already. It waits on a Unix socket in
the site's cache folder for the next ``foldpress build`` of the site, which sends it its
arguments and prints what it replies; the files it writes and the cache it saves are
those a build in the command's own process would make.

The server finds what changed since its last build by the size, modification time and
inode of every file of the site (the files ``serve`` watches), taken just before each
build, so an edit made during a build is seen by the next one. It trusts the output
folder only while every file it wrote is still there as it left it (not changed by hand,
nor by another process's build).

It exits after ``FOLDPRESS_BUILD_SERVER_IDLE`` seconds (default 900) without a build;
when a file of foldpress or of a library it has loaded changes on disk (an upgrade);
when its socket is gone (the cache deleted, or a newer server in its place); or when
``foldpress build --no-server`` asks it to. ``FOLDPRESS_BUILD_SERVER=0``, or ``CI``
set, turns it off. It runs where builds fork their workers (Linux; see
:mod:`foldpress.parallel`), and nowhere else.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import io
import json
import os
import socket
import stat
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from foldpress.cache import CACHE_DIR, SETTLED_NS, file_mark

if TYPE_CHECKING:
    from foldpress.build import Memory

IDLE_SECONDS = 900.0
_CHECK_EVERY = 2.0  # seconds between checks for a reason to exit while idle
_SOCKET = "server.sock"
_MAX_SOCKET_PATH = 100  # bytes; sun_path holds 108 on Linux, 104 on macOS

Signature = dict[str, tuple[int, ...]]  # path -> size, mtime_ns, inode (and ctime_ns)


@dataclasses.dataclass(frozen=True)
class Request:
    """A build as the command was asked for it: paths as typed, from ``cwd``."""

    cwd: str
    site: str
    output: str | None
    drafts: bool
    jobs: int | None
    quiet: bool

    @property
    def site_dir(self) -> Path:
        return Path(self.site)

    @property
    def out_dir(self) -> Path:
        return Path(self.output) if self.output is not None else self.site_dir / "_site"


@dataclasses.dataclass(frozen=True)
class Reply:
    """What the server's build printed, and the exit status the command should end with."""

    stdout: str
    stderr: str
    status: int
    pid: int


def enabled() -> bool:
    """Whether builds may use and leave a build server here."""
    setting = os.environ.get("FOLDPRESS_BUILD_SERVER", "").strip().lower()
    if setting in ("0", "off", "no", "false") or os.environ.get("CI"):
        return False
    from foldpress.parallel import can_fork

    return can_fork()


def idle_seconds() -> float:
    try:
        return float(os.environ.get("FOLDPRESS_BUILD_SERVER_IDLE", IDLE_SECONDS))
    except ValueError:
        return IDLE_SECONDS


def socket_path(site_dir: Path) -> Path:
    """Where the site's build server listens: in its cache folder, or, where that path is
    too long for a socket, in a folder of this user's own in the temporary folder."""
    site = site_dir.resolve()
    path = site / CACHE_DIR / _SOCKET
    if len(os.fsencode(path)) <= _MAX_SOCKET_PATH:
        return path
    private = Path(tempfile.gettempdir()) / f"foldpress-{os.getuid()}"
    private.mkdir(mode=0o700, exist_ok=True)
    info = private.lstat()
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid() or info.st_mode & 0o077:
        raise OSError(f"{private} is not a private folder of this user's")
    name = hashlib.blake2b(os.fsencode(site), digest_size=12).hexdigest()
    return private / f"{name}.sock"


# The client: a build asks the site's server, if there is one.


def request_build(request: Request) -> Reply | None:
    """The server's reply to ``request``; None if there is no server to ask, or it could
    not build (it has exited: the command builds itself)."""
    answer = _ask(request.site_dir, {"build": dataclasses.asdict(request), **_whoami()})
    if answer is None or "status" not in answer:
        return None
    return Reply(answer["stdout"], answer["stderr"], answer["status"], answer["pid"])


def stop(site_dir: Path) -> int | None:
    """Ask the site's build server to exit; its process id, None if there was none."""
    answer = _ask(site_dir, {"stop": True})
    return answer.get("pid") if answer else None


def _whoami() -> dict[str, str]:
    """What a server must share with a command to build for it: the same Python and the
    same foldpress (a server started from another virtual environment steps aside)."""
    return {"python": sys.executable, "package": str(Path(__file__).parent)}


def _ask(site_dir: Path, message: dict[str, Any]) -> dict[str, Any] | None:
    if not hasattr(socket, "AF_UNIX"):
        return None  # no server can listen here
    try:
        path = socket_path(site_dir)
        if not path.is_socket():
            return None
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
            conn.settimeout(2.0)  # to be let in: a busy server still accepts at once
            conn.connect(os.fsencode(path))
            conn.settimeout(None)  # a build may take a while
            conn.sendall(json.dumps(message).encode())
            conn.shutdown(socket.SHUT_WR)
            answer = _read_all(conn)
    except OSError:
        return None
    if not answer:
        return None
    try:
        found: dict[str, Any] = json.loads(answer)
    except ValueError:
        return None
    return found


def _read_all(conn: socket.socket) -> bytes:
    chunks = []
    while chunk := conn.recv(1 << 16):
        chunks.append(chunk)
    return b"".join(chunks)


# The server.

# Builds as the command does, printing what it would, with a note on who built after
# what was built; returns the exit status.
Builder = Callable[[Request, "Memory", str], int]


def start(request: Request, memory: Memory, files: Signature | None, builder: Builder) -> bool:
    """Leave a server for the site behind this process, holding ``memory`` (as the build
    of ``request`` left it; ``files`` is the site's files as they were before it) and
    building with ``builder``; False where it cannot listen."""
    try:
        path = socket_path(request.site_dir)
        path.unlink(missing_ok=True)  # an old server's: it exits when it sees its gone
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        mask = os.umask(0o177)  # only this user may connect
        try:
            listener.bind(os.fsencode(path))
        finally:
            os.umask(mask)
    except OSError:
        return False
    # Listening before the fork: a command run right after this one waits to be let
    # in rather than finding no server and building itself.
    listener.listen(8)
    server = Server(request, memory, files, builder, listener, path)
    try:
        detached = _detach()
    except OSError:  # no process to spare: no server
        detached = None
    if detached is not False:
        listener.close()
        if detached is None:
            path.unlink(missing_ok=True)
        return bool(detached)
    try:
        server.run()
    finally:
        os._exit(0)


def _detach() -> bool:
    """Fork twice; True in this process, False in the grandchild: a process of its own
    session, with no parent to wait for it, no terminal and none of this one's open
    files but the listening socket (a caller reading this command's output to its end
    must not wait for the server's)."""
    pid = os.fork()
    if pid:
        _, status = os.waitpid(pid, 0)
        if status:
            raise OSError("the build server could not start")
        return True
    try:
        os.setsid()
        if os.fork():
            os._exit(0)
    except OSError:
        os._exit(1)
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    os.close(null)
    return False


class Server:
    """The loop of a build server, and what it checks before each build."""

    def __init__(
        self,
        request: Request,
        memory: Memory,
        files: Signature | None,
        builder: Builder,
        listener: socket.socket,
        path: Path,
    ) -> None:
        self.memory, self.files, self.builder = memory, files, builder
        self.origin = (request.cwd, request.site)  # how the memory's paths are spelt
        self.site = Path(request.cwd, request.site).resolve()
        self.last = request
        self.listener, self.path = listener, path
        self.socket_id = path.stat().st_ino
        self.code = _loaded_files()
        self.note = ""

    def run(self) -> None:
        from foldpress.build import SAVE_AFTER_SECONDS

        # None of the files the command had open stay open here but the socket.
        os.closerange(3, self.listener.fileno())
        os.closerange(self.listener.fileno() + 1, 1 << 16)
        self.note = f" (by the build server, process {os.getpid()})"
        self._prepare()
        self.listener.settimeout(_CHECK_EVERY)
        built = time.monotonic()
        try:
            while time.monotonic() < built + idle_seconds() and self._still_wanted():
                try:
                    conn, _ = self.listener.accept()
                except TimeoutError:
                    if time.monotonic() > built + SAVE_AFTER_SECONDS:
                        self._save()  # once the builds pause: not while a command waits
                    continue
                with conn:
                    if not self._answer(conn):
                        return
                built = time.monotonic()
        finally:
            self._save()
            self.listener.close()
            with contextlib.suppress(OSError):
                if self.path.stat().st_ino == self.socket_id:
                    self.path.unlink()

    def _still_wanted(self) -> bool:
        try:
            return self.path.stat().st_ino == self.socket_id and self.site.is_dir()
        except OSError:
            return False

    def _answer(self, conn: socket.socket) -> bool:
        """Answer one command; False when this server should exit."""
        conn.settimeout(10.0)
        try:
            message = json.loads(_read_all(conn))
        except (OSError, ValueError):
            return True
        conn.settimeout(None)
        if "stop" in message:
            self._save()  # for the build that asked, which builds itself now
            _send(conn, {"pid": os.getpid()})
            return False
        if {k: message.get(k) for k in _whoami()} != _whoami() or _changed(self.code):
            self._save()
            _send(conn, {"refused": "another foldpress, or changed on disk"})
            return False
        try:
            request = Request(**message["build"])
            if Path(request.cwd, request.site).resolve() != self.site:
                raise ValueError("another site")
        except (KeyError, TypeError, ValueError, OSError) as error:
            _send(conn, {"refused": str(error)})
            return True
        reply = self._build(request)
        _send(conn, dataclasses.asdict(reply))
        conn.close()  # the command prints and ends now; the rest is for the next build
        self._prepare()
        return True

    def _save(self) -> None:
        with contextlib.suppress(Exception):
            self.memory.save(self.site)

    def _build(self, request: Request) -> Reply:
        memory = self.memory
        os.chdir(request.cwd)
        if (request.cwd, request.site) != self.origin:
            # Paths spelt otherwise than in the memory: start again from the cache.
            memory.clear()
            self.origin, self.files = (request.cwd, request.site), None
        elif not self._outputs_intact(request.out_dir):
            # Changed by hand, or by another process's build: the build checks each old
            # file before it keeps it.
            memory.out_dir = None
        now = site_files(request.site_dir)
        memory.sources.changed = changed_files(self.files, now, request.site_dir)
        files: Signature | None = now
        out, err = io.StringIO(), io.StringIO()
        status = 0
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                status = self.builder(request, memory, self.note)
            except Exception:  # a bug: said as the command would, then forgotten
                traceback.print_exc()
                status = 1
                memory.clear()
                files = None
        self.files, self.last = files, request
        return Reply(out.getvalue(), err.getvalue(), status, os.getpid())

    def _prepare(self) -> None:
        """Make, while no one waits, what the next edit of a post's text needs."""
        from foldpress.build import build, prepare_for_text_edits

        request, memory = self.last, self.memory
        if memory.dependents is not None or memory.keys is None:
            return  # the last build was an edit of posts' text: ready; or it failed
        # Nothing here writes to the output folder: no command asked for it (one may be
        # deploying the site). When the last build keyed outputs in its workers (a first
        # build), a build that only derives keys knows them all; if some file would come
        # out otherwise (the site changed since), the next command's build does it.
        with contextlib.suppress(Exception):
            os.chdir(request.cwd)
            if not prepare_for_text_edits(memory):
                memory.sources.changed = set()
                build(
                    request.site_dir,
                    request.out_dir,
                    drafts=request.drafts,
                    memory=memory,
                    key_only=True,
                )
                prepare_for_text_edits(memory)
            if memory.dependents is not None:
                self._warm_up()
        os.chdir("/")  # not keeping a folder of the user's busy

    def _warm_up(self) -> None:
        """Render the post changed last once more, and the outputs that show it, for
        nothing: the first render in a process compiles the Markdown pipeline's
        patterns and loads lexers (0.2 s), and the outputs that show every post make
        their pieces (0.4 s at 10,000 posts), which the next build need not wait for."""
        from foldpress.build import rehearse_text_edit
        from foldpress.content import render_file

        config, files, site_dir = self.memory.config, self.files, self.last.site_dir
        if config is None or files is None:
            return
        posts = [path for path, (kind, _) in self.memory.sources.keys.items() if kind == "post"]
        latest = max(
            posts,
            key=lambda path: abs(files.get("/" + path.relative_to(site_dir).as_posix(), (0, 0))[1]),
            default=None,
        )
        if latest is not None:
            render_file("post", latest, None, config[1], site_dir)
            rehearse_text_edit(self.memory, latest)

    def _outputs_intact(self, out_dir: Path) -> bool:
        """Whether the output folder holds every file as the last build left it, and
        nothing else."""
        cache = self.memory.cache
        if cache is None or self.memory.out_dir != out_dir:
            return True  # the build does not trust it anyway
        records = cache.outputs
        found = 0

        def walk(folder: str, prefix: str) -> bool:
            nonlocal found
            empty = True
            for entry in os.scandir(folder):
                path = prefix + entry.name
                empty = False
                if entry.is_dir(follow_symlinks=False):
                    if not walk(entry.path, path + "/"):
                        return False
                    continue
                record = records.get(path)
                info = entry.stat(follow_symlinks=False)
                if record is None or record[1:] != file_mark(info):
                    return False
                found += 1
            return not empty or not prefix  # an empty folder is none of the build's

        try:
            return walk(str(out_dir), "") and found == len(records)
        except OSError:
            return False


def _send(conn: socket.socket, message: dict[str, Any]) -> None:
    with contextlib.suppress(OSError):  # the command was interrupted: nothing to do
        conn.sendall(json.dumps(message).encode())


def _changed(files: Signature) -> bool:
    for name, value in files.items():
        try:
            info = os.stat(name)
        except OSError:
            return True
        if file_mark(info) != value:
            return True
    return False


def _loaded_files() -> Signature:
    """The size, time and inode of the file of every module loaded, and of every file
    of foldpress (its theme too): one changes when foldpress or a library it uses is
    upgraded, and this process runs the old code."""
    names = [getattr(module, "__file__", None) for module in list(sys.modules.values())]
    names += [str(path) for path in Path(__file__).parent.rglob("*") if path.is_file()]
    files: Signature = {}
    for name in names:
        if name:
            with contextlib.suppress(OSError):
                info = os.stat(name)
                files[name] = file_mark(info)
    return files


# What changed: the site's files as ``serve`` watches them.


def site_files(site_dir: Path) -> Signature:
    """Every file a build reads, whatever its name (site.toml and every file in the
    source folders, following links to folders as the build does): path in the site ->
    size, mtime_ns, inode and ctime_ns (which no tool sets back). The time of a file
    changed in the last SETTLED_NS is negated: the next look finds it changed and the
    build reads it again, as git does with "racily clean" entries."""
    from foldpress.build import SOURCE_FOLDERS

    files: Signature = {}
    seen: set[tuple[int, int]] = set()
    racy = time.time_ns() - SETTLED_NS

    def note(name: str, st: os.stat_result) -> None:
        mtime = st.st_mtime_ns if st.st_mtime_ns < racy else -st.st_mtime_ns
        files[name] = (st.st_size, mtime, st.st_ino, st.st_ctime_ns)

    def walk(folder: str, spelt: str) -> None:
        try:
            info = os.stat(folder)
            entries = list(os.scandir(folder))
        except OSError:
            return
        if (info.st_dev, info.st_ino) in seen:
            return  # a link back up the tree
        seen.add((info.st_dev, info.st_ino))
        for entry in entries:
            with contextlib.suppress(OSError):
                if entry.is_dir():
                    walk(entry.path, f"{spelt}/{entry.name}")
                else:
                    note(f"{spelt}/{entry.name}", entry.stat())

    site = os.path.abspath(site_dir)
    with contextlib.suppress(OSError):
        note("/site.toml", os.stat(os.path.join(site, "site.toml")))
    for name in SOURCE_FOLDERS:
        walk(os.path.join(site, name), "/" + name)
    return files


def changed_files(before: Signature | None, after: Signature, site_dir: Path) -> set[Path] | None:
    """The files added, removed or changed from ``before`` to ``after``, as paths in
    ``site_dir``; None (not known: every file is read) without ``before``."""
    if before is None:
        return None
    return {site_dir / name[1:] for name in _differing(before, after)}


def _differing(before: Signature, after: Signature) -> Iterator[str]:
    for name, value in after.items():
        old = before.get(name)
        if old != value or old[1] < 0:  # a racy entry: not known to be unchanged
            yield name
    yield from before.keys() - after.keys()
