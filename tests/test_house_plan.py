"""The layer contract in pyproject.toml holds, and it really catches an import that runs up."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")
PACKAGES = ("aqari", "demo", "assistant", "billing", "privacy", "messaging", "leads", "accounts")
PACKAGES += ("tenants", "core")


def lint_imports(cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        env={"PATH": str(LINT_IMPORTS.parent), "PYTHONPATH": str(cwd)},
    )


def test_the_layers_point_one_way():
    result = lint_imports(ROOT)

    assert result.returncode == 0, result.stdout + result.stderr


def test_an_import_that_runs_up_breaks_the_contract(tmp_path):
    # given a copy of the code where tenants imports leads
    for name in PACKAGES:
        shutil.copytree(ROOT / name, tmp_path / name)
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    selectors = tmp_path / "tenants" / "selectors.py"
    selectors.write_text(selectors.read_text() + "\nimport leads.models  # noqa\n")

    # when the contract is checked
    result = lint_imports(tmp_path)

    # then it fails, naming the import
    assert result.returncode != 0
    assert "tenants.selectors -> leads.models" in result.stdout
