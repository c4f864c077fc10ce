"""Process analytics as the branch grows: the page, its API and a person's view at 100,000 loans
(1,000,000 audit events, 500,000 stage visits, 100,000 deviations) ÷ at 1,000, and the hourly
recomputation's time.

Two branches in the list benchmark's database (bench/data.py makes the loans in SQL). Each loan
gets ten audit events, five stage visits over the last year (some returned, a few rejected or
withdrawn, some past their SLA) and, while open, a running stage timer (a tenth of them past
their deadline); each branch gets one deviation per loan over the year. The weekly tables are
recomputed once and the loans waiting counted (the hourly task's work, whole); the pages read
them and only the fifty loans longest stalled, so their cost must not follow the number of loans
or events.
"""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.utils import timezone

from bench import data
from bench.insight import _head, _report
from bench.lists import Figure, measure
from insight.process_aggregate import process_aggregate
from loans.models import Loan

SIZES = {"ci": (200, 2_000), "full": (1_000, 100_000)}
REPEAT = {"ci": 2, "full": 9}
EVENTS_PER_LOAN = 10
OPEN = ["intake", "site_visit", "review", "approval", "disbursement"]

_TABLES = (
    "workflow_auditevent, workflow_timer, insight_stagevisit, insight_stageweek, "
    "insight_funnelweek, insight_deviationweek, insight_stagenow"
)

_LOANS_SQL = """
UPDATE loans_loan SET created_at = now() - (id %% 360) * interval '1 day' - interval '20 days'
WHERE branch_id = %(branch)s
"""

_EVENTS_SQL = """
INSERT INTO workflow_auditevent (content_type_id, object_id, seq, kind, action, source_state,
    target_state, actor_id, actor_role, payload, snapshot, changes, channel, policy_version, scope,
    created_at, prev_hash, hash)
SELECT %(ct)s, l.id, s, 'transitioned', 'submit_for_review', 'site_visit', 'review',
    l.account_manager_id, 'account_manager', '{}'::jsonb,
    jsonb_build_object('amount', '10000.00', 'industry', 'F'), '{}'::jsonb, 'web', 'bench',
    %(scope)s, l.created_at + s * interval '1 day', md5(l.id || '-' || (s - 1)) || md5('p'),
    md5(l.id || '-' || s) || md5('h' || l.id || '-' || s)
FROM loans_loan l, generate_series(1, %(per_loan)s) AS s
WHERE l.branch_id = %(branch)s
"""

_VISITS_SQL = """
INSERT INTO insight_stagevisit (loan_id, branch_id, product_id, manager_id, actor_id, stage,
    entered_at, left_at, hours, due_at, outcome, reason)
SELECT l.id, l.branch_id, l.product_id, l.account_manager_id,
    CASE WHEN s < 2 THEN l.account_manager_id ELSE %(approver)s END,
    (%(stages)s::text[])[s + 1],
    l.created_at + s * interval '2 days',
    l.created_at + s * interval '2 days' + ((l.id * 7 + s * 13) %% 200) * interval '1 hour',
    (l.id * 7 + s * 13) %% 200,
    l.created_at + s * interval '2 days' + interval '120 hours',
    CASE WHEN l.id %% 17 = s THEN 'returned' WHEN l.id %% 53 = 0 AND s = 2 THEN 'rejected'
         WHEN l.id %% 59 = 0 AND s = 1 THEN 'withdrawn' ELSE 'forward' END,
    CASE WHEN l.id %% 17 = s THEN (%(reasons)s::text[])[1 + l.id %% 4] ELSE '' END
FROM loans_loan l, generate_series(0, 4) AS s
WHERE l.branch_id = %(branch)s
"""

_TIMERS_SQL = """
INSERT INTO workflow_timer (content_type_id, object_id, scope, kind, stage, started_at, due_at)
SELECT %(ct)s, l.id, %(scope)s, 'stage', l.state, now() - interval '3 days',
    now() + CASE WHEN l.id %% 10 = 0 THEN interval '-2 days' ELSE interval '2 days' END
FROM loans_loan l WHERE l.branch_id = %(branch)s AND l.state = ANY(%(open)s)
"""

_DEVIATIONS_SQL = """
INSERT INTO workflow_deviation (content_type_id, object_id, scope, actor_id, actor_roles,
    transition, from_state, kind, severity, failed_checks, payload, channel, policy_version,
    created_at, seq, prev_hash, hash)
SELECT %(ct)s, l.id, %(scope)s, CASE WHEN l.id %% 3 = 0 THEN %(approver)s ELSE %(manager)s END,
    '["account_manager"]'::jsonb, 'submit_for_review', 'site_visit', 'checks_failed', 'high',
    jsonb_build_array(jsonb_build_object('code', (%(codes)s::text[])[1 + l.id %% 4])),
    '{}'::jsonb, 'web', 'bench', now() - (l.id %% 360) * interval '1 day', 1, '', md5('d' || l.id)
FROM loans_loan l WHERE l.branch_id = %(branch)s
"""


def _fill(cast: data.Cast) -> None:
    params: dict[str, Any] = {
        "ct": ContentType.objects.get_for_model(Loan).pk,
        "branch": cast.branch.pk,
        "scope": cast.branch.code,
        "per_loan": EVENTS_PER_LOAN,
        "approver": cast.approver.pk,
        "manager": cast.manager.pk,
        "stages": OPEN,
        "open": OPEN,
        "reasons": ["missing_documents", "inconsistent_figures", "incomplete_visit", "other"],
        "codes": [
            "two_investigators",
            "evidence_collected",
            "credit_report_checked",
            "review_written",
        ],
    }
    with connection.cursor() as cursor:
        for sql in (_LOANS_SQL, _EVENTS_SQL, _VISITS_SQL, _TIMERS_SQL, _DEVIATIONS_SQL):
            cursor.execute(sql, params)
        cursor.execute(
            "ANALYZE loans_loan; ANALYZE workflow_auditevent; ANALYZE workflow_timer; "
            "ANALYZE insight_stagevisit; ANALYZE workflow_deviation"
        )


def _reset() -> None:
    data.reset()
    with connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = replica")
        cursor.execute(f"TRUNCATE {_TABLES} CASCADE")
        cursor.execute("SET session_replication_role = DEFAULT")


def run(scale: str) -> bool:
    data.use_bench_database()
    small, large = SIZES[scale]
    _reset()
    casts = {"small": data.cast("PSMALL"), "large": data.cast("PLARGE")}
    for name, size in (("small", small), ("large", large)):
        started = time.perf_counter()
        data.grow_loans(casts[name], size)
        _fill(casts[name])
        events = data.count("workflow_auditevent", "scope", casts[name].branch.code)
        print(
            f"{size:>9,} loans, {events:,} audit events "
            f"({time.perf_counter() - started:.1f} s to add)",
            flush=True,
        )
    started = time.perf_counter()
    rows = process_aggregate()
    print(f"weekly tables recomputed whole ({rows:,} rows): {time.perf_counter() - started:.2f} s")
    since = (timezone.localdate() - timedelta(days=365)).isoformat()
    clients = (_head(casts["small"]), _head(casts["large"]))
    pages = (
        ("process page, a year", f"/insight/process/?since={since}"),
        ("process API, a year", f"/api/v1/insight/process/?since={since}"),
        ("process page, a quarter", "/insight/process/"),
    )
    figures: list[tuple[str, Figure, Figure]] = []
    for name, url in pages:
        at_small, at_large = measure((clients[0], url), (clients[1], url), REPEAT[scale])
        figures.append((name, at_small, at_large))
    at_small, at_large = measure(
        (clients[0], f"/insight/process/?since={since}&person={casts['small'].manager.pk}"),
        (clients[1], f"/insight/process/?since={since}&person={casts['large'].manager.pk}"),
        REPEAT[scale],
    )
    figures.append(("one person, a year", at_small, at_large))
    return _report(figures, small, large)
