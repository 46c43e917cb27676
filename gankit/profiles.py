"""Run profiles: how long a notebook trains.

Every notebook trains under one of three profiles:

* ``smoke``    -- seconds; CI and the autograder use it to prove the code runs.
* ``standard`` -- minutes on a laptop CPU; the default for a learner.
* ``full``     -- the paper-scale run, meant for a GPU.

The profile is chosen, first match wins, by:

1. ``NBGRADER_EXECUTION`` being set (the autograder always runs ``smoke``);
2. the notebook's ``profile`` parameter (papermill injects it);
3. the environment variable ``GANKIT_PROFILE``;
4. otherwise ``standard``.

Each notebook states its own numbers for the three profiles, right before it
trains, with :func:`choose_profile`.
"""

from __future__ import annotations

import os
import types

PROFILES = ("smoke", "standard", "full")
PROFILE_ENV = "GANKIT_PROFILE"


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


def choose_profile(profile: str | None = None, *, smoke: dict, standard: dict, full: dict,
                   **overrides) -> types.SimpleNamespace:
    """Pick this notebook's settings for the active profile.

    ``smoke``, ``standard`` and ``full`` are dicts of settings (``epochs``,
    ``batch_size``, ...). Keyword ``overrides`` that are not None win over the
    profile's value, so a papermill parameter such as ``epochs=3`` takes effect
    (except under the autograder, which always keeps the smoke settings).
    Returns a namespace, e.g. ``run.epochs``; ``run.profile`` names the profile.
    """
    name = profile_name(profile)
    table = {"smoke": smoke, "standard": standard, "full": full}
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
                        return {k.arg: ast.literal_eval(k.value) for k in keyword.value.keywords}
    raise ValueError(f"{path} has no choose_profile(..., {name}=dict(...)) call. Fix: state the profile there.")
