"""Write the student-facing course: a tree without solutions or hidden tests, for its own repository.

    python -m autograder.publish OUT
    python -m autograder.publish OUT --repository https://github.com/my-class/gan-course-students

For a graded class, this repository (with `solutions/`: every solution and hidden test)
is the instructor's and can stay private; students get the tree written into ``OUT``,
meant to be pushed as its own public repository: the released notebooks (`course/`,
released afresh from `solutions/`), the `gankit` package, the learner half of the README,
the set-up scripts and lock files, and the licence if there is one. No `solutions/`, no
`autograder/`, no tests. Its Colab badges, setup cells and ``[tool.gankit] repository``
point at the student repository: ``--repository``, else ``student_repository`` in
``[tool.gankit]`` of pyproject.toml.

Before it finishes, every file of the tree is searched for solution and hidden-test
markers; the command fails, naming the file, if one is found (tests/test_publish.py also
plants secrets in the solutions and hidden tests and finds none in the tree). Self-learners need none of this: the
one repository, solutions included, is theirs.
"""

from __future__ import annotations

import argparse
import json
import pathlib
import re
import shutil
import sys
import tempfile

from autograder.release import (NOT_RELEASED, ROOT, _dumps, _read, build_release, course_location, readme_text,
                                sync_notebook)

FILES = ("pyproject.toml", "environment.yml", ".gitignore", "bin/lab", "bin/_venv.sh", "bin/_workspace.py")
LICENCES = ("LICENSE", "LICENSE.md", "LICENSE.txt", "LICENCE", "COPYING")
LEARNER_SECTIONS_END = "## For instructors"  # the README's learner half ends here
KEPT_SECTIONS = ("## Licence and data",)  # ... and these later sections are kept too
MARKERS = ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS")
LINK = re.compile(r"\[([^\]]+)\]\(((?!https?:|#|mailto:)[^)\s]+)\)")


def student_location(root: pathlib.Path, repository: str | None = None) -> dict:
    """[tool.gankit] of ``root``, with the student repository in place of the instructor's."""
    from autograder.release import _toml

    settings = _toml(root / "pyproject.toml").get("tool", {}).get("gankit", {})
    repository = repository or settings.get("student_repository")
    if not repository:
        raise SystemExit("No student repository: pass --repository https://github.com/OWNER/NAME, or set "
                         "student_repository in [tool.gankit] of pyproject.toml. Fix: create an empty public "
                         "GitHub repository for your students and name it there.")
    match = re.fullmatch(r"https://github\.com/([\w.-]+/[\w.-]+?)/?", repository)
    if not match:
        raise SystemExit(f"The student repository must be a GitHub URL such as https://github.com/owner/name, "
                         f"not {repository!r} (Colab opens notebooks from GitHub).")
    location = course_location(root)
    repository = repository.rstrip("/")
    install = settings["install"].format(repository=repository, tag=location["tag"])
    return dict(location, repository=repository, github=match.group(1), install=install)


def learner_readme(text: str) -> str:
    """The README's learner half: everything before "For instructors", and the licence section."""
    head, _, rest = text.partition(LEARNER_SECTIONS_END)
    kept = []
    for section in re.split(r"(?m)^(?=## )", rest):
        if section.startswith(KEPT_SECTIONS):
            kept.append(section)
    return head.rstrip() + "\n\n" + "".join(kept)


def leaks(tree: pathlib.Path) -> list[str]:
    """Files of ``tree`` that hold a solution or hidden-test marker: "path: marker"."""
    problems = []
    for path in sorted(p for p in tree.rglob("*") if p.is_file()):
        text = path.read_bytes().decode("utf-8", errors="ignore")
        problems += [f"{path.relative_to(tree)}: {marker}" for marker in MARKERS if marker in text]
    return problems


def _copy(root: pathlib.Path, out: pathlib.Path, relative: str) -> None:
    source = root / relative
    if source.is_dir():
        shutil.copytree(source, out / relative, ignore=shutil.ignore_patterns(*NOT_RELEASED, "*.egg-info"))
    elif source.is_file():
        (out / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, out / relative)


def publish(out: pathlib.Path, root: pathlib.Path = ROOT, repository: str | None = None) -> dict:
    """Write the student tree into ``out`` (new or empty); return {"files", "bytes", "repository"}."""
    out = pathlib.Path(out)
    if out.exists() and any(out.iterdir()):
        raise SystemExit(f"{out} is not empty. Fix: pass a new folder (or empty this one); "
                         "nothing is overwritten.")
    location = student_location(root, repository)
    with tempfile.TemporaryDirectory(prefix="gan-publish-") as scratch:
        tree = pathlib.Path(scratch) / "tree"
        build_release(tree / "course", root / "solutions")
        for path in sorted((tree / "course").glob("*/*.ipynb")):
            relative = path.relative_to(tree / "course").as_posix()
            path.write_text(_dumps(sync_notebook(_read(path), location, relative)), encoding="utf-8")
        _copy(root, tree, "gankit")
        for relative in (*FILES, "requirements", *LICENCES):
            _copy(root, tree, relative)
        pyproject = (tree / "pyproject.toml").read_text(encoding="utf-8")
        pyproject = re.sub(r'(?m)^repository = ".*"$', f'repository = "{location["repository"]}"', pyproject, count=1)
        pyproject = re.sub(r'(?m)^student_repository = .*\n', "", pyproject)
        (tree / "pyproject.toml").write_text(pyproject, encoding="utf-8")
        readme = readme_text(learner_readme((root / "README.md").read_text(encoding="utf-8")), location)

        def link(match: re.Match) -> str:  # docs the learner half links to come along; others become text
            target = match.group(2).split("#")[0]
            if (tree / target).exists():
                return match.group(0)
            if target.startswith("docs/") and (root / target).exists():
                _copy(root, tree, target)
                if target.endswith(".md"):  # its images
                    for image in re.findall(r"\]\(([^)\s]+\.(?:png|gif|jpg|svg))\)", (root / target).read_text()):
                        _copy(root, tree, (pathlib.PurePosixPath(target).parent / image).as_posix())
                return match.group(0)
            return match.group(1)
        readme = LINK.sub(link, readme)
        note = (f"\n> This is the students' edition of the course: notebooks and helper package, without solutions "
                f"or hidden tests. It lives at {location['repository']}.\n")
        title, _, body = readme.partition("\n")
        (tree / "README.md").write_text(title + "\n" + note + body, encoding="utf-8")
        problems = leaks(tree)
        if problems:
            raise SystemExit("Not published: the student tree holds what must stay secret:\n  " + "\n  ".join(problems))
        out.mkdir(parents=True, exist_ok=True)
        shutil.copytree(tree, out, dirs_exist_ok=True, symlinks=True)
    files = [p for p in out.rglob("*") if p.is_file()]
    return {"files": len(files), "bytes": sum(p.stat().st_size for p in files), "repository": location["repository"]}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out", type=pathlib.Path, help="a new folder for the student repository's files")
    parser.add_argument("--repository", default=None,
                        help="the student repository's GitHub URL (default: [tool.gankit] student_repository)")
    args = parser.parse_args(argv)
    summary = publish(args.out, repository=args.repository)
    print(f"Wrote the student edition ({summary['files']} files, {summary['bytes'] / 1e6:.1f} MB) into {args.out}; "
          f"its links point at {summary['repository']}. Push it there: cd {args.out} && git init && git add -A && "
          "git commit -m 'Course release' && git remote add origin ... && git push, then tag it as in pyproject.toml.")
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
