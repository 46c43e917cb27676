"""Keep the hidden tests hidden, and notice a kernel that no longer tests honestly.

nbgrader runs a student's code and then the hidden tests in ONE kernel, so the student's
code can change anything the tests rely on: helpers, ``numpy.testing``, equality,
IPython's input transformers (blanking later cells), its exception handler (swallowing
every ``AssertionError``), ``clear_output`` after each cell... Listing every trick is
hopeless; noticing the effect is not. Before ``nbgrader autograde``, the grader adds
**canaries** to its scratch copy of each submitted notebook (`add_canaries`):

* after each graded test cell, the SAME test, byte for byte, run once more with the
  learner's answers (the names the solution cells define) replaced by a function that
  returns NaN, and the kernel's globals put back afterwards. An honest kernel fails it; a
  kernel whose helpers, comparisons or cell execution were tampered with passes it;
* at the end, a few checks that fail in any honest kernel, written like the hidden tests
  (`gankit.checks.check_close`, ``numpy.testing``, ``numpy.allclose``, ``assert``).

A canary that passes marks the notebook as tampered (`passed_canaries`): the grader gives
its graded cells 0 and a note. Canaries carry no nbgrader metadata, so they never count
for points, and `feedback_notebook` removes them from what the student sees.

`feedback_notebook` also makes the feedback safe to hand out: each graded test cell shows
its name, points and, when it failed, the failure's last line (``ExerciseError: ...``), never
its code; an output of any cell that quotes a hidden test line is withheld. The kernel itself
never sees the notebook file it runs: `autograder.sandbox` hides every ``.ipynb`` in its folder.

What this does not stop: a submission written against this grader's canaries (one that tells
a canary from a real test by its state), or one that leaks a few hundred characters per
failure message in an encoding of its own. The note on a tampered row asks the instructor
to look; a human reading the notebook is the last line.
"""

from __future__ import annotations

import ast
import re
import secrets

CANARY = "gankit_canary"  # cell metadata key of every cell the grader adds
HIDDEN = re.compile(r"### BEGIN HIDDEN TESTS\n?(.*?)### END HIDDEN TESTS", re.S)
WITHHELD = "[output withheld by the grader: it quoted the hidden tests]"
MESSAGE_CHARS = 600  # the longest failure message shown in feedback


def _source(cell) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else source


def _nbgrader(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {}) or {}


def is_test_cell(cell) -> bool:
    meta = _nbgrader(cell)
    return cell.get("cell_type") == "code" and bool(meta.get("grade")) and not meta.get("solution")


def answer_names(notebook: dict) -> list[str]:
    """The top-level names the solution cells define (functions, classes, variables): the learner's answers."""
    names = []
    for cell in notebook.get("cells", []):
        meta = _nbgrader(cell)
        if cell.get("cell_type") != "code" or not meta.get("solution"):
            continue
        text = _source(cell)
        try:
            tree = ast.parse(text)
        except SyntaxError:  # IPython magics: fall back on the obvious definitions
            names += re.findall(r"^(?:def|class)\s+(\w+)", text, re.M)
            continue
        for node in tree.body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                names.append(node.name)
            elif isinstance(node, (ast.Assign, ast.AnnAssign)):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                names += [target.id for target in targets if isinstance(target, ast.Name)]
    return list(dict.fromkeys(names))


def hidden_lines(source_notebook: dict) -> set[str]:
    """Lines of the hidden tests long enough to be recognised when something quotes them."""
    lines = set()
    for cell in source_notebook.get("cells", []):
        if is_test_cell(cell):
            for block in HIDDEN.findall(_source(cell)):
                lines |= {line.strip() for line in block.splitlines() if len(line.strip()) >= 16}
    return lines


def _cell(source: str, role: str) -> dict:
    return {"cell_type": "code", "execution_count": None, "outputs": [], "source": source,
            "metadata": {CANARY: role}}


FINAL = (
    ("check_close", "from gankit.checks import check_close\n### BEGIN HIDDEN TESTS\n"
     "check_close(0.25, 0.75, 'the value', rtol=1e-3, atol=1e-4)\n### END HIDDEN TESTS"),
    ("numpy.testing", "import numpy as np\n### BEGIN HIDDEN TESTS\n"
     "np.testing.assert_allclose(np.array([0.25, 0.5]), np.array([0.75, 0.5]), rtol=1e-3)\n### END HIDDEN TESTS"),
    ("numpy.allclose", "import numpy as np\n### BEGIN HIDDEN TESTS\n"
     "assert np.allclose(np.array([0.25]), np.array([0.75])), 'the values differ'\n### END HIDDEN TESTS"),
    ("assert", "### BEGIN HIDDEN TESTS\nassert 0.25 == 0.75, 'the values differ'\n### END HIDDEN TESTS"),
)


def add_canaries(submitted: dict, source: dict, token: str | None = None) -> dict:
    """``submitted`` (a notebook as JSON) with the canaries added; ``source`` is its nbgrader source notebook."""
    token = token or secrets.token_hex(4)
    names = answer_names(source)
    tests = {_nbgrader(cell).get("grade_id"): _source(cell) for cell in source.get("cells", []) if is_test_cell(cell)}
    cells = []
    for cell in submitted.get("cells", []):
        cells.append(cell)
        grade_id = _nbgrader(cell).get("grade_id")
        if not is_test_cell(cell) or grade_id not in tests:
            continue
        test = tests[grade_id]
        used = [name for name in names if re.search(rf"\b{re.escape(name)}\b", test)]
        if not used:
            continue
        saved, wrong = f"_saved_{token}", f"_wrong_{token}"
        # Every global as it was, so that what the test sets again (a seeded generator...) is put back.
        cells.append(_cell(f"{saved} = dict(globals())\n"
                           f"def {wrong}(*args, **kwargs):\n    return float('nan')\n"
                           + "".join(f"{name} = {wrong}\n" for name in used), f"stub:{grade_id}"))
        cells.append(_cell(test, f"test:{grade_id}"))
        cells.append(_cell(f"(lambda saved: (globals().clear(), globals().update(saved)))({saved})",
                           f"restore:{grade_id}"))
    # Only the helpers the tests use: importing what they do not (gankit imports TensorFlow) costs
    # memory and seconds that a tight sandbox may not have.
    used = "".join(tests.values())
    wanted = {"check_close": "gankit" in used, "numpy.testing": "np." in used or "numpy" in used,
              "numpy.allclose": "np." in used or "numpy" in used, "assert": True}
    cells += [_cell(text, f"final:{name}") for name, text in FINAL if wanted[name]]
    return dict(submitted, cells=cells)


def _failed(cell) -> bool:
    return any(output.get("output_type") == "error"
               or (output.get("output_type") == "stream" and output.get("name") == "stderr")
               for output in cell.get("outputs", []))


def passed_canaries(autograded: dict) -> list[str]:
    """The canaries that ran and did not fail: empty for an honest kernel."""
    return [cell["metadata"][CANARY].split(":", 1)[1] if ":" in cell["metadata"][CANARY] else cell["metadata"][CANARY]
            for cell in autograded.get("cells", [])
            if cell.get("metadata", {}).get(CANARY, "").split(":")[0] in ("test", "final")
            and cell.get("execution_count") is not None and not _failed(cell)]


def _quotes(text: str, lines: set[str]) -> bool:
    return any(line in text for line in lines)


def _output_text(output) -> str:
    parts = [output.get("text", ""), output.get("ename", ""), output.get("evalue", "")]
    parts += output.get("traceback", []) or []
    for value in (output.get("data") or {}).values():
        parts.append(value if isinstance(value, str) else "".join(value) if isinstance(value, list) else str(value))
    return "\n".join("".join(part) if isinstance(part, list) else str(part) for part in parts)


def feedback_notebook(autograded: dict, source: dict, shows_tests: bool = False) -> dict:
    """What the student sees: canaries removed; unless ``shows_tests``, no hidden test code nor its values."""
    lines = hidden_lines(source)
    cells = []
    for cell in autograded.get("cells", []):
        if CANARY in cell.get("metadata", {}):
            continue
        cell = dict(cell)
        if shows_tests:
            cells.append(cell)
            continue
        if is_test_cell(cell):
            meta = _nbgrader(cell)
            cell["source"] = (f"# Graded test {meta.get('grade_id')} ({meta.get('points', 0)} points). "
                              "Its code is not shown; when it failed, its message is below.")
            errors = [output for output in cell.get("outputs", []) if output.get("output_type") == "error"]
            cell["outputs"] = []
            if errors:
                ename, evalue = str(errors[-1].get("ename", "Error")), str(errors[-1].get("evalue", ""))
                if _quotes(evalue, lines):
                    evalue = "(message withheld: it quoted the hidden test)"
                elif len(evalue) > MESSAGE_CHARS:
                    evalue = evalue[:MESSAGE_CHARS] + " ..."
                cell["outputs"] = [{"output_type": "error", "ename": ename, "evalue": evalue,
                                    "traceback": [f"{ename}: {evalue}"]}]
            elif any(output.get("output_type") == "stream" and output.get("name") == "stderr"
                     for output in cell.get("outputs", [])):
                cell["outputs"] = [{"output_type": "stream", "name": "stderr",
                                    "text": "The test wrote to stderr, which counts as a failure.\n"}]
        elif cell.get("cell_type") == "code":
            cell["outputs"] = [output if not _quotes(_output_text(output), lines)
                               else {"output_type": "stream", "name": "stdout", "text": WITHHELD + "\n"}
                               for output in cell.get("outputs", [])]
        cells.append(cell)
    return dict(autograded, cells=cells)
