"""Record a notebook's headline numbers so that tests and benchmarks can read them.

``record("recognised", 0.83)`` prints the value for the learner and, when the
environment variable ``GANKIT_RECORD`` names a file, appends it there as one
JSON line. Tests and ``benchmarks/`` set that variable, run the notebook, then
assert on what it recorded.
"""

from __future__ import annotations

import json
import os

RECORD_ENV = "GANKIT_RECORD"


def _plain(value):
    """Make NumPy scalars, arrays and dataclass reports JSON-friendly."""
    import dataclasses

    import numpy as np

    if dataclasses.is_dataclass(value):
        return {k: _plain(v) for k, v in dataclasses.asdict(value).items()}
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def record(name: str, value, show: bool = True):
    """Print ``name: value`` and, if ``GANKIT_RECORD`` is set, append it to that file as JSON."""
    value = _plain(value)
    if show:
        print(f"{name}: {value}")
    path = os.environ.get(RECORD_ENV)
    if path:
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(json.dumps({"name": name, "value": value}) + "\n")
    return value


def read_records(path) -> dict:
    """All records in a ``GANKIT_RECORD`` file, as {name: last value}."""
    records = {}
    if os.path.exists(path):
        with open(path, encoding="utf-8") as handle:
            for line in handle:
                if line.strip():
                    item = json.loads(line)
                    records[item["name"]] = item["value"]
    return records
