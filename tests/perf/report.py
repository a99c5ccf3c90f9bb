"""What every benchmark shares: percentiles and the JSON report it prints and writes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def write_report(name: str, smoke: bool, results: Any, path: Path) -> dict[str, Any]:
    report = {"benchmark": name, "smoke": smoke, "results": results}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=2))
    return report
