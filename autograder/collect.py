"""Collect a class's submissions for one assignment, whatever the LMS did to them.

`collect(source, expected, workdir)` turns a folder of student folders, or a zip of
them, into one `Submission` per student. Nothing here raises for one student's
problem: each problem becomes that student's ``status`` and ``note``, and the batch
goes on. What it copes with:

* any folder name: ``José García`` becomes the id ``Jose_Garcia`` (the mapping is kept
  in ``Submission.folder``; the grader writes it to ``students.csv``);
* a zip (``.zip`` or ``.ZIP``) or folder whose students sit under one top folder
  (``export/alice``, ``export/bob``): the top folder is unwrapped;
* ``__MACOSX/``, hidden files and folders, ``.ipynb_checkpoints``: ignored;
* notebooks checked while collecting: not JSON, empty, not a notebook, a wrong name
  (``01_mlp_gan (1).ipynb`` is accepted; a name that cannot be matched gets a status
  naming the expected one), another assignment's notebook, deleted graded cells or
  changed cell types, and edited test cells (nbgrader restores them; the note says so).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import pathlib
import re
import unicodedata
import zipfile

# Statuses a submission can have before it is graded; the grader adds its own.
OK = "ok"
NO_NOTEBOOK = "no_notebook"
NOT_JSON = "not_json"
EMPTY = "empty"
NOT_A_NOTEBOOK = "not_a_notebook"
WRONG_NAME = "wrong_name"
WRONG_ASSIGNMENT = "wrong_assignment"
UNREADABLE = "unreadable"

IGNORED_DIRS = {"__MACOSX", ".ipynb_checkpoints", "__pycache__"}


@dataclasses.dataclass
class Submission:
    """One student's notebooks for the assignment, and what collecting them found."""

    student: str  # the id used for grading (letters, digits, _ . - only)
    folder: str  # the folder name as it arrived (may hold spaces and accents)
    notebooks: dict = dataclasses.field(default_factory=dict)  # {expected name: path}
    status: str = OK
    notes: list = dataclasses.field(default_factory=list)
    sha256: str = ""

    @property
    def note(self) -> str:
        return "; ".join(self.notes)


def student_id(name: str) -> str:
    """A safe id for a folder name: accents dropped, anything else unusual becomes ``_``."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    cleaned = re.sub(r"[^A-Za-z0-9_.@-]+", "_", ascii_name).strip("_.-")
    return cleaned[:64] or "student"


def _ignored(path: pathlib.Path) -> bool:
    return path.name.startswith(".") or path.name in IGNORED_DIRS


def _children(folder: pathlib.Path) -> list[pathlib.Path]:
    return sorted(p for p in folder.iterdir() if not _ignored(p))


def _notebooks_in(folder: pathlib.Path) -> list[pathlib.Path]:
    found = []
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder).parts
        if any(part.startswith(".") or part in IGNORED_DIRS for part in relative):
            continue
        if path.is_file() and path.suffix.lower() == ".ipynb":
            found.append(path)
    return found


def unzip(archive_path: pathlib.Path, target: pathlib.Path) -> pathlib.Path:
    """Extract a zip safely (no absolute paths, no ``..``) into ``target``; returns it."""
    with zipfile.ZipFile(archive_path) as archive:
        for member in archive.infolist():
            parts = pathlib.PurePosixPath(member.filename.replace("\\", "/")).parts
            if not parts or member.filename.startswith("/") or ".." in parts:
                continue  # an unsafe entry is skipped, never written outside target
            if parts[0] in IGNORED_DIRS:
                continue
            destination = target.joinpath(*parts)
            if member.is_dir():
                destination.mkdir(parents=True, exist_ok=True)
                continue
            destination.parent.mkdir(parents=True, exist_ok=True)
            with archive.open(member) as source, open(destination, "wb") as sink:
                while chunk := source.read(1 << 20):
                    sink.write(chunk)
    return target


def student_folders(root: pathlib.Path, assignment: str) -> list[pathlib.Path]:
    """The student folders under ``root``, with one wrapping top folder unwrapped.

    A single top folder is a wrapper (``export/``) when it holds no notebook itself and is
    not named after the assignment (``alice/01_mlp_gan/01_mlp_gan.ipynb`` is one student).
    """
    for _ in range(3):
        children = _children(root)
        folders = [p for p in children if p.is_dir()]
        loose = [p for p in children if p.is_file() and p.suffix.lower() == ".ipynb"]
        if len(folders) != 1 or loose:
            break
        only = folders[0]
        inside = _children(only)
        if (any(p.is_file() and p.suffix.lower() == ".ipynb" for p in inside)
                or any(p.is_dir() and p.name == assignment for p in inside)
                or not any(p.is_dir() for p in inside)):
            break
        root = only
    return [p for p in _children(root) if p.is_dir()]


def _name_key(stem: str) -> str:
    """``01_MLP-gan (1)`` and ``Copy of 01_mlp_gan`` both become ``01mlpgan``."""
    stem = unicodedata.normalize("NFKD", stem).lower()
    stem = re.sub(r"^copy of ", "", stem)
    stem = re.sub(r"(\s*\(\d+\)|[ _-]copy\d*|[ _-]\d{1,2})$", "", stem.strip())
    return re.sub(r"[^a-z0-9]", "", stem)


def grade_ids(notebook: dict) -> dict[str, dict]:
    """{grade_id: cell} for the nbgrader cells of a notebook (as parsed JSON)."""
    cells = {}
    for cell in notebook.get("cells", []):
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if meta.get("grade_id"):
            cells[meta["grade_id"]] = cell
    return cells


def _source(cell: dict) -> str:
    source = cell.get("source", "")
    return ("".join(source) if isinstance(source, list) else source).strip()


def read_notebook(path: pathlib.Path) -> tuple[dict | None, str, str]:
    """(notebook, status, note): the parsed notebook, or None and why it cannot be graded."""
    try:
        data = path.read_bytes()
    except OSError as error:
        return None, UNREADABLE, f"{path.name}: cannot be read ({error.strerror})"
    if not data.strip():
        return None, EMPTY, f"{path.name} is empty (0 cells): re-save the notebook and submit it again"
    try:
        notebook = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        return None, NOT_JSON, (f"{path.name} is not a notebook file (not JSON: {error}); "
                                "download it with File > Download > .ipynb")
    if not isinstance(notebook, dict) or not isinstance(notebook.get("cells"), list):
        return None, NOT_A_NOTEBOOK, f"{path.name} is JSON but not a Jupyter notebook (no cells)"
    if not notebook["cells"]:
        return None, EMPTY, f"{path.name} has no cells"
    return notebook, OK, ""


def compare(notebook: dict, released: dict) -> list[str]:
    """Notes on how a submission's graded cells differ from the released notebook."""
    notes = []
    mine, theirs = grade_ids(notebook), grade_ids(released)
    deleted = [g for g in theirs if g not in mine]
    if deleted:
        notes.append("deleted cells restored by the grader: " + " ".join(deleted))
    retyped = [g for g in theirs if g in mine and mine[g].get("cell_type") != theirs[g].get("cell_type")]
    if retyped:
        notes.append("cell types changed back by the grader: " + " ".join(retyped))
    edited = [g for g, cell in theirs.items() if g in mine and g not in retyped
              and cell.get("metadata", {}).get("nbgrader", {}).get("locked")
              and not cell.get("metadata", {}).get("nbgrader", {}).get("solution")
              and _source(mine[g]) != _source(cell)]
    tests = [g for g in edited if theirs[g].get("metadata", {}).get("nbgrader", {}).get("grade")]
    if tests:
        notes.append("edited test cells restored to the original by the grader: " + " ".join(tests))
    others = [g for g in edited if g not in tests]
    if others:
        notes.append("edited read-only cells restored to the original by the grader: " + " ".join(others))
    return notes


def collect(source: pathlib.Path, released: dict[str, dict], workdir: pathlib.Path,
            assignment: str, others: dict[str, set] | None = None) -> list[Submission]:
    """One `Submission` per student folder of ``source`` (a folder, or a .zip/.ZIP of one).

    ``released``: {notebook name: released notebook (parsed JSON)} for this assignment;
    ``others``: {other assignment: set of its grade ids}, to recognise a wrong assignment.
    """
    source = pathlib.Path(source)
    if source.is_file() and source.suffix.lower() == ".zip":
        source = unzip(source, pathlib.Path(workdir) / "unzipped")
    if not source.is_dir():
        raise FileNotFoundError(f"{source} is neither a folder of student folders nor a .zip of them")
    submissions: list[Submission] = []
    taken: set[str] = set()
    for folder in student_folders(source, assignment):
        ident = student_id(folder.name)
        base, count = ident, 1
        while ident.lower() in taken:  # two folders with the same id: keep both
            count += 1
            ident = f"{base}-{count}"
        taken.add(ident.lower())
        submission = Submission(student=ident, folder=folder.name)
        if ident != folder.name:
            submission.notes.append(f"graded as {ident!r} (folder {folder.name!r})")
        _match(submission, _notebooks_in(folder), released, others or {})
        submissions.append(submission)
    return submissions


def _match(submission: Submission, found: list[pathlib.Path], released: dict[str, dict],
           others: dict[str, set]) -> None:
    digest = hashlib.sha256()
    for path in found:
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    submission.sha256 = digest.hexdigest()
    expected = ", ".join(f"{name}.ipynb" for name in sorted(released))
    if not found:
        submission.status = NO_NOTEBOOK
        submission.notes.append(f"no notebook found; expected {expected}")
        return
    problems = []
    for name, reference in sorted(released.items()):
        exact = [p for p in found if p.stem == name]
        close = [p for p in found if _name_key(p.stem) == _name_key(name)]
        candidates = exact or close
        if not candidates and len(found) == 1 and len(released) == 1:
            candidates = found  # one notebook, oddly named: accept it only if its cells are ours
        chosen = None
        for path in candidates:
            notebook, status, note = read_notebook(path)
            if notebook is None:
                problems.append((status, note))
                continue
            ids = set(grade_ids(notebook))
            if ids and not ids & set(grade_ids(reference)):
                owner = next((other for other, other_ids in others.items() if ids & other_ids), None)
                problems.append((WRONG_ASSIGNMENT, f"{path.name} is the notebook of {owner or 'another assignment'}, "
                                                   f"not {name}.ipynb"))
                continue
            if not ids and path.stem != name and _name_key(path.stem) != _name_key(name):
                problems.append((WRONG_NAME, f"found {path.name}, expected {name}.ipynb"))
                continue
            chosen = path
            if path.stem != name:
                submission.notes.append(f"{path.name} accepted as {name}.ipynb")
            submission.notes.extend(compare(notebook, reference))
            break
        if chosen is not None:
            submission.notebooks[name] = chosen
        elif not problems:
            names = ", ".join(p.name for p in found)
            problems.append((WRONG_NAME, f"found {names}, expected {name}.ipynb"))
    if not submission.notebooks:
        submission.status = problems[0][0] if problems else NO_NOTEBOOK
    elif problems:
        submission.notes.append("not graded: " + "; ".join(note for _, note in problems))
    submission.notes.extend(note for _, note in problems if not submission.notebooks)
