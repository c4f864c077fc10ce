"""The lending policy in force: thresholds and tiers the checks read (DOMAIN.md defaults).

Checks never hold a literal threshold; they read it from the policy passed in their context, and
every audit event and deviation records the policy's version.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class AuthorityTier:
    up_to: Decimal  # inclusive ceiling of the loan amount, CNY
    level: int  # the approver authority level needed


@dataclass(frozen=True)
class LoanPolicy:
    version: str
    # Site visits by two different investigators at or above this amount (0: every loan).
    two_person_threshold: Decimal
    # Ascending tiers; above the last one, two approvers of the top level are needed.
    authority_tiers: tuple[AuthorityTier, ...]

    def required_authority(self, amount: Decimal) -> int | None:
        """The authority level one approver needs for ``amount``; None above the top tier."""
        for tier in self.authority_tiers:
            if amount <= tier.up_to:
                return tier.level
        return None

    @property
    def top_tier(self) -> AuthorityTier:
        return self.authority_tiers[-1]


DEFAULT_POLICY = LoanPolicy(
    version="2026.1-default",
    two_person_threshold=Decimal(0),
    authority_tiers=(
        AuthorityTier(up_to=Decimal(100_000), level=1),
        AuthorityTier(up_to=Decimal(500_000), level=2),
        AuthorityTier(up_to=Decimal(3_000_000), level=3),
    ),
)


def current_policy() -> LoanPolicy:
    """The policy in force now."""
    return DEFAULT_POLICY
