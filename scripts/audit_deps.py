"""`make check`: known vulnerabilities in the pinned dependency set (pip-audit against PyPI's advisory data).

Prints one clear line when the advisory service cannot be asked (offline) or does not know the pinned
versions, instead of failing or silently claiming a clean result; SPRAWA_AUDIT_STRICT=1 makes that an error.
"""

import json
import os
import subprocess  # noqa: S404 (runs the pinned pip-audit of this venv)
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    pip_audit = Path(sys.executable).parent / "pip-audit"
    command = [
        str(pip_audit),
        "-r",
        str(ROOT / "constraints.txt"),
        "--format",
        "json",
        "--progress-spinner",
        "off",
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=600)  # noqa: S603
    strict = os.environ.get("SPRAWA_AUDIT_STRICT") == "1"
    try:
        report = json.loads(result.stdout)
    except json.JSONDecodeError:
        reason = (result.stderr.strip().splitlines() or ["no output"])[-1]
        print(f"pip-audit: DEGRADED — the vulnerability service could not be reached ({reason[:200]}).")
        return 1 if strict else 0
    deps = report.get("dependencies", [])
    vulnerable = [d for d in deps if d.get("vulns")]
    skipped = [d for d in deps if d.get("skip_reason")]
    audited = len(deps) - len(skipped)
    for dep in vulnerable:
        ids = ", ".join(v["id"] for v in dep["vulns"])
        print(f"pip-audit: {dep['name']} {dep.get('version', '')}: {ids}")
    print(
        f"pip-audit: {len(deps)} pinned packages, {audited} audited, "
        f"{len(vulnerable)} with known vulnerabilities."
    )
    if skipped:
        print(
            f"pip-audit: DEGRADED — {len(skipped)} packages could not be audited "
            "(offline, or the advisory service does not know these pinned versions)."
        )
    if vulnerable:
        return 1
    return 1 if strict and skipped else 0


if __name__ == "__main__":
    sys.exit(main())
