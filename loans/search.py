"""The one search box: a loan by its reference, or by its borrower's name, identity number or
phone, among the loans of the branches the user sees (loans/selectors.py ``loans_visible_to``).

Identity and phone numbers are kept in full in the database and masked on every page
(loans/personal_data.py), so they are matched exactly here, as typed or with spaces and dashes
left out; a name or a part of a reference matches anywhere. The results show the personal facts
masked, whoever searches: the full value is read only through the audited reveal on the loan page.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.db.models import Q, QuerySet

from loans.keyset import Order
from loans.models import Borrower, Loan, User
from loans.selectors import loans_visible_to
from loans.validators import normalise_resident_id

# Longer queries are cut: no one types more to find a loan.
MAX_QUERY = 64
SEARCH_ORDER = Order("search", ("created_at", "id"), descending=True)


@dataclass(frozen=True)
class Search:
    """What a query asks for: the text as typed, the exact-match forms of it."""

    text: str
    identity: str  # as an identity number (resident ID or social credit code) is stored
    phones: frozenset[str]  # the ways a phone number may have been written down

    @classmethod
    def of(cls, query: str) -> Search:
        text = " ".join(query.split())[:MAX_QUERY]
        digits = re.sub(r"[\s\-()+.]", "", text)
        phones = {text, digits}
        if len(digits) == 11 and digits.isdigit():  # a mobile number, as 3-4-4 groups
            phones |= {f"{digits[:3]} {digits[3:7]} {digits[7:]}"}
            phones |= {f"{digits[:3]}-{digits[3:7]}-{digits[7:]}"}
        return cls(text=text, identity=normalise_resident_id(text), phones=frozenset(phones))


def exact_match(user: User, search: Search) -> Loan | None:
    """The one loan ``search`` names exactly (its reference, or the identity number of a
    borrower with one loan the user sees); None when it names none or several. One query."""
    if not search.text:
        return None
    named = loans_visible_to(user).filter(
        Q(reference__iexact=search.text) | Q(borrower__id_number=search.identity)
    )
    found = list(named.only("pk")[:2])
    return found[0] if len(found) == 1 else None


def search_loans(user: User, search: Search) -> QuerySet[Loan]:
    """The loans ``search`` finds among those ``user`` sees, ready to page in SEARCH_ORDER."""
    if not search.text:
        nothing: QuerySet[Loan] = Loan.objects.none()
        return nothing
    borrowers = Borrower.objects.filter(
        Q(id_number=search.identity) | Q(phone__in=search.phones) | Q(name__icontains=search.text)
    ).values("pk")
    found: QuerySet[Loan] = (
        loans_visible_to(user)
        .filter(Q(reference__icontains=search.text) | Q(borrower__in=borrowers))
        .select_related("borrower", "product", "account_manager")
    )
    return found
