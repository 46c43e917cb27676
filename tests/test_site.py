"""The course website (bin/site), the files an adopter looks for, and Binder.

The website is built once per session from the smoke runs that tests/test_notebooks.py made (the
``smoke_runs`` fixture; a notebook with no run yet is run first), after a marker has been planted
in the solution regions and hidden tests of a copy of those runs: no page may carry it. Headless
Chromium then opens every page of it (test_every_page_renders_in_chromium_...), as
tests/test_browser.py drives JupyterLab.
"""

from __future__ import annotations

import html as html_lib
import importlib.util
import json
import pathlib
import re
import shutil
import subprocess
import sys

import nbformat
import pytest

from notebook_tools import COURSE, ROOT, SOLUTIONS, nbgrader_meta, notebooks

MARKER = "PLANTED_SOLUTION_MARKER_5e1f"


def _module():
    spec = importlib.util.spec_from_file_location("build_site", ROOT / "site" / "build_site.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


build_site = _module()


def _toml(path):
    try:
        import tomllib
    except ModuleNotFoundError:
        import tomli as tomllib
    return tomllib.loads(path.read_text(encoding="utf-8"))


def page_text(path: pathlib.Path) -> str:
    """What a reader sees of an HTML page: the text without tags, entities decoded."""
    raw = path.read_text(encoding="utf-8")
    raw = re.sub(r"<(script|style)\b.*?</\1>", " ", raw, flags=re.S)
    return html_lib.unescape(re.sub(r"<[^>]+>", "", raw))


def plant_markers(runs: pathlib.Path, name: str) -> int:
    """Put MARKER into every solution region, hidden-test region and solution output of a run's notebook."""
    path = runs / name / f"{name}.ipynb"
    notebook = nbformat.read(path, as_version=4)
    planted = 0
    for cell in notebook.cells:
        meta = nbgrader_meta(cell)
        if meta.get("solution"):
            cell.source = cell.source.replace("### BEGIN SOLUTION", f"### BEGIN SOLUTION\n# {MARKER}")
            if MARKER not in cell.source:
                cell.source += f"\n{MARKER}"
            if cell.cell_type == "code":
                cell.outputs.append(nbformat.v4.new_output("stream", name="stdout", text=f"{MARKER}\n"))
            planted += 1
        elif meta.get("grade") and "### BEGIN HIDDEN TESTS" in cell.source:
            cell.source = cell.source.replace("### BEGIN HIDDEN TESTS", f"### BEGIN HIDDEN TESTS\n# {MARKER}")
            cell.outputs.append(nbformat.v4.new_output("stream", name="stdout", text=f"hidden: {MARKER}\n"))
            planted += 1
    nbformat.write(notebook, path)
    return planted


# -- the built site (slow: it needs every notebook's smoke run) ---------------------------------

@pytest.fixture(scope="session")
def site(smoke_runs, tmp_path_factory):
    """The website built from the session's smoke runs, with markers planted in notebook 03's solutions."""
    from gankit import run

    names = build_site.notebook_names()
    missing = build_site.missing_runs(smoke_runs, names)
    if missing:  # this file runs without tests/test_notebooks.py before it
        run.main([*missing, "--profile", "smoke", "--backend", "tensorflow", "--out", str(smoke_runs)])
    runs = tmp_path_factory.mktemp("site-runs")
    for name in names:
        shutil.copytree(smoke_runs / name, runs / name)
    planted = plant_markers(runs, "03_cyclegan")
    out = tmp_path_factory.mktemp("site")
    result = build_site.build(runs, out, names)
    print(f"site: {len(result['pages'])} pages built in {result['seconds']} s")
    return {"html": out / "html", "src": out / "src", "runs": runs, "names": names, "result": result,
            "planted": planted, "location": build_site.course_location()}


@pytest.mark.slow
def test_no_solution_or_hidden_test_reaches_the_site(site):
    assert site["planted"] >= 10, "the marker was planted in too few places to test anything"
    assert MARKER in (site["runs"] / "03_cyclegan" / "03_cyclegan.ipynb").read_text()
    leaked = [str(p.relative_to(site["html"].parent)) for p in site["html"].parent.rglob("*")
              if p.is_file() and MARKER.encode() in p.read_bytes()]
    assert not leaked, f"the planted solution marker reached {leaked}"
    # and no line of any real solution: each distinctive solution line of solutions/ that the
    # learner's notebook does not contain must be absent from every page's visible text
    texts = {p.name: page_text(p) for p in (site["html"] / "notebooks").glob("*.html")}
    checked = 0
    for name in site["names"]:
        learner = (COURSE / name / f"{name}.ipynb").read_text(encoding="utf-8")
        source = nbformat.read(SOLUTIONS / name / f"{name}.ipynb", as_version=4)
        for cell in source.cells:
            if not nbgrader_meta(cell).get("solution") or "### BEGIN SOLUTION" not in cell.source:
                continue
            region = cell.source.split("### BEGIN SOLUTION", 1)[1].split("### END SOLUTION", 1)[0]
            for line in region.splitlines():
                line = line.strip()
                if len(line) < 25 or line.startswith("#") or json.dumps(line)[1:-1] in learner:
                    continue
                checked += 1
                assert line not in texts[f"{name}.html"], f"{name}'s page shows the solution line {line!r}"
    assert checked >= 20, f"only {checked} solution lines were distinctive enough to check"


@pytest.mark.slow
def test_every_notebook_has_a_page_in_course_order_with_its_run(site):
    names = site["names"]
    assert names == [n for n in notebooks() if (COURSE / n).is_dir()]
    index = (site["html"] / "index.html").read_text(encoding="utf-8")
    positions = [index.find(f'notebooks/{n}.html') for n in names]
    assert -1 not in positions and positions == sorted(positions), "the index lists the notebooks out of order"
    for name in names:
        stats = site["result"]["notebooks"][name]
        assert not stats["unmatched"], f"{name}: cells without the run's outputs: {stats['unmatched']}"
        text = page_text(site["html"] / "notebooks" / f"{name}.html")
        metrics = json.loads((site["runs"] / name / "metrics.json").read_text())
        for shown in (metrics["command"], "Profile: smoke", metrics["machine"]["commit"]):
            assert shown and shown in text, f"{name}'s page does not show {shown!r}"
        if stats["exercises"]:
            assert "raise NotImplementedError()" in text, f"{name}'s exercise cells are not the learner's"
    # the runs' figures are on the pages: notebook 03 draws its translations
    images = list((site["html"] / "notebooks").glob("*.html"))
    assert "<img" in (site["html"] / "notebooks" / "03_cyclegan.html").read_text() and images
    for page in ("gallery", "instructors", "data", "licence", "changelog", "notes_03", "search"):
        assert (site["html"] / f"{page}.html").is_file(), f"the site has no {page} page"
    assert (site["html"] / "searchindex.js").is_file()


@pytest.mark.slow
def test_site_badges_and_setup_cells_agree_on_repository_and_tag(site, tmp_path):
    location = site["location"]
    assert build_site.site_disagreements(site["html"], location, ROOT / "README.md") == []
    # a page whose Colab link points at another tag is found
    copy = tmp_path / "html"
    shutil.copytree(site["html"], copy)
    page = copy / "notebooks" / "02_dcgan.html"
    page.write_text(page.read_text().replace(f"/blob/{location['tag']}/", "/blob/v9.9.9/"))
    wrong = build_site.site_disagreements(copy, location)
    assert wrong and all("02_dcgan.html" in w and "v9.9.9" in w for w in wrong)


PAGE_STATE = """(async () => {
  await new Promise(r => document.readyState === 'complete' ? r() : addEventListener('load', r));
  const images = [...document.images];
  images.forEach(i => { i.loading = 'eager'; });
  await Promise.all(images.map(i => i.complete ? null : new Promise(r => { i.onload = i.onerror = r; })));
  const main = document.querySelector('article') || document.querySelector('main') || document.body;
  return JSON.stringify({url: location.href, title: document.title, heading: !!main.querySelector('h1'),
    text: main.innerText.length, images: images.map(i => [i.currentSrc || i.src, i.naturalWidth]),
    links: [...document.querySelectorAll('a[href]')].map(a => a.href)});
})()"""


@pytest.mark.slow
def test_every_page_renders_in_chromium_with_its_images_links_and_search(site, tmp_path):
    import urllib.parse
    import urllib.request

    from test_browser import DevTools, _chromium, _free_port, _start, _stop, _wait

    browser = _chromium()
    if browser is None:
        pytest.skip("no Chromium found (Debian: apt-get install chromium; bin/test installs it when run as root)")
    html, location = site["html"], site["location"]
    port = _free_port()
    server = _start([sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1", "--directory",
                     str(html)], tmp_path / "server.log")
    chrome = None
    try:
        base = f"http://127.0.0.1:{port}/"
        _wait("the web server", lambda: urllib.request.urlopen(base).status == 200, 60)
        profile = tmp_path / "chromium-profile"
        chrome = _start([browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                         "--disable-background-networking", "--disable-component-update", "--disable-sync",
                         "--no-first-run", "--disable-dev-shm-usage", f"--user-data-dir={profile}",
                         "--remote-debugging-port=0", "--window-size=1280,1600", "about:blank"],
                        tmp_path / "chromium.log")
        active = profile / "DevToolsActivePort"
        devtools = _wait("Chromium's DevTools port", lambda: active.is_file() and active.read_text().split()[0], 60)
        pages = json.load(urllib.request.urlopen(f"http://127.0.0.1:{devtools}/json/list"))
        page = DevTools(next(p for p in pages if p["type"] == "page")["webSocketDebuggerUrl"])
        try:
            page.call("Page.enable")
            links, seen = set(), {}
            for relative in site["result"]["pages"]:
                url = base + relative
                page.call("Page.navigate", url=url)
                state = _wait(f"{relative} to load", lambda: (lambda s: s if s["url"] == url else None)(
                    json.loads(page.js(PAGE_STATE))), 60)
                seen[relative] = state
                assert state["title"] and state["heading"] and state["text"] > 200, f"{relative} is empty: {state}"
                broken = [src for src, width in state["images"] if not width]
                assert not broken, f"{relative}: images that did not load: {broken}"
                assert all(src.startswith(base) for src, _ in state["images"]), f"{relative} loads images from afar"
                links.update(state["links"])
                if relative.startswith("notebooks/"):
                    name = relative.split("/")[1][:-len(".html")]
                    relative_nb = f"{name}/{name}.ipynb"
                    colab = {l for l in state["links"] if "colab.research.google.com" in l}
                    binder = {l for l in state["links"] if "mybinder.org" in l}
                    assert colab == {build_site.colab_url(location, relative_nb)}, f"{relative}: Colab links {colab}"
                    assert binder == {build_site.binder_url(location, relative_nb)}, f"{relative}: Binder {binder}"
            images = sum(len(s["images"]) for s in seen.values())
            assert images >= 30, f"only {images} images on the whole site"
            # no internal link is broken: each target file exists, and so does each #anchor in it
            broken = []
            for link in sorted(l for l in links if l.startswith(base)):
                parts = urllib.parse.urlsplit(link)
                path = html / urllib.parse.unquote(parts.path[1:] or "index.html")
                if path.is_dir():
                    path = path / "index.html"
                if not path.is_file():
                    broken.append(link)
                elif parts.fragment and path.suffix == ".html" and not re.search(
                        rf'id="{re.escape(urllib.parse.unquote(parts.fragment))}"', path.read_text(encoding="utf-8")):
                    broken.append(link)
            assert not broken, f"broken internal links: {broken}"
            # search, offline, finds a term of notebook 03 on notebook 03's page
            page.call("Page.navigate", url=f"{base}search.html?q=CycleGAN")
            found = _wait("search results", lambda: page.js(
                "[...document.querySelectorAll('#search-results a, .search a')].map(a => a.href)") or None, 60)
            assert any("notebooks/03_cyclegan.html" in href for href in found), f"search found {found}"
        finally:
            page.close()
    finally:
        if chrome is not None:
            _stop(chrome)
        _stop(server)


# -- fast checks: the pieces, the files an adopter looks for, Binder ----------------------------

def test_site_disagreements_finds_each_kind_of_wrong_reference(tmp_path):
    location = {"repository": "https://github.com/o/r", "github": "o/r", "tag": "v1"}
    (tmp_path / "notebooks").mkdir()
    good = ('<a href="https://colab.research.google.com/github/o/r/blob/v1/course/x/x.ipynb">c</a>'
            '<a href="https://mybinder.org/v2/gh/o/r/v1?urlpath=lab/tree/my-course/x/x.ipynb">b</a>'
            '<pre>source = os.environ.get("GANKIT_INSTALL", "gankit @ git+https://github.com/o/r@v1")</pre>')
    (tmp_path / "notebooks" / "x.html").write_text(good)
    assert build_site.site_disagreements(tmp_path, location) == []
    for old, new, kind in (("/o/r/blob/v1", "/o/r/blob/v2", "colab"), ("gh/o/r/v1", "gh/other/r/v1", "binder"),
                           ("r@v1", "r@main", "install")):
        (tmp_path / "notebooks" / "x.html").write_text(good.replace(old, new))
        wrong = build_site.site_disagreements(tmp_path, location)
        assert len(wrong) == 1 and kind in wrong[0], wrong
    (tmp_path / "notebooks" / "x.html").write_text("<p>no links</p>")
    assert len(build_site.site_disagreements(tmp_path, location)) == 3


def test_page_notebook_keeps_learner_cells_and_drops_solution_outputs(tmp_path):
    name = "00_cook_and_critic"
    executed = nbformat.read(SOLUTIONS / name / f"{name}.ipynb", as_version=4)
    for cell in executed.cells:
        if cell.cell_type == "code":
            cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=f"out of {cell.get('id')}\n")]
            if nbgrader_meta(cell).get("solution"):
                cell.source += f"\n# {MARKER}"
    (tmp_path / name).mkdir()
    nbformat.write(executed, tmp_path / name / f"{name}.ipynb")
    location = build_site.course_location()
    page, stats = build_site.page_notebook(name, tmp_path, location)
    released = nbformat.read(COURSE / name / f"{name}.ipynb", as_version=4)
    assert stats["exercises"] >= 3 and not stats["unmatched"]
    assert MARKER not in json.dumps(page)
    learner = [c for c in page.cells if c.get("id") != "site-run-header"]
    assert [c.source for c in learner if c.cell_type == "code"] == \
        [c.source for c in released.cells if c.cell_type == "code"]
    for cell in learner:
        if cell.cell_type != "code":
            continue
        if nbgrader_meta(cell).get("solution"):
            assert cell.outputs == []
        else:
            assert cell.outputs[0]["text"] == f"out of {cell.get('id')}\n"

    header = next(c for c in page.cells if c.get("id") == "site-run-header").source
    assert "No run of this notebook was found" in header  # no metrics.json was written
    assert build_site.colab_url(location, f"{name}/{name}.ipynb") in header
    assert build_site.binder_url(location, f"{name}/{name}.ipynb") in header


def test_a_check_cell_shows_what_its_visible_part_printed_and_nothing_the_hidden_tests_did():
    printed = [nbformat.v4.new_output("stream", name="stdout", text="\u2714 visible passed\n\u2714 hidden 0.4142\n"),
               nbformat.v4.new_output("stream", name="stdout", text=f"{MARKER}\n")]
    kept = build_site.visible_outputs("# Checks\nexercises.check_a(a)\n", printed)
    assert [o["text"] for o in kept] == ["\u2714 visible passed\n"]
    assert build_site.visible_outputs("x = 1\n", printed) == []
    two = build_site.visible_outputs("check(a)\ncheck(b)\n", printed)
    assert two[0]["text"] == "\u2714 visible passed\n\u2714 hidden 0.4142\n"


def _licences_named(text: str) -> set[str]:
    return {name for name in ("MIT", "CC BY 4.0", "CC BY-SA", "Apache", "GPL", "BSD") if name in text}


def test_readme_site_and_pyproject_name_the_same_licences():
    project = _toml(ROOT / "pyproject.toml")["project"]
    code = project["license"]["text"] if isinstance(project["license"], dict) else project["license"]
    assert code == build_site.LICENCES["code"] == "MIT"
    assert (ROOT / "LICENSE").read_text().startswith(f"{code} License")
    text_licence = build_site.LICENCES["text"]
    assert f"({text_licence})" in (ROOT / "LICENSE-text.md").read_text().split("\n", 1)[0] + \
        (ROOT / "LICENSE-text.md").read_text()
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Licence", 1)[1].split("\n## ", 1)[0]
    assert "(LICENSE)" in section and "(LICENSE-text.md)" in section
    # the course's own licences, named the same way in the README, on the site and in pyproject
    own = section.split("Data", 1)[0]
    site_page = (ROOT / "site" / "pages" / "licence.md").read_text().split("**Datasets**", 1)[0]
    conf = (ROOT / "site" / "conf.py").read_text()
    assert _licences_named(own) == _licences_named(site_page) == {code, text_licence}
    assert f"Code: {code}" in conf and f"Text and figures: {text_licence}" in conf
    cff = (ROOT / "CITATION.cff").read_text()
    assert re.search(rf"^license: {code}$", cff, re.M)


def test_citation_changelog_and_data_page_are_there_and_agree():
    import yaml

    cff = yaml.safe_load((ROOT / "CITATION.cff").read_text())
    project = _toml(ROOT / "pyproject.toml")
    location = build_site.course_location()
    assert cff["cff-version"] == "1.2.0" and cff["title"] and cff["authors"]
    assert cff["version"] == project["project"]["version"] and location["tag"] == f"v{cff['version']}"
    assert cff["repository-code"] == location["repository"]
    changelog = (ROOT / "CHANGELOG.md").read_text()
    assert re.search(rf"^## {re.escape(cff['version'])}$", changelog, re.M), "CHANGELOG.md has no section for it"
    data = (ROOT / "docs" / "data.md").read_text()
    terms = data.split("## Terms", 1)[1].split("\n## ", 1)[0].lower()
    from gankit.data import REGISTRY

    for name in ("mnist", *[n for n in REGISTRY if n != "mnist"]):
        block = terms.split(f"**{name}**", 1)
        assert len(block) == 2, f"docs/data.md's terms section says nothing about {name}"
        body = block[1].split("\n**", 1)[0]
        assert "source" in body and "terms" in body and "@" in body, f"{name}: source, terms or citation missing"


def test_readme_shows_the_screenshot_of_notebook_03s_page():
    from PIL import Image

    readme = (ROOT / "README.md").read_text()
    relative = build_site.SCREENSHOT.relative_to(ROOT).as_posix()
    assert f"]({relative})" in readme
    with Image.open(build_site.SCREENSHOT) as image:
        assert image.format == "PNG" and image.width >= 1000 and image.height >= 600


def _pins(path: pathlib.Path) -> dict[str, str]:
    found = re.findall(r"^([A-Za-z0-9_.-]+)==([^\s;]+)", path.read_text(), re.M)
    return {name.lower().replace("_", "-").replace(".", "-"): version for name, version in found}


def test_binder_installs_the_locked_versions_of_the_learners_packages():
    runtime = (ROOT / "binder" / "runtime.txt").read_text().strip()
    assert re.fullmatch(r"python-3\.\d+", runtime)
    lock = ROOT / "requirements" / f"lock-py{runtime.split('-')[1].replace('.', '')}.txt"
    assert lock.is_file(), f"binder/runtime.txt asks for {runtime}, which has no lock file"
    pins, locked = _pins(ROOT / "binder" / "requirements.txt"), _pins(lock)
    differ = {n: (v, locked.get(n)) for n, v in pins.items() if locked.get(n) != v}
    assert not differ, f"binder/requirements.txt disagrees with {lock.name}: {differ}. Fix: run bin/lock"
    for needed in ("keras", "tensorflow-cpu", "numpy", "matplotlib", "pillow", "jupyterlab", "ipykernel"):
        assert needed in pins, f"binder/requirements.txt does not install {needed}"
    assert "nbgrader" not in pins and "pytest" not in pins, "Binder is the learner's Lab, not the instructor's"
    post = (ROOT / "binder" / "postBuild").read_text()
    assert "pip install --no-deps -e ." in post and "bin/_workspace.py course my-course" in post


@pytest.mark.slow
def test_binder_configuration_resolves_and_its_lab_starts_in_a_fresh_venv(tmp_path):
    """Honest but cheap: pip resolves the whole file for a fresh Python (no 2.5 GB download), and
    the Lab half of it (JupyterLab, ipykernel, gankit without TensorFlow) really installs and serves
    the learner's copy that postBuild makes."""
    import urllib.request

    from test_browser import _free_port, _start, _stop, _wait

    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    py = venv / "bin" / "python"
    pip = [str(py), "-m", "pip", "--disable-pip-version-check", "--quiet"]
    report = tmp_path / "report.json"
    requirements = ROOT / "binder" / "requirements.txt"
    subprocess.run(pip + ["install", "--dry-run", "--ignore-installed", "--report", str(report),
                          "-r", str(requirements)], check=True, timeout=600)
    resolved = {item["metadata"]["name"].lower().replace("_", "-").replace(".", "-"): item["metadata"]["version"]
                for item in json.loads(report.read_text())["install"]}
    pins = _pins(requirements)
    if sys.version_info[:2] == (3, 11):  # runtime.txt's Python: the resolution is exactly the pins
        assert resolved == pins
    else:
        assert {n: resolved.get(n) for n in pins if n in resolved} == {n: pins[n] for n in pins if n in resolved}
    lab_pins = [f"{n}=={v}" for n, v in pins.items() if n in ("jupyterlab", "ipykernel")]
    subprocess.run(pip + ["install", "-c", str(requirements), *lab_pins], check=True, timeout=600)
    checkout = tmp_path / "repo"
    for part in ("course", "bin", "gankit", "pyproject.toml", "README.md", "binder"):
        (shutil.copytree if (ROOT / part).is_dir() else shutil.copy)(ROOT / part, checkout / part)
    subprocess.run(["bash", "binder/postBuild"], cwd=checkout, check=True, timeout=600,
                   env={"PATH": f"{venv / 'bin'}:/usr/bin:/bin", "HOME": str(tmp_path / "home")})
    assert (checkout / "my-course" / "03_cyclegan" / "03_cyclegan.ipynb").is_file()
    port, token = _free_port(), "binder-test"
    command = ["bash", "binder/start", str(venv / "bin" / "jupyter"), "lab", "--no-browser", f"--port={port}",
               "--ip=127.0.0.1", f"--IdentityProvider.token={token}", f"--notebook-dir={checkout}"]
    import os

    if os.geteuid() == 0:
        command.append("--allow-root")
    home = tmp_path / "home"
    lab = _start(command, tmp_path / "lab.log", env={"PATH": f"{venv / 'bin'}:/usr/bin:/bin", "HOME": str(home),
                                                     "JUPYTER_CONFIG_DIR": str(home / "config"),
                                                     "JUPYTER_RUNTIME_DIR": str(home / "runtime")})
    try:
        base = f"http://127.0.0.1:{port}"
        listed = _wait("Binder's Lab to list the learner's copy", lambda: json.load(urllib.request.urlopen(
            f"{base}/api/contents/my-course/03_cyclegan?token={token}")), 120)
        assert "03_cyclegan.ipynb" in {item["name"] for item in listed["content"]}
        page = urllib.request.urlopen(f"{base}/lab/tree/my-course/03_cyclegan/03_cyclegan.ipynb?token={token}")
        assert page.status == 200 and b"JupyterLab" in page.read()
        kernels = json.load(urllib.request.urlopen(f"{base}/api/kernelspecs?token={token}"))
        assert "python3" in kernels["kernelspecs"]
    finally:
        _stop(lab)


def test_bin_site_without_runs_and_no_run_says_what_to_run(tmp_path, capsys):
    runs = tmp_path / "no runs here"
    status = build_site.main(["--runs", str(runs), "--no-run", "--out", str(tmp_path / "out")])
    message = capsys.readouterr().err
    assert status == 2 and not (tmp_path / "out").exists()
    assert "holds no run of 00_cook_and_critic" in message and "Fix: run `python -m gankit.run" in message
    assert f"'{runs}'" in message  # a path with a space, quoted for the shell
    script = (ROOT / "bin" / "site").read_text()
    assert "site/build_site.py" in script and (ROOT / "bin" / "site").stat().st_mode & 0o111
