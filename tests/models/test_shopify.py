from __future__ import annotations

from decimal import Decimal

import pytest
from pydantic import ValidationError

from hookreceiver.models import ShopifyOrder
from tests.models.support import received


@pytest.mark.parametrize("topic", ["orders/create", "orders/paid"])
def test_order_samples_validate_with_decimal_money(topic: str) -> None:
    order = ShopifyOrder.model_validate(received("shopify", topic))
    assert order.id == 450789469318254617 and order.total_price == Decimal("46.00")
    assert order.line_items[0].price == Decimal("36.00") and order.line_items[0].quantity == 1
    assert order.customer is not None and order.customer.email == "ada.pike@example.com"
    assert order.created_at is not None and order.created_at.utcoffset() is not None
    assert order.model_extra is not None and "shipping_lines" in order.model_extra


def test_money_is_never_a_float() -> None:
    order = ShopifyOrder.model_validate({"id": 1, "total_price": "0.10"})
    assert order.total_price == Decimal("0.10")
    with pytest.raises(ValidationError, match="total_price"):
        ShopifyOrder.model_validate({"id": 1, "total_price": "ten"})
