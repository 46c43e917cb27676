"""Build the course website from the runner's executed notebooks (``bin/site`` calls this).

    bin/site                                   # smoke-run any notebook not run yet, then build
    bin/site --runs build/notebook-runs/standard-tensorflow   # the pages from a standard run
    bin/site --no-run                          # build from what --runs holds; a missing run is an error

Each notebook page is the learner's notebook from ``course/`` (exercise cells exactly as the
learner gets them, hidden tests already stripped by the release) with the outputs of the
runner's execution of the same cell (matched by cell id) from ``--runs``. Exercise cells keep
no outputs: the run executed the reference solution, and its source never leaves ``solutions/``.
At the top of every page: the run's command, profile, hardware and commit, and Colab and Binder
links at ``[tool.gankit]``'s repository and tag. Nothing is executed while the site builds
(MyST-NB with ``nb_execution_mode = "off"``); Sphinx writes the pages and the search index.

The assembled Sphinx source goes to ``OUT/src``, the website to ``OUT/html`` (``--out``,
default ``build/site``). :func:`site_disagreements` lists every Colab, Binder or setup-cell
reference in a built site that is not at the configured repository and tag.
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import re
import shlex
import shutil
import subprocess
import sys
import time

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

COURSE = ROOT / "course"
DOCS = ROOT / "docs"
# instructor pages copied from docs/, beside the generated ones (same names, so their links hold), in
# this order in the menu; a page added to docs/ later goes after them (see ``instructor_pages``)
DOC_PAGES = ("notebooks.md", "hosting.md", "data.md", "style_judge.md", "publishing.md", "grading_at_scale.md",
             "releasing.md")
LICENCES = {"code": "MIT", "text": "CC BY 4.0"}
LINK = re.compile(r"(!?\[[^\]\n]*\]\()([^)\s]+)(\))")  # a link's text on one line: a "[" in quoted code is not a link


def course_location() -> dict:
    """[tool.gankit]'s repository, tag and install source (``autograder.release.course_location``)."""
    from autograder.release import course_location as location

    return location(ROOT)


def colab_url(location: dict, relative: str) -> str:
    from autograder.release import colab_url as url

    return url(location, relative)


def binder_url(location: dict, relative: str) -> str:
    """Binder at the release tag, opening the learner's copy (binder/postBuild makes my-course/)."""
    return (f"https://mybinder.org/v2/gh/{location['github']}/{location['tag']}"
            f"?urlpath=lab/tree/my-course/{relative}")


def notebook_names() -> list[str]:
    """The released notebooks, in course order (folder names sort in course order)."""
    return sorted(p.name for p in COURSE.iterdir() if p.is_dir() and (p / f"{p.name}.ipynb").is_file())


# -- notebook pages ------------------------------------------------------------------------------

def _nbgrader(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def page_notebook(name: str, runs: pathlib.Path, location: dict):
    """The page's notebook: ``course/`` cells with the run's outputs; returns (notebook, stats)."""
    import nbformat

    released = nbformat.read(COURSE / name / f"{name}.ipynb", as_version=4)
    executed_path = runs / name / f"{name}.ipynb"
    metrics_path = runs / name / "metrics.json"
    executed = nbformat.read(executed_path, as_version=4) if executed_path.is_file() else None
    metrics = json.loads(metrics_path.read_text(encoding="utf-8")) if metrics_path.is_file() else None
    by_id = {c.get("id"): c for c in executed.cells} if executed is not None else {}
    stats = {"code_cells": 0, "matched": 0, "exercises": 0, "unmatched": []}
    for cell in released.cells:
        if cell.cell_type != "code":
            continue
        stats["code_cells"] += 1
        if _nbgrader(cell).get("solution"):
            stats["exercises"] += 1
            cell.outputs, cell.execution_count = [], None  # the run executed the solution: show none of it
            continue
        match = by_id.get(cell.get("id"))
        if match is None or match.cell_type != "code":
            stats["unmatched"].append(cell.get("id"))
            cell.outputs, cell.execution_count = [], None
            continue
        stats["matched"] += 1
        cell.outputs, cell.execution_count = match.outputs, match.execution_count
        if "### BEGIN HIDDEN TESTS" in match.source:
            cell.outputs = visible_outputs(cell.source, match.outputs)
    for cell in released.cells:
        if cell.cell_type == "markdown":
            cell.source = _local_badges(cell.source)
    relative = f"{name}/{name}.ipynb"
    header = nbformat.v4.new_markdown_cell(run_header(name, metrics, location, relative))
    header["id"] = "site-run-header"
    released.cells.insert(1 if released.cells and released.cells[0].cell_type == "markdown" else 0, header)
    released.metadata.pop("papermill", None)
    return released, stats


def visible_outputs(visible_source: str, outputs: list) -> list:
    """What the visible part of a check cell printed, without what its hidden tests printed.

    The run executed the whole check cell, hidden tests included, and its printed lines run
    together. Each visible check prints one line (``gankit.checks.passed``), so the page keeps
    the first line of printed text for each call the learner's cell makes, and no other output:
    a hidden test's values never reach the site.
    """
    import ast

    import nbformat

    try:
        calls = sum(isinstance(node, ast.Expr) and isinstance(node.value, ast.Call)
                    for node in ast.parse(visible_source).body)
    except SyntaxError:
        calls = 0
    text = "".join(o.get("text", "") for o in outputs if o.get("output_type") == "stream" and o.get("name") == "stdout")
    kept = text.splitlines(keepends=True)[:calls]
    return [nbformat.v4.new_output("stream", name="stdout", text="".join(kept))] if kept else []


def _local_badges(text: str) -> str:
    """The Colab badge from the site itself, so that every page's images load offline too."""
    return text.replace("https://colab.research.google.com/assets/colab-badge.svg", "../_static/colab-badge.svg")


def run_header(name: str, metrics: dict | None, location: dict, relative: str) -> str:
    """The box at the top of a notebook page: links, then the run that produced the outputs."""
    from gankit.run import hardware_label

    links = (f"[![Open In Colab](../_static/colab-badge.svg)]({colab_url(location, relative)}) "
             f"[![Launch Binder](../_static/binder-badge.svg)]({binder_url(location, relative)})")
    if metrics is None:
        about = ("No run of this notebook was found, so the page shows no outputs. "
                 "Build the site with `bin/site` to run it first.")
    else:
        info = metrics.get("machine", {})
        profile = metrics.get("profile")
        why = {"smoke": " (seconds of training, as in CI: the models are barely trained, so the pictures "
                        "show the plumbing, not the results; the [gallery](../gallery.md) shows `standard` runs)",
               "standard": " (minutes on a laptop CPU, the notebook's default)",
               "full": " (the paper-scale run, for a GPU)"}.get(profile, "")
        status = {"passed": "passed its bars", "missed bars": "missed some of its bars",
                  "error": "stopped with an error"}.get(metrics.get("status"), metrics.get("status"))
        about = (f"The outputs on this page come from one run of the course's runner, "
                 f"profile **{profile}**{why}.\n\n"
                 f"- Command: `{metrics.get('command')}`\n"
                 f"- Profile: `{profile}`, backend `{metrics.get('backend')}`\n"
                 f"- Hardware: {hardware_label(info)}\n"
                 f"- Commit: `{info.get('commit') or 'unknown'}`, finished {metrics.get('finished', 'unknown')}, "
                 f"wall time {metrics.get('wall_seconds', 0):.0f} s; the run {status}")
    return (f"{links}\n\n:::{{admonition}} The run behind this page\n:class: note\n{about}\n\n"
            f"Exercise cells are shown as you get them, without outputs; the checks below them show "
            f"what the reference answers printed.\n:::")


# -- markdown pages ------------------------------------------------------------------------------

def _rewrite_links(text: str, origin: pathlib.Path, pages: dict, location: dict) -> str:
    """Links of a markdown file at ``origin`` (a repository path) for its place in the site.

    ``pages`` maps repository paths to site paths; a link to another repository file becomes
    its GitHub address at the release tag; web links and anchors stay.
    """
    def fix(match):
        target = match.group(2)
        if re.match(r"^[a-z]+:", target) or target.startswith(("#", "_static/", "../_static/")):
            return match.group(0)
        path, _, anchor = target.partition("#")
        resolved = os.path.normpath(os.path.join(origin.parent.as_posix(), path))
        if resolved in pages:
            new = pages[resolved] + (f"#{anchor}" if anchor else "")
        elif match.group(1).startswith("!") and resolved.startswith("docs/"):
            new = resolved[len("docs/"):]
        else:
            new = f"{location['repository']}/blob/{location['tag']}/{resolved}" + (f"#{anchor}" if anchor else "")
        return f"{match.group(1)}{new}{match.group(3)}"

    return LINK.sub(fix, text)


def _readme_section(readme: str, heading: str) -> str:
    """A '## heading' section of the README, without its heading line."""
    found = re.search(rf"^## {re.escape(heading)}\n(.*?)(?=^## |\Z)", readme, re.S | re.M)
    return found.group(1).strip() if found else ""


def write_pages(src: pathlib.Path, location: dict, names: list[str]) -> None:
    """The markdown pages: overview (the README's), instructor guide, notes, docs, licences."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    pages = {f"course/{n}/{n}.ipynb": f"notebooks/{n}.ipynb" for n in names}
    pages.update({f"docs/{p.name}": p.name for p in DOCS.glob("*.md")})
    pages.update({"README.md": "index.md", "LICENSE": "licence.md", "LICENSE-text.md": "licence.md",
                  "CHANGELOG.md": "changelog.md", "CITATION.cff": "licence.md"})
    here = pathlib.Path("README.md")
    intro = readme.split("\n## ", 1)[0]
    intro = re.sub(r"^#[^\n]*\n", "", intro, count=1).strip()
    intro = re.sub(r"<!-- site:skip -->.*?<!-- /site:skip -->\s*", "", intro, flags=re.S)
    overview = "\n\n".join([intro, "## Notebooks", _readme_section(readme, "Notebooks")])
    notes = sorted(p.stem for p in DOCS.glob("notes_*.md"))
    template = (HERE / "pages" / "index.md").read_text(encoding="utf-8")
    index = template.format(
        overview=_rewrite_links(_local_badges(overview).replace("../_static/", "_static/"), here, pages, location),
        notebooks="\n".join(f"notebooks/{n}" for n in names),
        guides="\n".join(instructor_pages()),
        notes="\n".join(notes))
    (src / "index.md").write_text(index, encoding="utf-8")
    instructors = "# Instructor guide\n\n" + _readme_section(readme, "For instructors")
    instructors = instructors.replace("\n### ", "\n## ")
    (src / "instructors.md").write_text(_rewrite_links(instructors, here, pages, location), encoding="utf-8")
    for page in sorted(DOCS.glob("*.md")):
        text = page.read_text(encoding="utf-8")
        (src / page.name).write_text(_rewrite_links(text, page.relative_to(ROOT), pages, location), encoding="utf-8")
    if (DOCS / "gallery").is_dir():
        shutil.copytree(DOCS / "gallery", src / "gallery")
    for page in (HERE / "pages").glob("*.md"):
        if page.name != "index.md":
            text = page.read_text(encoding="utf-8")
            text = text.replace("{changelog}", _demote((ROOT / "CHANGELOG.md").read_text(encoding="utf-8")))
            text = text.replace("{citation}", (ROOT / "CITATION.cff").read_text(encoding="utf-8"))
            (src / page.name).write_text(_rewrite_links(text, pathlib.Path("site") / page.name, pages, location),
                                         encoding="utf-8")


def instructor_pages() -> list:
    """The menu's instructor guides: docs/'s pages other than the gallery and the per-notebook notes."""
    pages = {p.name for p in DOCS.glob("*.md")} - {"gallery.md"}
    pages = {p for p in pages if not p.startswith("notes_")}
    ordered = [p for p in DOC_PAGES if p in pages] + sorted(pages - set(DOC_PAGES))
    return [pathlib.Path(p).stem for p in ordered]


def _demote(text: str) -> str:
    """CHANGELOG.md under the page's own title: drop its first heading."""
    return re.sub(r"^# [^\n]*\n", "", text, count=1).strip()


# -- building ------------------------------------------------------------------------------------

def assemble(runs: pathlib.Path, src: pathlib.Path, names: list[str] | None = None) -> dict:
    """Write the Sphinx source folder ``src`` from ``course/``, ``docs/`` and the runs; return stats."""
    import nbformat

    location = course_location()
    names = names or notebook_names()
    if src.exists():
        shutil.rmtree(src)
    (src / "notebooks").mkdir(parents=True)
    shutil.copy(HERE / "conf.py", src / "conf.py")
    shutil.copytree(HERE / "_static", src / "_static")
    stats = {}
    for name in names:
        notebook, stats[name] = page_notebook(name, runs, location)
        nbformat.write(notebook, src / "notebooks" / f"{name}.ipynb")
    write_pages(src, location, names)
    (src / "site.json").write_text(json.dumps({"location": location, "notebooks": names}, indent=2),
                                   encoding="utf-8")
    return stats


def sphinx(src: pathlib.Path, html: pathlib.Path) -> None:
    """sphinx-build the source folder into ``html``; a warning (a broken reference) fails the build."""
    if html.exists():
        shutil.rmtree(html)
    command = [sys.executable, "-m", "sphinx", "-b", "html", "-q", "-W", "--keep-going", "-j", "1",
               "-d", str(src.parent / "doctrees"), str(src), str(html)]
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"sphinx-build failed ({' '.join(command)}):\n{result.stdout[-4000:]}\n"
                           f"{result.stderr[-4000:]}\nFix: the messages above name the page and the line.")


def build(runs, out, names: list[str] | None = None) -> dict:
    """Assemble and build the site: ``out/src`` and ``out/html``; returns per-notebook stats and timing."""
    runs, out = pathlib.Path(runs), pathlib.Path(out)
    start = time.perf_counter()
    stats = assemble(runs, out / "src", names)
    sphinx(out / "src", out / "html")
    pages = sorted(str(p.relative_to(out / "html")) for p in (out / "html").rglob("*.html")
                   if p.name not in ("search.html", "genindex.html") and "_static" not in p.parts)
    return {"notebooks": stats, "pages": pages, "seconds": round(time.perf_counter() - start, 1)}


def missing_runs(runs: pathlib.Path, names: list[str]) -> list[str]:
    return [n for n in names if not (runs / n / "metrics.json").is_file()]


# -- checks on a built site ----------------------------------------------------------------------

COLAB = re.compile(r"https://colab\.research\.google\.com/github/([^/\"'\s<>]+/[^/\"'\s<>]+)/blob/([^/\"'\s<>]+)/")
BINDER = re.compile(r"https://mybinder\.org/v2/gh/([^/\"'\s<>]+/[^/\"'\s<>]+)/([^?/\"'\s<>]+)")
INSTALL = re.compile(r"gankit @ git\+(https://github\.com/[^@\"'\s<>]+)@([^\"'\s<>&]+)")


def site_disagreements(html: pathlib.Path, location: dict, readme: pathlib.Path | None = None) -> list[str]:
    """Every Colab, Binder or setup-cell install reference in the site (and README's badges) off the tag.

    Each notebook page must carry a Colab link, a Binder link and the setup cell's install
    source, all at ``location``'s repository and tag.
    """
    import html as html_lib

    wrong = []
    files = sorted(pathlib.Path(html).rglob("*.html"))
    if readme is not None:
        files.append(pathlib.Path(readme))
    for path in files:
        text = html_lib.unescape(path.read_text(encoding="utf-8"))
        found = {"colab": COLAB.findall(text), "binder": BINDER.findall(text), "install": INSTALL.findall(text)}
        expect = {"colab": (location["github"], location["tag"]), "binder": (location["github"], location["tag"]),
                  "install": (location["repository"], location["tag"])}
        for kind, hits in found.items():
            for hit in hits:
                if hit != expect[kind]:
                    wrong.append(f"{path.name}: a {kind} reference to {hit[0]} at {hit[1]}, not "
                                 f"{expect[kind][0]} at {expect[kind][1]}")
        if path.parent.name == "notebooks":
            for kind, hits in found.items():
                if not hits:
                    wrong.append(f"{path.name}: no {kind} reference at all")
    return wrong


# -- screenshot ---------------------------------------------------------------------------------

SCREENSHOT = DOCS / "site-03_cyclegan.png"


def chromium() -> str | None:
    """Debian's chromium (bin/test installs it as root), or another Chromium on PATH."""
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if shutil.which(name):
            return shutil.which(name)
    return None


def screenshot(page: pathlib.Path, target: pathlib.Path = SCREENSHOT, width: int = 1280, height: int = 1600) -> None:
    """Save the top of a built page as a PNG with headless Chromium."""
    import tempfile

    browser = chromium()
    if browser is None:
        raise RuntimeError("no Chromium found for the screenshot. Fix: apt-get install chromium (Debian/Ubuntu).")
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="site-shot-") as profile:
        subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                        "--disable-background-networking", "--disable-component-update", "--disable-sync",
                        f"--user-data-dir={profile}", "--hide-scrollbars", f"--window-size={width},{height}",
                        f"--screenshot={target}", page.resolve().as_uri()],
                       capture_output=True, timeout=180, check=False)
    if not target.is_file():
        raise RuntimeError(f"Chromium wrote no screenshot of {page}. Fix: run it by hand to see why.")
    from PIL import Image

    with Image.open(target) as shot:  # 256 colours: a third of the bytes, the same page to the eye
        shot = shot.convert("RGB").quantize(256)
    shot.save(target, optimize=True)


# -- command line --------------------------------------------------------------------------------

def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="bin/site", description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", default=None,
                        help="the runner's result folder (default build/notebook-runs/smoke-tensorflow)")
    parser.add_argument("--out", default=str(ROOT / "build" / "site"), help="where to build (default build/site)")
    parser.add_argument("--no-run", action="store_true", help="do not run missing notebooks; fail instead")
    parser.add_argument("--screenshot", action="store_true",
                        help=f"also save notebook 03's page as {SCREENSHOT.relative_to(ROOT)} (headless Chromium)")
    args = parser.parse_args(argv)
    runs = pathlib.Path(args.runs or ROOT / "build" / "notebook-runs" / "smoke-tensorflow")
    names = notebook_names()
    missing = missing_runs(runs, names)
    if missing and args.no_run:
        print(f"error: {runs} holds no run of {', '.join(missing)}. Fix: run `python -m gankit.run "
              f"{' '.join(missing)} --profile smoke --out {shlex.quote(str(runs))}`, or drop --no-run.", file=sys.stderr)
        return 2
    if missing:
        print(f"running {', '.join(missing)} with the smoke profile into {runs} (the pages show their outputs) ...",
              flush=True)
        from gankit import run

        status = run.main([*missing, "--profile", "smoke", "--out", str(runs)])
        if status == 2:
            return 2
    try:
        result = build(runs, args.out, names)
    except RuntimeError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    for name, stats in result["notebooks"].items():
        if stats["unmatched"]:
            print(f"warning: {name}: no run output for cells {', '.join(map(str, stats['unmatched']))}",
                  file=sys.stderr)
    print(f"built {len(result['pages'])} pages in {result['seconds']} s: "
          f"{pathlib.Path(args.out) / 'html' / 'index.html'}")
    if args.screenshot:
        try:
            screenshot(pathlib.Path(args.out) / "html" / "notebooks" / "03_cyclegan.html")
        except RuntimeError as error:
            print(f"error: {error}", file=sys.stderr)
            return 1
        print(f"saved {SCREENSHOT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
