"""The lending rules LoanFlow enforces, each with its source: the register behind docs/rules.md.

Every check's ``clause`` is the id of one rule here (``tests/unit/test_rules.py`` holds the check
declarations, this register and docs/rules.md to each other). A rule is either **regulation**
(a law or a regulator's measures, cited by article) or **bank policy** (a choice the bank may
change, usually through the policy version in force). The loan page shows a failed check's rule
in words beside its reason.

Articles marked † were seen only in the superseded 2010 text or in commentary: confirm them
against the official gazette before quoting them to an examiner.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from workflow.checks import Message


class Nature(models.TextChoices):
    REGULATION = "regulation", _("regulation")
    POLICY = "policy", _("bank policy")


R = Nature.REGULATION
P = Nature.POLICY

# The sources cited, one wording each.
BANKING_LAW = _("Commercial Banking Law, art. 35")
PERSONAL_LOANS = _("Individual loan measures (NFRA 2024 No. 3)")
CREDIT_REPORTING = _("Credit reporting regulation, art. 18")
CLASSIFICATION = _("Risk classification measures (2023 No. 1)")
PIPL = _("Personal Information Protection Law")
INCLUSIVE = _("Inclusive small-micro loans notice (CBIRC 2022)")
LOAN_RULES = _("General Rules on Loans (PBOC 1996)")
BANK = _("LoanFlow lending policy")


@dataclass(frozen=True)
class Rule:
    id: str
    text: str | Promise
    nature: Nature
    source: str | Promise
    article: str | Promise = ""  # where in the source, as cited (articles with † to be confirmed)
    enforced: bool = True  # False: stated here, not (yet) enforced by a check of the loan process

    @property
    def citation(self) -> Message:
        if not self.article:
            return self.source
        return _("%(source)s, %(article)s") % {"source": self.source, "article": self.article}


RULES: tuple[Rule, ...] = (
    # --- intake ----------------------------------------------------------------------------------
    Rule(
        "intake.identity",
        _("The borrower's identity document is valid (resident ID or unified social credit code)."),
        R,
        PERSONAL_LOANS,
        _("borrower identity (2010 art. 13†); GB 11643-1999, GB 32100-2015"),
    ),
    Rule(
        "intake.application",
        _(
            "An application states product, amount, term, purpose, repayment method, guarantee "
            "and industry; no loan without a stated purpose."
        ),
        R,
        PERSONAL_LOANS,
        _("art. 7"),
    ),
    Rule(
        "intake.product-limits",
        _("Amount and term are within the product's limits."),
        P,
        BANK,
        _("products; terms within art. 8 of the individual loan measures"),
    ),
    Rule(
        "intake.credit-consent",
        _(
            "The credit report is queried only with the borrower's written consent, which states "
            "its purpose."
        ),
        R,
        CREDIT_REPORTING,
    ),
    Rule(
        "intake.interview",
        _("The borrower is interviewed face to face before the loan moves on."),
        R,
        PERSONAL_LOANS,
        _("interview system (2010 art. 17†)"),
    ),
    Rule(
        "intake.blocked-list",
        _("No loan to a borrower on the bank's blocked-borrower list."),
        P,
        BANK,
    ),
    # --- site visit ------------------------------------------------------------------------------
    Rule(
        "visit.two-investigators",
        _(
            "The site visit is made by two different investigators, each confirming with their own "
            "login, at or above the policy's amount."
        ),
        P,
        BANK,
    ),
    Rule(
        "visit.dated",
        _("A visit is dated on or after the application day and not in the future."),
        P,
        BANK,
    ),
    Rule(
        "visit.evidence",
        _("The visit's location and the required evidence items are on file."),
        P,
        BANK,
    ),
    Rule(
        "visit.report",
        _(
            "The investigation report covers the business, cash flow, repayment source and "
            "guarantee, found mainly on site."
        ),
        R,
        PERSONAL_LOANS,
        _("site investigation (2010 art. 15†)"),
    ),
    Rule(
        "visit.collateral",
        _("Collateral is valued, above zero, where the guarantee type or product needs it."),
        P,
        BANK,
    ),
    Rule(
        "visit.guarantor",
        _(
            "A guarantor is recorded with a valid identity number (resident ID or unified social "
            "credit code), is not the borrower, guarantees an amount above zero, and signed the "
            "guarantee contract on or before the day it is recorded."
        ),
        P,
        BANK,
    ),
    # --- review ----------------------------------------------------------------------------------
    Rule(
        "review.separation",
        _(
            "Investigation, review and approval are separated: the reviewer neither sold nor "
            "investigated the loan."
        ),
        R,
        BANKING_LAW,
    ),
    Rule(
        "review.credit-report",
        _("The credit report is checked and its result recorded."),
        P,
        BANK,
    ),
    Rule(
        "review.assessment",
        _(
            "The reviewer assesses repayment capacity: income, debts, debt-to-income, risk score "
            "and a written opinion."
        ),
        R,
        PERSONAL_LOANS,
        _("art. 10 (a debt-to-income control, no fixed cap)"),
    ),
    Rule(
        "review.portfolio-limits",
        _(
            "The branch's credit stays within the concentration limits by industry, guarantee type "
            "and borrower group."
        ),
        P,
        BANK,
    ),
    Rule(
        "review.single-borrower",
        _("Inclusive small-micro credit to one borrower stays within RMB 10 million."),
        R,
        INCLUSIVE,
    ),
    # --- approval --------------------------------------------------------------------------------
    Rule(
        "approval.independent",
        _("The approver had no earlier part in the loan."),
        R,
        BANKING_LAW,
    ),
    Rule(
        "approval.authority",
        _(
            "Approval is tiered: an approver decides (approves or rejects) within their authority; "
            "above the top tier two top-level approvers. The tier amounts are bank policy."
        ),
        R,
        BANKING_LAW,
    ),
    Rule(
        "approval.pricing-authority",
        _("A rate spread below the product's floor needs the approver's pricing authority."),
        P,
        BANK,
    ),
    Rule(
        "approval.conditions",
        _("The approval states its conditions, or that there are none."),
        P,
        BANK,
    ),
    Rule(
        "decision.opinion",
        _(
            "Every decision at review and approval (approve, endorse, return, reject) carries "
            "the written opinion of the person deciding, kept with the decision."
        ),
        P,
        BANK,
    ),
    # --- disbursement ----------------------------------------------------------------------------
    Rule(
        "disbursement.independent",
        _("The disbursement officer had no earlier part in the loan."),
        P,
        BANK,
    ),
    Rule(
        "disbursement.signing",
        _("The contract is signed face to face, dated, under a number of its own."),
        R,
        PERSONAL_LOANS,
        _("face-to-face signing (面签†)"),
    ),
    Rule(
        "disbursement.witness",
        _("A member of staff other than the disbursement officer witnesses the signing."),
        P,
        BANK,
    ),
    Rule(
        "disbursement.conditions",
        _("Every approval condition is marked fulfilled, saying how, before funds are released."),
        P,
        BANK,
    ),
    Rule(
        "disbursement.approval-expiry",
        _("Funds are released only while the approval is in force (policy: 30 days)."),
        P,
        BANK,
    ),
    Rule(
        "disbursement.within-amount",
        _("The drawdowns stay within the approved amount."),
        P,
        BANK,
    ),
    Rule(
        "disbursement.entrusted-payment",
        _(
            "Entrusted payment to a named counterparty is the default; the bank consents to direct "
            "payment only when the counterparty cannot be known in advance and the amount is at "
            "most RMB 300,000, the counterparty cannot take non-cash payment, or the loan is for "
            "business use and the amount is at most RMB 500,000 (amounts are policy settings)."
        ),
        R,
        PERSONAL_LOANS,
        _("entrusted payment (2010 art. 33†, kept in 2024)"),
    ),
    Rule(
        "disbursement.no-split",
        _(
            "Direct payments within the rolling window do not add up beyond the limit a single "
            "one may have."
        ),
        P,
        BANK,
    ),
    # --- post-loan and closing -------------------------------------------------------------------
    Rule(
        "post-loan.inspection-dated",
        _("An inspection is dated on or after the disbursement day and not in the future."),
        P,
        BANK,
        _("post-loan inspection (2010 arts. 35–36†)"),
    ),
    Rule(
        "post-loan.inspection-schedule",
        _(
            "Post-loan inspections follow the schedule: first within 15 days of disbursement, then "
            "quarterly, monthly for special mention or worse."
        ),
        P,
        BANK,
    ),
    Rule(
        "post-loan.repayment",
        _(
            "A repayment is above zero, within the outstanding balance, dated on or after the "
            "disbursement and not in the future."
        ),
        P,
        BANK,
    ),
    Rule(
        "post-loan.repayment-allocation",
        _(
            "A repayment pays the oldest due instalment first (overdue interest, interest, "
            "principal); one allocated to the schedule is cancelled, the latest first, never "
            "corrected."
        ),
        P,
        BANK,
    ),
    Rule(
        "closing.repaid",
        _("A loan closes only when nothing is outstanding."),
        P,
        BANK,
    ),
    # --- classification --------------------------------------------------------------------------
    Rule(
        "classification.floors",
        _(
            "Days past due set the lowest class: any overdue at least special mention, over 90 "
            "days substandard, over 270 doubtful, over 360 loss; an inspection may classify worse, "
            "never better."
        ),
        R,
        CLASSIFICATION,
        _("art. 6; the 90/270/360-day floors†"),
    ),
    Rule(
        "classification.technical-overdue",
        _(
            "An overdue caused by the bank's own operations, marked so by a reviewer with the "
            "reason, sets no floor."
        ),
        R,
        CLASSIFICATION,
        _("the days-past-due floors†"),
    ),
    Rule(
        "classification.upgrade-two-person",
        _(
            "A better class is proposed by one person and confirmed by a reviewer or approver who "
            "did not propose it."
        ),
        P,
        BANK,
    ),
    Rule(
        "classification.upgrade-after-arrears",
        _(
            "A non-performing loan is upgraded only after its arrears are repaid and it has then "
            "paid on time for at least two periods or six months."
        ),
        R,
        CLASSIFICATION,
        _("upgrade conditions†"),
    ),
    Rule(
        "classification.restructured",
        _(
            "A restructured loan is observed for at least two repayment periods and one year "
            "(restarting after a missed payment): one that was normal or special mention is at "
            "least special mention, one that was non-performing is not upgraded meanwhile."
        ),
        R,
        CLASSIFICATION,
        _("art. 20"),
    ),
    Rule(
        "classification.non-retail-share",
        _(
            # xgettext:no-python-format
            "When more than 10% of a non-retail borrower's claims at the bank are non-performing, "
            "all of them are."
        ),
        R,
        CLASSIFICATION,
        _("art. 7"),
    ),
    # --- renewal ---------------------------------------------------------------------------------
    Rule(
        "renewal.no-arrears",
        _(
            "A loan is renewed only when nothing is past due, unless the policy in force allows "
            "renewing a loan in arrears."
        ),
        P,
        BANK,
    ),
    Rule(
        "renewal.risk-class",
        _(
            "A renewal is a new application linked to the loan it renews, and starts at least at "
            "that loan's risk class."
        ),
        P,
        BANK,
        enforced=False,
    ),
    Rule(
        "renewal.once",
        _("A loan has at most one renewal in progress or in force."),
        P,
        BANK,
    ),
    # --- early warning (watch/rules.py) ----------------------------------------------------------
    Rule(
        "warning.funds-use",
        _(
            "Loan funds are used for the purpose stated: an inspection that finds otherwise "
            "raises an early warning."
        ),
        R,
        PERSONAL_LOANS,
        _("art. 7; post-loan inspection of the use of funds (2010 arts. 35–36†)"),
    ),
    Rule(
        "warning.arrears",
        _("Any days past due raise an early warning, once per arrears episode."),
        P,
        BANK,
    ),
    Rule(
        "warning.downgrade",
        _("A loan moved to a worse risk class raises an early warning."),
        P,
        BANK,
    ),
    Rule(
        "warning.inspection-overdue",
        _("A post-loan inspection not made by its due date raises an early warning."),
        P,
        BANK,
    ),
    Rule(
        "warning.concentration",
        _(
            "A branch's share of one industry or guarantee type moving over its concentration "
            "limit raises an early warning."
        ),
        P,
        BANK,
    ),
    Rule(
        "warning.blocked-after-disbursement",
        _(
            "A borrower added to the blocked-borrower list after disbursement raises an early "
            "warning."
        ),
        P,
        BANK,
    ),
    Rule(
        "warning.repeated-returns",
        _("A loan returned for revision twice or more raises an early warning."),
        P,
        BANK,
    ),
    Rule(
        "warning.guarantor-exposure",
        _(
            "A guarantor backing more open loans in the branch tree than the policy allows "
            "(disbursed and not closed, counting the application itself) raises an early warning "
            "on each of those loans."
        ),
        P,
        BANK,
    ),
    Rule(
        "warning.guarantee-circle",
        _(
            "Borrowers guaranteeing each other's open loans, in a pair or a circle of up to four, "
            "raise an early warning on each loan of the circle."
        ),
        P,
        BANK,
    ),
    Rule(
        "watch.resolution",
        _(
            "A watch-list item is worked by its account manager or the branch head and resolved "
            "with a note of what was done; one unresolved within its SLA is escalated to the "
            "branch head."
        ),
        P,
        BANK,
    ),
    # --- extension ---------------------------------------------------------------------------
    Rule(
        "extension.before-maturity",
        _(
            "A borrower who cannot repay on time asks for an extension before the loan matures; "
            "it is decided before maturity too."
        ),
        R,
        LOAN_RULES,
        _("art. 12†"),
    ),
    Rule(
        "extension.limits",
        _(
            "The extensions of a short-term loan add up to at most its original term, those of a "
            "medium-term loan to at most half of it, those of a long-term loan to at most three "
            "years."
        ),
        R,
        LOAN_RULES,
        _("art. 12†; the terms' boundaries, art. 9†"),
    ),
    Rule(
        "extension.no-arrears",
        _("A loan is extended only when nothing is past due: arrears are collected."),
        P,
        BANK,
    ),
    Rule(
        "extension.one-at-a-time",
        _("A loan has at most one extension awaiting review or approval."),
        P,
        BANK,
    ),
    Rule(
        "extension.review-and-approval",
        _(
            "An extension is asked with a reason, reviewed and approved again with the loan's own "
            "separation of duties and authority; each decision says why."
        ),
        R,
        BANKING_LAW,
        _("and the General Rules on Loans, art. 12†"),
    ),
    # --- people, records, exceptions, personal data ----------------------------------------------
    Rule(
        "roles.owner",
        _(
            "The account manager (or a delegate the branch head names) advances their own loans; "
            "in review, the reviewer."
        ),
        P,
        BANK,
    ),
    Rule(
        "roles.assignment",
        _(
            "The branch head assigns loans and delegates to active account managers of the branch "
            "with no checking part in the loan."
        ),
        P,
        BANK,
    ),
    Rule(
        "records.correction",
        _(
            "A record is corrected or cancelled, never deleted, with its reason: by its author "
            "within its stage, by the branch head afterwards; funds paid are not rewritten."
        ),
        P,
        BANK,
    ),
    Rule(
        "records.stage-evidence",
        _("Evidence is attached in the stage it belongs to."),
        P,
        BANK,
    ),
    Rule(
        "file.comments",
        _(
            "A comment on a loan says something and is kept in the loan's file, never edited or "
            "deleted; a colleague it mentions may see the loan."
        ),
        P,
        BANK,
    ),
    Rule(
        "process.reason",
        _("A return for revision, a rejection and a withdrawal state their reason."),
        P,
        BANK,
    ),
    Rule(
        "exceptions.soft-checks",
        _(
            "Only a soft check is waived, once, by a policy exception recorded with its "
            "justification and decided by the branch head."
        ),
        P,
        BANK,
    ),
    Rule(
        "privacy.minimum-access",
        _(
            "Personal information is shown in full only to those whose work needs it, and each "
            "look is recorded; one borrower per identity number."
        ),
        R,
        PIPL,
        _("arts. 6, 51"),
    ),
)
RULE_BY_ID = {rule.id: rule for rule in RULES}


def rule_words(clause: str) -> Message:
    """A check's clause in words: the rule and its source (an unknown clause as it is)."""
    rule = RULE_BY_ID.get(clause)
    if rule is None:
        return clause
    return _("%(rule)s (%(nature)s: %(citation)s)") % {
        "rule": rule.text,
        "nature": rule.nature.label,
        "citation": rule.citation,
    }
