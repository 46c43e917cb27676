"""Run profiles: how long a notebook trains.

Every notebook trains under one of four profiles:

* ``smoke``    -- seconds; CI and the autograder use it to prove the code runs.
* ``standard`` -- minutes on a laptop CPU; the default for a learner.
* ``gpu``      -- sized to finish in at most :data:`GPU_SESSION_MINUTES` minutes on one T4-class
  GPU (a free Colab GPU, the CI workflow's GPU job), as far as an estimate can say: no GPU
  has run it yet. Its size comes from the CPU's measured seconds per step at its settings
  (``python -m gankit.bench fullshape --profile gpu``) divided by :data:`GPU_SPEEDUP`.
* ``full``     -- the paper-scale run, meant for a GPU and started by hand; it checkpoints, so
  it can go on over several sessions.

The profile is chosen, first match wins, by:

1. ``NBGRADER_EXECUTION`` being set (the autograder always runs ``smoke``);
2. the notebook's ``profile`` parameter (papermill injects it);
3. the environment variable ``GANKIT_PROFILE``;
4. otherwise ``standard``.

Each notebook states its own numbers for the profiles, right before it trains, with
:func:`choose_profile`.
"""

from __future__ import annotations

import os
import types

PROFILES = ("smoke", "standard", "gpu", "full")
PROFILE_ENV = "GANKIT_PROFILE"
GPU_SESSION_MINUTES = 45  # the gpu profile's budget per notebook on one T4-class GPU
# How much faster a T4 trains than a CPU, for sizing the gpu profile from CPU step times. Al Amin
# et al. 2026 ("Democratizing AI: a comparative study in deep learning efficiency", arXiv
# 2603.20920) trained four models on Intel Xeon CPUs and on NVIDIA Tesla T4 GPUs and measured
# speed-ups from 11x (CycleGAN) to 246x (a small CNN), 51-116x for VGG16 and ResNet18. We take
# the smallest, 11x: their CPU had more cores than the 2 we measure on, so the true speed-up over
# our CPU is larger, and a profile sized with 11x should finish early rather than late.
GPU_SPEEDUP = 11


def profile_name(profile: str | None = None) -> str:
    """Decide which profile runs, following the order in the module docstring."""
    if os.environ.get("NBGRADER_EXECUTION"):
        return "smoke"
    for candidate, source in ((profile, "the notebook's `profile` parameter"),
                              (os.environ.get(PROFILE_ENV), f"the {PROFILE_ENV} environment variable")):
        if candidate is None or str(candidate).strip() == "":
            continue
        name = str(candidate).strip().lower()
        if name not in PROFILES:
            raise ValueError(f"{source} is {candidate!r}; choose one of {', '.join(PROFILES)}.")
        return name
    return "standard"


def choose_profile(profile: str | None = None, *, smoke: dict, standard: dict, full: dict, gpu: dict | None = None,
                   **overrides) -> types.SimpleNamespace:
    """Pick this notebook's settings for the active profile.

    ``smoke``, ``standard``, ``gpu`` and ``full`` are dicts of settings (``epochs``,
    ``batch_size``, ...). Keyword ``overrides`` that are not None win over the
    profile's value, so a papermill parameter such as ``epochs=3`` takes effect
    (except under the autograder, which always keeps the smoke settings).
    Returns a namespace, e.g. ``run.epochs``; ``run.profile`` names the profile.
    """
    name = profile_name(profile)
    table = {"smoke": smoke, "standard": standard, "gpu": gpu, "full": full}
    if table[name] is None:
        raise ValueError(f"this notebook has no {name!r} profile. Fix: choose one of "
                         f"{', '.join(p for p in PROFILES if table[p] is not None)}.")
    settings = dict(table[name])
    grading = bool(os.environ.get("NBGRADER_EXECUTION"))
    for key, value in overrides.items():
        if value is not None and not (grading and key in settings):
            settings[key] = value
    return types.SimpleNamespace(profile=name, **settings)


def describe(run: types.SimpleNamespace) -> str:
    """One line that says what will run, for the notebook to print before training."""
    fields = ", ".join(f"{k}={v}" for k, v in vars(run).items() if k != "profile")
    return f"profile '{run.profile}': {fields}"


def notebook_profile(notebook, name: str = "full") -> dict:
    """The settings a notebook's ``choose_profile(...)`` call gives profile ``name``, read from its source.

    For tools that size a notebook's run without running it (``python -m gankit.bench
    fullshape``, the full-shape tests): the settings are read, not copied, so they cannot
    drift from the notebook. ``notebook`` is the path of an ``.ipynb`` file.
    """
    import ast
    import json
    import pathlib

    if name not in PROFILES:
        raise ValueError(f"profile {name!r} is not one of {', '.join(PROFILES)}.")
    path = pathlib.Path(notebook)
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    for cell in cells:
        source = "".join(cell["source"]) if cell["cell_type"] == "code" else ""
        if "choose_profile(" not in source:
            continue
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "choose_profile":
                for keyword in node.keywords:
                    if keyword.arg == name and isinstance(keyword.value, ast.Call):
                        return {k.arg: _literal(k.value) for k in keyword.value.keywords}
    raise ValueError(f"{path} has no choose_profile(..., {name}=dict(...)) call. Fix: state the profile there.")


def _literal(node):
    """A setting's value as written: the value itself, or its source text where it is an expression
    (``recipes=list(stable.RECIPES)`` gives ``"list(stable.RECIPES)"``): read, never evaluated."""
    import ast

    try:
        return ast.literal_eval(node)
    except ValueError:
        return ast.unparse(node)


def gpu_minutes(cpu_seconds_per_step: float, steps: int) -> float:
    """The estimated minutes of ``steps`` training steps on a T4, from the CPU's seconds per step."""
    return cpu_seconds_per_step * steps / GPU_SPEEDUP / 60
