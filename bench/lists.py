"""List pages and API lists as their tables grow: server time and queries at the large size ÷ the
small one, a deep keyset page ÷ the first, and the first page at a million rows ÷ at the small size.

Each page is fetched through Django's test client as the user who works it (the account manager,
the approver, the compliance officer), so every middleware, query and template counts. Times are
the fastest of several fetches after one that warms the caches: on a shared machine the load of
others only ever adds time, so the fastest is the closest to the page's own cost.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from bench import data
from loans.inbox import DUE_FIRST
from loans.keyset import Order, encode
from loans.models import Loan, User
from loans.selectors import DEVIATION_ORDERS, queue_for, queue_order, with_sla_status
from loans.views import LOAN_LIST_ORDER
from workflow.models import Deviation

# rows at the small size, the large one, and the "million" step (loans and deviations alike)
SIZES = {"ci": (200, 2_000, 5_000), "full": (1_000, 100_000, 1_000_000)}
REPEAT = {"ci": 2, "full": 9}
TARGET_GROWTH = 1.5  # large ÷ small, server time
TARGET_DEEP = 1.2  # deep page ÷ first page
TARGET_MILLION = 2.0  # first page at a million rows ÷ at the small size


@dataclass(frozen=True)
class Page:
    name: str
    who: str  # manager, approver or compliance
    url: str
    deep: Callable[[User], str] | None = None  # the cursor of a page far down the list


@dataclass
class Figure:
    seconds: float
    queries: int


def _deep_cursor(queryset: Any, order: Order) -> str:
    """A cursor 90 % of the way down ``queryset`` in ``order``: where a reader who followed
    Next for a long time arrives (reached directly; walking there would measure nothing new)."""
    keys = [f"-{k}" if order.descending else k for k in order.keys]
    rows = queryset.order_by(*keys)
    position = max(0, int(rows.count() * 0.9) - 1)
    return encode(order, rows[position], forward=True)


def _loans_deep(user: User) -> str:
    return _deep_cursor(Loan.objects.filter(branch_id=user.branch_id), LOAN_LIST_ORDER)


def _pipeline_deep(user: User) -> str:
    mine = Loan.objects.filter(account_manager=user, state="approval")
    rows, order = queue_order(with_sla_status(mine, timezone.now()), DUE_FIRST)
    return _deep_cursor(rows, order)


def _queue_deep(user: User) -> str:
    rows, order = queue_order(queue_for(user, timezone.now()), DUE_FIRST)  # type: ignore[arg-type]
    return _deep_cursor(rows, order)


def _deviations_deep(user: User) -> str:
    scoped = Deviation.objects.filter(scope=user.branch.code)  # type: ignore[union-attr]
    return _deep_cursor(scoped, DEVIATION_ORDERS["newest"])


PAGES = (
    Page("pipeline (my loans)", "manager", "/loans/mine/"),
    Page("pipeline, one stage", "manager", "/loans/mine/?stage=approval", _pipeline_deep),
    Page("approver's queue", "approver", "/loans/queue/", _queue_deep),
    Page("loan list", "manager", "/loans/", _loans_deep),
    Page("deviation log", "compliance", "/loans/deviations/", _deviations_deep),
    Page("deviation log, filtered", "compliance", "/loans/deviations/?kind=wrong_person"),
    Page("API loans", "manager", "/api/v1/loans/", _loans_deep),
    Page("API deviations", "compliance", "/api/v1/deviations/", _deviations_deep),
)


def measure(a: tuple[Client, str], b: tuple[Client, str], repeat: int) -> tuple[Figure, Figure]:
    """Fetch two pages in turns, so both see the same load on this shared machine."""
    times: tuple[list[float], list[float]] = ([], [])
    queries = [0, 0]
    for (client, url), _ in zip((a, b), range(2), strict=True):
        client.get(url)  # warm: sessions, content types, the policy
    for _ in range(repeat):
        for index, (client, url) in enumerate((a, b)):
            with CaptureQueriesContext(connection) as captured:
                started = time.perf_counter()
                response = client.get(url)
                times[index].append(time.perf_counter() - started)
            if response.status_code != 200:
                raise SystemExit(f"{url} answered {response.status_code}")
            queries[index] = len(captured.captured_queries)
    return Figure(min(times[0]), queries[0]), Figure(min(times[1]), queries[1])


def _with_cursor(url: str, cursor: str) -> str:
    return f"{url}{'&' if '?' in url else '?'}cursor={cursor}"


def _clients(cast: data.Cast) -> dict[str, tuple[Client, User]]:
    clients = {}
    for who in ("manager", "approver", "compliance"):
        user = getattr(cast, who)
        client = Client(HTTP_HOST="localhost")
        client.force_login(user)
        clients[who] = (client, user)
    return clients


def run(scale: str) -> bool:
    """Two branches, one with the small number of loans and deviations and one with the large:
    each page is fetched in turns in both, then the large one grows to the "million" step."""
    data.use_bench_database()
    small, large, million = SIZES[scale]
    repeat = REPEAT[scale]
    data.reset()
    casts = {"small": data.cast("SMALL"), "large": data.cast("LARGE")}
    for name, size in (("small", small), ("large", large)):
        made = data.grow_loans(casts[name], size) + data.grow_deviations(casts[name], size)
        print(f"{size:>9,} loans and deviations in a branch ({made:.1f} s to add)", flush=True)
    at_small = _clients(casts["small"])
    at_large = _clients(casts["large"])

    figures: dict[int, dict[str, Figure]] = {small: {}, large: {}, million: {}}
    deep: dict[str, tuple[Figure, Figure]] = {}
    for page in PAGES:
        (client_s, _user), (client_l, user_l) = at_small[page.who], at_large[page.who]
        pair = measure((client_s, page.url), (client_l, page.url), repeat)
        figures[small][page.name], figures[large][page.name] = pair
        if page.deep is not None:
            far = _with_cursor(page.url, page.deep(user_l))
            deep[page.name] = measure((client_l, page.url), (client_l, far), repeat)
    made = data.grow_loans(casts["large"], million) + data.grow_deviations(casts["large"], million)
    print(f"{million:>9,} loans and deviations in the large branch ({made:.1f} s)", flush=True)
    for page in PAGES:
        if page.deep is None:
            continue
        (client_s, _user), (client_l, _user) = at_small[page.who], at_large[page.who]
        first_small, figures[million][page.name] = measure(
            (client_s, page.url), (client_l, page.url), repeat
        )
        figures[small][page.name + " @million"] = first_small
    return _report(figures, deep, small, large, million)


def _report(
    figures: dict[int, dict[str, Figure]],
    deep: dict[str, tuple[Figure, Figure]],
    small: int,
    large: int,
    million: int,
) -> bool:
    met = True
    print(
        f"\n{'page':<26} {'ms @' + format(small, ','):>12} {'ms @' + format(large, ','):>14} "
        f"{'ratio':>6} {'queries':>9}  {'deep ÷ first':>12}  "
        f"{'ms @' + format(million, ','):>16} {'÷ small':>8}"
    )
    for name, at_small in figures[small].items():
        if name.endswith(" @million"):
            continue
        at_large = figures[large][name]
        growth = at_large.seconds / at_small.seconds
        ok = growth <= TARGET_GROWTH and at_large.queries == at_small.queries
        line = (
            f"{name:<26} {at_small.seconds * 1000:>12.1f} {at_large.seconds * 1000:>14.1f} "
            f"{growth:>5.2f}{'' if growth <= TARGET_GROWTH else '!'} "
            f"{at_small.queries:>4}→{at_large.queries:<4}"
        )
        if name in deep:
            first, far = deep[name]
            ratio = far.seconds / first.seconds
            ok = ok and ratio <= TARGET_DEEP
            line += f"  {ratio:>11.2f}{'' if ratio <= TARGET_DEEP else '!'}"
        else:
            line += f"  {'':>12}"
        if name in figures[million]:
            at_million = figures[million][name]
            ratio = at_million.seconds / figures[small][name + " @million"].seconds
            ok = ok and ratio <= TARGET_MILLION
            line += (
                f"  {at_million.seconds * 1000:>16.1f} {ratio:>7.2f}"
                f"{'' if ratio <= TARGET_MILLION else '!'}"
            )
        met = met and ok
        print(line)
    print(
        f"targets: time ≤ {TARGET_GROWTH}× and the same queries at {large:,} vs {small:,} rows; "
        f"deep page ≤ {TARGET_DEEP}× the first; first page at {million:,} ≤ "
        f"{TARGET_MILLION}× at {small:,} ('!' marks a miss)"
    )
    return met
