"""Everything one shop generates, as numbers, and its clean file rows."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from .behavior import Behavior, build_behavior
from .catalog import Catalog, build_catalog
from .customers import Customers, build_customers
from .members import member_ids, members_table, registration_times
from .orders import Items, Orders, build_orders
from .points import Points, build_points
from .scales import Shop
from .seasons import Calendar
from .service import Service, build_service


@dataclass
class ShopData:
    shop: Shop
    calendar: Calendar
    catalog: Catalog
    customers: Customers
    member_ids: pa.Array        # member_id text per customer
    registered_at: np.ndarray   # seconds per customer
    members: pa.Table           # the members file rows
    member_rows: np.ndarray     # customer of each members row
    birth: np.ndarray           # birth date (seconds) of each members row, NA if empty
    orders: Orders
    items: Items
    behavior: Behavior
    service: Service
    points: Points

    def tables(self) -> dict[str, pa.Table]:
        """Clean rows of every contract table."""
        shop, ids = self.shop, self.member_ids
        product_ids = self.catalog.ids(shop)
        order_ids = self.orders.ids()
        return {
            "orders": self.orders.table(shop, ids),
            "order_items": self.items.table(shop, order_ids, product_ids),
            "members": self.members,
            "products": self.catalog.table(shop, self.calendar),
            "behavior_events": self.behavior.table(shop, ids, product_ids),
            "service_events": self.service.table(shop, ids, order_ids, product_ids),
            "points_events": self.points.table(shop, ids),
        }


def build_shop(shop: Shop, scale: dict, calendar: Calendar, seed: int) -> ShopData:
    """One shop's data; each part draws from its own stream so parts stay independent."""
    streams = [np.random.default_rng([seed, shop.number, part]) for part in range(8)]
    catalog = build_catalog(shop, scale["products_per_shop"], calendar, streams[0])
    customers = build_customers(scale["members_per_shop"], scale["orders_per_member"],
                                scale["planted_per_shop"], calendar, streams[1])
    orders, items = build_orders(shop, customers, catalog, calendar, streams[2])
    ids = member_ids(shop, customers)
    registered_at = registration_times(customers, orders, calendar, streams[3])
    members, member_rows, birth = members_table(shop, customers, registered_at, ids, calendar,
                                                streams[4])
    behavior = build_behavior(customers, orders, items, catalog, calendar, streams[5])
    service = build_service(customers, orders, items, calendar, streams[6])
    points = build_points(customers, behavior, calendar, streams[7])
    return ShopData(shop=shop, calendar=calendar, catalog=catalog, customers=customers,
                    member_ids=ids, registered_at=registered_at, members=members,
                    member_rows=member_rows, birth=birth, orders=orders, items=items,
                    behavior=behavior, service=service, points=points)
