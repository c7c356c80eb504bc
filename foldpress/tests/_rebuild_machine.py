"""A hypothesis state machine that edits a small site at random and checks, after every
edit, that the incremental build is byte for byte what a clean build of it makes: the
build from the cache on disk, and the build from the memory that ``serve`` keeps, told
which files changed as ``serve`` is.

Run by test_rebuild_machine.py (a few short runs) and bench/rebuild_machine.py (long).
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from foldpress.build import Memory, build
from foldpress.cache import CACHE_DIR
from foldpress.errors import BuildError
from foldpress.theme import THEME_DIR

SLUGS = [f"p{n}" for n in range(8)]
TOPICS = ["Python", "AI", "Math"]
SERIES = ["Basics", "Deep dive"]
DAYS = st.integers(1, 60)  # days into 2025
SETTINGS = {
    "posts_per_page": st.sampled_from(["1", "2", "3"]),
    "title": st.sampled_from(['"Blog"', '"Another blog"']),
    "search": st.sampled_from(["true", "false"]),
    "feed_content": st.sampled_from(['"full"', '"intro"']),
    "feed_items": st.sampled_from(["2", "5"]),
}
# A site's own templates: the theme's with more read from the index.
TEMPLATES = {
    "base.html": (
        "</main>",
        "</main>\n<p>{{ index.posts|length }} posts in "
        "{{ index.topics|map(attribute='topic')|map(attribute='name')|join(', ') }}</p>",
    ),
    "post.html": (
        "<h1>{{ post.title }}</h1>",
        "<h1>{{ post.title }}</h1><p>{{ post.series or '' }} {{ post.aliases|join(' ') }}"
        " {{ post.summary or '' }}</p>",
    ),
    "_post_meta.html": ('<p class="post-meta">', '<p class="post-meta">{{ post.slug }} '),
}


def _day(day: int) -> str:
    month, dom = divmod(day - 1, 28)
    return f"2025-{month + 1:02d}-{dom + 1:02d}"


class RebuildMachine(RuleBasedStateMachine):
    """The site is held as data; every rule edits it, writes it out, and the invariant
    builds it both ways and compares every file."""

    def __init__(self) -> None:
        super().__init__()
        self.root = Path(tempfile.mkdtemp(prefix="foldpress-rebuilds-"))
        self.site = self.root / "site"
        self.posts: dict[str, dict] = {}  # slug: fields
        self.pages: dict[str, str] = {}  # slug: body
        self.static: dict[str, bytes] = {}
        self.templates: set[str] = set()
        self.settings = {"base_url": '"https://example.com/blog/"', "timezone": '"UTC"'}
        self.edits = 0
        self.memory = Memory()  # as `serve` keeps it, building into "served"
        self.changed: set[Path] = set()  # since the last build from memory

    # The site on disk --------------------------------------------------------------

    def files(self) -> dict[str, bytes]:
        files = {"site.toml": "".join(f"{k} = {v}\n" for k, v in self.settings.items()).encode()}
        for slug, post in self.posts.items():
            front = [f"title: {json.dumps(post['title'])}", f"date: {_day(post['day'])} 09:00"]
            front.append(f"topics: {json.dumps(post['topics'])}")
            for key in ("series", "summary"):
                if post[key]:
                    front.append(f"{key}: {json.dumps(post[key])}")
            if post["aliases"]:
                front.append(f'aliases: ["/old/{slug}/"]')
            if post["draft"]:
                front.append("draft: true")
            fold = "\n<!--more-->\n\n" if post["fold"] else "\n"
            body = f"{post['intro']}\n{fold}More of {slug}: `{post['body']}`.\n"
            text = "---\n" + "\n".join(front) + "\n---\n\n" + body
            files[f"posts/{_day(post['day'])}-{slug}.md"] = text.encode()
        for slug, body in self.pages.items():
            files[f"pages/{slug}.md"] = f"---\ntitle: Page {slug}\n---\n\n{body}\n".encode()
        for name, data in self.static.items():
            files[f"static/{name}"] = data
        for name in self.templates:
            old, new = TEMPLATES[name]
            theme = (THEME_DIR / "templates" / name).read_text(encoding="utf-8")
            files[f"templates/{name}"] = theme.replace(old, new, 1).encode()
        return files

    def write(self) -> None:
        files = self.files()
        for folder in ("posts", "pages", "static", "templates"):
            if (self.site / folder).is_dir():
                for path in (self.site / folder).rglob("*"):
                    name = path.relative_to(self.site).as_posix()
                    if path.is_file() and name not in files:
                        path.unlink()
                        self.changed.add(path)
        for name, data in files.items():
            path = self.site / name
            if not path.exists() or path.read_bytes() != data:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(data)
                self.changed.add(path)
        self.edits += 1

    @initialize(posts=st.integers(0, 4))
    def start(self, posts: int) -> None:
        for n in range(posts):
            self._add(SLUGS[n], day=1 + 7 * n, topics=TOPICS[: n % 3 + 1], series=None)
        self.pages["about"] = "About this blog."
        self.write()

    def _add(self, slug: str, *, day: int, topics: list[str], series: str | None) -> None:
        self.posts[slug] = {
            "title": f"Post {slug}",
            "day": day,
            "topics": topics,
            "series": series,
            "summary": None,
            "aliases": False,
            "draft": False,
            "fold": True,
            "intro": f"Intro of {slug}.",
            "body": "v1",
        }

    # Edits -------------------------------------------------------------------------

    @precondition(lambda self: len(self.posts) < len(SLUGS))
    @rule(data=st.data(), day=DAYS, topics=st.lists(st.sampled_from(TOPICS), unique=True))
    def add_post(self, data: st.DataObject, day: int, topics: list[str]) -> None:
        slug = data.draw(st.sampled_from([s for s in SLUGS if s not in self.posts]))
        series = data.draw(st.none() | st.sampled_from(SERIES))
        self._add(slug, day=day, topics=topics, series=series)
        self.write()

    def _post(self, data: st.DataObject) -> str:
        return data.draw(st.sampled_from(sorted(self.posts)))

    @precondition(lambda self: self.posts)
    @rule(data=st.data())
    def delete_post(self, data: st.DataObject) -> None:
        del self.posts[self._post(data)]
        self.write()

    @precondition(lambda self: self.posts and len(self.posts) < len(SLUGS))
    @rule(data=st.data())
    def rename_post(self, data: st.DataObject) -> None:
        slug = self._post(data)
        new = data.draw(st.sampled_from([s for s in SLUGS if s not in self.posts]))
        self.posts[new] = self.posts.pop(slug)
        self.write()

    @precondition(lambda self: self.posts)
    @rule(
        data=st.data(),
        field=st.sampled_from(["day", "title", "topics", "series", "summary", "aliases"]),
    )
    def edit_front_matter(self, data: st.DataObject, field: str) -> None:
        post = self.posts[self._post(data)]
        values = {
            "day": DAYS,
            "title": st.sampled_from(["Alpha", "Beta", "Gamma"]),
            "topics": st.lists(st.sampled_from(TOPICS), unique=True),
            "series": st.none() | st.sampled_from(SERIES),
            "summary": st.none() | st.sampled_from(["Summed up.", "In short."]),
            "aliases": st.booleans(),
        }
        post[field] = data.draw(values[field])
        self.write()

    @precondition(lambda self: self.posts)
    @rule(data=st.data(), field=st.sampled_from(["draft", "fold"]))
    def toggle(self, data: st.DataObject, field: str) -> None:
        post = self.posts[self._post(data)]
        post[field] = not post[field]
        self.write()

    @precondition(lambda self: self.posts)
    @rule(data=st.data(), part=st.sampled_from(["intro", "body"]), text=st.sampled_from("xyz"))
    def edit_text(self, data: st.DataObject, part: str, text: str) -> None:
        self.posts[self._post(data)][part] += text
        self.write()

    # Most saves while writing change a post's text alone, and serve takes them a way of
    # their own (foldpress.update): this rule makes them as frequent as all others.
    @precondition(lambda self: self.posts)
    @rule(data=st.data(), texts=st.lists(st.sampled_from(["x", "$y$", "`z`"]), min_size=1))
    def edit_texts(self, data: st.DataObject, texts: list[str]) -> None:
        for text in texts:
            post = self.posts[self._post(data)]
            post[data.draw(st.sampled_from(["intro", "body"]))] += text
        self.write()

    @rule(slug=st.sampled_from(["about", "contact"]), body=st.sampled_from(["", "Hi.", "Bye."]))
    def edit_page(self, slug: str, body: str) -> None:
        if body:
            self.pages[slug] = body
        else:
            self.pages.pop(slug, None)
        self.write()

    @rule(name=st.sampled_from(["a.txt", "img/b.svg"]), data=st.sampled_from([b"", b"1", b"2"]))
    def edit_static(self, name: str, data: bytes) -> None:
        if data:
            self.static[name] = data
        else:
            self.static.pop(name, None)
        self.write()

    @rule(name=st.sampled_from(sorted(TEMPLATES)))
    def toggle_template(self, name: str) -> None:
        self.templates ^= {name}
        self.write()

    @rule(data=st.data(), key=st.sampled_from(sorted(SETTINGS)))
    def edit_setting(self, data: st.DataObject, key: str) -> None:
        self.settings[key] = data.draw(SETTINGS[key])
        self.write()

    # The check ---------------------------------------------------------------------

    @invariant()
    def same_as_a_clean_build(self) -> None:
        clean = self.root / "clean"
        shutil.rmtree(clean, ignore_errors=True)
        shutil.copytree(self.site, clean, ignore=shutil.ignore_patterns(CACHE_DIR, "_site"))
        served = self.root / "served"
        self.memory.sources.changed, self.changed = self.changed, set()
        outcomes = []
        for site, out, memory in (
            (self.site, None, None),
            (self.site, served, self.memory),
            (clean, None, None),
        ):
            try:
                build(site, out, jobs=1, memory=memory)
                outcomes.append(None)
            except BuildError as error:
                outcomes.append(str(error).replace(str(site), "SITE"))
        assert outcomes[0] == outcomes[1] == outcomes[2], outcomes
        if outcomes[0] is None:
            for built in (self.site / "_site", served):
                differing = differences(built, clean / "_site")
                assert not differing, f"{built.name} after edit {self.edits}: {differing}"

    def teardown(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)


def differences(built: Path, clean: Path) -> list[str]:
    """The files that differ between two output folders, or that one of them lacks."""

    def files(out: Path) -> dict[str, bytes]:
        paths = [path for path in out.rglob("*") if path.is_file()]
        return {path.relative_to(out).as_posix(): path.read_bytes() for path in paths}

    a, b = files(built), files(clean)
    return sorted(name for name in a.keys() | b.keys() if a.get(name) != b.get(name))
