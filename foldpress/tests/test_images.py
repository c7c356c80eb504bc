"""Local images: width and height from the files, lazy loading below the fold, and page
bundles (posts/SLUG/index.md beside its images) published with the post."""

from __future__ import annotations

import io

from click.testing import CliRunner
from conftest import post_file, soup
from PIL import Image
from test_incremental import assert_same_as_clean

from foldpress.build import build
from foldpress.cli import main


def image_bytes(size: tuple[int, int], kind: str) -> bytes:
    data = io.BytesIO()
    Image.new("RGB", size, (200, 80, 40)).save(data, kind)
    return data.getvalue()


SVG_VIEWBOX = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 320 180"><rect/></svg>\n'
SVG_WIDTH = '<svg xmlns="http://www.w3.org/2000/svg" width="100" viewBox="0 0 50 20"></svg>\n'
BODY = """\
Above the fold: ![a photo](/images/photo.jpg)

<!--more-->

![a chart](/images/chart.png "Chart") and ![a diagram](../../../images/diagram.svg),
<img src="/images/wide.svg" alt="wide">, one sized by hand
<img src="/images/chart.png" width="10" alt="small">, and one elsewhere
![remote](https://example.org/x.png).
"""
FILES: dict[str, str | bytes] = {
    "static/images/photo.jpg": image_bytes((640, 427), "JPEG"),
    "static/images/chart.png": image_bytes((1200, 800), "PNG"),
    "static/images/diagram.svg": SVG_VIEWBOX,
    "static/images/wide.svg": SVG_WIDTH,
    "posts/2025-03-01-pictures.md": post_file("Pictures", "2025-03-01", BODY),
    "posts/my-trip/index.md": post_file(
        "My trip", "2025-05-02", "![the view](view.png)\n\n![a map](maps/map.gif)\n"
    ),
    "posts/my-trip/view.png": image_bytes((300, 200), "PNG"),
    "posts/my-trip/notes.txt": "Not an image, still published.\n",
}


def images_of(page) -> dict[str, dict[str, str]]:
    return {img["alt"]: img.attrs for img in page.select("article img")}


def test_local_images_get_their_files_sizes_and_those_below_the_fold_load_lazily(make_site):
    site = make_site(FILES)
    build(site)
    images = images_of(soup(site / "_site/2025/03/pictures/index.html"))
    for alt, file in [("a photo", "photo.jpg"), ("a chart", "chart.png")]:
        with Image.open(site / "static/images" / file) as real:
            assert (int(images[alt]["width"]), int(images[alt]["height"])) == real.size
    assert (images["a diagram"]["width"], images["a diagram"]["height"]) == ("320", "180")
    assert (images["wide"]["width"], images["wide"]["height"]) == ("100", "40")  # box's ratio
    assert images["small"]["width"] == "10" and "height" not in images["small"]  # as written
    assert "width" not in images["remote"]
    assert "loading" not in images["a photo"]  # in the intro: the reader sees it first
    for alt in ("a chart", "a diagram", "wide", "small", "remote"):
        assert images[alt]["loading"] == "lazy", alt
    assert images["a chart"]["title"] == "Chart"

    listing = images_of(soup(site / "_site/index.html"))
    assert listing["a photo"]["width"] == "640"
    assert listing["a photo"]["loading"] == "lazy"  # the second post's intro
    assert "loading" not in listing["the view"]  # the first's


def test_a_page_bundle_publishes_its_files_with_the_post(make_site):
    site = make_site(FILES)
    build(site)
    folder = site / "_site/2025/05/my-trip"
    assert (folder / "index.html").is_file()  # named by its folder
    assert (folder / "view.png").read_bytes() == FILES["posts/my-trip/view.png"]
    assert (folder / "notes.txt").is_file()
    assert not (folder / "index.md").exists()
    view = images_of(soup(folder / "index.html"))["the view"]
    assert (view["src"], view["width"], view["height"]) == ("view.png", "300", "200")
    on_front_page = images_of(soup(site / "_site/index.html"))["the view"]
    assert on_front_page["src"] == "/2025/05/my-trip/view.png"  # the intro, elsewhere

    # The map is not there: `foldpress check` says so, at its line.
    result = CliRunner().invoke(main, ["check", str(site), "--output", str(site / "_site")])
    assert result.exit_code == 1
    path = site / "posts/my-trip/index.md"
    assert result.output.splitlines()[0] == f"{path}:8: image maps/map.gif -- no such file"


def test_an_image_changed_on_disk_updates_its_pages_as_a_clean_build(make_site, tmp_path):
    site = make_site(FILES)
    build(site)
    (site / "static/images/chart.png").write_bytes(image_bytes((90, 60), "PNG"))
    (site / "posts/my-trip/view.png").write_bytes(image_bytes((30, 20), "PNG"))
    assert_same_as_clean(site, tmp_path)
    images = images_of(soup(site / "_site/2025/03/pictures/index.html"))
    assert (images["a chart"]["width"], images["a chart"]["height"]) == ("90", "60")
    (site / "posts/my-trip/view.png").unlink()
    assert_same_as_clean(site, tmp_path)
    assert not (site / "_site/2025/05/my-trip/view.png").exists()
