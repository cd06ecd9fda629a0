"""The layers hold: import-linter's contract (pyproject.toml) and ccaas/check_imports.py pass on the
tree, and the checker does catch a private cross-app import and an import cycle."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from ccaas.check_imports import check

ROOT = Path(__file__).resolve().parents[2]


def test_apps_depend_downward_only() -> None:
    result = subprocess.run(
        [str(Path(sys.executable).parent / "lint-imports")], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout[-4000:]
    assert "Apps depend downward only KEPT" in result.stdout


def test_no_private_cross_app_imports_and_no_cycles() -> None:
    assert check(ROOT) == []


def _tree(tmp_path: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return tmp_path


def test_the_checker_catches_a_private_name_a_private_module_and_a_cycle(tmp_path: Path) -> None:
    root = _tree(
        tmp_path,
        {
            "apps/__init__.py": "",
            "apps/low/__init__.py": "",
            "apps/low/actions.py": "def _helper(): pass\nfrom .models import X\n",
            "apps/low/models.py": "def f():\n    from .actions import _helper\n",
            "apps/low/_internal.py": "",
            "apps/high/__init__.py": "",
            "apps/high/actions.py": (
                "from apps.low.actions import _helper\nimport apps.low._internal\nfrom apps.low import actions\n"
            ),
        },
    )
    findings = check(root)
    assert any("high/actions.py:1" in f and "_helper" in f for f in findings), findings
    assert any("high/actions.py:2" in f and "apps.low._internal" in f for f in findings), findings
    assert "import cycle: apps.low.actions <-> apps.low.models" in findings
    assert len(findings) == 3  # the same app's private names, and a public import, are fine
