"""Per-assignment limits of the grading sandbox (see `autograder.sandbox.Limits`).

Each graded kernel gets the defaults of `Limits` unless its assignment is listed here.
Under the autograder every notebook runs its `smoke` profile, so these bound a runaway
submission, not honest work (notebook 02 was not yet measured under these limits).
Change a value here (or pass --memory-mb, --processes, --file-size-mb, --cpu-seconds,
--timeout to ``python -m autograder.grade``) when an assignment legitimately needs more.
"""

from __future__ import annotations

import dataclasses

from autograder.sandbox import Limits

# cpu_seconds counts every thread of a process: TensorFlow on a 16-core machine spends CPU time
# 16 times faster than the wall clock, so these are generous; the cell time limit bounds a hang.
ASSIGNMENTS: dict[str, dict] = {
    "00_cook_and_critic": {"memory_mb": 3072, "cpu_seconds": 1800},
    "01_mlp_gan": {"memory_mb": 4096, "cpu_seconds": 3600},
    "02_dcgan": {"memory_mb": 6144, "cpu_seconds": 7200},
}


def limits_for(assignment: str, **overrides) -> Limits:
    """The limits of ``assignment``, with any non-None ``overrides`` applied."""
    values = dict(ASSIGNMENTS.get(assignment, {}))
    values.update({key: value for key, value in overrides.items() if value is not None})
    unknown = set(values) - {field.name for field in dataclasses.fields(Limits)}
    if unknown:
        raise ValueError(f"unknown sandbox limits {sorted(unknown)} for {assignment} in autograder/settings.py")
    return Limits(**values)
