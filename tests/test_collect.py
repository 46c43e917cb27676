"""Collecting submissions: every LMS oddity becomes a status on one student's row (fast tier)."""

import json
import pathlib
import zipfile

import pytest

from autograder import collect as c


def _cell(grade_id, source, cell_type="code", solution=False, grade=False, locked=False):
    cell = {"cell_type": cell_type, "metadata": {"nbgrader": {"grade_id": grade_id, "solution": solution,
                                                               "grade": grade, "locked": locked}},
            "source": source}
    if cell_type == "code":
        cell.update(outputs=[], execution_count=None)
    return cell


def _notebook(*cells):
    return {"cells": list(cells), "metadata": {}, "nbformat": 4, "nbformat_minor": 5}


RELEASED = {"01_mlp_gan": _notebook(
    _cell("intro", "# Notebook 01", cell_type="markdown", locked=True),
    _cell("ex_gen", "# YOUR CODE HERE\nraise NotImplementedError()", solution=True),
    _cell("test_gen", "assert generator is not None", grade=True, locked=True),
    _cell("answer", "YOUR ANSWER HERE", cell_type="markdown", solution=True),
)}
OTHERS = {"00_cook_and_critic": {"ex_cook", "test_cook"}}


def _write(path: pathlib.Path, content) -> pathlib.Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content if isinstance(content, bytes) else json.dumps(content).encode())
    return path


def _collect(source, tmp_path):
    found = c.collect(source, RELEASED, tmp_path / "work", "01_mlp_gan", OTHERS)
    return {s.student: s for s in found}


def test_any_folder_name_becomes_an_id_and_the_mapping_is_kept(tmp_path):
    subs = tmp_path / "subs"
    for name in ("José García", "alice smith", "Zoë_O'Brien", "bob"):
        _write(subs / name / "01_mlp_gan.ipynb", RELEASED["01_mlp_gan"])
    found = _collect(subs, tmp_path)
    assert set(found) == {"Jose_Garcia", "alice_smith", "Zoe_O_Brien", "bob"}
    assert found["Jose_Garcia"].folder == "José García" and "José García" in found["Jose_Garcia"].note
    assert all(s.status == c.OK for s in found.values())
    assert found["bob"].note == ""


def test_two_folders_with_the_same_id_are_both_kept(tmp_path):
    subs = tmp_path / "subs"
    for name in ("José", "Jose"):
        _write(subs / name / "01_mlp_gan.ipynb", RELEASED["01_mlp_gan"])
    assert set(_collect(subs, tmp_path)) == {"Jose", "Jose-2"}


@pytest.mark.parametrize("suffix", [".zip", ".ZIP"])
def test_zip_with_one_top_folder_macosx_and_hidden_files(tmp_path, suffix):
    archive = tmp_path / f"export{suffix}"
    notebook = json.dumps(RELEASED["01_mlp_gan"])
    with zipfile.ZipFile(archive, "w") as handle:
        handle.writestr("export/alice/01_mlp_gan.ipynb", notebook)
        handle.writestr("export/bob smith/work/01_mlp_gan.ipynb", notebook)
        handle.writestr("export/.DS_Store", "x")
        handle.writestr("export/bob smith/.ipynb_checkpoints/01_mlp_gan-checkpoint.ipynb", "not json")
        handle.writestr("__MACOSX/export/alice/._01_mlp_gan.ipynb", "binary junk")
        handle.writestr("export/alice/._01_mlp_gan.ipynb", "binary junk")
        handle.writestr("../escape.ipynb", notebook)
    found = _collect(archive, tmp_path)
    assert set(found) == {"alice", "bob_smith"}
    assert all(s.status == c.OK for s in found.values()), {k: s.note for k, s in found.items()}
    assert not (tmp_path / "escape.ipynb").exists() and not (tmp_path / "work" / "escape.ipynb").exists()


def test_a_single_student_with_an_assignment_folder_is_not_unwrapped(tmp_path):
    subs = tmp_path / "subs"
    _write(subs / "alice" / "01_mlp_gan" / "01_mlp_gan.ipynb", RELEASED["01_mlp_gan"])
    found = _collect(subs, tmp_path)
    assert list(found) == ["alice"] and found["alice"].status == c.OK


def test_broken_files_get_a_status_naming_the_problem(tmp_path):
    subs = tmp_path / "subs"
    _write(subs / "notjson" / "01_mlp_gan.ipynb", b"<html>Google Drive: access denied</html>")
    _write(subs / "empty" / "01_mlp_gan.ipynb", b"")
    _write(subs / "nocells" / "01_mlp_gan.ipynb", _notebook())
    _write(subs / "plainjson" / "01_mlp_gan.ipynb", {"hello": 1})
    (subs / "nothing").mkdir(parents=True)
    _write(subs / "nothing" / "notes.txt", b"I ran out of time")
    found = _collect(subs, tmp_path)
    assert found["notjson"].status == c.NOT_JSON and "not JSON" in found["notjson"].note
    assert found["empty"].status == c.EMPTY and found["nocells"].status == c.EMPTY
    assert found["plainjson"].status == c.NOT_A_NOTEBOOK
    assert found["nothing"].status == c.NO_NOTEBOOK and "01_mlp_gan.ipynb" in found["nothing"].note


def test_obvious_name_variants_are_accepted(tmp_path):
    subs = tmp_path / "subs"
    for student, name in (("a", "01_mlp_gan (1)"), ("b", "Copy of 01_mlp_gan"), ("c", "01-MLP-GAN"),
                          ("d", "my homework")):  # d: one notebook whose cells are this assignment's
        _write(subs / student / f"{name}.ipynb", RELEASED["01_mlp_gan"])
    found = _collect(subs, tmp_path)
    for student in "abcd":
        assert found[student].status == c.OK, found[student].note
        assert "accepted as 01_mlp_gan.ipynb" in found[student].note
    assert found["a"].notebooks["01_mlp_gan"].name == "01_mlp_gan (1).ipynb"


def test_unmatched_names_and_other_assignments_name_what_was_expected(tmp_path):
    subs = tmp_path / "subs"
    plain_cell = {"cell_type": "code", "metadata": {}, "source": "print(1)", "outputs": [], "execution_count": None}
    _write(subs / "stranger" / "scratch.ipynb", _notebook(plain_cell))
    _write(subs / "wrongone" / "00_cook_and_critic.ipynb", _notebook(_cell("ex_cook", "pass", solution=True)))
    found = _collect(subs, tmp_path)
    assert found["stranger"].status == c.WRONG_NAME
    assert "expected 01_mlp_gan.ipynb" in found["stranger"].note and "scratch.ipynb" in found["stranger"].note
    assert found["wrongone"].status == c.WRONG_ASSIGNMENT
    assert "00_cook_and_critic" in found["wrongone"].note


def test_deleted_retyped_and_edited_cells_are_noted(tmp_path):
    released = RELEASED["01_mlp_gan"]
    cells = json.loads(json.dumps(released["cells"]))
    edited = json.loads(json.dumps(cells))
    edited[2]["source"] = "assert True  # the test, made to pass"
    retyped = json.loads(json.dumps(cells))
    retyped[3]["cell_type"] = "code"
    subs = tmp_path / "subs"
    _write(subs / "deleted" / "01_mlp_gan.ipynb", _notebook(cells[0], cells[1], cells[3]))
    _write(subs / "edited" / "01_mlp_gan.ipynb", _notebook(*edited))
    _write(subs / "retyped" / "01_mlp_gan.ipynb", _notebook(*retyped))
    _write(subs / "solved" / "01_mlp_gan.ipynb", _notebook(cells[0], dict(cells[1], source="generator = 1"),
                                                           cells[2], cells[3]))
    found = _collect(subs, tmp_path)
    assert "deleted cells restored by the grader: test_gen" in found["deleted"].note
    assert "edited test cells restored to the original by the grader: test_gen" in found["edited"].note
    assert "cell types changed back by the grader: answer" in found["retyped"].note
    assert found["solved"].note == ""  # answering is not editing
    assert all(s.status == c.OK for s in found.values())


def test_content_hash_changes_with_the_notebook_only(tmp_path):
    subs = tmp_path / "subs"
    _write(subs / "alice" / "01_mlp_gan.ipynb", RELEASED["01_mlp_gan"])
    first = _collect(subs, tmp_path)["alice"].sha256
    assert _collect(subs, tmp_path / "again")["alice"].sha256 == first
    _write(subs / "alice" / "01_mlp_gan.ipynb", _notebook(*RELEASED["01_mlp_gan"]["cells"][:2]))
    assert _collect(subs, tmp_path / "third")["alice"].sha256 != first
