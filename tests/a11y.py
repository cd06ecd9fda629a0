"""Accessibility checks in Chromium with axe-core (vendored: tests/vendor/axe-core, MPL-2.0)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

AXE = Path(__file__).resolve().parent / "vendor" / "axe-core" / "axe-4.14.1.min.js"


def serious_violations(target: Any, *, exclude: list[str] | None = None) -> list[str]:
    """axe-core's violations of impact serious or critical on a page or frame, as readable lines."""
    target.add_script_tag(path=str(AXE))
    result = target.evaluate(
        """async (exclude) => {
            const r = await axe.run({exclude: exclude.map(s => [s])}, {resultTypes: ["violations"]});
            return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                           nodes: v.nodes.map(n => n.target.join(" ")).slice(0, 5)}));
        }""",
        exclude or [],
    )
    return [
        f"{v['impact']}: {v['id']} ({v['help']}) at {', '.join(v['nodes'])}"
        for v in result
        if v["impact"] in {"serious", "critical"}
    ]
