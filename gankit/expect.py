"""The numbers a notebook's text promises, checked against the run they come from.

A notebook's **What to expect** paragraph tells the learner what their ``standard`` run will
give: a score, a distance, a run time. Those numbers must be the numbers of a real run with the
notebook's default parameters, or a learner who compares cannot tell whether their own code is
wrong. So the run is kept and the text is checked against it:

* ``docs/expected/<notebook>.json`` is the ``metrics.json`` of that run, as
  ``python -m gankit.run <notebook> --profile standard`` wrote it. ``python -m gankit.expect
  keep RESULT_FOLDER`` copies it there, after checking that it ran with the defaults.
* the notebook's entry in ``gankit/bars.yaml`` says which recorded values the text states and
  how it writes them::

      expect:
        cell: "**What to expect.**"          # the first words of the markdown cell that states them
        says:
          - {metric: colour_gap, as: "{:.2f}"}                     # 0.0839 -> "0.08"
          - {metric: train_seconds, per: 60, as: "{:.1f} minutes"}  # 390 -> "6.5 minutes"
          - {metric: wall_seconds, per: 60, as: "about {:.0f} minutes", cell: "# A"}  # stated in another cell

* other seeds: ``docs/expected/seeds/<notebook>-seed<N>.json`` are standard runs that differ from
  the kept one only in their seed (``python -m gankit.expect keep --other-seed RESULT_FOLDER``).
  They too must meet today's bars, and a ``says`` item with ``over: seeds`` states the range
  of a metric over the kept run and these: ``{metric: colour_gap, over: seeds, as: "{:.2f} to
  {:.2f}"}`` -> "0.08 to 0.10".

:func:`disagreements` lists every stated value that the text (the ``cell``, and any other
cell a ``says`` item names) does not write as the run recorded it, and a ``seed N`` in the text that is not the run's seed. ``tests/test_expect.py``
runs it for every notebook with an ``expect`` entry, on the source notebook and on the
released one; ``python -m gankit.expect check`` does the same by hand.
"""

from __future__ import annotations

import argparse
import ast
import json
import pathlib
import re
import shutil
import sys

from gankit.run import ROOT, SOLUTIONS, load_bars, metric_value

EXPECTED = ROOT / "docs" / "expected"
OTHER_SEEDS = EXPECTED / "seeds"


def expected_path(notebook: str) -> pathlib.Path:
    return EXPECTED / f"{notebook}.json"


def other_seed_runs(notebook: str) -> dict[int, dict]:
    """{seed: run} of the standard runs kept for ``notebook`` at seeds other than the default."""
    runs = {}
    for path in sorted(OTHER_SEEDS.glob(f"{notebook}-seed*.json")):
        run = json.loads(path.read_text(encoding="utf-8"))
        runs[int(run.get("parameters", {}).get("seed", -1))] = run
    return runs


def kept_runs(notebook: str) -> list[dict]:
    """Every standard run kept for ``notebook``: the default seed's first, then :func:`other_seed_runs`'."""
    return [json.loads(expected_path(notebook).read_text(encoding="utf-8")), *other_seed_runs(notebook).values()]


def default_parameters(path: str | pathlib.Path) -> dict:
    """The simple assignments of a notebook's ``parameters`` cell (``seed = 42`` -> {"seed": 42})."""
    cells = json.loads(pathlib.Path(path).read_text(encoding="utf-8"))["cells"]
    for cell in cells:
        if "parameters" in cell.get("metadata", {}).get("tags", []):
            values = {}
            for node in ast.parse("".join(cell["source"])).body:
                if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
                    try:
                        values[node.targets[0].id] = ast.literal_eval(node.value)
                    except ValueError:
                        pass  # not a plain value
            return values
    raise ValueError(f"{path} has no cell tagged 'parameters'. Fix: tag the notebook's parameters cell.")


def not_default(notebook_path, run: dict, other_seed: bool = False) -> list[str]:
    """Why ``run`` is not a standard run with the notebook's default parameters ([] when it is);
    with ``other_seed``, why it is not one that differs from them in its seed alone."""
    problems = []
    if run.get("profile") != "standard":
        problems.append(f"it ran profile {run.get('profile')!r}, not 'standard'")
    if run.get("status") == "error":
        problems.append(f"it raised an error: {run.get('failures')}")
    else:  # judged by today's bars, which may have moved since the run (the gallery judges the same way)
        from gankit.run import check_bars

        missed = check_bars(run.get("notebook"), "standard", run.get("records", {}), load_bars())
        if missed:
            problems.append(f"it misses today's standard bars: {'; '.join(missed)}")
    if "parameters" not in run:
        return problems + ["it does not say its parameters (a metrics.json from before the runner recorded them); "
                           "run it again"]
    if "longest_silence" not in run:
        problems.append("it does not say how long its cells went without output (a metrics.json from before the "
                        "runner timed that); run it again")
    defaults = default_parameters(notebook_path)
    for name, value in run["parameters"].items():
        if name == "seed" and other_seed:
            if value == defaults.get("seed"):
                problems.append(f"it ran the default seed ({value}); keep it as the notebook's run instead")
        elif name != "profile" and defaults.get(name, object()) != value:
            problems.append(f"it set {name}={value!r}, where the notebook's default is {defaults.get(name)!r}")
    if other_seed and "seed" not in run["parameters"]:
        problems.append("it ran the default seed; keep it as the notebook's run instead")
    return problems


def stated_text(notebook_path, cell_start: str) -> str:
    """The markdown cell of the notebook that begins with ``cell_start``."""
    cells = json.loads(pathlib.Path(notebook_path).read_text(encoding="utf-8"))["cells"]
    found = ["".join(c["source"]) for c in cells
             if c["cell_type"] == "markdown" and "".join(c["source"]).lstrip().startswith(cell_start)]
    if len(found) != 1:
        raise ValueError(f"{notebook_path}: {len(found)} markdown cells begin with {cell_start!r}, not 1. "
                         f"Fix: make the expect entry's `cell` name exactly one cell.")
    return found[0]


def stated(notebook_path, spec: dict) -> str:
    """The text of every cell an expect entry names: its ``cell``, then those its ``says`` items name."""
    others = sorted({say["cell"] for say in spec.get("says") or [] if "cell" in say} - {spec["cell"]})
    return "\n\n".join(stated_text(notebook_path, start) for start in [spec["cell"], *others])


def metrics_of(say: dict) -> list[str]:
    """The metric names one ``says`` item states: ``metric`` is one name, or a list of names that its
    ``as`` writes together (``{metric: [edges_l1, edges_psnr], as: "({:.3f} / {:.1f})"}``)."""
    return list(say["metric"]) if isinstance(say["metric"], list) else [say["metric"]]


def written(value, say: dict) -> str:
    """``value`` (one number, or a list for a list of metrics) as the text writes it: each divided by
    ``per`` (when given), then formatted with ``as``."""
    values = list(value) if isinstance(value, (list, tuple)) else [value]
    if "per" in say:
        values = [v / say["per"] for v in values]
    return say.get("as", "{}").format(*values)


def _value(run: dict, name: str):
    return run["wall_seconds"] if name == "wall_seconds" else metric_value(run.get("records", {}), name)


def disagreements(notebook: str, text: str, run: dict, spec: dict, seed: int | None = None,
                  others: list[dict] = ()) -> list[str]:
    """Each value of ``spec['says']`` that ``text`` does not state as ``run`` recorded it (an
    ``over: seeds`` item: as the range over ``run`` and ``others``); a ``seed N`` other than ``seed``."""
    problems = []
    flat = " ".join(text.split())  # the text's line breaks are not part of a number
    for say in spec.get("says") or []:
        names = metrics_of(say)
        try:
            if say.get("over") == "seeds":
                if not others:
                    problems.append(f"{notebook}: the text states a range over seeds, but no other seed's run is "
                                    f"kept. Fix: python -m gankit.expect keep --other-seed <result folder>.")
                    continue
                (name,) = names
                spread = [_value(r, name) for r in [run, *others]]
                values = [min(spread), max(spread)]
            else:
                values = [_value(run, name) for name in names]
        except KeyError as missing:
            problems.append(f"{notebook}: the kept run did not record {missing.args[0]!r}, which the text states. "
                            f"Fix: record it, or take it out of the expect entry.")
            continue
        text_of = written(values, say)
        if text_of not in flat:
            recorded = ", ".join(f"{n} = {v!r}" for n, v in zip(names, values))
            if say.get("over") == "seeds":
                recorded = f"{names[0]} from {values[0]!r} to {values[1]!r} over {1 + len(others)} seeds"
            problems.append(f"{notebook}: the run recorded {recorded}, which the text should state as "
                            f"{text_of!r}; it does not. Fix: write that, or rerun and keep the run "
                            f"(python -m gankit.expect keep).")
    for stated in re.findall(r"\bseed (\d+)", flat):
        if seed is not None and int(stated) != seed:
            problems.append(f"{notebook}: the text says seed {stated}, the kept run used seed {seed}.")
    return problems


def check(notebook: str, bars: dict | None = None, notebook_path=None) -> list[str]:
    """Everything wrong between ``notebook``'s text and its kept run ([] when they agree)."""
    bars = load_bars() if bars is None else bars
    spec = (bars.get(notebook) or {}).get("expect")
    if not spec:
        return []
    path = pathlib.Path(notebook_path or SOLUTIONS / notebook / f"{notebook}.ipynb")
    kept = expected_path(notebook)
    if not kept.is_file():
        return [f"{notebook}: its text states numbers, but no run is kept at {kept}. Fix: python -m gankit.run "
                f"{notebook} --profile standard, then python -m gankit.expect keep <its result folder>."]
    run = json.loads(kept.read_text(encoding="utf-8"))
    problems = [f"{notebook}: the kept run {kept} is not the default standard run: {why}"
                for why in not_default(path, run)]
    others = other_seed_runs(notebook)
    problems += [f"{notebook}: the run kept for seed {other} is not a standard run at another seed: {why}"
                 for other, other_run in others.items() for why in not_default(path, other_run, other_seed=True)]
    seed = run.get("parameters", {}).get("seed", default_parameters(path).get("seed"))
    return problems + disagreements(notebook, stated(path, spec), run, spec, seed, list(others.values()))


def keep(result_folder, other_seed: bool = False) -> pathlib.Path:
    """Copy a result folder's metrics.json to docs/expected/, refusing a run that is not the default
    standard one; with ``other_seed``, to docs/expected/seeds/, refusing one that differs in more than its seed."""
    folder = pathlib.Path(result_folder)
    metrics = folder / "metrics.json"
    if not metrics.is_file():
        raise SystemExit(f"{metrics} does not exist. Fix: pass the folder python -m gankit.run wrote for one notebook.")
    run = json.loads(metrics.read_text(encoding="utf-8"))
    problems = not_default(SOLUTIONS / run["notebook"] / f"{run['notebook']}.ipynb", run, other_seed)
    if problems:
        raise SystemExit(f"{metrics} is not kept: {'; '.join(problems)}.")
    if other_seed:
        OTHER_SEEDS.mkdir(parents=True, exist_ok=True)
        target = OTHER_SEEDS / f"{run['notebook']}-seed{run['parameters']['seed']}.json"
        shutil.copyfile(metrics, target)
        return target
    EXPECTED.mkdir(parents=True, exist_ok=True)
    target = expected_path(run["notebook"])
    shutil.copyfile(metrics, target)
    return target


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m gankit.expect", description=__doc__.split("\n\n")[0])
    verbs = parser.add_subparsers(dest="verb", required=True)
    keeper = verbs.add_parser("keep", help="keep a standard run as the one the notebook's text must agree with")
    keeper.add_argument("result_folder")
    keeper.add_argument("--other-seed", action="store_true",
                        help="a run at another seed, for the range over seeds the text states and the bars")
    verbs.add_parser("check", help="check every notebook's text against its kept run")
    args = parser.parse_args(argv)
    if args.verb == "keep":
        target = keep(args.result_folder, args.other_seed)
        print(f"kept {target}")
        problems = check(json.loads(target.read_text(encoding="utf-8"))["notebook"])
    else:
        problems = [p for notebook in load_bars() for p in check(notebook)]
    print("\n".join(problems) if problems else "the texts agree with their kept runs")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
