"""factory-boy factories for the loan domain."""

from __future__ import annotations

import itertools
from datetime import date, timedelta
from decimal import Decimal

import factory
from django.contrib.auth.models import Group
from django.utils import timezone

from loans.choices import BorrowerKind, GuaranteeType, Industry, RepaymentMethod
from loans.models import Borrower, Branch, Interview, Loan, LoanProduct, PolicyVersion, User
from loans.roles import Role
from loans.validators import resident_id_check_character

# Valid resident ID numbers: region 110105, a birth date from 1985-06-15 on, a sequence number
# (001-999) within each date, and the real check character. Never runs out: a suite this size
# creates thousands of borrowers in one process.
_IDS = itertools.count()
_FIRST_BIRTH = date(1985, 6, 15)


def valid_resident_id() -> str:
    n = next(_IDS)
    born = _FIRST_BIRTH + timedelta(days=n // 999)
    body = f"110105{born:%Y%m%d}{n % 999 + 1:03d}"
    return body + resident_id_check_character(body)


class BranchFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Branch
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"B{n + 10:02d}")
    name = factory.Sequence(lambda n: f"Sub-branch {n}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"staff{n}")
    branch = factory.SubFactory(BranchFactory)
    password = factory.django.Password("test-password")


def staff(*roles: Role, **fields: object) -> User:
    """A member of staff holding ``roles`` (the groups are made again after a flushing test)."""
    user = UserFactory(**fields)
    user.groups.add(*(Group.objects.get_or_create(name=role)[0] for role in roles))
    return user


class BorrowerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Borrower

    kind = BorrowerKind.INDIVIDUAL
    name = factory.Sequence(lambda n: f"Borrower {n}")
    id_number = factory.LazyFunction(valid_resident_id)
    address = "No. 8 Market Street"
    industry = Industry.F
    branch = factory.SubFactory(BranchFactory)


class LoanProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LoanProduct
        django_get_or_create = ("code",)

    code = "MERCHANT"
    name = "Merchant micro loan"
    min_amount = Decimal(10_000)
    max_amount = Decimal(3_000_000)
    min_term_months = 1
    max_term_months = 36


class LoanFactory(factory.django.DjangoModelFactory):
    """A complete application in intake (no interview recorded yet)."""

    class Meta:
        model = Loan

    reference = factory.Sequence(lambda n: f"LF-TEST-{n:06d}")
    account_manager = factory.SubFactory(UserFactory)
    branch = factory.LazyAttribute(lambda loan: loan.account_manager.branch)
    borrower = factory.SubFactory(BorrowerFactory, branch=factory.SelfAttribute("..branch"))
    product = factory.SubFactory(LoanProductFactory)
    amount = Decimal(80_000)
    term_months = 12
    purpose = "Restock for the spring season"
    repayment_method = RepaymentMethod.EQUAL_INSTALMENTS
    guarantee_type = GuaranteeType.GUARANTEE
    industry = Industry.F


class InterviewFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Interview

    loan = factory.SubFactory(LoanFactory)
    interviewer = factory.SelfAttribute("loan.account_manager")
    held_at = factory.LazyFunction(timezone.now)
    location = "Branch office"
    notes = "Interviewed face to face."


class PolicyVersionFactory(factory.django.DjangoModelFactory):
    """A policy version in force from a minute ago, with the defaults unless told otherwise."""

    class Meta:
        model = PolicyVersion

    version = factory.Sequence(lambda n: f"test-{n}")
    effective_from = factory.LazyFunction(lambda: timezone.now() - timedelta(minutes=1))
