"""Run the course notebooks under a profile and hold them to their quality bars.

Usage, from a checkout (the notebooks are read from ``solutions/``)::

    python -m gankit.run                                   # every notebook, profile smoke, TensorFlow
    python -m gankit.run --profile gpu --backend jax       # the GPU job's command, under JAX
    python -m gankit.run 02_dcgan --profile standard --out build/nb02
    python -m gankit.run --jobs 2                          # two notebooks at a time
    python -m gankit.run gallery build/notebook-runs/*     # rewrite docs/gallery.md from results

Each notebook runs with papermill in its own folder under ``--out`` (default
``build/notebook-runs/<profile>-<backend>``), which then holds the executed notebook,
``metrics.json`` (what the notebook recorded with :func:`gankit.report.record`, the wall
time, the machine and the library versions), whatever the notebook saved under ``runs/``
and ``sample.png``, one picture for the gallery. The run ends with a table and exits
with status 1 when a notebook raised or a recorded number misses its bar.

The bars live in one file, ``gankit/bars.yaml`` (``--bars`` or ``GANKIT_BARS`` point
elsewhere); ``tests/test_notebooks.py`` checks the same file through :func:`check_bars`.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import datetime
import json
import logging
import math
import multiprocessing
import os
import pathlib
import platform
import re
import shutil
import subprocess
import sys
import time

from gankit.profiles import PROFILES

ROOT = pathlib.Path(__file__).resolve().parent.parent
SOLUTIONS = ROOT / "solutions"
BARS_FILE = pathlib.Path(__file__).resolve().parent / "bars.yaml"
BARS_ENV = "GANKIT_BARS"
BACKENDS = ("tensorflow", "jax", "torch")
BAR_KINDS = ("min", "max", "equals", "max_abs", "below", "above")
LIBRARIES = ("keras", "tensorflow", "tensorflow-cpu", "jax", "jaxlib", "torch", "numpy", "papermill")


# -- the bars file -----------------------------------------------------------------------------

def bars_path(path=None) -> pathlib.Path:
    """The bars file in use: ``path``, else ``$GANKIT_BARS``, else ``gankit/bars.yaml``."""
    return pathlib.Path(path or os.environ.get(BARS_ENV) or BARS_FILE)


def load_bars(path=None) -> dict:
    """Read and check the bars file; a malformed entry is a ValueError that names the file and the fix."""
    import yaml

    path = bars_path(path)
    if not path.is_file():
        raise ValueError(f"The bars file {path} does not exist. Fix: pass --bars with the path of a bars file "
                         f"(the course's own is {BARS_FILE}) or unset {BARS_ENV}.")
    with open(path, encoding="utf-8") as handle:
        bars = yaml.safe_load(handle) or {}
    if not isinstance(bars, dict):
        raise ValueError(f"{path}: the file must map notebook names to their bars. Fix: see the comment at its top.")
    for notebook, entry in bars.items():
        if not isinstance(entry, dict):
            raise ValueError(f"{path}: the entry for {notebook} must be a mapping. Fix: see the comment at its top.")
        unknown = set(entry) - {"headline", "sample", "tiles", "expect", "any", *PROFILES}
        if unknown:
            raise ValueError(f"{path}: {notebook} has unknown keys {sorted(unknown)}. Fix: use headline, sample, "
                             f"tiles, expect, any, {', '.join(PROFILES)}.")
        tiles = entry.get("tiles")
        if tiles is not None and not (isinstance(tiles, list) and len(tiles) == 2
                                      and all(isinstance(t, int) and t > 0 for t in tiles)):
            raise ValueError(f"{path}: {notebook} / tiles must be [rows, columns] of the images its sample shows, "
                             f"e.g. [4, 4]; it is {tiles!r}.")
        expect = entry.get("expect")
        if expect is not None and not (isinstance(expect, dict) and isinstance(expect.get("cell"), str)
                                       and all(isinstance(s, dict) and "metric" in s for s in expect.get("says") or [])):
            raise ValueError(f"{path}: {notebook} / expect must give `cell` (the first words of the markdown cell) "
                             f"and `says`, a list of {{metric: ..., as: ...}}. Fix: see gankit/expect.py.")
        for profile in ("any", *PROFILES):
            for bar in entry.get(profile) or []:
                kinds = [k for k in BAR_KINDS if k in bar]
                if not isinstance(bar, dict) or "metric" not in bar or len(kinds) != 1:
                    raise ValueError(f"{path}: {notebook} / {profile}: {bar!r} must name a `metric` and exactly one "
                                     f"of {', '.join(BAR_KINDS)}. Fix: e.g. {{metric: judge.recognised, min: 0.7}}.")
    return bars


def metric_value(metrics: dict, name: str):
    """``metrics["judge"]["recognised"]`` for ``name="judge.recognised"`` (a number indexes a recorded
    list: ``ring_table.0.modes_covered``); KeyError if it was not recorded."""
    value = metrics
    for part in name.split("."):
        if isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        elif isinstance(value, dict) and part in value:
            value = value[part]
        else:
            raise KeyError(name)
    return value


def _bar_text(bar: dict) -> str:
    kind = next(k for k in BAR_KINDS if k in bar)
    symbol = {"min": ">=", "max": "<=", "equals": "==", "max_abs": "|x| <", "below": "<", "above": ">"}[kind]
    return f"{symbol} {bar[kind]}"


def check_bars(notebook: str, profile: str, metrics: dict, bars: dict | None = None) -> list[str]:
    """Every bar of ``notebook`` under ``profile`` that ``metrics`` misses, as one message each.

    A message names the notebook, the profile, the metric, the bar and the value.
    A notebook without an entry in the bars file is a failure too: every notebook has bars.
    """
    bars = load_bars() if bars is None else bars
    if notebook not in bars:
        return [f"{notebook}: the bars file has no entry for this notebook. Fix: add one to {bars_path()}."]
    entry = bars[notebook]
    failures = []
    for bar in list(entry.get("any") or []) + list(entry.get(profile) or []):
        name = bar["metric"]
        where = f"{notebook} (profile {profile}): {name}"
        try:
            value = metric_value(metrics, name)
        except KeyError:
            failures.append(f"{where} was not recorded, so its bar {_bar_text(bar)} cannot be checked. "
                            f"Fix: record it with gankit.report.record in the notebook, or change the bars file.")
            continue
        kind = next(k for k in BAR_KINDS if k in bar)
        target = bar[kind]
        if kind in ("below", "above"):
            try:
                target = metric_value(metrics, bar[kind])
            except KeyError:
                failures.append(f"{where}: its bar compares it with {bar[kind]}, which was not recorded.")
                continue
        if kind == "equals":
            ok = value == target
        elif not isinstance(value, (int, float)) or isinstance(value, bool):
            failures.append(f"{where} = {value!r} is not a number, so it cannot meet the bar {_bar_text(bar)}.")
            continue
        else:
            ok = {"min": value >= target, "max": value <= target, "max_abs": abs(value) < target,
                  "below": value < target, "above": value > target}[kind]
        if not ok:
            shown = f"{bar[kind]} = {target}" if kind in ("below", "above") else target
            symbol = _bar_text(bar).split()[0]
            failures.append(f"{where} = {value!r} misses its bar {symbol} {shown}"
                            + (f" ({bar['why']})" if bar.get("why") else ""))
    return failures


def headline(notebook: str, metrics: dict, bars: dict) -> dict:
    """The numbers the table and the gallery show for ``notebook`` (its bars file ``headline`` list)."""
    shown = {}
    for name in (bars.get(notebook) or {}).get("headline") or []:
        try:
            shown[name] = metric_value(metrics, name)
        except KeyError:
            pass
    return shown


# -- the machine -------------------------------------------------------------------------------

def machine() -> dict:
    """CPU model and count, GPU models (from nvidia-smi) and library versions, for the metrics file."""
    from importlib import metadata

    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            found = re.search(r"^model name\s*:\s*(.+)$", handle.read(), re.M)
        cpu = found.group(1).strip() if found else cpu
    except OSError:
        pass
    gpus = []
    if shutil.which("nvidia-smi"):
        try:
            listed = subprocess.run(["nvidia-smi", "--query-gpu=name,memory.total", "--format=csv,noheader"],
                                    capture_output=True, text=True, timeout=30, check=True).stdout
            gpus = [line.strip() for line in listed.splitlines() if line.strip()]
        except (OSError, subprocess.SubprocessError):
            pass
    versions = {"python": platform.python_version()}
    for name in LIBRARIES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            pass
    commit = None
    try:
        commit = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True,
                                text=True, timeout=10).stdout.strip() or None
    except (OSError, subprocess.SubprocessError):
        pass
    return {"cpu": cpu, "cpu_count": os.cpu_count(), "gpus": gpus, "platform": platform.platform(),
            "versions": versions, "commit": commit}


def hardware_label(info: dict) -> str:
    """``"NVIDIA H100 (GPU)"`` or ``"Intel Xeon ... x 2 CPUs (CPU only)"``, for tables and the gallery."""
    if info.get("gpus"):
        return ", ".join(info["gpus"]) + " (GPU)"
    return f"{info.get('cpu')} x {info.get('cpu_count')} CPUs (CPU only)"


# -- running notebooks -------------------------------------------------------------------------

def find_notebooks(names=(), directory=None) -> dict[str, pathlib.Path]:
    """{name: path} of the notebooks in ``directory`` (default ``solutions/``), all or those ``names`` pick.

    A name may be the folder (``02_dcgan``), its number (``02``) or a path to a notebook.
    """
    directory = pathlib.Path(directory or SOLUTIONS)
    present = {p.parent.name: p for p in sorted(directory.glob("*/*.ipynb"))
               if ".ipynb_checkpoints" not in p.parts}
    if not names:
        if not present:
            raise ValueError(f"No notebooks found in {directory}/*/. Fix: run from a checkout of the course, "
                             f"or pass --notebooks-dir.")
        return present
    chosen = {}
    for name in names:
        path = pathlib.Path(name)
        if path.suffix == ".ipynb" and path.is_file():
            chosen[path.stem] = path
            continue
        matches = [key for key in present if key == name or key.split("_")[0] == name]
        if len(matches) != 1:
            raise ValueError(f"{name!r} does not name one notebook in {directory} (present: "
                             f"{', '.join(present) or 'none'}). Fix: pass a folder name, its number or a path.")
        chosen[matches[0]] = present[matches[0]]
    return chosen


def _sample_image(folder: pathlib.Path, executed: pathlib.Path, cell_text: str | None = None) -> str | None:
    """Pick the gallery picture and save it as ``sample.png``.

    ``cell_text`` is the bars file's ``sample``. When it starts with ``runs/`` it names what the
    run saved: a PNG, a GIF (its last frame is taken), or a folder (its last PNG by name), e.g. a
    grid of samples at the images' own size. Other text picks the last figure of the last cell
    whose source contains it. Without it: the last PNG saved under runs/, else the notebook's
    last figure.
    """
    import base64

    saved = sorted((folder / "runs").rglob("*.png")) if (folder / "runs").is_dir() else []
    target = folder / "sample.png"
    if cell_text and cell_text.startswith("runs/"):
        chosen = folder / cell_text
        if chosen.is_dir():
            chosen = (sorted(chosen.glob("*.png")) or [None])[-1]
        if chosen is None or not chosen.is_file():
            return None
        from PIL import Image

        with Image.open(chosen) as image:
            image.seek(getattr(image, "n_frames", 1) - 1)  # a GIF's last frame: where the run ended
            image.convert("RGB" if image.mode in ("P", "RGBA") else image.mode).save(target, format="PNG")
        return target.name
    if saved and not cell_text:
        shutil.copyfile(saved[-1], target)
        return target.name
    try:
        import nbformat

        notebook = nbformat.read(executed, as_version=4)
    except Exception:  # the notebook may not have been written at all
        return None
    figures = [out["data"]["image/png"] for cell in notebook.cells
               if cell.cell_type == "code" and (not cell_text or cell_text in cell.source)
               for out in cell.get("outputs", []) if "image/png" in out.get("data", {})]
    if not figures:
        return None
    target.write_bytes(base64.b64decode(figures[-1]))
    return target.name


SILENCE_LIMIT = 60  # seconds a cell of a standard run may go without showing anything (tests/test_expect.py)


class _Silences(logging.Handler):
    """When each cell of a running notebook started and when it showed output, from papermill's log.

    With ``log_output=True`` papermill logs "Executing Cell N" as each cell starts and every
    output (printed text, progress lines, warnings, figures) as it arrives.
    """

    def __init__(self):
        super().__init__(logging.INFO)
        self.events = []  # (time, cell number when a cell starts, else None)

    def emit(self, record):
        started = re.match(r"Executing Cell (\d+)", record.getMessage())
        self.events.append((time.monotonic(), int(started.group(1)) if started else None))

    def longest(self, end: float) -> dict:
        """The longest time one cell ran without showing anything: ``{"seconds", "cell"}`` (1-based)."""
        longest, cell, last = {"seconds": 0.0, "cell": None}, None, None
        for at, started in [*self.events, (end, 0)]:
            if cell is not None and at - last > longest["seconds"]:
                longest = {"seconds": round(at - last, 1), "cell": cell}
            if started is not None:
                cell = started or None
            last = at
        return longest


def _cell_start(executed: pathlib.Path, number: int | None) -> str | None:
    """The first line of cell ``number`` (1-based, as papermill counts) of an executed notebook."""
    try:
        cell = json.loads(executed.read_text(encoding="utf-8"))["cells"][number - 1]
    except (OSError, ValueError, IndexError, TypeError, KeyError):
        return None
    return "".join(cell.get("source", "")).strip().splitlines()[0][:80] if cell.get("source") else ""


def _error_text(error: Exception) -> str:
    """One line for a notebook's failure: the exception and the cell it came from."""
    name = getattr(error, "ename", None)
    if name:  # papermill.PapermillExecutionError
        value = str(getattr(error, "evalue", "")).strip().splitlines()
        cell = getattr(error, "exec_count", None)
        return f"{name}: {value[-1] if value else ''} (cell [{cell}])"
    return f"{type(error).__name__}: {str(error).strip().splitlines()[-1] if str(error).strip() else ''}"


def run_notebook(name: str, path, out, profile: str = "smoke", backend: str = "tensorflow",
                 parameters: dict | None = None, kernel: str = "python3", timeout: float | None = None,
                 device: str | None = None, bars: dict | None = None, env: dict | None = None) -> dict:
    """Execute one notebook with papermill in ``out/name/``, write its metrics.json and return it.

    The returned dict holds ``status`` ("passed", "error" or "missed bars"), ``failures``
    (messages that name the notebook, the metric, the bar and the value), ``records``
    (what the notebook recorded), ``wall_seconds``, ``machine`` and the files written.
    ``gankit.bench.run_notebook`` calls it on a scratch folder that it removes afterwards.
    """
    import papermill

    from gankit.report import RECORD_ENV, read_records

    bars = load_bars() if bars is None else bars
    folder = pathlib.Path(out).resolve() / name  # absolute: the kernel runs in folder, and writes records there
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    records = folder / "records.jsonl"
    executed = folder / f"{name}.ipynb"
    overrides = {"GANKIT_PROGRESS": "lines",  # progress as plain lines in the log, at most one per 30 s
                 **(env or {}), RECORD_ENV: str(records), "KERAS_BACKEND": backend, "GANKIT_PROFILE": profile,
                 # figures go into the executed notebook (and the gallery), even where MPLBACKEND=Agg is set
                 "MPLBACKEND": "module://matplotlib_inline.backend_inline"}
    if device is not None:
        overrides["CUDA_VISIBLE_DEVICES"] = device
    saved = {key: os.environ.get(key) for key in overrides}
    os.environ.update(overrides)  # the kernel inherits the environment of this process
    info = machine()  # before the run: the commit and versions it started from
    error = None
    silences, log = _Silences(), logging.getLogger("papermill")
    log_state = log.level, log.propagate
    log.addHandler(silences)
    log.setLevel(logging.INFO)
    log.propagate = False  # the outputs are in the executed notebook; only their times are wanted here
    start = time.perf_counter()
    try:
        papermill.execute_notebook(str(path), str(executed), parameters={"profile": profile, **(parameters or {})},
                                   kernel_name=kernel, cwd=str(folder), progress_bar=False,
                                   execution_timeout=timeout, log_output=True)
    except Exception as caught:  # a cell raised, or the kernel died or timed out
        error = caught
    finally:
        wall = time.perf_counter() - start
        longest_silence = silences.longest(time.monotonic())
        log.removeHandler(silences)
        log.level, log.propagate = log_state
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    recorded = read_records(records)
    if error is not None:
        failures = [f"{name} (profile {profile}, {backend}) raised {_error_text(error)}; "
                    f"the executed notebook is {executed}"]
        status = "error"
    else:
        failures = check_bars(name, profile, recorded, bars)
        if recorded.get("backend", backend) != backend:
            failures.append(f"{name}: ran on backend {recorded['backend']!r}, not the {backend!r} asked for.")
        status = "missed bars" if failures else "passed"
    result = {
        "notebook": name, "source": str(path), "profile": profile, "backend": backend, "status": status,
        "failures": failures, "wall_seconds": round(wall, 1), "records": recorded,
        "headline": headline(name, recorded, bars), "machine": info,
        "parameters": dict(parameters or {}),  # papermill's overrides beyond the profile (gankit.expect reads them)
        "command": " ".join(["python -m gankit.run", name, "--profile", profile, "--backend", backend]
                            + [f"-p {k}={json.dumps(v)}" for k, v in (parameters or {}).items()]),
        "finished": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "load_average": round(os.getloadavg()[0], 1),  # other work on the machine slows the wall time
        # the longest a cell ran with nothing new on screen, and which (its number and first line)
        "longest_silence": dict(longest_silence, starts=_cell_start(executed, longest_silence["cell"])),
        "executed_notebook": executed.name,
        "images": sorted(str(p.relative_to(folder)) for p in (folder / "runs").rglob("*")
                         if p.suffix.lower() in (".png", ".gif", ".jpg")) if (folder / "runs").is_dir() else [],
    }
    result["sample_image"] = _sample_image(folder, executed, (bars.get(name) or {}).get("sample"))
    (folder / "metrics.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return result


def _run_in_worker(kwargs: dict) -> dict:
    """``run_notebook`` in a worker process (module level, so that it can be sent there)."""
    return run_notebook(**kwargs)


def gpu_ids() -> list[str]:
    """The GPU indices nvidia-smi lists (empty without one)."""
    if not shutil.which("nvidia-smi"):
        return []
    try:
        listed = subprocess.run(["nvidia-smi", "--query-gpu=index", "--format=csv,noheader"], capture_output=True,
                                text=True, timeout=30, check=True).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    return [line.strip() for line in listed.splitlines() if line.strip()]


def prepare_judge(backend: str = "tensorflow") -> None:
    """Train and cache the MNIST judge once, before the notebooks run.

    The notebooks' smoke runs do not wait for the judge to train, and skip their judge
    scores without it; the runner trains it first, so that the scores are always measured.
    """
    from gankit.judge import judge_path

    if judge_path().is_file():
        return
    print(f"training the MNIST judge once (cached at {judge_path()}) ...", flush=True)
    subprocess.run([sys.executable, "-m", "gankit.judge"], check=True, env=dict(os.environ, KERAS_BACKEND=backend))


def run_all(notebooks: dict, out, profile: str = "smoke", backend: str = "tensorflow", jobs: int = 1,
            parameters: dict | None = None, kernel: str = "python3", timeout: float | None = None,
            bars_file=None, judge: bool = True) -> list[dict]:
    """Run ``notebooks`` ({name: path}), ``jobs`` at a time; write ``out/summary.json``; return the results.

    With more than one job and more than one GPU, each job gets its own GPU
    (``CUDA_VISIBLE_DEVICES``), handed out in turn. ``judge``: train the MNIST judge first
    if it is not cached yet.
    """
    bars = load_bars(bars_file)
    if judge:
        prepare_judge(backend)
    out = pathlib.Path(out)
    out.mkdir(parents=True, exist_ok=True)
    gpus = gpu_ids() if jobs > 1 else []
    # jobs that share a GPU must not each grab all of its memory, as TensorFlow and JAX do by default
    sharing = {"TF_FORCE_GPU_ALLOW_GROWTH": "true", "XLA_PYTHON_CLIENT_PREALLOCATE": "false"} \
        if gpus and jobs > len(gpus) else {}
    calls = [dict(name=name, path=str(path), out=str(out), profile=profile, backend=backend, parameters=parameters,
                  kernel=kernel, timeout=timeout, bars=bars, env=sharing,
                  device=gpus[i % len(gpus)] if len(gpus) > 1 else None)
             for i, (name, path) in enumerate(notebooks.items())]
    if jobs <= 1 or len(calls) <= 1:
        results = []
        for call in calls:
            print(f"running {call['name']} (profile {profile}, {backend}) ...", flush=True)
            results.append(run_notebook(**call))
            print(f"  {results[-1]['status']} in {results[-1]['wall_seconds']} s", flush=True)
    else:
        context = multiprocessing.get_context("spawn")  # a fresh interpreter per job: no shared state
        with concurrent.futures.ProcessPoolExecutor(max_workers=jobs, mp_context=context) as pool:
            print(f"running {', '.join(notebooks)} (profile {profile}, {backend}), {jobs} at a time ...", flush=True)
            results = list(pool.map(_run_in_worker, calls))
    summary = {"profile": profile, "backend": backend, "jobs": jobs, "machine": machine(),
               "notebooks": [{k: r[k] for k in ("notebook", "status", "wall_seconds", "headline", "failures")}
                             for r in results]}
    (out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    return results


def _format(value) -> str:
    if isinstance(value, float):
        return f"{value:.3g}" if abs(value) < 1000 else f"{value:.0f}"
    return str(value)


def table(results: list[dict]) -> str:
    """A plain-text table: notebook, status, wall time, headline numbers."""
    rows = [("notebook", "status", "wall s", "headline")]
    for r in results:
        numbers = ", ".join(f"{k} {_format(v)}" for k, v in r["headline"].items()) or "-"
        rows.append((r["notebook"], r["status"], f"{r['wall_seconds']:.0f}", numbers))
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    return "\n".join(f"{a:<{widths[0]}}  {b:<{widths[1]}}  {c:>{widths[2]}}  {d}" for a, b, c, d in rows)


# -- the gallery -------------------------------------------------------------------------------

GALLERY = ROOT / "docs" / "gallery.md"
GALLERY_IMAGES = ROOT / "docs" / "gallery"
MAX_IMAGE_BYTES = 250_000
SHOWN_PIXELS = 128  # the gallery shows each image of a picture at least this many pixels wide and high


def _gallery_picture(source: pathlib.Path, target: pathlib.Path, tiles=None) -> pathlib.Path:
    """Write ``source`` for the gallery as ``target`` (its suffix chosen here); returns the file.

    ``tiles`` ([rows, columns], the bars file's) says how many images the picture holds: where
    one is drawn smaller than SHOWN_PIXELS, the picture is enlarged by a whole factor with square
    pixels (nothing is smoothed or invented). The file is a PNG where that stays under
    MAX_IMAGE_BYTES, else a JPEG of the highest quality that does; never a smaller picture.
    """
    from PIL import Image

    with Image.open(source) as opened:
        image = opened.convert("RGB") if opened.mode not in ("RGB", "L") else opened.copy()
    if tiles:
        rows, columns = tiles
        shown = min(image.width / columns, image.height / rows)
        factor = math.ceil(SHOWN_PIXELS / shown) if shown < SHOWN_PIXELS else 1
        if factor > 1:
            image = image.resize((image.width * factor, image.height * factor), Image.Resampling.NEAREST)
    target.parent.mkdir(parents=True, exist_ok=True)
    for stale in (target.with_suffix(".png"), target.with_suffix(".jpg")):
        stale.unlink(missing_ok=True)
    png = target.with_suffix(".png")
    image.save(png, format="PNG", optimize=True)
    if png.stat().st_size < MAX_IMAGE_BYTES:
        return png
    png.unlink()
    jpeg = target.with_suffix(".jpg")
    for quality in range(92, 59, -4):
        image.save(jpeg, format="JPEG", quality=quality, optimize=True)
        if jpeg.stat().st_size < MAX_IMAGE_BYTES:
            return jpeg
    jpeg.unlink()
    raise ValueError(f"{source}: even as a JPEG of quality 60 the picture ({image.width}x{image.height} px) is over "
                     f"{MAX_IMAGE_BYTES:,} bytes. Fix: show fewer images in the notebook's sample picture.")


_ENTRY = re.compile(r"## (\S+): profile `(\S+)`, (\S+), (CPU|GPU)$")


def _kept_entries(gallery: pathlib.Path) -> dict:
    """The entries of an existing gallery page: ``{(notebook, profile, backend): (lines, picture or None)}``."""
    entries, key = {}, None
    if not gallery.is_file():
        return entries
    for line in gallery.read_text(encoding="utf-8").splitlines():
        match = _ENTRY.fullmatch(line)
        if line.startswith("## "):
            key = match.groups()[:3] if match else None
            if key:
                entries[key] = ([], None)
        if key:
            lines, picture = entries[key]
            found = re.search(r"\]\(([^)]+\.(?:png|jpg))\)", line)
            entries[key] = (lines + [line], pathlib.Path(found.group(1)).name if found else picture)
    return entries


def _entry(result: dict, bars: dict, gallery: pathlib.Path, images: pathlib.Path) -> tuple[list, str | None]:
    """One result's section of the gallery page, and the name of its picture."""
    notebook, profile, backend = result["notebook"], result["profile"], result["backend"]
    info = result["machine"]
    lines, picture = [f"## {notebook}: profile `{profile}`, {backend}, {'GPU' if info.get('gpus') else 'CPU'}", ""], None
    if result.get("sample_image"):
        written = _gallery_picture(result["_folder"] / result["sample_image"], images / f"{notebook}-{profile}-{backend}",
                                   (bars.get(notebook) or {}).get("tiles"))
        picture = written.name
        lines += [f"![{notebook}, profile {profile}]({os.path.relpath(written, gallery.parent)})", ""]
    lines += ["| metric | value |", "|---|---|"]
    lines += [f"| {k} | {_format(v)} |" for k, v in result["headline"].items()]
    if result["status"] == "error":
        verdict = "the notebook raised an error"
    else:  # judged by today's bars file, which may have moved since the run
        missed = check_bars(notebook, profile, result["records"], bars)
        verdict = "all met" if not missed else f"{len(missed)} missed: " + "; ".join(
            m.split(": ", 1)[1] for m in missed)
    load = result.get("load_average")
    lines += [f"| wall time of the notebook | {result['wall_seconds']:.0f} s"
              + (f" (load average {load:.1f} at the end)" if load is not None else "") + " |"]
    silence = result.get("longest_silence") or {}
    if silence.get("cell"):
        lines += [f"| longest a cell showed nothing new | {silence['seconds']:.0f} s (cell {silence['cell']}: "
                  f"`{(silence.get('starts') or '').replace('|', '/')}`) |"]
    lines += [f"| bars of `{profile}` in gankit/bars.yaml | {verdict} |", ""]
    versions = ", ".join(f"{k} {v}" for k, v in info.get("versions", {}).items())
    lines += [f"- Command: `{result['command']}`",
              f"- Hardware: {hardware_label(info)}",
              f"- Software: {versions}",
              f"- Commit {info.get('commit') or 'unknown'}, finished {result.get('finished', 'unknown')}", ""]
    return lines, picture


def write_gallery(result_dirs, gallery=GALLERY, images=GALLERY_IMAGES, note: str | None = None,
                  keep: bool = True) -> str:
    """Rewrite the gallery page from the runner's result folders; returns the page's text.

    Each folder is one runner ``--out`` (a profile and a backend), or one notebook's
    folder inside it. A later folder's result for the same notebook, profile and
    backend replaces an earlier one. Bars are judged by today's bars file. With ``keep``
    (the default), the page's other entries stay as they are, pictures included, so that one
    notebook's rerun replaces its own entry only; without it the page holds these results alone.
    """
    gallery, images = pathlib.Path(gallery), pathlib.Path(images)
    bars = load_bars()
    results = {}
    for directory in map(pathlib.Path, result_dirs):
        found = [directory / "metrics.json"] if (directory / "metrics.json").is_file() \
            else sorted(directory.glob("*/metrics.json"))
        if not found:
            raise ValueError(f"{directory} holds no */metrics.json. Fix: pass a folder that `python -m gankit.run "
                             f"--out FOLDER` wrote, or one notebook's folder in it.")
        for path in found:
            result = json.loads(path.read_text(encoding="utf-8"))
            result["_folder"] = path.parent
            results[(result["notebook"], result["profile"], result["backend"])] = result
    images.mkdir(parents=True, exist_ok=True)
    entries = {key: value for key, value in _kept_entries(gallery).items()
               if keep and (value[1] is None or (images / value[1]).is_file())}
    entries.update({key: _entry(result, bars, gallery, images) for key, result in results.items()})
    lines = ["# Results gallery", "",
             "What the course notebooks produced when the runner executed them. Every entry names the command,",
             "the profile and the hardware that produced it. Regenerate this page with",
             "", "```bash",
             "python -m gankit.run --profile standard --out build/notebook-runs/standard-tensorflow",
             "python -m gankit.run gallery build/notebook-runs/standard-tensorflow [more result folders]",
             "```", "",
             "A result replaces the entry of the same notebook, profile and backend; the other entries stay",
             "(`--fresh` starts the page again).",
             f"Each picture shows its images at least {SHOWN_PIXELS} pixels wide (smaller ones enlarged with square",
             "pixels, nothing smoothed). Results from a CPU-only machine are labelled **CPU**; the `gpu` and",
             "`full` profiles are meant for a GPU, and their results appear here once a GPU runner has",
             "produced them (the GPU job of `.github/workflows/ci.yml` uploads them as an artifact).", ""] \
        + ([note, ""] if note else [])
    order = {p: i for i, p in enumerate(PROFILES)}
    for key in sorted(entries, key=lambda k: (k[0], order.get(k[1], 9), k[2])):
        lines += entries[key][0]
        if lines[-1] != "":
            lines.append("")
    if not any(section[0].endswith(", GPU") for section, _ in entries.values()):
        lines += ["## GPU results", "",
                  "None yet: no GPU run has produced results for this page (no device was lent to this work).",
                  "The `gpu` profile's numbers (and `full`'s, when a run is started by hand), and the benchmark's",
                  "fused vs toggling vs PyTorch eager images/s at batch 256 on a GPU, will appear here from the",
                  "GPU job's artifact.", ""]
    text = "\n".join(lines)
    pictures = {picture for _, picture in entries.values() if picture}
    for stale in [*images.glob("*.png"), *images.glob("*.jpg")]:  # pictures of entries no longer on the page
        if stale.name not in pictures:
            stale.unlink()
    gallery.parent.mkdir(parents=True, exist_ok=True)
    gallery.write_text(text, encoding="utf-8")
    return text


# -- command line ------------------------------------------------------------------------------

def parameter(text: str):
    """A ``-p NAME=VALUE`` argument as ``(name, value)``: the value as JSON if it parses, else the text."""
    name, sep, value = text.partition("=")
    if not sep or not name:
        raise argparse.ArgumentTypeError(f"-p {text!r}: write NAME=VALUE, e.g. -p epochs=3")
    try:
        return name, json.loads(value)
    except ValueError:
        return name, value


def build_parser() -> argparse.ArgumentParser:
    """The runner's command line (the GPU workflow's command and the test suite's both go through it)."""
    parser = argparse.ArgumentParser(prog="python -m gankit.run", description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="*", help="names (02_dcgan), numbers (02) or paths; default: all")
    parser.add_argument("--profile", default="smoke", choices=PROFILES)
    parser.add_argument("--backend", default=os.environ.get("KERAS_BACKEND", "tensorflow"), choices=BACKENDS)
    parser.add_argument("--jobs", type=int, default=1, help="notebooks run at the same time (default 1)")
    parser.add_argument("--out", default=None, help="result folder (default build/notebook-runs/PROFILE-BACKEND)")
    parser.add_argument("--bars", default=None, help=f"bars file (default ${BARS_ENV} or {BARS_FILE})")
    parser.add_argument("--notebooks-dir", default=None, help="where the notebook folders are (default solutions/)")
    parser.add_argument("-p", "--parameter", action="append", default=[], type=parameter, metavar="NAME=VALUE",
                        help="another notebook parameter for every notebook, e.g. -p seed=7")
    parser.add_argument("--kernel", default="python3", help="Jupyter kernel (default python3)")
    parser.add_argument("--timeout", type=float, default=None, help="seconds one cell may take (default: no limit)")
    parser.add_argument("--no-judge", action="store_true", help="do not train the MNIST judge first if it is missing")
    return parser


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["gallery"]:
        parser = argparse.ArgumentParser(prog="python -m gankit.run gallery",
                                         description="Rewrite docs/gallery.md from the runner's result folders.")
        parser.add_argument("results", nargs="+", help="folders written by python -m gankit.run --out")
        parser.add_argument("--gallery", default=str(GALLERY))
        parser.add_argument("--images", default=str(GALLERY_IMAGES))
        parser.add_argument("--note", default=None, help="a paragraph for the top of the page")
        parser.add_argument("--fresh", action="store_true",
                            help="drop the page's other entries (by default a result replaces only its own entry)")
        args = parser.parse_args(argv[1:])
        write_gallery(args.results, args.gallery, args.images, args.note, keep=not args.fresh)
        print(f"wrote {args.gallery}")
        return 0
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.jobs < 1:
        parser.error("--jobs must be at least 1")
    try:
        notebooks = find_notebooks(args.notebooks, args.notebooks_dir)
        out = pathlib.Path(args.out or ROOT / "build" / "notebook-runs" / f"{args.profile}-{args.backend}")
        results = run_all(notebooks, out, args.profile, args.backend, args.jobs, dict(args.parameter), args.kernel,
                          args.timeout, args.bars, judge=not args.no_judge)
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print()
    print(table(results))
    print(f"\nresults: {out} (hardware: {hardware_label(results[0]['machine'])})")
    failures = [message for r in results for message in r["failures"]]
    for message in failures:
        print(f"FAILED {message}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
