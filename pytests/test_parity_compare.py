"""The mart comparison used by the Spark parity test can fail: it reports a
changed value, a missing row and an extra row."""

from __future__ import annotations

from decimal import Decimal

import pandas as pd

from member_analytics.parity import Mart, compare, public_marts

MART = Mart("fct_example", "marts", ("shop_id", "order_id"), ("shop_id", "order_id", "net_amount", "rate"), ("rate",))


def _frame():
    return pd.DataFrame(
        {
            "shop_id": ["s1", "s1", "s2"],
            "order_id": ["o1", "o2", "o1"],
            "net_amount": [Decimal("10.00"), Decimal("0.50"), Decimal("3.10")],
            "rate": [0.1, 1 / 3, None],
        }
    )


def test_identical_extracts_have_no_difference_whatever_the_row_order():
    assert compare(MART, _frame(), _frame().iloc[::-1]) == []


def test_a_single_altered_value_is_reported_with_its_key_and_column():
    altered = _frame()
    altered.loc[1, "net_amount"] = Decimal("0.51")
    problems = compare(MART, _frame(), altered)
    assert problems == ["fct_example {'shop_id': 's1', 'order_id': 'o2'}: net_amount = Decimal('0.50') vs Decimal('0.51')"]


def test_ratios_get_a_tolerance_but_not_more():
    close, far = _frame(), _frame()
    close.loc[1, "rate"] = 1 / 3 + 1e-12
    far.loc[1, "rate"] = 1 / 3 + 1e-6
    assert compare(MART, _frame(), close) == []
    assert len(compare(MART, _frame(), far)) == 1


def test_missing_and_extra_rows_are_reported():
    fewer = _frame().iloc[:2]
    problems = compare(MART, _frame(), fewer)
    assert problems[0] == "fct_example: 3 rows vs 2 rows"
    assert "keys only in the first build" in problems[1]


def test_public_marts_are_found_with_their_keys():
    marts = {mart.name: mart for mart in public_marts()}
    assert marts["fct_orders"].key == ("shop_id", "order_id")
    assert marts["dim_members"].key == ("shop_id", "member_id")
    assert "net_amount" in marts["fct_order_items"].columns
