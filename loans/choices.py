"""Reference data of the loan domain (see DOMAIN.md §8)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class BorrowerKind(models.TextChoices):
    INDIVIDUAL = "individual", _("individual")
    ENTERPRISE = "enterprise", _("micro enterprise")


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


class ReturnReason(models.TextChoices):
    MISSING_DOCUMENTS = "missing_documents", _("missing documents")
    INCONSISTENT_FIGURES = "inconsistent_figures", _("inconsistent figures")
    INCOMPLETE_VISIT = "incomplete_visit", _("site visit incomplete")
    OTHER = "other", _("other")
