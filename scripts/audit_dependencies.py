"""pip-audit over the pinned requirements: exit 1 on any known vulnerability not accepted in
.ci/pip-audit-accepted.txt (one advisory id per line, then its reason and a review date).

pip-audit asks PyPI's per-version JSON API (pypi.org/pypi/<name>/<version>/json) for advisories. A dependency it
cannot look up is not a pass: it is counted and named. With SHOTLEE_REQUIRE_AUDIT=1 that fails too (set it where
that API answers; on the project's CI machines it answers 404 for every version, see docs/security.md).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ACCEPTED = ROOT / ".ci" / "pip-audit-accepted.txt"


def accepted() -> dict[str, str]:
    found = {}
    for line in ACCEPTED.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            advisory, _, reason = line.strip().partition(" ")
            found[advisory] = reason.strip()
    return found


def main(requirements: list[str]) -> int:
    args = [sys.executable, "-m", "pip_audit", "--no-deps", "--disable-pip", "--progress-spinner", "off", "-f", "json"]
    for name in requirements:
        args += ["-r", name]
    run = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=600)  # noqa: S603 - our own argv
    try:
        report = json.loads(run.stdout)
    except ValueError:
        print(run.stderr, file=sys.stderr)
        print("pip-audit did not produce a report", file=sys.stderr)
        return 1
    code, lines = judge(report, accepted(), require_all=os.environ.get("SHOTLEE_REQUIRE_AUDIT", "") not in ("", "0"))
    print("\n".join(lines))
    return code


def judge(report: dict, ok: dict[str, str], *, require_all: bool = False) -> tuple[int, list[str]]:
    """Exit code and summary of a pip-audit JSON report: 1 on a vulnerability not accepted (or, with
    `require_all`, on a dependency that could not be looked up)."""
    deps = report["dependencies"]
    unaudited = sorted(d["name"] for d in deps if "skip_reason" in d)
    findings = [(d["name"], d["version"], v) for d in deps for v in d.get("vulns", [])]
    lines, refused = [], 0
    for name, version, vuln in findings:
        ids = [vuln["id"], *vuln.get("aliases", [])]
        reason = next((ok[i] for i in ids if i in ok), None)
        refused += reason is None
        lines.append(f"  {name} {version}: {vuln['id']} ({'accepted: ' + reason if reason else 'NOT ACCEPTED'})")
    audited = len(deps) - len(unaudited)
    lines.append(
        f"pip-audit: {len(deps)} pinned dependencies, {audited} audited, {len(findings)} known vulnerabilities, "
        f"{refused} not accepted, {len(unaudited)} could not be looked up"
    )
    if unaudited:
        lines.append(f"  not looked up (PyPI's JSON API did not answer for them): {', '.join(unaudited)}")
    if refused or (unaudited and require_all):
        return 1, lines
    return 0, lines


if __name__ == "__main__":
    # Both files: pip-audit does not follow requirements-dev.txt's `-r requirements.txt`.
    sys.exit(main(sys.argv[1:] or ["requirements.txt", "requirements-dev.txt"]))
