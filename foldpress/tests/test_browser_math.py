"""``aligned`` in headless Chromium: the rows of a derivation line up at their ``&``,
measured from the element boxes of the built page (MathML Core has no
``columnalign``: without the cells' own CSS, Chromium centres every cell)."""

from __future__ import annotations

from conftest import post_file

from foldpress.build import build

# Rows of different widths on both sides, a \color before the "&", a row that starts
# with "&", sized bars: as machine-learning blogs write their derivations.
DERIVATION = r"""
$$
\begin{aligned}
\color{red}{\mathcal{L}(\theta)} &= \mathbb{E}_{x \sim p}\big[\log q_\theta(x)\big] \\
&= \sum_{i=1}^{n} \log q_\theta(x_i) + \frac{1}{2}\lVert \theta \rVert^2 \\
g &\le \color{blue} h \\
\big\vert f(x, y, z) - f(x', y', z') \big\vert &\approx 0
\end{aligned}
$$
"""


def test_aligned_rows_line_up_at_their_ampersands(browser, make_site):
    body = "A derivation:\n" + DERIVATION + "\nThat is all.\n"
    site = make_site({"posts/2025-01-01-aligned.md": post_file("Aligned", "2025-01-01", body)})
    build(site)
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto((site / "_site/2025/01/aligned/index.html").as_uri())
    rows = page.locator("article .math-display mtr").evaluate_all(
        """rows => rows.map(row => {
            const [left, right] = row.children;
            const box = (e) => e ? e.getBoundingClientRect() : null;
            const last = box(left.lastElementChild);
            const relation = box(right.querySelector('mo'));
            return [box(left).right, last ? last.right : null, box(right).left, relation.left];
        })"""
    )
    page.close()
    assert len(rows) == 4
    cell_edges = [edge for _, _, edge, _ in rows]
    relations = [x for *_, x in rows]  # where each row's =, = , <=, ~= starts
    left_ends = [end for _, end, _, _ in rows if end is not None]  # the right-aligned sides
    for name, xs in [("&", cell_edges), ("relation", relations), ("left side", left_ends)]:
        assert max(xs) - min(xs) <= 1, f"{name} x-positions differ: {xs}"
    assert len(left_ends) == 3  # the row that starts with "&" has an empty left side
    # The relations sit just right of the column edge, not centred in their cells.
    assert all(0 <= x - edge <= 20 for x, edge in zip(relations, cell_edges, strict=True))
