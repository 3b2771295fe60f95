"""The dependency audit says how much it checked, not only what it found."""

from __future__ import annotations

from vocplatform.dependency_audit import AuditSummary, Vulnerability, exit_status, render, summarize

NOT_FOUND = "Dependency not found on PyPI and could not be audited"


def skipped(name: str, version: str) -> dict[str, str]:
    return {"name": name, "skip_reason": f"{NOT_FOUND}: {name} ({version})"}


def test_a_report_where_every_dependency_was_skipped_says_nothing_was_checked_and_passes() -> None:
    report = {
        "dependencies": [
            skipped("django", "5.2.8"),
            skipped("celery", "5.6.3"),
            {"name": "vocplatform", "skip_reason": "distribution marked as editable"},
        ],
        "fixes": [],
    }
    summary = summarize(report)
    assert summary == AuditSummary(audited=0, skipped={NOT_FOUND: 2})
    text = render(summary)
    assert text.startswith("pip-audit: 0 of 2 dependencies audited, 0 known vulnerabilities")
    assert f"not audited (2): {NOT_FOUND}" in text
    assert "nothing was checked" in text
    assert exit_status(summary, strict=False) == 0


def test_strict_fails_when_anything_could_not_be_audited() -> None:
    summary = summarize({"dependencies": [{"name": "django", "version": "5.2.8", "vulns": []}, skipped("x", "1")]})
    assert summary.audited == 1 and summary.skipped_count == 1
    assert exit_status(summary, strict=False) == 0
    assert exit_status(summary, strict=True) == 1
    assert "nothing was checked" not in render(summary)


def test_a_vulnerability_fails_and_is_listed_with_the_versions_that_fix_it() -> None:
    report = {
        "dependencies": [
            {
                "name": "django",
                "version": "5.2.0",
                "vulns": [{"id": "PYSEC-2025-1", "fix_versions": ["5.2.1", "5.1.9"], "aliases": []}],
            },
            {"name": "kombu", "version": "5.6.2", "vulns": [{"id": "GHSA-xxxx", "fix_versions": []}]},
            {"name": "celery", "version": "5.6.3", "vulns": []},
        ]
    }
    summary = summarize(report)
    assert summary.vulnerabilities == (
        Vulnerability("django", "5.2.0", "PYSEC-2025-1", ("5.2.1", "5.1.9")),
        Vulnerability("kombu", "5.6.2", "GHSA-xxxx", ()),
    )
    text = render(summary)
    assert "3 of 3 dependencies audited, 2 known vulnerabilities" in text
    assert "django 5.2.0: PYSEC-2025-1 (fixed in 5.2.1, 5.1.9)" in text
    assert "kombu 5.6.2: GHSA-xxxx (fixed in no fixed version yet)" not in text
    assert "kombu 5.6.2: GHSA-xxxx (no fixed version yet)" in text
    assert exit_status(summary, strict=False) == 1


def test_a_clean_full_audit_passes_even_when_strict() -> None:
    summary = summarize({"dependencies": [{"name": "django", "version": "5.2.8", "vulns": []}]})
    assert render(summary) == "pip-audit: 1 of 1 dependencies audited, 0 known vulnerabilities"
    assert exit_status(summary, strict=True) == 0


def test_a_missing_pip_audit_is_an_error_of_its_own(monkeypatch, capsys, tmp_path) -> None:
    from vocplatform import dependency_audit

    monkeypatch.setattr(dependency_audit.sys, "executable", str(tmp_path / "python"))  # no pip-audit beside it
    assert dependency_audit.main([]) == 2
    assert "pip-audit could not be run" in capsys.readouterr().err
