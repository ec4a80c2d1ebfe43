"""Budgets as people write them, read the same for web forms, Meta forms and lead files."""

from __future__ import annotations

from decimal import Decimal

import pytest

from leads.budgets import BudgetError, budget_parse


def amount(text: str | None) -> Decimal | None:
    return None if text is None else Decimal(text)


@pytest.mark.parametrize(
    "text, low, high, currency",
    [
        ("1,200,000", None, "1200000", "AED"),
        ("1 200 000", None, "1200000", "AED"),
        ("1.200.000,50", None, "1200000.50", "AED"),
        ("AED 4,000,000", None, "4000000", "AED"),
        ("3.5M", None, "3500000", "AED"),
        ("1 mln", None, "1000000", "AED"),
        ("٢٥٠٠٠٠٠ درهم", None, "2500000", "AED"),
        ("1,5 مليون", None, "1500000", "AED"),
        ("up to 1,200,000", None, "1200000", "AED"),
        ("from 800k USD", "800000", None, "USD"),
        ("2M+", "2000000", None, "AED"),
        ("3 - 5M", "3000000", "5000000", "AED"),
        ("500,000 - 1.5M", "500000", "1500000", "AED"),
        ("between 1M and 2M", "1000000", "2000000", "AED"),
        ("US$ 2M", None, "2000000", "USD"),
        ("1M INR", None, "1000000", "INR"),
        ("AED 1.2M (2 BR)", None, "1200000", "AED"),
        ("1.5M, 3 bedrooms", None, "1500000", "AED"),
        ("2 غرف حتى 900 ألف", None, "900000", "AED"),
        ("1,200 sqft, up to 2M", None, "2000000", "AED"),
        ("1.2M for 2", None, "1200000", "AED"),
        ("120 m2 up to 900k", None, "900000", "AED"),
    ],
)
def test_budgets_are_read_the_way_people_write_them(text, low, high, currency):
    budget = budget_parse(text, currency="AED")

    assert (budget.low, budget.high, budget.currency) == (amount(low), amount(high), currency)


def test_a_yearly_or_monthly_amount_is_a_rent():
    assert budget_parse("85000/yr", currency="AED").rent
    assert budget_parse("7,000 per month", currency="AED").rent
    assert not budget_parse("1.2M", currency="AED").rent


@pytest.mark.parametrize("text", ["", "  ", "-", "n/a", "غير محدد"])
def test_nothing_said_is_no_budget(text):
    assert budget_parse(text, currency="AED") is None


@pytest.mark.parametrize("text", ["flexible", "0", "2,000,000 billion"])
def test_what_cannot_be_a_budget_is_refused(text):
    with pytest.raises(BudgetError):
        budget_parse(text, currency="AED")
