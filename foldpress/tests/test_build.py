"""Building small sites: listings, pagination, topics, archive, drafts, escaping, themes,
and the atomic replacement of the output folder."""

from __future__ import annotations

import pytest
from conftest import post_file, soup

from foldpress import build as build_module
from foldpress.build import build
from foldpress.errors import BuildError


def five_posts() -> dict[str, str]:
    files = {}
    for n in range(1, 6):
        body = f"Intro {n}.\n\n<!--more-->\n\nRest {n}.\n" if n % 2 else f"Whole post {n}.\n"
        topics = "[Python, AI]" if n <= 2 else "[Python]"
        files[f"posts/2025-0{n}-10-post-{n}.md"] = post_file(
            f"Post {n}", f"2025-0{n}-10", body, topics=topics
        )
    files["posts/2025-06-01-draft.md"] = post_file("Secret draft", "2025-06-01", draft="true")
    files["pages/about.md"] = "---\ntitle: About me\n---\n\nHi.\n"
    return files


@pytest.fixture
def site(make_site):
    return make_site(five_posts())


def summaries(page):
    return [
        (a.h2.get_text(strip=True), a.find("p", class_="read-more") is not None)
        for a in page.find_all("article", class_="summary")
    ]


def test_front_page_lists_intros_newest_first_with_read_more_only_where_there_is_more(site):
    out = build(site).out_dir
    page = soup(out / "index.html")
    assert summaries(page) == [("Post 5", True), ("Post 4", False), ("Post 3", True)]
    first = page.find("article", class_="summary")
    assert "Intro 5." in first.get_text() and "Rest 5." not in first.get_text()
    assert first.find("p", class_="read-more").a["href"] == "/2025/05/post-5/"
    meta = " ".join(first.find("p", class_="post-meta").get_text().split())
    assert meta == "Posted on 10 May 2025 in Python"


def test_pagination_links_both_ways(site):
    out = build(site).out_dir
    front, second = soup(out / "index.html"), soup(out / "page/2/index.html")
    assert front.find("a", rel="next")["href"] == "/page/2/"
    assert front.find("nav", class_="pagination").find("a", rel="prev") is None
    assert summaries(second) == [("Post 2", False), ("Post 1", True)]
    assert second.find("nav", class_="pagination").find("a", rel="prev")["href"] == "/"
    assert not (out / "page/3").exists()


def test_topic_pages_and_topic_index(site):
    out = build(site).out_dir
    ai = soup(out / "topics/ai/index.html")
    assert ai.h1.get_text() == "Posts about AI"
    assert summaries(ai) == [("Post 2", False), ("Post 1", True)]
    assert ai.find("link", rel="alternate", href="/topics/ai/rss.xml") is not None
    assert (out / "topics/python/page/2/index.html").exists()
    topics = soup(out / "topics/index.html").find("ul", class_="topics")
    rows = [" ".join(li.get_text().split()) for li in topics.find_all("li")]
    assert rows == ["AI (2 posts)", "Python (5 posts)"]


def test_archive_by_year_and_month(site):
    archive = soup(build(site).out_dir / "archive/index.html")
    months = [h3.get_text() for h3 in archive.find_all("h3")]
    assert months == ["May 2025", "April 2025", "March 2025", "February 2025", "January 2025"]
    assert archive.find("h2").get_text() == "2025"


def test_post_page_has_everything_and_prev_next(site):
    out = build(site).out_dir
    page = soup(out / "2025/03/post-3/index.html")
    assert page.h1.get_text() == "Post 3"
    body = page.find("div", class_="post-body").get_text()
    assert "Intro 3." in body and "Rest 3." in body
    assert page.find("a", rel="prev")["href"] == "/2025/02/post-2/"
    assert page.find("a", rel="next")["href"] == "/2025/04/post-4/"
    head = page.head
    assert head.find("link", rel="canonical")["href"] == "https://blog.example.com/2025/03/post-3/"
    markdown = head.find("link", type="text/markdown")
    assert markdown["href"] == "/2025/03/post-3/index.html.md"
    assert head.find("link", type="application/rss+xml")["href"] == "/feed/rss.xml"
    assert page.html["lang"] == "en"
    assert page.find("main", id="main") and page.find("a", class_="skip-link")["href"] == "#main"


def test_pages_404_and_static_files(make_site):
    site = make_site({**five_posts(), "static/images/a.svg": "<svg/>"})
    out = build(site).out_dir
    assert soup(out / "about/index.html").h1.get_text() == "About me"
    assert soup(out / "404.html").find("link", rel="canonical") is None
    assert (out / "images/a.svg").read_text() == "<svg/>"
    assert (out / "theme/style.css").exists() and (out / "theme/pygments.css").exists()


def test_front_page_links_llms_txt(site):
    head = soup(build(site).out_dir / "index.html").head
    assert head.find("link", title="LLM-friendly version")["href"] == "/llms.txt"


def test_drafts_left_out_unless_asked(site, tmp_path):
    out = build(site).out_dir
    assert not (out / "2025/06/draft").exists()
    assert "Secret draft" not in (out / "index.html").read_text()
    with_drafts = build(site, tmp_path / "drafts", drafts=True).out_dir
    assert (with_drafts / "2025/06/draft/index.html").exists()
    assert summaries(soup(with_drafts / "index.html"))[0][0] == "Secret draft"


def test_front_matter_is_escaped_and_body_html_passes_through(make_site):
    title = 'Less <script>alert("x")</script> & "quotes" \'too\''
    body = 'Intro with <span class="raw">raw</span>.\n'
    site = make_site({"posts/p.md": post_file(title, "2025-01-01", body, topics='["<b>T</b>"]')})
    out = build(site).out_dir
    post = soup(out / "2025/01/p/index.html")
    assert post.h1.get_text() == title
    scripts = post.find_all("script", type=lambda kind: kind != "application/ld+json")
    assert scripts == [] and post.find("b") is None  # JSON-LD holds it escaped
    assert post.title.get_text() == f"{title} · Test blog"
    assert post.find("a", href="/topics/b-t-b/").get_text() == "<b>T</b>"
    assert post.find("span", class_="raw").get_text() == "raw"
    assert soup(out / "index.html").find("h2").get_text() == title


def test_site_template_overrides_one_file(make_site):
    override = (
        '{% extends "base.html" %}{% block main %}<p id="custom">{{ post.title }}</p>{% endblock %}'
    )
    site = make_site(
        {"posts/p.md": post_file("Mine", "2025-01-01"), "templates/post.html": override}
    )
    out = build(site).out_dir
    post = soup(out / "2025/01/p/index.html")
    assert post.find("p", id="custom").get_text() == "Mine"
    assert post.find("a", class_="skip-link") is not None  # base.html still the theme's
    assert soup(out / "index.html").find("article", class_="summary") is not None


def test_topic_spellings_share_one_page(make_site):
    site = make_site(
        {
            "posts/a.md": post_file("A", "2025-01-01", topics="[Python]"),
            "posts/b.md": post_file("B", "2025-01-02", topics="[python]"),
            "posts/c.md": post_file("C", "2025-01-03", topics="[Python]"),
        }
    )
    out = build(site).out_dir
    assert [p.name for p in (out / "topics").iterdir() if p.is_dir()] == ["python"]
    assert soup(out / "topics/python/index.html").h1.get_text() == "Posts about Python"


def test_rebuild_replaces_the_output_and_leaves_no_temporary_folders(site, tmp_path):
    out = tmp_path / "out"
    build(site, out)
    (site / "posts/2025-01-10-post-1.md").unlink()
    (out / "stale.txt").write_text("from before")
    result = build(site, out)
    assert result.posts == 4 and result.pages == 1
    assert not (out / "2025/01/post-1").exists() and not (out / "stale.txt").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "site"]


def test_interrupted_build_leaves_the_old_site(site, tmp_path, monkeypatch):
    out = tmp_path / "out"
    build(site, out)
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}

    def interrupted(index, out_dir, env):
        (out_dir / "half-written.html").write_text("...")
        raise KeyboardInterrupt

    class Writer:
        write = staticmethod(interrupted)

    monkeypatch.setattr(build_module.outputs, "WRITERS", [*build_module.outputs.WRITERS, Writer])
    with pytest.raises(KeyboardInterrupt):
        build(site, out)
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "site"]


def test_refuses_to_replace_a_folder_that_is_not_a_site(site, tmp_path):
    precious = tmp_path / "precious"
    precious.mkdir()
    (precious / "thesis.tex").write_text("years of work")
    with pytest.raises(BuildError) as caught:
        build(site, precious)
    assert "will not replace this output folder" in str(caught.value)
    assert (precious / "thesis.tex").read_text() == "years of work"
    with pytest.raises(BuildError):
        build(site, site)
