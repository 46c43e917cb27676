"""A visible check names the mistake and the principle, never the answer's code.

The exercise text already states each formula; a check message that then pastes the
solution's code turns the exercise into copying. This test reads every string in each
notebook's check module (gankit/exercises/<module>.py), f-strings included, and fails when
one of them contains a piece of the solution's code: any call or operation of a solution
cell that holds another call or operation inside it (``ops.mean(ops.square(x - 1))``,
``g_ba(g_ab(a))``, ``rng.random() < 0.5``), compared without spaces.
"""

from __future__ import annotations

import ast
import importlib
import re

import nbformat
import pytest

from notebook_tools import assignments, notebook_path, solution_sources

COMPOUND = (ast.Call, ast.BinOp, ast.Compare, ast.BoolOp, ast.UnaryOp)


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _check_module(assignment: str):
    """The gankit.exercises module that the notebook's visible checks call."""
    source = "\n".join(c.source for c in nbformat.read(notebook_path(assignment), as_version=4).cells)
    found = re.search(r"from gankit\.exercises import (\w+) as exercises", source)
    return importlib.import_module(f"gankit.exercises.{found.group(1)}") if found else None


def solution_fragments(code: str) -> set[str]:
    """Every compound expression of ``code`` (an operation holding another one), without spaces."""
    fragments = set()
    for node in ast.walk(ast.parse(code)):
        if isinstance(node, COMPOUND) and any(isinstance(child, COMPOUND) for child in ast.walk(node)
                                              if child is not node):
            text = _squash(ast.unparse(node))
            if len(text) >= 8:
                fragments.add(text)
    return fragments


def module_strings(module) -> list[tuple[int, str]]:
    """(line, text) of every string in the module's source; an f-string's literal parts joined by '{}'."""
    tree = ast.parse(open(module.__file__).read())
    strings = []
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            strings.append((node.lineno, "".join(part.value if isinstance(part, ast.Constant) else "{}"
                                                 for part in node.values)))
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            strings.append((node.lineno, node.value))
    return strings


def test_fragments_find_pasted_code():
    # the test itself must be able to fail: a message that pastes an answer is caught
    fragments = solution_fragments("return 0.5 * (ops.mean(ops.square(real - 1.0)) + ops.mean(ops.square(fake)))")
    assert "ops.mean(ops.square(real-1.0))" in fragments
    assert any(f in _squash("Fix: 0.5 * (ops.mean(ops.square(real - 1.0)) + ...)") for f in fragments)
    assert not any(f in _squash("Fix: square the differences, then average them.") for f in fragments)


@pytest.mark.parametrize("assignment", assignments())
def test_no_check_message_contains_the_solution_code(assignment):
    module = _check_module(assignment)
    assert module is not None, f"{assignment}: its visible checks should come from gankit.exercises"
    fragments = set()
    for code in solution_sources(assignment).values():
        fragments |= solution_fragments(code)
    pasted = [(line, text, fragment) for line, text in module_strings(module) for fragment in fragments
              if fragment in _squash(text)]
    assert not pasted, f"{module.__name__} pastes solution code into its messages:\n" + "\n".join(
        f"  line {line}: {fragment!r} in {text[:120]!r}" for line, text, fragment in pasted)
