"""The scorecard's tables as plain rows: what the page shows beside its charts and what the CSV
and XLSX exports write (insight/tables.py writes them)."""

from __future__ import annotations

from django.utils.translation import gettext as _

from insight.scorecard import TITLES, Card, Scorecard
from insight.tables import MONEY_FORMAT, SHARE_FORMAT, Table
from loans.models.policy import SCORECARD_FACTORS

POINTS_FORMAT = "0.00"


def manager_name(card: Card) -> str:
    return str(card.manager.get_full_name() or card.manager.username)


def scores_table(card_set: Scorecard) -> Table:
    titles = [str(TITLES[name]) for name in SCORECARD_FACTORS]
    return Table(
        name="scores",
        title=_("Composite score"),
        headers=[_("Rank"), _("Account manager"), _("Composite score"), *titles],
        rows=[
            [
                card.rank,
                manager_name(card),
                card.composite,
                *(card.factor(name).contribution for name in SCORECARD_FACTORS),
            ]
            for card in card_set.cards
        ],
        formats=[None, None, POINTS_FORMAT, *([POINTS_FORMAT] * len(titles))],
    )


def figures_table(card_set: Scorecard) -> Table:
    return Table(
        name="figures",
        title=_("Figures"),
        headers=[
            _("Account manager"),
            _("Loans disbursed"),
            _("Amount disbursed (CNY)"),
            _("Median cycle time (days)"),
            _("Return rate"),
            _("Deviations, high"),
            _("Deviations, medium"),
            _("Deviations, low"),
            _("Deviations per loan"),
            _("SLA breaches"),
            _("Inspections due"),
            _("Inspections on time"),
            _("Special-mention share"),
            _("Non-performing share"),
            _("Downgrades"),
            _("Watch-list items open"),
            _("Watch-list items overdue"),
            _("Watch-list items resolved"),
            _("Watch-list items resolved late"),
        ],
        rows=[
            [
                manager_name(card),
                t.disbursed_count,
                t.disbursed_amount,
                t.median_cycle_days,
                t.return_rate,
                t.deviations_high,
                t.deviations_medium,
                t.deviations_low,
                t.deviations_per_loan,
                t.sla_breaches,
                t.inspections_due,
                t.inspections_on_time,
                t.special_mention_share,
                t.non_performing_share,
                t.downgrades,
                t.watch_open,
                t.watch_overdue,
                t.watch_resolved,
                t.watch_resolved_late,
            ]
            for card in card_set.cards
            for t in (card.totals,)
        ],
        formats=[
            None,
            None,
            MONEY_FORMAT,
            "0.0",
            SHARE_FORMAT,
            None,
            None,
            None,
            "0.00",
            None,
            None,
            None,
            SHARE_FORMAT,
            SHARE_FORMAT,
            None,
            None,
            None,
            None,
            None,
        ],
    )


def weights_table(card_set: Scorecard) -> Table:
    return Table(
        name="weights",
        title=_("Weights"),
        headers=[_("Factor"), _("Weight")],
        rows=[[str(TITLES[name]), weight] for name, weight in card_set.weights.items()],
        formats=[None, None],
    )


def scorecard_tables(card_set: Scorecard) -> list[Table]:
    return [scores_table(card_set), figures_table(card_set), weights_table(card_set)]
