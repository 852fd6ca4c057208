"""scripts/audit_dependencies.py judges pip-audit's report: a vulnerability not accepted fails CI, an accepted one
(by its id or an alias) passes with its reason shown, and a dependency that could not be looked up is named."""

from __future__ import annotations

import importlib.util
from pathlib import Path

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "audit_dependencies.py"
spec = importlib.util.spec_from_file_location("audit_dependencies", SCRIPT)
assert spec and spec.loader
audit_dependencies = importlib.util.module_from_spec(spec)
spec.loader.exec_module(audit_dependencies)

VULN = {"id": "PYSEC-2099-1", "aliases": ["CVE-2099-0001"], "fix_versions": ["9.9"], "description": "x"}


def report(*deps):
    return {"dependencies": list(deps), "fixes": []}


def test_a_known_vulnerability_fails():
    code, lines = audit_dependencies.judge(report({"name": "django", "version": "1.0", "vulns": [VULN]}), {})
    assert code == 1 and "NOT ACCEPTED" in "\n".join(lines)


def test_an_accepted_vulnerability_passes_with_its_reason_by_id_or_alias():
    for key in ("PYSEC-2099-1", "CVE-2099-0001"):
        code, lines = audit_dependencies.judge(
            report({"name": "django", "version": "1.0", "vulns": [VULN]}), {key: "not reachable here; review 2027-01"}
        )
        assert code == 0 and "accepted: not reachable here" in "\n".join(lines)


def test_a_dependency_not_looked_up_is_named_and_fails_only_when_required():
    deps = report(
        {"name": "ruff", "version": "0.1", "skip_reason": "not found"}, {"name": "x", "version": "1", "vulns": []}
    )
    code, lines = audit_dependencies.judge(deps, {})
    assert code == 0 and "1 could not be looked up" in "\n".join(lines) and "ruff" in lines[-1]
    assert audit_dependencies.judge(deps, {}, require_all=True)[0] == 1


def test_the_accepted_file_parses_and_holds_no_unexplained_id():
    for advisory, reason in audit_dependencies.accepted().items():
        assert reason, f"{advisory} is accepted without a reason"
