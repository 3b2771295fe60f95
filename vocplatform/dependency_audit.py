"""pip-audit's verdict, saying how much of the environment it could check.

pip-audit prints "No known vulnerabilities found" also when it audited nothing: where its
vulnerability service (PyPI's JSON API) is out of reach, it skips every dependency as "not found
on PyPI" and still exits 0. This runs it with JSON output and prints how many dependencies were
audited, how many were skipped and why, and each vulnerability with the versions that fix it.

    python -m vocplatform.dependency_audit [--strict]

Exit status: 1 when a vulnerability is found; with ``--strict`` also when any dependency could
not be audited (for a machine that can reach the service); 2 when pip-audit itself fails.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PIP_AUDIT_ARGS = ("--skip-editable", "--progress-spinner", "off", "--format", "json")
EDITABLE_REASON = "distribution marked as editable"  # the project itself, not a dependency


@dataclass(frozen=True)
class Vulnerability:
    package: str
    version: str
    id: str
    fix_versions: tuple[str, ...]


@dataclass(frozen=True)
class AuditSummary:
    audited: int
    skipped: Mapping[str, int] = field(default_factory=dict)  # reason, without the package → count
    vulnerabilities: tuple[Vulnerability, ...] = ()

    @property
    def skipped_count(self) -> int:
        return sum(self.skipped.values())


def summarize(report: Mapping[str, Any]) -> AuditSummary:
    """Count what pip-audit's JSON report (``--format json``) audited, skipped and found."""
    audited, skipped, found = 0, Counter[str](), []
    for dependency in report.get("dependencies", []):
        reason = dependency.get("skip_reason")
        if reason is None:
            audited += 1
            name, version = dependency["name"], dependency.get("version", "?")
            for vuln in dependency.get("vulns", []):
                found.append(Vulnerability(name, version, vuln["id"], tuple(vuln.get("fix_versions", ()))))
        elif reason != EDITABLE_REASON:
            skipped[_general(reason)] += 1
    return AuditSummary(audited, dict(skipped), tuple(found))


def render(summary: AuditSummary) -> str:
    total = summary.audited + summary.skipped_count
    found = len(summary.vulnerabilities)
    lines = [f"pip-audit: {summary.audited} of {total} dependencies audited, {found} known vulnerabilities"]
    lines += [f"  not audited ({count}): {reason}" for reason, count in sorted(summary.skipped.items())]
    if summary.skipped_count and not summary.audited:
        lines.append("  nothing was checked: pip-audit could look up none of them (is its service reachable?)")
    for v in summary.vulnerabilities:
        fixed = f"fixed in {', '.join(v.fix_versions)}" if v.fix_versions else "no fixed version yet"
        lines.append(f"  {v.package} {v.version}: {v.id} ({fixed})")
    return "\n".join(lines)


def exit_status(summary: AuditSummary, *, strict: bool) -> int:
    if summary.vulnerabilities:
        return 1
    return 1 if strict and summary.skipped_count else 0


def _general(reason: str) -> str:
    """pip-audit names the package after a colon ("...: django (5.2)"); one line per kind of reason."""
    return reason.split(":", 1)[0].strip()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--strict", action="store_true", help="fail when any dependency could not be audited")
    args = parser.parse_args(argv)
    pip_audit = Path(sys.executable).with_name("pip-audit")
    try:
        run = subprocess.run([str(pip_audit), *PIP_AUDIT_ARGS], capture_output=True, text=True, check=False)
    except OSError as error:
        sys.stderr.write(f"pip-audit could not be run ({error}); is it installed in this environment?\n")
        return 2
    try:
        report = json.loads(run.stdout)
    except json.JSONDecodeError:
        sys.stderr.write(f"pip-audit failed (exit code {run.returncode}):\n{run.stderr[-3000:]}")
        return 2
    summary = summarize(report)
    print(render(summary))
    return exit_status(summary, strict=args.strict)


if __name__ == "__main__":
    raise SystemExit(main())
