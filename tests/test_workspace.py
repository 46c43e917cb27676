"""bin/_workspace.py: the learner's own copy of course/, made by bin/lab and never overwritten."""

import importlib.util
import json

from notebook_tools import ROOT

spec = importlib.util.spec_from_file_location("workspace", ROOT / "bin" / "_workspace.py")
workspace = importlib.util.module_from_spec(spec)
spec.loader.exec_module(workspace)


def _course(tmp_path, notebooks):
    course = tmp_path / "course"
    for name, text in notebooks.items():
        (course / name).parent.mkdir(parents=True, exist_ok=True)
        (course / name).write_text(text)
    return course


def test_first_use_copies_the_course(tmp_path, capsys):
    course = _course(tmp_path, {"00_a/00_a.ipynb": "a", "01_b/01_b.ipynb": "b"})
    (course / "00_a" / ".ipynb_checkpoints").mkdir()
    (course / "00_a" / ".ipynb_checkpoints" / "x.ipynb").write_text("editor cache")
    mine = tmp_path / "my-course"
    result = workspace.sync(course, mine)
    assert sorted(result["added"]) == ["00_a/00_a.ipynb", "01_b/01_b.ipynb"]
    assert (mine / "01_b" / "01_b.ipynb").read_text() == "b"
    assert not (mine / "00_a" / ".ipynb_checkpoints").exists()
    assert "Created your workspace" in capsys.readouterr().out


def test_the_learners_work_is_never_overwritten_and_new_notebooks_are_added(tmp_path, capsys):
    course = _course(tmp_path, {"00_a/00_a.ipynb": "a"})
    mine = tmp_path / "my-course"
    workspace.sync(course, mine)
    (mine / "00_a" / "00_a.ipynb").write_text("my answers")
    # a course update: notebook 00 changes, notebook 01 is new
    (course / "00_a" / "00_a.ipynb").write_text("a, revised")
    _course(tmp_path, {"01_b/01_b.ipynb": "b"})
    capsys.readouterr()
    result = workspace.sync(course, mine)
    assert (mine / "00_a" / "00_a.ipynb").read_text() == "my answers"
    assert result == {"added": ["01_b/01_b.ipynb"], "updated": ["00_a/00_a.ipynb"]}
    out = capsys.readouterr().out
    assert "New in the course" in out and "01_b/01_b.ipynb" in out
    assert "your copies are kept" in out and "rename your copy" in out
    # renaming the old copy brings the new version in on the next start
    (mine / "00_a" / "00_a.ipynb").rename(mine / "00_a" / "00_a-old.ipynb")
    assert workspace.sync(course, mine) == {"added": ["00_a/00_a.ipynb"], "updated": []}
    assert (mine / "00_a" / "00_a.ipynb").read_text() == "a, revised"
    assert json.loads((mine / workspace.MANIFEST).read_text())["00_a/00_a.ipynb"]


def test_the_workspace_is_git_ignored():
    import subprocess

    result = subprocess.run(["git", "check-ignore", "-q", "my-course/00_cook_and_critic/x.ipynb"], cwd=ROOT)
    assert result.returncode == 0, "bin/lab's workspace my-course/ must be in .gitignore"
