"""The dashboards and the PDF packs on 1,000,000 responses and 100,000 loops, on PostgreSQL.

A throwaway database `vocbench_reports_<pid>` is created, migrated and dropped at the end. Staff
(one admin, 5 supervisors leading 10 teams of 5 managers), 20,000 accounts with a contact each,
three surveys (NPS, CSAT, CES), 1,200,000 invitations over the last year of which 1,000,000 are
answered (with analysed themes), and 100,000 loops on detractors' answers (closed, resolved and
open; escalations, overrides, plan steps, root causes, timeline events) are written with
INSERT … SELECT generate_series, not row by row.

Each main dashboard figure is timed through its selector (median of 5 warm runs, as the admin who
sees everything and as one supervisor) beside a plain SQL GROUP BY of the same figure, the floor
no ORM query can beat. Then the management review pack of one week (about 50 pages) is rendered
to PDF, with its time and the process's peak RSS.

    .venv/bin/python bench/reports.py [--responses 1000000] [--loops 100000]
"""

# ruff: noqa: E501 - the SQL that generates the data reads better with one clause per line, however long

from __future__ import annotations

import argparse
import datetime as dt
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _stack  # the helpers sit next to this script (sys.path above), not in an installed package
import _summary

ACCOUNTS = 20_000
RUNS = 5


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--responses", type=int, default=1_000_000, help="answered invitations (default 1,000,000)")
    parser.add_argument("--loops", type=int, default=100_000, help="loops (default 100,000)")
    args = parser.parse_args()
    if args.responses < 1000 or not 1 <= args.loops <= args.responses // 3:
        parser.error("--responses at least 1000, --loops between 1 and a third of the responses")
    return args


def create_staff_and_accounts() -> dict[str, Any]:
    from surveys.models import Account, Contact, Survey
    from vocplatform.models import Team, User

    admin = User.objects.create(username="admin", role="admin")
    supervisors = User.objects.bulk_create(User(username=f"sup{i}", role="supervisor") for i in range(5))
    teams = Team.objects.bulk_create(Team(name=f"Team {i}", supervisor=supervisors[i // 2]) for i in range(10))
    managers = User.objects.bulk_create(
        User(username=f"mgr{i}", first_name=f"Manager {i}", role="manager", team=teams[i // 5]) for i in range(50)
    )
    segments, regions, units = (
        ["SMB", "Mid-market", "Enterprise"],
        ["EMEA", "AMER", "APAC"],
        ["Cloud", "Retail", "Health"],
    )
    lines = [["Analytics"], ["Storage"], ["Analytics", "Storage"], ["Security", "Storage"]]
    accounts = Account.objects.bulk_create(
        (
            Account(
                external_id=f"B{n}",
                name=f"Account {n}",
                owner=managers[n % 50],
                segment=segments[n % 3],
                region=regions[n % 7 % 3],
                business_unit=units[n % 5 % 3],
                product_lines=lines[n % 4],
                churned_at=dt.date.today() - dt.timedelta(days=n % 300) if n % 25 == 0 else None,
            )
            for n in range(ACCOUNTS)
        ),
        batch_size=5000,
    )
    Contact.objects.bulk_create((Contact(account=a, email=f"c{a.pk}@bench.example") for a in accounts), batch_size=5000)
    surveys = {
        k: Survey.objects.create(name=f"Bench {k}", touchpoint=f"tp-{k}", status="active")
        for k in ("nps", "csat", "ces")
    }
    return {"admin": admin, "supervisor": supervisors[0], "surveys": surveys}


def sql_data(responses: int, loops: int, surveys: dict[str, Any]) -> None:
    from django.db import connection

    from loops.models import SlaPolicy

    policy = SlaPolicy.objects.get(name="Urgent (on the clock)").pk
    invitations = responses + responses // 5
    params = {
        "inv": invitations, "ans": responses, "loops": loops, "nps": surveys["nps"].pk, "csat": surveys["csat"].pk,
        "ces": surveys["ces"].pk, "policy": policy,
    }  # fmt: skip
    steps = [
        ("invitations", INVITATIONS),
        ("responses", RESPONSES),
        ("analyses", ANALYSES),
        ("loops", LOOPS),
        ("loop details", DETAILS),
    ]
    with connection.cursor() as cursor:
        cursor.execute("SELECT setseed(0.42)")
        for label, sql in steps:
            started = time.perf_counter()
            for statement in sql.split(";\n"):
                if statement.strip():
                    # With parameters psycopg reads % as a placeholder: the modulo operator is %%.
                    cursor.execute(statement.replace(" % ", " %% "), params)
            print(f"  {label}: {time.perf_counter() - started:.0f} s", flush=True)


INVITATIONS = """
INSERT INTO surveys_invitation (survey_id, contact_id, account_id, status, suppressed_by, suppression_detail,
    token_nonce, token_hash, scheduled_for, expires_at, sent_at, reminders_sent, created_at)
SELECT CASE WHEN t.g % 10 < 7 THEN %(nps)s WHEN t.g % 10 < 9 THEN %(csat)s ELSE %(ces)s END,
       c.id, c.account_id, CASE WHEN t.g <= %(ans)s THEN 'answered' ELSE 'expired' END, '', '',
       md5('n' || t.g), md5('h' || t.g), t.at, t.at + interval '14 days', t.at, 0, t.at
-- random() in the select list is drawn per row (an uncorrelated LATERAL would be drawn once).
FROM (SELECT g, now() - random() * interval '365 days' AS at FROM generate_series(1, %(inv)s) AS g) t
JOIN (SELECT id, account_id, row_number() OVER (ORDER BY id) - 1 AS n FROM surveys_contact) c
  ON c.n = t.g % (SELECT count(*) FROM surveys_contact)
"""

RESPONSES = """
INSERT INTO surveys_response (invitation_id, survey_id, contact_id, account_id, touchpoint, score_kind, score,
    score_band, comment, consent_to_attribution, submitted, created_at, updated_at, edits, theme_names)
SELECT i.id, i.survey_id, i.contact_id, i.account_id, s.touchpoint, k.kind, k.score,
       CASE WHEN k.kind = 'nps' THEN (CASE WHEN k.score <= 6 THEN 'detractor' WHEN k.score <= 8 THEN 'passive' ELSE 'promoter' END)
            WHEN k.kind = 'ces' THEN (CASE WHEN k.score >= 5 THEN 'detractor' WHEN k.score = 4 THEN 'passive' ELSE 'promoter' END)
            ELSE (CASE WHEN k.score <= 2 THEN 'detractor' WHEN k.score = 3 THEN 'passive' ELSE 'promoter' END) END,
       'Comment number ' || i.id, i.id % 3 = 0, true, i.sent_at + interval '2 hours', i.sent_at + interval '2 hours', 0,
       CASE i.id % 7 WHEN 0 THEN '|Support|' WHEN 1 THEN '|Billing|Support|' WHEN 2 THEN '|Reliability|'
                     WHEN 3 THEN '|Ease of use|' WHEN 4 THEN '|Pricing|Billing|' ELSE '' END
FROM surveys_invitation i
JOIN surveys_survey s ON s.id = i.survey_id
CROSS JOIN LATERAL (
  SELECT CASE WHEN i.survey_id = %(nps)s THEN 'nps' WHEN i.survey_id = %(csat)s THEN 'csat' ELSE 'ces' END AS kind,
         CASE WHEN i.survey_id = %(nps)s THEN floor(random() * 11)::int
              WHEN i.survey_id = %(csat)s THEN 1 + floor(random() * 5)::int ELSE 1 + floor(random() * 7)::int END AS score
) k
WHERE i.status = 'answered'
"""

ANALYSES = """
INSERT INTO surveys_responseanalysis (response_id, sentiment, negative, reason, model_version, themes,
    analysed_at, runs)
SELECT r.id, 0, r.score_band = 'detractor', '', 'bench',
       coalesce((SELECT jsonb_agg(jsonb_build_object('name', t, 'confidence', 0.9))
                 FROM unnest(string_to_array(trim(both '|' from r.theme_names), '|')) t), '[]'::jsonb),
       r.created_at, 1
FROM surveys_response r
"""

LOOPS = """
INSERT INTO loops_loop (response_id, account_id, owner_id, priority, status, sla_policy_id, reason_for_engagement,
    effort_hours, expenses, resolution_summary, opened_at, first_contact_at, first_contact_due_at,
    first_contact_warn_at, resolution_due_at, resolution_warn_at, first_contact_sla_waived, resolution_sla_waived,
    resolved_at, closed_at, escalation_level, reopened_count, recovered, updated_at)
SELECT r.id, r.account_id, a.owner_id, 'normal', st.status, %(policy)s,
       (ARRAY['Billing error', 'Slow support', 'Outage', 'Missing feature', ''])[1 + r.id % 5],
       (r.id % 9) * 0.5, (r.id % 13) * 10, '', r.created_at,
       CASE WHEN st.status <> 'new' THEN r.created_at + (r.id % 40) * interval '1 hour' END,
       r.created_at + interval '24 hours', r.created_at + interval '20 hours',
       r.created_at + interval '80 hours', r.created_at + interval '76 hours', false, false,
       CASE WHEN st.status IN ('resolved', 'closed') THEN r.created_at + (r.id % 150) * interval '1 hour' END,
       CASE WHEN st.status = 'closed' THEN r.created_at + (r.id % 150 + 2) * interval '1 hour' END,
       0, 0, CASE WHEN st.status = 'closed' AND r.id % 2 = 0 THEN r.id % 3 > 0 END, r.created_at
FROM (SELECT id, account_id, created_at FROM surveys_response WHERE score_band = 'detractor'
      ORDER BY id LIMIT %(loops)s) r
JOIN surveys_account a ON a.id = r.account_id
CROSS JOIN LATERAL (SELECT CASE WHEN r.created_at < now() - interval '10 days'
      THEN (ARRAY['closed', 'closed', 'closed', 'closed', 'closed', 'closed', 'resolved', 'in_progress', 'contacted', 'new'])[1 + r.id % 10]
      ELSE (ARRAY['new', 'contacted', 'in_progress'])[1 + r.id % 3] END AS status) st
"""

DETAILS = """
INSERT INTO loops_loop_root_causes (loop_id, rootcause_id)
SELECT l.id, (SELECT id FROM loops_rootcause ORDER BY id OFFSET (l.id % 10) LIMIT 1) FROM loops_loop l;
INSERT INTO loops_escalation (loop_id, stage, level, cycle, recipient_id, at)
SELECT l.id, 'resolution', 1, 0, l.owner_id, l.resolution_due_at FROM loops_loop l
WHERE l.id % 10 = 0 AND l.owner_id IS NOT NULL;
INSERT INTO loops_policyoverride (loop_id, kind, actor_id, reason, detail, at)
SELECT l.id, 'waive_sla', l.owner_id, 'Customer asked to wait', '', l.opened_at + interval '1 day'
FROM loops_loop l WHERE l.id % 20 = 0;
INSERT INTO loops_planstep (loop_id, description, owner_id, due_on, status, created_at)
SELECT l.id, 'Call back with the fix', l.owner_id, (l.opened_at + interval '5 days')::date,
       CASE WHEN l.status = 'closed' THEN 'done' ELSE 'todo' END, l.opened_at
FROM loops_loop l WHERE l.id % 5 = 0 AND l.owner_id IS NOT NULL;
INSERT INTO loops_loopevent (loop_id, actor_id, action, field, before, after, at)
SELECT l.id, l.owner_id, 'status changed', 'status', 'new', l.status, l.opened_at + (l.id % 20) * interval '1 day'
FROM loops_loop l WHERE l.id % 4 = 0
"""


def median_ms(run: Callable[[], object]) -> float:
    run()  # warm: the first run reads from disk and plans
    times = []
    for _ in range(RUNS):
        started = time.perf_counter()
        run()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def floor(sql: str, args: list[Any]) -> Callable[[], object]:
    from django.db import connection

    def run() -> object:
        with connection.cursor() as cursor:
            cursor.execute(sql, args)
            return cursor.fetchall()

    return run


FLOORS = {
    "scores (NPS, CSAT, CES)": """SELECT count(*) FILTER (WHERE score_kind = 'nps' AND score_band = 'promoter'),
        count(*) FILTER (WHERE score_kind = 'nps' AND score_band = 'detractor'), count(*) FILTER (WHERE score_kind = 'nps'),
        count(*) FILTER (WHERE score_kind = 'csat' AND score >= 4), avg(score) FILTER (WHERE score_kind = 'ces')
        FROM surveys_response WHERE created_at >= %s AND created_at < %s""",
    "NPS trend by week": """SELECT date_trunc('week', created_at), count(*) FILTER (WHERE score_band = 'promoter'),
        count(*) FILTER (WHERE score_band = 'detractor'), count(*) FROM surveys_response
        WHERE score_kind = 'nps' AND created_at >= %s AND created_at < %s GROUP BY 1""",
    "response rate": """SELECT count(*), count(*) FILTER (WHERE status = 'answered') FROM surveys_invitation
        WHERE sent_at >= %s AND sent_at < %s""",
    "themes (and among detractors)": """SELECT t, count(*), count(*) FILTER (WHERE score_band = 'detractor')
        FROM surveys_response, unnest(string_to_array(trim(both '|' from theme_names), '|')) t
        WHERE created_at >= %s AND created_at < %s GROUP BY t""",
    "accountability total": """SELECT count(*), count(*) FILTER (WHERE resolved_at <= resolution_due_at),
        avg(first_contact_at - opened_at), avg(resolved_at - opened_at) FROM loops_loop
        WHERE opened_at >= %s AND opened_at < %s""",
    "accountability by owner": """SELECT owner_id, count(*), count(*) FILTER (WHERE resolved_at <= resolution_due_at),
        avg(first_contact_at - opened_at) FROM loops_loop WHERE opened_at >= %s AND opened_at < %s GROUP BY owner_id""",
    "loops by reason": """SELECT reason_for_engagement, count(*), sum(effort_hours), sum(expenses) FROM loops_loop
        WHERE opened_at >= %s AND opened_at < %s GROUP BY 1""",
    "root causes": """SELECT c.rootcause_id, count(*) FROM loops_loop_root_causes c JOIN loops_loop l ON l.id = c.loop_id
        WHERE l.opened_at >= %s AND l.opened_at < %s GROUP BY 1""",
}


def selectors(viewer: Any, filters: Any, now: dt.datetime) -> dict[str, Callable[[], object]]:
    from loops.reports import accountability, advocacy, feedback

    return {
        "scores (NPS, CSAT, CES)": lambda: feedback.scores(viewer=viewer, filters=filters),
        "NPS trend by week": lambda: feedback.score_trend(viewer=viewer, filters=filters),
        "response rate": lambda: feedback.response_rate(viewer=viewer, filters=filters),
        "themes (and among detractors)": lambda: feedback.themes(viewer=viewer, filters=filters),
        "accountability total": lambda: accountability.accountability_total(viewer=viewer, filters=filters, now=now),
        "accountability by owner": lambda: accountability.accountability_by_owner(
            viewer=viewer, filters=filters, now=now
        ),
        "loops by reason": lambda: advocacy.loops_by(viewer=viewer, filters=filters, dimension="reason"),
        "root causes": lambda: advocacy.root_causes(viewer=viewer, filters=filters),
    }


def time_dashboards(people: dict[str, Any], days: int) -> list[list[str]]:
    from django.utils import timezone

    from loops.reports.filters import default_filters

    now = timezone.now()
    rows = []
    admin_filters = default_filters(viewer=people["admin"], days=days)
    supervisor_filters = default_filters(viewer=people["supervisor"], days=days)
    as_admin = selectors(people["admin"], admin_filters, now)
    as_supervisor = selectors(people["supervisor"], supervisor_filters, now)
    for name, sql in FLOORS.items():
        rows.append(
            [
                name,
                f"{median_ms(as_admin[name]):.0f}",
                f"{median_ms(as_supervisor[name]):.0f}",
                f"{median_ms(floor(sql, [admin_filters.start, admin_filters.end])):.0f}",
            ]
        )
    return rows


STAGES = {35: "queries", 45: "template", 90: "layout", 100: "PDF"}


def render_review_pack(admin: Any) -> tuple[int, float, int, int, str]:
    from django.utils import timezone

    from loops.reports.filters import default_filters
    from loops.reports.packs import render_pack

    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    marks: list[tuple[str, float]] = []

    def progress(percent: int) -> None:
        marks.append((STAGES.get(percent, str(percent)), time.perf_counter()))

    _title, rendered = render_pack(
        kind="review",
        viewer=admin,
        filters=default_filters(viewer=admin, days=7),
        now=timezone.now(),
        progress=progress,
    )
    seconds = time.perf_counter() - started
    previous, split = started, []
    for label, moment in marks:
        split.append(f"{label} {moment - previous:.1f} s")
        previous = moment
    return rendered.pages, seconds, before, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, ", ".join(split)


def main() -> int:
    args = parse_args()
    print(
        f"reports benchmark: {args.responses:,} responses, {args.loops:,} loops, {ACCOUNTS:,} accounts, on PostgreSQL"
    )
    with tempfile.TemporaryDirectory(prefix="vocbench-") as tmp, _stack.throwaway_database("vocbench_reports") as url:
        env = _stack.production_env(url, Path(tmp), REPORTS_PACK_MAX_ROWS="400")
        load_before = _stack.load_average()
        _stack.setup_django(env)
        from django.core.management import call_command
        from django.db import connection

        from loops.models import Loop
        from surveys.models import Response

        call_command("migrate", verbosity=0, interactive=False)
        started = time.perf_counter()
        people = create_staff_and_accounts()
        sql_data(args.responses, args.loops, people["surveys"])
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        print(
            f"setup: {Response.objects.count():,} responses, {Loop.objects.count():,} loops "
            f"in {time.perf_counter() - started:.0f} s; database {_stack.database_size(url)}"
        )
        headers = ["figure", "selector, admin (ms)", "selector, supervisor (ms)", "plain SQL floor (ms)"]
        for days in (84, 365):
            print(f"\ndashboard figures over {days} days (median of {RUNS} warm runs; goal under 300 ms):")
            rows = time_dashboards(people, days)
            print(_stack.table(headers, rows))
            slowest = max(rows, key=lambda row: float(row[1]))
            _summary.figure(
                "reports",
                f"slowest dashboard figure, {days} days ({slowest[0]}; SQL floor {slowest[3]} ms)",
                f"{slowest[1]} ms",
                "< 300 ms",
                float(slowest[1]) < 300,
            )
        pages, seconds, rss_before, rss_after, split = render_review_pack(people["admin"])
        print(
            f"\nmanagement review pack, one week, as the admin: {pages} pages in {seconds:.1f} s ({split}; "
            f"goal: 50 pages under 10 s); peak RSS {rss_before / 1024:.0f} MiB before, {rss_after / 1024:.0f} MiB after"
        )
        print(f"hardware: {_stack.hardware()}; load average {load_before} before, {_stack.load_average()} after")
        per_50 = seconds * 50 / pages if pages else float("inf")
        measured = f"{seconds:.1f} s ({per_50:.1f} s per 50 pages)"
        _summary.figure("reports", f"review pack, {pages} pages", measured, "50 pages < 10 s", per_50 < 10)
        _summary.memory("reports", "data, dashboards and the pack in one process", rss_after, goal_mib=600)
    return 0


if __name__ == "__main__":
    sys.exit(main())
