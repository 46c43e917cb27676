"""Appendix B: every reading-list item says after which notebook to read it, and why."""

import ast
import re

import nbformat

from notebook_tools import notebook_path

ITEM = re.compile(r"^### (\d+)\. (.+)$", re.M)
WHEN = re.compile(r"\*\*When:\*\* after notebook (\d\d)\.")
WHY = re.compile(r"\*\*Why:\*\* (.+)", re.S)
COURSE_NOTEBOOKS = {f"{n:02d}" for n in range(7)}  # 00 to 06


def _notebook():
    return nbformat.read(notebook_path("B_reading_list"), as_version=4)


def _items():
    """(number, title, after-notebook, reason) for each markdown cell that is one item."""
    items = []
    for cell in _notebook().cells:
        if cell.cell_type != "markdown" or not ITEM.match(cell.source):
            continue
        number, title = ITEM.match(cell.source).groups()
        when = WHEN.findall(cell.source)
        why = WHY.search(cell.source)
        items.append((int(number), title, when, why.group(1).strip() if why else ""))
    return items


def test_every_item_names_one_course_notebook_and_gives_a_reason():
    items = _items()
    assert len(items) >= 9, f"the brief's reading list has nine items; found {len(items)}"
    assert [n for n, *_ in items] == list(range(1, len(items) + 1)), "items are numbered 1, 2, 3, ... in order"
    for number, title, when, why in items:
        assert len(when) == 1 and when[0] in COURSE_NOTEBOOKS, (
            f"item {number} ({title}) must say '**When:** after notebook NN.' once, NN in 00-06; found {when}")
        sentences = [s for s in re.split(r"(?<=[.!?])\s+", why) if len(s.split()) >= 5]
        assert 1 <= len(sentences) <= 2, f"item {number} ({title}): the reason should be one or two sentences: {why!r}"
    afters = [when[0] for *_, when, _ in items]
    assert afters == sorted(afters), "the list follows the order of the notebooks"
    assert set(afters) == COURSE_NOTEBOOKS, f"each notebook 00-06 should have a reading; covered {sorted(set(afters))}"


def test_the_brief_s_items_are_on_the_list():
    text = "\n".join(c.source for c in _notebook().cells if c.cell_type == "markdown")
    for must in ("1406.2661", "1701.00160", "2010.06418", "Inclusive GAN", "DCGAN", "CycleGAN", "pix2pix",
                 "Coursera", "Algorithms, Theory, and Applications"):
        assert must in text, f"the reading list lacks {must}"
    # and the papers behind what the course builds and measures (issue 21): LSGAN, conditional GANs,
    # WGAN-GP, FID, StyleGAN, ADA and DiffAugment, and one reading on deepfakes and consent
    for must in ("1611.04076", "1411.1784", "1704.00028", "1706.08500", "1812.04948", "2006.06676", "2006.10738",
                 "Deep Fakes"):
        assert must in text, f"the reading list lacks {must}"


def test_every_paper_gives_its_year_venue_and_identifier():
    for cell in _notebook().cells:
        if cell.cell_type != "markdown" or not ITEM.match(cell.source) or "Coursera" in cell.source:
            continue
        byline = " ".join(cell.source.split("**When:**")[0].splitlines()[1:]).strip()  # authors, year, link
        assert re.search(r"\((19|20)\d\d; .+\)", byline), f"year and venue missing: {byline!r}"
        assert re.search(r"\[(arXiv \d{4}\.\d{4,5}|doi 10\.\S+)\]\(https://", byline), f"no arXiv id or DOI: {byline!r}"


def test_the_reading_plan_cell_matches_the_items():
    # the code cell's READING table records the item count for the bars; it must agree with the markdown
    (cell,) = [c for c in _notebook().cells if c.cell_type == "code" and "READING = [" in c.source]
    tree = ast.parse(cell.source)
    table = next(node.value for node in tree.body if isinstance(node, ast.Assign)
                 and getattr(node.targets[0], "id", "") == "READING")
    reading = ast.literal_eval(table)
    items = _items()
    assert len(reading) == len(items)
    assert [after for _, after in reading] == [when[0] for *_, when, _ in items]
    assert 'record("items", len(READING))' in cell.source
