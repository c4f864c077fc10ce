"""What the loan's checks and its audit snapshot read from the loan's file, read once per step.

The engine locks a loan with :meth:`loans.workflow.LoanProcess.locked_read`, which brings, in the
same statement as the lock, the facts the step's checks, effects and service declare they read
(``check(reads=...)``, ``workflow.definition.reads_facts``; the names below) and those of the
audit snapshot (:data:`SNAPSHOT`). A fact asked for and not declared is read then
(:class:`_Facts`). Outside a step (the preflight of a page) :func:`file_facts` reads every fact
once and shares them between the checks. A step whose effects write records drops the facts read
with the lock (``LoanProcess.file_changed``), so its audit snapshot is read again after the
writes.
"""

from __future__ import annotations

import functools
import logging
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db.models import (
    DecimalField,
    Exists,
    F,
    Field,
    Func,
    IntegerField,
    JSONField,
    OuterRef,
    QuerySet,
    Subquery,
    TextField,
    Value,
)
from django.db.models.functions import Cast, Concat, JSONObject
from django.utils import timezone

from loans.checks.entry import local_day
from loans.choices import CreditQueryPurpose, RiskClass
from loans.models.site_visit import REPORT_SECTIONS
from loans.roles import Capacity
from loans.servicing import performance
from loans.servicing import schedule_maths as maths
from loans.states import LoanState
from workflow.checks import CheckContext
from workflow.models import AuditEvent
from workflow.prepared import prepared_get

logger = logging.getLogger(__name__)


def _count(records: QuerySet[Any]) -> Subquery:
    counted = records.order_by().annotate(
        n=Func(F("pk"), function="COUNT", output_field=IntegerField())
    )
    return Subquery(counted.values("n"), output_field=IntegerField())


class _Joined(Func):
    """The rows' values as one comma-separated text, on PostgreSQL and SQLite alike."""

    template = "STRING_AGG(CAST(%(expressions)s AS text), ',')"
    output_field = TextField()

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(compiler, connection, template="GROUP_CONCAT(%(expressions)s, ',')")


def _joined(records: QuerySet[Any], value: Any) -> Subquery:
    rows = records.order_by().annotate(joined=_Joined(value)).values("joined")
    return Subquery(rows, output_field=TextField())


def _balance(loans: QuerySet[Any]) -> Subquery:
    """The outstanding balances of ``loans`` summed."""
    total = loans.order_by().annotate(total=Func(F("outstanding_balance"), function="SUM"))
    return Subquery(
        total.values("total"), output_field=DecimalField(max_digits=16, decimal_places=2)
    )


def _fields(*names: str) -> Concat:
    """A row's fields as one text, separated by colons."""
    parts: list[Any] = []
    for name in names:
        parts += [Value(":"), Cast(name, TextField())]
    return Concat(*parts[1:], output_field=TextField())


VISIT_FIELDS = (
    "id",
    "lead_investigator_id",
    "co_investigator_id",
    "co_investigator_confirmed_at",
    "visited_at",
    "location",
    *REPORT_SECTIONS,
)


CONTRACT_FIELDS = ("id", "number", "signed_at", "signed_face_to_face", "witness_id", "annual_rate")


def _first_row(records: QuerySet[Any], names: tuple[str, ...], **more: Any) -> Subquery:
    """The first of ``records``' fields ``names`` (and ``more``) as one JSON object: one subquery
    for a whole row rather than one per field. Decimals come as text, so none loses a digit."""
    meta = records.model._meta
    row = JSONObject(
        **{
            name: Cast(name, TextField())
            if isinstance(meta.get_field(name), DecimalField)
            else F(name)
            for name in names
        },
        **more,
    )
    return Subquery(records.values(row=row)[:1], output_field=JSONField())


@functools.lru_cache(maxsize=4)
def _facts(loan_type_id: int) -> dict[str, Any]:
    from loans.models import (
        ApprovalCondition,
        BlockedBorrower,
        CollateralValuation,
        Contract,
        CreditAuthorisation,
        CreditReport,
        Document,
        Instalment,
        Interview,
        Loan,
        RepaymentAllocation,
        RepaymentSchedule,
        Review,
        SiteVisit,
    )

    loan = OuterRef("pk")
    contracts = Contract.objects.filter(loan=loan).order_by("-version")
    visits = SiteVisit.objects.filter(loan=loan).order_by("-visited_at", "-id")
    photos = Document.objects.filter(site_visit=OuterRef("pk"))
    events = AuditEvent.objects.filter(content_type_id=loan_type_id, object_id=loan)
    claims = Loan.objects.filter(borrower=OuterRef("borrower_id"), state=LoanState.POST_LOAN)
    in_force = RepaymentSchedule.objects.filter(loan=OuterRef(OuterRef("pk"))).order_by("-version")
    return {
        "file_interviews": _count(Interview.objects.filter(loan=loan)),
        # Only a written consent to query for this application authorises the query.
        "file_credit_authorisations": _count(
            CreditAuthorisation.objects.filter(
                loan=loan, written_consent=True, purpose=CreditQueryPurpose.LOAN_APPLICATION
            )
        ),
        "file_documents": _count(Document.objects.filter(loan=loan)),
        "file_collateral_valuations": _count(CollateralValuation.objects.filter(loan=loan)),
        "file_collateral_value": Subquery(
            CollateralValuation.objects.filter(loan=loan)
            .order_by()
            .annotate(total=Func(F("value"), function="SUM"))
            .values("total"),
            output_field=DecimalField(max_digits=16, decimal_places=2),
        ),
        "file_credit_reports": _count(CreditReport.objects.filter(loan=loan)),
        "file_reviews": _count(Review.objects.filter(loan=loan)),
        "file_round_reviewer": Subquery(
            Review.objects.filter(loan=loan, created_at__gte=OuterRef("state_entered_at"))
            .order_by("-created_at", "-id")
            .values("reviewer_id")[:1]
        ),
        "file_blocked_reason": Subquery(
            BlockedBorrower.objects.filter(id_number=OuterRef("borrower__id_number"), active=True)
            .order_by("pk")
            .values("reason")[:1]
        ),
        "file_blocked": Exists(
            BlockedBorrower.objects.filter(id_number=OuterRef("borrower__id_number"), active=True)
        ),
        # The latest visit, with the number of its photos, and the contract in force, each as
        # one JSON object spread into one fact per field when read (_spread).
        "file_visit": _first_row(visits, VISIT_FIELDS, evidence=_count(photos)),
        "file_contract": _first_row(contracts, CONTRACT_FIELDS),
        "file_open_conditions": _count(
            ApprovalCondition.objects.filter(loan=loan, fulfilled_at__isnull=True)
        ),
        "file_investigators": _joined(
            SiteVisit.objects.filter(loan=loan),
            Concat(
                Cast("lead_investigator_id", TextField()),
                Value(":"),
                Func(
                    Cast("co_investigator_id", TextField()),
                    Value("", output_field=TextField()),
                    function="COALESCE",
                    output_field=TextField(),
                ),
                output_field=TextField(),
            ),
        ),
        # The schedule in force and what the repayments in force paid on it (the upgrade of a
        # non-performing loan counts the periods paid on time: loans/servicing/performance.py).
        "file_schedule_start": Subquery(
            RepaymentSchedule.objects.filter(loan=loan).order_by("version").values("start_date")[:1]
        ),
        "file_instalments": _joined(
            Instalment.objects.filter(schedule=Subquery(in_force.values("pk")[:1])),
            _fields("number", "due_date", "principal", "interest"),
        ),
        "file_paid": _joined(
            RepaymentAllocation.objects.filter(
                repayment__loan=loan, repayment__cancelled_at__isnull=True, number__isnull=False
            ),
            _fields("number", "paid_on", "interest", "principal"),
        ),
        # The borrower's claims at the bank and those of its other loans non-performing on their
        # own (classification.non-retail-share, loans/classification.py).
        "file_borrower_claims": _balance(claims),
        "file_borrower_others_non_performing": _balance(
            claims.filter(
                risk_class__gte=RiskClass.SUBSTANDARD, classified_with_borrower=False
            ).exclude(pk=OuterRef("pk"))
        ),
        "file_actors": _joined(
            events.exclude(actor_id=None),
            Concat(
                Cast("actor_id", TextField()),
                Value(":"),
                Cast("actor_role", TextField()),
                output_field=TextField(),
            ),
        ),
    }


# The names the checks (``check(reads=...)``), effects and services (``reads_facts``) give for
# what they read, for the engine to read it with the row lock. A row read as JSON is named by its
# read (``file_visit``); its fields are spread as ``file_visit_<name>``.
VISIT = "file_visit"
CONTRACT = "file_contract"
PARTICIPANTS = ("file_investigators", "file_actors")
ON_TIME_RECORD = ("file_schedule_start", "file_instalments", "file_paid")
BORROWER_CLAIMS = ("file_borrower_claims", "file_borrower_others_non_performing")
# What the audit snapshot reads (loans.selectors.loan_snapshot): read with every step's lock.
SNAPSHOT = frozenset(
    {
        "file_interviews",
        "file_credit_authorisations",
        "file_documents",
        "file_collateral_value",
        "file_credit_reports",
        "file_reviews",
        VISIT,
    }
)


def file_fact_expressions(names: frozenset[str] | None = None) -> dict[str, Any]:
    """The annotations that bring the file's facts with a read of the loan: every fact, or those
    ``names`` and the audit snapshot's."""
    from loans.models import Loan

    every = _facts(ContentType.objects.get_for_model(Loan).pk)
    if names is None:
        return every
    unknown = names - every.keys()
    if unknown:
        raise ValueError(f"A loan's file has no facts named {', '.join(sorted(unknown))}.")
    wanted = names | SNAPSHOT
    return {name: expression for name, expression in every.items() if name in wanted}


def read_with(loan: Any) -> bool:
    """Whether ``loan`` carries the facts of its file read with its row lock (still fresh)."""
    return "file_interviews" in loan.__dict__


def forget(loan: Any) -> None:
    """Drop the facts read with the lock: the step wrote records of the file."""
    for name in [key for key in loan.__dict__ if key.startswith("file_")]:
        del loan.__dict__[name]


@functools.cache
def _spread_fields() -> dict[str, dict[str, tuple[str, Field[Any, Any]]]]:
    """For each row read as JSON, the facts spread from it: each fact's key in the JSON object
    and the field whose value it is."""
    from loans.models import Contract, SiteVisit

    def fields(prefix: str, model: Any, names: tuple[str, ...]) -> dict[str, Any]:
        return {f"{prefix}_{name}": (name, model._meta.get_field(name)) for name in names}

    return {
        "file_visit": {
            **fields("file_visit", SiteVisit, VISIT_FIELDS),
            "file_visit_evidence": ("evidence", IntegerField()),
        },
        "file_contract": fields("file_contract", Contract, CONTRACT_FIELDS),
    }


def _value(field: Field[Any, Any], value: Any) -> Any:
    """A value read from JSON as its field reads it from the database: aware times in UTC,
    decimals to the field's places (SQLite keeps them as floats, PostgreSQL to its scale)."""
    if value is None:
        return None
    value = field.to_python(value)
    if isinstance(value, datetime):  # SQLite keeps times as naive text in UTC
        return value.replace(tzinfo=UTC) if timezone.is_naive(value) else value.astimezone(UTC)
    if isinstance(field, DecimalField):
        return value.quantize(Decimal(1).scaleb(-field.decimal_places))
    return value


def _spread(kept: dict[str, Any]) -> dict[str, Any]:
    """The facts of a file from the annotations kept on a loan (its ``__dict__``), the rows read
    as JSON spread in place, once, into one fact per field (``file_visit_<name>``) with the value
    the field reads from the database (None for every field when there is no such record)."""
    for fact, spread in _spread_fields().items():
        if fact in kept:
            row = kept.pop(fact) or {}
            for name, (key, field) in spread.items():
                kept[name] = _value(field, row[key] if row else None)
    return {name: kept[name] for name in _fact_names() if name in kept}


class UndeclaredFactError(Exception):
    """A fact of the file that the step did not declare it reads (``UNDECLARED_FACTS_RAISE``)."""


class _Facts(dict[str, Any]):
    """The facts of a loan's file read with its row lock: those its step declared it reads and
    the audit snapshot's. Asking for another (a check that does not declare what it reads) reads
    every fact then, in one statement more, and keeps them on the loan for the rest of the step;
    a warning names the fact."""

    def __init__(self, loan: Any, facts: dict[str, Any]) -> None:
        super().__init__(facts)
        self.loan = loan

    def __missing__(self, name: str) -> Any:
        if name not in _fact_names():
            raise KeyError(name)
        if settings.UNDECLARED_FACTS_RAISE:
            raise UndeclaredFactError(
                f"The fact {name} of loan {self.loan.pk} was not read with its lock: declare it"
                " on the check (or effect, or service) that reads it."
            )
        logger.warning(
            "The fact %s of loan %s was not read with its lock: the step does not declare it"
            " (a check's reads); every fact is read now.",
            name,
            self.loan.pk,
        )
        found = _read_now(self.loan)
        forget(self.loan)
        self.loan.__dict__.update(
            {key: value for key, value in found.__dict__.items() if key.startswith("file_")}
        )
        self.update(_spread(self.loan.__dict__))
        return self[name]


def facts_of(loan: Any) -> dict[str, Any]:
    """The facts of ``loan``'s file: those read with its lock (:class:`_Facts`), or every fact
    read now."""
    if read_with(loan):
        return _Facts(loan, _spread(loan.__dict__))
    return _spread(_read_now(loan).__dict__)


def _read_now(loan: Any) -> Any:
    """``loan``'s key and state with every fact of its file, read now.

    The read is compiled once per connection (workflow/prepared.py): a step that writes several
    records (a batch of the core-banking feed) reads the facts again after each, and compiling
    their statement costs far more than running it."""
    from loans.models import Loan

    def build(key: Any, _at: datetime) -> Any:
        return Loan.objects.filter(pk=key).only("pk", "state").annotate(**file_fact_expressions())

    content_type = ContentType.objects.get_for_model(Loan).pk
    return prepared_get(
        loan.pk, timezone.now(), ("loans.facts", content_type), build, using=Loan.objects.db
    )


def read_for(loans: list[Any]) -> None:
    """Read the facts of several loans' files in one statement and keep them on each loan, as
    its locked read does (a batch of the engine, after its writes: workflow/batch.py)."""
    from loans.models import Loan

    expressions = file_fact_expressions()
    found = Loan.objects.filter(pk__in=[loan.pk for loan in loans]).only("pk", "state")
    rows = {row.pk: row for row in found.annotate(**expressions)}
    for loan in loans:
        row = rows[loan.pk]
        for name in expressions:
            loan.__dict__[name] = getattr(row, name)
        _spread(loan.__dict__)


_names: tuple[str, ...] = ()


def _fact_names() -> tuple[str, ...]:
    """The names of the facts, a row read as JSON by the names of the facts spread from it."""
    global _names  # the names never change within a process
    if not _names:
        spread = _spread_fields()
        _names = tuple(
            name for fact in file_fact_expressions() for name in spread.get(fact, (fact,))
        )
    return _names


def file_facts(ctx: CheckContext) -> dict[str, Any]:
    """The facts of the loan's file, shared by every check of the step."""
    if read_with(ctx.obj):
        return facts_of(ctx.obj)
    return ctx.once("file_facts", lambda: facts_of(ctx.obj))


def latest_visit(ctx: CheckContext) -> Any | None:
    """The latest site visit in force (unsaved copy of its fields), or None."""
    from loans.models import SiteVisit

    facts = file_facts(ctx)
    if facts["file_visit_id"] is None:
        return None
    return SiteVisit(
        loan_id=ctx.obj.pk, **{name: facts[f"file_visit_{name}"] for name in VISIT_FIELDS}
    )


def participants(ctx: CheckContext, capacity_of_role: dict[str, Capacity]) -> dict[int, set[Any]]:
    """Everyone involved in the loan so far, with the capacities they were involved in."""
    facts = file_facts(ctx)
    involved: dict[int, set[Any]] = {ctx.obj.account_manager_id: {Capacity.ACCOUNT_MANAGER}}
    for pair in (facts["file_investigators"] or "").split(","):
        for person in filter(None, pair.split(":")):
            involved.setdefault(int(person), set()).add(Capacity.INVESTIGATOR)
    for pair in (facts["file_actors"] or "").split(","):
        if not pair:
            continue
        actor, _sep, role = pair.partition(":")
        if role in capacity_of_role:
            involved.setdefault(int(actor), set()).add(capacity_of_role[role])
    return involved


def latest_contract(ctx: CheckContext) -> Any | None:
    """The contract in force (unsaved copy of its latest version's fields), or None."""
    from loans.models import Contract

    facts = file_facts(ctx)
    if facts["file_contract_id"] is None:
        return None
    return Contract(
        loan_id=ctx.obj.pk, **{name: facts[f"file_contract_{name}"] for name in CONTRACT_FIELDS}
    )


def on_time_record(ctx: CheckContext) -> performance.OnTimeRecord | None:
    """The loan's record of paying on time to the step's local date, from the schedule in force
    and the repayments in force read with the file (None: the loan has no schedule)."""
    facts = file_facts(ctx)
    if facts["file_schedule_start"] is None:
        return None

    def rows(joined: str | None) -> list[list[str]]:
        return [row.split(":") for row in (joined or "").split(",") if row]

    instalments = [
        maths.Instalment(
            int(n), date.fromisoformat(due), maths.fen(Decimal(p)), maths.fen(Decimal(i))
        )
        for n, due, p, i in rows(facts["file_instalments"])
    ]
    paid = [
        maths.Paid(int(n), date.fromisoformat(day), maths.fen(Decimal(i)), maths.fen(Decimal(p)))
        for n, day, i, p in rows(facts["file_paid"])
    ]
    start = facts["file_schedule_start"]
    start = start if isinstance(start, date) else date.fromisoformat(str(start))
    return performance.on_time_record(instalments, paid, start=start, on=local_day(ctx.now))


def borrower_floor(ctx: CheckContext) -> RiskClass:
    """The floor the borrower's other claims set on the loan (read with the file)."""
    from loans.classification import borrower_floor as floor_of

    facts = file_facts(ctx)
    return floor_of(
        ctx.obj.borrower.kind,
        facts["file_borrower_claims"],
        facts["file_borrower_others_non_performing"],
    )
