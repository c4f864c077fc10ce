"""The loan domain around the process: borrowers, branch scoping, references, the database."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection
from django.utils import timezone

from loans import services
from loans.choices import BorrowerKind
from loans.journeys import act, advance
from loans.roles import Role
from loans.selectors import loans_visible_to
from loans.states import LoanState
from tests import factories

pytestmark = pytest.mark.django_db


def test_an_individual_borrower_is_created_with_a_normalised_resident_id(branch):
    borrower = services.borrower_create(
        branch_id=branch.pk,
        kind=BorrowerKind.INDIVIDUAL,
        name="张三",
        id_number="11010519491231002x",
    )

    assert borrower.id_number == "11010519491231002X"


def test_a_resident_id_with_a_wrong_check_digit_is_refused_on_the_id_field(branch):
    with pytest.raises(ValidationError) as error:
        services.borrower_create(
            branch_id=branch.pk,
            kind=BorrowerKind.INDIVIDUAL,
            name="李四",
            id_number="110105194912310021",
        )

    assert error.value.message_dict["id_number"] == ["The check character should be X."]


def test_an_enterprise_with_a_wrong_credit_code_check_character_is_refused(branch):
    with pytest.raises(ValidationError) as error:
        services.borrower_create(
            branch_id=branch.pk,
            kind=BorrowerKind.ENTERPRISE,
            name="某某商贸有限公司",
            id_number="91350100M000100Y44",
        )

    assert "id_number" in error.value.message_dict


def test_a_co_investigator_cannot_be_the_lead_investigator(loan, cast):
    loan = advance(loan, LoanState.SITE_VISIT, cast)

    with pytest.raises(ValidationError) as error:
        act(
            loan,
            "site_visit_record",
            cast.manager,
            co_investigator=cast.manager,
            visited_at=timezone.now(),
            location="Shop",
            business="Fine.",
        )

    assert "co_investigator" in error.value.message_dict


def test_the_database_also_refuses_one_person_as_both_investigators(loan, manager):
    from loans.models import SiteVisit

    with pytest.raises(IntegrityError):
        SiteVisit.objects.create(
            loan=loan,
            lead_investigator=manager,
            co_investigator=manager,
            visited_at=loan.created_at,
            location="Shop",
            business="Fine.",
        )


def test_new_loans_get_consecutive_references_and_start_in_intake(manager, product):
    borrower = factories.BorrowerFactory(branch=manager.branch)
    first = services.loan_create(borrower=borrower, account_manager=manager, product=product)
    second = services.loan_create(borrower=borrower, account_manager=manager, product=product)

    assert first.state == "intake"
    assert first.branch == manager.branch
    assert int(second.reference[-6:]) == int(first.reference[-6:]) + 1


def test_staff_see_their_own_branch_only(loan, outsider, manager):
    assert list(loans_visible_to(manager)) == [loan]
    assert list(loans_visible_to(outsider)) == []


def test_a_branch_head_sees_the_branch_and_its_sub_offices(loan, branch):
    office = factories.BranchFactory(code="B01-1", name="Market office", parent=branch)
    office_manager = factories.staff(Role.ACCOUNT_MANAGER, branch=office, username="om")
    office_loan = factories.LoanFactory(account_manager=office_manager)
    head = factories.staff(Role.BRANCH_HEAD, branch=branch, username="head1")
    elsewhere = factories.LoanFactory(
        account_manager=factories.staff(
            Role.ACCOUNT_MANAGER, branch=factories.BranchFactory(code="B09"), username="m9"
        )
    )

    visible = set(loans_visible_to(head))

    assert visible == {loan, office_loan}
    assert elsewhere not in visible
    assert list(loans_visible_to(office_manager)) == [office_loan]


def test_a_user_without_a_branch_sees_no_loans(loan):
    assert not loans_visible_to(factories.UserFactory(branch=None, username="nobranch")).exists()


@pytest.mark.postgres
def test_postgresql_connections_come_from_the_connection_pool():
    assert connection.vendor == "postgresql"
    assert connection.pool is not None
