"""The early-warning signals (风险预警), in one file: each with its code, severity, title, reason
in both languages, the rule it applies (loans/rules.py, docs/rules.md), the loan steps that can
raise it, and how it finds its occurrences.

A signal is found as **occurrences**: one per thing that happened (an inspection, a downgrade, a
late inspection timer, an arrears episode, a limit crossed), each with a key that names it for
ever. An occurrence opens one watch-list item, once: evaluating again, after the same step or by
the daily task, finds the same key and opens nothing (watch/services.py). An occurrence also
names its **episode** (for most the occurrence itself): while an item of the same episode is open
no second one opens, e.g. one arrears episode whose first unpaid day moves after a part payment.

Each finder reads a set of loans (``None``: every loan, the daily task) in a fixed number of
statements.

    signal                      raised after (the loan's steps)                  and daily
    funds_not_as_stated         inspection_record, inspection_correct            yes
    days_past_due               days_past_due_update                             yes
    downgrade                   inspection_record, classification_floor_apply    yes (a week back)
    inspection_overdue          the sweep finding an inspection timer late       yes
    concentration_breach        —  (a branch's figure, not one loan's)            yes
    blocked_after_disbursement  —  (the blocked list is reference data)          yes
    returned_repeatedly         return_to_intake, …_site_visit, …_review, …      yes
    guarantor_many_loans        guarantor_record, guarantor_correct              yes
    guarantee_circle            guarantor_record, guarantor_correct              yes

The two guarantor signals read the guarantors recorded in the loans' files (loans.Guarantor) by
identity number. Given loans, they find the occurrences that involve those loans' guarantors, on
every loan concerned: a guarantor's other open loans, the other loans of a circle.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, Max, OuterRef, Subquery, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from loans.choices import GuaranteeType, Industry, RiskClass
from loans.models import BlockedBorrower, Borrower, Branch, Guarantor, Inspection, Loan
from loans.policy import policy_in_force
from loans.states import OPEN_STATES, LoanState
from watch.states import Severity
from workflow import followups
from workflow.checks import Message, lazy_join
from workflow.models import AuditEvent, Timer

LoanIds = Collection[int] | None

RETURN_STEPS = frozenset(
    {"return_to_intake", "return_to_site_visit", "return_to_review", "return_to_approval"}
)
CLASSIFYING_STEPS = frozenset(
    {
        "inspection_record",
        "inspection_correct",
        "classification_floor_apply",
        "classification_upgrade_confirm",
    }
)
# How far back the daily task looks for downgrades (the steps' own evaluation sees them at once).
DOWNGRADE_LOOKBACK = timedelta(days=7)
RETURNS_THAT_WARN = 2
GUARANTOR_STEPS = frozenset({"guarantor_record", "guarantor_correct"})
# The longest guarantee circle looked for: A guarantees B, B guarantees C, …, back to A.
LONGEST_CIRCLE = 4


@dataclass(frozen=True)
class Occurrence:
    loan_id: int
    key: str  # the occurrence, for ever: ``<signal>:…``
    facts: Mapping[str, Any] = field(default_factory=dict)
    episode: str = ""  # while an item of this episode is open, no other opens ("": the key)


Finder = Callable[[LoanIds, datetime], list[Occurrence]]
Describe = Callable[[Mapping[str, Any]], Message]


@dataclass(frozen=True)
class Signal:
    code: str
    title: Message
    severity: Severity
    clause: str  # the id of the rule it applies (loans/rules.py)
    on: frozenset[str]  # the loan's steps after which it is evaluated for that loan
    find: Finder
    describe: Describe  # the reason, in the reader's language, from the occurrence's facts


def _loans(queryset: Any, loan_ids: LoanIds, field_name: str = "loan_id") -> Any:
    return queryset if loan_ids is None else queryset.filter(**{f"{field_name}__in": loan_ids})


def _class_label(name: str) -> Message:
    try:
        return RiskClass[name.upper()].label
    except KeyError:
        return name


def _day(moment: datetime) -> str:
    return timezone.localdate(moment).isoformat()


# --- the finders ------------------------------------------------------------------------------


def _funds_not_as_stated(loan_ids: LoanIds, now: datetime) -> list[Occurrence]:
    found = _loans(
        Inspection.objects.filter(cancelled_at__isnull=True, funds_used_as_stated=False), loan_ids
    ).values_list("pk", "loan_id", "inspected_at")
    return [
        Occurrence(loan, f"funds_not_as_stated:{pk}", {"inspected_on": _day(at)})
        for pk, loan, at in found
    ]


def _days_past_due(loan_ids: LoanIds, now: datetime) -> list[Occurrence]:
    found = _loans(
        Loan.objects.filter(state=LoanState.POST_LOAN, days_past_due__gt=0), loan_ids, "pk"
    ).values_list("pk", "days_past_due")
    today = timezone.localdate(now)
    occurrences = []
    for loan, days in found:
        since = (today - timedelta(days=days)).isoformat()
        occurrences.append(
            Occurrence(
                loan,
                f"days_past_due:{loan}:{since}",
                {"days": days, "since": since},
                episode=f"days_past_due:{loan}",
            )
        )
    return occurrences


def _classification_events(loan_ids: LoanIds, now: datetime) -> Any:
    events = AuditEvent.objects.filter(
        content_type=ContentType.objects.get_for_model(Loan),
        action__in=CLASSIFYING_STEPS,
        payload__has_key="classified",
    )
    if loan_ids is None:
        return events.filter(created_at__gte=now - DOWNGRADE_LOOKBACK)
    return events.filter(object_id__in=loan_ids)


def _downgrade(loan_ids: LoanIds, now: datetime) -> list[Occurrence]:
    occurrences = []
    for loan, seq, payload in _classification_events(loan_ids, now).values_list(
        "object_id", "seq", "payload"
    ):
        change = payload.get("classified") or {}
        try:
            before, after = RiskClass[change["from"].upper()], RiskClass[change["to"].upper()]
        except (KeyError, AttributeError):
            continue
        if after > before:
            occurrences.append(
                Occurrence(
                    loan, f"downgrade:{loan}:{seq}", {"from": change["from"], "to": change["to"]}
                )
            )
    return occurrences


def _inspection_overdue(loan_ids: LoanIds, now: datetime) -> list[Occurrence]:
    timers = _loans(
        Timer.objects.filter(
            content_type=ContentType.objects.get_for_model(Loan),
            kind=Timer.Kind.INSPECTION,
            stopped_at__isnull=True,
            due_at__lt=now,
        ),
        loan_ids,
        "object_id",
    ).values_list("pk", "object_id", "due_at")
    return [
        Occurrence(loan, f"inspection_overdue:{pk}", {"due_on": _day(due)})
        for pk, loan, due in timers
    ]


def _concentration_breach(loan_ids: LoanIds, now: datetime) -> list[Occurrence]:
    """A branch's share of one industry or guarantee type over the policy's limit, found on the
    day it moved over: the occurrence is the branch, the figure and the day."""
    from insight.models import PortfolioSnapshot

    if loan_ids is not None:  # a branch's figure: the daily task finds it
        return []
    policy = policy_in_force(now)
    limits = {
        "industry": Decimal(policy.industry_concentration_limit),
        "guarantee_type": Decimal(policy.guarantee_concentration_limit),
    }
    book = Loan.objects.filter(state=LoanState.POST_LOAN, outstanding_balance__gt=0)
    totals = dict(
        book.values("branch_id")
        .annotate(s=Sum("outstanding_balance"))
        .values_list("branch_id", "s")
    )
    minimum = Decimal(policy.concentration_min_portfolio)
    today = timezone.localdate(now)
    occurrences = []
    for dimension, limit in limits.items():
        rows = book.values("branch_id", dimension).annotate(
            s=Sum("outstanding_balance"), latest=Max("pk")
        )
        for row in rows:
            total = totals.get(row["branch_id"]) or Decimal(0)
            if total < minimum or not total or row["s"] / total <= limit:
                continue
            before = (
                PortfolioSnapshot.objects.filter(branch_id=row["branch_id"], day__lt=today)
                .order_by("-day")
                .values_list("balance", "figures")
                .first()
            )
            if before is not None and before[0]:
                cell = before[1].get(dimension, {}).get(row[dimension])
                if cell and Decimal(cell[0]) / before[0] > limit:
                    continue  # over already the day before: not a move over the limit
            episode = f"concentration_breach:{row['branch_id']}:{dimension}:{row[dimension]}"
            share = row["s"] / total
            occurrences.append(
                Occurrence(
                    row["latest"],
                    f"{episode}:{today.isoformat()}",
                    {
                        "dimension": dimension,
                        "value": row[dimension],
                        "share": f"{share:.4f}",
                        "limit": f"{limit:.4f}",
                    },
                    episode=episode,
                )
            )
    return occurrences


def _blocked_after_disbursement(loan_ids: LoanIds, now: datetime) -> list[Occurrence]:
    entries = list(
        BlockedBorrower.objects.filter(active=True).values_list("pk", "id_number", "added_at")
    )
    if not entries:
        return []
    by_number: dict[str, list[tuple[int, datetime]]] = {}
    for pk, number, added in entries:
        by_number.setdefault(number, []).append((pk, added))
    loans = _loans(
        Loan.objects.filter(
            state=LoanState.POST_LOAN,
            disbursed_at__isnull=False,
            borrower__id_number__in=list(by_number),
        ),
        loan_ids,
        "pk",
    ).values_list("pk", "borrower__id_number", "disbursed_at")
    return [
        Occurrence(loan, f"blocked_after_disbursement:{loan}:{pk}", {"listed_on": _day(added)})
        for loan, number, disbursed in loans
        for pk, added in by_number[number]
        if added > disbursed
    ]


def _returned_repeatedly(loan_ids: LoanIds, now: datetime) -> list[Occurrence]:
    open_loans = _loans(Loan.objects.filter(state__in=OPEN_STATES), loan_ids, "pk")
    counted = (
        AuditEvent.objects.filter(
            content_type=ContentType.objects.get_for_model(Loan),
            kind=AuditEvent.Kind.TRANSITIONED,
            action__in=RETURN_STEPS,
            object_id__in=open_loans.values("pk"),
        )
        .values("object_id")
        .annotate(n=Count("pk"))
        .filter(n__gte=RETURNS_THAT_WARN)
        .values_list("object_id", "n")
    )
    return [Occurrence(loan, f"returned_repeatedly:{loan}", {"returns": n}) for loan, n in counted]


def _roots() -> dict[int, int]:
    """Each office's top office: the branch tree it belongs to (one statement)."""
    parents = dict(Branch.objects.values_list("pk", "parent_id"))
    roots = {}
    for office in parents:
        top, seen = office, {office}
        while parents.get(top) is not None and parents[top] not in seen:
            top = parents[top]
            seen.add(top)
        roots[office] = top
    return roots


def _live_guarantors(loan_ids: LoanIds) -> Any:
    """The guarantors in force on open loans; given loans, those who guarantee one of them."""
    rows = Guarantor.objects.filter(loan__state__in=OPEN_STATES)
    if loan_ids is None:
        return rows
    return rows.filter(
        id_number__in=Guarantor.objects.filter(loan_id__in=loan_ids).values("id_number")
    )


def _guarantor_many_loans(loan_ids: LoanIds, now: datetime) -> list[Occurrence]:
    """Every open loan of a guarantor who, with it, backs more of the branch tree's open loans
    (disbursed, not closed) than the policy allows. The occurrence: the loan's guarantor record."""
    limit = policy_in_force(now).guarantor_open_loans_limit
    roots = _roots()
    rows = _live_guarantors(loan_ids).values_list(
        "pk", "loan_id", "loan__state", "loan__branch_id", "id_number", "name"
    )
    disbursed: dict[tuple[int, str], set[int]] = {}  # (branch tree, guarantor): disbursed loans
    backed: dict[tuple[int, tuple[int, str]], tuple[int, str]] = {}  # (loan, tree and guarantor)
    for pk, loan, state, office, number, name in rows:
        tree = (roots.get(office, office), number)
        if state == LoanState.POST_LOAN:
            disbursed.setdefault(tree, set()).add(loan)
        first = backed.get((loan, tree))
        if first is None or pk < first[0]:
            backed[loan, tree] = (pk, name)
    occurrences = []
    for (loan, tree), (pk, name) in backed.items():
        count = len(disbursed.get(tree, set()) | {loan})
        if count > limit:
            occurrences.append(
                Occurrence(
                    loan,
                    f"guarantor_many_loans:{loan}:{pk}",
                    {"guarantor": name, "loans": count, "limit": limit},
                )
            )
    return occurrences


Edge = tuple[int, int, int, str]  # guarantor, borrower guaranteed (both borrowers), loan, name


def _guarantee_edges() -> list[Edge]:
    """Borrowers guaranteeing another borrower's open loan, in one statement: the guarantors in
    force on open loans whose identity number is that of a borrower with an open loan."""
    borrower_of = Borrower.objects.filter(id_number=OuterRef("id_number")).values("pk")[:1]
    open_borrowers = Loan.objects.filter(state__in=OPEN_STATES).values("borrower__id_number")
    rows = (
        Guarantor.objects.filter(loan__state__in=OPEN_STATES, id_number__in=open_borrowers)
        .annotate(guarantor_borrower=Subquery(borrower_of))
        .values_list("guarantor_borrower", "loan__borrower_id", "loan_id", "loan__borrower__name")
    )
    return [(g, b, loan, name) for g, b, loan, name in rows if g is not None and g != b]


def _chain_back(guarantees: Mapping[int, set[int]], start: int, goal: int) -> list[int] | None:
    """The shortest chain of guarantees from borrower ``start`` back to ``goal`` (the borrowers
    along it), within a circle of ``LONGEST_CIRCLE``; None when there is none."""
    paths = [[start]]
    for _step in range(LONGEST_CIRCLE - 1):
        longer = []
        for path in paths:
            for following in sorted(guarantees.get(path[-1], ())):
                if following == goal:
                    return path
                if following not in path:
                    longer.append([*path, following])
        paths = longer
    return None


def _guarantee_circle(loan_ids: LoanIds, now: datetime) -> list[Occurrence]:
    """Each open loan guaranteed by a borrower whom its own borrower guarantees back, directly or
    along a chain (a circle of up to ``LONGEST_CIRCLE`` borrowers); given loans, the circles
    through them, on every loan of each. The occurrence: the loan and the circle's borrowers."""
    edges = _guarantee_edges()
    guarantees: dict[int, set[int]] = {}
    for g, b, _loan, _name in edges:
        guarantees.setdefault(g, set()).add(b)
    names = {b: name for _g, b, _loan, name in edges}  # in a circle, everyone is guaranteed
    circles: dict[int, list[int]] = {}
    for g, b, loan, _name in edges:
        chain = _chain_back(guarantees, b, g)
        if chain is not None and loan not in circles:
            circles[loan] = [g, *chain]
    if loan_ids is not None:
        wanted = {frozenset(members) for loan, members in circles.items() if loan in loan_ids}
        circles = {loan: m for loan, m in circles.items() if frozenset(m) in wanted}
    return [
        Occurrence(
            loan,
            f"guarantee_circle:{loan}:{'-'.join(str(m) for m in sorted(members))}",
            {"borrowers": [names.get(m, "") for m in members]},
        )
        for loan, members in sorted(circles.items())
    ]


# --- the reasons ------------------------------------------------------------------------------


def _dimension_value(facts: Mapping[str, Any]) -> Message:
    choices = Industry if facts.get("dimension") == "industry" else GuaranteeType
    try:
        return choices(str(facts.get("value"))).label
    except ValueError:
        return str(facts.get("value"))


def _percent(value: Any) -> str:
    return f"{Decimal(str(value)) * 100:.1f}%"


SIGNALS: tuple[Signal, ...] = (
    Signal(
        code="funds_not_as_stated",
        title=_("Funds not used as stated"),
        severity=Severity.HIGH,
        clause="warning.funds-use",
        on=frozenset({"inspection_record", "inspection_correct"}),
        find=_funds_not_as_stated,
        describe=lambda f: (
            _("The inspection of %(day)s found the funds not used for the stated purpose.")
            % {"day": f.get("inspected_on", "")}
        ),
    ),
    Signal(
        code="days_past_due",
        title=_("Days past due"),
        severity=Severity.HIGH,
        clause="warning.arrears",
        on=frozenset({"days_past_due_update"}),
        find=_days_past_due,
        describe=lambda f: (
            _("The loan is past due since %(day)s (%(days)s days when found).")
            % {"day": f.get("since", ""), "days": f.get("days", "")}
        ),
    ),
    Signal(
        code="downgrade",
        title=_("Downgraded"),
        severity=Severity.MEDIUM,
        clause="warning.downgrade",
        on=CLASSIFYING_STEPS,
        find=_downgrade,
        describe=lambda f: (
            _("The loan was downgraded from %(before)s to %(after)s.")
            % {"before": _class_label(f.get("from", "")), "after": _class_label(f.get("to", ""))}
        ),
    ),
    Signal(
        code="inspection_overdue",
        title=_("Inspection overdue"),
        severity=Severity.MEDIUM,
        clause="warning.inspection-overdue",
        on=frozenset({followups.OVERDUE}),
        find=_inspection_overdue,
        describe=lambda f: (
            _("The post-loan inspection due on %(day)s has not been made.")
            % {"day": f.get("due_on", "")}
        ),
    ),
    Signal(
        code="concentration_breach",
        title=_("Concentration limit exceeded"),
        severity=Severity.MEDIUM,
        clause="warning.concentration",
        on=frozenset(),
        find=_concentration_breach,
        describe=lambda f: (
            _(
                "The branch's share of %(value)s moved over its limit: %(share)s against "
                "%(limit)s. This loan is the latest in it."
            )
            % {
                "value": _dimension_value(f),
                "share": _percent(f.get("share", 0)),
                "limit": _percent(f.get("limit", 0)),
            }
        ),
    ),
    Signal(
        code="blocked_after_disbursement",
        title=_("Borrower blocked after disbursement"),
        severity=Severity.HIGH,
        clause="warning.blocked-after-disbursement",
        on=frozenset(),
        find=_blocked_after_disbursement,
        describe=lambda f: (
            _("The borrower was added to the blocked-borrower list on %(day)s, after disbursement.")
            % {"day": f.get("listed_on", "")}
        ),
    ),
    Signal(
        code="returned_repeatedly",
        title=_("Returned for revision repeatedly"),
        severity=Severity.LOW,
        clause="warning.repeated-returns",
        on=RETURN_STEPS,
        find=_returned_repeatedly,
        describe=lambda f: (
            _("The loan has been returned for revision %(count)s times.")
            % {"count": f.get("returns", "")}
        ),
    ),
    Signal(
        code="guarantor_many_loans",
        title=_("Guarantor behind many loans"),
        severity=Severity.MEDIUM,
        clause="warning.guarantor-exposure",
        on=GUARANTOR_STEPS,
        find=_guarantor_many_loans,
        describe=lambda f: (
            _(
                "The guarantor %(guarantor)s backs %(count)s open loans of the branch with this "
                "one, more than the %(limit)s the policy allows."
            )
            % {
                "guarantor": f.get("guarantor", ""),
                "count": f.get("loans", ""),
                "limit": f.get("limit", ""),
            }
        ),
    ),
    Signal(
        code="guarantee_circle",
        title=_("Guarantee circle"),
        severity=Severity.HIGH,
        clause="warning.guarantee-circle",
        on=GUARANTOR_STEPS,
        find=_guarantee_circle,
        describe=lambda f: (
            _("The borrowers %(borrowers)s guarantee one another's loans (a guarantee circle).")
            % {"borrowers": lazy_join([str(name) for name in f.get("borrowers", [])])}
        ),
    ),
)
SIGNAL_BY_CODE = {signal.code: signal for signal in SIGNALS}
# The loan's steps after which some signal is evaluated (the follow-ups watch/apps.py registers).
TRIGGERING_STEPS = frozenset(step for signal in SIGNALS for step in signal.on)


def signals_after(step: str) -> list[Signal]:
    return [signal for signal in SIGNALS if step in signal.on]


def signal_title(code: str) -> Message:
    found = SIGNAL_BY_CODE.get(code)
    return found.title if found else code


def reason_of(code: str, facts: Mapping[str, Any]) -> Message:
    found = SIGNAL_BY_CODE.get(code)
    return found.describe(facts) if found else ""
