"""Importing a core-banking file: all or nothing, once, every write through the engine.

1. The file is read and each row judged on its own (``loans.feed.rows``).
2. The rows are judged against the loans in a few set-based reads: the reference known, the loan of
   the importer's branch and in post-loan management, the date not before its disbursement, its
   repayments within its balance, one days past due per loan and date.
3. Any refused row refuses the whole file: the refusal is kept with every row's reason.
4. Otherwise, in one transaction: the import and its row keys are claimed (a second import of the
   same file waits on the first, then finds it done), and the loans, a few hundred at a time in
   id order, are locked together for one engine action each with all its new rows,
   ``core_feed_apply`` (its repayments in the order paid, its latest days past due; one audit
   event per loan), performed as a batch (``workflow.batch``: one lock, every check of every
   loan, the writes and events of the batch together). The system's
   ``classification_floor_apply`` follows, on its own, for each loan whose new days past due
   raise its class. The statements grow with the batches, not with the loans or their rows
   (docs/performance.md).

A file imported before changes nothing; a row imported before in another file is skipped.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError
from django.utils import timezone

from loans.feed.rows import (
    DATE,
    DAYS_PAST_DUE,
    REFERENCE,
    REPAYMENT,
    Line,
    Rejection,
    file_hash,
    read,
)
from loans.models import FeedImport, FeedRow, Loan, User
from loans.services.classification import floor_raises
from loans.states import LoanState
from workflow.actions import ActionStep
from workflow.batch import perform_in_batches
from workflow.checks import CheckContext
from workflow.engine import InvalidInput, TransitionRefused
from workflow.models import Channel

CHUNK = 5_000  # references looked up per statement


class FeedConflict(Exception):  # noqa: N818 - reads as what happened
    """Another import wrote some of the same rows at the same moment: import the file again."""


@dataclass(frozen=True)
class FeedResult:
    feed_import: FeedImport
    repeated: bool = False  # the same file was imported before: nothing changed

    @property
    def imported(self) -> bool:
        return self.feed_import.outcome == FeedImport.Outcome.IMPORTED


@dataclass(frozen=True)
class _Loan:
    pk: int
    branch_id: int
    state: str
    balance: Decimal
    disbursed_on: date | None


def feed_import(
    *, content: bytes, file_name: str, actor: User, channel: Channel = Channel.WEB
) -> FeedResult:
    """Import ``content`` as ``actor`` (a disbursement officer); see the module's steps."""
    if actor.branch_id is None:
        raise PermissionDenied("An importer belongs to a branch.")
    branch_id: int = actor.branch_id
    digest = file_hash(content)
    earlier = _imported(digest)
    if earlier is not None:
        return FeedResult(earlier, repeated=True)
    lines, rejections = read(content)
    loans = _loans_of(lines)
    rejections += _judged(lines, loans, actor)
    if rejections:
        return FeedResult(
            _refused(digest, file_name, actor, branch_id, channel, len(lines), rejections)
        )
    imported = _imported_keys(line.key for line in lines)
    new = [line for line in lines if line.key not in imported]
    record = FeedImport(
        file_name=file_name[:255],
        file_hash=digest,
        branch_id=branch_id,
        imported_by=actor,
        channel=channel,
        outcome=FeedImport.Outcome.IMPORTED,
        rows=len(lines) + len(rejections),
        already_imported=len(lines) - len(new),
    )
    data = _data(new, loans, digest, record)

    def claim() -> None:
        record.save()
        FeedRow.objects.bulk_create(
            [
                FeedRow(feed_import=record, key=line.key, loan_id=loans[line.reference].pk)
                for line in new
            ],
            batch_size=CHUNK,
        )

    try:
        perform_in_batches(
            Loan,
            "core_feed_apply",
            data,
            actor=actor,
            channel=channel,
            first=claim,
            then=_floor_after,
        )
    except IntegrityError:
        earlier = _imported(digest)
        if earlier is None:
            raise FeedConflict from None
        return FeedResult(earlier, repeated=True)
    except (TransitionRefused, InvalidInput) as refused:  # the loan changed since judged
        results = refused.decision.failed or refused.decision.input_errors
        reasons = "; ".join(result.reason for result in results) or str(refused.decision.refusal)
        rejection = Rejection(0, "", "refused", {"reasons": reasons})
        return FeedResult(
            _refused(digest, file_name, actor, branch_id, channel, len(lines), [rejection])
        )
    return FeedResult(record)


def _imported(digest: str) -> FeedImport | None:
    return FeedImport.objects.filter(file_hash=digest, outcome=FeedImport.Outcome.IMPORTED).first()


def _refused(
    digest: str,
    file_name: str,
    actor: User,
    branch_id: int,
    channel: Channel,
    good: int,
    rejections: list[Rejection],
) -> FeedImport:
    rejections.sort(key=lambda r: (r.row, r.column))
    return FeedImport.objects.create(
        file_name=file_name[:255],
        file_hash=digest,
        branch_id=branch_id,
        imported_by=actor,
        channel=channel,
        outcome=FeedImport.Outcome.REJECTED,
        rows=good + len({r.row for r in rejections if r.row > 1}),
        rejections=[r.as_record() for r in rejections],
    )


def _chunks(values: list[str]) -> Iterable[list[str]]:
    for start in range(0, len(values), CHUNK):
        yield values[start : start + CHUNK]


def _loans_of(lines: list[Line]) -> dict[str, _Loan]:
    """The loans the rows name, by reference: one read per few thousand references."""
    found: dict[str, _Loan] = {}
    references = sorted({line.reference for line in lines})
    for chunk in _chunks(references):
        rows = Loan.objects.filter(reference__in=chunk).values_list(
            "reference", "pk", "branch_id", "state", "outstanding_balance", "disbursed_at"
        )
        for reference, pk, branch_id, state, balance, disbursed_at in rows:
            disbursed_on = timezone.localdate(disbursed_at) if disbursed_at else None
            found[reference] = _Loan(pk, branch_id, state, balance, disbursed_on)
    return found


def _imported_keys(keys: Iterable[str]) -> set[str]:
    imported: set[str] = set()
    for chunk in _chunks(sorted(set(keys))):
        imported.update(FeedRow.objects.filter(key__in=chunk).values_list("key", flat=True))
    return imported


def _judged(lines: list[Line], loans: dict[str, _Loan], actor: User) -> list[Rejection]:
    """The rows refused against the loans they name (each row's first reason)."""
    today = timezone.localdate()
    branches = set(actor.visible_branch_ids)
    rejections: list[Rejection] = []
    fed: dict[tuple[str, date], tuple[int, int]] = {}  # (loan, date) -> (days, first row)
    repaid: dict[str, Decimal] = defaultdict(Decimal)
    for line in lines:
        loan = loans.get(line.reference)
        problem = _against(line, loan, branches, today)
        if problem is None and line.days_past_due is not None:
            days, first = fed.setdefault((line.reference, line.day), (line.days_past_due, line.row))
            if days != line.days_past_due:
                problem = Rejection(
                    line.row,
                    DAYS_PAST_DUE,
                    "conflicting_days_past_due",
                    {"first": first, "value": line.reference},
                )
        if problem is None and line.repayment is not None and loan is not None:
            repaid[line.reference] += line.repayment
            if repaid[line.reference] > loan.balance:
                problem = Rejection(
                    line.row,
                    REPAYMENT,
                    "above_balance",
                    {"value": line.reference, "balance": f"{loan.balance:,.2f}"},
                )
        if problem is not None:
            rejections.append(problem)
    return rejections


def _against(line: Line, loan: _Loan | None, branches: set[int], today: date) -> Rejection | None:
    if line.day > today:
        return Rejection(line.row, DATE, "future_date", {"value": line.day.isoformat()})
    if loan is None:
        return Rejection(line.row, REFERENCE, "unknown_reference", {"value": line.reference})
    if loan.branch_id not in branches:
        return Rejection(line.row, REFERENCE, "other_branch", {"value": line.reference})
    if loan.state != LoanState.POST_LOAN:
        state = LoanState(loan.state).label
        return Rejection(
            line.row, REFERENCE, "not_in_post_loan", {"value": line.reference, "state": state}
        )
    if loan.disbursed_on is not None and line.day < loan.disbursed_on:
        params = {"value": line.day.isoformat(), "disbursed": loan.disbursed_on.isoformat()}
        return Rejection(line.row, DATE, "before_disbursement", params)
    return None


def _data(
    lines: list[Line], loans: dict[str, _Loan], digest: str, record: FeedImport
) -> dict[int, dict[str, Any]]:
    """Each loan's step, by its id: ``core_feed_apply`` with its repayments by date and its
    latest days past due (counted on ``record``)."""
    by_loan: dict[int, list[Line]] = defaultdict(list)
    for line in lines:
        by_loan[loans[line.reference].pk].append(line)
    data: dict[int, dict[str, Any]] = {}
    for pk, loan_lines in by_loan.items():
        rows = sorted(loan_lines, key=lambda line: (line.day, line.row))
        step: dict[str, Any] = {
            "feed": digest,
            "repayments": [
                {"principal": line.repayment, "paid_at": _moment(line.day)}
                for line in rows
                if line.repayment is not None
            ],
        }
        record.repayments += len(step["repayments"])
        latest = [line.days_past_due for line in rows if line.days_past_due is not None]
        if latest:
            step["days_past_due"] = latest[-1]
            record.days_past_due += 1
        data[pk] = step
    return data


def _floor_after(ctx: CheckContext, result: Any) -> list[ActionStep]:
    """The system's floor after a loan's days past due, when it raises the loan's class."""
    if "days_past_due" not in ctx.payload or not floor_raises(ctx):
        return []
    cause = {"cause": f"days_past_due={ctx.payload['days_past_due']}"}
    return [ActionStep(ctx.obj, "classification_floor_apply", None, cause)]


def _moment(day: date) -> datetime:
    """A repayment's moment: noon of its day in the bank's time zone."""
    return timezone.make_aware(datetime.combine(day, time(12)))
