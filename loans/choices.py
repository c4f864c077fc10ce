"""Reference data of the loan domain (see DOMAIN.md §8)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class BorrowerKind(models.TextChoices):
    INDIVIDUAL = "individual", _("individual")
    ENTERPRISE = "enterprise", _("micro enterprise")


class GuarantorKind(models.TextChoices):
    """Who guarantees a loan (保证人): a person (resident ID number) or a company (unified social
    credit code)."""

    PERSON = "person", _("natural person")
    COMPANY = "company", _("company")


class Industry(models.TextChoices):
    """GB/T 4754-2017 sections."""

    A = "A", _("agriculture, forestry, animal husbandry and fishery")
    B = "B", _("mining")
    C = "C", _("manufacturing")
    D = "D", _("electricity, heat, gas and water")
    E = "E", _("construction")
    F = "F", _("wholesale and retail")
    G = "G", _("transport, storage and post")
    H = "H", _("accommodation and catering")
    I = "I", _("information technology")  # noqa: E741 - the standard's section letter
    J = "J", _("finance")
    K = "K", _("real estate")
    L = "L", _("leasing and business services")
    M = "M", _("research and technical services")
    N = "N", _("water, environment and public facilities")
    O = "O", _("resident, repair and other services")  # noqa: E741
    P = "P", _("education")
    Q = "Q", _("health and social work")
    R = "R", _("culture, sports and entertainment")
    S = "S", _("public administration")
    T = "T", _("international organisations")


class GuaranteeType(models.TextChoices):
    CREDIT = "credit", _("credit (unsecured)")
    GUARANTEE = "guarantee", _("guarantee")
    JOINT_GUARANTEE = "joint_guarantee", _("joint guarantee group")
    MORTGAGE = "mortgage", _("mortgage")
    PLEDGE = "pledge", _("pledge")


class RepaymentMethod(models.TextChoices):
    EQUAL_INSTALMENTS = "equal_instalments", _("equal instalments")
    EQUAL_PRINCIPAL = "equal_principal", _("equal principal")
    INTEREST_ONLY = "interest_only", _("monthly interest, principal at maturity")
    BULLET = "bullet", _("principal and interest at maturity")


class EarlyRepaymentOption(models.TextChoices):
    """What principal repaid ahead of the schedule does to the instalments left."""

    REAMORTISE = "reamortise", _("lower the instalments, same term")
    SHORTEN = "shorten", _("keep the instalment, shorten the term")


class LprTenor(models.TextChoices):
    """The loan prime rate a loan is priced on: the 1-year LPR up to five years' term, the
    5-year LPR above (market practice)."""

    ONE_YEAR = "1y", _("1-year LPR")
    FIVE_YEAR = "5y", _("5-year LPR")


class ReturnReason(models.TextChoices):
    MISSING_DOCUMENTS = "missing_documents", _("missing documents")
    INCONSISTENT_FIGURES = "inconsistent_figures", _("inconsistent figures")
    INCOMPLETE_VISIT = "incomplete_visit", _("site visit incomplete")
    OTHER = "other", _("other")


class RiskClass(models.IntegerChoices):
    """Five-class loan classification (五级分类); a higher number is worse."""

    NORMAL = 1, _("normal")
    SPECIAL_MENTION = 2, _("special mention")
    SUBSTANDARD = 3, _("substandard")
    DOUBTFUL = 4, _("doubtful")
    LOSS = 5, _("loss")


class CreditReportResult(models.TextChoices):
    CLEAN = "clean", _("clean")
    MINOR_ISSUES = "minor_issues", _("minor issues")
    SERIOUS_ISSUES = "serious_issues", _("serious issues")


class CreditQueryPurpose(models.TextChoices):
    """What the borrower consents to their credit report being queried for (credit reporting
    regulation, art. 18: written consent, with its purpose)."""

    LOAN_APPLICATION = "loan_application", _("reviewing this loan application")
    GUARANTOR = "guarantor", _("reviewing the borrower as a guarantor")
    POST_LOAN = "post_loan", _("post-loan risk management")


class ApprovalOutcome(models.TextChoices):
    ENDORSED = "endorsed", _("endorsed (first of two approvers)")
    APPROVED = "approved", _("approved")
    REJECTED = "rejected", _("rejected")
    RETURNED = "returned", _("returned for revision")


class PaymentMethod(models.TextChoices):
    OWN_ACCOUNT = "own_account", _("to the borrower's own account")
    ENTRUSTED = "entrusted", _("entrusted payment to a named counterparty")


class DirectPaymentGround(models.TextChoices):
    """Why the bank consents to pay a drawdown to the borrower's own account instead of by
    entrusted payment (docs/rules.md, ``disbursement.entrusted-payment``)."""

    UNKNOWN_COUNTERPARTY = "unknown_counterparty", _("the counterparty cannot be known in advance")
    NO_NON_CASH = "no_non_cash", _("the counterparty cannot take non-cash payment")
    BUSINESS_USE = "business_use", _("the loan is for business use")


class InspectionKind(models.TextChoices):
    FIRST = "first", _("first inspection")
    ROUTINE = "routine", _("routine inspection")
    FULL = "full", _("full inspection")


class InspectionMode(models.TextChoices):
    ON_SITE = "on_site", _("on site")
    OFF_SITE = "off_site", _("off site")


class DocumentKind(models.TextChoices):
    PHOTO = "photo", _("photo")
    ID_COPY = "id_copy", _("identity document copy")
    BUSINESS_LICENCE = "business_licence", _("business licence")
    CREDIT_AUTHORISATION = "credit_authorisation", _("credit report authorisation")
    CREDIT_REPORT = "credit_report", _("credit report")
    COLLATERAL = "collateral", _("collateral document")
    CONTRACT = "contract", _("contract")
    OTHER = "other", _("other")


# Guarantee types whose collateral must be valued before review.
COLLATERAL_GUARANTEES = frozenset({GuaranteeType.MORTGAGE, GuaranteeType.PLEDGE})


class ExtensionStatus(models.TextChoices):
    """Where a request to extend a loan (展期) stands."""

    REQUESTED = "requested", _("awaiting review")
    REVIEWED = "reviewed", _("awaiting approval")
    APPROVED = "approved", _("approved")
    DECLINED = "declined", _("declined")


# An extension still on its way: a loan has at most one.
EXTENSION_PENDING = (ExtensionStatus.REQUESTED, ExtensionStatus.REVIEWED)
