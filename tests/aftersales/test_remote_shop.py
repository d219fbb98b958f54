"""After-sales on a remote shop (WooCommerce): the self-service page reads the order from the shop through
the process's ConnectorEnv, and the return is recorded although the platform cannot register returns."""

import re

import pytest
from sqlalchemy import select

from sprawa.aftersales.models import Return, ReturnStatus
from sprawa.commerce.models import Order, OrderItem
from sprawa.commerce.woocommerce.fake import FakeWooCommerce, make_order
from tests.aftersales.factories import email_channel, setup_shop
from tests.commerce.conftest import shop_config
from tests.fakes.asgi import serve

TOKEN = re.compile(r'name="token" value="([^"]+)"')


@pytest.fixture
def woo(db, runtime, workspace):  # type: ignore[no-untyped-def]
    fake = FakeWooCommerce()
    fake.orders = {300: make_order(300, tracking="602677439331630337653846", status="completed")}
    with serve(fake.app) as url:
        setup_shop(db, workspace)
        email_channel(db, workspace)
        config = shop_config(runtime, "woocommerce", url, consumer_key="ck_test", consumer_secret="cs_test")
        workspace.settings = {**(workspace.settings or {}), "commerce": config}
        db.commit()
        yield fake


def test_self_service_return_reads_the_order_from_woocommerce(db, client, workspace, woo) -> None:
    assert db.scalars(select(Order)).all() == []  # nothing cached: only the shop knows the order
    slug = workspace.slug
    db.rollback()
    page = client.post(
        f"/zwroty/{slug}", data={"step": "identify", "number": "300", "email": "anna@example.pl"}
    )
    assert page.status_code == 200 and "Które produkty odsyłasz?" in page.text
    assert any(r.startswith("GET /wp-json/wc/v3/orders/300") for r in woo.requests)
    order = db.scalars(select(Order).where(Order.number == "300")).one()
    assert order.source == "woocommerce"
    item_id = db.scalars(select(OrderItem.id).where(OrderItem.order_id == order.id)).one()
    db.rollback()
    done = client.post(
        f"/zwroty/{slug}",
        data={"step": "details", "token": TOKEN.search(page.text).group(1), f"qty_{item_id}": "1"},
    )
    assert done.status_code == 200, done.text
    ret = db.scalars(select(Return)).one()
    # WooCommerce gives no delivery date: the statement is recorded and a person checks the period.
    assert ret.status == ReturnStatus.REQUESTED and "not_delivered" in ret.review_reasons
    assert f"Zgłoszenie zwrotu nr {ret.number} przyjęte" in done.text
