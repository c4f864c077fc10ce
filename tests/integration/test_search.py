"""The search box: a loan by reference, borrower name, identity number or phone, in one step when
the query names one loan, only among the branches the user sees, personal facts masked."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from loans.personal_data import mask
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def borrower(branch):
    return factories.BorrowerFactory(
        branch=branch, name="Wang Xiaomei", phone="13800138000", id_number="11010519491231002X"
    )


@pytest.fixture
def found(manager, borrower):
    return factories.LoanFactory(account_manager=manager, borrower=borrower)


def search(client, query, **extra):
    return client.get(reverse("loans:search"), {"q": query, **extra})


def test_an_exact_reference_goes_straight_to_the_loan(client, reviewer, found):
    client.force_login(reviewer)

    response = search(client, f"  {found.reference.lower()} ")

    assert response.status_code == 302
    assert response.url == reverse("loans:detail", args=[found.pk])


def test_an_identity_number_goes_straight_to_the_borrowers_one_loan(client, reviewer, found):
    client.force_login(reviewer)

    response = search(client, "110105 19491231 002x")  # spaces and a lower-case check character

    assert response.url == reverse("loans:detail", args=[found.pk])


def test_an_identity_number_with_several_loans_lists_them(client, reviewer, manager, found):
    second = factories.LoanFactory(account_manager=manager, borrower=found.borrower)
    client.force_login(reviewer)

    response = search(client, found.borrower.id_number)

    assert response.status_code == 200
    assert {loan.pk for loan in response.context["loans"]} == {found.pk, second.pk}


@pytest.mark.parametrize("query", ["13800138000", "138 0013 8000", "138-0013-8000"])
def test_a_phone_number_finds_the_loan_however_it_is_written(client, reviewer, found, query):
    client.force_login(reviewer)

    response = search(client, query)

    assert [loan.pk for loan in response.context["loans"]] == [found.pk]


def test_a_part_of_the_name_lists_the_loans(client, reviewer, found, manager):
    factories.LoanFactory(account_manager=manager)  # someone else
    client.force_login(reviewer)

    response = search(client, "xiaomei")

    assert [loan.pk for loan in response.context["loans"]] == [found.pk]


def test_the_results_show_personal_facts_masked(client, reviewer, found, manager):
    factories.LoanFactory(account_manager=manager, borrower=found.borrower)  # so it lists
    client.force_login(reviewer)

    page = search(client, "Wang").content.decode()

    assert found.borrower.id_number not in page
    assert "13800138000" not in page
    assert mask(found.borrower.id_number, "id_number") in page
    assert mask("13800138000", "phone") in page


def test_another_branchs_loan_is_never_found(client, outsider, found):
    client.force_login(outsider)

    for query in (found.reference, found.borrower.id_number, "13800138000", "Wang"):
        response = search(client, query)
        assert response.status_code == 200, query
        assert list(response.context["loans"]) == [], query


def test_the_results_page_with_keyset_links(client, reviewer, manager, monkeypatch):
    monkeypatch.setattr("loans.paging.PAGE_SIZE", 3)
    made = {
        factories.LoanFactory(
            account_manager=manager, borrower__name=f"Li Na {n}", borrower__branch=manager.branch
        ).pk
        for n in range(7)
    }
    client.force_login(reviewer)

    seen: list[int] = []
    response = search(client, "Li Na")
    while True:
        seen += [loan.pk for loan in response.context["loans"]]
        if not response.context["page"].next_url:
            break
        response = client.get(reverse("loans:search") + response.context["page"].next_url)

    assert sorted(seen) == sorted(made)


def test_the_navigation_offers_the_search_box_on_every_page(client, reviewer):
    client.force_login(reviewer)

    page = client.get(reverse("loans:list")).content.decode()

    assert f'action="{reverse("loans:search")}"' in page
    assert 'role="search"' in page


def test_the_results_keep_a_constant_number_of_queries(client, reviewer, manager):
    factories.LoanFactory.create_batch(3, account_manager=manager, borrower__name="Chen Jie")
    client.force_login(reviewer)
    search(client, "Chen")  # caches warmed
    with CaptureQueriesContext(connection) as few:
        search(client, "Chen")
    factories.LoanFactory.create_batch(30, account_manager=manager, borrower__name="Chen Jie")

    with CaptureQueriesContext(connection) as many:
        search(client, "Chen")

    assert len(many.captured_queries) == len(few.captured_queries)
