"""The package's shape holds: one-way imports, no cycles, config docs made from the config."""

from __future__ import annotations

import ast
import re
import shutil
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from feedpub.config import init_toml, keys, load_config, markdown_table
from tests.conftest import REPO

SRC = REPO / "src" / "feedpub"
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def _lint_imports(src: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(LINT_IMPORTS), "--no-cache", "--config",
                           str(REPO / "pyproject.toml")], cwd=src.parent, capture_output=True,
                          text=True, env={"PYTHONPATH": str(src.parent), "PATH": "/usr/bin:/bin"},
                          timeout=120)


@pytest.mark.skipif(not LINT_IMPORTS.exists(), reason="import-linter not installed")
@pytest.mark.parametrize(("module", "added", "broken"), [
    (None, "", None),
    ("posts/fields.py", "import feedpub.posts.read", "No import cycle"),  # a cycle in a package
    ("render/html.py", "import feedpub.build", "Layers"),  # a lower stage importing a higher
    ("build/keys.py", "from feedpub import digest", "Layers"),  # the build touching digests
])
def test_import_contracts_hold_and_break_on_a_cycle_or_a_wrong_way_import(
        tmp_path: Path, module: str | None, added: str, broken: str | None) -> None:
    copy = tmp_path / "src" / "feedpub"
    shutil.copytree(SRC, copy, ignore=shutil.ignore_patterns("__pycache__"))
    if module:
        with open(copy / module, "a", encoding="utf-8") as handle:
            handle.write(f"\n{added}  # noqa\n")
    result = _lint_imports(copy)
    if broken is None:
        assert result.returncode == 0, result.stdout + result.stderr
    else:
        assert result.returncode != 0
        assert f"{broken}" in result.stdout.split("Broken contracts")[-1], result.stdout


def test_feedpub_modules_import_each_other_at_the_top_only_the_cli_defers() -> None:
    deferred = []
    for path in sorted(SRC.rglob("*.py")):
        if path.name == "cli.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                for inner in ast.walk(node):
                    module = inner.module if isinstance(inner, ast.ImportFrom) else (
                        inner.names[0].name if isinstance(inner, ast.Import) else "")
                    if (module or "").startswith("feedpub"):
                        deferred.append(f"{path.relative_to(SRC)}:{inner.lineno}: {module}")
    assert deferred == []


def test_the_readme_table_is_the_declared_config() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert markdown_table() in readme, "the README's config table drifted from config.py"


def test_init_toml_lists_every_key_and_reads_back_as_the_defaults(tmp_path: Path) -> None:
    text = init_toml()
    for key in keys():
        assert f"{key.name} = " in text, key
    defaults = load_config(cwd=tmp_path)  # no file: every default
    (tmp_path / "feedpub.toml").write_text(text, encoding="utf-8")
    assert replace(load_config(tmp_path / "feedpub.toml"), file=None) == defaults
    examples = re.sub(r"^# (\w+ = )", r"\1", text, flags=re.MULTILINE)  # uncommented
    (tmp_path / "feedpub.toml").write_text(examples, encoding="utf-8")
    load_config(tmp_path / "feedpub.toml")  # every example is valid TOML and a valid value
