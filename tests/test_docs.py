"""The docs match the code (issue 13 item 11): every setting documented, every command in the README's
table, no cited file that is not in the repository, every package in the README's layout."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from coordinator.settings import Settings
from tests.conftest import ROOT

DOCS = sorted([ROOT / "README.md", *(ROOT / "docs").glob("*.md"), ROOT / "agreements/README.md",
               ROOT / "data/README.md", ROOT / "bench/README.md"])
# What a repo-relative path starts with: a top-level folder of the repository, or a file at its root.
TOP = sorted({p.name for p in ROOT.iterdir() if not p.name.startswith(".")} | {".ci"})
# Written by commands, not kept in the repository (.gitignore): the benchmarks' reports, test artifacts.
GENERATED = ("bench/results/", "tests/artifacts/")
CITED = re.compile(r"`([^`\s]+)`|\]\(([^)\s#]+)")


def _paths_cited(doc: Path) -> list[str]:
    cited = []
    for match in CITED.finditer(doc.read_text(encoding="utf-8")):
        text = (match.group(1) or match.group(2)).rstrip(".,:;")
        if match.group(2):
            if "://" in text or text.startswith("mailto:"):
                continue
            text = str((doc.parent / text).resolve().relative_to(ROOT.resolve())) if not text.startswith("/") else text
        if any(c in text for c in "*<>{}$|=?") or text.startswith(("/", "-")):
            continue  # URL paths, globs, placeholders, options
        head = text.split("/")[0].split(":")[0]
        if ("/" in text and head in TOP) or text in TOP:
            cited.append(text.split(":")[0].split("::")[0])
    return cited


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: str(p.relative_to(ROOT)))
def test_docs_cite_only_files_in_the_repository(doc: Path) -> None:
    missing = [path for path in _paths_cited(doc) if not (ROOT / path).exists() and not path.startswith(GENERATED)]
    assert missing == []


def test_the_path_finder_finds_paths() -> None:
    cited = _paths_cited(ROOT / "README.md")
    assert "coordinator/settings.py" in cited and "docs/realtime.md" in cited


def test_every_setting_is_documented_in_operations() -> None:
    operations = (ROOT / "docs/operations.md").read_text(encoding="utf-8")
    undocumented = [name for name in Settings.model_fields
                    if not re.search(rf"\bOUEN_{name.upper()}\b", operations)]
    assert undocumented == []


def _command_paths() -> list[str]:
    import typer.main

    from coordinator.cli import app, commands  # noqa: F401  (registers the command groups)

    paths = []
    for name, command in typer.main.get_command(app).commands.items():
        subcommands = getattr(command, "commands", None)
        paths += [f"ouen {name} {sub}" for sub in subcommands] if subcommands else [f"ouen {name}"]
    return paths


def test_every_command_is_in_the_readme_table() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    table = readme[readme.index("## Command line"):readme.index("## How it is built")]
    table = re.sub(r"`ouen (\w[\w-]*) ([\w-]+)/([\w-]+(?:/[\w-]+)*)", lambda m: " ".join(
        f"`ouen {m.group(1)} {sub}`" for sub in [m.group(2), *m.group(3).split("/")]), table)
    missing = [path for path in _command_paths()
               if not re.search(rf"`{re.escape(path)}(?=[ `])", table) and f"{path}`" not in table]
    assert missing == []


def test_every_package_is_in_the_readme_layout() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    layout = readme[readme.index("## How it is built"):readme.index("## Configuration")]
    packages = sorted(p.parent.name for p in (ROOT / "coordinator").glob("*/__init__.py"))
    assert [p for p in packages if not re.search(rf"\b{p}\b", layout)] == []
