"""Before a batch, the grader fetches what the notebooks read: the sandboxed kernels have no network."""

import pathlib

from autograder import grade

ROOT = pathlib.Path(__file__).resolve().parents[1]


def _sources(assignment):
    return [(ROOT / "solutions" / assignment / f"{assignment}.ipynb").read_text()]


def test_the_datasets_an_assignment_reads_are_fetched_or_named_in_a_warning(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    monkeypatch.setenv("GANKIT_DATA", str(tmp_path / "empty"))
    (tmp_path / "empty").mkdir()
    for assignment, dataset in (("01_mlp_gan", "mnist"), ("03_cyclegan", "monet2photo"), ("04_pix2pix", "edges2shoes")):
        # a warning, never an exception: the batch goes on; the names come back (the bench stops on them)
        assert grade._fetch_data(assignment, _sources(assignment)) == [dataset]
        said = capsys.readouterr().err
        assert f"WARNING: {assignment} reads {dataset}, which could not be fetched" in said, said
        assert "GANKIT_DATA" in said  # the data error's own message, with its fix
    assert grade._fetch_data("00_cook_and_critic", _sources("00_cook_and_critic")) == []  # reads no dataset
    assert capsys.readouterr().err == ""


def test_with_the_data_there_nothing_is_said(capsys):  # GANKIT_DATA: the shared datasets (tests/conftest.py)
    for assignment in ("01_mlp_gan", "03_cyclegan", "04_pix2pix"):
        assert grade._fetch_data(assignment, _sources(assignment)) == []
    assert capsys.readouterr().err == ""
