"""Repository hygiene: packaging in step, notebooks clean, course/ fresh, README commands real."""

import re
import subprocess
import sys

import nbformat
import pytest

import gankit
from autograder.release import _toml, colab_url, course_location, setup_cell_source, sync_sources
from notebook_tools import COURSE, ROOT, SOLUTIONS, assignments, notebooks, nbgrader_meta, notebook_path

NOTEBOOKS = [notebook_path(a) for a in notebooks()]
GRADED = [notebook_path(a) for a in assignments()]  # the appendices have no exercises
PYPROJECT = _toml(ROOT / "pyproject.toml")  # tomllib, or tomli on Python 3.10


def _name(requirement: str) -> str:
    return re.split(r"[<>=!;\[ ]", requirement.strip(), maxsplit=1)[0].lower().replace("_", "-")


def _lower_bound(requirement: str) -> str | None:
    match = re.search(r">=\s*([0-9][0-9.]*)", requirement)
    return match.group(1) if match else None


def test_environment_yml_matches_pyproject():
    project = PYPROJECT["project"]
    wanted = list(project["dependencies"])
    for extra in project["optional-dependencies"].values():
        wanted += extra
    # conda has one tensorflow package; pip splits it into tensorflow / tensorflow-cpu
    pip_side = {}
    for requirement in wanted:
        if "python_version" in requirement:  # backports for older Pythons; environment.yml pins one Python
            continue
        name = {"tensorflow-cpu": "tensorflow"}.get(_name(requirement), _name(requirement))
        pip_side[name] = _lower_bound(requirement)
    conda_side = {}
    text = (ROOT / "environment.yml").read_text()
    block = text.split("dependencies:", 1)[1].split("  - pip:", 1)[0]
    for line in block.splitlines():
        line = line.strip()
        if line.startswith("- ") and not line.startswith("- python") and line != "- pip":
            conda_side[_name(line[2:])] = _lower_bound(line[2:])
    assert conda_side == pip_side
    assert "- -e ." in text, "environment.yml must install the gankit package itself"


def test_readme_has_two_setup_commands_and_ci_uses_the_test_one():
    readme = (ROOT / "README.md").read_text()
    setup = readme.split("## Set up", 1)[1].split("\n## ", 1)[0]
    commands = [line.strip() for block in re.findall(r"```(?:bash|sh)?\n(.*?)```", setup, re.S)
                for line in block.splitlines() if line.strip() and not line.strip().startswith("#")]
    assert len(commands) == 2, f"the README's set-up section should show exactly two commands: {commands}"
    lab, test = commands
    assert "bin/lab" in lab and "bin/test" in test
    ci = (ROOT / ".ci" / "run").read_text()
    assert test in ci, ".ci/run must call the README's test command"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.parent.name)
def test_source_notebook_is_clean(path):
    notebook = nbformat.read(path, as_version=4)
    nbformat.validate(notebook)
    code = [c for c in notebook.cells if c.cell_type == "code"]
    assert all(not c.outputs and c.execution_count is None for c in code), f"{path} has stored outputs"
    assert any("parameters" in c.metadata.get("tags", []) for c in code), f"{path} has no 'parameters' cell"
    metadata = notebook.metadata
    assert metadata.kernelspec.get("display_name") and metadata.language_info.get("pygments_lexer"), (
        f"{path}: incomplete kernel metadata; run `python -m autograder.release`")
    # text still waiting for a measurement is written as an upper-case marker such as STANDARD_TIME
    markers = sorted({m for cell in notebook.cells if cell.cell_type == "markdown"
                      for m in re.findall(r"\b[A-Z]{2,}_(?:TEXT|TIME|TRAINING)\b", cell.source)})
    assert not markers, f"{path} still has unfilled text markers: {markers}"


COLAB_LINK = re.compile(r"https://colab\.research\.google\.com/github/[^\s)\"'<>]+")
INSTALL_PIN = re.compile(r"git\+https://github\.com/[^\s\"'@]+@[\w.-]+")


def test_course_location_has_one_source_and_every_copy_agrees():
    # pyproject's [tool.gankit] says where the course lives; the release writes it everywhere else
    location = course_location()
    assert location["tag"] == f"v{gankit.__version__}", (
        f"[tool.gankit] tag {location['tag']} is not the package's version v{gankit.__version__}")
    assert location["repository"] == PYPROJECT["project"]["urls"]["Homepage"].rstrip("/")
    setup = setup_cell_source(location)
    for folder in (SOLUTIONS, COURSE):
        for path in NOTEBOOKS:
            copy = folder / path.relative_to(SOLUTIONS)
            relative = path.relative_to(SOLUTIONS).as_posix()
            notebook = nbformat.read(copy, as_version=4)
            assert notebook.cells[1].cell_type == "code" and notebook.cells[1].source == setup, (
                f"{copy}: the setup cell (second cell) is not the one [tool.gankit] gives; "
                "run `python -m autograder.release`")
            links = COLAB_LINK.findall(notebook.cells[0].source)
            assert links and set(links) == {colab_url(location, relative)}, f"{copy}: Colab badge {links}"
    # any other copy, written by hand in a tracked text file, must agree too
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True).stdout.split()
    for name in tracked:
        if not name.endswith((".md", ".ipynb", ".toml", ".yml", ".txt", ".cfg", ".html")) or not (ROOT / name).is_file():
            continue
        text = (ROOT / name).read_text(encoding="utf-8", errors="replace")
        for link in COLAB_LINK.findall(text):
            assert link.startswith(colab_url(location, "")[: -len("course/")]), f"{name}: {link}"
        for pin in INSTALL_PIN.findall(text):
            assert pin == f"git+{location['repository']}@{location['tag']}", f"{name}: {pin}"
    readme = COLAB_LINK.findall((ROOT / "README.md").read_text())
    assert sorted(readme) == sorted(colab_url(location, p.relative_to(SOLUTIONS).as_posix()) for p in NOTEBOOKS)
    assert sync_sources(write=False) == []


def test_a_changed_course_location_reaches_every_notebook(tmp_path):
    # the release step rewrites the setup cell and badges from the setting alone
    import shutil

    shutil.copytree(SOLUTIONS, tmp_path / "solutions")
    shutil.copy(ROOT / "README.md", tmp_path / "README.md")
    text = (ROOT / "pyproject.toml").read_text().replace(
        f'repository = "{course_location()["repository"]}"', 'repository = "https://github.com/some-school/gans"')
    (tmp_path / "pyproject.toml").write_text(text.replace('tag = "v', 'tag = "spring-'))
    changed = sync_sources(tmp_path)
    assert sorted(changed) == sorted(["README.md"] + [f"solutions/{p.relative_to(SOLUTIONS).as_posix()}" for p in NOTEBOOKS])
    for path in (tmp_path / "solutions").glob("*/*.ipynb"):
        text = path.read_text()
        assert "gan-course/gan-course" not in text
        assert "git+https://github.com/some-school/gans@spring-" in text
        assert f"github/some-school/gans/blob/spring-" in text
    assert sync_sources(tmp_path) == []  # a second run has nothing left to do


@pytest.mark.parametrize("path", GRADED, ids=lambda p: p.parent.name)
def test_every_exercise_has_points_and_hidden_tests(path):
    notebook = nbformat.read(path, as_version=4)
    solutions = [c for c in notebook.cells if nbgrader_meta(c).get("solution")]
    tests = [c for c in notebook.cells if nbgrader_meta(c).get("grade")]
    assert solutions and tests
    ids = [nbgrader_meta(c)["grade_id"] for c in solutions + tests]
    assert len(ids) == len(set(ids)), "grade_ids must be unique"
    for cell in solutions:
        assert "### BEGIN SOLUTION" in cell.source, nbgrader_meta(cell)["grade_id"]
    for cell in tests:
        assert nbgrader_meta(cell)["points"] > 0 and nbgrader_meta(cell).get("locked")
        assert "### BEGIN HIDDEN TESTS" in cell.source, f"{nbgrader_meta(cell)['grade_id']} has no hidden tests"


def test_released_notebooks_hide_solutions_and_hidden_tests():
    for path in GRADED:
        twin = COURSE / path.relative_to(SOLUTIONS)
        assert twin.exists(), f"no released copy of {path}; run `python -m autograder.release`"
        text = twin.read_text()
        for marker in ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS"):
            assert marker not in text, f"{twin} contains {marker}"
        assert "raise NotImplementedError()" in text


def test_course_is_what_the_release_command_produces():
    result = subprocess.run([sys.executable, "-m", "autograder.release", "--check"], cwd=ROOT,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_run_outputs_next_to_a_source_notebook_are_not_released(tmp_path):
    # nbval and Jupyter run a notebook in its own folder; what it writes under runs/ stays out of course/
    from autograder.release import build_release

    stray = SOLUTIONS / notebooks()[0] / "runs" / "epoch_0001.png"
    created = not stray.parent.exists()
    stray.parent.mkdir(exist_ok=True)
    stray.write_bytes(b"not a release file")
    try:
        released = build_release(tmp_path / "course")
        names = {p.relative_to(released).as_posix() for p in released.rglob("*") if p.is_file()}
        assert names and all(name.endswith(".ipynb") for name in names), names
    finally:
        stray.unlink()
        if created:
            stray.parent.rmdir()


def test_no_data_or_large_files_are_tracked():
    files = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True).stdout.split()
    # course material the package ships on purpose (small recordings), each under 200 KB
    shipped = {"gankit/exercises/mlp_gan_runs.npz", "gankit/exercises/stable_runs.npz"}
    # the README's picture of the website (bin/site --screenshot), under 200 KB
    pictures = {"docs/site-03_cyclegan.png"}
    data_like = [f for f in files if re.search(r"\.(npz|npy|jpe?g|png|gif|h5|keras|zip|gz|tar|db)$", f, re.I)
                 and f not in shipped and f not in pictures
                 and not re.fullmatch(r"docs/gallery/[^/]+\.(png|jpg)", f)]  # the gallery's pictures: < 250 KB each,
    # checked by tests/test_runner.py
    assert not data_like, f"data or weights are tracked: {data_like}"
    assert all((ROOT / f).stat().st_size < 200_000 for f in shipped if f in files), "a shipped recording is over 200 KB"
    assert all((ROOT / f).stat().st_size < 200_000 for f in pictures if f in files), "the site's screenshot is over 200 KB"
    big = [f for f in files if (ROOT / f).is_file() and (ROOT / f).stat().st_size > 300_000]
    assert not big, f"files over 300 KB are tracked: {big}"


SUPPORTED_PYTHONS = ("3.10", "3.11", "3.12")


def _lock(version: str) -> dict[str, str]:
    path = ROOT / "requirements" / f"lock-py{version.replace('.', '')}.txt"
    assert path.is_file(), f"{path} is missing. Fix: run bin/lock"
    pins = {}
    for line in path.read_text().splitlines():
        match = re.match(r"^([A-Za-z0-9._-]+)==([^\s;]+)", line)
        if match:
            pins[match.group(1).lower().replace("_", "-").replace(".", "-")] = match.group(2)
    return pins


def _requirements():
    from packaging.requirements import Requirement

    project = PYPROJECT["project"]
    for text in project["dependencies"] + [r for extra in project["optional-dependencies"].values() for r in extra]:
        yield Requirement(text)


@pytest.mark.parametrize("version", SUPPORTED_PYTHONS)
def test_lock_file_pins_every_requirement_within_its_bounds(version):
    pins = _lock(version)
    env = {"python_version": version, "python_full_version": f"{version}.0", "sys_platform": "linux",
           "platform_system": "Linux", "platform_machine": "x86_64"}
    for requirement in _requirements():
        if requirement.marker and not requirement.marker.evaluate(env):
            continue
        name = requirement.name.lower().replace("_", "-").replace(".", "-")
        assert name in pins, f"lock-py{version.replace('.', '')}.txt does not pin {name}. Fix: run bin/lock"
        assert requirement.specifier.contains(pins[name], prereleases=True), (
            f"the lock pins {name}=={pins[name]}, outside pyproject's {requirement}. Fix: run bin/lock")


def test_this_environment_is_the_locked_one():
    # bin/test (and so CI) installs the lock of its Python: what the tests ran on is what learners get
    import importlib.metadata
    import os

    if os.environ.get("GANKIT_NEWEST") == "1":
        pytest.skip("GANKIT_NEWEST=1 installs the newest releases instead of the lock")
    pins = _lock("%d.%d" % sys.version_info[:2])
    differ = {}
    for name in ("keras", "numpy", "tensorflow-cpu", "jax", "jupyterlab", "nbgrader", "papermill", "pytest"):
        installed = importlib.metadata.version(name)
        if installed != pins[name]:
            differ[name] = (installed, pins[name])
    assert not differ, f"installed vs locked: {differ}. Fix: run bin/test, which reinstalls from the lock"


def test_bin_scripts_use_only_tools_stock_macos_has():
    for path in sorted((ROOT / "bin").iterdir()):
        text = path.read_text()
        for tool in ("sha256sum", "md5sum", "readlink -f", "sed -i", "realpath"):
            assert tool not in text, f"{path} uses {tool}, which stock macOS lacks"


def test_venv_script_refuses_an_unsupported_python(tmp_path):
    # a stand-in interpreter that reports Python 3.9
    fake = tmp_path / "python3.9"
    fake.write_text("#!/bin/sh\necho 3.9\n")
    fake.chmod(0o755)
    (tmp_path / "checkout" / "bin").mkdir(parents=True)
    for name in ("_venv.sh", "lab", "test"):
        (tmp_path / "checkout" / "bin" / name).write_bytes((ROOT / "bin" / name).read_bytes())
    result = subprocess.run(["bash", "-c", "source bin/_venv.sh"], cwd=tmp_path / "checkout", capture_output=True,
                            text=True, env={"PATH": "/usr/bin:/bin", "GANKIT_PYTHON": str(fake)})
    assert result.returncode == 1
    assert "No supported Python found" in result.stderr and "3.10 3.11 3.12" in result.stderr
    assert not (tmp_path / "checkout" / ".venv").exists()
