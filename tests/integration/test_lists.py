"""Lists that page: every row reached exactly once (ties in the sort key too), a page's queries
constant however many rows there are, altered cursors refused, and the export streamed."""

from __future__ import annotations

import csv
import io
import itertools
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from loans import deviation_export
from loans.models import Loan
from loans.roles import Role
from loans.states import LoanState
from tests import factories
from workflow.models import Channel, Deviation

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

MOMENT = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _small_pages(monkeypatch):
    monkeypatch.setattr("loans.paging.PAGE_SIZE", 4)
    monkeypatch.setattr("loans.views.PIPELINE_COLUMN", 3)


def loans_of(manager, product, count, *, state=LoanState.INTAKE, at=MOMENT, amount=None):
    """``count`` loans created (and entering their stage) at the same moment: ties throughout."""
    made = factories.LoanFactory.create_batch(count, account_manager=manager, product=product)
    ids = [loan.pk for loan in made]
    Loan.objects.filter(pk__in=ids).update(
        created_at=at, state_entered_at=at, state=state, amount=amount or Decimal(50_000)
    )
    return set(ids)


# Positions in loan 1's deviation chain: the lists only read the rows, the chain is not verified.
_SEQ = itertools.count(1)


def deviations(count, *, scope="B01", at=MOMENT, kind=Deviation.Kind.WRONG_ROLE, actor=None):
    made = Deviation.objects.bulk_create(
        Deviation(
            content_type=ContentType.objects.get_for_model(Loan),
            object_id=1,
            scope=scope,
            actor=actor,
            transition="approve",
            from_state="approval",
            kind=kind,
            severity=Deviation.Severity.HIGH,
            failed_checks=[{"code": "authority_sufficient", "reason": {"en": "x"}}],
            channel=Channel.WEB,
            policy_version="v1",
            created_at=at,
            seq=next(_SEQ),
        )
        for _ in range(count)
    )
    return {deviation.pk for deviation in made}


def walk_web(client, url, params=None):
    """Follow the Next links from the first page to the last; the rows seen, in order, and the
    last page's response."""
    seen: list[int] = []
    response = client.get(url, params or {})
    while True:
        assert response.status_code == 200
        page = response.context["page"]
        seen.extend(row[0].pk if isinstance(row, tuple) else row.pk for row in _rows(response))
        if page.next_url is None:
            return seen, response
        response = client.get(url + page.next_url)


def _rows(response):
    context = response.context
    if "rows" in context:
        return context["rows"]
    return context["loans"]


def walk_api(client, url):
    seen, pages = [], 0
    while url:
        response = client.get(url)
        assert response.status_code == 200, response.content
        body = response.json()
        seen.extend(row["id"] for row in body["results"])
        url, pages = body["next"], pages + 1
    return seen, body


def api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


# --- every row exactly once ---------------------------------------------------------------------


def test_the_loan_list_reaches_every_loan_once_though_all_were_created_together(
    client, manager, product
):
    ids = loans_of(manager, product, 11) | loans_of(manager, product, 3, at=MOMENT + timedelta(1))
    client.force_login(manager)

    seen, last = walk_web(client, reverse("loans:list"))

    assert sorted(seen) == sorted(ids)
    assert seen[:3] == sorted(seen[:3], reverse=True)  # newest first, then by id
    # and back: Previous from the last page leads to the first, through the same rows
    back = [loan.pk for loan in last.context["loans"]]
    response = last
    while response.context["page"].previous_url:
        response = client.get(reverse("loans:list") + response.context["page"].previous_url)
        back = [r.pk for r in response.context["loans"]] + back
    assert back == seen


def test_the_loan_list_pages_within_a_stage_and_counts_past_the_cap(
    client, manager, product, monkeypatch
):
    monkeypatch.setattr("loans.views.COUNT_CAP", 5)
    in_review = loans_of(manager, product, 7, state=LoanState.REVIEW)
    loans_of(manager, product, 2)
    client.force_login(manager)

    seen, last = walk_web(client, reverse("loans:list"), {"state": "review"})

    assert sorted(seen) == sorted(in_review)
    stages = {stage.value: str(count) for stage, count in last.context["stages"]}
    assert stages["review"] == "5+"
    assert stages["intake"] == "2"
    assert str(last.context["total"]) == "7+"
    assert "5+" in last.content.decode()


def test_the_pipeline_pages_through_one_stage(client, manager, product):
    ids = loans_of(manager, product, 9)
    client.force_login(manager)

    first = client.get(reverse("loans:mine"))
    ((_stage, rows, count, more),) = [c for c in first.context["columns"] if c[0] == "intake"]
    assert (len(rows), str(count), more) == (3, "9", True)
    assert 'href="?stage=intake"' in first.content.decode()

    seen, _last = walk_web(client, reverse("loans:mine"), {"stage": "intake"})

    assert sorted(seen) == sorted(ids)
    assert len(seen) == len(set(seen))


def test_the_queue_reaches_every_loan_once_in_each_sort_order(client, cast, product):
    same = loans_of(cast.manager, product, 5, state=LoanState.REVIEW)
    bigger = loans_of(cast.manager, product, 4, state=LoanState.REVIEW, amount=Decimal(90_000))
    client.force_login(cast.reviewer)

    for sort in ("waiting", "-amount", "borrower", "-risk", "sla", "product"):
        seen, _last = walk_web(client, reverse("loans:queue"), {"sort": sort})
        assert sorted(seen) == sorted(same | bigger), sort
    by_amount, _last = walk_web(client, reverse("loans:queue"), {"sort": "-amount"})
    assert set(by_amount[:4]) == bigger


def test_the_queue_keeps_its_filter_across_pages(client, cast, product):
    other = factories.LoanProductFactory(code="OTHER", name="Other product")
    kept = loans_of(cast.manager, product, 6, state=LoanState.REVIEW)
    loans_of(cast.manager, other, 3, state=LoanState.REVIEW)
    client.force_login(cast.reviewer)

    seen, _last = walk_web(client, reverse("loans:queue"), {"product": product.code})

    assert sorted(seen) == sorted(kept)


def test_the_deviation_log_pages_with_its_filters_and_both_orders(client, compliance):
    wanted = deviations(6) | deviations(3, at=MOMENT + timedelta(hours=1))
    deviations(5, kind=Deviation.Kind.WRONG_STATE)
    deviations(4, scope="B02")  # another branch's
    client.force_login(compliance)

    for sort in ("newest", "oldest"):
        seen, _last = walk_web(
            client, reverse("loans:deviations"), {"kind": "wrong_role", "sort": sort}
        )
        assert sorted(seen) == sorted(wanted)
        assert len(seen) == len(wanted)
    newest, _last = walk_web(client, reverse("loans:deviations"), {"kind": "wrong_role"})
    assert newest == list(reversed(seen))


def test_the_deviation_log_shows_filter_errors_instead_of_rows(client, compliance):
    deviations(2)
    client.force_login(compliance)

    response = client.get(reverse("loans:deviations"), {"sort": "sideways"})

    assert response.status_code == 200
    assert response.context["rows"] == []
    assert "sideways" in response.content.decode()  # the form says the choice is not valid


def test_the_api_reaches_every_loan_once_forward_and_back(manager, product):
    ids = loans_of(manager, product, 13)

    seen, last = walk_api(api(manager), "/api/v1/loans/?page_size=4")

    assert sorted(seen) == sorted(ids)
    back, url = [], last["previous"]
    while url:
        body = api(manager).get(url).json()
        back = [row["id"] for row in body["results"]] + back
        url = body["previous"]
    assert back + [row["id"] for row in last["results"]] == seen


def test_the_api_deviations_page_with_filters_in_both_orders(compliance):
    wanted = deviations(7)
    deviations(3, kind=Deviation.Kind.WRONG_STATE)

    for sort in ("newest", "oldest"):
        seen, _ = walk_api(
            api(compliance), f"/api/v1/deviations/?kind=wrong_role&sort={sort}&page_size=3"
        )
        assert sorted(seen) == sorted(wanted)


# --- altered cursors ----------------------------------------------------------------------------


@pytest.mark.parametrize("cursor", ["garbage", "", "a:b:c", "%00", "x" * 5000])
def test_an_altered_api_cursor_answers_400_in_json(manager, product, cursor):
    loans_of(manager, product, 2)

    response = api(manager).get("/api/v1/loans/", {"cursor": cursor or "::"})

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_cursor"


def test_a_cursor_of_another_order_or_list_is_refused(compliance, manager, product):
    deviations(5)
    loans_of(manager, product, 5)
    newest = api(compliance).get("/api/v1/deviations/?page_size=2").json()["next"]
    cursor = newest.split("cursor=")[1].split("&")[0]
    tampered = cursor[:-3] + ("AAA" if not cursor.endswith("AAA") else "BBB")

    for url in (
        f"/api/v1/deviations/?sort=oldest&cursor={cursor}",
        f"/api/v1/deviations/?cursor={tampered}",
    ):
        response = api(compliance).get(url)
        assert response.status_code == 400, url
        assert set(response.json()) == {"code", "detail", "errors"}
    assert api(manager).get(f"/api/v1/loans/?cursor={cursor}").status_code == 200  # same keys


def test_an_altered_web_cursor_shows_the_first_page_with_a_message(client, manager, product):
    loans_of(manager, product, 6)
    client.force_login(manager)

    for name in ("loans:list", "loans:mine"):
        response = client.get(reverse(name), {"cursor": "not-a-cursor", "stage": "intake"})
        assert response.status_code == 400, name
        assert "That page link is not valid" in response.content.decode(), name
        assert len(response.context["page"].rows) >= 3, name  # the first page


def test_an_altered_cursor_on_the_deviation_log_is_a_message_not_an_error(client, compliance):
    deviations(6)
    client.force_login(compliance)

    response = client.get(reverse("loans:deviations"), {"cursor": "eyJ4IjoxfQ:abc:def"})

    assert response.status_code == 400
    assert len(response.context["rows"]) == 4  # the first page
    assert "That page link is not valid" in response.content.decode()


# --- constant queries ---------------------------------------------------------------------------


def _queries(fetch):
    with CaptureQueriesContext(connection) as captured:
        response = fetch()
    assert response.status_code == 200
    return len(captured.captured_queries)


@pytest.mark.parametrize(
    ("url", "who"),
    [
        ("/api/v1/loans/", "manager"),
        ("/api/v1/loans/?state=review", "manager"),
        ("/api/v1/deviations/", "compliance"),
        ("/api/v1/deviations/?status=open&sort=oldest", "compliance"),
        ("/api/v1/borrowers/", "manager"),
    ],
)
def test_api_lists_keep_a_constant_number_of_queries(url, who, manager, compliance, product):
    user = {"manager": manager, "compliance": compliance}[who]
    loans_of(manager, product, 3, state=LoanState.REVIEW)
    deviations(3)
    api(user).get(url)  # caches warmed (content types, the policy)
    few = _queries(lambda: api(user).get(url))
    loans_of(manager, product, 30, state=LoanState.REVIEW)
    deviations(60)

    assert _queries(lambda: api(user).get(url)) == few


@pytest.mark.parametrize(
    ("name", "params", "who"),
    [
        ("loans:list", {}, "manager"),
        ("loans:list", {"state": "review"}, "manager"),
        ("loans:mine", {}, "manager"),
        ("loans:mine", {"stage": "review"}, "manager"),
        ("loans:queue", {"sort": "-amount"}, "reviewer"),
        ("loans:deviations", {"kind": "wrong_role", "sort": "oldest"}, "compliance"),
    ],
)
def test_list_pages_keep_a_constant_number_of_queries(
    client, name, params, who, cast, compliance, product
):
    user = {"manager": cast.manager, "reviewer": cast.reviewer, "compliance": compliance}[who]
    loans_of(cast.manager, product, 3, state=LoanState.REVIEW)
    deviations(3)
    client.force_login(user)
    client.get(reverse(name), params)  # caches warmed (content types, the policy)
    few = _queries(lambda: client.get(reverse(name), params))
    loans_of(cast.manager, product, 30, state=LoanState.REVIEW)
    deviations(60)

    assert _queries(lambda: client.get(reverse(name), params)) == few


# --- the export ---------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_the_export_streams_through_an_open_cursor_and_holds_every_row(monkeypatch):
    """Under autocommit (as in production), as the first rows leave, the database's cursor is
    still open and not materialised (WITH HOLD would compute every row before the first)."""
    monkeypatch.setattr(deviation_export, "EXPORT_BATCH", 10)
    branch = factories.BranchFactory(code="B01")
    officer = factories.staff(Role.COMPLIANCE_OFFICER, branch=branch, username="compliance1")
    ids = deviations(35, actor=officer) | deviations(4, at=MOMENT - timedelta(days=1))
    from django.test import Client

    client = Client()
    client.force_login(officer)

    response = client.get(reverse("loans:deviations-export"))
    chunks = iter(response.streaming_content)
    header, first = next(chunks), next(chunks)
    with connection.cursor() as cursor:
        cursor.execute("SELECT is_holdable FROM pg_cursors WHERE name LIKE '_django_curs_%%'")
        open_cursors = cursor.fetchall()
    rest = b"".join(chunks)
    response.close()

    assert open_cursors == [(False,)]  # one cursor, open, inside the export's transaction
    assert len(first.decode().splitlines()) == 10
    rows = list(csv.DictReader(io.StringIO((header + first + rest).decode().lstrip("\ufeff"))))
    assert sorted(int(row["Deviation no."]) for row in rows) == sorted(ids)
    assert rows[0]["Staff user name"] == "compliance1"
    assert rows[0]["Failed checks"] == "authority_sufficient"  # no such check: its code
    assert rows[-1]["When (Asia/Shanghai)"] == "2026-03-01 17:30:00"  # MOMENT a day before


def test_the_export_keeps_the_filters_and_the_order(client, compliance):
    older = deviations(2, at=MOMENT - timedelta(hours=2))
    newer = deviations(2)
    deviations(3, kind=Deviation.Kind.WRONG_STATE)
    client.force_login(compliance)

    response = client.get(
        reverse("loans:deviations-export"), {"kind": "wrong_role", "sort": "oldest"}
    )

    body = b"".join(response.streaming_content).decode().lstrip("\ufeff")
    ids = [int(row["Deviation no."]) for row in csv.DictReader(io.StringIO(body))]
    assert ids == sorted(older) + sorted(newer)
