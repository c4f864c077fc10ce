"""/api/v1/insight/portfolio/…: the dashboard's figures, its scope and roles, in the schema."""

from __future__ import annotations

import pytest
import yaml
from django.core.management import call_command

from insight.snapshots import snapshot_take
from loans.choices import Industry
from loans.roles import Role
from tests import factories
from tests.api.test_api import api

pytestmark = pytest.mark.django_db
BASE = "/api/v1/insight/portfolio"


@pytest.fixture
def taken(portfolio):
    snapshot_take()


def test_the_structure_answers_the_same_figures_as_the_dashboard(head, taken):
    body = api(head).get(f"{BASE}/structure/").json()

    assert body["balance"] == "1000000.00"
    assert body["npl_ratio"] == "0.3500"
    assert body["special_mention_ratio"] == "0.2500"
    industry = next(b for b in body["breakdowns"] if b["dimension"] == "industry")
    assert [(r["key"], r["balance"], r["share"], r["status"]) for r in industry["rows"]] == [
        ("F", "650000.00", "0.6500", "near"),
        ("C", "200000.00", "0.2000", "ok"),
        ("A", "150000.00", "0.1500", "ok"),
    ]
    assert {limit["dimension"]: limit["status"] for limit in body["limits"]} == {
        "industry": "near",
        "guarantee_type": "over",
        "group": "ok",
    }


def test_the_trend_and_the_loans_behind_a_figure(head, taken):
    trend = api(head).get(f"{BASE}/trend/").json()
    loans = api(head).get(f"{BASE}/loans/", {"dimension": "industry", "key": Industry.F}).json()

    assert [p["balance"] for p in trend["trend"]] == ["1000000.00"]
    assert len(loans["results"]) == 2
    assert api(head).get(f"{BASE}/loans/", {"dimension": "amount", "key": "x"}).status_code == 400


def test_compliance_reads_an_account_manager_is_refused_another_branch_is_not_found(
    compliance, manager, other_branch, branch, taken
):
    stranger = factories.staff(Role.BRANCH_HEAD, branch=other_branch, username="head9")

    assert api(compliance).get(f"{BASE}/structure/").status_code == 200
    assert api(compliance).post(f"{BASE}/structure/").status_code == 405
    assert api(manager).get(f"{BASE}/structure/").status_code == 403
    assert api(stranger).get(f"{BASE}/structure/", {"office": branch.pk}).status_code == 404
    assert api(stranger).get(f"{BASE}/loans/", {"office": branch.pk}).status_code == 404
    assert api().get(f"{BASE}/structure/").status_code in (401, 403)


def test_the_endpoints_are_in_the_openapi_schema(tmp_path):
    out = tmp_path / "schema.yaml"
    call_command("spectacular", "--file", str(out), "--validate", "--fail-on-warn")
    paths = yaml.safe_load(out.read_text())["paths"]

    assert {f"{BASE}/structure/", f"{BASE}/trend/", f"{BASE}/loans/"} <= set(paths)
