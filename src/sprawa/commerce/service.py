"""Writes on the order cache: copy what a shop connector returns into Product/Order/OrderItem/Shipment.

The shop stays the source of truth; every cached row carries ``fetched_at``. Rows are upserted by
(workspace, external id), so their ids, and the case links pointing at them, survive a refresh.
Nothing here commits: the caller owns the transaction.
"""

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Any
from urllib.parse import quote

from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from sprawa.auth.schemas import Principal
from sprawa.commerce.allegro.connector import API_URL as ALLEGRO_API
from sprawa.commerce.allegro.connector import AllegroOrders
from sprawa.commerce.allegro.tokens import AllegroTokens
from sprawa.commerce.base import CommerceConnector, OrderDetail, ProductDetail, ShipmentInfo
from sprawa.commerce.baselinker.connector import BaseLinker
from sprawa.commerce.demo.connector import DemoRules, DemoShop
from sprawa.commerce.errors import ConnectorError, ConnectorProblem
from sprawa.commerce.models import Order, OrderItem, Product, Shipment
from sprawa.commerce.prestashop.connector import PrestaShop
from sprawa.commerce.remote import ConnectorEnv
from sprawa.commerce.schemas import ShopConnectionIn
from sprawa.commerce.shopify.connector import Shopify
from sprawa.commerce.woocommerce.connector import WooCommerce
from sprawa.customers.models import Customer, Identity, IdentityKind
from sprawa.db import utcnow
from sprawa.platform.audit import append_audit_by
from sprawa.platform.crypto import SecretBox
from sprawa.platform.errors import Forbidden, InvalidInput, NotFound
from sprawa.platform.events import Event, emit
from sprawa.workspaces.models import Workspace

ConnectorFactory = Callable[[Session, Workspace, dict[str, Any], ConnectorEnv | None], CommerceConnector]


def _demo(
    session: Session, workspace: Workspace, config: dict[str, Any], env: ConnectorEnv | None
) -> CommerceConnector:
    return DemoShop(session, workspace.id, rules=DemoRules.from_settings(config.get("rules")))


def _remote(cls: Callable[[ConnectorEnv, dict[str, Any]], CommerceConnector]) -> ConnectorFactory:
    def factory(
        session: Session, workspace: Workspace, config: dict[str, Any], env: ConnectorEnv | None
    ) -> CommerceConnector:
        if env is None:
            raise ConnectorError(ConnectorProblem.NOT_CONFIGURED, "this connector needs outbound HTTP")
        return cls(env, config)

    return factory


def _allegro(
    session: Session, workspace: Workspace, config: dict[str, Any], env: ConnectorEnv | None
) -> CommerceConnector:
    if env is None:
        raise ConnectorError(ConnectorProblem.NOT_CONFIGURED, "this connector needs outbound HTTP")
    base = str(config.get("base_url") or ALLEGRO_API).rstrip("/")
    return AllegroOrders(env, config, AllegroTokens(session, workspace.id, env.secrets, env.http, base))


#: Shop connectors by ``workspace.settings["commerce"]["kind"]``; adapters for other platforms register here.
CONNECTORS: dict[str, ConnectorFactory] = {
    "demo": _demo,
    "woocommerce": _remote(WooCommerce),
    "shopify": _remote(Shopify),
    "prestashop": _remote(PrestaShop),
    "baselinker": _remote(BaseLinker),
    "allegro": _allegro,
}


def connector_for(session: Session, workspace_id: str, env: ConnectorEnv | None = None) -> CommerceConnector:
    """The shop connector configured for this workspace (the built-in demo shop unless set otherwise).

    Remote platforms need ``env`` (outbound HTTP and the secret box); without it they raise ConnectorError.
    """
    workspace = session.get(Workspace, workspace_id)
    if workspace is None:
        raise NotFound("workspace not found")
    config = dict((workspace.settings or {}).get("commerce") or {})
    kind = config.get("kind", "demo")
    factory = CONNECTORS.get(kind)
    if factory is None:
        raise InvalidInput(f"no shop connector of kind {kind!r}", code="unknown_connector")
    return factory(session, workspace, config, env)


# ------------------------------------------------------------------------------------------------ orders


def sync_customer_orders(
    session: Session, connector: CommerceConnector, workspace_id: str, customer: Customer, *, limit: int = 50
) -> list[Order]:
    """Cache the orders the shop has for this customer's e-mails and phones, linked to the customer."""
    emails, phones = _contact_points(session, customer)
    bulk = getattr(connector, "find_order_details", None)
    if bulk is not None:  # platforms whose search returns whole orders: one request per contact point
        found: dict[str, OrderDetail] = {}
        for email in emails:
            found.update((d.external_id, d) for d in bulk(email=email, limit=limit))
        for phone in phones:
            found.update((d.external_id, d) for d in bulk(phone=phone, limit=limit))
        details = list(found.values())[:limit]
    else:
        details = _details_one_by_one(connector, emails, phones, limit)
    upsert_orders(session, workspace_id, details, source=connector.kind, customer_id=customer.id)
    return list(
        session.scalars(
            select(Order)
            .where(
                Order.workspace_id == workspace_id, Order.external_id.in_([d.external_id for d in details])
            )
            .order_by(Order.placed_at.desc())
        )
    )


def _details_one_by_one(
    connector: CommerceConnector, emails: list[str], phones: list[str], limit: int
) -> list[OrderDetail]:
    numbers: dict[str, None] = {}
    for email in emails:
        numbers.update(dict.fromkeys(s.number for s in connector.find_orders(email=email, limit=limit)))
    for phone in phones:
        numbers.update(dict.fromkeys(s.number for s in connector.find_orders(phone=phone, limit=limit)))
    return [d for n in list(numbers)[:limit] if (d := connector.get_order(n)) is not None]


def refresh_order(
    session: Session, connector: CommerceConnector, workspace_id: str, number: str
) -> Order | None:
    """Re-read one order from the shop into the cache; None when the shop does not know it."""
    detail = connector.get_order(number)
    if detail is None:
        return None
    upsert_orders(session, workspace_id, [detail], source=connector.kind)
    return session.scalars(
        select(Order).where(Order.workspace_id == workspace_id, Order.external_id == detail.external_id)
    ).one()


def sync_all(
    session: Session,
    connector: CommerceConnector,
    workspace_id: str,
    *,
    updated_since: datetime | None = None,
) -> dict[str, int]:
    """Full (or incremental) copy of the shop's catalogue and orders, in batches."""
    products = list(connector.iter_products())
    upsert_products(session, workspace_id, products)
    count = 0
    batch: list[OrderDetail] = []
    for detail in connector.iter_orders(updated_since=updated_since):
        batch.append(detail)
        if len(batch) == 500:
            count += upsert_orders(session, workspace_id, batch, source=connector.kind)
            batch = []
    count += upsert_orders(session, workspace_id, batch, source=connector.kind)
    return {"products": len(products), "orders": count}


def upsert_orders(
    session: Session,
    workspace_id: str,
    details: Sequence[OrderDetail],
    *,
    source: str,
    customer_id: str | None = None,
    fetched_at: datetime | None = None,
) -> int:
    """Insert or update these orders with their items and shipments; returns how many were written.

    Orders without ``customer_id`` are linked to the Sprawa customer whose e-mail or phone identity
    matches the shop customer's, when there is one.
    """
    if not details:
        return 0
    fetched_at = fetched_at or utcnow()
    existing = dict(
        session.execute(
            select(Order.external_id, Order.id).where(
                Order.workspace_id == workspace_id, Order.external_id.in_([d.external_id for d in details])
            )
        ).all()
    )
    owners = _owners(session, workspace_id, details) if customer_id is None else {}
    new_rows, changed_rows = [], []
    for d in details:
        row = _order_row(d, workspace_id, source, fetched_at)
        owner = customer_id or owners.get(d.external_id)
        if owner:
            row["customer_id"] = owner
        if d.external_id in existing:
            row["id"] = existing[d.external_id]
            changed_rows.append(row)
        else:
            new_rows.append(row)
    if new_rows:
        session.execute(insert(Order), new_rows)
    if changed_rows:
        session.execute(update(Order), changed_rows)
    ids = dict(
        session.execute(
            select(Order.external_id, Order.id).where(
                Order.workspace_id == workspace_id, Order.external_id.in_([d.external_id for d in details])
            )
        ).all()
    )
    _replace_children(session, workspace_id, details, ids, fetched_at)
    return len(details)


def _order_row(d: OrderDetail, workspace_id: str, source: str, fetched_at: datetime) -> dict[str, Any]:
    address = d.shipping_address.as_dict() | {"method": d.shipping_method, "pickup_point": d.pickup_point}
    return {
        "workspace_id": workspace_id,
        "external_id": d.external_id,
        "number": d.number,
        "customer_email": d.customer.email if d.customer else None,
        "customer_phone": d.customer.phone if d.customer else None,
        "status": str(d.status),
        "payment_status": str(d.payment_status),
        "payment_method": str(d.payment_method) if d.payment_method else None,
        "total": d.total,
        "currency": d.currency,
        "shipping_address": address,
        "placed_at": d.placed_at,
        "delivered_at": d.delivered_at,
        "source": source,
        "fetched_at": fetched_at,
    }


def tracking_templates(session: Session, workspace_id: str) -> dict[str, str]:
    """The shop's own tracking pages per carrier (``{n}`` is the number), replacing the defaults."""
    workspace = session.get(Workspace, workspace_id)
    carriers = ((workspace.settings or {}) if workspace else {}).get("carriers") or {}
    return {k: str(v) for k, v in (carriers.get("tracking_urls") or {}).items() if v}


def _replace_children(
    session: Session,
    workspace_id: str,
    details: Sequence[OrderDetail],
    ids: dict[str, str],
    fetched_at: datetime,
) -> None:
    order_ids = list(ids.values())
    templates = tracking_templates(session, workspace_id)
    old_items = {
        (order_id, ext): item_id
        for item_id, order_id, ext in session.execute(
            select(OrderItem.id, OrderItem.order_id, OrderItem.external_id).where(
                OrderItem.order_id.in_(order_ids)
            )
        )
    }
    old_shipments = {
        (order_id, carrier, number): ship_id
        for ship_id, order_id, carrier, number in session.execute(
            select(Shipment.id, Shipment.order_id, Shipment.carrier, Shipment.tracking_number).where(
                Shipment.order_id.in_(order_ids)
            )
        )
    }
    items_new, items_changed, ships_new, ships_changed = [], [], [], []
    for d in details:
        order_id = ids[d.external_id]
        for line in d.items:
            row = {
                "workspace_id": workspace_id,
                "order_id": order_id,
                "external_id": line.external_id,
                "product_external_id": line.product_external_id,
                "sku": line.sku,
                "name": line.name,
                "quantity": line.quantity,
                "unit_price": line.unit_price,
                "options": dict(line.options)
                | ({"returned_quantity": line.returned_quantity} if line.returned_quantity else {}),
            }
            key = (order_id, line.external_id)
            if key in old_items:
                items_changed.append(row | {"id": old_items.pop(key)})
            else:
                items_new.append(row)
        for ship in d.shipments:
            row = shipment_row(ship, workspace_id, order_id, fetched_at)
            if ship.carrier in templates and ship.tracking_number:
                row["tracking_url"] = templates[ship.carrier].replace(
                    "{n}", quote(ship.tracking_number, safe="")
                )
            key = (order_id, ship.carrier, ship.tracking_number)
            if key in old_shipments:
                ships_changed.append(row | {"id": old_shipments.pop(key)})
            else:
                ships_new.append(row)
    for model, new, changed, gone in (
        (OrderItem, items_new, items_changed, old_items.values()),
        (Shipment, ships_new, ships_changed, old_shipments.values()),
    ):
        if gone:
            session.execute(delete(model).where(model.id.in_(list(gone))))
        if new:
            session.execute(insert(model), new)
        if changed:
            session.execute(update(model), changed)


def shipment_row(
    ship: ShipmentInfo, workspace_id: str, order_id: str, fetched_at: datetime
) -> dict[str, Any]:
    return {
        "workspace_id": workspace_id,
        "order_id": order_id,
        "carrier": ship.carrier,
        "tracking_number": ship.tracking_number,
        "tracking_url": ship.tracking_url,
        "state": str(ship.state),
        "pickup_point": ship.pickup_point,
        "pickup_deadline": ship.pickup_deadline,
        "estimated_delivery": ship.estimated_delivery,
        "events": [
            {
                "at": e.at.isoformat(),
                "code": e.code,
                "state": str(e.state),
                "description": e.description,
                "location": e.location,
            }
            for e in ship.events
        ],
        "last_event_at": ship.events[-1].at if ship.events else None,
        "fetched_at": fetched_at,
    }


def _contact_points(session: Session, customer: Customer) -> tuple[list[str], list[str]]:
    emails = {customer.email} if customer.email else set()
    phones = {customer.phone} if customer.phone else set()
    for kind, value in session.execute(
        select(Identity.kind, Identity.value).where(
            Identity.customer_id == customer.id,
            Identity.kind.in_([IdentityKind.EMAIL, IdentityKind.PHONE, IdentityKind.WHATSAPP]),
        )
    ):
        (emails if kind == IdentityKind.EMAIL else phones).add(value)
    return sorted(emails), sorted(phones)


def _owners(session: Session, workspace_id: str, details: Iterable[OrderDetail]) -> dict[str, str]:
    """Order external id → Sprawa customer id, by the shop customer's e-mail (then phone) identity."""
    by_email = {d.external_id: d.customer.email for d in details if d.customer and d.customer.email}
    by_phone = {d.external_id: d.customer.phone for d in details if d.customer and d.customer.phone}
    values = set(by_email.values()) | set(by_phone.values())
    if not values:
        return {}
    known: dict[tuple[str, str], str] = {}
    rows = session.execute(
        select(Identity.kind, Identity.value, Identity.customer_id, Customer.merged_into_id)
        .join(Customer, Customer.id == Identity.customer_id)
        .where(
            Identity.workspace_id == workspace_id,
            Identity.kind.in_([IdentityKind.EMAIL, IdentityKind.PHONE]),
            Identity.value.in_(list(values)),
        )
    )
    for kind, value, cid, merged_into in rows:
        known[(str(kind), value)] = merged_into or cid
    owners = {}
    for ext, email in by_email.items():
        if (IdentityKind.EMAIL, email) in known:
            owners[ext] = known[(IdentityKind.EMAIL, email)]
    for ext, phone in by_phone.items():
        if ext not in owners and (IdentityKind.PHONE, phone) in known:
            owners[ext] = known[(IdentityKind.PHONE, phone)]
    return owners


# ---------------------------------------------------------------------------------------------- products


def upsert_products(
    session: Session,
    workspace_id: str,
    products: Sequence[ProductDetail],
    *,
    fetched_at: datetime | None = None,
) -> int:
    if not products:
        return 0
    fetched_at = fetched_at or utcnow()
    existing = dict(
        session.execute(
            select(Product.external_id, Product.id).where(
                Product.workspace_id == workspace_id,
                Product.external_id.in_([p.external_id for p in products]),
            )
        ).all()
    )
    new_rows, changed_rows = [], []
    for p in products:
        row = {
            "workspace_id": workspace_id,
            "external_id": p.external_id,
            "sku": p.sku,
            "name": p.name,
            "description": p.description,
            "category": p.category,
            "price": p.price,
            "currency": p.currency,
            "stock": p.stock,
            "attributes": dict(p.attributes)
            | {
                "available": p.available,
                "variants": [
                    {
                        "id": v.external_id,
                        "sku": v.sku,
                        "options": v.options,
                        "price": str(v.price),
                        "stock": v.stock,
                        "available": v.available,
                    }
                    for v in p.variants
                ],
            },
            "withdrawal_exception": p.withdrawal_exception,
            "fetched_at": fetched_at,
        }
        if p.external_id in existing:
            changed_rows.append(row | {"id": existing[p.external_id]})
        else:
            new_rows.append(row)
    if new_rows:
        session.execute(insert(Product), new_rows)
    if changed_rows:
        session.execute(update(Product), changed_rows)
    return len(products)


# ------------------------------------------------------------------------------------------- connection


def do_set_shop_connection(
    session: Session, actor: Principal, body: ShopConnectionIn, secrets: SecretBox
) -> dict[str, Any]:
    """Point the workspace at a shop platform; credentials are sealed, shops without webhooks are polled."""
    from sprawa.commerce.tasks import POLLED_KINDS, schedule_poll

    if not actor.is_admin:
        raise Forbidden("only owners and admins may connect a shop", code="admin_only")
    workspace = session.get(Workspace, actor.workspace_id, with_for_update=True)
    assert workspace is not None
    old = dict((workspace.settings or {}).get("commerce") or {})
    config: dict[str, Any] = {"kind": body.kind}
    if body.base_url:
        config["base_url"] = body.base_url.rstrip("/")
    if old.get("kind") == body.kind and old.get("threads_channel_id"):  # PrestaShop's imported threads
        config["threads_channel_id"] = old["threads_channel_id"]
    if body.credentials is not None:
        config["credentials"] = secrets.seal(body.credentials)
    elif old.get("kind") == body.kind and old.get("credentials"):
        config["credentials"] = old["credentials"]
    for key in ("state_map", "status_map"):
        if getattr(body, key):
            config[key] = {k: str(v) for k, v in getattr(body, key).items()}
    if body.kind != "demo" and not config.get("credentials"):
        raise InvalidInput(f"a {body.kind} connection needs credentials", code="missing_credentials")
    workspace.settings = {**(workspace.settings or {}), "commerce": config}
    if body.kind in POLLED_KINDS:
        schedule_poll(session, workspace.id)
    append_audit_by(session, actor, "commerce.connection_changed", "workspace", workspace.id, kind=body.kind)
    emit(session, Event("commerce.connection", workspace.id, {"kind": body.kind}))
    return config
