"""Repository hygiene: packaging in step, notebooks clean, course/ fresh, README commands real."""

import json
import re
import subprocess
import sys
import tomllib

import nbformat
import pytest

import gankit
from notebook_tools import COURSE, ROOT, SOLUTIONS, assignments, nbgrader_meta, notebook_path

NOTEBOOKS = [notebook_path(a) for a in assignments()]


def _name(requirement: str) -> str:
    return re.split(r"[<>=!;\[ ]", requirement.strip(), maxsplit=1)[0].lower().replace("_", "-")


def _lower_bound(requirement: str) -> str | None:
    match = re.search(r">=\s*([0-9][0-9.]*)", requirement)
    return match.group(1) if match else None


def test_environment_yml_matches_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = list(project["dependencies"])
    for extra in ("cpu", "test", "jax"):
        wanted += project["optional-dependencies"][extra]
    # conda has one tensorflow package; pip splits it into tensorflow / tensorflow-cpu
    pip_side = {}
    for requirement in wanted:
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
    text = path.read_text()
    pins = re.findall(r"gankit @ git\+https://github.com/([\w.-]+/[\w.-]+)@v([\w.]+)", text)
    assert pins, f"{path}: the setup cell should install gankit pinned to a release tag in Colab"
    homepage = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["urls"]["Homepage"]
    for repo, tag in pins:
        assert tag == gankit.__version__, f"{path} installs v{tag} in Colab, but gankit is {gankit.__version__}"
        assert homepage.endswith(repo)
    relative = path.relative_to(SOLUTIONS).as_posix()
    assert f"blob/main/course/{relative}" in text, f"{path}: the Colab link should open course/{relative}"
    # text still waiting for a measurement is written as an upper-case marker such as STANDARD_TIME
    markers = sorted({m for cell in notebook.cells if cell.cell_type == "markdown"
                      for m in re.findall(r"\b[A-Z]{2,}_(?:TEXT|TIME|TRAINING)\b", cell.source)})
    assert not markers, f"{path} still has unfilled text markers: {markers}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.parent.name)
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
    for path in NOTEBOOKS:
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

    stray = SOLUTIONS / assignments()[0] / "runs" / "epoch_0001.png"
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
    data_like = [f for f in files if re.search(r"\.(npz|npy|jpe?g|png|gif|h5|keras|zip|gz|tar|db)$", f, re.I)
                 and not re.fullmatch(r"docs/gallery/[^/]+\.png", f)]  # the gallery's pictures: < 100 KB each,
    # checked by tests/test_runner.py
    assert not data_like, f"data or weights are tracked: {data_like}"
    big = [f for f in files if (ROOT / f).is_file() and (ROOT / f).stat().st_size > 300_000]
    assert not big, f"files over 300 KB are tracked: {big}"
