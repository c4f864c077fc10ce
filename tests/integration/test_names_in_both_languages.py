"""Branches and products are named in both languages and read in the reader's."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import translation

from tests import factories

pytestmark = pytest.mark.django_db


def test_a_product_and_a_branch_read_in_the_readers_language():
    branch = factories.BranchFactory(code="B07", name="County Sub-branch", name_zh_hans="县支行")
    product = factories.LoanProductFactory(name="Merchant micro loan", name_zh_hans="商户贷")

    with translation.override("zh-hans"):
        assert (str(branch), str(product)) == ("B07 县支行", "商户贷")
    with translation.override("en"):
        assert (str(branch), str(product)) == ("B07 County Sub-branch", "Merchant micro loan")


def test_without_a_chinese_name_the_english_one_is_shown():
    product = factories.LoanProductFactory(name="Merchant micro loan", name_zh_hans="")

    with translation.override("zh-hans"):
        assert product.display_name == "Merchant micro loan"


@pytest.mark.parametrize(
    ("language", "shown"), [("en", "Merchant micro loan"), ("zh-hans", "商户贷")]
)
def test_the_loan_pages_name_the_product_in_the_readers_language(client, loan, language, shown):
    type(loan.product).objects.filter(pk=loan.product_id).update(
        name="Merchant micro loan", name_zh_hans="商户贷"
    )
    client.force_login(loan.account_manager)
    client.cookies["django_language"] = language

    pages = [reverse("loans:list"), reverse("loans:detail", args=[loan.pk])]

    for page in pages:
        assert shown in client.get(page).content.decode(), page
