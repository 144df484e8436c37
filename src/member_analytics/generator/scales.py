"""Scale presets (`SCALES`) and the shops of the sample shop group.

A scale sets the number of shops and, per shop, the registered members, the
products, the orders per registered member (guests who never joined also buy,
and a loyal few buy very often), and how many cases of each kind are planted:
`planted_per_shop` member-level cases (loyal-to-at-risk, comeback, 3+3+3
follow-ups, ...) and `dirt_per_shop` dirty rows per rejection reason and table.
`list_limit` caps the member-level lists of ground_truth.json (None: complete).
"""
from __future__ import annotations

from dataclasses import dataclass

SCALES: dict[str, dict] = {
    "tiny": {"shops": 3, "members_per_shop": 670, "orders_per_member": 5.0,
             "products_per_shop": 60, "planted_per_shop": 3, "dirt_per_shop": 2,
             "list_limit": None},
    "small": {"shops": 3, "members_per_shop": 6_700, "orders_per_member": 5.0,
              "products_per_shop": 200, "planted_per_shop": 6, "dirt_per_shop": 3,
              "list_limit": None},
    "medium": {"shops": 5, "members_per_shop": 20_000, "orders_per_member": 10.0,
               "products_per_shop": 600, "planted_per_shop": 15, "dirt_per_shop": 5,
               "list_limit": 5_000},
    "large": {"shops": 10, "members_per_shop": 100_000, "orders_per_member": 10.0,
              "products_per_shop": 1_500, "planted_per_shop": 30, "dirt_per_shop": 10,
              "list_limit": 5_000},
}


@dataclass(frozen=True)
class Shop:
    """One shop and the conventions of its export.

    Member ids are `member_prefix` + a zero-padded number of `member_width`
    digits (shops without a prefix have ids such as "0004512" and shops 0 and 2
    share id values: keys must include shop_id). `style` (0-2) picks how gender
    and the opt-out flag are spelled; `zero_refund_text` writes "0.00" rather
    than an empty refunded_amount for orders without a refund.
    """

    number: int
    shop_id: str
    theme: str
    member_prefix: str
    member_width: int
    product_prefix: str
    product_width: int
    style: int
    zero_refund_text: bool


_SHOP_ROWS = (
    ("tmall_beauty_flagship", "beauty", "", 7, "P", 6),
    ("taobao_snack_store", "snacks", "M", 7, "", 5),
    ("tmall_home_living", "home", "", 7, "P", 6),
    ("tmall_sportswear", "sports", "tb", 9, "SP", 5),
    ("tmall_baby_care", "baby", "", 8, "", 6),
    ("taobao_beauty_outlet", "beauty", "B", 7, "BO", 5),
    ("taobao_snack_factory", "snacks", "", 7, "", 5),
    ("tmall_home_textile", "home", "H", 8, "HT", 5),
    ("taobao_running_gear", "sports", "", 7, "R", 6),
    ("taobao_baby_outlet", "baby", "u", 8, "", 6),
)


def shops_for(scale: dict) -> list[Shop]:
    """The first `scale['shops']` shops."""
    return [Shop(number, shop_id, theme, m_prefix, m_width, p_prefix, p_width,
                 style=number % 3, zero_refund_text=number % 3 == 1)
            for number, (shop_id, theme, m_prefix, m_width, p_prefix, p_width)
            in enumerate(_SHOP_ROWS[:scale["shops"]])]
