"""The ``foldpress`` command: new, build, check, post, serve and import."""

from __future__ import annotations

import os
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from foldpress import buildserver
    from foldpress.build import Memory, Progress

SITE_ARGUMENT = click.Path(file_okay=False, path_type=Path)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="foldpress")
def main() -> None:
    """foldpress: a static blog engine for Markdown posts with an intro above the fold.

    A site is a folder holding site.toml, posts/, pages/, static/ and, optionally,
    templates/ that override the bundled theme one file at a time.
    """


@main.command()
@click.argument("directory", type=SITE_ARGUMENT)
def new(directory: Path) -> None:
    """Create a starter site in DIRECTORY (which must be new or empty)."""
    from foldpress.scaffold import create_site  # here: YAML, which a build may not need

    try:
        post = create_site(directory, now=datetime.now(UTC))
    except FileExistsError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Created a site in {directory}, with a first post in {post}.")
    click.echo(f"Build it with: foldpress build {directory}")


@main.command()
@click.argument("site", type=SITE_ARGUMENT, default=".")
@click.option(
    "-o",
    "--output",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder to write the site to (default: SITE/_site). It is replaced as a whole.",
)
@click.option("--drafts", is_flag=True, help="Include posts marked 'draft: true'.")
@click.option(
    "-j",
    "--jobs",
    type=click.IntRange(min=1),
    metavar="N",
    help="Processes that render changed posts and write changed files "
    "(default: one per CPU when there are many; 1: this one only).",
)
@click.option("-q", "--quiet", is_flag=True, help="Print errors only.")
@click.option(
    "--check",
    "check_after",
    is_flag=True,
    help="Then check every link, anchor and image of the posts and pages (as "
    "'foldpress check' does, without external links); broken ones make the exit status 1.",
)
@click.option(
    "--no-server",
    is_flag=True,
    help="Build in this process, stop the site's build server if one runs, and leave none behind.",
)
def build(
    site: Path,
    output: Path | None,
    drafts: bool,
    jobs: int | None,
    quiet: bool,
    check_after: bool,
    no_server: bool,
) -> None:
    """Build the site in SITE (default: the current folder).

    Posts whose files have not changed since the last build are taken from the cache
    in SITE/.foldpress-cache/ (safe to delete), and only the pages that show something
    that changed are written again: the result is always what a clean build makes.

    On Linux, a build then keeps the site in memory for the next one, in a build
    server left in the background (as Gradle's daemon does): the next build of the
    site asks it, and after one edit takes a fraction of a second instead of seconds.
    It stops after 15 minutes without a build; --no-server, FOLDPRESS_BUILD_SERVER=0
    or CI set in the environment turn it off.

    Every content error is printed as path:line: message, and the build exits with
    status 1; the previous output folder is then left as it was. Warnings (problems
    the build worked around) are printed as path:line: warning: message.
    """
    from foldpress import buildserver

    request = buildserver.Request(
        os.getcwd(), str(site), None if output is None else str(output), drafts, jobs, quiet
    )
    use_server = not no_server and buildserver.enabled()
    reply = buildserver.request_build(request) if use_server else None
    if reply is not None:
        sys.stderr.write(reply.stderr)  # the warnings, before what was built
        sys.stderr.flush()
        sys.stdout.write(reply.stdout)
        status = reply.status
    elif use_server:
        status = _build_and_leave_server(request)
    else:
        if no_server:
            buildserver.stop(site)
        status = _build_and_report(request, None, "")
    if status:
        sys.exit(status)
    if check_after:
        from foldpress.check import check_links
        from foldpress.config import load_config

        out_dir = request.out_dir
        broken = check_links(site, load_config(site / "site.toml"), out_dir, drafts=drafts)
        _report_broken(broken, quiet=quiet)


def _build_and_report(request: buildserver.Request, memory: Memory | None, by: str) -> int:
    """Build as ``request`` says, from ``memory`` and into it if given; print the warnings
    and what was built (by whom: ``by``), or the errors; return the exit status."""
    from foldpress.build import build as build_site
    from foldpress.errors import BuildError, in_order

    line = None if request.quiet or not sys.stderr.isatty() else ProgressLine()
    try:
        result = build_site(
            request.site_dir,
            None if request.output is None else Path(request.output),
            drafts=request.drafts,
            jobs=request.jobs,
            on_progress=line,
            memory=memory,
        )
    except BuildError as error:
        if line:
            line.clear()
        for problem in in_order([*error.errors, *error.warnings]):
            click.echo(str(problem), err=True)
        count = len(error.errors)
        click.ClickException(f"build failed with {count} error{'s' * (count != 1)}").show()
        return 1
    finally:
        if line:
            line.clear()
    for warning in result.warnings:
        click.echo(str(warning), err=True)
    if not request.quiet:
        click.echo(f"Built {result.summary()}{by}.")
    return 0


def _build_and_leave_server(request: buildserver.Request) -> int:
    """Build in this process, then leave a build server holding what the build made."""
    from foldpress import buildserver
    from foldpress.build import Memory

    files = buildserver.site_files(request.site_dir)
    memory = Memory()
    status = _build_and_report(request, memory, "")
    memory.save(request.site_dir)
    sys.stdout.flush()
    sys.stderr.flush()
    if buildserver.start(request, memory, files, _build_and_report) and not request.quiet:
        minutes = round(buildserver.idle_seconds() / 60)
        click.echo(
            f"A build server keeps the site in memory for the next build "
            f"(stops after {minutes} min without one; --no-server stops it now)."
        )
    return status


def _report_broken(broken: list, *, quiet: bool, checked: str = "") -> None:
    """Print each broken link as path:line: message; exit with status 1 if there are any."""
    for error in broken:
        click.echo(str(error))
    if broken:
        count = len(broken)
        raise click.ClickException(f"{count} broken link{'s' * (count != 1)}")
    if not quiet:
        click.echo(f"No broken links{checked}.")


@main.command()
@click.argument("site", type=SITE_ARGUMENT, default=".")
@click.option(
    "-o",
    "--output",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="A built site to check the links against (default: build SITE into a "
    "temporary folder first).",
)
@click.option("--drafts", is_flag=True, help="Check posts marked 'draft: true' too.")
@click.option(
    "--external",
    is_flag=True,
    help="Also ask other sites' servers whether the links to them work (HEAD, then GET).",
)
@click.option(
    "--max-age",
    type=click.FloatRange(min=0),
    default=7,
    show_default=True,
    metavar="DAYS",
    help="With --external: ask again about a link that worked once its answer is this old.",
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=0.1),
    default=10,
    show_default=True,
    metavar="SECONDS",
    help="With --external: how long to wait for each server.",
)
@click.option("-q", "--quiet", is_flag=True, help="Print broken links only.")
def check(
    site: Path,
    output: Path | None,
    drafts: bool,
    external: bool,
    max_age: float,
    timeout: float,
    quiet: bool,
) -> None:
    """Check every link, #anchor and image in SITE's posts and pages.

    Each broken one is printed as path:line: link to URL -- problem, for the line of the
    Markdown file that holds it, and the exit status is then 1. Links into the site are
    checked against the built site: SITE is built into a temporary folder, or --output
    names a built one. With --external, links to other sites are checked too, many at
    once (at most 2 at a time per host); the answers are kept in SITE/.foldpress-cache/,
    so a rerun asks only about new links, broken ones and ones older than --max-age.
    """
    import tempfile

    from foldpress.build import build
    from foldpress.check import Limits, check_links
    from foldpress.config import load_config
    from foldpress.errors import BuildError, in_order

    try:
        config = load_config(site / "site.toml")
    except BuildError as error:
        raise click.ClickException("\n".join(map(str, error.errors))) from None
    line = None if quiet or not sys.stderr.isatty() else ProgressLine()

    def on_answer(done: int, total: int) -> None:
        if line:
            line.show(f"External links: {done}/{total}")

    limits = Limits(timeout=timeout)
    with tempfile.TemporaryDirectory(prefix="foldpress-check-") as temp:
        out_dir = output
        if out_dir is None:
            out_dir = Path(temp) / "site"
            try:
                build(site, out_dir, drafts=drafts, on_progress=line)
            except BuildError as error:
                if line:
                    line.clear()
                for problem in in_order([*error.errors, *error.warnings]):
                    click.echo(str(problem), err=True)
                message = "the site does not build, so it cannot be checked"
                raise click.ClickException(message) from None
        try:
            broken = check_links(
                site,
                config,
                out_dir,
                drafts=drafts,
                external=external,
                max_age=max_age * 86400,
                limits=limits,
                on_answer=on_answer,
            )
        finally:
            if line:
                line.clear()
    _report_broken(broken, quiet=quiet, checked=" (external links too)" if external else "")


class ProgressLine:
    """A line on the terminal that shows how far a build has got, redrawn in place.

    It appears only once a build has run for a moment, and is redrawn at most ten
    times a second, so quick builds print nothing extra.
    """

    DELAY = 0.5
    INTERVAL = 0.1

    def __init__(self) -> None:
        self.started = time.monotonic()
        self.next_draw = self.started + self.DELAY
        self.drawn = False

    def __call__(self, progress: Progress) -> None:
        now = time.monotonic()
        if now < self.next_draw:
            return
        self.next_draw = now + self.INTERVAL
        done = progress.rendered + progress.cached
        text = f"Posts and pages: {done}/{progress.sources} ({progress.cached} from the cache)"
        files = progress.written + progress.reused
        if files:
            text += f" · files: {files} ({progress.reused} unchanged)"
        self.show(text)

    def show(self, text: str) -> None:
        click.echo(f"\r\x1b[K{text}", nl=False, err=True)
        self.drawn = True

    def clear(self) -> None:
        if self.drawn:
            click.echo("\r\x1b[K", nl=False, err=True)
            self.drawn = False


@main.command()
@click.argument("title")
@click.option(
    "--site",
    type=SITE_ARGUMENT,
    default=".",
    show_default=True,
    help="The site folder to add the post to.",
)
@click.option(
    "--topics",
    "-t",
    multiple=True,
    help='Topics, comma-separated or repeated: --topics "AI, Python" or -t AI -t Python.',
)
@click.option("--draft", is_flag=True, help="Mark the post 'draft: true' (left out of builds).")
def post(title: str, site: Path, topics: tuple[str, ...], draft: bool) -> None:
    """Start a post titled TITLE: writes posts/YYYY-MM-DD-slug.md with front matter,
    dated now in the site's timezone."""
    from foldpress.config import load_config
    from foldpress.errors import BuildError
    from foldpress.scaffold import create_post  # see new

    try:
        config = load_config(site / "site.toml")
    except BuildError as error:
        raise click.ClickException("\n".join(map(str, error.errors))) from None
    names = [name.strip() for value in topics for name in value.split(",") if name.strip()]
    try:
        path = create_post(site, title, now=datetime.now(config.tzinfo), topics=names, draft=draft)
    except FileExistsError as error:
        raise click.ClickException(f"{error.filename} already exists") from None
    except ValueError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Created {path}")


@main.command()
@click.argument("site", type=SITE_ARGUMENT, default=".")
@click.option(
    "-o",
    "--output",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder to build into and serve (default: a preview folder in the build cache, "
    "SITE/.foldpress-cache/preview, so that a preview never changes SITE/_site).",
)
@click.option("--port", "-p", default=8000, show_default=True, help="Port to listen on (0: any).")
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on. Only this machine can connect unless you give another.",
)
@click.option("--drafts", is_flag=True, help="Include posts marked 'draft: true'.")
def serve(site: Path, output: Path | None, port: int, host: str, drafts: bool) -> None:
    """Build SITE, serve it, and rebuild whenever a file in it changes.

    Open pages reload themselves after each rebuild. When a change breaks the build,
    the errors show in this terminal and over the page, and the last good site stays
    served until the next good build. The preview is built in the build cache, not in
    SITE/_site, so previewing (drafts included) never changes what you publish.
    """
    from foldpress.serve import serve_site

    try:
        serve_site(site, output, host=host, port=port, drafts=drafts, echo=click.echo)
    except OSError as error:
        raise click.ClickException(f"cannot serve on {host}:{port}: {error.strerror}") from None


@main.command("import")
@click.argument("src", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.argument("dest", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--from",
    "engine",
    type=click.Choice(["hugo", "jekyll", "pelican", "nikola"]),
    help="The engine SRC was made for (default: told by its configuration file).",
)
def import_(src: Path, dest: Path, engine: str | None) -> None:
    """Make the Hugo, Jekyll, Pelican or Nikola site in SRC into a foldpress site in DEST.

    DEST must be new or empty; SRC is only read, and its configuration (hugo.toml,
    config.toml|yaml|json, _config.yml, pelicanconf.py, conf.py) is read as text, never
    run. Jupyter notebook posts (Nikola's, Pelican's {% notebook %}) become notebook posts.
    Posts, pages, static files and every old address come over: `foldpress build DEST`
    answers the old links, with redirect pages where an address changed.

    Every construct that could not be converted is printed as path:line: what, and left
    in place. DEST/import-ledger.csv has a row for every file of SRC: the post, page or
    static file it became, or why it was not brought. The new site is then built once
    (into DEST/_site): what of the old syntax shows on its pages as text is printed at
    its line in DEST, and counted in the closing summary. The exit status is 1 if nothing
    could be imported or a file of SRC is not accounted for, else 0.
    """
    from foldpress.importers import LEDGER_FILE, CannotImport, import_site

    try:
        report = import_site(src, dest, engine)
    except CannotImport as error:
        raise click.ClickException(str(error)) from None
    for note in report.skipped:
        click.echo(f"{note}", err=True)
    for note in report.unconverted:
        click.echo(f"{note}", err=True)
    for note in [*report.build_errors, *report.leftovers]:  # in the new site's files
        click.echo(f"{note}", err=True)
    click.echo(report.summary())
    if not report.posts and not report.pages:
        raise click.ClickException(f"nothing in {src} could be imported")
    if report.unaccounted:
        raise click.ClickException(
            f"{report.unaccounted} files of {src} were neither brought nor skipped with a "
            f"reason: see {dest / LEDGER_FILE}"
        )
    click.echo(f"Build it with: foldpress build {dest}")
